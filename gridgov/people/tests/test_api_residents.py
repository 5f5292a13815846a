"""/api/v1/residents: scope matrix, masking, the audited reveal, writes and bad input."""

from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import MISSING_ID, as_, field_errors, ids
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.people.models import Membership, Resident, ResidentTag, Tag
from gridgov.people.services import resident_create

ZHANG_ID, ZHANG_PHONE = "430102195001010018", "13812345678"
LI_ID, LI_PHONE = "430102198002020027", "13987654321"
NEW_ID = "110101199003070011"  # valid check digit, born 1990-03-07, male

# persona -> (sees zhang of grid 1, sees li of grid 2)
MATRIX = {
    "alice": (True, False),
    "bob": (False, True),
    "carol": (True, True),
    "dave": (True, False),
    "frank": (True, False),
    "erin": (False, True),  # a resident sees her own record (li), not a relative's
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_scope_matrix_and_masking(world, persona):
    client = as_(world, persona)
    sees_zhang, sees_li = MATRIX[persona]
    listed = client.get("/api/v1/residents")
    assert listed.status_code == 200
    expected = [r.pk for r, seen in ((world.zhang, sees_zhang), (world.li, sees_li)) if seen]
    assert ids(listed) == expected
    not_found = client.get(f"/api/v1/residents/{MISSING_ID}")
    assert not_found.status_code == 404
    assert not_found.json() == {"detail": "记录不存在或无权访问", "errors": []}
    for resident, seen in ((world.zhang, sees_zhang), (world.li, sees_li)):
        response = client.get(f"/api/v1/residents/{resident.pk}")
        if seen:
            assert response.status_code == 200
            assert response.json()["name"] == resident.name
        else:
            # Out of scope looks exactly like missing: nothing leaks.
            assert response.status_code == 404
            assert response.json() == not_found.json()
    # Plaintext ID numbers and phones never appear, not even for frank who may reveal them.
    for response in (listed, *(client.get(f"/api/v1/residents/{r.pk}") for r in (world.zhang, world.li))):
        for secret in (ZHANG_ID, ZHANG_PHONE, LI_ID, LI_PHONE):
            assert secret not in response.content.decode()


def test_anonymous_is_401(world):
    response = as_(world, None).get(f"/api/v1/residents/{world.zhang.pk}")
    assert response.status_code == 401


def test_detail_is_masked_with_stays_and_reveal_flag(world):
    data = as_(world, "frank").get(f"/api/v1/residents/{world.zhang.pk}").json()
    assert data["id_number_masked"] == "**************0018"
    assert data["phone_masked"] == "*******5678"
    assert data["can_reveal"] is True
    assert data["stays"][0]["address"] == "聚江苑1栋101" and data["stays"][0]["relation_label"] == "户主"
    assert "id_number" not in data and "phone" not in data
    assert as_(world, "dave").get(f"/api/v1/residents/{world.zhang.pk}").json()["can_reveal"] is False


def test_reveal_frank_gets_plaintext_and_an_audit_row(world):
    response = as_(world, "frank").post(f"/api/v1/residents/{world.zhang.pk}/reveal", {"purpose": "低保复核"})
    assert response.status_code == 200
    assert response.json() == {
        "id": world.zhang.pk,
        "name": "张建国",
        "id_number": ZHANG_ID,
        "phone": ZHANG_PHONE,
    }
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_PII, target_id=str(world.zhang.pk))
    assert entry.actor == world.frank and entry.purpose == "低保复核" and entry.ip == "127.0.0.1"


def test_reveal_refused_without_capability_or_scope_or_purpose(world):
    url = f"/api/v1/residents/{world.zhang.pk}/reveal"
    dave = as_(world, "dave").post(url, {"purpose": "好奇"})
    assert dave.status_code == 403
    assert dave.json()["detail"] == "您没有执行此操作的权限"
    bob = as_(world, "bob").post(url, {"purpose": "核查"})
    assert bob.status_code == 404
    assert bob.json() == {"detail": "记录不存在或无权访问", "errors": []}
    blank = as_(world, "frank").post(url, {"purpose": " "})
    assert blank.status_code == 400
    assert field_errors(blank) == {"purpose": "查看完整信息须填写用途"}
    missing = as_(world, "frank").post(url, {})
    assert missing.status_code == 400
    assert field_errors(missing) == {"purpose": "查看用途：必填"}
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW_PII).exists()


def _new(world, **extra):
    return {"household": world.household1.pk, "name": "王小明", "relation": "child", **extra}


