"""Mediation: the pool and its proposals, exclusions, sessions, outcome, agreement, privacy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.audit.models import AuditEntry
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.mediation import selectors, services
from gridgov.mediation.models import Exclusion, FollowUp, Status
from gridgov.mediation.tests.conftest import noise
from gridgov.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_proposals_put_the_specialist_first_and_leave_out_the_conflicted(pool):
    dispute = noise(pool)
    assert [p.mediator for p in selectors.proposals_for(dispute)] == [pool.elder, pool.lawyer]
    services.mediator_exclude(
        by=pool.carol, dispute=dispute, mediator=pool.elder, reason="conflict", note="申请人是其亲戚"
    )
    assert [p.mediator for p in selectors.proposals_for(dispute)] == [pool.lawyer]
    with pytest.raises(ValidationError, match="王德福已申报与本案存在利益冲突，不能指派"):
        services.mediator_assign(by=pool.carol, dispute=dispute, mediator=pool.elder)
    assert not dispute.assignments.exists()


def test_party_objection_ends_the_assignment(pool):
    dispute = noise(pool)
    services.mediator_assign(by=pool.carol, dispute=dispute, mediator=pool.lawyer)
    respondent = dispute.parties.get(side="respondent")
    services.mediator_exclude(
        by=pool.carol,
        dispute=dispute,
        mediator=pool.lawyer,
        reason=Exclusion.Reason.OBJECTION,
        party=respondent,
    )
    assert not dispute.assignments.filter(active=True).exists()
    with pytest.raises(ValidationError, match="当事人已申请陈律师回避"):
        services.mediator_assign(by=pool.carol, dispute=dispute, mediator=pool.lawyer)


def test_urgent_dispute_notifies_the_community_at_once(pool):
    noise(pool, urgent=True)
    note = Notification.objects.get(recipient=pool.carol)
    assert note.title.startswith("【紧急】矛盾纠纷有激化风险")


def test_whole_path_session_outcome_agreement_followups(pool):
    dispute = noise(pool)
    services.mediator_assign(by=pool.carol, dispute=dispute, mediator=pool.elder)
    # The assigned mediator works the case with no capability of their own.
    services.session_record(
        by=pool.med_user,
        dispute=dispute,
        held_at=clock.now(),
        location="党员谈心室",
        attendance="张建国、201住户",
        record="双方同意晚八点后不施工",
    )
    with pytest.raises(ValidationError, match="请先记录调解结果"):
        services.agreement_save(by=pool.carol, dispute=dispute, terms="晚八点后不施工")
    services.dispute_close(by=pool.carol, dispute=dispute, outcome="success")
    agreement = services.agreement_save(
        by=pool.carol,
        dispute=dispute,
        terms="一、201住户晚八点后不施工。",
        signed=list(dispute.parties.all()),
    )
    assert agreement.signed_parties.count() == 2
    due = sorted(FollowUp.objects.values_list("months", "due_on"))
    assert [m for m, _ in due] == [1, 3] and due[0][1] > clock.today()
    figures = selectors.figures(pool.carol)
    assert figures[0].received == 1 and figures[0].success_rate == 100.0


def test_agreement_without_outcome_changes_nothing(pool):
    dispute = noise(pool)
    with pytest.raises(ValidationError, match="请先记录调解结果"):
        services.agreement_save(by=pool.carol, dispute=dispute, terms="x")
    assert not hasattr(dispute, "agreement") or dispute.agreement is None


def test_privacy_only_staff_and_assigned_mediators_and_views_audited(pool):
    dispute = noise(pool)
    for outsider in (pool.alice, pool.erin, pool.med_user, pool.bob):
        with pytest.raises(NotFound):
            selectors.dispute_for(outsider, dispute.pk)
    services.mediator_assign(by=pool.carol, dispute=dispute, mediator=pool.elder)
    assert selectors.dispute_view(pool.med_user, dispute.pk) == dispute
    assert AuditEntry.objects.filter(action="view_pii", target_id=str(dispute.pk)).count() == 1
    with pytest.raises(Forbidden):
        services.mediator_assign(by=pool.med_user, dispute=dispute, mediator=pool.lawyer)


def test_add_months_clamps_to_the_month_end():
    assert services.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_referral_and_closed_state(pool):
    dispute = noise(pool)
    services.referral_create(
        by=pool.carol, dispute=dispute, to_body="芙蓉区人民法院", letter="经调解未能达成协议，现移交贵院。"
    )
    services.dispute_close(by=pool.carol, dispute=dispute, outcome="litigation")
    assert dispute.referrals.count() == 1
    dispute.refresh_from_db()
    assert dispute.status == Status.CLOSED and not FollowUp.objects.exists()


def test_agreement_pdf_is_rendered(pool, tmp_path):
    from gridgov.mediation.pdf import agreement_pdf

    dispute = noise(pool)
    services.mediator_assign(by=pool.carol, dispute=dispute, mediator=pool.elder)
    services.session_record(
        by=pool.carol,
        dispute=dispute,
        held_at=clock.now(),
        location="党员谈心室",
        attendance="双方",
        record="达成一致",
    )
    services.dispute_close(by=pool.carol, dispute=dispute, outcome="success")
    services.agreement_save(
        by=pool.carol,
        dispute=dispute,
        terms="一、201住户晚八点后不施工。\n二、如需施工提前一天告知。",
        signed=[dispute.parties.first()],
    )
    dispute.refresh_from_db()
    data = agreement_pdf(dispute)
    assert data.startswith(b"%PDF")
    (tmp_path / "a.pdf").write_bytes(data)
