"""/api/v1/organisations: scope matrix, create/patch/members, bad input."""

from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import MISSING_ID, as_, field_errors, ids
from gridgov.audit.models import AuditEntry
from gridgov.orgs.models import Organisation, OrgKind, OrgMember, PartyLevel
from gridgov.orgs.services import organisation_create

NOT_FOUND = {"detail": "记录不存在或无权访问", "errors": []}


@pytest.fixture
def orgs(world):
    class Orgs:
        police = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="芙蓉派出所", place=world.street)
        team1 = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="一网格志愿服务队", place=world.grid1)
        team2 = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="二网格志愿服务队", place=world.grid2)
        party = organisation_create(
            by=SYSTEM,
            kind=OrgKind.PARTY,
            name="金泰路社区党委",
            place=world.community,
            party_level=PartyLevel.COMMITTEE,
        )

    return Orgs


# persona -> names seen. Departments and the community's party committee sit above the grids and
# serve them, so grid staff find them; a neighbouring grid's team stays out of sight.
MATRIX = {
    "alice": {"芙蓉派出所", "一网格志愿服务队", "金泰路社区党委"},
    "bob": {"芙蓉派出所", "二网格志愿服务队", "金泰路社区党委"},
    "carol": {"芙蓉派出所", "一网格志愿服务队", "二网格志愿服务队", "金泰路社区党委"},
    "dave": set(),  # a volunteer grid worker has no organisation view
    "frank": {"芙蓉派出所", "一网格志愿服务队", "金泰路社区党委"},
    "erin": set(),
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_scope_matrix(world, orgs, persona):
    client = as_(world, persona)
    items = client.get("/api/v1/organisations").json()["items"]
    assert {item["name"] for item in items} == MATRIX[persona]
    missing = client.get(f"/api/v1/organisations/{MISSING_ID}")
    assert missing.status_code == 404 and missing.json() == NOT_FOUND
    for org in (orgs.police, orgs.team1, orgs.team2, orgs.party):
        response = client.get(f"/api/v1/organisations/{org.pk}")
        if org.name in MATRIX[persona]:
            assert response.status_code == 200 and response.json()["name"] == org.name
        else:
            assert response.status_code == 404 and response.json() == NOT_FOUND


def test_anonymous_is_401(world, orgs):
    assert as_(world, None).get("/api/v1/organisations").status_code == 401


def test_filters(world, orgs):
    carol = as_(world, "carol")
    assert ids(carol.get("/api/v1/organisations", {"kind": "team"})) == [orgs.team1.pk, orgs.team2.pk]
    assert ids(carol.get("/api/v1/organisations", {"q": "派出所"})) == [orgs.police.pk]
    bad = carol.get("/api/v1/organisations", {"kind": "club"})
    assert bad.status_code in (400, 422) and "kind" in field_errors(bad)


def test_create_party_branch_with_members(world, orgs):
    carol = as_(world, "carol")
    response = carol.post(
        "/api/v1/organisations",
        {
            "kind": "party",
            "name": "第一网格党支部",
            "place": world.grid1.pk,
            "parent": orgs.party.pk,
            "party_level": "branch",
            "places": [world.grid1.pk],
            "leader": world.zhang.pk,
        },
    )
    assert response.status_code == 201, response.content
    branch = response.json()
    assert branch["parent"]["name"] == "金泰路社区党委" and branch["party_level_label"] == "党支部"
    assert branch["leader_name"] == "张建国" and [p["name"] for p in branch["places"]] == ["第一网格"]
    member = carol.post(
        f"/api/v1/organisations/{branch['id']}/members", {"resident": world.zhang.pk, "role": "书记"}
    )
    assert member.status_code == 201 and member.json()["name"] == "张建国"
    staff = carol.post(
        f"/api/v1/organisations/{branch['id']}/members", {"user": world.alice.pk, "role": "委员"}
    )
    assert staff.status_code == 201 and staff.json()["user_id"] == world.alice.pk
    detail = carol.get(f"/api/v1/organisations/{branch['id']}").json()
    assert [(m["name"], m["role"]) for m in detail["members"]] == [("张建国", "书记"), ("alice", "委员")]
    twice = carol.post(f"/api/v1/organisations/{branch['id']}/members", {"resident": world.zhang.pk})
    assert twice.status_code == 400 and field_errors(twice) == {"resident": "张建国已是该组织成员"}
    nobody = carol.post(f"/api/v1/organisations/{branch['id']}/members", {"role": "成员"})
    assert nobody.status_code == 400 and field_errors(nobody) == {"resident": "请选择成员"}


@pytest.mark.parametrize(
    ("persona", "body", "status", "field", "message"),
    [
        ("alice", {}, 403, None, None),  # grid workers view organisations, do not manage them
        ("bob", {}, 404, None, None),
        ("dave", {}, 403, None, None),  # he sees the grid in the place tree: refusing leaks nothing
        ("carol", {"name": " "}, 400, "name", "请填写组织名称"),
        ("carol", {"kind": "party"}, 400, "party_level", "党组织须选择层级"),
        (
            "carol",
            {"kind": "party", "party_level": "branch", "parent": "team1"},
            400,
            "parent",
            "党组织的上级必须是党组织",
        ),
        (
            "carol",
            {"kind": "property", "places": ["grid1"]},
            400,
            "places",
            "物业公司只能绑定小区或楼栋：第一网格",
        ),
        ("carol", {"name": "一网格志愿服务队"}, 400, "name", "“一网格志愿服务队”已存在"),
        ("carol", {"kind": "gang"}, 400, "kind", "类型：取值无效"),
    ],
)
def test_create_refusals_write_nothing(world, orgs, persona, body, status, field, message):
    refs = {"team1": orgs.team1.pk, "grid1": world.grid1.pk}
    body = {"kind": "team", "name": "新队伍", "place": world.grid1.pk, **body}
    body = {k: ([refs[x] for x in v] if isinstance(v, list) else refs.get(v, v)) for k, v in body.items()}
    before = (Organisation.objects.count(), AuditEntry.objects.count())
    response = as_(world, persona).post("/api/v1/organisations", body)
    assert response.status_code == status, response.content
    if field:
        assert field_errors(response)[field].startswith(message)
    assert (Organisation.objects.count(), AuditEntry.objects.count()) == before


def test_patch_and_member_permissions(world, orgs):
    url = f"/api/v1/organisations/{orgs.team1.pk}"
    response = as_(world, "carol").patch(url, {"contact_name": "王队长", "contact_phone": "0731-88886666"})
    assert response.status_code == 200 and response.json()["contact_name"] == "王队长"
    assert as_(world, "alice").patch(url, {"name": "x"}).status_code == 403
    assert as_(world, "bob").patch(url, {"name": "x"}).status_code == 404
    assert as_(world, "alice").post(f"{url}/members", {"resident": world.zhang.pk}).status_code == 403
    # A resident outside the organisation manager's reach is "not found".
    assert as_(world, "bob").post(f"{url}/members", {"resident": world.li.pk}).status_code == 404
    assert not OrgMember.objects.exists()
    orgs.team1.refresh_from_db()
    assert orgs.team1.name == "一网格志愿服务队"
