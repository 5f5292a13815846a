"""How personal numbers look to someone who has not asked (and been allowed) to see them."""

from __future__ import annotations

import re


def mask_id_number(last4: str) -> str:
    return f"{'*' * 14}{last4}" if last4 else ""


def mask_phone(last4: str) -> str:
    return f"{'*' * 7}{last4}" if last4 else ""


def mask_value(value: str) -> str:
    """Mask a full plaintext value (for audit diffs): keep only the last four characters."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


# --- numbers typed into free text ------------------------------------------------------------
#
# Residents write a phone number every way a keyboard allows: 13800138000, 138-0013-8000,
# 138 0013 8000, +86 138…, full-width digits from a Chinese IME (１３８…), ID numbers in groups,
# landlines as 0731-8888 6666 or (0731)88886666. Full-width characters are folded to ASCII one
# for one, so a match in the folded text has the same span in the original.

_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "＋": "+",
        "－": "-",
        "—": "-",
        "（": "(",
        "）": ")",
        "．": ".",
        "\u3000": " ",
        "Ｘ": "X",
        "ｘ": "x",
    }
)
# 18 characters, the last a digit or X, in any grouping by spaces or dashes.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z*])[0-9](?:[ \-]?[0-9]){16}[ \-]?[0-9Xx](?![0-9A-Za-z])")
# An optional +86 / 0086 / 86, then 1[3-9]x xxxx xxxx with an optional separator between groups.
_MOBILE_IN_TEXT = re.compile(
    r"(?<![0-9*])(?:(?:\+|00)?86[ \-]?)?(?P<number>1[3-9][0-9][ \-.]?[0-9]{4}[ \-.]?[0-9]{4})(?![0-9])"
)
# An area code (0 + 2–3 digits, maybe in brackets) and a 7–8 digit number, maybe split 3/4+4.
_LANDLINE_IN_TEXT = re.compile(
    r"(?<![0-9*])(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[ \-]?(?P<number>[0-9]{3,4}[ \-]?[0-9]{4})(?![0-9])"
)


def _star(out: list[str], folded: list[str], start: int, end: int, *, keep: int = 0) -> None:
    """Replace the digits (and an ID's X) in [start, end) by "*", past the first `keep` digits."""
    seen = 0
    for index in range(start, end):
        if folded[index].isdigit() or folded[index] in "Xx":
            seen += 1
            if seen > keep:
                out[index] = folded[index] = "*"


def mask_numbers_in_text(text: str) -> str:
    """`text` with ID-card numbers masked whole, mobiles past their first three digits, and
    landlines past their area code (the last four digits of a phone prove a tracking code).

    Numbers written without an area code, or in Chinese numerals, are not recognised."""
    if not text:
        return text
    out = list(text)
    folded = list(text.translate(_FOLD))
    for match in _ID_IN_TEXT.finditer("".join(folded)):
        _star(out, folded, match.start(), match.end())
    for pattern, keep in ((_MOBILE_IN_TEXT, 3), (_LANDLINE_IN_TEXT, 0)):
        for match in pattern.finditer("".join(folded)):
            _star(out, folded, match.start("number"), match.end("number"), keep=keep)
    return "".join(out)
