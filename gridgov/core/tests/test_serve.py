"""`gridgov serve` starts gunicorn that answers pages and static files, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_the_login_page_and_static_files_then_stops(tmp_path):
    port = _free_port()
    env = {**os.environ, "GRIDGOV_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    subprocess.run(
        [sys.executable, "-m", "gridgov", "migrate", "-v0"], env=env, check=True, timeout=300
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gridgov", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = ""
        # On a fresh data folder the master builds the triage model before it listens (tens of
        # seconds on a loaded machine): wait for as long as the server is alive, within a bound.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                    body = response.read().decode()
                    assert response.headers["Server"].startswith("gunicorn")
                break
            except OSError:
                time.sleep(0.5)
        assert server.poll() is None, "the server exited before it answered"
        assert "登录" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/htmx-2.0.7/htmx.min.js", timeout=5) as response:
            assert response.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "gunicorn 启动" in output
    assert server.returncode == 0
