from __future__ import annotations

import functools
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from gridgov.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return selectors.unread_count(user)


@functools.cache
def _badge_urls(prefix: str, urlconf: str | None) -> tuple[str, str]:
    # The two links are the same for every page and user: reversed once per prefix and URLconf.
    return escape(reverse("notifications:inbox")), escape(reverse("notifications:badge"))


def badge_html(unread_n: int) -> SafeString:
    """The top bar's 通知 link with the unread count, polling for a new count every minute and
    when a page says its notifications changed (for a signed-in user)."""
    inbox, poll = _badge_urls(get_script_prefix(), get_urlconf())
    title = f"通知中心：{unread_n}条未读" if unread_n else "通知中心"
    count = ""
    if unread_n:
        shown = "99+" if unread_n > 99 else str(unread_n)
        count = f'<span class="notif-count" aria-label="{unread_n}条未读">{shown}</span>'
    return mark_safe(
        f'<a class="notif-badge" id="notif-badge" href="{inbox}" title="{title}"\n'
        f'   hx-get="{poll}" hx-trigger="every 60s, notifications-changed from:body" hx-swap="outerHTML">'
        f"通知{count}</a>"
    )


@register.simple_tag(takes_context=True)
def notification_badge(context: dict[str, Any]) -> SafeString:
    """`badge_html` for the context's user (nothing when nobody is signed in); `unread_n` in the
    context spares counting again."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return mark_safe("")
    unread_n = context.get("unread_n")
    return badge_html(selectors.unread_count(user) if unread_n is None else int(unread_n))
