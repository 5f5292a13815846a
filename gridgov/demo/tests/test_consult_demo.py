"""The demo's consultations, mediation and desks, built through the services."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gridgov.consult.models import Consultation, OpenVote, Participation, SecretBallot
from gridgov.desks.models import Desk, DutySlot, WalkIn
from gridgov.mediation.models import Agreement, Dispute, Mediator, Outcome, Session


@pytest.mark.django_db
def test_demo_builds_consultations_mediation_and_desks():
    call_command("demo", "--scale", "0.1", "--without-cases", stdout=io.StringIO())
    lift = Consultation.objects.get(title__endswith="加装电梯")
    eligible = lift.roll.count()
    voted = Participation.objects.filter(consultation=lift).count()
    assert eligible >= 2 and voted == eligible // 2 == OpenVote.objects.filter(consultation=lift).count()
    election = Consultation.objects.get(secret=True)
    assert (
        SecretBallot.objects.filter(consultation=election).count()
        == Participation.objects.filter(consultation=election).count()
        > 0
    )
    assert not OpenVote.objects.filter(consultation=election).exists()
    assert Mediator.objects.count() == 8 and Dispute.objects.count() == 12
    assert set(Dispute.objects.exclude(outcome="").values_list("outcome", flat=True)) == set(Outcome.values)
    assert Session.objects.count() == 12 and Agreement.objects.exists()
    assert Desk.objects.filter(name="党员谈心室").exists() and DutySlot.objects.exists()
    assert WalkIn.objects.count() >= 30
