"""Sign-up, waiting list, cancellation, check-in, recurrence and figures, as residents and staff meet them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.activities import selectors, services
from gridgov.activities.models import Activity, ActivityState, GroupKind, MemberState, SignupState
from gridgov.activities.tests.conftest import make_activity
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import Notification
from gridgov.people.services import card_qr_payload

pytestmark = pytest.mark.django_db


def test_past_capacity_goes_to_the_waiting_list_and_moves_up_on_cancellation(world, neighbours):
    activity = make_activity(world, capacity=2)
    first = services.signup_create(by=neighbours["wang"], activity=activity)
    services.signup_create(by=neighbours["zhao"], activity=activity)
    third = services.signup_create(by=world.erin, activity=activity)
    assert (first.state, third.state) == (SignupState.CONFIRMED, SignupState.WAITING)
    assert selectors.waiting_position(third) == 1
    promoted = services.signup_cancel(by=neighbours["wang"], signup=first)
    assert promoted is not None and promoted.resident_id == world.li.pk
    activity.refresh_from_db()
    assert (activity.confirmed_count, activity.waiting_count) == (2, 0)
    assert Notification.objects.filter(recipient=world.erin, title__startswith="候补成功").exists()


def test_signing_up_twice_is_refused_and_changes_nothing(world):
    activity = make_activity(world)
    services.signup_create(by=world.erin, activity=activity)
    with pytest.raises(ValidationError) as exc:
        services.signup_create(by=world.erin, activity=activity)
    assert "无需重复报名" in str(exc.value)
    activity.refresh_from_db()
    assert activity.confirmed_count == 1


def test_audience_age_and_place_are_checked_with_a_message(world):
    activity = make_activity(world, place=world.grid1)
    with pytest.raises(NotFound):  # 8栋 is not under grid 1: the resident cannot even see it
        selectors.activity_for(world.erin, activity.pk)
    with pytest.raises(ValidationError) as exc:
        services.signup_create(by=world.erin, activity=activity)
    assert "不面向您所在的小区" in str(exc.value)
    elders = make_activity(world, min_age=60, title="老年大学书法班")
    with pytest.raises(ValidationError) as exc:  # 李秀英 was born in 1980
        services.signup_create(by=world.erin, activity=elders)
    assert "60岁以上" in str(exc.value)
    assert Activity.objects.get(pk=elders.pk).confirmed_count == 0


def test_check_in_by_service_card_needs_a_sign_up_and_the_right_time(world, neighbours):
    start = clock.now() + dt.timedelta(minutes=10)
    activity = make_activity(world, starts_at=start, capacity=1)
    card = card_qr_payload(world.li)
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_card(by=world.carol, activity=activity, payload=card)
    assert "没有报名此活动" in str(exc.value)
    services.signup_create(by=neighbours["wang"], activity=activity)
    services.signup_create(by=world.erin, activity=activity)
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_card(by=world.carol, activity=activity, payload=card)
    assert "候补名单" in str(exc.value)
    wang = selectors.my_signup(neighbours["wang"], activity)
    services.signup_cancel(by=neighbours["wang"], signup=wang)
    row = services.checkin_by_card(by=world.carol, activity=activity, payload=card)
    assert row.checked_in_at is not None
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_card(by=world.carol, activity=activity, payload=card)
    assert "无需重复签到" in str(exc.value)
    activity.refresh_from_db()
    assert activity.attended_count == 1
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_card(by=world.carol, activity=activity, payload="GG1:forged")
    assert "无效或被篡改" in str(exc.value)


def test_checking_in_outside_the_activity_time_is_refused(world):
    activity = make_activity(world, starts_at=clock.now() + dt.timedelta(days=1))
    services.signup_create(by=world.erin, activity=activity)
    token = services.checkin_token(activity)
    with pytest.raises(ValidationError) as exc:
        services.checkin_self(by=world.erin, token=token)
    assert "不在签到时间内" in str(exc.value)
    with clock.frozen_at(activity.starts_at + dt.timedelta(minutes=5)):
        row = services.checkin_self(by=world.erin, token=token)
    assert row.checked_in_at is not None
    with pytest.raises(ValidationError):
        services.checkin_self(by=world.erin, token=token + "x")


def test_out_of_scope_staff_cannot_check_in(world):
    activity = make_activity(world, place=world.grid1, by=world.alice)
    with pytest.raises(Forbidden):
        services.checkin_by_card(by=world.dave, activity=activity, payload=card_qr_payload(world.zhang))
    with pytest.raises(NotFound):
        selectors.activity_for(world.bob, activity.pk)


def test_weekly_series_with_exceptions(world):
    saturday = dt.date(2030, 3, 2)  # a Saturday
    series = services.series_create(
        by=world.carol,
        place=world.community,
        title="周末课堂",
        weekday=5,
        start_time=dt.time(9, 0),
        duration_minutes=90,
        starts_on=saturday,
        ends_on=saturday + dt.timedelta(days=28),
        location="活动室",
        exceptions=[saturday + dt.timedelta(days=7)],
    )
    days = [
        a.starts_at.astimezone(services.SHANGHAI).date() for a in series.occurrences.order_by("starts_at")
    ]
    assert days == [saturday + dt.timedelta(days=n) for n in (0, 14, 21, 28)]
    assert services.series_skip(by=world.carol, series=series, day=saturday + dt.timedelta(days=14)) == 1
    series.refresh_from_db()
    assert len(series.exceptions) == 2
    assert series.occurrences.filter(state=ActivityState.CANCELLED).count() == 1


def test_the_reminder_goes_out_the_day_before_once(world):
    activity = make_activity(world, starts_at=clock.now() + dt.timedelta(hours=20))
    services.signup_create(by=world.erin, activity=activity)
    assert services.remind_tomorrow(by=SYSTEM) == 1
    assert services.remind_tomorrow(by=SYSTEM) == 0
    assert Notification.objects.filter(recipient=world.erin, title__startswith="明天活动提醒").count() == 1


def test_groups_join_requests_and_figures(world, neighbours):
    troupe = services.group_create(
        by=world.carol, name="金泰文化艺术团", kind=GroupKind.TROUPE, place=world.community
    )
    dance = services.group_create(
        by=world.carol, name="舞蹈队", kind=GroupKind.TROUPE, place=world.community, parent=troupe
    )
    services.group_add_member(by=world.carol, group=dance, resident=world.zhang, role="leader")
    request = services.group_join(by=world.erin, group=dance, note="喜欢跳舞")
    with pytest.raises(ValidationError):
        services.group_join(by=world.erin, group=dance)
    services.group_decide(by=world.carol, member=request, approve=True)
    request.refresh_from_db()
    dance.refresh_from_db()
    assert request.state == MemberState.ACTIVE and dance.member_count == 2
    start = clock.now() + dt.timedelta(minutes=5)
    activity = make_activity(world, starts_at=start, group=dance, capacity=0)
    services.signup_create(by=world.erin, activity=activity)
    services.signup_create(by=neighbours["wang"], activity=activity)
    with clock.frozen_at(start):
        services.checkin_by_card(by=world.carol, activity=activity, payload=card_qr_payload(world.li))
    rows = selectors.figures(world.carol, year=start.year)
    row = next(r for r in rows if r.group == dance)
    assert (row.held, row.signups, row.attended, row.attendance_rate, row.reached) == (1, 2, 1, 50, 1)
