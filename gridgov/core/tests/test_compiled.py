"""Reads compiled once per connection (`core.compiled`), the API token's one-query lookup built on
it, and the PostgreSQL backend's C loader for timestamps: each must answer exactly what the ORM
answers, follow changes at the next request, and survive a new connection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.accounts.models import ApiToken, Role, RoleAssignment, User
from gridgov.accounts.scope import SYSTEM, assignments
from gridgov.accounts.services import api_token_create, api_token_revoke, api_token_user, role_grant
from gridgov.core import compiled
from gridgov.core.compiled import CompiledQuery
from gridgov.places.models import Place

pytestmark = pytest.mark.django_db


def _names_under(path: str, kind: str):
    return Place.objects.filter(path__startswith=path, kind=kind).order_by("path").values_list("pk", "name")


# Closing the connection needs a test outside a transaction; the seeded roles are restored after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_compiled_rows_equal_the_orm_for_every_value_and_after_a_reconnection(world):
    query = CompiledQuery(_names_under, kinds=(str, str))
    for path, kind in ((world.community.path, "grid"), (world.grid1.path, "building"), ("9999", "grid")):
        assert query.rows(path, kind) == list(_names_under(path, kind))
    connection.close()  # a new connection compiles (and prepares) again
    assert query.rows(world.grid2.path, "building") == [(world.building2.pk, "8栋")]


def _by_name(name: str):
    return Place.objects.filter(name__icontains=name).order_by("pk").values_list("pk", "name")


def test_a_pattern_the_orm_wraps_around_a_value_is_compiled_with_the_value_in_it(world):
    """`__icontains` wraps its value in %…%: the compiled form puts the caller's value between the
    same wrapping, and answers what the ORM answers."""
    query = CompiledQuery(_by_name, kinds=(str,))
    grids = [(world.grid1.pk, "第一网格"), (world.grid2.pk, "第二网格")]
    assert list(_by_name("网格")) == grids
    with CaptureQueriesContext(connection) as captured:
        assert query.rows("网格") == grids
        assert query.rows("第二") == [(world.grid2.pk, "第二网格")]
    if connection.vendor == "postgresql":
        # The first use on the connection also prepares it; every read is the prepared statement.
        reads = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("PREPARE")]
        assert len(reads) == 2 and all(sql.startswith("EXECUTE") for sql in reads)


@pytest.mark.parametrize("name", ["%", "_", "网\\格", "100%网格"])
def test_a_value_the_orm_would_escape_inside_a_pattern_keeps_to_the_orm(world, name):
    """A value with % _ or \\ is escaped by the ORM inside the pattern: not substituted as it is
    (a "%" would match every name), the ORM runs the query instead, with the same answer."""
    query = CompiledQuery(_by_name, kinds=(str,))
    query.rows("网格")  # compiled on this connection first
    Place.objects.filter(pk=world.grid1.pk).update(name="100%网格")
    with CaptureQueriesContext(connection) as captured:
        assert query.rows(name) == list(_by_name(name))
    assert not captured.captured_queries[0]["sql"].startswith("EXECUTE")
    assert query.rows("%") == [(world.grid1.pk, "100%网格")]


def test_moments_are_values_too(world):
    """A datetime value: on PostgreSQL compiled and prepared like the others; where the ORM turns
    moments into text (SQLite) the stand-in does not come through and the ORM runs it. Either way
    the rows are the ORM's."""

    def created_before(moment: dt.datetime, kind: str):
        return Place.objects.filter(kind=kind, created_at__lt=moment).order_by("pk").values_list("pk")

    query = CompiledQuery(created_before, kinds=(dt.datetime, str))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    earlier = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    grids = [(world.grid1.pk,), (world.grid2.pk,)]
    assert list(created_before(later, "grid")) == grids
    with CaptureQueriesContext(connection) as captured:
        assert query.rows(later, "grid") == grids
    assert captured.captured_queries[-1]["sql"].startswith("EXECUTE") == (connection.vendor == "postgresql")
    assert query.rows(earlier, "grid") == []
    with pytest.raises(TypeError):
        CompiledQuery(created_before, kinds=(float, str))


def test_the_token_lookup_reads_owner_and_roles_in_one_query(world, django_assert_num_queries):
    _, key = api_token_create(user=world.alice, name="手机")
    ApiToken.objects.filter(user=world.alice).update(last_used_at=dt.datetime.now(dt.UTC))
    api_token_user(key)  # the connection's first use also prepares the statement (PostgreSQL)
    with django_assert_num_queries(1):
        user = api_token_user(key)
        assert user is not None and user.pk == world.alice.pk
        roles = assignments(user)  # read with the token, no query of its own
    assert [(path, kind) for _, path, kind in roles] == [(world.grid1.path, "grid")]
    assert user.username == "alice" and user.is_active and not user.is_superuser


