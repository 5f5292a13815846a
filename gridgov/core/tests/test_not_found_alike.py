"""Every write endpoint of the JSON API answers an object or place outside the caller's scope
exactly as it answers a nonexistent id: same status, same body. 403 would confirm it exists."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import api_token_create, user_create
from gridgov.accounts.tests.apiclient import MISSING_ID, ApiClient

pytestmark = pytest.mark.django_db


@dataclass
class Target:
    """A write request; `ref` is the id of the out-of-scope object, swapped for MISSING_ID."""

    method: str
    url: Callable[[int], str]
    body: Callable[[int], Any] = lambda ref: {}
    multipart: bool = False


def _objects(world) -> dict[str, Any]:
    """Things in grid 2, which grid-1 worker alice and a user with no role cannot see."""
    from gridgov.cases.services import case_submit
    from gridgov.notifications.services import notify
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_create
    from gridgov.people.models import Membership
    from gridgov.people.services import floating_register
    from gridgov.transfer.models import ImportJob

    case = case_submit(
        by=SYSTEM,
        text="8栋门口垃圾没人清运",
        channel="resident_web",
        place=world.building2,
        reporter_phone="13700001234",
    )
    own_case = case_submit(
        by=SYSTEM,
        text="1栋门口垃圾没人清运",
        channel="resident_web",
        place=world.building1,
        reporter_phone="13700001236",
    )
    registration = floating_register(by=SYSTEM, resident=world.li, origin="湖南省邵阳市", household=world.household2)
    org = organisation_create(by=SYSTEM, kind=OrgKind.MERCHANT, name="鸿江苑爱心超市", place=world.grid2)
    token, _ = api_token_create(user=world.bob, name="bob的脚本")
    (notification,) = notify(recipients=[world.bob], title="给bob的通知", body="")
    job = ImportJob.objects.create(
        created_by=world.bob, place=world.grid2, kind="residents", original_name="x.csv", file_format="csv"
    )
    return {
        "case": case.pk,
        "own_case": own_case.pk,
        "registration": registration.pk,
        "org": org.pk,
        "token": token.pk,
        "notification": notification.pk,
        "job": job.pk,
        "membership": Membership.objects.get(resident=world.li).pk,
    }


def _targets(world, o: dict[str, Any]) -> dict[str, tuple[Target, int]]:
    deadline = (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    case_actions = {
        "classify": {"category": "sanitation"},
        "dispatch": {"level": "grid"},
        "accept": {},
        "start": {},
        "note": {"note": "看过了"},
        "resolve": {"result": "已清运"},
        "reject": {"reason": "重复"},
        "merge": {"into": o["case"]},
        "return": {"reason": "不归我管"},
        "escalate": {"reason": "太难"},
        "whistle": {"organisations": [o["org"]], "deadline": deadline},
        "supervise": {"note": "抓紧"},
        "rate": {"rating": 5},
        "reveal-reporter": {"purpose": "回访"},
    }
    def case_action(action: str, body: Any) -> Target:
        return Target("post", lambda ref: f"/api/v1/cases/{ref}/{action}", lambda ref: body)

    targets: dict[str, tuple[Target, int]] = {
        f"case {action}": (case_action(action, body), o["case"]) for action, body in case_actions.items()
    }
    text = "8栋门口垃圾没人清运"
    targets.update(
        {
            "case merge into": (
                Target("post", lambda ref: f"/api/v1/cases/{o['own_case']}/merge", lambda ref: {"into": ref}),
                o["case"],
            ),
            "case submit household": (
                Target("post", lambda ref: "/api/v1/cases", lambda ref: {"text": text, "household": ref}),
                world.household2.pk,
            ),
            "call report": (Target("post", lambda ref: f"/api/v1/calls/{ref}/report", lambda ref: {"note": "到"}), 0),
            "token revoke": (Target("delete", lambda ref: f"/api/v1/tokens/{ref}"), o["token"]),
            "notification read": (Target("post", lambda ref: f"/api/v1/notifications/{ref}/read"), o["notification"]),
            "organisation create on place": (
                Target(
                    "post", lambda ref: "/api/v1/organisations", lambda ref: {"kind": "merchant", "name": "新店", "place": ref}
                ),
                world.grid2.pk,
            ),
            "organisation create served place": (
                Target(
                    "post",
                    lambda ref: "/api/v1/organisations",
                    lambda ref: {"kind": "merchant", "name": "新店", "place": world.grid1.pk, "places": [ref]},
                ),
                world.grid2.pk,
            ),
            "organisation create leader": (
                Target(
                    "post",
                    lambda ref: "/api/v1/organisations",
                    lambda ref: {"kind": "merchant", "name": "新店", "place": world.grid1.pk, "leader": ref},
                ),
                world.li.pk,
            ),
            "organisation update": (
                Target("patch", lambda ref: f"/api/v1/organisations/{ref}", lambda ref: {"name": "改名"}), o["org"]
            ),
            "organisation add member": (
                Target(
                    "post", lambda ref: f"/api/v1/organisations/{ref}/members", lambda ref: {"resident": world.zhang.pk}
                ),
                o["org"],
            ),
            "resident create": (
                Target("post", lambda ref: "/api/v1/residents", lambda ref: {"name": "王五", "household": ref}),
                world.household2.pk,
            ),
            "resident update": (
                Target("patch", lambda ref: f"/api/v1/residents/{ref}", lambda ref: {"employment": "退休"}),
                world.li.pk,
            ),
            "resident tags": (
                Target("put", lambda ref: f"/api/v1/residents/{ref}/tags", lambda ref: {"tags": []}), world.li.pk
            ),
            "resident move-in (resident)": (
                Target(
                    "post",
                    lambda ref: f"/api/v1/residents/{ref}/move-in",
                    lambda ref: {"household": world.household1.pk, "relation": "other"},
                ),
                world.li.pk,
            ),
            "resident move-in (household)": (
                Target(
                    "post",
                    lambda ref: f"/api/v1/residents/{world.zhang.pk}/move-in",
                    lambda ref: {"household": ref, "relation": "other"},
                ),
                world.household2.pk,
            ),
            "membership move-out": (
                Target("post", lambda ref: f"/api/v1/memberships/{ref}/move-out", lambda ref: {"reason": "搬走"}),
                o["membership"],
            ),
            "resident reveal": (
                Target("post", lambda ref: f"/api/v1/residents/{ref}/reveal", lambda ref: {"purpose": "核实"}),
                world.li.pk,
            ),
            "floating register": (
                Target("post", lambda ref: "/api/v1/floating", lambda ref: {"resident": ref, "origin": "湖南"}),
                world.li.pk,
            ),
            "floating deregister": (
                Target(
                    "post", lambda ref: f"/api/v1/floating/{ref}/deregister", lambda ref: {"reason": "离开"}
                ),
                o["registration"],
            ),
            "place create": (
                Target("post", lambda ref: "/api/v1/places", lambda ref: {"parent": ref, "kind": "estate", "name": "新苑"}),
                world.grid2.pk,
            ),
            "place update": (
                Target("patch", lambda ref: f"/api/v1/places/{ref}", lambda ref: {"name": "改名"}), world.grid2.pk
            ),
            "household create": (
                Target("post", lambda ref: "/api/v1/households", lambda ref: {"place": ref, "room": "909"}),
                world.building2.pk,
            ),
            "household create landlord": (
                Target(
                    "post",
                    lambda ref: "/api/v1/households",
                    lambda ref: {"place": world.building1.pk, "room": "909", "landlord": ref},
                ),
                world.li.pk,
            ),
            "household update": (
                Target("patch", lambda ref: f"/api/v1/households/{ref}", lambda ref: {"room": "203"}),
                world.household2.pk,
            ),
            "import upload": (
                Target("post", lambda ref: "/api/v1/imports", lambda ref: {"place": ref}, multipart=True),
                world.grid2.pk,
            ),
            "import confirm": (
                Target("post", lambda ref: f"/api/v1/imports/{ref}/confirm", lambda ref: {"mode": "none"}), o["job"]
            ),
        }
    )
    return targets


def walk_objects(world) -> dict[str, Any]:
    return world.walk_objects


def _call(client: ApiClient, target: Target, ref: int):
    if target.multipart:
        data = {**target.body(ref), "file": SimpleUploadedFile("x.csv", "姓名\n王五\n".encode(), "text/csv")}
        return client.client.post(target.url(ref), data)
    if target.method == "delete":
        return client.delete(target.url(ref))
    return getattr(client, target.method)(target.url(ref), target.body(ref))


TARGET_NAMES = [
    *(f"case {a}" for a in ("classify", "dispatch", "accept", "start", "note", "resolve", "reject", "merge")),
    *(f"case {a}" for a in ("return", "escalate", "whistle", "supervise", "rate", "reveal-reporter")),
    "case merge into",
    "case submit household",
    "call report",
    "token revoke",
    "notification read",
    "organisation create on place",
    "organisation create served place",
    "organisation create leader",
    "organisation update",
    "organisation add member",
    "resident create",
    "resident update",
    "resident tags",
    "resident move-in (resident)",
    "resident move-in (household)",
    "membership move-out",
    "resident reveal",
    "floating register",
    "floating deregister",
    "place create",
    "place update",
    "household create",
    "household create landlord",
    "household update",
    "import upload",
    "import confirm",
]


@pytest.fixture
def walk(world, cw_call):
    objects = _objects(world)
    world.walk_objects = objects
    targets = _targets(world, objects)
    call_target, _ = targets["call report"]
    targets["call report"] = (call_target, cw_call)
    nobody = user_create(by=SYSTEM, username="nobody", password=world.password, validate=False)
    return targets, {"alice": world.alice, "nobody": nobody}


@pytest.fixture
def cw_call(world):
    """A department call (吹哨) on a grid-2 case, as the street would have made it."""
    from django.utils import timezone

    from gridgov.cases.models import CaseCall
    from gridgov.cases.services import case_submit
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_create

    department = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="城管执法中队", place=world.street)
    case = case_submit(
        by=SYSTEM, text="鸿江苑门口占道经营", channel="resident_web", place=world.building2, reporter_phone="13700001235"
    )
    now = timezone.now()
    call = CaseCall.objects.create(
        case=case, organisation=department, called_at=now, deadline=now + dt.timedelta(days=1)
    )
    return call.pk


@pytest.mark.parametrize("persona", ["alice", "nobody"])
@pytest.mark.parametrize("name", TARGET_NAMES)
def test_out_of_scope_write_answers_like_a_missing_id(walk, persona, name):
    targets, personas = walk
    target, ref = targets[name]
    client = ApiClient(personas[persona])
    outside = _call(client, target, ref)
    missing = _call(client, target, MISSING_ID)
    assert (outside.status_code, outside.json()) == (missing.status_code, missing.json()), name
    assert outside.status_code in (400, 404), (name, outside.status_code, outside.json())


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_write_endpoints_need_a_login(walk, name):
    targets, _ = walk
    target, ref = targets[name]
    response = _call(ApiClient(), target, ref)
    assert response.status_code == 401, (name, response.status_code)


def test_organisation_on_a_place_outside_scope_is_404_like_a_missing_place(world):
    """Finding 6c: 403 here told a grid worker the other grid's place exists."""
    client = ApiClient(world.alice)
    body = {"kind": "merchant", "name": "新店"}
    outside = client.post("/api/v1/organisations", {**body, "place": world.grid2.pk})
    missing = client.post("/api/v1/organisations", {**body, "place": MISSING_ID})
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


