"""Uploaded files at rest: every FileField's file sealed on disk (core.sealed), plaintext only in
the process that serves it.

Case photos show faces, doorways and licence plates; a care visit's photos show a vulnerable
resident at home. Like the rosters waiting for the worker, they are personal data and are not
kept in clear (个人信息保护法, DESIGN.md §6): this storage seals what it is given and opens a
seekable plaintext stream, so `FieldFile.open()` and `FileResponse` work as with plain files.
Files written before sealing began read as they are until `gridgov seal_uploads` seals them.

Nothing is served from MEDIA_URL (no URL maps it): each kind of file has its own scope-checked view.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from gridgov.core.errors import NotFound
from gridgov.core.sealed import MAGIC, SealedWriter, open_sealed, plaintext_size, private_dir


def is_sealed(path: Path) -> bool:
    """Whether the file at `path` begins as a sealed file does (a photo never does)."""
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


class SealedFileStorage(FileSystemStorage):
    """FileSystemStorage whose files are sealed: written through `SealedWriter` (0600 files in
    0700 folders), read back decrypted; `size` is the plaintext's."""

    def _save(self, name: str, content: File) -> str:
        while True:
            full = Path(self.path(name))
            private_dir(full.parent)
            try:
                with SealedWriter(full) as writer:
                    if hasattr(content, "seek"):
                        content.seek(0)
                    for chunk in content.chunks():
                        writer.write(chunk)
            except FileExistsError:
                # Another upload took the name between the availability check and the write.
                name = self.get_available_name(name)
                continue
            return str(name).replace("\\", "/")

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("sealed files are written through save(), not opened for writing")
        full = Path(self.path(name))
        handle: IO[bytes] = open_sealed(full) if is_sealed(full) else full.open("rb")
        return File(handle, name)

    def size(self, name: str) -> int:
        full = Path(self.path(name))
        return plaintext_size(full) if is_sealed(full) else os.path.getsize(full)


def seal_in_place(path: Path) -> bool:
    """Seal a file written in clear before this storage was used; False where it already is."""
    if is_sealed(path):
        return False
    sealed = path.with_name(path.name + ".sealing")
    sealed.unlink(missing_ok=True)
    with path.open("rb") as source, SealedWriter(sealed) as writer:
        while chunk := source.read(1024 * 1024):
            writer.write(chunk)
    os.replace(sealed, path)
    return True


def photo_response(file: FieldFile, content_type: str) -> FileResponse:
    """An uploaded photo for a view that has already checked the reader's scope; NotFound where
    its file is gone from the disk (as missing as the photo itself)."""
    try:
        handle = file.open("rb")
    except OSError:
        raise NotFound() from None
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
