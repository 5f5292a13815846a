"""Field encryption and blind indexes for personal data (个人信息保护法).

Ciphertext is AES-256-GCM with a random nonce, so equal plaintexts give different
ciphertexts; lookups therefore go through a keyed HMAC ("blind index") instead.
Both keys are derived from GRIDGOV_FIELD_KEY with HKDF so that one leaked derived key
does not give the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "v1:"


@lru_cache(maxsize=4)
def _derive(master: str, purpose: bytes) -> bytes:
    raw = base64.urlsafe_b64decode(master.encode() + b"=" * (-len(master) % 4))
    if len(raw) < 32:
        raise ValueError("GRIDGOV_FIELD_KEY must be at least 32 bytes of urlsafe base64")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gridgov", info=purpose).derive(raw)


def _enc_key() -> bytes:
    return _derive(settings.GRIDGOV_FIELD_KEY, b"field-encryption")


def _hash_key() -> bytes:
    return _derive(settings.GRIDGOV_FIELD_KEY, b"blind-index")


def file_key() -> bytes:
    """The key for files kept on disk (uploads waiting for the worker, their checked rows):
    derived from the field key like the others, for gridgov.core.sealed only."""
    return _derive(settings.GRIDGOV_FIELD_KEY, b"file-encryption")


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    nonce = os.urandom(12)
    sealed = AESGCM(_enc_key()).encrypt(nonce, plaintext.encode(), None)
    return _PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(_PREFIX):
        raise ValueError("unknown ciphertext version")
    blob = base64.b64decode(token[len(_PREFIX) :])
    return AESGCM(_enc_key()).decrypt(blob[:12], blob[12:], None).decode()


def blind_index(value: str, *, kind: str) -> str:
    """Keyed hash for exact lookup; `kind` keeps an ID number and a phone from colliding."""
    message = f"{kind}:{value}".encode()
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()
