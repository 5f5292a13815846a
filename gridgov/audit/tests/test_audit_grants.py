"""Granting and revoking a role from the account page writes an audit row its viewers can find."""

from __future__ import annotations

from django.urls import reverse

from gridgov.accounts.models import Role, RoleAssignment
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.selectors import audit_entries_for


def test_granting_through_the_page_is_audited_in_the_place_scope(client, world):
    sam = user_create(by=SYSTEM, username="sam", password=world.password, validate=False)
    role_grant(by=SYSTEM, user=sam, role=Role.objects.get(code="street_admin"), place=world.street)
    client.force_login(sam)
    role = Role.objects.get(code="building_head")
    response = client.post(
        reverse("accounts:role_grant", args=[world.alice.pk]), {"role": role.pk, "place": world.building1.pk}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=world.alice, role=role, place=world.building1).exists()
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_GRANT, target_id=str(world.alice.pk), actor=sam)
    assert entry.place_path == world.building1.path
    assert entry.changes == {"role": [None, "楼栋长@1栋"]}
    # The community secretary audits the community: she sees who was given what there.
    assert entry in audit_entries_for(world.carol)
