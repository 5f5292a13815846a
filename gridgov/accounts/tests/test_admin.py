"""Roles and users in the admin: capabilities as checkboxes saved through the audited service."""

from __future__ import annotations

from django.urls import reverse

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import Role, User
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import user_create
from gridgov.audit.models import AuditAction, AuditEntry


def _role_form(role: Role, capabilities: list[str]) -> dict:
    return {
        "code": role.code,
        "name": role.name,
        "description": role.description,
        "sort_order": role.sort_order,
        "capability_choices": capabilities,
    }


def test_role_capabilities_are_checkboxes_and_saving_is_audited(client, world):
    client.force_login(world.admin)
    role = Role.objects.get(code="building_head")
    page = client.get(reverse("admin:accounts_role_change", args=[role.pk])).content.decode()
    assert 'type="checkbox" name="capability_choices" value="registry.view"' in page
    assert "查看完整身份证号和手机号" in page
    wanted = sorted({*role.capabilities, caps.REGISTRY_PII})
    response = client.post(reverse("admin:accounts_role_change", args=[role.pk]), _role_form(role, wanted))
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.capabilities == wanted
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_EDIT, target_id=str(role.pk))
    assert entry.actor == world.admin and caps.REGISTRY_PII in entry.changes["capabilities"][1]


def test_unknown_capability_is_rejected_in_chinese(client, world):
    client.force_login(world.admin)
    role = Role.objects.get(code="building_head")
    before = list(role.capabilities)
    response = client.post(
        reverse("admin:accounts_role_change", args=[role.pk]), _role_form(role, ["launch.rockets"])
    )
    assert response.status_code == 200 and "未知权限：launch.rockets" in response.content.decode()
    role.refresh_from_db()
    assert (
        role.capabilities == before and not AuditEntry.objects.filter(action=AuditAction.ROLE_EDIT).exists()
    )


def test_a_new_role_gets_its_capabilities_through_the_service(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:accounts_role_add"),
        {
            "code": "mediator",
            "name": "调解员",
            "description": "",
            "sort_order": 50,
            "capability_choices": [caps.REGISTRY_VIEW],
        },
    )
    assert response.status_code == 302
    role = Role.objects.get(code="mediator")
    assert role.capabilities == [caps.REGISTRY_VIEW]
    assert AuditEntry.objects.filter(action=AuditAction.ROLE_EDIT, target_id=str(role.pk)).exists()


def test_user_admin_never_shows_phone_ciphertext_and_audits_flag_changes(client, world):
    gina = user_create(by=SYSTEM, username="gina", password=world.password, phone="13911112222", validate=False)
    client.force_login(world.admin)
    body = client.get(reverse("admin:accounts_user_change", args=[gina.pk])).content.decode()
    assert "*******2222" in body and "13911112222" not in body
    assert gina.phone_enc[:24] not in body and gina.phone_hash not in body
    response = client.post(
        reverse("admin:accounts_user_change", args=[gina.pk]),
        {
            "username": "gina",
            "display_name": "高",
            "email": "",
            "is_active": "on",
            "is_superuser": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
            "locked_until_0": "",
            "locked_until_1": "",
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=gina.pk).is_superuser
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(gina.pk)).get()
    assert entry.changes["is_superuser"] == [False, True] and entry.actor == world.admin
