from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.core import crypto
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.validation import id_check_char
from gridgov.people.models import FloatingRegistration, Membership, Relation, ResidenceStatus, Resident, Tag
from gridgov.people.selectors import floating_expiring, resident_search
from gridgov.people.services import (
    card_no_from_qr,
    card_qr_payload,
    floating_deregister,
    floating_register,
    resident_create,
    resident_move_in,
    resident_move_out,
    resident_reveal_pii,
    resident_set_tags,
    resident_update,
)
from gridgov.places.services import household_create


def valid_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


def test_create_derives_birth_and_gender_and_stores_only_ciphertext(world):
    resident = resident_create(
        by=world.alice, name="王小明", household=world.household1, relation=Relation.CHILD,
        id_number=valid_id("43010220100315003"), phone="139 0000 1234",
    )
    assert resident.birth_date == dt.date(2010, 3, 15)
    assert resident.gender == "M"
    assert resident.place == world.building1
    assert resident.id_number_masked == "*" * 14 + valid_id("43010220100315003")[-4:]
    assert "4301022010" not in resident.id_number_enc
    assert crypto.decrypt(resident.phone_enc) == "13900001234"
    assert resident.name_initials == "wxm"
    entry = AuditEntry.objects.get(target_type="people.resident", target_id=str(resident.pk), action=AuditAction.CREATE)
    assert entry.changes["id_number"][1].startswith("*" * 14)
    assert "13900001234" not in str(entry.changes)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"id_number": "430102195001010017"}, "id_number", "身份证号校验位错误，请核对后重新填写"),
        ({"id_number": "430102195001010018"}, "id_number", "该身份证号已登记：张建国（1栋），请先查找该居民"),
        ({"phone": "1390000123"}, "phone", "手机号应为11位，当前为10位"),
        ({"birth_date": dt.date(2999, 1, 1)}, "birth_date", "出生日期不合理"),
        ({"name": "  "}, "name", "请填写姓名"),
        (
            {"id_number": valid_id("43010220100315003"), "birth_date": dt.date(2010, 3, 16)},
            "birth_date", "出生日期与身份证号不一致（身份证号为2010-03-15）",
        ),
        ({"id_number": valid_id("43010220100315003"), "gender": "F"}, "gender", "性别与身份证号不一致"),
    ],
)
def test_bad_registration_names_the_field_and_writes_nothing(world, fields, field, message):
    before = (Resident.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    data = {"name": "王小明", **fields}
    with pytest.raises(ValidationError) as caught:
        resident_create(by=world.alice, household=world.household1, **data)
    assert message in caught.value.message_dict[field]
    assert (Resident.objects.count(), Membership.objects.count(), AuditEntry.objects.count()) == before


def test_update_audits_masked_before_and_after(world):
    resident_update(by=world.alice, resident=world.zhang, phone="13700002222", employment="退休")
    entry = AuditEntry.objects.filter(target_id=str(world.zhang.pk), action=AuditAction.UPDATE).first()
    assert entry.changes["phone"] == ["*******5678", "*******2222"]
    assert entry.changes["employment"] == ["", "退休"]


def test_read_only_and_outside_roles_cannot_write(world):
    with pytest.raises(Forbidden):
        resident_update(by=world.dave, resident=world.zhang, notes="x")
    with pytest.raises(NotFound):
        resident_update(by=world.alice, resident=world.li, notes="x")


def test_reveal_needs_capability_and_purpose_and_is_audited(world):
    with pytest.raises(Forbidden):
        resident_reveal_pii(by=world.alice, resident=world.zhang, purpose="核实")
    with pytest.raises(ValidationError):
        resident_reveal_pii(by=world.frank, resident=world.zhang, purpose=" ")
    with pytest.raises(NotFound):
        resident_reveal_pii(by=world.frank, resident=world.li, purpose="核实")
    plain = resident_reveal_pii(by=world.frank, resident=world.zhang, purpose="低保资格核实")
    assert plain == {"id_number": "430102195001010018", "phone": "13812345678"}
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_PII)
    assert (entry.actor, entry.purpose) == (world.frank, "低保资格核实")


