"""Shapes of the registry API. ID numbers and phones leave the server masked, always;
the plaintext only comes back from the audited reveal endpoint."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.people.models import (
    FloatingReason,
    FloatingRegistration,
    Gender,
    Membership,
    PoliticalStatus,
    Relation,
    ResidenceStatus,
    Resident,
)


def _internal(obj: Resident, context: dict | None) -> bool:
    """Staff see tags, notes and registrations; a resident reading their own card does not."""
    from gridgov.people.selectors import sees_internal

    request = (context or {}).get("request")
    return request is not None and sees_internal(request.user, obj)


class TagOut(Schema):
    id: int
    code: str
    name: str
    description: str
    color: str


class TagBrief(Schema):
    code: str
    name: str
    color: str


class PlaceRef(Schema):
    id: int
    name: str


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    gender_label: str
    birth_date: dt.date | None
    age: int | None
    ethnicity: str
    id_number_masked: str = Field(description="脱敏身份证号；完整号码须经 reveal 接口查看并留痕")
    phone_masked: str = Field(description="脱敏手机号")
    residence_status: ResidenceStatus
    residence_status_label: str
    political_status: PoliticalStatus
    political_status_label: str
    employment: str
    place: PlaceRef | None
    card_no: str = Field(description="服务卡号")
    is_deceased: bool
    tags: list[TagBrief]

    @staticmethod
    def resolve_gender_label(obj: Resident) -> str:
        return obj.get_gender_display()

    @staticmethod
    def resolve_age(obj: Resident) -> int | None:
        return obj.age()

    @staticmethod
    def resolve_residence_status_label(obj: Resident) -> str:
        return obj.get_residence_status_display()

    @staticmethod
    def resolve_political_status_label(obj: Resident) -> str:
        return obj.get_political_status_display()

    @staticmethod
    def resolve_tags(obj: Resident, context: dict) -> list:
        if not _internal(obj, context):
            return []
        return [resident_tag.tag for resident_tag in obj.resident_tags.all()]


class StayOut(Schema):
    """One household membership of the resident, current or past."""

    membership_id: int
    household_id: int
    address: str
    relation: Relation
    relation_label: str
    moved_in: dt.date | None
    moved_out: dt.date | None
    move_out_reason: str

    @staticmethod
    def resolve_membership_id(obj: Membership) -> int:
        return obj.pk

    @staticmethod
    def resolve_address(obj: Membership) -> str:
        return obj.household.address or obj.household.room

    @staticmethod
    def resolve_relation_label(obj: Membership) -> str:
        return obj.get_relation_display()


class FloatingOut(Schema):
    id: int
    resident_id: int
    resident_name: str
    id_number_masked: str
    phone_masked: str
    place: PlaceRef
    household_id: int | None
    address: str
    origin: str
    reason: FloatingReason
    reason_label: str
    landlord_id: int | None
    landlord_name: str
    employer: str
    registered_on: dt.date
    expected_until: dt.date | None
    has_health_file: bool
    is_active: bool
    deregistered_on: dt.date | None
    deregistration_reason: str

    @staticmethod
    def resolve_resident_name(obj: FloatingRegistration) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_id_number_masked(obj: FloatingRegistration) -> str:
        return obj.resident.id_number_masked

    @staticmethod
    def resolve_phone_masked(obj: FloatingRegistration) -> str:
        return obj.resident.phone_masked

    @staticmethod
    def resolve_address(obj: FloatingRegistration) -> str:
        return obj.household.address if obj.household is not None else obj.place.name

    @staticmethod
    def resolve_reason_label(obj: FloatingRegistration) -> str:
        return obj.get_reason_display()

    @staticmethod
    def resolve_landlord_name(obj: FloatingRegistration) -> str:
        return obj.landlord.name if obj.landlord is not None else obj.landlord_name


class ResidentDetailOut(ResidentOut):
    notes: str
    stays: list[StayOut] = Field(description="在各户的居住记录，现住在前")
    floating: list[FloatingOut] = Field(description="流动人口登记记录")
    can_reveal: bool = Field(description="当前用户能否查看完整身份证号和手机号（须说明用途并留痕）")

    @staticmethod
    def resolve_notes(obj: Resident, context: dict) -> str:
        return obj.notes if _internal(obj, context) else ""

    @staticmethod
    def resolve_stays(obj: Resident) -> list:
        return list(obj.memberships.all())

    @staticmethod
    def resolve_floating(obj: Resident, context: dict) -> list:
        return list(obj.floating_registrations.all()) if _internal(obj, context) else []


class ResidentFilter(Schema):
    q: str = Field("", max_length=100, description="姓名、拼音或首字母、手机号、身份证号、后四位或地址")
    place: int | None = Field(None, description="只列出该地点子树内的居民")
    tag: str | None = Field(None, max_length=40, description="人群标签代码")
    status: ResidenceStatus | None = Field(None, description="户籍状态")


class ResidentCreateIn(Schema):
    household: int = Field(description="所在户")
    relation: Relation = Relation.HEAD
    moved_in: dt.date | None = None
    name: str = Field(max_length=50)
    id_number: str = Field("", max_length=30)
    phone: str = Field("", max_length=30)
    gender: Gender | None = None
    birth_date: dt.date | None = None
    ethnicity: str = Field("汉族", max_length=20)
    residence_status: ResidenceStatus = ResidenceStatus.REGISTERED
    political_status: PoliticalStatus = PoliticalStatus.MASSES
    employment: str = Field("", max_length=100)
    notes: str = ""
    tags: list[str] = Field(default_factory=list, description="人群标签代码")


class ResidentPatchIn(Schema):
    """Only the fields sent are changed; an empty id_number or phone clears it."""

    name: str = Field("", max_length=50)
    id_number: str = Field("", max_length=30)
    phone: str = Field("", max_length=30)
    gender: Gender | None = None
    birth_date: dt.date | None = None
    ethnicity: str = Field("", max_length=20)
    residence_status: ResidenceStatus = ResidenceStatus.REGISTERED
    political_status: PoliticalStatus = PoliticalStatus.MASSES
    employment: str = Field("", max_length=100)
    notes: str = ""
    is_deceased: bool = False


class TagsIn(Schema):
    tags: list[str] = Field(description="人群标签代码；未列出的标签将被移除")


class MoveInIn(Schema):
    household: int
    relation: Relation = Relation.HEAD
    moved_in: dt.date | None = None


class MoveOutIn(Schema):
    moved_out: dt.date | None = None
    reason: str = Field("", max_length=100)


class RevealIn(Schema):
    purpose: str = Field(max_length=200, description="查看用途，记入审计日志")


class RevealOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str


class FloatingFilter(Schema):
    active: bool = Field(True, description="true 列出在册登记，false 列出已注销的登记")
    expiring: bool = Field(False, description="只列出预计居住期即将届满或已届满的在册登记")


class FloatingCreateIn(Schema):
    resident: int
    origin: str = Field(max_length=100)
    reason: FloatingReason = FloatingReason.WORK
    household: int | None = Field(None, description="居住户；不填则为居民当前所在楼栋")
    landlord: int | None = None
    landlord_name: str = Field("", max_length=50)
    employer: str = Field("", max_length=100)
    registered_on: dt.date | None = None
    expected_until: dt.date | None = None
    has_health_file: bool = False


class DeregisterIn(Schema):
    deregistered_on: dt.date | None = None
    reason: str = Field(max_length=100)
    move_out: bool = Field(True, description="同时将其从居住户迁出")
