"""What an external intake costs and reads (issue 6): a bounded number of queries, the place
and its ancestors in one read, the people to tell in one read, and nothing kept between
requests that a change could leave stale (a revoked key, a renamed place, a changed role)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM, duty_holders, holders
from gridgov.accounts.services import role_grant
from gridgov.cases import routing
from gridgov.cases.models import ApiKey, Case, CaseEvent
from gridgov.cases.selectors import key_place
from gridgov.cases.services import apikey_create, apikey_revoke
from gridgov.cases.services._common import level_handlers
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.core.inserts import insert_new
from gridgov.notifications.models import Notification
from gridgov.places.models import Place, PlaceKind


@pytest.fixture
def intake(cw):
    _key, raw = apikey_create(by=SYSTEM, name="摄像头-查询数", rate_per_minute=1000)
    client = Client()
    counter = iter(range(1, 10**6))

    def post(place=None, text="摄像头识别：1栋门口垃圾满溢", raw_key=None, **extra):
        body = {
            "text": text,
            "place": (place or cw.building1).pk,
            "client_key": f"q-{next(counter)}",
            **extra,
        }
        return client.post(
            "/api/v1/intake", body, content_type="application/json", headers={"X-Api-Key": raw_key or raw}
        )

    return post


def test_a_warm_external_intake_stays_within_its_queries(cw, intake, settings, django_assert_max_num_queries):
    # In one minute, with the triage engine's own re-check not due: no claim of a new slice of
    # the key's limit and no model check, which come now and then, fall in the counted request.
    settings.TRIAGE_RULES_CHECK_SECONDS = 3600
    with clock.frozen_at(timezone.now().replace(second=1)):
        assert intake().status_code == 201
        # The key; the place with its ancestors; the configuration token; the savepoint; the
        # INSERTs of case, timeline and audit; the grid's staff; the notice; the statistics
        # upsert; the release. (Before issue 6's second round: 13, the key and the places by
        # the ORM, the roles and then the people in two more.)
        with django_assert_max_num_queries(11):
            answer = intake(text="1栋门口的垃圾好几天没人清运")
    assert answer.status_code == 201, answer.content
    case = Case.objects.get(pk=answer.json()["id"])
    told = set(Notification.objects.filter(link__endswith=f"/{case.pk}/").values_list("recipient", flat=True))
    assert told == {u.pk for u in _old_level_handlers(caps.CASES_HANDLE, case.level_place, [PlaceKind.GRID])}
    assert told  # the grid's staff, not nobody


def test_the_place_and_its_ancestors_come_in_one_query_and_match_the_paths(cw):
    place = routing.place_with_ancestors(cw.building1.pk)
    assert place == cw.building1
    with CaptureQueriesContext(connection) as captured:
        chain = routing.ancestors(place)
    assert len(captured.captured_queries) == 0
    assert [(p.pk, p.path, p.name, p.kind) for p in chain] == [
        (p.pk, p.path, p.name, p.kind) for p in routing.ancestors(Place.objects.get(pk=cw.building1.pk))
    ]
    assert chain[0].parent == cw.estate1  # attached, not fetched
    # The boundary and the timestamps are deferred, still there when asked for.
    assert chain[-1].boundary == Place.objects.get(pk=chain[-1].pk).boundary
    assert routing.place_with_ancestors(987654) is None
    assert routing.place_with_ancestors(2**70) is None
    assert routing.place_with_ancestors(0) is None


def test_a_moved_place_read_with_its_chain_is_routed_by_its_path(cw):
    place = routing.place_with_ancestors(cw.building1.pk)
    assert place is not None
    place.path = cw.building2.path  # no longer the chain it was read with: read by the path
    assert routing.ancestors(place)[1:] == routing.ancestors(Place.objects.get(pk=cw.building2.pk))[1:]


def test_key_place_by_id_keeps_the_key_scope(cw):
    key, _raw = apikey_create(by=SYSTEM, name="网格一摄像头", place=cw.grid1)
    key = ApiKey.objects.select_related("place").get(pk=key.pk)
    assert key_place(key, place_id=cw.building1.pk) == cw.building1
    assert key_place(key, place_id=cw.grid1.pk) == cw.grid1
    for outside in (cw.building2.pk, cw.community.pk, 987654, -1, 2**64):
        with pytest.raises(NotFound):
            key_place(key, place_id=outside)


def test_a_huge_place_id_is_a_field_error_not_a_crash(cw, intake):
    answer = intake(place=Place(pk=2**70))
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "place", "message": "地点不存在或不在接入密钥的上报范围内"}]


def test_a_revoked_key_is_refused_on_its_next_request(cw, intake):
    assert intake().status_code == 201
    apikey_revoke(by=SYSTEM, key=ApiKey.objects.get(name="摄像头-查询数"))
    refused = intake()
    assert (refused.status_code, refused.json()["detail"]) == (403, "接入密钥无效或已吊销")


def _told(answer) -> set[int]:
    link = f"/{answer.json()['id']}/"
    return set(Notification.objects.filter(link__endswith=link).values_list("recipient", flat=True))


def test_a_renamed_place_is_seen_by_the_next_request(cw, intake):
    assert intake().status_code == 201
    Place.objects.filter(pk=cw.building1.pk).update(name="一号楼")
    answer = intake()
    case = Case.objects.get(pk=answer.json()["id"])
    bodies = set(Notification.objects.filter(link__endswith=f"/{case.pk}/").values_list("body", flat=True))
    assert bodies and all(body.startswith("一号楼：") for body in bodies)


def test_a_role_change_is_seen_by_the_next_request(cw, intake):
    assert cw.alice.pk in _told(intake())
    # The grid worker's role stops handling cases: the next report no longer tells alice.
    role = Role.objects.get(code="grid_worker")
    role.capabilities = [c for c in role.capabilities if c != caps.CASES_HANDLE]
    role.save()
    answer = intake()
    case = Case.objects.get(pk=answer.json()["id"])
    assert cw.alice.pk not in _told(answer)
    assert _told(answer) == {
        u.pk for u in _old_level_handlers(caps.CASES_HANDLE, case.level_place, [PlaceKind.GRID])
    }
    # And a new grant is seen as soon: alice is told again.
    role_grant(by=SYSTEM, user=cw.alice, role=Role.objects.get(code="grid_head"), place=cw.grid1)
    assert cw.alice.pk in _told(intake())


def _old_level_handlers(capability, place, kinds):
    """What `level_handlers` asked before `duty_holders`: the two `holders` calls."""
    return list(holders(capability, place, kinds=kinds)) or list(holders(capability, place, nearest=True))


@pytest.mark.parametrize(
    "level_kinds", [(PlaceKind.GRID,), (PlaceKind.COMMUNITY,), (PlaceKind.BUILDING, PlaceKind.ESTATE), ()]
)
def test_duty_holders_are_the_two_holders_calls_in_one(cw, level_kinds):
    places = [cw.grid1, cw.grid2, cw.building1, cw.estate1, cw.community, cw.street]
    for place in places:
        for capability in (caps.CASES_HANDLE, caps.CASES_DISPATCH, caps.CASES_SUPERVISE):
            expected = _old_level_handlers(capability, place, list(level_kinds))
            assert duty_holders(capability, place, kinds=level_kinds) == expected, (place, capability)
            assert duty_holders(capability, place.path, kinds=level_kinds) == expected


def test_duty_holders_skip_inactive_users_and_list_a_user_once(cw):
    role_grant(by=SYSTEM, user=cw.alice, role=Role.objects.get(code="grid_head"), place=cw.grid1)
    found = duty_holders(caps.CASES_HANDLE, cw.grid1, kinds=[PlaceKind.GRID])
    assert [u.pk for u in found] == sorted({u.pk for u in found})
    assert found == _old_level_handlers(caps.CASES_HANDLE, cw.grid1, [PlaceKind.GRID])
    cw.alice.is_active = False
    cw.alice.save()
    found = duty_holders(caps.CASES_HANDLE, cw.grid1, kinds=[PlaceKind.GRID])
    assert cw.alice.pk not in {u.pk for u in found}
    assert found == _old_level_handlers(caps.CASES_HANDLE, cw.grid1, [PlaceKind.GRID])
    # The users come whole, as the ORM would give them.
    assert found and all(u.username and u._state.db for u in found)


def test_level_handlers_of_a_new_case_are_the_grid_staff(cw, submit):
    case = submit()
    assert level_handlers(case) == _old_level_handlers(caps.CASES_HANDLE, case.level_place, [PlaceKind.GRID])


def test_insert_new_writes_what_create_writes(cw, submit):
    case = submit()
    fields = {
        "case": case,
        "at": case.created_at,
        "actor": cw.alice,
        "kind": "note",
        "note": "记录",
        "public": True,
    }
    by_orm = CaseEvent.objects.create(**fields)
    fast = insert_new(CaseEvent(**fields))
    assert fast.pk and fast.pk != by_orm.pk and not fast._state.adding and fast._state.db == "default"
    stored = CaseEvent.objects.filter(pk__in=[by_orm.pk, fast.pk]).order_by("pk").values()
    first, second = (dict(row, id=None) for row in stored)
    assert first == second
    # As save() would: an unsaved related object is refused, nothing is written.
    with pytest.raises(ValueError):
        insert_new(CaseEvent(**{**fields, "case": Case()}))
    # A row that already has its key takes the model's own save(): the timeline refuses it.
    with pytest.raises(PermissionError):
        insert_new(fast)


@pytest.mark.parametrize("priority", ["normal", "urgent"])
def test_insert_new_reads_back_what_the_database_computes(
    cw, submit, priority, monkeypatch, django_assert_num_queries
):
    # A case has a generated column (urgent_open): the fast INSERT reads it back with the key in
    # its one statement, instead of taking save()'s slower way.
    template = submit()

    def refuse(*args, **kwargs):
        raise AssertionError("insert_new took save()")

    monkeypatch.setattr(Case, "save", refuse)
    columns = {
        field.attname: getattr(template, field.attname)
        for field in Case._meta.concrete_fields
        if field.attname not in ("id", "urgent_open", "tracking_code", "public_id", "client_key")
    }
    with django_assert_num_queries(1):
        fast = insert_new(Case(**{**columns, "priority": priority, "tracking_code": "TESTGEN001"}))
    assert fast.urgent_open is (priority == "urgent")
    stored = Case.objects.get(pk=fast.pk)
    assert stored.urgent_open is fast.urgent_open
    assert stored.public_id == fast.public_id and stored.created_at == fast.created_at


def test_the_overdue_badge_counts_what_the_overdue_list_holds_for_every_kind_of_user(cw, submit):
    """`overdue_count` (compiled per number of scope paths) against `overdue(user)`: grid workers
    in and out of the cases' grid, a secretary over the community, a street administrator, a
    department with its organisation (the ORM's path), before and after the deadlines pass."""
    from gridgov.cases import selectors

    for text in ("1栋门口垃圾满溢", "1栋楼道灯坏了", "1栋电梯卡住了，里面有人"):
        submit(text=text)
    submit(place=cw.building2, text="8栋下水道堵了")
    people = [cw.alice, cw.bob, cw.carol, cw.sam, cw.cora, cw.chen, cw.bea]
    for moment in (timezone.now(), timezone.now() + dt.timedelta(days=30)):
        counts = {user.username: selectors.overdue_count(user, now=moment) for user in people}
        assert counts == {user.username: selectors.overdue(user, now=moment).count() for user in people}
    later = timezone.now() + dt.timedelta(days=30)
    assert (
        selectors.overdue_count(cw.alice, now=later) == 3 and selectors.overdue_count(cw.bob, now=later) == 1
    )
    assert selectors.overdue_count(cw.carol, now=later) == 4
    assert selectors.overdue_count(cw.alice, now=timezone.now()) == 0
