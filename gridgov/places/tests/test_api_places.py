"""/api/v1/places and /api/v1/households: scope matrix, writes, bad input, filters, pages."""

from __future__ import annotations

import pytest

from gridgov.accounts.tests.apiclient import MISSING_ID, as_, field_errors, ids
from gridgov.audit.models import AuditEntry
from gridgov.places.models import Household, Place

NOT_FOUND = {"detail": "记录不存在或无权访问", "errors": []}

# persona -> (sees grid 1's subtree, sees grid 2's subtree)
PLACE_MATRIX = {
    "alice": (True, False),
    "bob": (False, True),
    "carol": (True, True),
    "dave": (True, False),
    "frank": (True, False),
    "erin": (False, False),  # a resident has no registry view of places
}
# Households: erin additionally sees the one she lives in.
HOUSEHOLD_MATRIX = {**PLACE_MATRIX, "erin": (False, True)}


@pytest.mark.parametrize("persona", list(PLACE_MATRIX))
def test_places_scope_matrix(world, persona):
    client = as_(world, persona)
    sees1, sees2 = PLACE_MATRIX[persona]
    expected = set()
    if sees1:
        expected |= {world.grid1.pk, world.estate1.pk, world.building1.pk}
    if sees2:
        expected |= {world.grid2.pk, world.estate2.pk, world.building2.pk}
    listed = set(ids(client.get("/api/v1/places", {"page_size": 200})))
    assert expected <= listed
    assert not ({world.grid1.pk, world.grid2.pk} - expected) & listed
    missing = client.get(f"/api/v1/places/{MISSING_ID}")
    assert missing.status_code == 404 and missing.json() == NOT_FOUND
    for place, seen in ((world.building1, sees1), (world.building2, sees2)):
        for url in (f"/api/v1/places/{place.pk}", f"/api/v1/places/{place.pk}/children"):
            response = client.get(url)
            assert response.status_code == (200 if seen else 404), url
            if not seen:
                assert response.json() == NOT_FOUND


@pytest.mark.parametrize("persona", list(HOUSEHOLD_MATRIX))
def test_households_scope_matrix_and_masked_members(world, persona):
    client = as_(world, persona)
    sees1, sees2 = HOUSEHOLD_MATRIX[persona]
    expected = [h.pk for h, seen in ((world.household1, sees1), (world.household2, sees2)) if seen]
    assert ids(client.get("/api/v1/households")) == expected
    missing = client.get(f"/api/v1/households/{MISSING_ID}")
    assert missing.status_code == 404 and missing.json() == NOT_FOUND
    for household, seen in ((world.household1, sees1), (world.household2, sees2)):
        response = client.get(f"/api/v1/households/{household.pk}")
        if not seen:
            assert response.status_code == 404 and response.json() == NOT_FOUND
            continue
        assert response.status_code == 200
        members = response.json()["members"]
        assert len(members) == 1 and members[0]["id_number_masked"].startswith("*" * 14)
        text = response.content.decode()
        for secret in ("430102195001010018", "13812345678", "430102198002020027", "13987654321"):
            assert secret not in text


def test_anonymous_is_401(world):
    for url in ("/api/v1/places", f"/api/v1/households/{world.household1.pk}"):
        assert as_(world, None).get(url).status_code == 401


def test_children_carry_counts_and_breadcrumbs(world):
    carol = as_(world, "carol")
    rows = carol.get(f"/api/v1/places/{world.community.pk}/children").json()["items"]
    assert [(r["name"], r["households"], r["residents"], r["children"]) for r in rows] == [
        ("第一网格", 1, 1, 1),
        ("第二网格", 1, 1, 1),
    ]
    detail = carol.get(f"/api/v1/places/{world.building1.pk}").json()
    assert [b["name"] for b in detail["breadcrumbs"]] == [
        "芙蓉北路街道",
        "金泰路社区",
        "第一网格",
        "聚江苑",
        "1栋",
    ]
    assert detail["kind_label"] == "楼栋"


