"""A real HTTP server on 127.0.0.1 standing in for the WeCom/DingTalk webhook endpoints."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

PORTS = range(18500, 18600)


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


class Webhook:
    """Answers each POST with the next scripted Reply (the last one repeats) and records it."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply()]
        self.received: list[Received] = []
        self.server: ThreadingHTTPServer | None = None

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def url(self, path: str = "/cgi-bin/webhook/send?key=test-key") -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def _next(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _handler(hook: Webhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            hook.received.append(
                Received(
                    path=parts.path,
                    query={key: values[0] for key, values in parse_qs(parts.query).items()},
                    headers={key.lower(): value for key, value in self.headers.items()},
                    raw=raw,
                )
            )
            reply = hook._next()
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@pytest.fixture
def webhook(settings) -> Iterator[Webhook]:
    hook = Webhook()
    handler = _handler(hook)
    for port in PORTS:
        try:
            hook.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError:
            continue
    else:
        hook.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    hook.server.daemon_threads = True
    # Robots reach WeCom and DingTalk only; this stand-in is allowed explicitly, plain http included.
    host, port = hook.server.server_address[:2]
    settings.GRIDGOV_ROBOT_HOSTS = [*settings.GRIDGOV_ROBOT_HOSTS, f"http://{host!s}:{port}"]
    thread = threading.Thread(target=hook.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()


@pytest.fixture
def fast_retries(settings) -> None:
    settings.GRIDGOV_NOTIFY_BACKOFF = 0
    settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS = 3
    settings.GRIDGOV_NOTIFY_TIMEOUT = 2


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[dict[str, str]]]:
    from gridgov.notifications.channels import LocmemSmsBackend

    settings.GRIDGOV_SMS_BACKEND = "gridgov.notifications.channels.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()
