"""What an urgent case does (issue 8): who is told at once and through which channel (in-app to the
staff at its level and the duty users, SMS to them and to the duty phone, the group robots), only
after the transaction commits; the duty contacts on /cases/config/; the 1-hour accept SLA."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.cases.models import DutyContact, Level
from gridgov.cases.services import case_classify, duty_delete, duty_set, sla_set, sla_sweep
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.notifications.models import GroupRobot, Notification, OutboundMessage
from gridgov.notifications.tests.conftest import sms_outbox, webhook  # noqa: F401  (fixtures)

DUTY_PHONE = "13900001111"


def told(kind: str = "case.urgent") -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def submit_committed(submit, django_capture_on_commit_callbacks):
    """`submit` as a request makes it: the report commits, so the urgent alarm (a task enqueued
    after commit) runs."""

    def make(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return submit(**fields)

    return make


@pytest.fixture
def duty(cw):
    """The community's duty phone and its duty secretary (carol)."""
    return duty_set(by=SYSTEM, place=cw.community, phone=DUTY_PHONE, users=[cw.carol], note="社区24小时值班")


@pytest.fixture
def robot(cw, webhook):  # noqa: F811
    return GroupRobot.objects.create(
        name="金泰路社区工作群", channel="wecom", webhook_url=webhook.url(), place=cw.community
    )


