"""WeCom and DingTalk robots against a real HTTP server on 127.0.0.1: bodies, signature, failures."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.utils import timezone

from gridgov.notifications.channels import WecomChannel, dingtalk_sign, dingtalk_url
from gridgov.notifications.models import GroupRobot, OutboundMessage
from gridgov.notifications.services import notify
from gridgov.notifications.tests.conftest import Reply


@pytest.fixture
def public_url(settings) -> None:
    settings.GRIDGOV_PUBLIC_URL = "https://grid.example.cn/"


def _send(world, capture, **kwargs) -> OutboundMessage:
    with capture(execute=True):
        notify(recipients=[], **kwargs)
    return OutboundMessage.objects.latest("id")


def test_wecom_markdown_body_exactly_as_documented(
    world, webhook, public_url, django_capture_on_commit_callbacks
):
    GroupRobot.objects.create(
        name="金泰路社区群", channel="wecom", webhook_url=webhook.url(), place=world.community
    )
    message = _send(
        world,
        django_capture_on_commit_callbacks,
        title="新事件：8栋电梯停运",
        body="鸿江苑8栋电梯困人，已通知物业",
        link="/cases/42/",
        group_targets=["金泰路社区群"],
    )
    (request,) = webhook.received
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": "test-key"}
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**新事件：8栋电梯停运**\n鸿江苑8栋电梯困人，已通知物业\n[查看详情](https://grid.example.cn/cases/42/)"
        },
    }
    # What was sent is what is stored.
    assert message.payload == request.json
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None


def test_wecom_text_payload_and_byte_limit():
    payload = WecomChannel.payload(title="停水", body="明日停水", link="", markdown=False)
    assert payload == {"msgtype": "text", "text": {"content": "停水\n明日停水"}}
    long = WecomChannel.payload(title="长", body="字" * 3000, link="")
    assert len(long["markdown"]["content"].encode()) <= 4096 and long["markdown"]["content"].endswith("…")


def test_dingtalk_markdown_with_signature(world, webhook, public_url, django_capture_on_commit_callbacks):
    secret = "SEC0123456789abcdef"
    GroupRobot.objects.create(
        name="街道指挥中心",
        channel="dingtalk",
        webhook_url=webhook.url("/robot/send?access_token=tok123"),
        secret=secret,
        place=world.street,
    )
    before = int(time.time() * 1000)
    message = _send(
        world,
        django_capture_on_commit_callbacks,
        title="超时督办",
        body="事件#42已超时，升级到社区",
        link="/cases/42/",
        group_targets=["街道指挥中心"],
    )
    after = int(time.time() * 1000)
    (request,) = webhook.received
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "title": "超时督办",
            "text": "#### 超时督办\n\n事件#42已超时，升级到社区\n\n[查看详情](https://grid.example.cn/cases/42/)",
        },
    }
    assert request.path == "/robot/send" and request.query["access_token"] == "tok123"
    timestamp = int(request.query["timestamp"])
    assert before <= timestamp <= after
    # Recomputed here from DingTalk's documentation, independently of the code under test.
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    assert message.status == "sent"


def test_dingtalk_without_secret_has_no_signature(world, webhook, django_capture_on_commit_callbacks):
    GroupRobot.objects.create(
        name="钉钉群",
        channel="dingtalk",
        webhook_url=webhook.url("/robot/send?access_token=t"),
        place=world.grid1,
    )
    _send(world, django_capture_on_commit_callbacks, title="提醒", body="", group_targets=["钉钉群"])
    (request,) = webhook.received
    assert request.query == {"access_token": "t"}
    # No public address configured: no link line rather than a useless relative one.
    assert request.json["markdown"]["text"] == "#### 提醒"


def test_sign_is_url_encoded():
    # A signature with + and / must survive the query string.
    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=x", "s", timestamp_ms=1)
    sign = dingtalk_sign("s", 1)
    assert url == f"https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1&sign={sign}"
    assert "+" not in sign and "/" not in sign and "=" not in sign


def test_errcode_is_recorded_and_retried_until_ok(
    world, webhook, fast_retries, django_capture_on_commit_callbacks
):
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(body={"errcode": 45009, "errmsg": "api freq out of limit"}), Reply())
    message = _send(world, django_capture_on_commit_callbacks, title="t", body="", group_targets=["群"])
    assert len(webhook.received) == 2
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.last_error == "第1次：errcode=45009 errmsg=api freq out of limit"


def test_http_500_retried_then_given_up(world, webhook, fast_retries, django_capture_on_commit_callbacks):
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(status=500, body=b"oops"))
    message = _send(world, django_capture_on_commit_callbacks, title="t", body="", group_targets=["群"])
    assert len(webhook.received) == 3
    assert (message.status, message.attempts, message.last_error) == ("failed", 3, "第3次：HTTP 500")


def test_http_404_is_permanent(world, webhook, fast_retries, django_capture_on_commit_callbacks):
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(status=404, body=b"{}"))
    message = _send(world, django_capture_on_commit_callbacks, title="t", body="", group_targets=["群"])
    assert len(webhook.received) == 1
    assert (message.status, message.attempts, message.last_error) == ("failed", 1, "第1次：HTTP 404")


def test_timeout_recorded_and_retried(
    world, webhook, settings, fast_retries, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_NOTIFY_TIMEOUT = 0.3
    settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS = 2
    GroupRobot.objects.create(name="群", channel="dingtalk", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(delay=1.0), Reply())
    message = _send(world, django_capture_on_commit_callbacks, title="t", body="", group_targets=["群"])
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.last_error == "第1次：请求超时（0.3秒）"


def test_non_json_answer_is_a_failure(world, webhook, fast_retries, django_capture_on_commit_callbacks):
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(body=b"<html>gateway</html>"))
    message = _send(world, django_capture_on_commit_callbacks, title="t", body="", group_targets=["群"])
    assert (message.status, message.last_error) == ("failed", "第3次：返回内容不是JSON")


def test_unreachable_host(world, settings, fast_retries, django_capture_on_commit_callbacks):
    settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS = 1
    settings.GRIDGOV_ROBOT_HOSTS = ["http://127.0.0.1:9"]
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    GroupRobot.objects.create(
        name="群", channel="wecom", webhook_url="http://127.0.0.1:9/x", place=world.grid1
    )
    message = _send(world, django_capture_on_commit_callbacks, title="t", body="", group_targets=["群"])
    assert message.status == "failed" and message.last_error.startswith("第1次：无法连接")


def test_retry_is_deferred_on_a_queue_backend(world, webhook, settings, django_capture_on_commit_callbacks):
    """With a real queue the retry is a new task that waits (run_after), not a sleeping worker."""
    from django_tasks import default_task_backend

    from gridgov.notifications.tasks import deliver_outbound

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.GRIDGOV_NOTIFY_BACKOFF = 30
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(status=502, body=b""), Reply())
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[], title="t", body="", group_targets=["群"])
    message = OutboundMessage.objects.get()
    (queued,) = default_task_backend.results
    assert queued.args == [message.pk] and queued.task.run_after is None

    started = timezone.now()
    assert deliver_outbound.call(message.pk) == "pending"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "第1次：HTTP 502")
    retry = default_task_backend.results[-1]
    assert retry.args == [message.pk]
    assert started + dt.timedelta(seconds=29) < retry.task.run_after < started + dt.timedelta(seconds=32)
    assert message.next_attempt_at == retry.task.run_after

    # The worker picks the retry up later; the second attempt goes through.
    assert deliver_outbound.call(message.pk) == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    # A duplicate task for the same message (a lost-task sweep, two workers) sends nothing more.
    assert deliver_outbound.call(message.pk) == "skipped"
    assert len(webhook.received) == 2
    default_task_backend.clear()


def test_deactivated_robot_fails_without_posting(world, webhook, django_capture_on_commit_callbacks):
    robot = GroupRobot.objects.create(
        name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[], title="t", body="", group_targets=["群"])
    robot.is_active = False
    robot.save()
    callbacks[0]()
    message = OutboundMessage.objects.get()
    assert (message.status, message.last_error) == ("failed", "第1次：群机器人“群”已停用")
    assert webhook.received == []
