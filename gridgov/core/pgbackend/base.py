"""Django's PostgreSQL backend, loading `timestamptz` with psycopg's C loader.

Django registers a Python subclass of psycopg's pure-Python `TimestamptzLoader` so it can stamp
each value with the connection's zone; on a page of fifty cases that parse was the largest piece
of Python in the request. With the session's TimeZone at UTC, which Django sets whenever USE_TZ
is on, the C loader already gives values in `datetime.timezone.utc`, exactly what Django's
loader gives. So when the connection's zone is UTC this backend registers the C loader instead
(with the `timezone` attribute Django's cursors compare against); any other zone keeps Django's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.backends.postgresql import base
from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.pq import Format

_C_LOADER: Any = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
_FAST = _C_LOADER is not None and _C_LOADER.__module__.startswith("psycopg_binary")


class UtcTimestamptzLoader(Loader):
    """psycopg's C `timestamptz` loader behind the `timezone` attribute Django's cursors read (the
    C class cannot be subclassed): `load` is the C loader's own bound method, no Python frame."""

    timezone = dt.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._c_loader = _C_LOADER(oid, context)
        self.load = self._c_loader.load  # type: ignore[method-assign]

    def load(self, data: Any) -> dt.datetime:  # shadowed by the instance's own `load`
        return self._c_loader.load(data)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if _FAST and self.timezone == dt.UTC:
            connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
        return connection
