from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from gridgov.core import crypto


def test_round_trip_and_random_nonce():
    first, second = crypto.encrypt("430102195001010018"), crypto.encrypt("430102195001010018")
    assert first != second
    assert "430102" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "430102195001010018"


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13812345678")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises((InvalidTag, ValueError)):
        crypto.decrypt(tampered)


def test_blind_index_is_keyed_and_kind_separated(settings):
    id_hash = crypto.blind_index("13812345678", kind="id")
    assert id_hash != crypto.blind_index("13812345678", kind="phone")
    assert id_hash == crypto.blind_index("13812345678", kind="id")
    settings.GRIDGOV_FIELD_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktISE="
    assert crypto.blind_index("13812345678", kind="id") != id_hash


def test_empty_values_stay_empty():
    assert crypto.encrypt("") == ""
    assert crypto.decrypt("") == ""
