"""Migration operations that keep a large table writable while its indexes change.

To take a column's index away Django drops and re-adds the column's foreign key, which checks
every row again; to move a uniqueness from a field to a named constraint, or rename an index, it
builds a new index. On a street's million cases that held intake and the queues for seconds, under
a lock even readers wait for. Where the indexes PostgreSQL already has are the ones wanted, a
rename or a DROP INDEX is instant and changes nothing else; anywhere else (SQLite, or a schema that
is not what the earlier migrations made) Django's own operations run unchanged."""

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


@dataclass(frozen=True)
class _Plan:
    renames: list[tuple[str, str, bool]]  # (old name, new name, is a unique constraint)
    drops: list[str]


class ReindexInPlace(Operation):
    """`operations`' state change. On PostgreSQL, when `table` holds exactly the indexes those
    operations would rebuild or drop, the database change is done by renaming the `kept` ones and
    dropping the single-column plain index of each `unindexed` column instead (so `operations`
    must do no more than that)."""

    reversible = True
    reduces_to_sql = False

    def __init__(
        self, table: str, kept: list[KeptIndex], unindexed: list[str], operations: list[Operation]
    ) -> None:
        self.table = table
        self.kept = kept
        self.unindexed = unindexed
        self.operations = operations
        super().__init__()

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {
            "table": self.table,
            "kept": self.kept,
            "unindexed": self.unindexed,
            "operations": self.operations,
        }
        return (self.__class__.__qualname__, [], kwargs)

    def describe(self) -> str:
        return f"Rename or drop the existing indexes of {self.table} in place"

    def state_forwards(self, app_label: str, state: Any) -> None:
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        plan = self._plan(schema_editor) if schema_editor.connection.vendor == "postgresql" else None
        if plan is None:
            self._replay(app_label, schema_editor, from_state, backwards=False)
            return
        quote = schema_editor.quote_name
        for old, new, unique in plan.renames:
            if unique:
                schema_editor.execute(
                    f"ALTER TABLE {quote(self.table)} RENAME CONSTRAINT {quote(old)} TO {quote(new)}"
                )
            else:
                schema_editor.execute(f"ALTER INDEX {quote(old)} RENAME TO {quote(new)}")
        for name in plan.drops:
            schema_editor.execute(f"DROP INDEX {quote(name)}")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._replay(app_label, schema_editor, to_state, backwards=True)

    def _plan(self, schema_editor: Any) -> _Plan | None:
        """What to rename and drop, or None when the table does not hold exactly the expected
        indexes (then Django's operations decide)."""
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(cursor, self.table)
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
                [self.table],
            )
            unique_constraints = {row[0] for row in cursor.fetchall()}

        def on_column(column: str) -> dict[str, dict[str, Any]]:
            # Introspection lists a unique constraint (not as an index) and each plain index once.
            return {
                name: info
                for name, info in constraints.items()
                if info["columns"] == [column]
                and (info["index"] or info["unique"])
                and not info["primary_key"]
                and not info["foreign_key"]
            }

        def plain(info: dict[str, Any]) -> bool:
            return not info["unique"] and info.get("type") == "idx"  # "idx": introspection's btree

        renames: list[tuple[str, str, bool]] = []
        drops: list[str] = []
        for kept in self.kept:
            if kept.name in constraints:
                return None
            indexes = on_column(kept.column)
            twins = [name for name, info in indexes.items() if name.endswith("_like") and plain(info)]
            found = [
                name
                for name, info in indexes.items()
                if name not in twins
                and (name in unique_constraints if kept.unique else plain(info) and info["unique"] is False)
            ]
            if len(found) != 1 or len(indexes) != 1 + len(twins):
                return None
            renames.append((found[0], kept.name, kept.unique))
            drops.extend(twins)
        for column in self.unindexed:
            indexes = on_column(column)
            if len(indexes) != 1 or not all(plain(info) for info in indexes.values()):
                return None
            drops.extend(indexes)
        return _Plan(renames=renames, drops=drops)

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