def test_create_resident_in_household(world):
    response = as_(world, "alice").post(
        "/api/v1/residents",
        _new(world, id_number=NEW_ID, phone="139 0000 1111", tags=["disabled"], moved_in="2024-03-01"),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["birth_date"] == "1990-03-07" and data["gender"] == "M"  # derived from the ID number
    assert data["id_number_masked"] == "**************0011" and data["phone_masked"] == "*******1111"
    assert [t["code"] for t in data["tags"]] == ["disabled"]
    assert data["stays"][0]["moved_in"] == "2024-03-01"
    assert Resident.objects.get(pk=data["id"]).place == world.building1
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, target_id=str(data["id"])).exists()
    household = as_(world, "alice").get(f"/api/v1/households/{world.household1.pk}").json()
    assert {m["name"] for m in household["members"]} == {"张建国", "王小明"}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"id_number": "110101199003070018"}, "id_number", "身份证号校验位错误，请核对后重新填写"),
        ({"id_number": "11010119900230001X"}, "id_number", "身份证号中的出生日期不存在"),
        ({"birth_date": "1990-02-30"}, "birth_date", "出生日期：日期不存在，请核对年月日"),
        ({"birth_date": "2090-01-01"}, "birth_date", "出生日期不合理"),
        (
            {"id_number": NEW_ID, "birth_date": "1990-03-08"},
            "birth_date",
            "出生日期与身份证号不一致（身份证号为1990-03-07）",
        ),
        ({"phone": "1381234567"}, "phone", "手机号应为11位，当前为10位"),
        ({"phone": "138123456789"}, "phone", "手机号应为11位，当前为12位"),
        ({"id_number": ZHANG_ID}, "id_number", "该身份证号已登记：张建国（1栋），请先查找该居民"),
        ({"name": "  "}, "name", "请填写姓名"),
        ({"relation": "cousin"}, "relation", "与户主关系：取值无效，可选："),
        ({"tags": ["no-such-tag"]}, "tags", "未知的人群标签：no-such-tag"),
    ],
)
def test_create_bad_input_names_the_field_and_writes_nothing(world, extra, field, message):
    residents, memberships, audits = (
        Resident.objects.count(),
        Membership.objects.count(),
        AuditEntry.objects.count(),
    )
    response = as_(world, "alice").post("/api/v1/residents", _new(world, **extra))
    assert response.status_code == 400, response.content
    errors = field_errors(response)
    assert field in errors
    assert errors[field].startswith(message)
    assert response.json()["detail"]
    assert (Resident.objects.count(), Membership.objects.count(), AuditEntry.objects.count()) == (
        residents,
        memberships,
        audits,
    )


def test_create_permissions(world):
    body = _new(world)
    assert as_(world, "dave").post("/api/v1/residents", body).status_code == 403
    bob = as_(world, "bob").post("/api/v1/residents", body)
    assert bob.status_code == 404
    assert bob.json()["detail"] == "记录不存在或无权访问"
    assert as_(world, "erin").post(
        "/api/v1/residents", {**body, "household": world.household2.pk}
    ).status_code in (
        403,
        404,
    )
    assert Resident.objects.count() == 2


def test_patch_resident(world):
    url = f"/api/v1/residents/{world.zhang.pk}"
    response = as_(world, "alice").patch(url, {"phone": "13700001234", "employment": "退休"})
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "*******1234" and response.json()["employment"] == "退休"
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(world.zhang.pk)).latest("id")
    assert entry.changes["phone"] == ["*******5678", "*******1234"]  # masked in the trail too
    bad = as_(world, "alice").patch(url, {"id_number": "430102195001010019"})
    assert bad.status_code == 400 and "id_number" in field_errors(bad)
    dup = as_(world, "carol").patch(url, {"id_number": LI_ID})
    assert field_errors(dup) == {"id_number": "该身份证号已登记：李秀英（8栋），请先查找该居民"}
    assert as_(world, "dave").patch(url, {"employment": "x"}).status_code == 403
    assert as_(world, "bob").patch(url, {"employment": "x"}).status_code == 404
    world.zhang.refresh_from_db()
    assert world.zhang.employment == "退休" and world.zhang.id_number_last4 == "0018"


