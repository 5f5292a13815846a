"""Secret ballots: after an election, no table (of any app) links a voter to a choice."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models

from gridgov.accounts.scope import SYSTEM
from gridgov.consult import selectors, services
from gridgov.consult.models import BallotKind, OpenVote, Participation, SecretBallot
from gridgov.consult.tests.conftest import make

VOTERS = 10


def _voters(w):
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.people.services import resident_create
    from gridgov.places.services import household_create

    role = Role.objects.get(code="resident")
    users = []
    for index in range(VOTERS):
        household = household_create(by=SYSTEM, place=w.building1, room=f"9{index:02d}")
        resident = resident_create(
            by=SYSTEM, name=f"业主{index}", household=household, birth_date=dt.date(1970, 1, 1 + index)
        )
        user = user_create(
            by=SYSTEM, username=f"owner{index}", password=w.password, resident=resident, validate=False
        )
        role_grant(by=SYSTEM, user=user, role=role, place=w.building1)
        users.append(user)
    return users


def _election(w):
    return make(
        w,
        title="业委会选举",
        secret=True,
        ballot_kind=BallotKind.MULTIPLE,
        options=["刘强", "陈静", "周伟"],
        max_choices=2,
    )


def _every_row_as_text() -> dict[str, list[str]]:
    """Every row of every model of every app, each as the text of all its column values."""
    dump: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        columns = [f.attname for f in model._meta.concrete_fields]
        rows = model._default_manager.using("default").values_list(*columns) if columns else []
        dump[model._meta.label] = [json.dumps([str(v) for v in row], ensure_ascii=False) for row in rows]
    return dump


@pytest.mark.django_db
def test_no_table_links_a_voter_to_a_choice(world, django_capture_on_commit_callbacks):
    voters = _voters(world)
    election = _election(world)
    options = list(election.options.all())
    chosen: list[list[int]] = []
    receipts: list[str] = []
    for index, user in enumerate(voters):
        pick = [options[index % 3].pk] if index % 2 else [options[0].pk, options[(index % 2) + 1].pk]
        with django_capture_on_commit_callbacks(execute=True):
            receipts.append(services.vote_cast(by=user, consultation=election, option_ids=pick).receipt)
        chosen.append(sorted(pick))

    # 1. The ballot table itself names no one and carries no time.
    fields = {f.name: f for f in SecretBallot._meta.concrete_fields}
    assert set(fields) == {"id", "consultation", "choices", "receipt_hash"}
    assert not any(isinstance(f, models.DateField | models.DateTimeField) for f in fields.values())
    ballots = list(SecretBallot.objects.values_list("id", "receipt_hash", "choices"))
    assert len(ballots) == VOTERS
    assert sorted(map(sorted, (c for _, _, c in ballots))) == sorted(chosen)
    assert not OpenVote.objects.exists()

    # 2. No other table holds a ballot's key, its receipt hash, or any receipt in clear.
    dump = _every_row_as_text()
    others = "\n".join(row for label, rows in dump.items() if label != "consult.SecretBallot" for row in rows)
    for ballot_id, receipt_hash, _ in ballots:
        assert str(ballot_id) not in others and ballot_id.hex not in others
        assert receipt_hash not in others
    for receipt in receipts:
        assert receipt not in others and receipt not in "\n".join(dump["consult.SecretBallot"])
    # ... nor what anyone chose: no option id list and no candidate's name beside a voter.
    audit_rows = dump["audit.AuditEntry"]
    vote_rows = [row for row in audit_rows if "已投票（无记名）" in row]
    assert len(vote_rows) == VOTERS
    for row in vote_rows:
        assert not any(option.label in row for option in options)
        assert not any(json.dumps(c) in row for c in chosen)
    participation_columns = {f.name for f in Participation._meta.concrete_fields}
    assert participation_columns == {
        "id",
        "consultation",
        "entry",
        "voter",
        "channel",
        "entered_by",
        "voted_on",
    }

    # 3. No order follows the voting order: not the listing, not the storage order.
    voting_order = chosen
    listed = [sorted(c) for c in SecretBallot.objects.values_list("choices", flat=True)]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT choices FROM {SecretBallot._meta.db_table} ORDER BY rowid")
        else:
            cursor.execute(f"SELECT choices FROM {SecretBallot._meta.db_table} ORDER BY ctid")
        stored = [sorted(json.loads(r[0]) if isinstance(r[0], str) else r[0]) for r in cursor.fetchall()]
    # Ten voters, three kinds of ballot: a shuffle matches the voting order by chance
    # with odds far below one in a thousand; a storage that followed it would match always.
    assert stored != voting_order or listed != voting_order

    # 4. Each voter can check their ballot is in the published tally with their receipt.
    results = selectors.results_of(election)
    published = {h for h, _ in results.receipts}
    for receipt, pick in zip(receipts, chosen, strict=True):
        assert services.receipt_hash(receipt) in published
        labels = services.receipt_counted(election, receipt)
        assert labels == "、".join(o.label for o in options if o.pk in pick)
    assert sum(n for _, n in results.counts) == sum(len(c) for c in chosen)


@pytest.mark.django_db
def test_secret_vote_is_changed_only_with_its_receipt(world, django_capture_on_commit_callbacks):
    voter = _voters(world)[0]
    election = _election(world)
    first, second = list(election.options.all())[:2]
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.vote_cast(by=voter, consultation=election, option_ids=[first.pk]).receipt
    with pytest.raises(ValidationError, match="修改无记名投票需输入正确的投票回执码"):
        services.vote_cast(
            by=voter, consultation=election, option_ids=[second.pk], receipt="AAAA-BBBB-CCCC-DDDD"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_cast(by=voter, consultation=election, option_ids=[second.pk], receipt=receipt)
    assert services.receipt_counted(election, receipt) == second.label
    assert SecretBallot.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif("os.environ.get('DATABASE_URL', '').startswith('postgres') is False")
def test_postgresql_system_columns_do_not_link_ballots_to_voters(world):
    """On PostgreSQL each vote commits on its own; the reshuffle after it leaves every live ballot
    with one transaction id (xmin) that no Participation row shares, in a shuffled ctid order."""
    voters = _voters(world)
    election = _election(world)
    option = election.options.first()
    for user in voters:
        services.vote_cast(by=user, consultation=election, option_ids=[option.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT xmin::text FROM {SecretBallot._meta.db_table} WHERE consultation_id = %s",
            [election.pk],
        )
        ballot_xmins = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT xmin::text FROM {Participation._meta.db_table} WHERE consultation_id = %s", [election.pk]
        )
        participation_xmins = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"SELECT xmin::text FROM {apps.get_model('audit', 'AuditEntry')._meta.db_table}")
        audit_xmins = {row[0] for row in cursor.fetchall()}
    assert len(ballot_xmins) == 1
    assert not ballot_xmins & participation_xmins
    assert not ballot_xmins & audit_xmins
