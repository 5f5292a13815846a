"""Spreadsheet uploads waiting for the worker: sealed on disk, bounded, deleted when done.

A roster holds full ID numbers and phones. The request only streams the upload into a sealed
(encrypted) file, refusing it past GRIDGOV_UPLOAD_MAX_BYTES or when its first bytes are not a
spreadsheet; everything that parses runs in the task worker. Files are 0600 in a 0700 folder
and are deleted as soon as their job no longer needs them, or by the periodic sweep after
GRIDGOV_IMPORT_KEEP_HOURS when nobody came back to confirm.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings

from gridgov.core.errors import field_error
from gridgov.core.sealed import SealedWriter, open_sealed, private_dir
from gridgov.core.text import strip_unwritable
from gridgov.transfer import readers

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

SUFFIX = ".sealed"
IMPORTS = "imports"  # registry imports (ImportJob): the upload, then its checked rows
CASE_LISTS = "case-lists"  # cases bulk lists (CaseListJob)


def upload_dir(folder: str = IMPORTS) -> Path:
    return private_dir(Path(settings.MEDIA_ROOT) / folder)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_size(uploaded: UploadedFile | None) -> None:
    """Refuse a missing, empty or too big upload before reading any of it."""
    if uploaded is None:
        raise field_error("file", "请选择要导入的文件")
    limit = settings.GRIDGOV_UPLOAD_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise field_error("file", f"文件过大（{megabytes(uploaded.size)}），上限为{megabytes(limit)}")
    if not uploaded.size:
        raise field_error("file", "文件是空的，请选择填好数据的文件")


@dataclass
class Stored:
    path: Path
    size: int
    original_name: str


def clean_name(name: str | None, default: str = "upload") -> str:
    """The file name as the user called it, safe to show and to store."""
    return strip_unwritable(Path(name or default).name).strip()[:255] or default


def store(uploaded: UploadedFile | None, *, folder: str = IMPORTS) -> Stored:
    """Stream an upload into a new sealed file; only its first bytes are looked at."""
    check_size(uploaded)
    assert uploaded is not None
    limit = settings.GRIDGOV_UPLOAD_MAX_BYTES
    original_name = clean_name(uploaded.name)
    path = upload_dir(folder) / f"{secrets.token_hex(16)}{SUFFIX}"
    with SealedWriter(path) as writer:
        head = b""
        for chunk in uploaded.chunks():
            if len(head) < 4096:
                head += chunk[: 4096 - len(head)]
            if writer.size + len(chunk) > limit:
                raise field_error("file", f"文件过大，上限为{megabytes(limit)}")
            writer.write(chunk)
        readers.check_head(head, original_name)
    return Stored(path=path, size=writer.size, original_name=original_name)


def opener(path: Path | str) -> Callable[[], BinaryIO]:
    """What readers take: a way to open the plaintext of a sealed upload (or spool)."""
    return lambda: open_sealed(Path(path))


def remove(*paths: Path | str | None) -> None:
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)


def sweep_orphans(folder: str, cutoff: dt.datetime, keep: Iterable[str]) -> int:
    """Delete files in an upload folder older than `cutoff` that no job refers to (a worker
    killed mid-way, a request that failed after writing). Returns how many went."""
    kept = {Path(path).name for path in keep if path}
    removed = 0
    for path in upload_dir(folder).iterdir():
        if path.name in kept or not path.is_file():
            continue
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
