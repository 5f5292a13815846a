"""Small helpers for the JSON API tests: a logged-in client per persona, JSON in and out."""

from __future__ import annotations

from typing import Any

from django.test import Client

MISSING_ID = 987654


class ApiClient:
    """A Django test client speaking JSON, as a persona (session) or with a bearer token."""

    def __init__(self, user=None, *, token: str | None = None, enforce_csrf: bool = False) -> None:
        self.client = Client(enforce_csrf_checks=enforce_csrf)
        self.headers: dict[str, str] = {}
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, url: str, params: dict[str, Any] | None = None):
        return self.client.get(url, params or {}, headers=self.headers)

    def _send(self, method: str, url: str, data: Any):
        return getattr(self.client, method)(url, data, content_type="application/json", headers=self.headers)

    def post(self, url: str, data: Any = None):
        return self._send("post", url, data if data is not None else {})

    def patch(self, url: str, data: Any):
        return self._send("patch", url, data)

    def put(self, url: str, data: Any):
        return self._send("put", url, data)

    def delete(self, url: str):
        return self.client.delete(url, headers=self.headers)


def as_(world, persona: str | None) -> ApiClient:
    return ApiClient(getattr(world, persona) if persona else None)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def field_errors(response) -> dict[str, str]:
    return {item["field"]: item["message"] for item in response.json()["errors"]}
