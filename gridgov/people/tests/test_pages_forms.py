"""Registry forms on the pages: every bad input names the field in Chinese and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.core.validation import id_check_char
from gridgov.people.models import Membership, Relation, ResidenceStatus, Resident, ResidentTag


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


# Born 1990-03-15; the 17th digit is odd, so the number belongs to a man.
NEW_ID = make_id("43010219900315003")


def _snapshot() -> tuple[int, int, int, int]:
    return (
        Resident.objects.count(),
        Membership.objects.count(),
        AuditEntry.objects.count(),
        ResidentTag.objects.count(),
    )


def _register(client, world, **overrides):
    data = {
        "name": "王小明",
        "id_number": NEW_ID,
        "phone": "13700001111",
        "gender": "",
        "birth_date": "",
        "ethnicity": "汉族",
        "political_status": "masses",
        "employment": "",
        "notes": "",
        "relation": Relation.SPOUSE,
        "moved_in": "",
        "residence_status": ResidenceStatus.REGISTERED,
        **overrides,
    }
    return client.post(reverse("people:household_register", args=[world.household1.pk]), data)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id_number": NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")}, "身份证号：身份证号校验位错误"),
        ({"id_number": "4301021990031500"}, "身份证号：身份证号应为18位，当前为16位"),
        ({"id_number": "", "birth_date": "2023-02-30"}, "出生日期：出生日期不是有效日期"),
        ({"id_number": "", "birth_date": "2099-01-01"}, "出生日期：出生日期不合理"),
        ({"birth_date": "1991-03-15"}, "出生日期：出生日期与身份证号不一致（身份证号为1990-03-15）"),
        ({"gender": "F"}, "性别：性别与身份证号不一致"),
        ({"phone": "1370000111"}, "联系电话：手机号应为11位，当前为10位"),
        ({"phone": "137000011112"}, "联系电话：手机号应为11位，当前为12位"),
        ({"id_number": "430102195001010018"}, "身份证号：该身份证号已登记：张建国（1栋），请先查找该居民"),
        ({"name": ""}, "姓名：请填写姓名"),
        ({"relation": "boss"}, "与户主关系：与户主关系无效，请从列表中选择"),
        ({"moved_in": "2099-01-01"}, "迁入日期：迁入日期不能晚于今天"),
    ],
)
def test_register_member_bad_input_names_the_field_and_writes_nothing(client, world, overrides, message):
    client.force_login(world.alice)
    before = _snapshot()
    response = _register(client, world, **overrides)
    assert response.status_code == 200
    assert message in response.text
    assert _snapshot() == before


def test_register_member_derives_birth_date_and_gender_and_shows_masked_id(client, world):
    client.force_login(world.alice)
    response = _register(client, world, tags=["veteran"])
    resident = Resident.objects.get(name="王小明")
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[resident.pk])
    assert resident.birth_date == dt.date(1990, 3, 15) and resident.gender == "M"
    assert resident.memberships.get().household == world.household1
    page = client.get(response.url).text
    assert "已登记王小明为" in page
    assert "*" * 14 + NEW_ID[-4:] in page and NEW_ID not in page
    assert "退役军人" in page


def test_register_member_as_dave_is_forbidden_and_writes_nothing(client, world):
    client.force_login(world.dave)
    before = _snapshot()
    assert _register(client, world).status_code == 403
    assert _snapshot() == before


def _edit(client, resident, **overrides):
    data = {
        "name": resident.name,
        "id_number": "",
        "phone": "",
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat() if resident.birth_date else "",
        "ethnicity": resident.ethnicity,
        "political_status": resident.political_status,
        "employment": resident.employment,
        "notes": resident.notes,
        "residence_status": resident.residence_status,
        **overrides,
    }
    return client.post(reverse("people:edit", args=[resident.pk]), data)


def test_edit_form_never_puts_the_stored_numbers_in_the_page(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("people:edit", args=[world.zhang.pk])).text
    assert "430102195001010018" not in page and "13812345678" not in page
    assert "当前 **************0018，留空则不修改" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12345"}, "联系电话：手机号应为11位，当前为5位"),
        ({"id_number": "430102198002020027"}, "身份证号：该身份证号无法登记，请联系社区或街道管理员核实"),
        ({"birth_date": "1950-13-01"}, "出生日期：出生日期不是有效日期"),
        ({"birth_date": "1951-01-01"}, "出生日期：出生日期与身份证号不一致"),
        ({"name": " "}, "姓名：请填写姓名"),
    ],
)
def test_edit_bad_input_names_the_field_and_writes_nothing(client, world, overrides, message):
    client.force_login(world.alice)
    before = _snapshot()
    response = _edit(client, world.zhang, **overrides)
    assert response.status_code == 200
    assert message in response.text
    assert _snapshot() == before
    world.zhang.refresh_from_db()
    assert world.zhang.name == "张建国" and world.zhang.phone_last4 == "5678"


def test_edit_saves_only_what_changed_and_audits_it(client, world):
    client.force_login(world.alice)
    response = _edit(client, world.zhang, employment="退休", phone="13911112222")
    assert response.status_code == 302
    world.zhang.refresh_from_db()
    assert world.zhang.employment == "退休" and world.zhang.phone_last4 == "2222"
    assert world.zhang.id_number_last4 == "0018"
    entry = AuditEntry.objects.filter(target_id=str(world.zhang.pk)).order_by("-id").first()
    assert "employment" in entry.changes


def test_edit_with_a_corrected_id_number_takes_birth_date_from_it(client, world):
    fresh = make_id("43010219600707001")
    client.force_login(world.alice)
    assert _edit(client, world.zhang, id_number=fresh).status_code == 302
    world.zhang.refresh_from_db()
    assert world.zhang.birth_date == dt.date(1960, 7, 7)


def test_move_out_without_reason_shows_message_and_keeps_the_member(client, world):
    membership = world.zhang.memberships.get()
    client.force_login(world.alice)
    before = _snapshot()
    url = reverse("people:household_move_out", args=[world.household1.pk, membership.pk])
    response = client.post(url, {"moved_out": "2024-05-01", "reason": ""}, follow=True)
    assert "迁出原因：请填写迁出原因" in response.text
    response = client.post(url, {"moved_out": "2001-01-01", "reason": "搬家"}, follow=True)
    assert "迁出日期：迁出日期不能早于迁入日期" in response.text
    response = client.post(url, {"moved_out": "2024-02-30", "reason": "搬家"}, follow=True)
    assert "迁出日期：迁出日期不是有效日期" in response.text
    membership.refresh_from_db()
    assert membership.moved_out is None
    assert _snapshot() == before


def test_move_out_then_the_member_is_history(client, world):
    membership = world.zhang.memberships.get()
    client.force_login(world.alice)
    url = reverse("people:household_move_out", args=[world.household1.pk, membership.pk])
    response = client.post(url, {"moved_out": "2024-05-01", "reason": "搬离本社区"}, follow=True)
    assert "张建国已迁出" in response.text
    membership.refresh_from_db()
    assert membership.moved_out == dt.date(2024, 5, 1) and membership.move_out_reason == "搬离本社区"


def test_move_in_searches_inside_scope_and_moves_the_resident_in(client, world):
    from gridgov.places.services import household_create

    second = household_create(by=SYSTEM, place=world.building1, room="102")
    client.force_login(world.alice)
    url = reverse("people:household_move_in", args=[second.pk])
    page = client.get(url, {"q": "张"}).text
    assert "张建国" in page
    outside = client.get(url, {"q": "李秀英"}).text
    assert "没有找到可迁入的居民" in outside
    assert reverse("people:detail", args=[world.li.pk]) not in outside
    response = client.post(url, {"resident": world.zhang.pk, "relation": "tenant", "moved_in": "2024-06-01"})
    assert response.status_code == 302
    assert world.zhang.memberships.filter(household=second, moved_out__isnull=True).exists()
    # Moving them in twice is refused with a message, nothing more is written.
    before = _snapshot()
    page = client.post(url, {"resident": world.zhang.pk, "relation": "tenant", "moved_in": ""}).text
    assert "张建国已是该户成员" in page
    assert _snapshot() == before


def test_move_in_someone_outside_the_scope_is_404(client, world):
    client.force_login(world.alice)
    url = reverse("people:household_move_in", args=[world.household1.pk])
    response = client.post(url, {"resident": world.li.pk, "relation": "tenant"})
    assert response.status_code == 404
    assert not world.li.memberships.filter(household=world.household1).exists()


def test_move_in_with_a_bad_relation_names_the_field(client, world):
    from gridgov.places.services import household_create

    second = household_create(by=SYSTEM, place=world.building1, room="103")
    client.force_login(world.alice)
    before = _snapshot()
    page = client.post(
        reverse("people:household_move_in", args=[second.pk]), {"resident": world.zhang.pk, "relation": "x"}
    ).text
    assert "与户主关系：与户主关系无效，请从列表中选择" in page
    assert _snapshot() == before


def _household_edit(client, world, **overrides):
    data = {"room": "101", "residence_kind": "owner", "landlord_ref": "", "area_sqm": "", "notes": "", **overrides}
    return client.post(reverse("people:household_edit", args=[world.household1.pk]), data)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"room": ""}, "房号：请填写房号"),
        ({"residence_kind": "castle"}, "居住类型：居住类型无效，请从列表中选择"),
        ({"area_sqm": "-3"}, "面积(㎡)：面积不能为负数"),
        ({"area_sqm": "abc"}, "面积(㎡)：面积须为数字"),
        ({"landlord_ref": "abc"}, "房东：请填写房东的18位身份证号或12位服务卡号"),
        ({"landlord_ref": "430102198002020027"}, "房东：未找到该房东"),
    ],
)
def test_household_edit_bad_input_names_the_field_and_writes_nothing(client, world, overrides, message):
    client.force_login(world.alice)
    before = _snapshot()
    response = _household_edit(client, world, **overrides)
    assert response.status_code == 200
    assert message in response.text
    assert _snapshot() == before
    world.household1.refresh_from_db()
    assert world.household1.room == "101" and world.household1.landlord is None


def test_household_edit_duplicate_room_is_refused(client, world):
    from gridgov.places.services import household_create

    household_create(by=SYSTEM, place=world.building1, room="105")
    client.force_login(world.alice)
    response = _household_edit(client, world, room="105")
    assert "房号：1栋已有房号105的户" in response.text


def test_household_edit_sets_landlord_by_card_number_and_rents_out(client, world):
    client.force_login(world.alice)
    response = _household_edit(client, world, residence_kind="rented", landlord_ref=world.zhang.card_no, area_sqm="88.5")
    assert response.status_code == 302
    world.household1.refresh_from_db()
    assert world.household1.residence_kind == "rented"
    assert world.household1.landlord == world.zhang
    page = client.get(reverse("people:household", args=[world.household1.pk])).text
    assert "出租" in page and "88.50㎡" in page


def test_tags_are_saved_and_a_bad_tag_is_named(client, world):
    client.force_login(world.alice)
    url = reverse("people:tags", args=[world.zhang.pk])
    response = client.post(url, {"tags": ["veteran", "disabled"]}, follow=True)
    assert "人群标签已保存" in response.text
    assert set(world.zhang.resident_tags.values_list("tag__code", flat=True)) == {"veteran", "disabled"}
    before = _snapshot()
    response = client.post(url, {"tags": ["no-such-tag"]}, follow=True)
    assert "人群标签：人群标签无效" in response.text
    assert _snapshot() == before
