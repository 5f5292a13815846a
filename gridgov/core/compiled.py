"""Querysets compiled to SQL once per connection, for the few reads every request makes.

Building a queryset and compiling it costs more Python than fetching its rows when the query is
run on every request (the API token's owner, their roles). `CompiledQuery` compiles the queryset
once per connection with stand-in values, finds where each stand-in went among the parameters,
and then runs the same SQL with the caller's values in their places, applying the ORM's own
converters to the rows. When a stand-in does not come out as exactly one parameter (a lookup that
rewrites its value, say), it keeps to the ORM for that connection: slower, never wrong.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import QuerySet

# Values no real parameter takes: ints below every id, strings with a NUL no text may hold,
# moments in the first microseconds of 1900 (before any row of this system was written).
_INT_STAND_IN_BASE = -990_100_000
_MOMENT_STAND_IN_BASE = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
KINDS = (int, str, dt.datetime)
# Constants a statement may carry in its text (`literals=True`): the choices' codes, nothing to quote.
_LITERAL = re.compile(r"[a-z_]+")


def _stand_in(index: int, kind: type) -> Any:
    if kind is int:
        return _INT_STAND_IN_BASE - index
    if kind is dt.datetime:
        # Where the database takes moments as text (SQLite) it comes out rewritten: the ORM's path.
        return _MOMENT_STAND_IN_BASE + dt.timedelta(microseconds=index + 1)
    return f"\x00stand-in-{index}\x00"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    numbered: str  # the same with $1, $2 … for PREPARE (PostgreSQL), "" elsewhere
    # Per parameter: the index of the caller's value, None for a constant, or (index, before,
    # after) for a text value the ORM wrapped (a `startswith`'s "value%"): before + value + after.
    slots: tuple[int | tuple[int, str, str] | None, ...]
    constants: tuple[Any, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]


_INSTANCES = itertools.count(1)
# "cached plan must not change result type" (a column it returns was altered) and "prepared
# statement … does not exist" (deallocated behind our back).
_CHANGED = psycopg.errors.FeatureNotSupported
_STALE = (_CHANGED, psycopg.errors.InvalidSqlStatementName)
# Per psycopg connection: the statements prepared on it (a reconnection starts with none).
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def execute_prepared(cursor: Any, name: str, numbered_sql: str, values: Sequence[Any]) -> None:
    """PostgreSQL: run `numbered_sql` ($1, $2 … placeholders) as the prepared statement `name` of
    the cursor's connection with `values`, preparing it on that connection's first use.

    A statement the server no longer has (DEALLOCATE, DISCARD ALL) or can no longer run as planned
    (a migration changed a column it returns) is prepared again: at once when no transaction is
    open, else the error reaches the caller and the connection's next use prepares it afresh, so a
    running server heals after a migration without a restart."""
    prepared = _PREPARED.setdefault(cursor.db.connection, set())
    execute = f"EXECUTE {name}({', '.join(['%s'] * len(values))})"
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {numbered_sql}")
        prepared.add(name)
    try:
        cursor.execute(execute, values)
    except DatabaseError as error:
        if not isinstance(error.__cause__, _STALE):
            raise
        prepared.discard(name)
        if cursor.db.in_atomic_block:
            raise  # the transaction is aborted: nothing more may run in it
        if isinstance(error.__cause__, _CHANGED):
            cursor.execute(f"DEALLOCATE {name}")
        cursor.execute(f"PREPARE {name} AS {numbered_sql}")
        prepared.add(name)
        cursor.execute(execute, values)


class CompiledQuery:
    """`build(*values)` is a values_list() queryset; `rows(*values)` runs its SQL compiled once per
    connection. `kinds` gives each value's type (int, str or an aware datetime) so the stand-ins can take its place.
    On PostgreSQL the SQL is also a prepared statement, named after `build`: planned once per
    connection (a join of a few tables took longer to plan than to run). `literals` puts the
    queryset's constant codes (the states …) into the statement's text, so the generic plan can
    count on the partial indexes they match: with them as parameters PostgreSQL judged the generic
    plan dear and planned the statement afresh on every run."""

    def __init__(
        self, build: Callable[..., QuerySet[Any]], kinds: Sequence[type], *, literals: bool = False
    ) -> None:
        if not set(kinds) <= set(KINDS):
            raise TypeError(f"CompiledQuery: values may be {KINDS}, not {kinds}")
        # Unique in the process: two instances may share a `build` (one per shape of its values).
        self._name = f"gridgov_q{next(_INSTANCES)}_" + re.sub(r"\W", "_", build.__qualname__).lower()[:40]
        self._build = build
        self._kinds = tuple(kinds)
        self._literals = literals
        self._per_connection: weakref.WeakKeyDictionary[Any, _Compiled | None] = weakref.WeakKeyDictionary()

    def _compiled_here(self) -> _Compiled | None:
        connection = connections[DEFAULT_DB_ALIAS]
        if connection not in self._per_connection:
            self._per_connection[connection] = self._compile(connection)
        return self._per_connection[connection]

    def _params(self, compiled: _Compiled, values: Sequence[Any]) -> list[Any] | None:
        """The statement's parameters for the caller's `values`; None where the ORM must build the
        query itself (a value the ORM would escape inside a LIKE pattern)."""
        connection = connections[DEFAULT_DB_ALIAS]
        params = []
        for position, slot in enumerate(compiled.slots):
            if slot is None:
                params.append(compiled.constants[position])
            elif isinstance(slot, int):
                params.append(values[slot])
            else:
                index, before, after = slot
                if connection.ops.prep_for_like_query(values[index]) != values[index]:
                    return None  # the ORM escapes % _ \ inside a pattern
                params.append(f"{before}{values[index]}{after}")
        return params

    def numbered_with(self, *values: Any) -> tuple[str, list[Any]] | None:
        """PostgreSQL: the SQL ($1, $2 … placeholders) and its parameters for `values`, for a
        caller that runs it inside a statement of its own (a scalar subquery, say) and applies no
        converters; None elsewhere, or where only the ORM can build it."""
        compiled = self._compiled_here()
        if compiled is None or not compiled.numbered:
            return None
        params = self._params(compiled, values)
        return None if params is None else (compiled.numbered, params)

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        """The rows `build(*values)` gives, in its order, as values_list() would give them."""
        connection = connections[DEFAULT_DB_ALIAS]
        compiled = self._compiled_here()
        if compiled is None:
            return list(self._build(*values))
        params = self._params(compiled, values)
        if params is None:
            return list(self._build(*values))
        with connection.cursor() as cursor:
            if compiled.numbered:
                execute_prepared(cursor, self._name, compiled.numbered, params)
            else:
                cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if not compiled.converters:
            return fetched
        converted = []
        for row in fetched:
            items = list(row)
            for position, functions, expression in compiled.converters:
                value = items[position]
                for function in functions:
                    value = function(value, expression, connection)
                items[position] = value
            converted.append(tuple(items))
        return converted

    def _compile(self, connection: Any) -> _Compiled | None:
        stand_ins = [_stand_in(index, kind) for index, kind in enumerate(self._kinds)]
        queryset = self._build(*stand_ins)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        where = {value: index for index, value in enumerate(stand_ins)}
        texts = [(index, value) for index, value in enumerate(stand_ins) if isinstance(value, str)]
        slots: list[int | tuple[int, str, str] | None] = []
        for param in params:
            hashable = isinstance(param, int | str | dt.datetime) and not isinstance(param, bool)
            slot: int | tuple[int, str, str] | None = where.get(param) if hashable else None
            if slot is None and isinstance(param, str) and "\x00" in param:
                inside = [(index, value) for index, value in texts if value in param]
                if len(inside) != 1:
                    return None  # stand-ins merged or mangled into one parameter
                index, value = inside[0]
                before, _, after = param.partition(value)
                slot = (index, before, after)
            slots.append(slot)
        used = {slot if isinstance(slot, int) else slot[0] for slot in slots if slot is not None}
        if used != set(range(len(stand_ins))):
            return None  # a stand-in vanished or was rewritten
        if any(str(value) in sql for value in stand_ins):
            return None  # a value went into the SQL text instead of a parameter
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(
                [expression for expression, _, _ in compiler.select]
            ).items()
        )
        numbered = ""
        constants = tuple(params)
        if connection.vendor == "postgresql":
            numbers, pending = itertools.count(1), iter(zip(slots, params, strict=True))
            kept: list[tuple[int | tuple[int, str, str] | None, Any]] = []

            def placeholder(match: re.Match[str]) -> str:
                if match.group(1) == "%":
                    return "%"
                slot, param = next(pending)
                if self._literals and slot is None and isinstance(param, str) and _LITERAL.fullmatch(param):
                    return f"'{param}'"
                kept.append((slot, param))
                return f"${next(numbers)}"

            numbered = re.sub(r"%([%s])", placeholder, sql)
            # PostgreSQL runs only `numbered`: its slots are the placeholders left in it.
            slots = [slot for slot, _ in kept]
            constants = tuple(param for _, param in kept)
        return _Compiled(
            sql=sql, numbered=numbered, slots=tuple(slots), constants=constants, converters=converters
        )