def test_place_filters(world):
    carol = as_(world, "carol")
    assert ids(carol.get("/api/v1/places", {"parent": world.community.pk})) == [
        world.grid1.pk,
        world.grid2.pk,
    ]
    assert ids(carol.get("/api/v1/places", {"kind": "building"})) == [world.building1.pk, world.building2.pk]
    assert ids(carol.get("/api/v1/places", {"within": world.grid2.pk})) == [
        world.grid2.pk,
        world.estate2.pk,
        world.building2.pk,
    ]
    assert as_(world, "alice").get("/api/v1/places", {"within": world.grid2.pk}).status_code == 404
    bad = carol.get("/api/v1/places", {"kind": "planet"})
    assert bad.status_code in (400, 422) and field_errors(bad)["kind"].startswith("类型：取值无效")


def test_grid_balance(world):
    rows = as_(world, "carol").get("/api/v1/places/grid-balance").json()["items"]
    assert [(r["grid"]["name"], r["households"], r["status_label"]) for r in rows] == [
        ("第一网格", 1, "户数偏少"),
        ("第二网格", 1, "户数偏少"),
    ]
    assert [
        r["grid"]["name"] for r in as_(world, "bob").get("/api/v1/places/grid-balance").json()["items"]
    ] == ["第二网格"]