def test_move_out_and_in_keeps_history_and_follows_the_resident(world):
    membership = Membership.objects.get(resident=world.zhang)
    other = household_create(by=SYSTEM, place=world.building1, room="102")
    resident_move_in(by=world.alice, resident=world.zhang, household=other, relation=Relation.HEAD)
    resident_move_out(by=world.alice, membership=membership, moved_out=dt.date(2026, 1, 1), reason="换房")
    stays = list(Membership.objects.filter(resident=world.zhang).order_by("id"))
    assert [stay.moved_out for stay in stays] == [dt.date(2026, 1, 1), None]
    with pytest.raises(ValidationError, match="该成员已迁出"):
        resident_move_out(by=world.alice, membership=membership)


def test_moving_to_another_grid_moves_the_resident_out_of_the_old_scope(world):
    membership = Membership.objects.get(resident=world.zhang)
    resident_move_in(by=world.carol, resident=world.zhang, household=world.household2, relation=Relation.TENANT)
    resident_move_out(by=world.carol, membership=membership)
    assert list(resident_search(world.alice, q="张建国")) == []
    assert list(resident_search(world.bob, q="张建国")) == [world.zhang]


def test_tags_set_and_audited(world):
    alone, veteran = Tag.objects.get(code="living-alone-elderly"), Tag.objects.get(code="veteran")
    resident_set_tags(by=world.alice, resident=world.zhang, tags=[alone, veteran])
    resident_set_tags(by=world.alice, resident=world.zhang, tags=[veteran])
    assert list(world.zhang.tags.values_list("code", flat=True)) == ["veteran"]
    assert list(resident_search(world.alice, tag="veteran")) == [world.zhang]


def test_floating_register_and_deregister(world):
    tenant = resident_create(
        by=world.alice, name="赵流动", household=world.household1, relation=Relation.TENANT,
        id_number=valid_id("51010219950505002"), residence_status=ResidenceStatus.FLOATING,
    )
    registration = floating_register(
        by=world.alice, resident=tenant, household=world.household1, origin="四川省成都市", reason="work",
        registered_on=dt.date.today() - dt.timedelta(days=100), expected_until=dt.date.today() + dt.timedelta(days=10),
    )
    assert list(floating_expiring(world.alice)) == [registration]
    assert list(floating_expiring(world.bob)) == []
    with pytest.raises(ValidationError) as caught:
        floating_register(by=world.alice, resident=tenant, household=world.household1, origin="x")
    assert caught.value.message_dict["resident"] == ["赵流动已有未注销的流动人口登记"]
    with pytest.raises(ValidationError) as caught:
        floating_deregister(by=world.alice, registration=registration, reason="")
    assert caught.value.message_dict["reason"] == ["请填写注销原因"]
    floating_deregister(by=world.alice, registration=registration, reason="返乡")
    registration.refresh_from_db()
    assert registration.deregistered_on == dt.date.today()
    assert not Membership.objects.filter(resident=tenant, moved_out__isnull=True).exists()
    assert FloatingRegistration.objects.filter(deregistered_on__isnull=True).count() == 0


def test_floating_dates_are_checked(world):
    with pytest.raises(ValidationError) as caught:
        floating_register(
            by=world.alice, resident=world.zhang, household=world.household1, origin="湖南",
            registered_on=dt.date(2026, 1, 10), expected_until=dt.date(2026, 1, 1),
        )
    assert caught.value.message_dict["expected_until"] == ["预计居住截止日期不能早于登记日期"]


def test_service_card_qr_is_signed(world):
    payload = card_qr_payload(world.zhang)
    assert card_no_from_qr(payload) == world.zhang.card_no
    with pytest.raises(ValidationError, match="服务卡二维码无效或被篡改"):
        card_no_from_qr(payload[:-2] + "xx")
    with pytest.raises(ValidationError, match="不是网格治理服务卡二维码"):
        card_no_from_qr("https://example.com")
