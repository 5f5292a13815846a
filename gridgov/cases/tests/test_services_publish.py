"""The staff-written public summary (what Open311 shows as a request's description), and the
public timeline text stored on each event when it is written."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from gridgov.accounts.tests.apiclient import as_
from gridgov.audit.models import AuditEntry
from gridgov.cases.models import CaseEvent, EventKind
from gridgov.cases.selectors import allowed_actions, public_timeline
from gridgov.cases.services import (
    case_accept,
    case_call_report,
    case_dispatch,
    case_escalate,
    case_publish_summary,
    case_whistle,
)
from gridgov.core.errors import Forbidden


def test_community_staff_publish_a_summary_with_timeline_and_audit(cw, submit):
    case = submit(text="我家3单元502室楼上漏水，电话13700001234")
    assert "publish" in allowed_actions(cw.carol, case)
    assert "publish" not in allowed_actions(cw.alice, case)
    with pytest.raises(Forbidden):
        case_publish_summary(by=cw.alice, case=case, summary="聚江苑楼内漏水")
    case = case_publish_summary(by=cw.carol, case=case, summary="聚江苑1栋楼内漏水，联系13800138000")
    case.refresh_from_db()
    assert case.public_summary == "聚江苑1栋楼内漏水，联系138********"
    event = CaseEvent.objects.get(case=case, kind=EventKind.PUBLISHED)
    assert (event.actor, event.public, event.note) == (cw.carol, False, case.public_summary)
    audit = AuditEntry.objects.filter(target_id=str(case.pk), changes__event__1=EventKind.PUBLISHED)
    assert audit.count() == 1 and audit.get().actor == cw.carol

    # An empty summary withdraws it; too long is refused with the field named.
    case_publish_summary(by=cw.carol, case=case, summary="")
    case.refresh_from_db()
    assert case.public_summary == ""
    with pytest.raises(ValidationError) as exc:
        case_publish_summary(by=cw.carol, case=case, summary="长" * 501)
    assert list(exc.value.message_dict) == ["summary"]


def test_publish_button_and_api(cw, submit):
    case = submit()
    carol = Client()
    carol.force_login(cw.carol)
    page = carol.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/act/publish/"' in page
    alice = Client()
    alice.force_login(cw.alice)
    assert "act/publish/" not in alice.get(f"/cases/{case.pk}/").content.decode()

    posted = carol.post(f"/cases/{case.pk}/act/publish/", {"summary": "聚江苑垃圾清运不及时"})
    assert posted.status_code == 302
    case.refresh_from_db()
    assert case.public_summary == "聚江苑垃圾清运不及时"
    assert alice.post(f"/cases/{case.pk}/act/publish/", {"summary": "x"}).status_code == 403

    api = as_(cw, "carol").post(f"/api/v1/cases/{case.pk}/publish", {"summary": "聚江苑垃圾已安排清运"})
    assert api.status_code == 200, api.content
    assert api.json()["public_summary"] == "聚江苑垃圾已安排清运"
    refused = as_(cw, "alice").post(f"/api/v1/cases/{case.pk}/publish", {"summary": "x"})
    assert refused.status_code == 403


def test_public_timeline_reads_the_stored_public_text(cw, submit):
    case = submit()
    case = case_dispatch(by=cw.carol, case=case, handler_user=cw.alice, note="内部：该户常投诉")
    case = case_escalate(by=cw.alice, case=case, reason="内部：网格处理不了，楼上住户不配合")
    case = case_accept(by=cw.carol, case=case)
    calls = case_whistle(
        by=cw.carol,
        case=case,
        organisations=[cw.market],
        deadline=timezone.now() + dt.timedelta(days=1),
        note="内部：物业：维保单位：不配合",
    )
    case_call_report(by=cw.zhi, call=calls[0], note="内部：已到场：约谈维保")
    events = {e.kind: e for e in CaseEvent.objects.filter(case=case)}
    assert events[EventKind.WHISTLE].public_note == "呼叫市场监管所协同处置"
    assert events[EventKind.CALL_REPORT].public_note == "市场监管所已报到"
    assert events[EventKind.SUBMITTED].public_note == "已收到您的反映"
    texts = [entry.text for entry in public_timeline(case)]
    assert not any("内部" in text for text in texts), texts
    assert "呼叫市场监管所协同处置" in texts and "市场监管所已报到" in texts
    assert "已上报社区处理" in texts


def test_migration_fills_public_text_of_existing_rows(cw, submit):
    case = submit()
    whistle = CaseEvent.objects.create(
        case=case,
        at=case.created_at,
        kind=EventKind.WHISTLE,
        note="呼叫城管执法中队协同处置：内部说明",
        public=True,
    )
    hidden = CaseEvent.objects.create(case=case, at=case.created_at, kind=EventKind.NOTE, note="内部")
    migration = importlib.import_module("gridgov.cases.migrations.0004_fill_public_ids_and_notes")
    migration.fill_public_notes(django_apps, None)
    whistle.refresh_from_db()
    hidden.refresh_from_db()
    assert whistle.public_note == "呼叫城管执法中队协同处置"
    assert hidden.public_note == ""
