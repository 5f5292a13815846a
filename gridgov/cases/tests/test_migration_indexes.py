"""Migration 0010 renames the case table's kept indexes and drops the foreign keys' ones in place on
PostgreSQL (no index rebuilt, no foreign key checked again, under a lock), and leaves the same
schema as Django's own operations would."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gridgov.core.migration_ops import KeptIndex, ReindexInPlace

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index renames"),
    # Like every transactional test here: the rows the migrations seeded come back afterwards.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BEFORE = ("cases", "0009_finished_pages")
AFTER = ("cases", "0010_drop_duplicate_indexes")
KEPT = {"case_tracking_code_unique", "case_public_id_unique", "case_reporter_phone"}


def case_indexes() -> dict[str, dict[str, Any]]:
    """Every index of cases_case: its columns, uniqueness and the index's own identity (oid)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, ix.indisunique, ix.indexrelid::int,
                   array(SELECT a.attname FROM pg_attribute a
                         WHERE a.attrelid = ix.indrelid AND a.attnum = ANY(ix.indkey)),
                   pg_get_indexdef(ix.indexrelid)
            FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
            WHERE ix.indrelid = 'cases_case'::regclass
            """
        )
        return {
            name: {"unique": unique, "oid": oid, "columns": sorted(columns), "pattern": "pattern_ops" in sql}
            for name, unique, oid, columns, sql in cursor.fetchall()
        }


def foreign_keys() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, oid::int FROM pg_constraint WHERE conrelid = 'cases_case'::regclass AND contype = 'f'"
        )
        return dict(cursor.fetchall())


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    connection.close()


def shape(indexes: dict[str, dict[str, Any]]) -> dict[str, tuple[bool, list[str], bool]]:
    return {name: (info["unique"], info["columns"], info["pattern"]) for name, info in indexes.items()}


def test_the_kept_indexes_are_renamed_not_rebuilt_and_the_schema_is_what_django_makes(monkeypatch):
    try:
        # Django's own operations, for comparison: the fast path is refused.
        migrate(BEFORE)
        with monkeypatch.context() as patched:
            patched.setattr(ReindexInPlace, "_plan", lambda self, schema_editor: None)
            migrate(AFTER)
        made_by_django, django_keys = case_indexes(), foreign_keys()

        migrate(BEFORE)
        before = case_indexes()
        keys_before = foreign_keys()
        assert not KEPT & set(before)
        by_column = {tuple(info["columns"]): info for info in before.values() if not info["pattern"]}
        assert any(info["pattern"] for info in before.values())

        migrate(AFTER)
        after = case_indexes()
        keys_after = foreign_keys()
    finally:
        migrate(AFTER)

    # The three indexes are the very ones that were there (same oid): nothing was built.
    assert after["case_tracking_code_unique"]["oid"] == by_column[("tracking_code",)]["oid"]
    assert after["case_public_id_unique"]["oid"] == by_column[("public_id",)]["oid"]
    assert after["case_reporter_phone"]["oid"] == by_column[("reporter_phone_hash",)]["oid"]
    assert after["case_tracking_code_unique"]["unique"] and not after["case_reporter_phone"]["unique"]
    # The foreign keys were not dropped and added again (Django's way checks every row under a lock).
    assert keys_after == keys_before and len(keys_before) >= 7
    assert ["category_id"] in [info["columns"] for info in before.values()]
    assert ["category_id"] not in [info["columns"] for info in after.values()]
    # The same indexes (name, uniqueness, columns) and foreign keys as Django's operations leave.
    assert shape(after) == shape(made_by_django)
    assert set(keys_after) == set(django_keys)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'cases_case'::regclass AND contype = 'u'"
        )
        assert {row[0] for row in cursor.fetchall()} == {"case_tracking_code_unique", "case_public_id_unique"}


def test_a_schema_other_than_the_expected_one_gets_djangos_own_operations(monkeypatch):
    calls: list[str] = []
    operation = ReindexInPlace(
        table="cases_case",
        kept=[KeptIndex(column="no_such_column", name="x_unique", unique=True)],
        unindexed=[],
        operations=[],
    )
    monkeypatch.setattr(operation, "_replay", lambda *args, **kwargs: calls.append("django"))
    with connection.schema_editor() as editor:
        operation.database_forwards("cases", editor, None, None)
    assert calls == ["django"]
