"""How personal numbers look to someone who has not asked (and been allowed) to see them."""

from __future__ import annotations


def mask_id_number(last4: str) -> str:
    return f"{'*' * 14}{last4}" if last4 else ""


def mask_phone(last4: str) -> str:
    return f"{'*' * 7}{last4}" if last4 else ""


def mask_value(value: str) -> str:
    """Mask a full plaintext value (for audit diffs): keep only the last four characters."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]
