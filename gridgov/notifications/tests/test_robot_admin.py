"""Configuring group robots: who may, what is checked, what is audited; the worker command."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.audit.models import AuditEntry
from gridgov.core.errors import NotFound
from gridgov.notifications import services
from gridgov.notifications.models import GroupRobot, OutboundMessage
from gridgov.notifications.tests.conftest import Reply


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(where, **extra) -> dict[str, str]:
    data = {
        "name": "金泰路社区工作群",
        "channel": "dingtalk",
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
        "secret": "SECxyz",
        "is_active": "on",
        "place": str(where.pk),
    }
    data.update(extra)
    return data


def test_secretary_adds_a_robot_in_her_community(world):
    response = _client(world.carol).post("/notifications/robots/", _form(world.community), follow=True)
    assert "已添加群机器人“金泰路社区工作群”" in response.content.decode()
    robot = GroupRobot.objects.get()
    assert (robot.channel, robot.secret, robot.place, robot.is_active) == (
        "dingtalk",
        "SECxyz",
        world.community,
        True,
    )
    page = response.content.decode()
    # The access token and the secret are credentials: the page shows neither.
    assert "abcdef123456" not in page and "SECxyz" not in page and "…3456" in page
    entry = AuditEntry.objects.get(target_type="notifications.grouprobot")
    assert entry.actor == world.carol and entry.action == "create"
    assert "abcdef123456" not in str(entry.changes) and entry.changes["secret"] == [None, "已设置"]


@pytest.mark.parametrize(
    ("extra", "field_message"),
    [
        ({"name": ""}, "请填写机器人名称"),
        ({"webhook_url": "ftp://x/y"}, "Webhook地址须为完整的http(s)地址"),
        ({"webhook_url": "not a url"}, "Webhook地址须为完整的http(s)地址"),
        ({"channel": "slack"}, "平台须为企业微信或钉钉"),
        ({"channel": "wecom"}, "只有钉钉机器人使用加签密钥"),
        ({"place": "999999"}, "所属地点无效或无权配置"),
    ],
)
def test_bad_robot_input(world, extra, field_message):
    response = _client(world.carol).post("/notifications/robots/", _form(world.community, **extra))
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert GroupRobot.objects.count() == 0


def test_duplicate_name_refused(world):
    _client(world.carol).post("/notifications/robots/", _form(world.community))
    response = _client(world.carol).post("/notifications/robots/", _form(world.grid1))
    assert response.status_code == 400 and "已有同名的群机器人" in response.content.decode()


def test_scope_of_robot_configuration(world):
    robot = services.robot_create(
        by=SYSTEM,
        place=world.grid2,
        name="二网格群",
        channel="wecom",
        webhook_url="https://qyapi.weixin.qq.com/x?key=k",
    )
    # Grid workers and grid heads do not manage places: no robot page at all.
    assert _client(world.alice).get("/notifications/robots/").status_code == 404
    assert _client(world.frank).get("/notifications/robots/").status_code == 404
    # A manager of grid 1 only sees grid 1's robots and cannot pick grid 2, even by a hand-made POST.
    henry = user_create(by=SYSTEM, username="henry", password="x", validate=False)
    role_grant(by=SYSTEM, user=henry, role=Role.objects.get(code="community_secretary"), place=world.grid1)
    henry_client = _client(henry)
    page = henry_client.get("/notifications/robots/").content.decode()
    assert "二网格群" not in page and "第一网格" in page and "第二网格" not in page
    response = henry_client.post("/notifications/robots/", _form(world.grid2, name="越权群"))
    assert response.status_code == 400 and "所属地点无效或无权配置" in response.content.decode()
    assert henry_client.get(f"/notifications/robots/{robot.pk}/").status_code == 404
    carol = _client(world.carol)
    assert "二网格群" in carol.get("/notifications/robots/").content.decode()
    with pytest.raises(NotFound):
        services.robot_create(
            by=world.alice, place=world.grid1, name="x", channel="wecom", webhook_url="https://a.example/x"
        )
    assert _client(world.bob).get(f"/notifications/robots/{robot.pk}/").status_code == 404
    assert _client(world.bob).post(f"/notifications/robots/{robot.pk}/test/").status_code == 404


def test_edit_keeps_secret_unless_cleared(world):
    robot = services.robot_create(
        by=SYSTEM,
        place=world.community,
        name="社区群",
        channel="dingtalk",
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=a",
        secret="SEC1",
    )
    carol = _client(world.carol)
    form = {"name": "社区群（新）", "channel": "dingtalk", "webhook_url": robot.webhook_url, "secret": ""}
    assert carol.post(f"/notifications/robots/{robot.pk}/", form).status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.secret, robot.is_active) == ("社区群（新）", "SEC1", False)
    carol.post(f"/notifications/robots/{robot.pk}/", {**form, "clear_secret": "1", "is_active": "on"})
    robot.refresh_from_db()
    assert (robot.secret, robot.is_active) == ("", True)
    bad = carol.post(f"/notifications/robots/{robot.pk}/", {**form, "webhook_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "Webhook地址须为完整的http(s)地址" in bad.content.decode()


def test_test_button_sends_through_the_robot(world, webhook, django_capture_on_commit_callbacks):
    robot = services.robot_create(
        by=SYSTEM, place=world.community, name="社区群", channel="wecom", webhook_url=webhook.url()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(world.carol).post(f"/notifications/robots/{robot.pk}/test/", follow=True)
        # The page answers once the message is stored; the worker sends it after the commit.
        assert "测试消息已排队" in response.content.decode() and webhook.received == []
    (request,) = webhook.received
    assert request.json["markdown"]["content"].startswith("**网格治理：群机器人测试消息**")
    assert OutboundMessage.objects.get().status == "sent"


def test_failed_message_resend(world, webhook, fast_retries, django_capture_on_commit_callbacks):
    robot = services.robot_create(
        by=SYSTEM, place=world.community, name="社区群", channel="wecom", webhook_url=webhook.url()
    )
    webhook.script(Reply(body={"errcode": 93000, "errmsg": "invalid webhook url"}))
    carol = _client(world.carol)
    with django_capture_on_commit_callbacks(execute=True):
        carol.post(f"/notifications/robots/{robot.pk}/test/")
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 3)
    page = carol.get("/notifications/robots/").content.decode()
    assert "第3次：errcode=93000 errmsg=invalid webhook url" in page and "重发" in page
    # The robot's key is fixed; the administrator sends the failed message again.
    webhook.script(Reply())
    assert _client(world.bob).post(f"/notifications/messages/{message.pk}/resend/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = carol.post(f"/notifications/messages/{message.pk}/resend/", follow=True)
    assert "已重新排队发送" in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    response = carol.post(f"/notifications/messages/{message.pk}/resend/", follow=True)
    assert "只有发送失败的消息可以重发" in response.content.decode()
    assert (
        AuditEntry.objects.filter(target_type="notifications.outboundmessage", actor=world.carol).count() == 1
    )


def test_service_rejects_secret_for_wecom(world):
    with pytest.raises(ValidationError) as info:
        services.robot_create(
            by=SYSTEM,
            place=world.grid1,
            name="x",
            channel="wecom",
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            secret="s",
        )
    assert info.value.message_dict == {"secret": ["只有钉钉机器人使用加签密钥"]}


def test_worker_command_runs_queued_deliveries(
    world, webhook, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # The worker drops connections that are not in autocommit; inside the test's transaction that
    # would be ours (on PostgreSQL), so it is kept open here — a real worker never runs in one.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    from gridgov.notifications.services import notify

    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.alice], title="排队发送", body="", group_targets=["群"])
    message = OutboundMessage.objects.get()
    assert message.status == "pending" and webhook.received == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    out = io.StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out)
    message.refresh_from_db()
    assert message.status == "sent" and len(webhook.received) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_notify_retry_command_requeues_due_messages(world, webhook, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    robot = GroupRobot.objects.create(
        name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1
    )
    due = OutboundMessage.objects.create(
        channel="wecom", target="群", robot=robot, payload={"msgtype": "text"}
    )
    OutboundMessage.objects.create(channel="wecom", target="群", robot=robot, payload={}, status="sent")
    out = io.StringIO()
    call_command("notify_retry", stdout=out)
    assert out.getvalue().strip() == "已排队1条消息"
    assert [result.args for result in default_task_backend.results] == [[due.pk]]
    default_task_backend.clear()
