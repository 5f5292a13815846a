"""Outbound channels: how a stored OutboundMessage actually leaves the building.

Each channel builds the payload that is stored with the message (so what was sent is on record)
and delivers a stored message. `inapp` needs no delivery: the Notification row is the message.
SMS goes through a pluggable `SmsBackend` (GRIDGOV_SMS_BACKEND); WeCom and DingTalk group robots
are plain HTTPS webhooks, posted with the standard library in their documented JSON formats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from gridgov.core import crypto
from gridgov.core.masking import mask_phone

if TYPE_CHECKING:
    from gridgov.notifications.models import GroupRobot, OutboundMessage

logger = logging.getLogger("gridgov.notifications")

# Documented limits: WeCom markdown content 4096 bytes, text 2048 bytes (UTF-8).
WECOM_MARKDOWN_MAX_BYTES = 4096
WECOM_TEXT_MAX_BYTES = 2048
DINGTALK_MAX_CHARS = 5000
SMS_MAX_CHARS = 300


class DeliveryError(Exception):
    """A send that did not go through. `permanent` ones are not retried (nothing would change)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _cut_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    # Cut on a character boundary and mark the cut, so a long body never makes the provider refuse it.
    return encoded[: limit - 3].decode("utf-8", errors="ignore") + "…"


def absolute_link(link: str) -> str:
    """A link a phone outside the system can open; empty when no public address is configured."""
    if not link:
        return ""
    if link.startswith(("http://", "https://")):
        return link
    base = settings.GRIDGOV_PUBLIC_URL.rstrip("/")
    return f"{base}{link}" if base else ""


# --- SMS -------------------------------------------------------------------------------------


class SmsBackend(ABC):
    """Send one text message to one mainland phone number. Raise DeliveryError when it fails."""

    @abstractmethod
    def send(self, *, phone: str, text: str) -> None: ...


class ConsoleSmsBackend(SmsBackend):
    """Development and demo backend: writes the message to the log (the row keeps it too)."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("短信 → %s：%s", mask_phone(phone[-4:]), text)


class LocmemSmsBackend(SmsBackend):
    """Test backend: keeps what would have been sent in `outbox`, like Django's locmem mail backend."""

    outbox: ClassVar[list[dict[str, str]]] = []

    def send(self, *, phone: str, text: str) -> None:
        LocmemSmsBackend.outbox.append({"phone": phone, "text": text})


def sms_backend() -> SmsBackend:
    return import_string(settings.GRIDGOV_SMS_BACKEND)()


# --- HTTP ------------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int | None]:
    return scheme.lower(), host.lower().rstrip("."), port or _DEFAULT_PORTS.get(scheme.lower())


def _allowed_origins() -> set[tuple[str, str, int | None]]:
    origins = set()
    for entry in settings.GRIDGOV_ROBOT_HOSTS:
        # A bare host means https on 443; "http://10.1.2.3:8080" names scheme and port itself.
        parts = urllib.parse.urlsplit(entry if "://" in entry else f"https://{entry}")
        try:
            port = parts.port
        except ValueError:
            continue
        if parts.scheme in _DEFAULT_PORTS and parts.hostname:
            origins.add(_origin(parts.scheme, parts.hostname, port))
    return origins


