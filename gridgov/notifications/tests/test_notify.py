"""notify(): rows in the caller's transaction, deliveries only after it commits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import user_create
from gridgov.notifications.models import GroupRobot, Notification, OutboundMessage
from gridgov.notifications.selectors import robot_names_for_place
from gridgov.notifications.services import notify
from gridgov.notifications.tests.conftest import Reply


def _robot(world, webhook, name="第一网格群", channel="wecom", place=None, **extra) -> GroupRobot:
    return GroupRobot.objects.create(
        name=name, channel=channel, webhook_url=webhook.url(), place=place or world.grid1, **extra
    )


def test_rolled_back_caller_leaves_nothing_and_sends_nothing(
    world, webhook, sms_outbox, django_capture_on_commit_callbacks
):
    _robot(world, webhook)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(
                recipients=[world.alice, world.erin],
                title="事件已分派",
                body="请尽快处理",
                channels=("inapp", "sms"),
                group_targets=["第一网格群"],
            )
            assert Notification.objects.count() == 2
            raise RuntimeError("the case transition failed")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    assert webhook.received == [] and sms_outbox == []


def test_outbound_waits_for_commit(world, webhook, sms_outbox, django_capture_on_commit_callbacks):
    _robot(world, webhook)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            notify(
                recipients=[world.erin],
                title="您的诉求已办结",
                body="电梯已修复",
                channels=("inapp", "sms"),
                group_targets=["第一网格群"],
            )
        # Committed from the caller's point of view, but the callbacks have not run: nothing left.
        assert webhook.received == [] and sms_outbox == []
        assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"pending"}
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(webhook.received) == 1
    assert sms_outbox == [{"phone": "13987654321", "text": "【网格治理】您的诉求已办结：电梯已修复"}]
    assert sorted(OutboundMessage.objects.values_list("channel", "status")) == [
        ("sms", "sent"),
        ("wecom", "sent"),
    ]


def test_inapp_rows_and_sms_targets(world, sms_outbox, django_capture_on_commit_callbacks):
    carol_phone = user_create(
        by=SYSTEM, username="gina", password="x", phone="13700001111", validate=False, display_name="吉娜"
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            recipients=[world.alice, carol_phone, world.erin, world.alice],
            title="  停水通知 ",
            body="明天9点至12点停水",
            link="/cases/1/",
            kind="notice",
            channels=("inapp", "sms"),
        )
    assert [n.recipient for n in created] == [world.alice, carol_phone, world.erin]
    assert all(n.pk and n.title == "停水通知" and n.read_at is None for n in created)
    sms = {m.recipient.username: m for m in OutboundMessage.objects.filter(channel="sms")}
    # The masked number is what is shown; the full one is stored encrypted only.
    assert sms["gina"].target == "*******1111" and "13700001111" not in sms["gina"].target_enc
    assert sms["gina"].status == "sent" and sms["gina"].notification.recipient == carol_phone
    assert sms["erin"].target == "*******4321" and sms["erin"].status == "sent"
    assert sms["alice"].status == "failed" and sms["alice"].last_error == "接收人未登记手机号"
    assert sorted(item["phone"] for item in sms_outbox) == ["13700001111", "13987654321"]


def test_inapp_only_by_default_and_inactive_recipients_skipped(world, django_capture_on_commit_callbacks):
    world.bob.is_active = False
    world.bob.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = notify(recipients=[world.alice, world.bob], title="新事件", body="")
    assert [n.recipient for n in created] == [world.alice]
    assert OutboundMessage.objects.count() == 0 and callbacks == []


def test_console_sms_backend_logs_masked(world, settings, caplog, django_capture_on_commit_callbacks):
    settings.GRIDGOV_SMS_BACKEND = "gridgov.notifications.channels.ConsoleSmsBackend"
    with caplog.at_level("INFO", logger="gridgov.notifications"):
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[world.erin], title="活动报名成功", body="", channels=["sms"])
    message = OutboundMessage.objects.get()
    assert message.status == "sent" and message.payload == {"text": "【网格治理】活动报名成功"}
    assert "*******4321" in caplog.text and "13987654321" not in caplog.text
    # channels without "inapp": the SMS is stored, no inbox row.
    assert Notification.objects.count() == 0


def test_unknown_and_inactive_robots(world, webhook, django_capture_on_commit_callbacks):
    _robot(world, webhook, name="停用群", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[], title="督办", body="", group_targets=["停用群", "没有这个群"])
    message = OutboundMessage.objects.get()
    assert (message.target, message.status, message.last_error) == (
        "停用群",
        "failed",
        "群机器人“停用群”已停用",
    )
    assert webhook.received == []


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"title": "   "}, "title", "请填写通知标题"),
        ({"title": "x", "link": "javascript:alert(1)"}, "link", "链接须为站内路径（以/开头）或http(s)地址"),
        ({"title": "x", "link": "//evil.example/phish"}, "link", "链接须为站内路径（以/开头）或http(s)地址"),
        ({"title": "x", "channels": ("inapp", "fax")}, "channels", "未知的通知渠道：fax"),
    ],
)
def test_bad_input_named_in_chinese_and_nothing_stored(world, kwargs, field, text):
    with pytest.raises(ValidationError) as info:
        notify(recipients=[world.alice], body="", **kwargs)
    assert info.value.message_dict == {field: [text]}
    assert Notification.objects.count() == 0


def test_long_text_is_cut_not_refused(world):
    (n,) = notify(recipients=[world.alice], title="长" * 300, body="文" * 5000)
    assert len(n.title) == 200 and n.title.endswith("…") and len(n.body) == 4000


def test_robot_names_for_place_walks_up_the_tree(world, webhook):
    _robot(world, webhook, name="社区群", place=world.community)
    _robot(world, webhook, name="一网格群", place=world.grid1)
    _robot(world, webhook, name="二网格群", place=world.grid2)
    _robot(world, webhook, name="停用的街道群", place=world.street, is_active=False)
    assert robot_names_for_place(world.building1) == ["社区群", "一网格群"]
    assert robot_names_for_place(world.community) == ["社区群"]


def test_sent_message_is_not_sent_again(world, webhook, django_capture_on_commit_callbacks):
    from gridgov.notifications.tasks import deliver_outbound

    _robot(world, webhook)
    webhook.script(Reply())
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[], title="一次", body="", group_targets=["第一网格群"])
    message = OutboundMessage.objects.get()
    result = deliver_outbound.enqueue(message.pk)
    assert result.return_value == "skipped"
    assert len(webhook.received) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_without_read_back_the_notices_are_stored_alike_but_their_keys_stay_unset(world, sms_outbox):
    read = notify(recipients=[world.alice, world.erin], title="新事件待受理", body="1栋", link="/cases/1/")
    unread = notify(
        recipients=[world.alice, world.erin],
        title="新事件待受理",
        body="1栋",
        link="/cases/1/",
        read_back=False,
    )
    assert all(n.pk for n in read) and all(n.pk is None for n in unread)
    rows = Notification.objects.order_by("pk").values("recipient_id", "title", "body", "link", "read_at")
    assert len(rows) == 4 and list(rows[:2]) == list(rows[2:])
    # A text names the notice it belongs to: with SMS the keys are read back all the same.
    texted = notify(
        recipients=[world.alice], title="紧急", body="", channels=("inapp", "sms"), read_back=False
    )
    assert texted[0].pk and OutboundMessage.objects.get().notification_id == texted[0].pk
