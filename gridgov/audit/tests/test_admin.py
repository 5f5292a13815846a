"""The admin: every registered model's list and detail open; the audit trail cannot be touched."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.services import audit_record


@pytest.fixture
def admin_client_(client, world):
    client.force_login(world.admin)
    return client


def test_every_registered_model_lists_and_opens(admin_client_, world):
    from gridgov.orgs.services import organisation_add_member, organisation_create

    team = organisation_create(by=SYSTEM, kind="team", name="志愿服务队", place=world.grid1)
    organisation_add_member(by=SYSTEM, organisation=team, resident=world.zhang)
    for model in admin.site._registry:
        if model._meta.app_label not in {"accounts", "places", "people", "orgs", "audit"}:
            continue
        opts = model._meta
        changelist = admin_client_.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        first = model._default_manager.first()
        if first is not None:
            detail = admin_client_.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
            assert detail.status_code == 200, opts.label


def test_audit_entries_are_read_only_in_the_admin(admin_client_, world):
    entry = audit_record(
        actor=world.admin, action=AuditAction.EXPORT, target_label="导出名单", place_path=world.grid1.path
    )
    assert admin_client_.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert admin_client_.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    page = admin_client_.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "导出名单" in body and 'name="_save"' not in body
    admin_client_.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {"target_label": "改过"})
    entry.refresh_from_db()
    assert entry.target_label == "导出名单"
    changelist = admin_client_.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_registry_rows_are_shown_not_edited_in_the_admin(admin_client_, world):
    # Registry writes must go through the audited services, so the admin offers no add/change/delete.
    for name in (
        "places_place",
        "places_household",
        "people_resident",
        "orgs_organisation",
        "accounts_roleassignment",
    ):
        assert admin_client_.get(reverse(f"admin:{name}_add")).status_code == 403, name
    before = AuditEntry.objects.count()
    admin_client_.post(reverse("admin:places_place_change", args=[world.grid1.pk]), {"name": "后台改名"})
    world.grid1.refresh_from_db()
    assert world.grid1.name == "第一网格" and AuditEntry.objects.count() == before
