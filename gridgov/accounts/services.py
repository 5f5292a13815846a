from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import ApiToken, Role, RoleAssignment, User
from gridgov.accounts.scope import (
    as_user,
    forget,
    has_capability,
    is_unrestricted,
    remember_assignments,
    require,
    require_actor,
)
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import clock, crypto
from gridgov.core.compiled import CompiledQuery
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.validation import normalize_phone

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident
    from gridgov.places.models import Place


def user_phone_hash(phone: str) -> str:
    return crypto.blind_index(phone, kind="user-phone")


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def find_user_for_login(login: str) -> User | None:
    login = login.strip()
    user = User.objects.filter(username=login).first()
    if user is None:
        try:
            phone = normalize_phone(login)
        except ValidationError:
            return None
        user = User.objects.filter(phone_hash=user_phone_hash(phone)).first()
    return user


@transaction.atomic
def user_create(
    *,
    by: Actor,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    resident: Resident | None = None,
    organisation=None,
    place: Place | None = None,
    validate: bool = True,
) -> User:
    """A new account. `by` must manage accounts (ROLES_MANAGE) at `place`, where the account will
    work; an account tied to no place is for system administrators (and the system) to create."""
    _require_user_manager(by, place)
    username = (username or "").strip()
    if not username:
        raise field_error("username", "请填写用户名")
    if User.objects.filter(username=username).exists():
        raise field_error("username", "用户名已存在")
    user = User(username=username, display_name=display_name, resident=resident, organisation=organisation)
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            raise field_error("phone", exc.messages[0]) from None
        if User.objects.filter(phone_hash=user_phone_hash(phone)).exists():
            raise field_error("phone", "该手机号已绑定其他账号")
        user.phone_enc = crypto.encrypt(phone)
        user.phone_hash = user_phone_hash(phone)
        user.phone_last4 = phone[-4:]
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    audit_record(actor=by, action=AuditAction.CREATE, target=user, changes={"username": [None, username]})
    return user


def _require_user_manager(by: Actor, place: Place | None) -> None:
    require_actor(by)
    if is_unrestricted(by):
        return
    if place is None:
        raise Forbidden("只有系统管理员可以创建不属于任何地点的账号")
    require(by, caps.ROLES_MANAGE, place)  # a place out of scope: 404, like a missing one


def _check_role_change(by: Actor, user: User, role: Role, place: Place, verb: str) -> None:
    """A manager hands out (or takes back) only what they hold themselves, where they hold it,
    and never to themselves; system administrators may do anything."""
    require(by, caps.ROLES_MANAGE, place)
    if is_unrestricted(by):
        return
    if user.pk == by.pk:
        raise Forbidden(f"不能给自己{verb}角色，请由上级管理员办理")
    if caps.ROLES_MANAGE in (role.capabilities or []):
        # Only a system administrator hands out the right to hand out rights.
        raise Forbidden("只有系统管理员可以授予管理账号与角色的权限")
    missing = [code for code in role.capabilities or [] if not has_capability(by, code, place)]
    if missing:
        labels = "、".join(caps.LABELS.get(code, code) for code in missing)
        raise Forbidden(f"您在{place.name}没有“{labels}”权限，不能{verb}“{role.name}”角色")


@transaction.atomic
def role_grant(*, by: Actor, user: User, role: Role, place: Place) -> RoleAssignment:
    """Give `user` `role` at `place`; `by` must be allowed to (see `_check_role_change`)."""
    _check_role_change(by, user, role, place, "授予")
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, place=place, defaults={"granted_by": as_user(by)}
    )
    if created:
        audit_record(
            actor=by,
            action=AuditAction.ROLE_GRANT,
            target=user,
            place_path=place.path,
            changes={"role": [None, f"{role.name}@{place.name}"]},
        )
    forget(user)
    return assignment


@transaction.atomic
def role_revoke(*, by: Actor, assignment: RoleAssignment) -> None:
    """Take a role back; the same rule as granting it."""
    _check_role_change(by, assignment.user, assignment.role, assignment.place, "撤销")
    audit_record(
        actor=by,
        action=AuditAction.ROLE_REVOKE,
        target=assignment.user,
        place_path=assignment.place.path,
        changes={"role": [f"{assignment.role.name}@{assignment.place.name}", None]},
    )
    user = assignment.user
    assignment.delete()
    forget(user)