def test_tags_put(world):
    url = f"/api/v1/residents/{world.zhang.pk}/tags"
    response = as_(world, "alice").put(url, {"tags": ["living-alone-elderly", "veteran"]})
    assert response.status_code == 200, response.content
    assert {t["code"] for t in response.json()["tags"]} == {"living-alone-elderly", "veteran"}
    response = as_(world, "alice").put(url, {"tags": ["veteran"]})
    assert [t["name"] for t in response.json()["tags"]] == ["退役军人"]
    bad = as_(world, "alice").put(url, {"tags": ["veteran", "nope"]})
    assert bad.status_code == 400 and field_errors(bad) == {"tags": "未知的人群标签：nope"}
    assert as_(world, "dave").put(url, {"tags": []}).status_code == 403
    assert list(ResidentTag.objects.filter(resident=world.zhang).values_list("tag__code", flat=True)) == [
        "veteran"
    ]


def test_list_filters_and_pagination(world):
    veteran = Tag.objects.get(code="veteran")
    for n in range(55):
        resident_create(
            by=SYSTEM,
            name=f"住户{n:02d}",
            household=world.household1,
            relation="tenant",
            tags=[veteran] if n < 3 else [],
        )
    carol = as_(world, "carol")
    first = carol.get("/api/v1/residents").json()
    assert first["count"] == 57 and len(first["items"]) == 20  # 20 a page by default
    assert len(carol.get("/api/v1/residents", {"page": 3}).json()["items"]) == 17
    second = carol.get("/api/v1/residents", {"page": 2, "page_size": 50}).json()
    assert len(second["items"]) == 7
    assert len(carol.get("/api/v1/residents", {"page_size": 500}).json()["items"]) == 57
    assert carol.get("/api/v1/residents", {"tag": "veteran"}).json()["count"] == 3
    assert ids(carol.get("/api/v1/residents", {"q": "李秀英"})) == [world.li.pk]
    assert ids(carol.get("/api/v1/residents", {"q": LI_PHONE})) == [world.li.pk]
    assert ids(carol.get("/api/v1/residents", {"q": ZHANG_ID})) == [world.zhang.pk]
    assert ids(carol.get("/api/v1/residents", {"place": world.grid2.pk})) == [world.li.pk]
    assert carol.get("/api/v1/residents", {"status": "floating"}).json()["count"] == 0
    assert carol.get("/api/v1/residents", {"place": world.grid1.pk}).json()["count"] == 56
    # Searching for someone outside the scope finds nobody; a place outside it is "not found".
    assert as_(world, "alice").get("/api/v1/residents", {"q": LI_PHONE}).json()["count"] == 0
    assert as_(world, "alice").get("/api/v1/residents", {"place": world.grid2.pk}).status_code == 404
    bad = carol.get("/api/v1/residents", {"status": "alien"})
    assert bad.status_code in (400, 422) and "status" in field_errors(bad)


def test_move_in_and_move_out(world):
    alice = as_(world, "alice")
    moved = alice.post(
        f"/api/v1/residents/{world.zhang.pk}/move-in",
        {"household": world.household1.pk, "relation": "head"},
    )
    assert moved.status_code == 400
    assert field_errors(moved) == {"household": "张建国已是该户成员"}
    carol = as_(world, "carol")
    response = carol.post(
        f"/api/v1/residents/{world.zhang.pk}/move-in",
        {"household": world.household2.pk, "relation": "parent", "moved_in": "2025-01-02"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["relation_label"] == "父母"
    old = Membership.objects.get(resident=world.zhang, household=world.household1)
    url = f"/api/v1/memberships/{old.pk}/move-out"
    assert as_(world, "bob").post(url, {"reason": "搬家"}).status_code == 404
    assert as_(world, "dave").post(url, {"reason": "搬家"}).status_code == 403
    early = alice.post(url, {"moved_out": "2001-01-01"})
    assert early.status_code == 400 and field_errors(early) == {"moved_out": "迁出日期不能早于迁入日期"}
    out = alice.post(url, {"moved_out": "2025-01-03", "reason": "随子女居住"})
    assert out.status_code == 200
    assert out.json()["moved_out"] == "2025-01-03"
    world.zhang.refresh_from_db()
    assert world.zhang.place == world.building2
    # The old household stays alice's to see (一户一档 keeps the history); a second move-out is refused.
    again = alice.post(url, {})
    assert again.status_code == 400 and field_errors(again) == {"moved_out": "该成员已迁出"}
    assert as_(world, "alice").get(f"/api/v1/residents/{world.zhang.pk}").status_code == 404


def test_malformed_bodies_get_chinese_messages(world):
    client = as_(world, "alice").client
    response = client.post("/api/v1/residents", "not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "请求体不是有效的JSON"
    response = client.post(
        "/api/v1/residents", '{"household": "abc", "tags": "veteran"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "household": "户：须为整数",
        "name": "名称：必填",
        "tags": "人群标签：须为列表",
    }
    assert Resident.objects.count() == 2
