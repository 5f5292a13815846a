"""Uploaded files are sealed on disk and read back whole; files from before are sealed by a command."""

from __future__ import annotations

import io
import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from gridgov.core.sealed import MAGIC

# Several 64 KiB chunks, with a marker that would show if any of it were written in clear.
PHOTO = b"\xff\xd8\xff" + b"RESIDENT-AT-HOME" * 20_000


def test_a_saved_file_is_sealed_on_disk_private_and_reads_back_whole(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("care/2026/12/visit.jpg", ContentFile(PHOTO))
    on_disk = tmp_path / name
    raw = on_disk.read_bytes()
    assert raw.startswith(MAGIC) and b"RESIDENT-AT-HOME" not in raw
    assert stat.S_IMODE(on_disk.stat().st_mode) == 0o600
    assert stat.S_IMODE(on_disk.parent.stat().st_mode) == 0o700
    assert default_storage.size(name) == len(PHOTO)
    with default_storage.open(name) as handle:
        assert handle.read() == PHOTO
    with default_storage.open(name) as handle:
        handle.seek(len(PHOTO) - 5)
        assert handle.read() == PHOTO[-5:]

    again = default_storage.save("care/2026/12/visit.jpg", ContentFile(b"\x89PNG second"))
    assert again != name
    with default_storage.open(again) as handle:
        assert handle.read() == b"\x89PNG second"
    with default_storage.open(name) as handle:
        assert handle.read() == PHOTO


def test_a_sealed_file_is_never_opened_for_writing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("cases/x.png", ContentFile(b"\x89PNG"))
    for mode in ("wb", "ab", "r+b"):
        with pytest.raises(ValueError, match="save"):
            default_storage.open(name, mode)


def test_files_from_before_read_as_they_are_until_seal_uploads_seals_them(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "cases" / "2025" / "03"
    folder.mkdir(parents=True)
    (folder / "old.jpg").write_bytes(PHOTO)
    name = "cases/2025/03/old.jpg"
    with default_storage.open(name) as handle:
        assert handle.read() == PHOTO
    default_storage.save("cases/2026/12/new.jpg", ContentFile(b"\xff\xd8\xff new"))

    out = io.StringIO()
    call_command("seal_uploads", stdout=out)
    assert out.getvalue().strip() == "已加密 1 个文件，1 个文件原已加密"
    raw = (folder / "old.jpg").read_bytes()
    assert raw.startswith(MAGIC) and b"RESIDENT-AT-HOME" not in raw
    assert default_storage.size(name) == len(PHOTO)
    with default_storage.open(name) as handle:
        assert handle.read() == PHOTO
    assert sorted(p.name for p in folder.iterdir()) == ["old.jpg"]

    out = io.StringIO()
    call_command("seal_uploads", stdout=out)
    assert out.getvalue().strip() == "已加密 0 个文件，2 个文件原已加密"
