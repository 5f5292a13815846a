"""Finding 9: group robots reach WeCom and DingTalk only (no SSRF), follow no redirect, and keep
their webhook key and signing secret encrypted, shown masked once saved."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.notifications import services
from gridgov.notifications.models import GroupRobot, OutboundMessage
from gridgov.notifications.services import notify
from gridgov.notifications.tests.conftest import Reply

pytestmark = pytest.mark.django_db

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-123456"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=ding-token-abcdef"
SECRET = "SECsigning-secret-0987"


def _create(world, url: str, **extra):
    return services.robot_create(by=SYSTEM, place=world.community, name="社区群", webhook_url=url, **extra)


@pytest.mark.parametrize("url", [WECOM, DINGTALK])
def test_the_two_platforms_are_accepted(world, url):
    channel = "wecom" if "qyapi" in url else "dingtalk"
    assert _create(world, url, channel=channel).webhook_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",  # not https
        "https://qyapi.weixin.qq.com.evil.example/send",
        "https://evil.example/robot/send",
        "https://127.0.0.1/admin",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:8000/api/v1/me",
        "https://oapi.dingtalk.com:8443/robot/send",
        "https://user:pw@oapi.dingtalk.com/robot/send",
    ],
)
def test_any_other_address_is_refused_on_save(world, url):
    with pytest.raises(ValidationError) as caught:
        _create(world, url, channel="wecom")
    assert "webhook_url" in caught.value.message_dict
    assert "qyapi.weixin.qq.com" in caught.value.message_dict["webhook_url"][0]


def test_the_settings_page_refuses_it_too(world):
    client = Client()
    client.force_login(world.carol)
    form = {"name": "群", "channel": "wecom", "webhook_url": "https://10.0.0.5/hook", "is_active": "on"}
    response = client.post("/notifications/robots/", {**form, "place": world.community.pk})
    assert response.status_code == 400 and "qyapi.weixin.qq.com" in response.content.decode()
    assert not GroupRobot.objects.exists()


def test_the_allow_list_setting_adds_hosts(world, settings):
    settings.GRIDGOV_ROBOT_HOSTS = ["qyapi.weixin.qq.com", "robot-gateway.gov.example"]
    assert _create(world, "https://robot-gateway.gov.example/send", channel="wecom").pk
    with pytest.raises(ValidationError):
        _create(world, DINGTALK, channel="dingtalk")


def test_an_address_no_longer_allowed_is_not_posted_at_send_time(
    world, webhook, settings, django_capture_on_commit_callbacks
):
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    settings.GRIDGOV_ROBOT_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[], title="t", body="", group_targets=["群"])
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and "不在允许" in message.last_error
    assert webhook.received == []


def test_a_redirect_is_not_followed(world, webhook, fast_retries, django_capture_on_commit_callbacks):
    GroupRobot.objects.create(name="群", channel="wecom", webhook_url=webhook.url(), place=world.grid1)
    webhook.script(Reply(status=302, body=b"", headers={"Location": webhook.url("/elsewhere")}))
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[], title="t", body="", group_targets=["群"])
    message = OutboundMessage.objects.get()
    assert [hit.path for hit in webhook.received] == ["/cgi-bin/webhook/send"]
    assert message.status == "failed" and "重定向" in message.last_error and message.attempts == 1


def _raw(robot) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_url, secret FROM notifications_grouprobot WHERE id = %s", [robot.pk])
        return cursor.fetchone()


def test_webhook_key_and_secret_are_encrypted_at_rest(world):
    robot = _create(world, DINGTALK, channel="dingtalk", secret=SECRET)
    url, secret = _raw(robot)
    assert "ding-token-abcdef" not in url and SECRET not in secret
    robot = GroupRobot.objects.get(pk=robot.pk)
    assert (robot.webhook_url, robot.secret) == (DINGTALK, SECRET)


def test_pages_never_show_them_in_full_once_saved(world):
    robot = _create(world, DINGTALK, channel="dingtalk", secret=SECRET)
    client = Client()
    client.force_login(world.carol)
    for url in ("/notifications/robots/", f"/notifications/robots/{robot.pk}/"):
        text = client.get(url).content.decode()
        assert "ding-token-abcdef" not in text and SECRET not in text, url
        assert "…cdef" in text, url


def test_editing_with_the_address_left_empty_keeps_it(world):
    robot = _create(world, DINGTALK, channel="dingtalk", secret=SECRET)
    client = Client()
    client.force_login(world.carol)
    form = {"name": "社区群（新）", "channel": "dingtalk", "webhook_url": "", "secret": "", "is_active": "on"}
    assert client.post(f"/notifications/robots/{robot.pk}/", form).status_code == 302
    robot = GroupRobot.objects.get(pk=robot.pk)
    assert (robot.name, robot.webhook_url, robot.secret) == ("社区群（新）", DINGTALK, SECRET)


def test_migration_encrypts_rows_stored_in_clear(world):
    robot = _create(world, DINGTALK, channel="dingtalk", secret=SECRET)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notifications_grouprobot SET webhook_url = %s, secret = %s WHERE id = %s",
            [DINGTALK, SECRET, robot.pk],
        )
    migration = importlib.import_module("gridgov.notifications.migrations.0002_robot_credentials_encrypted")
    migration.encrypt_credentials(apps, SimpleNamespace(connection=connection))
    url, secret = _raw(robot)
    assert url.startswith("v1:") and secret.startswith("v1:")
    robot = GroupRobot.objects.get(pk=robot.pk)
    assert (robot.webhook_url, robot.secret) == (DINGTALK, SECRET)
    migration.encrypt_credentials(apps, SimpleNamespace(connection=connection))  # twice changes nothing
    assert GroupRobot.objects.get(pk=robot.pk).webhook_url == DINGTALK


def test_the_admin_shows_them_masked_and_keeps_them_when_left_empty(world):
    robot = _create(world, DINGTALK, channel="dingtalk", secret=SECRET)
    client = Client()
    client.force_login(world.admin)
    url = f"/admin/notifications/grouprobot/{robot.pk}/change/"
    text = client.get(url).content.decode()
    assert "ding-token-abcdef" not in text and SECRET not in text and "…cdef" in text
    form = {"name": "社区群", "channel": "dingtalk", "webhook_url": "", "secret": "", "is_active": "on"}
    response = client.post(url, {**form, "place": world.community.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    robot = GroupRobot.objects.get(pk=robot.pk)
    assert (robot.webhook_url, robot.secret) == (DINGTALK, SECRET)
