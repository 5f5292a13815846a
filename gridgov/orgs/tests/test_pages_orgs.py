"""Organisation pages: list, detail, create/edit, members, party tree — scope matrix included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.orgs.models import Organisation, OrgKind, OrgMember, PartyLevel
from gridgov.orgs.services import organisation_add_member, organisation_create
from gridgov.people.services import resident_create
from gridgov.places.models import PlaceKind
from gridgov.places.services import household_create, place_create


def _get(client, user, url_name, /, *args, **params):
    client.force_login(user)
    return client.get(reverse(url_name, args=args), params)


def _post(client, user, url_name, /, *args, **data):
    client.force_login(user)
    return client.post(reverse(url_name, args=args), data)


@pytest.fixture
def orgs(world):
    """seed 000's "1+3+8" in miniature: 党委 › 党总支 › two 党支部 › a 党小组, plus a grid team each side."""
    o = type("Orgs", (), {})()
    o.committee = organisation_create(
        by=SYSTEM,
        kind=OrgKind.PARTY,
        name="芙蓉北路街道党委",
        place=world.street,
        party_level=PartyLevel.COMMITTEE,
    )
    o.general = organisation_create(
        by=SYSTEM,
        kind=OrgKind.PARTY,
        name="金泰路社区党总支",
        place=world.community,
        parent=o.committee,
        party_level=PartyLevel.GENERAL_BRANCH,
        places=[world.community],
    )
    o.branch1 = organisation_create(
        by=SYSTEM,
        kind=OrgKind.PARTY,
        name="第一网格党支部",
        place=world.grid1,
        parent=o.general,
        party_level=PartyLevel.BRANCH,
        places=[world.grid1],
    )
    o.branch2 = organisation_create(
        by=SYSTEM,
        kind=OrgKind.PARTY,
        name="第二网格党支部",
        place=world.grid2,
        parent=o.general,
        party_level=PartyLevel.BRANCH,
        places=[world.grid2],
    )
    o.group1 = organisation_create(
        by=SYSTEM,
        kind=OrgKind.PARTY,
        name="聚江苑党小组",
        place=world.estate1,
        parent=o.branch1,
        party_level=PartyLevel.GROUP,
        places=[world.estate1],
    )
    o.team1 = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="第一网格志愿服务队", place=world.grid1)
    o.team2 = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="第二网格志愿服务队", place=world.grid2)
    o.property = organisation_create(
        by=SYSTEM,
        kind=OrgKind.PROPERTY,
        name="湘江物业",
        place=world.community,
        places=[world.estate1],
        contact_name="王经理",
    )
    organisation_add_member(
        by=SYSTEM, organisation=o.branch1, resident=world.zhang, role="书记", joined_on=dt.date(2020, 1, 1)
    )
    return o


@pytest.fixture
def stranger(world):
    """A resident of another street, outside everyone's scope but the superuser's."""
    street = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="望月湖街道")
    building = place_create(by=SYSTEM, parent=street, kind=PlaceKind.BUILDING, name="5栋")
    household = household_create(by=SYSTEM, place=building, room="501")
    return resident_create(by=SYSTEM, name="赵外人", household=household, relation="head")