def webhook_problem(url: str) -> str:
    """Why a robot may not post to `url` ("" when it may): only the hosts of GRIDGOV_ROBOT_HOSTS,
    on their scheme and port, with no credentials in the address. Checked on save and on send."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    allowed = parts.scheme in _DEFAULT_PORTS and bool(parts.hostname) and port != -1
    allowed = allowed and not (parts.username or parts.password)
    if allowed and _origin(parts.scheme, parts.hostname or "", port) in _allowed_origins():
        return ""
    hosts = "、".join(settings.GRIDGOV_ROBOT_HOSTS) or "（未配置）"
    return f"Webhook地址不在允许的机器人地址之内（允许：{hosts}；只写主机名的须用https）"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would take the request (and its key) to a host nobody checked.
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise DeliveryError(f"Webhook返回重定向（HTTP {code}），未跟随", permanent=True)


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
    """POST a JSON body and return the JSON answer; every way this can fail becomes a DeliveryError.
    Redirects are not followed."""
    timeout = settings.GRIDGOV_NOTIFY_TIMEOUT if timeout is None else timeout
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        # 4xx means the request itself is wrong (bad key, removed robot); retrying cannot help,
        # except for 429 (rate limited), which is exactly what waiting fixes.
        permanent = 400 <= exc.code < 500 and exc.code != 429
        raise DeliveryError(f"HTTP {exc.code}", permanent=permanent) from None
    except TimeoutError:
        raise DeliveryError(f"请求超时（{timeout:g}秒）") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise DeliveryError(f"请求超时（{timeout:g}秒）") from None
        raise DeliveryError(f"无法连接：{reason}") from None
    except OSError as exc:
        raise DeliveryError(f"网络错误：{exc}") from None
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DeliveryError("返回内容不是JSON") from None
    if not isinstance(answer, dict):
        raise DeliveryError("返回内容不是JSON对象")
    return answer


def _check_errcode(answer: dict[str, Any]) -> None:
    # Both platforms answer HTTP 200 with {"errcode": 0, "errmsg": "ok"} on success and a
    # non-zero errcode otherwise (bad key, rate limit, keyword/IP security settings …).
    if answer.get("errcode") != 0:
        raise DeliveryError(f"errcode={answer.get('errcode')} errmsg={answer.get('errmsg', '')}")


# --- Channels --------------------------------------------------------------------------------


class Channel(ABC):
    code: ClassVar[str]
    label: ClassVar[str]

    @abstractmethod
    def deliver(self, message: OutboundMessage) -> None:
        """Send a stored message once; raise DeliveryError on failure."""


class InAppChannel(Channel):
    code = "inapp"
    label = "站内通知"

    def deliver(self, message: OutboundMessage) -> None:
        # The Notification row is the delivery; nothing ever leaves through this channel.
        return None


class SmsChannel(Channel):
    code = "sms"
    label = "短信"

    @staticmethod
    def payload(*, title: str, body: str, link: str) -> dict[str, Any]:
        text = f"【网格治理】{title}" + (f"：{body}" if body else "")
        # The link is what makes the message one tap: it is never the part that gets cut.
        url = absolute_link(link)
        room = SMS_MAX_CHARS - (len(url) + 1 if url else 0)
        if len(text) > room:
            text = text[: room - 1] + "…"
        return {"text": f"{text} {url}" if url else text}

    def deliver(self, message: OutboundMessage) -> None:
        if not message.target_enc:
            raise DeliveryError("接收人未登记手机号", permanent=True)
        try:
            phone = crypto.decrypt(message.target_enc)
        except Exception:  # a key rotated under a stored number: no retry fixes that
            raise DeliveryError("手机号无法解密", permanent=True) from None
        sms_backend().send(phone=phone, text=message.payload.get("text", ""))


class RobotChannel(Channel):
    def robot(self, message: OutboundMessage) -> GroupRobot:
        robot = message.robot
        if robot is None:
            raise DeliveryError("群机器人已删除", permanent=True)
        if not robot.is_active:
            raise DeliveryError(f"群机器人“{robot.name}”已停用", permanent=True)
        # Again at send time: the allow-list may have shrunk since the robot was saved.
        problem = webhook_problem(robot.webhook_url)
        if problem:
            raise DeliveryError(problem, permanent=True)
        return robot


class WecomChannel(RobotChannel):
    code = "wecom"
    label = "企业微信群机器人"

    @staticmethod
    def payload(*, title: str, body: str, link: str, markdown: bool = True) -> dict[str, Any]:
        url = absolute_link(link)
        if markdown:
            content = f"**{title}**\n{body}".rstrip()
            if url:
                content += f"\n[查看详情]({url})"
            return {
                "msgtype": "markdown",
                "markdown": {"content": _cut_bytes(content, WECOM_MARKDOWN_MAX_BYTES)},
            }
        content = f"{title}\n{body}".rstrip() + (f"\n{url}" if url else "")
        return {"msgtype": "text", "text": {"content": _cut_bytes(content, WECOM_TEXT_MAX_BYTES)}}

    def deliver(self, message: OutboundMessage) -> None:
        robot = self.robot(message)
        _check_errcode(post_json(robot.webhook_url, message.payload))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def dingtalk_url(webhook_url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    if not secret:
        return webhook_url
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    joiner = "&" if urllib.parse.urlsplit(webhook_url).query else "?"
    return f"{webhook_url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


class DingTalkChannel(RobotChannel):
    code = "dingtalk"
    label = "钉钉群机器人"

    @staticmethod
    def payload(*, title: str, body: str, link: str) -> dict[str, Any]:
        url = absolute_link(link)
        text = f"#### {title}\n\n{body}".rstrip()
        if url:
            text += f"\n\n[查看详情]({url})"
        if len(text) > DINGTALK_MAX_CHARS:
            text = text[: DINGTALK_MAX_CHARS - 1] + "…"
        # The title is what the chat list and the phone's notification show.
        return {"msgtype": "markdown", "markdown": {"title": title[:64], "text": text}}

    def deliver(self, message: OutboundMessage) -> None:
        robot = self.robot(message)
        # The signature is valid for one hour, so it is made at send time, not stored.
        _check_errcode(post_json(dingtalk_url(robot.webhook_url, robot.secret), message.payload))


CHANNELS: dict[str, Channel] = {
    channel.code: channel for channel in (InAppChannel(), SmsChannel(), WecomChannel(), DingTalkChannel())
}


def channel(code: str) -> Channel:
    try:
        return CHANNELS[code]
    except KeyError:
        raise ValueError(f"未知的通知渠道：{code}") from None