PAGE_POSTS = [
    ("/people/{}/tags/", "resident", {}),
    ("/people/{}/edit/", "resident", {}),
    ("/people/{}/reveal/", "resident", {"purpose": "核实"}),
    ("/people/household/{}/register/", "household", {}),
    ("/people/household/{}/edit/", "household", {}),
    ("/people/household/{}/move-in/", "household", {}),
    ("/people/household/{}/move-out/1/", "household", {}),
    ("/people/floating/register/?household={}", "household", {}),
    ("/people/floating/register/?resident={}", "resident", {}),
    ("/people/floating/{}/deregister/", "registration", {"reason": "离开"}),
    ("/places/{}/children/new/", "place", {"kind": "estate", "name": "新苑"}),
    ("/places/{}/households/new/", "building", {"room": "909"}),
    ("/places/{}/edit/", "place", {"name": "改名"}),
    ("/orgs/{}/edit/", "org", {"name": "改名"}),
    ("/orgs/{}/members/add/", "org", {}),
    ("/notifications/{}/read/", "notification", {}),
    ("/transfer/imports/{}/confirm/", "job", {"mode": "none"}),
    ("/cases/{}/act/accept/", "case", {}),
    ("/cases/{}/act/resolve/", "case", {"result": "已清运"}),
]


