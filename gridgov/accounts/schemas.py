"""Shapes of the account API: who am I, and my personal API tokens."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.accounts.models import ApiToken, RoleAssignment


class AssignmentOut(Schema):
    role: str = Field(description="角色代码")
    role_name: str
    place_id: int
    place_name: str
    place_kind: str
    place_path: str

    @staticmethod
    def resolve_role(obj: RoleAssignment) -> str:
        return obj.role.code

    @staticmethod
    def resolve_role_name(obj: RoleAssignment) -> str:
        return obj.role.name

    @staticmethod
    def resolve_place_name(obj: RoleAssignment) -> str:
        return obj.place.name

    @staticmethod
    def resolve_place_kind(obj: RoleAssignment) -> str:
        return obj.place.kind

    @staticmethod
    def resolve_place_path(obj: RoleAssignment) -> str:
        return obj.place.path


class CapabilityOut(Schema):
    code: str
    label: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    phone_masked: str
    is_superuser: bool
    resident_id: int | None
    roles: list[AssignmentOut]
    capabilities: list[CapabilityOut]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="令牌前8位，便于辨认")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_active: bool

    @staticmethod
    def resolve_is_active(obj: ApiToken) -> bool:
        return obj.revoked_at is None


class TokenCreatedOut(TokenOut):
    key: str = Field(description="完整令牌，只显示这一次；请求时放在 Authorization: Bearer <key>")


class TokenIn(Schema):
    name: str = Field(max_length=60, description="令牌用途，如“12345热线对接”")
