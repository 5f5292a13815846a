"""Organisations' contact numbers (a merchant's own mobile): encrypted at rest, shown masked, the
full number only through an audited reveal by someone holding registry.pii there (issue 7.5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import as_
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.orgs.models import OrgKind
from gridgov.orgs.services import organisation_create, organisation_update

MOBILE = "13712345678"


@pytest.fixture
def shop(world):
    return organisation_create(
        by=SYSTEM,
        kind=OrgKind.MERCHANT,
        name="便民理发店",
        place=world.estate1,
        contact_name="刘师傅",
        contact_phone="137 1234 5678",
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_stored_encrypted_never_in_clear(world, shop):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM orgs_organisation WHERE id = %s", [shop.pk])
        row = cursor.fetchone()
    assert MOBILE not in str(row) and "5678" in str(row)
    shop.refresh_from_db()
    assert shop.contact_phone_masked == "*******5678"
    created = AuditEntry.objects.get(
        action=AuditAction.CREATE, target_type="orgs.organisation", target_id=str(shop.pk)
    )
    assert MOBILE not in str(created.changes)


def test_pages_and_api_show_it_masked_to_everyone(world, shop):
    for persona in ("alice", "carol", "frank"):
        listed = as_(world, persona).get("/api/v1/organisations", {"kind": "merchant"}).json()
        item = next(
            org for org in (listed["items"] if isinstance(listed, dict) else listed) if org["id"] == shop.pk
        )
        assert item["contact_phone_masked"] == "*******5678" and MOBILE not in str(listed)
        detail = as_(world, persona).get(f"/api/v1/organisations/{shop.pk}").json()
        assert MOBILE not in str(detail)
    for user in (world.alice, world.carol):
        for page in (reverse("orgs:list"), reverse("orgs:detail", args=[shop.pk])):
            body = _client(user).get(page).content.decode()
            assert "*******5678" in body and MOBILE not in body


def test_reveal_needs_pii_and_a_purpose_and_is_audited(world, shop):
    assert (
        as_(world, "alice").post(f"/api/v1/organisations/{shop.pk}/reveal", {"purpose": "回访"}).status_code
        == 403
    )
    assert (
        as_(world, "bob").post(f"/api/v1/organisations/{shop.pk}/reveal", {"purpose": "回访"}).status_code
        == 404
    )
    missing = as_(world, "frank").post(f"/api/v1/organisations/{shop.pk}/reveal", {"purpose": " "})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "purpose"
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW_PII).exists()
    shown = as_(world, "frank").post(f"/api/v1/organisations/{shop.pk}/reveal", {"purpose": "联系上门服务"})
    assert shown.status_code == 200 and shown.json() == {"contact_phone": MOBILE}
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_PII)
    assert entry.actor == world.frank and entry.purpose == "联系上门服务" and entry.target_id == str(shop.pk)

    # The page: a reveal form for frank (grid head, PII in grid 1), none for alice.
    detail = reverse("orgs:detail", args=[shop.pk])
    assert "查看完整号码" in _client(world.frank).get(detail).content.decode()
    assert "查看完整号码" not in _client(world.alice).get(detail).content.decode()
    page = _client(world.frank).post(reverse("orgs:reveal", args=[shop.pk]), {"purpose": "回访"})
    assert page.status_code == 200 and MOBILE in page.content.decode()
    assert (
        _client(world.alice).post(reverse("orgs:reveal", args=[shop.pk]), {"purpose": "回访"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_PII).count() == 2


def test_update_validates_masks_the_audit_and_a_blank_edit_keeps_it(world, shop):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad:
        organisation_update(by=world.carol, organisation=shop, contact_phone="123")
    assert bad.value.message_dict["contact_phone"][0].startswith("联系电话：")
    organisation_update(by=world.carol, organisation=shop, contact_phone="0731-88886666")
    shop.refresh_from_db()
    assert shop.contact_phone_last4 == "6666"
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, target_type="orgs.organisation").latest("id")
    assert entry.changes["contact_phone"] == ["*******5678", "********6666"]
    # The edit page never shows the number; saving with the box left empty keeps it.
    client = _client(world.carol)
    form = client.get(reverse("orgs:edit", args=[shop.pk])).content.decode()
    assert "073188886666" not in form and "*******6666" in form
    response = client.post(
        reverse("orgs:edit", args=[shop.pk]),
        {"name": "便民理发店", "contact_name": "刘师傅", "is_active": "on"},
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.contact_phone_last4 == "6666"


def test_the_migration_encrypts_existing_rows():
    """orgs.0003's data step on rows as they were (plaintext contact_phone), then back again."""
    import importlib
    from types import SimpleNamespace

    from gridgov.core import crypto

    migration = importlib.import_module("gridgov.orgs.migrations.0003_encrypt_contact_phone")
    saved: list[list[str]] = []

    class Row(SimpleNamespace):
        def save(self, update_fields):
            saved.append(update_fields)

    rows = [
        Row(contact_phone="138-0000-1234", contact_phone_enc="", contact_phone_last4=""),
        Row(contact_phone="8888 6666 转 12", contact_phone_enc="", contact_phone_last4=""),
    ]

    class Manager:
        def exclude(self, **kwargs):
            field = next(iter(kwargs))
            return SimpleNamespace(iterator=lambda: [row for row in rows if getattr(row, field) != ""])

    apps = SimpleNamespace(get_model=lambda app, model: SimpleNamespace(objects=Manager()))
    migration.encrypt_existing(apps, None)
    assert [(row.contact_phone, row.contact_phone_last4) for row in rows] == [("", "1234"), ("", "6612")]
    assert crypto.decrypt(rows[0].contact_phone_enc) == "13800001234"
    assert crypto.decrypt(rows[1].contact_phone_enc) == "8888 6666 转 12"  # free text kept whole
    migration.decrypt_back(apps, None)
    assert rows[0].contact_phone == "13800001234" and len(saved) == 4