def test_the_token_lookup_follows_roles_deactivation_and_revocation_at_once(world):
    token, key = api_token_create(user=world.alice, name="手机")
    role_grant(by=SYSTEM, user=world.alice, role=Role.objects.get(code="grid_worker"), place=world.grid2)
    user = api_token_user(key)
    assert user is not None
    assert sorted(path for _, path, _ in assignments(user)) == sorted([world.grid1.path, world.grid2.path])

    RoleAssignment.objects.filter(user=world.alice).delete()
    user = api_token_user(key)
    assert user is not None and assignments(user) == []  # a user with no role: one row of NULLs

    User.objects.filter(pk=world.alice.pk).update(is_active=False)
    assert api_token_user(key) is None
    User.objects.filter(pk=world.alice.pk).update(is_active=True)
    assert api_token_user(key) is not None
    api_token_revoke(by=world.alice, token=token)
    assert api_token_user(key) is None
    assert api_token_user("not-a-token") is None


def test_the_token_marks_its_use_at_most_every_five_minutes(world):
    token, key = api_token_create(user=world.alice, name="手机")
    assert api_token_user(key) is not None
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api_token_user(key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the C timestamp loader is PostgreSQL's")
def test_timestamps_load_as_django_loads_them(world):
    """UTC-aware datetimes with microseconds, through the ORM and a plain cursor alike."""
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)
    ApiToken.objects.create(user=world.alice, name="t", key_hash="h" * 64, prefix="p", last_used_at=moment)
    loaded = ApiToken.objects.get(key_hash="h" * 64).last_used_at
    assert loaded == moment and loaded.tzinfo is dt.UTC
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", [moment])
        value, empty = cursor.fetchone()
    assert value == moment and value.utcoffset() == dt.timedelta(0) and empty is None


def test_a_session_reads_its_user_and_roles_in_one_query(world, client):
    """A page opened with a session: the user and their roles come from one query, and a role
    granted or a deactivation is seen on the next page."""
    client.force_login(world.alice)
    assert client.get("/cases/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/cases/").status_code == 200
    user_reads = [q["sql"] for q in captured.captured_queries if "accounts_user" in q["sql"]]
    role_reads = [q["sql"] for q in captured.captured_queries if "accounts_roleassignment" in q["sql"]]
    assert not [sql for sql in role_reads if sql not in user_reads], role_reads  # no roles read apart
    assert "审计日志" not in client.get("/").content.decode()
    role_grant(
        by=SYSTEM, user=world.alice, role=Role.objects.get(code="community_secretary"), place=world.community
    )
    assert "审计日志" in client.get("/").content.decode()  # the secretary's entry, on the next page
    User.objects.filter(pk=world.alice.pk).update(is_active=False)
    assert client.get("/cases/").status_code == 302  # logged out: to the login page


_POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


@pytest.fixture
def deallocated_after():
    """These tests deallocate every prepared statement of the connection the next tests reuse:
    afterwards none is left and the record of them is emptied, so those tests prepare afresh."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    compiled._PREPARED.pop(connection.connection, None)


@_POSTGRESQL_ONLY
def test_a_prepared_statement_lost_inside_a_transaction_fails_once_then_is_prepared_again(
    world, deallocated_after
):
    query = CompiledQuery(_names_under, kinds=(str, str))
    expected = list(_names_under(world.community.path, "grid"))
    assert query.rows(world.community.path, "grid") == expected
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler's DISCARD ALL does behind our back
    savepoint = transaction.savepoint()
    with pytest.raises(DatabaseError):
        query.rows(world.community.path, "grid")  # the transaction is aborted: no retry in it
    transaction.savepoint_rollback(savepoint)
    assert query.rows(world.community.path, "grid") == expected


@_POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_a_lost_or_outdated_statement_is_prepared_again_at_once(
    world, deallocated_after
):
    """A running server after DEALLOCATE ALL, or after a migration changed the type of a column
    a statement returns ("cached plan must not change result type"): the same read answers."""
    query = CompiledQuery(_names_under, kinds=(str, str))
    expected = list(_names_under(world.community.path, "grid"))
    assert query.rows(world.community.path, "grid") == expected
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert query.rows(world.community.path, "grid") == expected
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE places_place ALTER COLUMN name TYPE text")
    try:
        assert query.rows(world.community.path, "grid") == expected
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE places_place ALTER COLUMN name TYPE varchar({_NAME_LENGTH})")


_NAME_LENGTH = Place._meta.get_field("name").max_length


def _kinds_under(path: str):
    return (
        Place.objects.filter(path__startswith=path, kind__in=["grid", "building"])
        .exclude(name="不存在 'x'")
        .order_by("path")
        .values_list("pk", "kind")
    )


def test_literals_go_into_the_statement_text_and_the_answer_is_the_orms(world):
    """`literals=True`: the queryset's constant codes ("grid", "building") are written into the
    prepared statement, so its generic plan can rely on them; a constant that is not a plain code
    (a name with a quote) stays a parameter; the rows are the ORM's."""
    query = CompiledQuery(_kinds_under, kinds=(str,), literals=True)
    with CaptureQueriesContext(connection) as captured:  # its first use prepares it
        for path in (world.community.path, world.grid1.path, "9999"):
            assert query.rows(path) == list(_kinds_under(path))
    if connection.vendor == "postgresql":
        prepare = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith("PREPARE"))
        assert "'grid'" in prepare and "'building'" in prepare and "不存在" not in prepare
        execute = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith("EXECUTE"))
        assert "不存在 ''x''" in execute or "不存在 'x'" in execute
