"""Files with personal data at rest: encrypted in chunks, readable as a seekable stream.

An uploaded roster (ID numbers, phones) waits on disk for the worker, and the worker keeps the
checked rows until the user chooses. Both are written here: AES-256-GCM under a key derived from
GRIDGOV_FIELD_KEY, in chunks of 64 KiB so neither writing nor reading ever holds the whole file
in memory, files 0600 in folders 0700.

Layout: MAGIC, an 8-byte random file prefix, then chunks of at most CHUNK plaintext bytes, each
sealed with the nonce prefix + chunk number and with "is this the last chunk" bound in as
associated data. So a chunk cannot be moved, swapped with another file's, or the file cut short
at a chunk boundary, without decryption failing. Chunk sizes are fixed, so any offset maps to one
chunk: openpyxl can seek in a sealed .xlsx as zipfile needs, decrypting one chunk at a time.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gridgov.core.crypto import file_key

MAGIC = b"GGS1"
CHUNK = 64 * 1024
_TAG = 16
_PREFIX = 8
_HEADER = len(MAGIC) + _PREFIX


class SealedFileError(Exception):
    """The file is not one of ours, was changed, or was cut short."""


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by this user only; tighten it if it exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">IB", index, 1 if last else 0)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


class SealedWriter:
    """Write plaintext in; encrypted chunks go to a new 0600 file. Use as a context manager:
    leaving the block with an exception removes the partial file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._aead = AESGCM(file_key())
        self._prefix = os.urandom(_PREFIX)
        self._index = 0
        self._buffer = bytearray()
        self.size = 0  # plaintext bytes written
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._handle: IO[bytes] = os.fdopen(descriptor, "wb")
        self._handle.write(MAGIC + self._prefix)

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.size += len(data)
        # Keep the last full chunk back: only close() knows which chunk is the last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index), plaintext, _aad(self._index, last))
        self._handle.write(sealed)
        self._index += 1

    def close(self) -> None:
        if self._handle.closed:
            return
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._handle.close()

    def discard(self) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


class _SealedRaw(io.RawIOBase):
    """Random access to the plaintext of a sealed file, one decrypted chunk in memory."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")
        header = self._handle.read(_HEADER)
        if len(header) != _HEADER or not header.startswith(MAGIC):
            self._handle.close()
            raise SealedFileError("not a sealed file")
        self._prefix = header[len(MAGIC) :]
        self._aead = AESGCM(file_key())
        body = os.fstat(self._handle.fileno()).st_size - _HEADER
        self._chunks = max(1, -(-body // (CHUNK + _TAG)))
        last = body - (self._chunks - 1) * (CHUNK + _TAG)
        if last < _TAG:
            self._handle.close()
            raise SealedFileError("sealed file is truncated")
        self.length = (self._chunks - 1) * CHUNK + last - _TAG
        self._position = 0
        self._cached: tuple[int, bytes] | None = None

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        self._handle.seek(_HEADER + index * (CHUNK + _TAG))
        sealed = self._handle.read(CHUNK + _TAG)
        try:
            plain = self._aead.decrypt(
                _nonce(self._prefix, index), sealed, _aad(index, index == self._chunks - 1)
            )
        except InvalidTag:
            raise SealedFileError("sealed file was altered or cut short") from None
        self._cached = (index, plain)
        return plain

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._position >= self.length:
            return 0
        index, offset = divmod(self._position, CHUNK)
        piece = self._chunk(index)[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
            self._cached = None
        super().close()


def open_sealed(path: Path) -> io.BufferedReader:
    """The plaintext of a sealed file as a seekable binary stream (close it when done)."""
    return io.BufferedReader(_SealedRaw(path), buffer_size=CHUNK)


def plaintext_size(path: Path) -> int:
    """How many bytes the sealed file at `path` decrypts to, from its length alone."""
    raw = _SealedRaw(path)
    try:
        return raw.length
    finally:
        raw.close()


def seal_bytes(path: Path, data: bytes) -> None:
    with SealedWriter(path) as writer:
        writer.write(data)


def read_sealed(path: Path) -> bytes:
    with open_sealed(path) as handle:
        return handle.read()