@pytest.mark.parametrize("persona", ["alice", "nobody"])
@pytest.mark.parametrize(("pattern", "kind", "data"), PAGE_POSTS)
def test_page_posts_answer_out_of_scope_like_missing(walk, world, persona, pattern, kind, data):
    """The page forms behave the same: 404 for another grid's resident, household, place or case."""
    _targets, personas = walk
    refs = {
        "resident": world.li.pk,
        "household": world.household2.pk,
        "place": world.grid2.pk,
        "building": world.building2.pk,
        **walk_objects(world),
    }
    client = Client()
    client.force_login(personas[persona])
    outside = client.post(pattern.format(refs[kind]), data)
    missing = client.post(pattern.format(MISSING_ID), data)
    assert outside.status_code == missing.status_code, (pattern, outside.status_code, missing.status_code)
    # A page the user may not use at all (a user with no role on a staff tool) is 403 whatever
    # the id; one they may use answers 404 for what lies outside their scope.
    assert outside.status_code == (404 if persona == "alice" else missing.status_code)
    assert outside.status_code in (403, 404)
    assert _without_csrf(outside.content) == _without_csrf(missing.content)


def _without_csrf(content: bytes) -> bytes:
    # Each response carries a fresh CSRF token (and a CSP nonce): the rest must be identical.
    return re.sub(rb'("X-CSRFToken": "|nonce="|name="csrfmiddlewaretoken" value=")[^"]*"', rb"\1", content)
