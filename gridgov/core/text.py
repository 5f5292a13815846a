"""Text helpers: pinyin for search, and the one check every text from outside passes."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from pypinyin import Style, lazy_pinyin


def pinyin_full(name: str) -> str:
    return "".join(lazy_pinyin(name)).lower()


def pinyin_initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()


# --- text from outside: control, bidi and zero-width characters ------------------------------
#
# NUL breaks PostgreSQL and every export; other C0/C1 controls make the Open311 XML unreadable
# and openpyxl refuse the cell. Bidi controls reorder what a reader sees ("Trojan Source"), and
# zero-width characters make two names that look the same differ (a search or a duplicate check
# misses them). Lone surrogates cannot be encoded at all. None of these is typed by a person.

# C0 controls except tab, LF and CR; DEL; C1 controls; lone surrogates; the two noncharacters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Line breaks and tabs: fine in a note, not in a name, a room number or a phone.
_LINE = re.compile("[\t\n\r\u2028\u2029\x85]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Explicit embedding/override/isolate controls: refused even in multi-line text. The marks
# (LRM, RLM, ALM) and zero-width joiners are left to multi-line text: emoji sequences use ZWJ.
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e\u2066-\u2069]")
# What no file we write may carry: XML 1.0 forbids these, openpyxl refuses them.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def text_problem(value: str, label: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be accepted for the field called `label` (Chinese), or None."""
    if not value:
        return None
    if _CONTROL.search(value):
        return f"{label}含有不允许的控制字符，请删除后重新填写"
    if multiline:
        if _BIDI_OVERRIDE.search(value):
            return f"{label}含有不允许的文字方向控制字符，请删除后重新填写"
        return None
    if _LINE.search(value):
        return f"{label}不能包含换行符或制表符，请写在一行内"
    if _BIDI.search(value):
        return f"{label}含有不允许的文字方向控制字符，请删除后重新填写"
    if _ZERO_WIDTH.search(value):
        return f"{label}含有看不见的零宽字符，请删除后重新填写"
    return None


def strip_unwritable(value: str) -> str:
    """`value` without the characters an xlsx, CSV or XML file cannot hold (for rows stored
    before the boundary refused them)."""
    return _UNWRITABLE.sub("", value) if value else value


@deconstructible
class SafeTextValidator:
    """Django validator form of `text_problem`, bound to one field's label."""

    code = "unsafe_characters"

    def __init__(self, label: str, *, multiline: bool = False) -> None:
        self.label = label
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        problem = text_problem(str(value), self.label, multiline=self.multiline)
        if problem:
            raise ValidationError(problem, code=self.code)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SafeTextValidator):
            return NotImplemented
        return (self.label, self.multiline) == (other.label, other.multiline)

    def __hash__(self) -> int:
        return hash((self.label, self.multiline))


def checked_text(
    value: Any, field: str, label: str, *, max_length: int, required: bool = True, multiline: bool = False
) -> str:
    """`value` stripped, or a ValidationError on `field` naming `label`: empty when required, too
    long, or carrying control, bidi or zero-width characters."""
    from gridgov.core.errors import field_error

    text = str(value or "").strip()
    if required and not text:
        raise field_error(field, f"请填写{label}")
    if len(text) > max_length:
        raise field_error(field, f"{label}不能超过{max_length}个字")
    problem = text_problem(text, label, multiline=multiline)
    if problem:
        raise field_error(field, problem)
    return text