@transaction.atomic
def role_set_capabilities(*, by: Actor, role: Role, capabilities: Iterable[str]) -> Role:
    require_actor(by)
    if not is_unrestricted(by):
        raise Forbidden("只有系统管理员可以修改角色权限")
    wanted = sorted(set(capabilities))
    unknown = set(wanted) - set(caps.ALL)
    if unknown:
        raise field_error("capabilities", f"未知权限：{', '.join(sorted(unknown))}")
    before = sorted(role.capabilities or [])
    if before != wanted:
        role.capabilities = wanted
        role.save(update_fields=["capabilities"])
        audit_record(
            actor=by, action=AuditAction.ROLE_EDIT, target=role, changes={"capabilities": [before, wanted]}
        )
    return role


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain key is returned once and never stored."""
    if not (name or "").strip():
        raise field_error("name", "请填写令牌名称")
    key = "ggt_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip(), key_hash=_token_hash(key), prefix=key[:8])
    audit_record(actor=user, action=AuditAction.CREATE, target=token, target_label=f"API令牌：{token.name}")
    return token, key


# The user's columns as `User.from_db` takes them, read through the token.
_USER_COLUMNS = tuple(field.attname for field in User._meta.concrete_fields)
_ASSIGNMENT_COLUMNS = ("role__capabilities", "place__path", "place__kind")


def _token_lookup(key_hash: str) -> QuerySet[ApiToken, tuple[Any, ...]]:
    return (
        ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
        .order_by()
        .values_list(
            "pk",
            "last_used_at",
            *(f"user__{column}" for column in _USER_COLUMNS),
            *(f"user__assignments__{column}" for column in _ASSIGNMENT_COLUMNS),
        )
    )


# Every API request runs it: compiled once per connection, one round trip for the token, its
# owner and the owner's roles (one row per role; the role columns are NULL for a user with none).
_TOKEN_LOOKUP = CompiledQuery(_token_lookup, kinds=(str,))


def _user_with_roles(rows: list[tuple[Any, ...]], start: int) -> User:
    """The user whose columns begin at `start` of each row, the role columns after them."""
    end = start + len(_USER_COLUMNS)
    user = User.from_db(DEFAULT_DB_ALIAS, _USER_COLUMNS, rows[0][start:end])
    remember_assignments(user, [row[end:] for row in rows if row[end + 1] is not None])
    return user


def _session_user_lookup(user_id: int) -> QuerySet[User, tuple[Any, ...]]:
    return (
        User.objects.filter(pk=user_id)
        .order_by()
        .values_list(*_USER_COLUMNS, *(f"assignments__{column}" for column in _ASSIGNMENT_COLUMNS))
    )


# Every page a logged-in person opens runs it (through the login backend's `get_user`).
_SESSION_USER_LOOKUP = CompiledQuery(_session_user_lookup, kinds=(int,))


def session_user(user_id: int) -> User | None:
    """The user a session names, with their roles already read (one query); None if there is none."""
    rows = _SESSION_USER_LOOKUP.rows(user_id)
    return _user_with_roles(rows, 0) if rows else None


def api_token_user(key: str) -> User | None:
    """The active owner of an unrevoked token `key`, with their roles already read; None otherwise."""
    rows = _TOKEN_LOOKUP.rows(_token_hash(key))
    if not rows:
        return None
    token_id, last_used_at = rows[0][0], rows[0][1]
    user = _user_with_roles(rows, 2)
    now = clock.now()
    if last_used_at is None or now - last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user


@transaction.atomic
def account_create(
    *,
    by: Actor,
    username: str,
    password: str,
    role: Role,
    place: Place,
    display_name: str = "",
    phone: str = "",
) -> User:
    """A new account together with its first role: an account with no role in the creator's scope
    would be invisible to them at once, so both are written or neither."""
    user = user_create(
        by=by, username=username, password=password, display_name=display_name, phone=phone, place=place
    )
    role_grant(by=by, user=user, role=role, place=place)
    return user


@transaction.atomic
def api_token_revoke(*, by: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once; its next request gets 401. Revoking twice changes nothing."""
    if token.user_id != by.pk and not is_unrestricted(by):
        raise Forbidden("只能撤销自己的API令牌")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action=AuditAction.DELETE,
            target=token,
            target_label=f"API令牌：{token.name}",
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token