def test_urgent_report_tells_everyone_through_every_channel_after_commit(
    cw,
    submit,
    duty,
    robot,
    webhook,  # noqa: F811
    sms_outbox,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = submit(text="1栋楼道里在冒烟", category="safety", priority="urgent")
    # The report's own transaction only enqueues the alarm (a task, once it commits).
    assert told() == set() and not OutboundMessage.objects.filter(kind="case.urgent").exists()
    with django_capture_on_commit_callbacks(execute=False) as deliveries:
        for callback in callbacks:
            callback()  # the alarm task, and the reporter's receipt
    # The alarm is stored; nothing of it has left before the alarm's own transaction commits.
    assert webhook.received == [] and not [m for m in sms_outbox if "紧急事件" in m["text"]]
    # The grid's staff (alice, frank) and the duty secretary; not the other grid, not as "case.new".
    assert told() == {"alice", "frank", "carol"}
    assert told("case.new") == set()
    alarm = Notification.objects.filter(kind="case.urgent").first()
    assert alarm.title == "紧急事件：治安消防" and alarm.link == f"/cases/{case.pk}/"
    assert "1栋楼道里在冒烟" in alarm.body
    sms = OutboundMessage.objects.filter(channel="sms", kind="case.urgent")
    duty_sms = sms.get(recipient__isnull=True)
    assert (duty_sms.target, duty_sms.status) == ("*******1111", "pending")  # the duty phone, masked
    assert DUTY_PHONE not in duty_sms.target_enc
    # The people too; without a registered phone their text is recorded as failed, so it shows.
    people = sms.filter(recipient__isnull=False)
    assert set(people.values_list("recipient__username", flat=True)) == {"alice", "frank", "carol"}
    assert set(people.values_list("last_error", flat=True)) == {"接收人未登记手机号"}
    assert OutboundMessage.objects.get(channel="wecom").robot == robot
    for callback in deliveries:
        callback()
    alarms = [m for m in sms_outbox if m["text"].startswith("【网格治理】紧急事件：治安消防")]
    assert {"phone": DUTY_PHONE, "text": alarms[0]["text"]} in sms_outbox
    assert len(webhook.received) == 1 and "紧急事件" in webhook.received[0].json["markdown"]["content"]


def test_normal_report_raises_no_alarm(cw, submit, duty, robot):
    submit(text="1栋门口垃圾没人清运")
    assert told() == set()
    assert told("case.new") == {"alice", "frank"}
    # The only text is the reporter's own receipt (with the tracking code), never an alarm.
    assert list(OutboundMessage.objects.values_list("kind", flat=True)) == ["case.received"]


def test_the_reporter_on_duty_is_not_told_what_they_entered(cw, submit_committed, duty):
    submit_committed(
        by=cw.alice, channel="patrol", text="1栋楼道里在冒烟", priority="urgent", reporter_phone=""
    )
    assert told() == {"frank", "carol"}
    assert OutboundMessage.objects.filter(target="*******1111").count() == 1


def test_an_urgent_lift_case_alarms_the_property_company_not_the_grid(cw, submit_committed, duty):
    submit_committed(text="1栋电梯困人了", category="lift", priority="urgent")
    assert told() == {"pete", "carol"}


def test_duty_contacts_of_other_places_hear_nothing(cw, submit_committed):
    duty_set(by=SYSTEM, place=cw.grid2, phone="13900002222")
    submit_committed(text="1栋楼道里在冒烟", priority="urgent")
    assert not OutboundMessage.objects.filter(target="*******2222").exists()
    submit_committed(text="8栋楼道里在冒烟", priority="urgent", place=cw.building2)
    assert OutboundMessage.objects.filter(target="*******2222").count() == 1


def test_an_inactive_duty_contact_is_not_used(cw, submit_committed):
    duty_set(by=SYSTEM, place=cw.community, phone=DUTY_PHONE, is_active=False)
    submit_committed(text="1栋楼道里在冒烟", priority="urgent")
    assert not OutboundMessage.objects.filter(target="*******1111").exists()


def test_reclassifying_as_urgent_raises_the_alarm_once(cw, submit, duty):
    case = submit(text="1栋楼道有股焦味", priority="normal")
    Notification.objects.all().delete()
    case = case_classify(by=cw.carol, case=case, category="safety", priority="urgent")
    # carol made it urgent herself: the grid and the duty phone hear it.
    assert told() == {"alice", "frank"}
    assert OutboundMessage.objects.filter(target="*******1111").count() == 1
    case_classify(by=cw.carol, case=case, category="safety", priority="urgent", note="确认")
    assert Notification.objects.filter(kind="case.urgent").count() == 2
    assert OutboundMessage.objects.filter(target="*******1111").count() == 1


def test_an_urgent_case_with_a_one_hour_accept_sla_escalates_after_the_hour(cw, submit):
    sla_set(
        by=SYSTEM, category=cw.sanitation, priority="urgent", accept_within=1, resolve_within=4, unit="hours"
    )
    reported = clock.now().replace(microsecond=0)
    case = submit(text="1栋楼道里在冒烟", priority="urgent", category="sanitation", now=reported)
    assert case.due_accept_at == reported + dt.timedelta(hours=1)
    assert sla_sweep(now=reported + dt.timedelta(minutes=59)).escalated == 0
    assert sla_sweep(now=reported + dt.timedelta(minutes=61)).escalated == 1
    case.refresh_from_db()
    assert (case.level, case.level_place, case.supervised) == (Level.COMMUNITY, cw.community, True)
    assert told("case.escalated") == {"carol", "cora"}
    assert case.urgent_open  # still first in the community's queues


# --- duty contacts: the service --------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("0731-88886666", "值班电话须为手机号（用于接收紧急事件短信）"),
        ("abc", "值班电话：电话号码只能包含数字"),
        ("1390000111", "值班电话：手机号应为11位，当前为10位"),
    ],
)
def test_duty_phone_must_be_a_mobile(cw, phone, message):
    with pytest.raises(ValidationError) as exc:
        duty_set(by=cw.sam, place=cw.community, phone=phone)
    assert exc.value.message_dict == {"phone": [message]}
    assert not DutyContact.objects.exists()


def test_duty_needs_a_phone_or_people_and_people_who_see_the_place(cw):
    with pytest.raises(ValidationError) as exc:
        duty_set(by=cw.sam, place=cw.community, note="空")
    assert exc.value.message_dict == {"phone": ["请填写值班电话或选择值班人员"]}
    with pytest.raises(ValidationError) as exc:
        duty_set(by=cw.sam, place=cw.community, users=[cw.bob])  # bob sees grid 2 only
    assert exc.value.message_dict == {"users": ["bob看不到金泰路社区的全部事件，不能担任这里的值班人员"]}
    with pytest.raises(ValidationError):
        duty_set(by=cw.sam, place=cw.community, users=[cw.erin])  # a resident
    assert duty_set(by=cw.sam, place=cw.grid2, users=[cw.bob]).users.get() == cw.bob