def test_anonymous_is_sent_to_login(client, world, orgs):
    for url in (
        reverse("orgs:list"),
        reverse("orgs:detail", args=[orgs.team1.pk]),
        reverse("orgs:create"),
        reverse("orgs:party_tree"),
        reverse("orgs:member_add", args=[orgs.team1.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_list_is_scoped_and_includes_organisations_above(client, world, orgs):
    body = _get(client, world.alice, "orgs:list").content.decode()
    # Grid 1's own, plus those registered above it (street committee, community property company).
    assert "第一网格志愿服务队" in body and "芙蓉北路街道党委" in body and "湘江物业" in body
    assert "第二网格志愿服务队" not in body and "第二网格党支部" not in body
    body = _get(client, world.carol, "orgs:list").content.decode()
    assert "第二网格志愿服务队" in body and "第一网格志愿服务队" in body


def test_list_filters_by_kind_and_text(client, world, orgs):
    body = _get(client, world.carol, "orgs:list", kind="property").content.decode()
    assert "湘江物业" in body and "党支部" not in body
    body = _get(client, world.carol, "orgs:list", q="王经理").content.decode()
    assert "湘江物业" in body and "第一网格志愿服务队" not in body
    body = _get(client, world.carol, "orgs:list", q="不存在的组织").content.decode()
    assert "没有符合条件的组织" in body


def test_a_role_without_orgs_view_sees_no_organisations(client, world, orgs):
    # The page table (accounts.pages) closes the page the navigation does not offer.
    response = _get(client, world.dave, "orgs:list")
    assert response.status_code == 403 and "第一网格志愿服务队" not in response.content.decode()


def test_detail_shows_places_members_and_leader(client, world, orgs):
    Organisation.objects.filter(pk=orgs.branch1.pk).update(leader=world.zhang)
    member = OrgMember.objects.create(
        organisation=orgs.branch1, resident=world.li, role="委员", left_on=dt.date(2024, 1, 1)
    )
    body = _get(client, world.carol, "orgs:detail", orgs.branch1.pk).content.decode()
    assert "第一网格" in body and "金泰路社区党总支" in body and "聚江苑党小组" in body
    assert reverse("people:detail", args=[world.zhang.pk]) in body and "负责人" in body
    assert "现有成员（1）" in body and "历史成员（1）" in body and "2024-01-01" in body
    assert member.resident.name in body


def test_detail_outside_scope_is_the_same_404_as_missing(client, world, orgs):
    assert _get(client, world.alice, "orgs:detail", orgs.team1.pk).status_code == 200
    assert _get(client, world.alice, "orgs:detail", orgs.team2.pk).status_code == 404
    assert _get(client, world.alice, "orgs:detail", 999999).status_code == 404


def test_create_a_party_branch(client, world, orgs):
    response = _post(
        client,
        world.carol,
        "orgs:create",
        kind="party",
        name="鸿江苑党小组",
        place=world.estate2.pk,
        parent=orgs.branch2.pk,
        party_level="group",
        places=[world.estate2.pk],
    )
    assert response.status_code == 302
    created = Organisation.objects.get(name="鸿江苑党小组")
    assert created.parent == orgs.branch2 and list(created.places.all()) == [world.estate2]
    assert AuditEntry.objects.filter(target_type="orgs.organisation", target_id=str(created.pk)).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "party", "name": "无层级党组织", "party_level": ""}, "党组织须选择层级"),
        ({"kind": "team", "name": ""}, "请填写名称"),
        ({"kind": "team", "name": "第一网格志愿服务队"}, "“第一网格志愿服务队”已存在"),
        ({"kind": "team", "name": "队", "party_level": "branch"}, "只有党组织才有层级"),
        ({"kind": "spaceship", "name": "飞船"}, "类型无效"),
        ({"kind": "property", "name": "新物业", "places": ["GRID1"]}, "物业公司只能绑定小区或楼栋"),
    ],
)
def test_bad_organisation_input_is_explained_and_nothing_is_written(client, world, orgs, data, message):
    data = {"place": world.grid1.pk, **data}
    if data.get("places") == ["GRID1"]:
        data["places"] = [world.grid1.pk]
    before = Organisation.objects.count()
    response = _post(client, world.carol, "orgs:create", **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Organisation.objects.count() == before


def test_create_at_a_place_outside_scope_is_refused(client, world, orgs, stranger):
    before = Organisation.objects.count()
    response = _post(client, world.carol, "orgs:create", kind="team", name="外队", place=stranger.place.pk)
    assert response.status_code == 400
    assert "所选项不存在或不在您的范围内" in response.content.decode()
    assert Organisation.objects.count() == before


def test_create_needs_orgs_manage(client, world, orgs):
    assert _get(client, world.alice, "orgs:create").status_code == 403
    assert (
        _post(client, world.alice, "orgs:create", kind="team", name="x", place=world.grid1.pk).status_code
        == 403
    )
    assert _get(client, world.carol, "orgs:create").status_code == 200


def test_edit_an_organisation(client, world, orgs):
    organisation_add_member(by=SYSTEM, organisation=orgs.team1, resident=world.zhang)
    response = _post(
        client,
        world.carol,
        "orgs:edit",
        orgs.team1.pk,
        name="第一网格红马甲",
        leader=world.zhang.pk,
        contact_name="张队长",
        is_active="on",
        places=[world.estate1.pk],
    )
    assert response.status_code == 302
    orgs.team1.refresh_from_db()
    assert orgs.team1.name == "第一网格红马甲" and orgs.team1.leader == world.zhang
    assert list(orgs.team1.places.all()) == [world.estate1]


def test_edit_rejects_a_leader_who_is_not_a_member_and_writes_nothing(client, world, orgs):
    response = _post(client, world.carol, "orgs:edit", orgs.team1.pk, name="改名", leader=world.li.pk)
    assert response.status_code == 400
    assert "所选项不存在或不在您的范围内" in response.content.decode()
    orgs.team1.refresh_from_db()
    assert orgs.team1.name == "第一网格志愿服务队" and orgs.team1.leader is None


def test_edit_is_refused_without_manage_and_hidden_outside_scope(client, world, orgs):
    assert _get(client, world.alice, "orgs:edit", orgs.team1.pk).status_code == 403
    assert _post(client, world.alice, "orgs:edit", orgs.team2.pk, name="x").status_code == 404
    # carol manages the community, but the street committee sits above her: visible, not editable.
    assert _get(client, world.carol, "orgs:edit", orgs.committee.pk).status_code == 403


def test_member_search_finds_residents_in_scope_only(client, world, orgs, stranger):
    body = _get(client, world.carol, "orgs:member_add", orgs.team1.pk, q="张").content.decode()
    assert "张建国" in body and "**************0018" in body  # masked ID, never the full number
    body = _get(client, world.carol, "orgs:member_add", orgs.team1.pk, q="赵外人").content.decode()
    assert "没有找到" in body and reverse("people:detail", args=[stranger.pk]) not in body


def test_adding_and_removing_a_member(client, world, orgs):
    response = _post(
        client, world.carol, "orgs:member_add", orgs.team1.pk, resident=world.zhang.pk, role="队长"
    )
    assert response.status_code == 302
    member = OrgMember.objects.get(organisation=orgs.team1, resident=world.zhang)
    assert member.role == "队长" and member.left_on is None

    response = _post(
        client, world.carol, "orgs:member_remove", orgs.team1.pk, member.pk, left_on="2025-06-30"
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.left_on == dt.date(2025, 6, 30)
    body = _get(client, world.carol, "orgs:detail", orgs.team1.pk).content.decode()
    assert "历史成员（1）" in body and "现有成员（0）" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "成员"}, "请先搜索并选择居民"),
        ({"resident": "abc", "role": "成员"}, "请先搜索并选择居民"),
        ({"resident": "ZHANG", "role": ""}, "请填写职务"),
        ({"resident": "ZHANG", "role": "成员", "joined_on": "2999-01-01"}, "加入日期不能晚于今天"),
        ({"resident": "ZHANG", "role": "成员", "joined_on": "昨天"}, "加入日期格式应为YYYY-MM-DD"),
        ({"resident": "ZHANG-AGAIN", "role": "成员"}, "张建国已是该组织成员"),
    ],
)
def test_bad_member_input_is_explained_and_nothing_is_written(client, world, orgs, data, message):
    if data.get("resident") == "ZHANG":
        data["resident"] = world.zhang.pk
    elif data.get("resident") == "ZHANG-AGAIN":
        data["resident"] = world.zhang.pk
        organisation_add_member(by=SYSTEM, organisation=orgs.team1, resident=world.zhang)
    before = OrgMember.objects.count()
    response = _post(client, world.carol, "orgs:member_add", orgs.team1.pk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert OrgMember.objects.count() == before


def test_a_resident_outside_scope_cannot_be_added(client, world, orgs, stranger):
    before = OrgMember.objects.count()
    response = _post(client, world.carol, "orgs:member_add", orgs.team1.pk, resident=stranger.pk, role="成员")
    assert response.status_code == 400
    assert "所选居民不存在或不在您的范围内" in response.content.decode()
    assert OrgMember.objects.count() == before


def test_removing_with_a_bad_date_changes_nothing(client, world, orgs):
    member = OrgMember.objects.get(organisation=orgs.branch1, resident=world.zhang)
    response = _post(
        client, world.carol, "orgs:member_remove", orgs.branch1.pk, member.pk, left_on="2019-01-01"
    )
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "退出日期不能早于加入日期" in body
    member.refresh_from_db()
    assert member.left_on is None


def test_member_pages_need_manage_and_scope(client, world, orgs):
    member = OrgMember.objects.get(organisation=orgs.branch1, resident=world.zhang)
    assert _get(client, world.alice, "orgs:member_add", orgs.team1.pk).status_code == 403
    assert (
        _post(
            client, world.alice, "orgs:member_remove", orgs.branch1.pk, member.pk, left_on="2025-01-01"
        ).status_code
        == 403
    )
    assert (
        _post(
            client, world.bob, "orgs:member_remove", orgs.branch1.pk, member.pk, left_on="2025-01-01"
        ).status_code
        == 404
    )
    # A member id that belongs to another organisation is not found through this one.
    assert (
        _post(
            client, world.carol, "orgs:member_remove", orgs.team1.pk, member.pk, left_on="2025-01-01"
        ).status_code
        == 404
    )
    member.refresh_from_db()
    assert member.left_on is None


def test_party_tree_nests_levels_with_places_and_member_counts(client, world, orgs):
    body = _get(client, world.carol, "orgs:party_tree").content.decode()
    positions = [
        body.index(name)
        for name in (
            "芙蓉北路街道党委",
            "金泰路社区党总支",
            "第一网格党支部",
            "聚江苑党小组",
            "第二网格党支部",
        )
    ]
    assert positions == sorted(positions)
    assert "（党员 1 人）" in body  # 第一网格党支部 has 张建国
    assert "联系：" in body and "湘江物业" not in body and "志愿服务队" not in body


def test_party_tree_is_scoped(client, world, orgs):
    body = _get(client, world.bob, "orgs:party_tree").content.decode()
    assert "第二网格党支部" in body and "第一网格党支部" not in body and "聚江苑党小组" not in body
