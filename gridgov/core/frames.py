"""A page's frame (base.html: the menu, the user's name, the phone tab bar, the page's own fixed
markup) rendered once per process for each user standing, and filled on every request.

The workbench is the page a grid worker reloads all day. Its frame is the same on every request of
the same person: what changes is the list, the counts, the CSRF token and the time the alarm
polls from. Drawing the frame through the template engine cost more than everything else on the
page together, so `render_framed` renders the page with a stand-in in each of those places the
first time, keeps the text around the stand-ins, and afterwards only joins it with the
request's values.

What the frame may depend on is the key: the page and its path, the language, and the user's
id, name, activity and capabilities (the menu and the tab bar derive from those alone, see
`accounts.pages`). base.html says so at its top; anything else it starts to show must be a slot.
A page with messages to show is rendered whole; beyond GRIDGOV_FRAME_CACHE_SIZE frames, the least
recently used is dropped and drawn again when its user next comes.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from gridgov.accounts.scope import capabilities_anywhere, is_unrestricted

# Letters and digits only: no escaping or filter changes them, and no user can guess them.
_NONCE = secrets.token_hex(8)


def _stand_in(name: str) -> str:
    return f"ggframe{_NONCE}{name}x"


_STAND_IN = re.compile(rf"ggframe{_NONCE}([a-z_]+)x")

# key → the frame's text split at its stand-ins: literal, slot name, literal, … literal.
_frames: OrderedDict[tuple[Hashable, ...], tuple[str, ...]] = OrderedDict()
_lock = threading.Lock()


def frame_key(request: HttpRequest, template_name: str, *extra: Hashable) -> tuple[Hashable, ...]:
    """What the frame of `template_name` for this request's user looks like depends on (and `extra`:
    the page's own choices, such as which tabs it shows)."""
    user: Any = request.user
    return (
        template_name,
        request.path,
        get_language(),
        user.pk,
        str(user),
        user.is_active,
        is_unrestricted(user),
        frozenset(capabilities_anywhere(user)),
        *extra,
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(_STAND_IN.split(text))


def render_framed(
    request: HttpRequest,
    template_name: str,
    context: Mapping[str, Any],
    *,
    key: tuple[Hashable, ...],
    slots: Mapping[str, Any],
) -> HttpResponse:
    """`render(request, template_name, {**context, **slots})` for a page whose `slots` (context
    names, each shown as it is, never tested or filtered by the template) are all that differs
    between requests with the same `key` (see `frame_key`). The CSRF token is always a slot: the
    context's own, if the page's parts were drawn with one, so that the page carries one token."""
    filled = {**slots, "csrf_token": context.get("csrf_token") or get_token(request)}
    if len(get_messages(request)):
        # Messages are shown once and then gone: not part of any frame.
        return render(request, template_name, {**context, **filled})
    with _lock:
        parts = _frames.get(key)
        if parts is not None:
            _frames.move_to_end(key)
    if parts is None:
        stand_ins = {name: _stand_in(name) for name in filled}
        text = render(request, template_name, {**context, **stand_ins}).content.decode()
        parts = _split(text)
        if len(parts) > 1:
            with _lock:
                _frames[key] = parts
                while len(_frames) > settings.GRIDGOV_FRAME_CACHE_SIZE:
                    _frames.popitem(last=False)
    values = {name: str(conditional_escape(value)) for name, value in filled.items()}
    # Odd positions are the slots' names, even positions the frame's own text.
    return HttpResponse("".join(values[part] if i % 2 else part for i, part in enumerate(parts)))


def forget_frames() -> None:
    """Drop every kept frame (tests; a deployment restarts its workers instead)."""
    with _lock:
        _frames.clear()
