from __future__ import annotations

import pytest

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM, has_capability, paths_with, require
from gridgov.accounts.services import role_grant, role_revoke, role_set_capabilities
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.core.errors import Forbidden, NotFound
from gridgov.places.selectors import places_for


def test_a_grid_worker_holds_capabilities_only_in_their_grid(world):
    assert has_capability(world.alice, caps.REGISTRY_EDIT, world.building1)
    assert not has_capability(world.alice, caps.REGISTRY_EDIT, world.building2)
    assert not has_capability(world.alice, caps.REGISTRY_PII, world.building1)
    assert has_capability(world.frank, caps.REGISTRY_PII, world.building1)
    assert set(places_for(world.alice)) == {world.grid1, world.estate1, world.building1}


def test_nested_assignments_collapse_to_the_outer_subtree(world):
    role = Role.objects.get(code="grid_worker")
    role_grant(by=SYSTEM, user=world.carol, role=role, place=world.grid1)
    assert paths_with(world.carol, caps.REGISTRY_VIEW) == [world.community.path]


def test_require_hides_invisible_places_and_forbids_visible_ones(world):
    with pytest.raises(NotFound):
        require(world.alice, caps.REGISTRY_EDIT, world.building2, visible_with=caps.REGISTRY_VIEW)
    with pytest.raises(Forbidden):
        require(world.dave, caps.REGISTRY_EDIT, world.building1, visible_with=caps.REGISTRY_VIEW)


def test_role_changes_are_audited_and_take_effect(world):
    role = Role.objects.get(code="grid_worker")
    assignment = role_grant(by=world.admin, user=world.bob, role=role, place=world.grid1)
    assert has_capability(world.bob, caps.REGISTRY_VIEW, world.building1)
    role_revoke(by=world.admin, assignment=assignment)
    assert not has_capability(world.bob, caps.REGISTRY_VIEW, world.building1)
    actions = list(AuditEntry.objects.filter(target_id=str(world.bob.pk)).values_list("action", flat=True))
    assert AuditAction.ROLE_GRANT in actions and AuditAction.ROLE_REVOKE in actions


def test_only_admins_edit_role_capabilities(world):
    role = Role.objects.get(code="grid_worker")
    with pytest.raises(Forbidden):
        role_set_capabilities(by=world.carol, role=role, capabilities=[caps.REGISTRY_PII])
    role_set_capabilities(by=world.admin, role=role, capabilities=[*role.capabilities, caps.REGISTRY_PII])
    assert caps.REGISTRY_PII in Role.objects.get(pk=role.pk).capabilities
    assert AuditEntry.objects.filter(action=AuditAction.ROLE_EDIT, target_id=str(role.pk)).exists()


def test_a_manager_cannot_grant_outside_their_scope(world):
    role = Role.objects.get(code="grid_worker")
    with pytest.raises(NotFound):
        role_grant(by=world.alice, user=world.bob, role=role, place=world.grid2)
