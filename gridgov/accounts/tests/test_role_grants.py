"""Who may hand out which role: only what the manager holds themselves, where they hold it, never
to themselves; accounts are created where the creator manages accounts. System administrators
may do anything. A place outside the manager's scope is 404, like a missing one."""

from __future__ import annotations

import pytest

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import Role, RoleAssignment
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.selectors import grantable_roles
from gridgov.accounts.services import account_create, role_grant, role_revoke, user_create
from gridgov.core.errors import Forbidden, NotFound


@pytest.fixture
def roles(db):
    return {role.code: role for role in Role.objects.all()}


@pytest.fixture
def ada(world, roles):
    """A community-level account manager: 社区书记's rights plus account management."""
    manager = Role.objects.create(
        code="community_admin",
        name="社区账号管理员",
        capabilities=[*roles["community_secretary"].capabilities, caps.ROLES_MANAGE],
    )
    user = user_create(by=SYSTEM, username="ada", password=world.password, validate=False)
    role_grant(by=SYSTEM, user=user, role=manager, place=world.community)
    return user


@pytest.fixture
def newbie(world):
    return user_create(by=SYSTEM, username="newbie", password=world.password, validate=False)


def test_a_manager_grants_a_role_they_hold_inside_their_scope(world, roles, ada, newbie):
    assignment = role_grant(by=ada, user=newbie, role=roles["grid_worker"], place=world.grid1)
    assert assignment.granted_by == ada
    assert roles["grid_worker"] in grantable_roles(ada)


def test_a_role_with_a_capability_the_manager_lacks_is_refused(world, roles, ada, newbie):
    # 街道管理员 configures case categories; a community manager does not hold that.
    with pytest.raises(Forbidden) as refused:
        role_grant(by=ada, user=newbie, role=roles["street_admin"], place=world.grid1)
    assert "配置事件分类" in str(refused.value) or "管理账号与角色" in str(refused.value)
    sysadmin_like = Role.objects.create(code="pii_reader", name="调阅员", capabilities=[caps.CASES_CONFIGURE])
    with pytest.raises(Forbidden) as refused:
        role_grant(by=ada, user=newbie, role=sysadmin_like, place=world.grid1)
    assert str(refused.value) == "您在第一网格没有“配置事件分类、时限、分派规则和接入密钥”权限，不能授予“调阅员”角色"
    assert sysadmin_like not in grantable_roles(ada)
    assert not RoleAssignment.objects.filter(user=newbie).exists()


def test_a_place_outside_the_managers_scope_is_not_found(world, roles, ada, newbie):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    elsewhere = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="望月湖街道")
    with pytest.raises(NotFound):
        role_grant(by=ada, user=newbie, role=roles["grid_worker"], place=elsewhere)
    with pytest.raises(NotFound):  # above the manager's place is outside it too
        role_grant(by=ada, user=newbie, role=roles["grid_worker"], place=world.street)


def test_nobody_grants_a_role_to_themselves(world, roles, ada):
    with pytest.raises(Forbidden) as refused:
        role_grant(by=ada, user=ada, role=roles["grid_worker"], place=world.grid1)
    assert "不能给自己授予角色" in str(refused.value)
    assignment = RoleAssignment.objects.get(user=ada)
    with pytest.raises(Forbidden):
        role_revoke(by=ada, assignment=assignment)


def test_only_a_system_administrator_hands_out_role_management(world, roles, ada, newbie):
    with pytest.raises(Forbidden) as refused:
        role_grant(by=ada, user=newbie, role=Role.objects.get(code="community_admin"), place=world.grid1)
    assert str(refused.value) == "只有系统管理员可以授予管理账号与角色的权限"
    role_grant(by=world.admin, user=newbie, role=roles["street_admin"], place=world.street)
    role_grant(by=world.admin, user=world.admin, role=roles["grid_worker"], place=world.grid1)


def test_revoking_follows_the_granting_rule(world, roles, ada, newbie):
    held_above = role_grant(by=SYSTEM, user=newbie, role=roles["street_admin"], place=world.community)
    with pytest.raises(Forbidden):
        role_revoke(by=ada, assignment=held_above)
    mine = role_grant(by=ada, user=newbie, role=roles["grid_worker"], place=world.grid1)
    role_revoke(by=ada, assignment=mine)
    assert not RoleAssignment.objects.filter(pk=mine.pk).exists()


def test_creating_an_account_needs_account_management_at_the_place(world, roles, ada):
    with pytest.raises(NotFound):  # a grid worker does not manage accounts: grid 1 is not "theirs" for it
        user_create(by=world.alice, username="x1", password=world.password, place=world.grid1, validate=False)
    with pytest.raises(Forbidden):  # an account tied to no place is for system administrators
        user_create(by=ada, username="x2", password=world.password, validate=False)
    with pytest.raises(NotFound):
        account_create(
            by=ada, username="x3", password="Very-long-pass-1", role=roles["grid_worker"], place=world.street
        )
    made = account_create(
        by=ada, username="x4", password="Very-long-pass-1", role=roles["grid_worker"], place=world.grid2
    )
    assert RoleAssignment.objects.filter(user=made, place=world.grid2).exists()
    assert user_create(by=world.admin, username="x5", password=world.password, validate=False).pk
