from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.services import audit_diff, audit_record

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_changed_or_deleted():
    entry = audit_record(actor=SYSTEM, action=AuditAction.CREATE, target_type="x", target_id=1)
    entry.purpose = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(purpose="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).purpose == ""


def test_diff_masks_sensitive_fields_and_skips_unchanged():
    changes = audit_diff(
        {"name": "张三", "id_number": "430102195001010018", "phone": ""},
        {"name": "张三丰", "id_number": "430102198002020027", "phone": "13812345678"},
    )
    assert changes == {
        "name": ["张三", "张三丰"],
        "id_number": ["**************0018", "**************0027"],
        "phone": ["", "*******5678"],
    }
