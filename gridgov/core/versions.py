"""Version tokens of configuration that processes cache in memory (`core.models.ConfigVersion`).

A writer calls `bump(name)` inside the transaction of its change; a reader calls `current(name)`
(one indexed row) and rebuilds its copy when the token differs from the one it was built with.
Read the token *before* the rows it guards: a change committed in between then only costs an
extra rebuild, never a stale copy kept under the new token.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, connection, transaction

from gridgov.core.models import ConfigVersion

_CURRENT_SQL = "SELECT token FROM {table} WHERE name = %s"


def current(name: str) -> str:
    """The token now committed for `name` ("" before its first change). Plain SQL: it runs on
    every use of a cached configuration, and the ORM would compile the same query each time."""
    table = connection.ops.quote_name(ConfigVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_SQL.format(table=table), [name])
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def bump(name: str) -> str:
    """A new token for `name`, in the caller's transaction: visible to others when it commits."""
    token = secrets.token_hex(16)
    if ConfigVersion.objects.filter(name=name).update(token=token):
        return token
    try:
        with transaction.atomic():
            ConfigVersion.objects.create(name=name, token=token)
    except IntegrityError:  # a concurrent first change created the row: take it over
        ConfigVersion.objects.filter(name=name).update(token=token)
    return token
