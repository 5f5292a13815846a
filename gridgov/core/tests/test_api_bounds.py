"""What the API fuzzing (gridgov/tests_fuzz) found, pinned in the normal suite: numbers too large
for the database, bodies that are not objects, and error answers the schema must declare."""

from __future__ import annotations

import pytest

from gridgov.accounts.tests.apiclient import ApiClient, field_errors
from gridgov.api import api

HUGE = "99999999999999999999"  # past 2**64: once a 500 from every list (SQLite could not bind it)

_SCHEMA = api.get_openapi_schema()
PAGED_LISTS = sorted(
    path
    for path, operations in _SCHEMA["paths"].items()
    if any(p["name"] == "page" for p in operations.get("get", {}).get("parameters", ()))
)
PATCH_PATHS = sorted(path for path, operations in _SCHEMA["paths"].items() if "patch" in operations)


def _url(world, path: str) -> str:
    ids = {
        "place_id": world.grid1.pk,
        "household_id": world.household1.pk,
        "resident_id": world.zhang.pk,
    }
    parents = {
        "organisation_id": _organisation,
        "consultation_id": _consultation,
        "desk_id": _desk,
        "board_id": _board,
    }
    for name, make in parents.items():
        if "{" + name + "}" in path:
            ids[name] = make(world).pk
    return path.format(**{name: ids[name] for name in ids if "{" + name + "}" in path})


def _consultation(world):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.consult.services import consultation_create

    return consultation_create(by=SYSTEM, place=world.community, title="加装电梯意见征集")


def _desk(world):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.desks.models import DeskKind
    from gridgov.desks.services import desk_create

    return desk_create(by=SYSTEM, place=world.community, kind=DeskKind.values[0], name="党员谈心室")


def _board(world):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.forum.services import board_save

    return board_save(by=SYSTEM, place=world.community, name="邻里议事")


def _organisation(world):
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_create

    if not hasattr(world, "org"):
        from gridgov.accounts.scope import SYSTEM

        world.org = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="志愿服务队", place=world.grid1)
    return world.org


def test_the_paged_lists_are_found():
    # Guards the parametrisation below: if ninja's schema changed shape, it would test nothing.
    assert {"/api/v1/places", "/api/v1/residents", "/api/v1/cases", "/api/v1/audit"} <= set(PAGED_LISTS)


@pytest.mark.parametrize("path", PAGED_LISTS)
@pytest.mark.parametrize("page", [HUGE, "100001"])
def test_a_page_number_past_the_last_bound_is_refused_on_every_list(world, path, page):
    response = ApiClient(world.admin).get(_url(world, path), {"page": page})
    assert response.status_code == 422
    assert field_errors(response) == {"page": "页码：不能大于100000"}


@pytest.mark.parametrize("path", PAGED_LISTS)
def test_the_last_allowed_page_is_an_empty_page(world, path):
    response = ApiClient(world.admin).get(_url(world, path), {"page": "100000"})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_huge_page_size_is_cut_to_the_maximum(world):
    response = ApiClient(world.admin).get("/api/v1/places", {"page_size": HUGE})
    assert response.status_code == 200


@pytest.mark.parametrize("offset", [HUGE, "10000001"])
def test_a_huge_notification_offset_is_refused(world, offset):
    response = ApiClient(world.alice).get("/api/v1/notifications", {"offset": offset})
    assert response.status_code == 422
    assert field_errors(response) == {"offset": "起始位置：不能大于10000000"}


def test_the_largest_notification_offset_is_an_empty_page(world):
    response = ApiClient(world.alice).get("/api/v1/notifications", {"offset": "10000000"})
    assert response.status_code == 200 and response.json()["items"] == []


@pytest.mark.parametrize("path", PATCH_PATHS)
@pytest.mark.parametrize("body", ["[]", '[{"name": "x"}]', '"名称"', "5", "null", "true"])
def test_patch_with_a_body_that_is_not_an_object_is_refused(world, path, body):
    # Once a 200 that changed nothing: ninja's Schema reads fields off any value, even a list.
    client = ApiClient(world.admin)
    response = client.client.generic(
        "PATCH", _url(world, path), body.encode(), content_type="application/json", headers=client.headers
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "请求体须为JSON对象",
        "errors": [{"field": "__all__", "message": "请求体须为JSON对象"}],
    }


def test_every_operation_declares_its_error_answers():
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    assert set(_SCHEMA["components"]["schemas"]["ErrorOut"]["properties"]) == {"detail", "errors"}
    for path, operations in _SCHEMA["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            label = f"{method.upper()} {path}"
            if operation.get("security"):
                assert {401, 403} <= set(responses), label
            if "{" in path:
                assert 404 in responses, label
            if method == "get" and operation.get("parameters"):
                assert 422 in responses, label
            if method != "get" and (operation.get("parameters") or "requestBody" in operation):
                assert 400 in responses, label
            for code, answer in responses.items():
                if int(code) >= 400:
                    assert answer["content"]["application/json"]["schema"] == error_ref, label


def test_the_served_schema_declares_the_errors_too(client):
    served = client.get("/api/openapi.json").json()
    assert "ErrorOut" in served["components"]["schemas"]
    responses = served["paths"]["/api/v1/places/{place_id}"]["get"]["responses"]
    assert {"401", "403", "404", "422"} <= set(responses)


def test_particular_errors_are_declared():
    paths = _SCHEMA["paths"]
    assert 409 in paths["/api/v1/cases/{case_id}/accept"]["post"]["responses"]
    assert 409 in paths["/api/v1/calls/{call_id}/report"]["post"]["responses"]
    assert 409 not in paths["/api/v1/cases/{case_id}/reveal-reporter"]["post"]["responses"]
    assert 429 in paths["/api/v1/intake"]["post"]["responses"]
    assert 401 not in paths["/api/v1/cases/track/{code}"]["get"]["responses"]  # public
    # Nothing to look up and nothing to parse: /me gives its answer or 401, nothing else.
    assert sorted(int(code) for code in paths["/api/v1/me"]["get"]["responses"]) == [200, 401, 403]
