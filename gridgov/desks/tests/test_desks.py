from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.core import clock
from gridgov.core.errors import Forbidden
from gridgov.desks import selectors, services
from gridgov.desks.models import Handling

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world):
    d = services.desk_create(
        by=SYSTEM, place=world.community, kind="talk_room", name="党员谈心室", hours="工作日 9:00-17:00"
    )
    today = clock.today()
    world.slot = services.slot_add(
        by=SYSTEM,
        desk=d,
        weekday=today.weekday(),
        starts=dt.time(9),
        ends=dt.time(12),
        person="刘书记",
        role_note="党员",
    )
    return d


def _login(client, user, w):
    assert client.login(username=user.username, password=w.password)


def test_roster_with_swap_and_absence(world, desk):
    today = clock.today()
    assert [t.person for t in selectors.on_duty([desk], today)] == ["刘书记"]
    services.duty_change(by=world.carol, slot=world.slot, on=today, substitute="周委员")
    assert [t.person for t in selectors.on_duty([desk], today)] == ["周委员"]
    services.duty_change(by=world.carol, slot=world.slot, on=today, substitute="")
    assert selectors.on_duty([desk], today)[0].absent
    with pytest.raises(ValidationError, match="该日期不是"):
        services.duty_change(by=world.carol, slot=world.slot, on=today + dt.timedelta(days=1))


def test_walkin_becomes_a_case_and_a_mediation_case_once(world, desk):
    walkin = services.walkin_log(
        by=world.carol, desk=desk, visitor="张建国", topic="dispute", summary="楼上装修噪音，晚上十点还在施工"
    )
    dispute = services.walkin_to_dispute(by=world.carol, walkin=walkin, respondent="201住户")
    walkin.refresh_from_db()
    assert walkin.dispute == dispute and walkin.handling == Handling.PASSED and dispute.arrival == "desk"
    with pytest.raises(ValidationError, match="这条来访已转办"):
        services.walkin_to_case(by=world.carol, walkin=walkin)
    other = services.walkin_log(by=world.carol, desk=desk, visitor="李秀英", topic="help", summary="路灯坏了")
    case = services.walkin_to_case(by=world.carol, walkin=other)
    assert case.channel == "walk_in"


def test_scope_and_bad_input(world, desk):
    with pytest.raises(Forbidden):
        services.walkin_log(by=world.alice, desk=desk, visitor="x", topic="help", summary="y")
    with pytest.raises(ValidationError, match="请选择来访事由"):
        services.walkin_log(by=world.carol, desk=desk, visitor="x", topic="chat", summary="y")


def test_resident_sees_today_on_the_phone(client, world, desk):
    _login(client, world.erin, world)
    body = client.get("/desks/today/").content.decode()
    assert "党员谈心室" in body and "刘书记" in body
    assert client.get(f"/desks/{desk.pk}/").status_code == 403
    assert client.get(f"/api/v1/desks/desks/{desk.pk}/walkins").status_code == 404


def test_api_walkin(client, world, desk):
    _login(client, world.carol, world)
    bad = client.post(
        f"/api/v1/desks/desks/{desk.pk}/walkins",
        {"visitor": "", "topic": "help", "summary": "y"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    ok = client.post(
        f"/api/v1/desks/desks/{desk.pk}/walkins",
        {"visitor": "王", "topic": "help", "summary": "y"},
        content_type="application/json",
    )
    assert ok.status_code == 201


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_counts(client, world, desk, rows, django_assert_max_num_queries):
    for index in range(rows):
        services.walkin_log(
            by=world.carol, desk=desk, visitor=f"居民{index}", topic="consult", summary="咨询政策"
        )
        services.desk_create(by=world.carol, place=world.grid1, kind="kiosk", name=f"解忧亭{index}")
    _login(client, world.carol, world)
    with django_assert_max_num_queries(14):
        assert client.get(f"/desks/{desk.pk}/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/desks/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/api/v1/desks/desks/{desk.pk}/walkins?page_size=200").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/desks/desks?page_size=200").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/desks/today").status_code == 200
