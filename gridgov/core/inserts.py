"""One new row's INSERT with its SQL built once per model and database, for the few rows every
request writes (a new case and its timeline row).

`Model.objects.create` compiles the INSERT through the ORM's layers on each call; for a case's
forty columns that was more Python than the database took to store it. `insert_new` builds the
statement once, adapts each value the way the ORM's compiler does (`pre_save`, then
`get_db_prep_save`) and reads the new primary key back, so the row and the instance come out as
`create` leaves them, generated columns (`GeneratedField`) read back with it. Anything the
shortcut does not cover (an expression as a value, a database default, a field with its own
placeholder, a primary key already set, a database that cannot return columns) goes through
`save()`. `insert_only` writes rows whose keys nobody needs and reads nothing back.
No signal is sent: the project connects none (see DESIGN: "No signals").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import NOT_PROVIDED

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Statement:
    sql: str
    head: str  # "INSERT INTO table (columns)", for `insert_only`'s rows
    fields: tuple[Any, ...]
    # What the INSERT reads back (the primary key first, then the generated columns), each with
    # the converters the ORM's own insert applies to it.
    returned: tuple[tuple[Any, tuple[Any, ...]], ...]


# (vendor, model) → its statement, or None when the model needs the ORM's own path.
_STATEMENTS: dict[tuple[str, type[models.Model]], _Statement | None] = {}


def _statement(connection: Any, model: type[models.Model]) -> _Statement | None:
    meta = model._meta
    if meta.auto_field is None or not connection.features.can_return_columns_from_insert:
        return None
    returned = tuple(meta.db_returning_fields)
    if returned[0] is not meta.pk or any(not getattr(field, "generated", False) for field in returned[1:]):
        return None  # a database-default column to read back: the ORM's path
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not getattr(field, "generated", False)
    )
    if any(field.db_default is not NOT_PROVIDED or hasattr(field, "get_placeholder") for field in fields):
        return None
    quote = connection.ops.quote_name
    suffix, _params = connection.ops.return_insert_columns(list(returned))
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
    sql = f"{head} VALUES ({', '.join(['%s'] * len(fields))}) {suffix}"
    converted = []
    for field in returned:
        column = field.get_col(meta.db_table)
        converters = (*connection.ops.get_db_converters(column), *column.get_db_converters(connection))
        converted.append((field, tuple(converters)))
    return _Statement(sql=sql, head=head, fields=fields, returned=tuple(converted))


def bound_cursor(connection: Any) -> Any:
    """A cursor for a statement whose SQL never changes and whose values are plain columns (an
    INSERT's): on PostgreSQL its values are bound by the server and dumped by psycopg's C code,
    not quoted into the SQL in Python as Django's cursors do (forty columns of a case took longer
    to quote than to store). Not prepared by psycopg: a connection that has prepared anything
    deallocates all its statements at each ROLLBACK, core.compiled's among them. Wrapped as
    Django wraps its own cursors, so query logs and counts see it."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _values(statement: _Statement, obj: models.Model, connection: Any) -> list[Any] | None:
    """The INSERT's parameters for `obj` as the ORM's compiler adapts them; None when a value is
    an expression (the ORM's own path must compile it)."""
    # What save() checks first: no unsaved related object, foreign keys up to date.
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    values = []
    for field in statement.fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            return None
        values.append(field.get_db_prep_save(value, connection))
    return values


def insert_only(objs: Sequence[models.Model]) -> None:
    """INSERT the unsaved `objs` (one model, no primary keys yet) in the caller's transaction in one
    statement that reads nothing back: their keys stay unset. For rows nobody reads again in the
    request (an audit row, a notice); inside `core.pipeline.atomic_pipelined` such a statement
    waits for no answer of its own."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[DEFAULT_DB_ALIAS]
    statement = _cached(connection, model)
    rows = [_values(statement, obj, connection) for obj in objs] if statement is not None else []
    if statement is None or any(
        row is None or obj.pk is not None for row, obj in zip(rows, objs, strict=True)
    ):
        model._default_manager.bulk_create(objs)  # the ORM's path: correct, and reads the keys back
        return
    one = "(" + ", ".join(["%s"] * len(statement.fields)) + ")"
    with bound_cursor(connection) as cursor:
        cursor.execute(
            f"{statement.head} VALUES {', '.join([one] * len(objs))}",
            [value for row in rows for value in row or ()],
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def _cached(connection: Any, model: type[models.Model]) -> _Statement | None:
    key = (connection.vendor, model)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _statement(connection, model)
    return _STATEMENTS[key]


def insert_new(obj: M) -> M:
    """INSERT the unsaved `obj` (no primary key yet) in the caller's transaction, as
    `type(obj).objects.create(...)` would, and return it saved."""
    connection = connections[DEFAULT_DB_ALIAS]
    statement = _cached(connection, type(obj))
    values = _values(statement, obj, connection) if statement is not None and obj.pk is None else None
    if statement is None or values is None:
        obj.save(force_insert=True)
        return obj
    with bound_cursor(connection) as cursor:
        cursor.execute(statement.sql, values)
        row = cursor.fetchone()
    for (field, converters), value in zip(statement.returned, row, strict=True):
        for converter in converters:
            value = converter(value, field, connection)
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj
