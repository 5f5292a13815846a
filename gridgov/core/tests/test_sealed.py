"""Sealed files: chunked AES-GCM at rest, seekable plaintext, tampering and truncation detected."""

from __future__ import annotations

import io
import os
import stat

import pytest

from gridgov.core import sealed


@pytest.mark.parametrize(
    "size", [0, 1, sealed.CHUNK - 1, sealed.CHUNK, sealed.CHUNK + 1, 3 * sealed.CHUNK + 7]
)
def test_round_trip_and_random_access(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f.sealed"
    with sealed.SealedWriter(path) as writer:
        for start in range(0, size, 10_000):
            writer.write(data[start : start + 10_000])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A run of 16 random bytes turns up in ciphertext by chance never; one byte often does.
    assert data[:64] not in path.read_bytes() or size < 16
    assert sealed.read_sealed(path) == data
    with sealed.open_sealed(path) as handle:
        handle.seek(max(size - 5, 0))
        assert handle.read() == data[max(size - 5, 0) :]
        handle.seek(-min(size, 3), io.SEEK_END)
        assert handle.read(2) == data[size - min(size, 3) :][:2]


def test_zip_inside_a_sealed_file_opens_with_openpyxl(tmp_path):
    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    for number in range(3000):
        workbook.active.append([f"居民{number}", "430102195001010018", number])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "roster.sealed"
    sealed.seal_bytes(path, buffer.getvalue())
    with sealed.open_sealed(path) as handle:
        sheet = load_workbook(handle, read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3000 and rows[-1] == ("居民2999", "430102195001010018", 2999)
    assert b"430102195001010018" not in path.read_bytes()


def test_altered_or_truncated_files_are_refused(tmp_path):
    path = tmp_path / "f.sealed"
    sealed.seal_bytes(path, os.urandom(3 * sealed.CHUNK))
    raw = path.read_bytes()
    altered = bytearray(raw)
    altered[-1] ^= 1
    (tmp_path / "altered").write_bytes(bytes(altered))
    with pytest.raises(sealed.SealedFileError):
        sealed.read_sealed(tmp_path / "altered")
    # Cut at a chunk boundary: the new last chunk was not sealed as the last one.
    (tmp_path / "cut").write_bytes(raw[: len(sealed.MAGIC) + 8 + 2 * (sealed.CHUNK + 16)])
    with pytest.raises(sealed.SealedFileError):
        sealed.read_sealed(tmp_path / "cut")
    (tmp_path / "plain").write_bytes(b"PK\x03\x04 not ours")
    with pytest.raises(sealed.SealedFileError):
        sealed.open_sealed(tmp_path / "plain")


def test_private_dir(tmp_path):
    folder = sealed.private_dir(tmp_path / "a" / "imports")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
