"""Shapes of the organisations API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.orgs.models import Organisation, OrgKind, OrgMember, PartyLevel


class PlaceRef(Schema):
    id: int
    name: str


class OrgRef(Schema):
    id: int
    name: str


class OrganisationOut(Schema):
    id: int
    kind: OrgKind
    kind_label: str
    name: str
    place: PlaceRef = Field(description="登记所在地点（决定谁能看到）")
    parent: OrgRef | None
    party_level: str
    party_level_label: str
    leader_id: int | None
    leader_name: str
    contact_name: str
    contact_phone_masked: str = Field(description="脱敏联系电话；完整号码须经 reveal 接口查看并留痕")
    address: str
    description: str
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj: Organisation) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_party_level_label(obj: Organisation) -> str:
        return obj.get_party_level_display() if obj.party_level else ""

    @staticmethod
    def resolve_leader_name(obj: Organisation) -> str:
        return obj.leader.name if obj.leader is not None else ""


class OrgMemberOut(Schema):
    id: int
    resident_id: int | None
    user_id: int | None
    name: str
    role: str
    joined_on: dt.date | None
    left_on: dt.date | None

    @staticmethod
    def resolve_name(obj: OrgMember) -> str:
        return str(obj.resident or obj.user)


class OrganisationDetailOut(OrganisationOut):
    places: list[PlaceRef] = Field(description="服务范围（物业管理的小区、党组织联系的网格等）")
    members: list[OrgMemberOut] = Field(description="现有成员")

    @staticmethod
    def resolve_places(obj: Organisation) -> list:
        return list(obj.places.all())

    @staticmethod
    def resolve_members(obj: Organisation) -> list:
        return obj.api_members


class OrganisationFilter(Schema):
    kind: OrgKind | None = Field(None, description="组织类型")
    q: str = Field("", max_length=100, description="按名称、联系人或地址查找")


class OrganisationCreateIn(Schema):
    kind: OrgKind
    name: str = Field(max_length=100)
    place: int = Field(description="登记所在地点")
    parent: int | None = Field(None, description="上级组织（党组织必须隶属于更高层级的党组织）")
    party_level: PartyLevel | None = None
    places: list[int] = Field(default_factory=list, description="服务范围地点")
    leader: int | None = Field(None, description="负责人（居民编号）")
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    description: str = ""


class OrganisationPatchIn(Schema):
    """Only the fields sent are changed; null clears the leader."""

    name: str = Field("", max_length=100)
    places: list[int] = Field(default_factory=list)
    leader: int | None = None
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    description: str = ""
    is_active: bool = True


class OrgMemberIn(Schema):
    resident: int | None = Field(None, description="居民成员")
    user: int | None = Field(None, description="账号成员（工作人员）")
    role: str = Field("成员", max_length=40)
    joined_on: dt.date | None = None


class ContactRevealIn(Schema):
    purpose: str = Field(max_length=200, description="查看用途，记入审计日志")


class ContactRevealOut(Schema):
    contact_phone: str