def test_place_create_and_patch(world):
    carol = as_(world, "carol")
    response = carol.post("/api/v1/places", {"parent": world.estate1.pk, "kind": "building", "name": "2栋"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["parent_id"] == world.estate1.pk and created["path"].startswith(world.estate1.path + ".")
    patched = carol.patch(f"/api/v1/places/{world.grid1.pk}", {"households_min": 200, "households_max": 400})
    assert patched.status_code == 200 and patched.json()["households_max"] == 400
    renamed = carol.patch(f"/api/v1/places/{world.estate1.pk}", {"name": "聚江新苑"})
    assert renamed.status_code == 200
    world.household1.refresh_from_db()
    assert world.household1.address == "聚江新苑1栋101"


@pytest.mark.parametrize(
    ("persona", "body", "status", "field", "message"),
    [
        ("alice", {"kind": "building", "name": "3栋"}, 403, None, None),  # grid workers do not manage places
        ("bob", {"kind": "building", "name": "3栋"}, 404, None, None),  # outside bob's grid
        ("carol", {"kind": "grid", "name": "第三网格"}, 400, "parent", "网格不能建在小区“聚江苑”之下"),
        ("carol", {"kind": "building", "name": "1栋"}, 400, "name", "“1栋”在同一上级下已存在"),
        ("carol", {"kind": "building", "name": " "}, 400, "name", "请填写名称"),
        ("carol", {"kind": "tower", "name": "塔"}, 400, "kind", "类型：取值无效，可选："),
        ("carol", {"kind": "building"}, 400, "name", "名称：必填"),
    ],
)
def test_place_create_refusals_write_nothing(world, persona, body, status, field, message):
    before = (Place.objects.count(), AuditEntry.objects.count())
    response = as_(world, persona).post("/api/v1/places", {"parent": world.estate1.pk, **body})
    assert response.status_code == status, response.content
    if field:
        assert field_errors(response)[field].startswith(message)
    assert (Place.objects.count(), AuditEntry.objects.count()) == before


def test_place_patch_permissions(world):
    url = f"/api/v1/places/{world.grid1.pk}"
    assert as_(world, "alice").patch(url, {"name": "x"}).status_code == 403
    assert as_(world, "bob").patch(url, {"name": "x"}).status_code == 404
    bad = as_(world, "carol").patch(url, {"name": "第二网格"})
    assert bad.status_code == 400 and field_errors(bad) == {"name": "“第二网格”在同一上级下已存在"}
    world.grid1.refresh_from_db()
    assert world.grid1.name == "第一网格"


def test_household_create(world):
    response = as_(world, "alice").post(
        "/api/v1/households",
        {"place": world.building1.pk, "room": "102", "residence_kind": "rented", "landlord": world.zhang.pk},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["address"] == "聚江苑1栋102" and data["landlord_name"] == "张建国"
    assert data["residence_kind_label"] == "出租" and data["members"] == []


@pytest.mark.parametrize(
    ("persona", "body", "status", "field", "message"),
    [
        (
            "alice",
            {"place": "grid1", "room": "1"},
            400,
            "place",
            "户只能登记在楼栋或单元下，“第一网格”是网格",
        ),
        ("alice", {"place": "estate1", "room": "1"}, 400, "place", "户只能登记在楼栋或单元下"),
        ("alice", {"place": "building1", "room": "101"}, 400, "room", "1栋已有房号101的户"),
        ("alice", {"place": "building1", "room": " "}, 400, "room", "请填写房号"),
        (
            "alice",
            {"place": "building1", "room": "1", "residence_kind": "castle"},
            400,
            "residence_kind",
            "居住类型：",
        ),
        ("alice", {"place": "building1", "room": "1", "area_sqm": "大"}, 400, "area_sqm", "面积：须为数字"),
        ("alice", {"place": "building1", "room": "1", "landlord": "li"}, 404, None, None),
        ("alice", {"place": "building2", "room": "1"}, 404, None, None),
        ("dave", {"place": "building1", "room": "1"}, 403, None, None),
        ("erin", {"place": "building2", "room": "1"}, 404, None, None),
    ],
)
def test_household_create_refusals_write_nothing(world, persona, body, status, field, message):
    body = {
        key: getattr(world, value).pk if key in ("place", "landlord") else value
        for key, value in body.items()
    }
    before = (Household.objects.count(), AuditEntry.objects.count())
    response = as_(world, persona).post("/api/v1/households", body)
    assert response.status_code == status, response.content
    if field:
        assert field_errors(response)[field].startswith(message)
    else:
        assert response.json()["detail"] in ("记录不存在或无权访问", "您没有执行此操作的权限")
    assert (Household.objects.count(), AuditEntry.objects.count()) == before


def test_household_patch(world):
    url = f"/api/v1/households/{world.household1.pk}"
    response = as_(world, "alice").patch(url, {"room": "101A", "notes": "门口有坡道"})
    assert response.status_code == 200
    assert response.json()["address"] == "聚江苑1栋101A"
    assert as_(world, "dave").patch(url, {"notes": "x"}).status_code == 403
    assert as_(world, "bob").patch(url, {"notes": "x"}).status_code == 404
    bad = as_(world, "alice").patch(url, {"notes": None})
    assert bad.status_code == 400 and field_errors(bad) == {"notes": "备注：须为文本"}
    world.household1.refresh_from_db()
    assert world.household1.notes == "门口有坡道"


def test_household_filters_and_pagination(world):
    Household.objects.bulk_create(
        Household(place=world.building1, room=f"{n:04d}", address=f"聚江苑1栋{n:04d}") for n in range(1, 206)
    )
    carol = as_(world, "carol")
    page1 = carol.get("/api/v1/households").json()
    assert page1["count"] == 207 and len(page1["items"]) == 20  # 20 a page by default
    assert len(carol.get("/api/v1/households", {"page": 11}).json()["items"]) == 7
    assert len(carol.get("/api/v1/households", {"page": 5, "page_size": 50}).json()["items"]) == 7
    assert len(carol.get("/api/v1/households", {"page_size": 1000}).json()["items"]) == 200  # capped
    assert carol.get("/api/v1/households", {"page": 99}).json()["items"] == []
    bad_page = carol.get("/api/v1/households", {"page": 0})
    assert bad_page.status_code in (400, 422) and field_errors(bad_page) == {"page": "页码：不能小于1"}
    assert carol.get("/api/v1/households", {"q": "0013"}).json()["count"] == 1
    assert ids(carol.get("/api/v1/households", {"place": world.grid2.pk})) == [world.household2.pk]
    assert carol.get("/api/v1/households", {"place": world.estate1.pk}).json()["count"] == 206
    assert as_(world, "bob").get("/api/v1/households", {"place": world.grid1.pk}).status_code == 404
    first = carol.get("/api/v1/households", {"place": world.building1.pk}).json()["items"][0]
    assert first["room"] == "0001" and first["member_count"] == 0
    assert carol.get(f"/api/v1/households/{world.household1.pk}").json()["member_count"] == 1
