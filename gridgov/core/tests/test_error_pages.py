"""Finding 8 (error pages) and 9 (log lines): with DEBUG off, every error speaks Chinese, the
JSON API answers JSON whatever went wrong, and only server errors log a traceback."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from gridgov.accounts.tests.apiclient import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_a_page_post_over_the_limit_gets_the_chinese_400_page(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = _client(world.alice).post(f"/people/{world.zhang.pk}/edit/", {"notes": "很长" * 2000})
    assert response.status_code == 400
    text = response.content.decode()
    assert "请求内容过大" in text and "2 KB" in text and 'lang="zh-hans"' in text
    assert "Bad Request" not in text


def test_an_api_body_over_the_limit_gets_a_chinese_json_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = ApiClient(world.alice)
    client.client.raise_request_exception = False
    response = client.post("/api/v1/residents", {"household": world.household1.pk, "name": "王" * 3000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "请求内容过大" in body["detail"] and "2 KB" in body["detail"] and body["errors"] == []


def test_a_form_upload_to_the_api_over_the_limit_is_json_too(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = _client(world.alice).post("/api/v1/imports", {"place": world.grid1.pk, "kind": "x" * 5000})
    assert response.status_code == 413 and "请求内容过大" in response.json()["detail"]


def test_a_server_error_on_a_page_is_the_chinese_500_page(world, monkeypatch):
    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr("gridgov.core.dashboard.summary_for", broken)
    response = _client(world.alice).get("/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "服务器出错" in text and 'lang="zh-hans"' in text and "Server Error" not in text


def test_a_server_error_in_the_api_is_json(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("gridgov.people.selectors.resident_search", broken)
    response = _client(world.alice).get("/api/v1/residents")
    assert response.status_code == 500
    assert response.json() == {"detail": "服务器内部错误，请稍后重试；问题持续请联系系统管理员", "errors": []}


def test_an_unknown_api_path_is_json(world):
    response = _client(world.alice).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["detail"] == "记录不存在或无权访问"


def test_a_malformed_api_request_is_json(world):
    response = _client(world.alice).post(
        "/api/v1/residents", data=b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 400
    assert json.loads(response.content)["detail"]


def _request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith(("django.request", "django.security"))]


def test_a_403_logs_one_line_without_a_traceback(world, caplog):
    caplog.set_level(logging.WARNING)
    assert _client(world.dave).get(f"/people/{world.zhang.pk}/edit/").status_code == 403
    (record,) = _request_records(caplog)
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "Traceback" not in caplog.text


def test_a_404_logs_one_line_without_a_traceback(world, caplog):
    caplog.set_level(logging.WARNING)
    assert _client(world.alice).get(f"/people/{world.li.pk}/").status_code == 404
    (record,) = _request_records(caplog)
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_500_keeps_its_traceback(world, monkeypatch, caplog):
    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr("gridgov.core.dashboard.summary_for", broken)
    caplog.set_level(logging.WARNING)
    assert _client(world.alice).get("/").status_code == 500
    (record,) = _request_records(caplog)
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
