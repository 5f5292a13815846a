"""Photo uploads: the type is read from the content, never from the name; location is stripped.

Pillow is not a dependency, so this reads the container formats directly: JPEG segments,
PNG chunks and WebP RIFF chunks. Metadata that can carry a GPS position (EXIF, XMP, text
chunks) is dropped before the file is stored, so nobody — public or staff — can read a
reporter's home position from a photo.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.core.sealed import private_dir, read_sealed, seal_bytes

MAX_PHOTOS = 9
ALLOWED = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def max_bytes() -> int:
    return settings.GRIDGOV_CASE_PHOTO_MAX_BYTES


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    content_type: str
    extension: str
    original_name: str


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _strip_jpeg(data: bytes) -> bytes:
    out = bytearray(data[:2])
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("bad marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[pos:]
            return bytes(out)
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:
            out += data[pos : pos + 2]
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2 or pos + 2 + length > len(data):
            raise ValueError("bad segment length")
        segment = data[pos : pos + 2 + length]
        # APP1 holds EXIF and XMP, APP13 Photoshop IRB (which can hold IPTC location), COM comments.
        if marker not in (0xE1, 0xED, 0xFE):
            out += segment
        pos += 2 + length
    raise ValueError("no image data")


def _strip_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    seen_end = False
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("bad chunk length")
        if kind not in (b"eXIf", b"tEXt", b"iTXt", b"zTXt"):
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            seen_end = True
            break
    if not seen_end:
        raise ValueError("no IEND")
    return bytes(out)


def _strip_webp(data: bytes) -> bytes:
    chunks = bytearray()
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        length = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > len(data):
            raise ValueError("bad chunk length")
        chunk = bytearray(data[pos:end])
        if kind == b"VP8X" and length >= 1:
            chunk[8] &= ~0x0C & 0xFF  # clear the EXIF and XMP flags
        if kind not in (b"EXIF", b"XMP "):
            chunks += chunk
        pos = end
    if not chunks:
        raise ValueError("no chunks")
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + bytes(chunks)


_STRIP = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp}


def clean_photo(upload, *, field: str = "photos") -> CleanPhoto:
    """Validate one uploaded file (a Django UploadedFile or any object with read()/name/size)."""
    name = str(getattr(upload, "name", "") or "photo")[-120:]
    size = getattr(upload, "size", None)
    limit = max_bytes()
    if size is not None and size > limit:
        raise ValidationError({field: [f"照片“{name}”超过{limit // (1024 * 1024)}MB，请压缩后再上传"]})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({field: [f"照片“{name}”超过{limit // (1024 * 1024)}MB，请压缩后再上传"]})
    content_type = sniff(data[:16])
    if content_type is None:
        raise ValidationError({field: [f"“{name}”不是图片，只能上传JPG、PNG或WebP照片"]})
    try:
        stripped = _STRIP[content_type](data)
    except (ValueError, struct.error):
        raise ValidationError({field: [f"照片“{name}”已损坏，无法读取"]}) from None
    return CleanPhoto(
        content=stripped, content_type=content_type, extension=ALLOWED[content_type], original_name=name
    )


def clean_photos(uploads, *, field: str = "photos") -> list[CleanPhoto]:
    uploads = list(uploads or ())
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({field: [f"最多上传{MAX_PHOTOS}张照片，当前{len(uploads)}张"]})
    return [clean_photo(upload, field=field) for upload in uploads]


# --- drafts: photos uploaded as soon as a resident chooses them -----------------------------------
#
# The report form uploads each photo at once, so a server-side error on the form never loses them.
# A draft is a random token the page carries and the session vouches for; its photos are checked
# and stripped here like any other, then stored sealed (core/sealed.py) until the report is
# submitted (they become case attachments) or the draft is a day old.

DRAFT_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
DRAFT_KEEP = dt.timedelta(days=1)


@dataclass(frozen=True)
class DraftPhoto:
    id: str
    content_type: str
    size: int


def new_draft_token() -> str:
    return secrets.token_urlsafe(18)


def _drafts_root() -> Path:
    return private_dir(Path(settings.DATA_DIR) / "report-drafts")


def _draft_dir(token: str, *, create: bool = False) -> Path | None:
    if not DRAFT_TOKEN_RE.match(token or ""):
        return None
    path = _drafts_root() / token
    if create:
        private_dir(path)
    return path if path.is_dir() else None


def draft_photos(token: str) -> list[DraftPhoto]:
    """The photos of a draft in the order they were chosen ([] for an unknown draft)."""
    folder = _draft_dir(token)
    if folder is None:
        return []
    found = []
    for item in sorted(folder.iterdir()):
        stem, _, extension = item.name.partition(".")
        content_type = next((t for t, e in ALLOWED.items() if e == extension), None)
        if content_type and stem.isalnum():
            found.append(DraftPhoto(id=stem, content_type=content_type, size=item.stat().st_size))
    return found


def draft_add(token: str, upload) -> DraftPhoto:
    """Check one photo and keep it sealed in the draft; ValidationError on "photos" when it is
    not a photo, too big, or one too many."""
    folder = _draft_dir(token, create=True)
    if folder is None:
        raise ValidationError({"photos": ["页面已过期，请刷新后重新选择照片"]})
    if len(draft_photos(token)) >= MAX_PHOTOS:
        raise ValidationError({"photos": [f"最多上传{MAX_PHOTOS}张照片"]})
    photo = clean_photo(upload)
    # Sortable by time, unguessable, and only letters and digits (the id is part of a URL).
    photo_id = f"{time.time_ns():020d}{secrets.token_hex(4)}"
    seal_bytes(folder / f"{photo_id}.{photo.extension}", photo.content)
    return DraftPhoto(id=photo_id, content_type=photo.content_type, size=len(photo.content))


def draft_read(token: str, photo_id: str) -> tuple[bytes, str] | None:
    """(content, content type) of one draft photo, or None."""
    for photo in draft_photos(token):
        if photo.id == photo_id:
            folder = _draft_dir(token)
            assert folder is not None
            return read_sealed(folder / f"{photo.id}.{ALLOWED[photo.content_type]}"), photo.content_type
    return None


def draft_remove(token: str, photo_id: str) -> bool:
    folder = _draft_dir(token)
    for photo in draft_photos(token):
        if folder is not None and photo.id == photo_id:
            (folder / f"{photo.id}.{ALLOWED[photo.content_type]}").unlink(missing_ok=True)
            return True
    return False


def draft_uploads(token: str) -> list[SimpleUploadedFile]:
    """The draft's photos as uploads for `case_submit_result` (checked again there)."""
    uploads = []
    for index, photo in enumerate(draft_photos(token), start=1):
        read = draft_read(token, photo.id)
        if read is not None:
            uploads.append(
                SimpleUploadedFile(
                    f"photo-{index}.{ALLOWED[photo.content_type]}", read[0], photo.content_type
                )
            )
    return uploads


def draft_discard(token: str) -> None:
    folder = _draft_dir(token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def drafts_prune(*, now: float | None = None) -> int:
    """Drop drafts nobody touched for a day (a report started and never sent)."""
    limit = (now or time.time()) - DRAFT_KEEP.total_seconds()
    dropped = 0
    for folder in _drafts_root().iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            dropped += 1
    return dropped
