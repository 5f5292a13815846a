"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models

from gridgov.core import crypto


class EncryptedTextField(models.TextField):
    """Text kept encrypted at rest with gridgov.core.crypto (AES-GCM, random nonce): the model
    attribute holds the plaintext, the column the ciphertext. For credentials (a robot's webhook
    key, a signing secret), never for anything looked up: equal values give unequal ciphertexts,
    so a filter on the field matches nothing."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value
