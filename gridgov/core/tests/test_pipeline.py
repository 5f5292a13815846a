"""Transactions pipelined on PostgreSQL (`core.pipeline.atomic_pipelined`) and rows inserted
without reading anything back (`core.inserts.insert_only`): the rows land exactly as the ORM's
would, and a refused row rolls back what it must and no more, in a transaction of its own or in
a savepoint of the caller's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, transaction

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.services import audit_entry
from gridgov.core.inserts import insert_only
from gridgov.core.pipeline import atomic_pipelined

FAR = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
# As every test outside a transaction in this suite: a plain flush afterwards would re-create the
# content types that the next serialized-rollback test restores (UNIQUE failures).
outside_a_transaction = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _entry(label: str) -> AuditEntry:
    return audit_entry(
        actor=SYSTEM, action=AuditAction.CREATE, target_type="test.row", target_id=1, target_label=label
    )


def _labels() -> list[str]:
    return sorted(AuditEntry.objects.filter(target_type="test.row").values_list("target_label", flat=True))


@outside_a_transaction
def test_a_pipelined_transaction_commits_every_row_and_the_keys_stay_unset():
    rows = [_entry("一"), _entry("二")]
    with atomic_pipelined():
        insert_only(rows)
        insert_only([_entry("三")])
        assert connection.in_atomic_block
    assert not connection.in_atomic_block
    assert _labels() == ["一", "三", "二"]
    assert all(row.pk is None and not row._state.adding for row in rows)


@outside_a_transaction
def test_a_refused_row_rolls_back_the_whole_pipelined_transaction():
    Session.objects.create(session_key="taken-key-0001", session_data="", expire_date=FAR)
    with pytest.raises(IntegrityError):
        with atomic_pipelined():
            insert_only([_entry("前")])
            Session.objects.create(session_key="taken-key-0001", session_data="", expire_date=FAR)
            insert_only([_entry("后")])
    assert _labels() == []
    # The connection is usable again at once, out of the pipeline.
    assert Session.objects.count() == 1 and not connection.in_atomic_block


@pytest.mark.django_db
def test_inside_a_transaction_a_refused_row_rolls_back_to_the_block_only():
    Session.objects.create(session_key="taken-key-0002", session_data="", expire_date=FAR)
    with transaction.atomic():
        insert_only([_entry("外")])
        with pytest.raises(IntegrityError):
            with atomic_pipelined():
                insert_only([_entry("内")])
                Session.objects.create(session_key="taken-key-0002", session_data="", expire_date=FAR)
        # The caller's transaction goes on: its own row kept, the block's undone.
        insert_only([_entry("再")])
    assert _labels() == ["再", "外"]


@pytest.mark.django_db
def test_insert_only_writes_what_bulk_create_writes():
    by_orm = AuditEntry.objects.bulk_create([_entry("同")])[0]
    insert_only([_entry("同")])
    stored = list(AuditEntry.objects.filter(target_label="同").order_by("pk").values())
    assert len(stored) == 2 and stored[0]["id"] == by_orm.pk
    first, second = (dict(row, id=None, at=None) for row in stored)
    assert first == second
    # A row that has its key already takes the ORM's path, which reads keys back.
    keyed = _entry("有键")
    keyed.pk = by_orm.pk + 1000
    insert_only([keyed])
    assert AuditEntry.objects.filter(pk=keyed.pk, target_label="有键").exists()
    insert_only([])  # nothing to write: no statement at all
