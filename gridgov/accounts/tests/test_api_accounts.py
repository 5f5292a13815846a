"""The account API (me, tokens) and how every endpoint authenticates: session, bearer, anonymous."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gridgov.accounts.models import ApiToken
from gridgov.accounts.services import api_token_create
from gridgov.accounts.tests.apiclient import MISSING_ID, ApiClient, as_, ids
from gridgov.audit.models import AuditAction, AuditEntry


def _read_endpoints(world) -> list[str]:
    return [
        "/api/v1/places",
        "/api/v1/places/grid-balance",
        f"/api/v1/places/{world.grid1.pk}",
        f"/api/v1/places/{world.grid1.pk}/children",
        "/api/v1/households",
        f"/api/v1/households/{world.household1.pk}",
        "/api/v1/residents",
        f"/api/v1/residents/{world.zhang.pk}",
        "/api/v1/floating",
        "/api/v1/organisations",
        "/api/v1/tags",
        "/api/v1/me",
        "/api/v1/tokens",
    ]


def test_anonymous_gets_401_json_everywhere(world):
    anonymous = ApiClient()
    for url in _read_endpoints(world):
        response = anonymous.get(url)
        assert response.status_code == 401, url
        assert response.json() == {"detail": "请先登录或提供有效的API令牌", "errors": []}
    for url, body in [
        ("/api/v1/residents", {"household": world.household1.pk, "name": "王五"}),
        ("/api/v1/tokens", {"name": "x"}),
        (f"/api/v1/residents/{world.zhang.pk}/reveal", {"purpose": "核查"}),
    ]:
        # Even with Django's CSRF checks on: no session means nothing to forge, so 401, not 403.
        response = ApiClient(enforce_csrf=True).post(url, body)
        assert response.status_code == 401, url


def test_me_lists_roles_places_and_capabilities(world):
    data = as_(world, "frank").get("/api/v1/me").json()
    assert data["username"] == "frank"
    assert [(r["role_name"], r["place_name"]) for r in data["roles"]] == [("网格长", "第一网格")]
    codes = {c["code"] for c in data["capabilities"]}
    assert "registry.pii" in codes and "places.manage" not in codes
    dave = as_(world, "dave").get("/api/v1/me").json()
    dave_codes = {c["code"] for c in dave["capabilities"]}
    assert "registry.view" in dave_codes and not dave_codes & {"registry.edit", "registry.pii"}
    assert "查看人房信息" in {c["label"] for c in dave["capabilities"]}
    erin = as_(world, "erin").get("/api/v1/me").json()
    assert erin["resident_id"] == world.li.pk and erin["capabilities"] == []


def test_token_created_once_then_works_for_every_endpoint_until_revoked(world):
    alice = as_(world, "alice")
    response = alice.post("/api/v1/tokens", {"name": "巡查App"})
    assert response.status_code == 201
    created = response.json()
    key = created["key"]
    assert key.startswith("ggt_") and created["prefix"] == key[:8] and created["is_active"]
    # The key is shown once: the list never carries it, and the database holds only its hash.
    listed = alice.get("/api/v1/tokens").json()
    assert listed["count"] == 1 and "key" not in listed["items"][0]
    assert not ApiToken.objects.filter(key_hash=key).exists()

    bearer = ApiClient(token=key)
    for url in _read_endpoints(world):
        assert bearer.get(url).status_code == 200, url
    assert bearer.get("/api/v1/me").json()["username"] == "alice"
    assert ids(bearer.get("/api/v1/residents")) == [world.zhang.pk]
    assert bearer.get(f"/api/v1/residents/{world.li.pk}").status_code == 404

    # Writes with a bearer token need no CSRF token: no browser cookie is being ridden.
    csrf_strict_bearer = ApiClient(token=key, enforce_csrf=True)
    response = csrf_strict_bearer.patch(f"/api/v1/households/{world.household1.pk}", {"notes": "令牌修改"})
    assert response.status_code == 200, response.content
    assert response.json()["notes"] == "令牌修改"

    response = alice.delete(f"/api/v1/tokens/{created['id']}")
    assert response.status_code == 204
    assert AuditEntry.objects.filter(
        action=AuditAction.DELETE, target_type="accounts.apitoken", target_id=str(created["id"])
    ).exists()
    for url in ("/api/v1/me", "/api/v1/residents"):
        response = bearer.get(url)
        assert response.status_code == 401
        assert response.json()["detail"] == "请先登录或提供有效的API令牌"
    assert alice.get("/api/v1/tokens").json()["items"][0]["is_active"] is False


def test_wrong_or_foreign_token_is_refused(world):
    assert ApiClient(token="ggt_not-a-real-key").get("/api/v1/me").status_code == 401
    token, _key = api_token_create(user=world.bob, name="bob的令牌")
    alice = as_(world, "alice")
    # Someone else's token id is "not found", like a missing one, and stays active.
    response = alice.delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 404
    assert response.json() == alice.delete(f"/api/v1/tokens/{MISSING_ID}").json()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert alice.get("/api/v1/tokens").json()["count"] == 0


def test_token_needs_a_name(world):
    response = as_(world, "alice").post("/api/v1/tokens", {"name": "  "})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "name", "message": "请填写令牌名称"}]
    assert not ApiToken.objects.exists()


def test_browser_session_writes_need_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.alice)
    url = f"/api/v1/households/{world.household1.pk}"
    response = browser.patch(url, {"notes": "无令牌"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    # What a page does: the csrftoken cookie, echoed in the X-CSRFToken header.
    token = "Csrf0123456789abcdefghijklmnopqr"
    browser.cookies["csrftoken"] = token
    response = browser.patch(
        url, {"notes": "带令牌"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert response.json()["notes"] == "带令牌"


@pytest.mark.parametrize("url", ["/api/docs", "/api/openapi.json"])
def test_docs_render(world, url):
    response = Client().get(url)
    assert response.status_code == 200
    if url.endswith(".json"):
        paths = response.json()["paths"]
        for path in (
            "/api/v1/places",
            "/api/v1/households/{household_id}",
            "/api/v1/residents/{resident_id}/reveal",
            "/api/v1/memberships/{membership_id}/move-out",
            "/api/v1/floating/{registration_id}/deregister",
            "/api/v1/organisations/{organisation_id}/members",
            "/api/v1/tokens/{token_id}",
            "/api/v1/me",
        ):
            assert path in paths
    else:
        # Government networks are often offline: Swagger UI comes from our own static files.
        html = response.content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
        assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]
