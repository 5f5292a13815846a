"""Django's database sessions, the row of every signed-in page load read by a compiled query.

`SessionStore._get_session_from_db` builds and compiles `Session.objects.get(...)` on each
request; here the same query is compiled once per connection (and prepared on PostgreSQL, see
core.compiled), which on the workbench was a tenth of the page's Python. Everything else, the
writes, the expiry and the cookie, is Django's own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from gridgov.core.compiled import CompiledQuery


def _live_session(session_key: str, now: dt.datetime) -> QuerySet[Any]:
    return Session.objects.filter(session_key=session_key, expire_date__gt=now).values_list(
        "session_data", "expire_date"
    )


_LIVE_SESSION = CompiledQuery(_live_session, kinds=(str, dt.datetime))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = _LIVE_SESSION.rows(key, timezone.now()) if key else []
        if not key or not found:
            self._session_key = None  # as Django's: a missing or expired session starts anew
            return None
        session_data, expire_date = found[0]
        return Session(session_key=key, session_data=session_data, expire_date=expire_date)
