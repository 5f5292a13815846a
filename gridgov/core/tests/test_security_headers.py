"""Finding 9: a Content-Security-Policy on every response, and personal data never cached.

The policy allows scripts and styles from this site only, plus inline blocks carrying the
response's nonce; the templates therefore hold no event-handler attributes and no inline
script or style block without the nonce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from gridgov.accounts.tests.apiclient import ApiClient

pytestmark = pytest.mark.django_db

TEMPLATE_ROOT = Path(__file__).resolve().parents[2]


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (item.strip() for item in header.split(";")) if part
    }


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_kind_of_response_carries_the_policy(world):
    responses = {
        "home": _client(world.alice).get("/"),
        "login": _client().get("/accounts/login/"),
        "public report": _client().get("/r/new/"),
        "api": ApiClient(world.alice).get("/api/v1/residents"),
        "api docs": _client(world.alice).get("/api/docs"),
        "not found": _client(world.alice).get(f"/people/{world.li.pk}/"),
        "admin": _client(world.admin).get("/admin/"),
        "static": _client().get("/static/gridgov/app.css"),
    }
    for name, response in responses.items():
        assert response.status_code in (200, 404), name
        policy = _directives(response)
        assert policy["default-src"] == ["'self'"], name
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], name
        assert "data:" in policy["img-src"], name
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"], name
        assert "Content-Security-Policy-Report-Only" not in response, name


def test_inline_blocks_carry_this_responses_nonce(world):
    response = _client().get("/r/new/")
    text = response.content.decode()
    nonce = next(item for item in _directives(response)["script-src"] if item.startswith("'nonce-"))[7:-1]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text)
    assert inline, "the report page has an inline script"
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert nonce not in _client().get("/r/new/")["Content-Security-Policy"]  # fresh per response


def _templates() -> list[Path]:
    return [path for path in TEMPLATE_ROOT.rglob("*.html") if "/static/" not in str(path)]


def test_no_template_has_event_handler_attributes():
    offenders = [
        f"{path.relative_to(TEMPLATE_ROOT)}: {match.group(0)}"
        for path in _templates()
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", path.read_text())
    ]
    assert offenders == []


def test_every_inline_script_and_style_block_has_the_nonce():
    offenders = []
    for path in _templates():
        text = path.read_text()
        for match in re.finditer(r"<(script|style)\b([^>]*)>", text):
            tag, attributes = match.groups()
            if tag == "script" and ("src=" in attributes or 'type="application/json"' in attributes):
                continue
            if "nonce=" not in attributes:
                offenders.append(f"{path.relative_to(TEMPLATE_ROOT)}: {match.group(0)}")
    assert offenders == []


def test_htmx_injects_no_style_of_its_own(world):
    text = _client(world.alice).get("/").content.decode()
    assert re.search(r'<meta name="htmx-config" content=\'[^\']*"includeIndicatorStyles": ?false', text)


def test_personal_pages_the_api_and_downloads_are_not_stored(world):
    checks = {
        "resident page": _client(world.alice).get(f"/people/{world.zhang.pk}/"),
        "household page": _client(world.alice).get(f"/people/household/{world.household1.pk}/"),
        "api": ApiClient(world.alice).get("/api/v1/residents"),
        "api error": ApiClient(world.alice).get("/api/v1/residents/987654"),
        "export": _client(world.frank).post("/transfer/exports/residents/", {}),
        "login": _client().get("/accounts/login/"),
    }
    for name, response in checks.items():
        assert "no-store" in response.get("Cache-Control", ""), (name, response.status_code)


def test_static_files_stay_cacheable():
    response = _client().get("/static/gridgov/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
