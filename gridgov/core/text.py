from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_full(name: str) -> str:
    return "".join(lazy_pinyin(name)).lower()


def pinyin_initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
