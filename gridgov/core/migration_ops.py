"""Migration operations that keep a large table writable while its indexes change.

Django moves a uniqueness from a field to a named constraint by dropping the field's unique
index and building a new one under ACCESS EXCLUSIVE, and renames an index by building it again:
on a street's million cases that held every intake and every queue for about half a minute. Where
the index PostgreSQL already has is the one wanted, renaming it is instant and changes nothing
else; anywhere else (SQLite, or a schema that is not what the earlier migrations made) Django's
own operations run unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.migrations.operations.base import Operation


@dataclass(frozen=True)
class KeptIndex:
    """An index on one column that already exists and only changes its name (and loses the
    `varchar_pattern_ops` twin Django made beside it)."""

    column: str
    name: str
    unique: bool


class RenameExistingIndexes(Operation):
    """`operations`' state change; on PostgreSQL, when every `kept` index is found on `table`,
    its database change is done by renaming them instead (the other operations must be the ones
    that would rebuild exactly those indexes)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, table: str, kept: list[KeptIndex], operations: list[Operation]):
        self.table = table
        self.kept = kept
        self.operations = operations
        super().__init__()

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "kept": self.kept, "operations": self.operations},
        )

    def describe(self) -> str:
        return f"Rename the existing indexes of {self.table} ({', '.join(k.name for k in self.kept)})"

    def state_forwards(self, app_label: str, state: Any) -> None:
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        renames = self._renames(schema_editor) if schema_editor.connection.vendor == "postgresql" else None
        if renames is None:
            self._replay(app_label, schema_editor, from_state, backwards=False)
            return
        quote = schema_editor.quote_name
        for old, new, unique in renames["rename"]:
            if unique:
                schema_editor.execute(
                    f"ALTER TABLE {quote(self.table)} RENAME CONSTRAINT {quote(old)} TO {quote(new)}"
                )
            else:
                schema_editor.execute(f"ALTER INDEX {quote(old)} RENAME TO {quote(new)}")
        for name in renames["drop"]:
            schema_editor.execute(f"DROP INDEX {quote(name)}")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._replay(app_label, schema_editor, to_state, backwards=True)

    def _renames(self, schema_editor: Any) -> dict[str, list[Any]] | None:
        """What to rename and drop, or None when the table does not hold exactly the expected
        indexes (then Django's operations decide)."""
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(cursor, self.table)
        rename: list[tuple[str, str, bool]] = []
        drop: list[str] = []
        for kept in self.kept:
            if kept.name in constraints:
                return None
            # Introspection lists a unique constraint (not as an index) and each plain index once.
            on_column = {
                name: info
                for name, info in constraints.items()
                if info["columns"] == [kept.column]
                and (info["index"] or info["unique"])
                and not info["primary_key"]
                and not info["foreign_key"]
            }
            twins = [name for name in on_column if name.endswith("_like") and not on_column[name]["unique"]]
            found = [
                name
                for name, info in on_column.items()
                if name not in twins
                and bool(info["unique"]) == kept.unique
                and (kept.unique or info.get("type") == "idx")  # "idx": what introspection calls a btree
            ]
            if len(found) != 1 or len(on_column) != len(found) + len(twins):
                return None
            if kept.unique and not self._is_constraint(schema_editor, found[0]):
                return None
            rename.append((found[0], kept.name, kept.unique))
            drop.extend(twins)
        return {"rename": rename, "drop": drop}

    def _is_constraint(self, schema_editor: Any, name: str) -> bool:
        """A unique index made by CREATE UNIQUE INDEX is no constraint and cannot be renamed as one."""
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass AND contype = 'u'",
                [name, self.table],
            )
            return cursor.fetchone() is not None

    def _replay(self, app_label: str, schema_editor: Any, start: Any, *, backwards: bool) -> None:
        states = [start.clone()]
        for operation in self.operations:
            following = states[-1].clone()
            operation.state_forwards(app_label, following)
            states.append(following)
        steps = list(zip(self.operations, states[:-1], states[1:], strict=True))
        if backwards:
            for operation, before, after in reversed(steps):
                operation.database_backwards(app_label, schema_editor, after, before)
        else:
            for operation, before, after in steps:
                operation.database_forwards(app_label, schema_editor, before, after)
