"""`can_open`: whether to offer a link to a page, from the one page table (accounts.pages)."""

from __future__ import annotations

from typing import Any

from django import template

from gridgov.accounts import pages

register = template.Library()


@register.filter
def can_open(user: Any, name: str) -> bool:
    """`{% if request.user|can_open:"accounts:roles" %}` — the same rule the page's view applies."""
    return pages.can_open(user, name)