def test_duty_is_set_again_in_place_keeps_the_phone_and_is_audited_masked(cw):
    first = duty_set(by=cw.sam, place=cw.community, phone="139 0000 1111", users=[cw.carol])
    again = duty_set(by=cw.sam, place=cw.community, phone=None, users=[cw.cora], note="夜班")
    assert again.pk == first.pk and DutyContact.objects.count() == 1
    again.refresh_from_db()
    assert (again.phone_masked, list(again.users.all()), again.note) == ("*******1111", [cw.cora], "夜班")
    assert DUTY_PHONE not in again.phone_enc
    entries = AuditEntry.objects.filter(target_type="cases.dutycontact")
    assert entries.count() == 2 and all(DUTY_PHONE not in str(e.changes) for e in entries)
    duty_delete(by=cw.sam, duty=again)
    assert not DutyContact.objects.exists()


def test_only_configurers_in_scope_set_duty(cw):
    from gridgov.core.errors import Forbidden

    with pytest.raises(Forbidden):
        duty_set(by=cw.carol, place=cw.community, phone=DUTY_PHONE)  # 社区书记: no cases.configure
    with pytest.raises(NotFound):
        duty_set(by=cw.erin, place=cw.community, phone=DUTY_PHONE)
    assert not DutyContact.objects.exists()


# --- duty contacts: the configuration page ---------------------------------------------------


def test_config_duty_tab_sets_shows_masked_and_deletes(client, cw):
    client.force_login(cw.sam)
    page = client.get(reverse("cases:config"), {"tab": "duty"})
    assert page.status_code == 200 and "还没有设置值班电话" in page.text
    response = client.post(
        reverse("cases:config_duty_set"),
        {
            "place": cw.community.pk,
            "phone": DUTY_PHONE,
            "users": [cw.carol.pk],
            "note": "社区值班",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and response.url.endswith("?tab=duty")
    page = client.get(reverse("cases:config"), {"tab": "duty"}).text
    assert "*******1111" in page and DUTY_PHONE not in page and "carol" in page
    duty = DutyContact.objects.get()
    assert client.post(reverse("cases:config_duty_delete", args=[duty.pk])).status_code == 302
    assert not DutyContact.objects.exists()


def test_config_duty_bad_input_is_named(client, cw):
    client.force_login(cw.sam)
    url = reverse("cases:config_duty_set")
    response = client.post(url, {"place": cw.community.pk, "phone": "0731-88886666"})
    assert response.status_code == 400 and "值班电话须为手机号" in response.text
    response = client.post(url, {"place": cw.community.pk, "users": [cw.bob.pk]})
    assert response.status_code == 400 and "bob看不到金泰路社区的全部事件" in response.text
    response = client.post(url, {"place": 987654, "phone": DUTY_PHONE})
    assert response.status_code == 400 and "地点不存在或不在您的范围内" in response.text
    response = client.post(url, {"place": cw.community.pk, "phone": DUTY_PHONE, "users": ["x"]})
    assert response.status_code == 400
    assert not DutyContact.objects.exists()


def test_config_duty_out_of_scope(client, cw):
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    other_street = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="望月湖街道")
    tom = user_create(by=SYSTEM, username="tom", password=cw.password, display_name="tom", validate=False)
    role_grant(by=SYSTEM, user=tom, role=Role.objects.get(code="street_admin"), place=other_street)
    duty = duty_set(by=SYSTEM, place=cw.community, phone=DUTY_PHONE)
    client.force_login(tom)
    page = client.get(reverse("cases:config"), {"tab": "duty"}).text
    assert "金泰路社区" not in page
    assert client.post(reverse("cases:config_duty_delete", args=[duty.pk])).status_code == 404
    response = client.post(
        reverse("cases:config_duty_set"), {"place": cw.community.pk, "phone": "13900003333"}
    )
    assert response.status_code == 400 and "地点不存在或不在您的范围内" in response.text
    client.force_login(cw.carol)
    assert client.post(reverse("cases:config_duty_set"), {}).status_code == 403
    assert DutyContact.objects.get().phone_last4 == "1111"
