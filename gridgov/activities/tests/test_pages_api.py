"""Activity pages and JSON: sign-up and waiting list as residents see them, staff check-in, scope, counts."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.accounts.scope import SYSTEM
from gridgov.activities import services
from gridgov.activities.models import GroupKind
from gridgov.activities.tests.conftest import make_activity
from gridgov.core import clock
from gridgov.people.services import card_qr_payload

pytestmark = pytest.mark.django_db


def test_a_full_activity_puts_the_resident_on_the_waiting_list_with_a_message(client, world, neighbours):
    activity = make_activity(world, capacity=1)
    services.signup_create(by=neighbours["wang"], activity=activity)
    client.force_login(world.erin)
    assert "报名候补" in client.get(f"/activities/a/{activity.pk}/").content.decode()
    page = client.post(f"/activities/a/{activity.pk}/signup/", follow=True).content.decode()
    assert "候补名单第1位" in page and "候补中：第1位" in page
    again = client.post(f"/activities/a/{activity.pk}/signup/", follow=True).content.decode()
    assert "您已在候补名单中" in again


def test_the_resident_calendar_lists_what_she_can_join_and_what_she_joined(client, world):
    activity = make_activity(world, title="重阳节茶话会", starts_at=clock.now() + dt.timedelta(hours=3))
    client.force_login(world.erin)
    month = activity.starts_at.astimezone(services.SHANGHAI).strftime("%Y-%m")
    assert "重阳节茶话会" in client.get(f"/activities/?month={month}").content.decode()
    assert "重阳节茶话会" not in client.get(f"/activities/?view=mine&month={month}").content.decode()
    services.signup_create(by=world.erin, activity=activity)
    assert "重阳节茶话会" in client.get(f"/activities/?view=mine&month={month}").content.decode()


def test_staff_check_in_by_scanning_the_card_and_see_the_roster(client, world):
    activity = make_activity(world, starts_at=clock.now() + dt.timedelta(minutes=10))
    services.signup_create(by=world.erin, activity=activity)
    client.force_login(world.carol)
    page = client.post(
        f"/activities/staff/a/{activity.pk}/",
        {"action": "checkin", "payload": card_qr_payload(world.li)},
        follow=True,
    ).content.decode()
    assert "李秀英 签到成功" in page and "<svg" in page
    again = client.post(
        f"/activities/staff/a/{activity.pk}/", {"action": "checkin", "payload": card_qr_payload(world.li)}
    ).content.decode()
    assert "无需重复签到" in again


def test_out_of_scope_is_not_found_for_pages_and_api(client, world):
    activity = make_activity(world, by=world.alice, place=world.grid1)
    client.force_login(world.bob)
    assert client.get(f"/activities/staff/a/{activity.pk}/").status_code == 404
    assert client.get(f"/api/v1/activities/activities/{activity.pk}").status_code == 404
    client.force_login(world.erin)
    assert client.get(f"/activities/a/{activity.pk}/").status_code == 404
    assert client.post(f"/activities/a/{activity.pk}/signup/").status_code == 404
    assert client.post(f"/api/v1/activities/activities/{activity.pk}/signup").status_code == 404


def test_api_create_signup_cancel_checkin(client, world, neighbours):
    client.force_login(world.carol)
    starts = clock.now() + dt.timedelta(minutes=20)
    created = client.post(
        "/api/v1/activities/activities",
        {
            "title": "广场舞",
            "place": world.community.pk,
            "location": "中心广场",
            "capacity": 1,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    activity_id = created.json()["id"]
    bad = client.post(
        "/api/v1/activities/activities",
        {
            "title": "x",
            "place": world.community.pk,
            "location": "y",
            "starts_at": starts.isoformat(),
            "ends_at": starts.isoformat(),
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "结束时间须晚于开始时间" in bad.json()["detail"]
    client.force_login(neighbours["wang"])
    assert client.post(f"/api/v1/activities/activities/{activity_id}/signup").json()["state"] == "confirmed"
    client.force_login(world.erin)
    assert client.post(f"/api/v1/activities/activities/{activity_id}/signup").json()["state"] == "waiting"
    twice = client.post(f"/api/v1/activities/activities/{activity_id}/signup")
    assert twice.status_code == 400 and "候补名单" in twice.json()["detail"]
    client.force_login(neighbours["wang"])
    assert (
        client.post(f"/api/v1/activities/activities/{activity_id}/cancel").json()["promoted_resident_id"]
        == world.li.pk
    )
    client.force_login(world.carol)
    checked = client.post(
        f"/api/v1/activities/activities/{activity_id}/checkin",
        {"payload": card_qr_payload(world.li)},
        content_type="application/json",
    )
    assert checked.status_code == 200 and checked.json()["checked_in_at"]
    assert client.get(f"/api/v1/activities/figures?year={starts.year}").json()[0]["attended"] == 1


def test_group_join_request_through_the_pages(client, world):
    group = services.group_create(
        by=world.carol, name="楼栋小课堂", kind=GroupKind.BUILDING_CLASS, place=world.community
    )
    client.force_login(world.erin)
    page = client.post(
        f"/activities/groups/{group.pk}/", {"action": "join", "note": "想学"}, follow=True
    ).content.decode()
    assert "申请已提交" in page
    client.force_login(world.carol)
    page = client.get(f"/activities/groups/{group.pk}/").content.decode()
    assert "李秀英" in page and "通过" in page


@pytest.mark.parametrize("count", [5, 50])
def test_lists_keep_their_query_count(client, world, neighbours, django_assert_max_num_queries, count):
    group = services.group_create(
        by=world.carol, name="合唱队", kind=GroupKind.CULTURE, place=world.community
    )
    start = clock.now().astimezone(services.SHANGHAI).replace(day=1, hour=9) + dt.timedelta(days=40)
    last = None
    for index in range(count):
        last = make_activity(
            world, group=group, starts_at=start + dt.timedelta(hours=index), capacity=0, title=f"排练{index}"
        )
        services.signup_create(by=world.erin, activity=last)
    month = start.strftime("%Y-%m")
    client.force_login(world.erin)
    with django_assert_max_num_queries(14):
        assert client.get(f"/activities/?month={month}").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/activities/activities?page_size=100").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/activities/groups/").status_code == 200
    client.force_login(world.carol)
    with django_assert_max_num_queries(14):
        assert client.get(f"/activities/staff/?month={month}").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"/activities/staff/a/{last.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/activities/groups").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/activities/staff/figures/?year={start.year}").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/activities/groups/").status_code == 200
    from gridgov.people.services import resident_create
    from gridgov.places.services import household_create

    for index in range(count):
        household = household_create(by=SYSTEM, place=world.building2, room=f"8{index:02d}")
        resident = resident_create(by=SYSTEM, name=f"团员{index}", household=household)
        services.group_add_member(by=world.carol, group=group, resident=resident)
    with django_assert_max_num_queries(18):
        assert client.get(f"/activities/groups/{group.pk}/").status_code == 200


def test_the_report_photos_are_checked_by_content_and_shown_in_scope_only(client, world, settings, tmp_path):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.activities.models import ActivityPhoto
    from gridgov.cases.tests.factories import png_bytes

    settings.MEDIA_ROOT = tmp_path
    activity = make_activity(world, starts_at=clock.now() - dt.timedelta(hours=3))
    services.activity_report(
        by=world.carol,
        activity=activity,
        report="圆满结束",
        photos=[SimpleUploadedFile("a.png", png_bytes())],
    )
    with pytest.raises(ValidationError):
        services.activity_report(
            by=world.carol, activity=activity, report="x", photos=[SimpleUploadedFile("a.png", b"<html>")]
        )
    photo = ActivityPhoto.objects.get()
    client.force_login(world.erin)
    assert client.get(f"/activities/photos/{photo.pk}/").status_code == 200
    outside = make_activity(
        world, by=world.alice, place=world.grid1, starts_at=clock.now() - dt.timedelta(hours=3)
    )
    services.activity_report(
        by=world.alice, activity=outside, report="", photos=[SimpleUploadedFile("b.png", png_bytes())]
    )
    hidden = ActivityPhoto.objects.get(activity=outside)
    assert client.get(f"/activities/photos/{hidden.pk}/").status_code == 404
