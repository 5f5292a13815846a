"""One new row's INSERT with its SQL built once per model and database, for the few rows every
request writes (a new case and its timeline row).

`Model.objects.create` compiles the INSERT through the ORM's layers on each call; for a case's
forty columns that was more Python than the database took to store it. `insert_new` builds the
statement once, adapts each value the way the ORM's compiler does (`pre_save`, then
`get_db_prep_save`) and reads the new primary key back, so the row and the instance come out as
`create` leaves them. Anything the shortcut does not cover (an expression as a value, a database
default, a field with its own placeholder, a primary key already set) goes through `save()`.
No signal is sent: the project connects none (see DESIGN: "No signals").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import NOT_PROVIDED

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Statement:
    sql: str
    fields: tuple[Any, ...]
    returning: bool


# (vendor, model) → its statement, or None when the model needs the ORM's own path.
_STATEMENTS: dict[tuple[str, type[models.Model]], _Statement | None] = {}


def _statement(connection: Any, model: type[models.Model]) -> _Statement | None:
    meta = model._meta
    if meta.auto_field is None or meta.db_returning_fields != [meta.pk]:
        return None  # a generated or database-default column to read back: the ORM's path
    fields = tuple(field for field in meta.local_concrete_fields if field is not meta.auto_field)
    if any(field.db_default is not NOT_PROVIDED or hasattr(field, "get_placeholder") for field in fields):
        return None
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    returning = bool(connection.features.can_return_columns_from_insert)
    if returning:
        suffix, _params = connection.ops.return_insert_columns([meta.pk])
        sql = f"{sql} {suffix}"
    return _Statement(sql=sql, fields=fields, returning=returning)


def insert_new(obj: M) -> M:
    """INSERT the unsaved `obj` (no primary key yet) in the caller's transaction, as
    `type(obj).objects.create(...)` would, and return it saved."""
    model = type(obj)
    connection = connections[DEFAULT_DB_ALIAS]
    key = (connection.vendor, model)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _statement(connection, model)
    statement = _STATEMENTS[key]
    values = []
    if statement is not None and obj.pk is None:
        # What save() checks first: no unsaved related object, foreign keys up to date.
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        for field in statement.fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                statement = None
                break
            values.append(field.get_db_prep_save(value, connection))
    if statement is None or obj.pk is not None:
        obj.save(force_insert=True)
        return obj
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, values)
        if statement.returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    setattr(obj, meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj
