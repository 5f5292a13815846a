"""Photo uploads: the type is read from the content, never from the name; location is stripped.

Pillow is not a dependency, so this reads the container formats directly: JPEG segments,
PNG chunks and WebP RIFF chunks. Metadata that can carry a GPS position (EXIF, XMP, text
chunks) is dropped before the file is stored, so nobody — public or staff — can read a
reporter's home position from a photo.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

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
