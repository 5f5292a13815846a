"""`consultation_figures`, the consultation figures of the command centre's dashboards: votes
opened in the period and their turnout over the roll, one grouped query, no ballot read."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.consult import selectors, services
from gridgov.consult.tests.conftest import make
from gridgov.core import clock

pytestmark = pytest.mark.django_db


def test_consultations_held_and_turnout(homes, django_assert_num_queries):
    consultation = make(homes)
    approve = [o.pk for o in consultation.options.all() if o.label == "同意"]
    services.vote_cast(by=homes.u_zhang, consultation=consultation, option_ids=approve)
    now = clock.now()
    span = {"since": now - dt.timedelta(days=1), "until": now + dt.timedelta(minutes=1)}
    children = [homes.grid1, homes.grid2]
    found = selectors.consultation_figures(user=homes.carol, place=homes.community, children=children, **span)
    assert found is not None
    assert (found.total.held, found.total.eligible, found.total.voted) == (1, 2, 1)
    assert found.total.turnout_rate == 0.5
    assert found.children[homes.grid1.pk].held == 1 and found.children[homes.grid2.pk].held == 0
    assert selectors.consultation_figures(user=homes.bob, place=homes.grid1, **span) is None
    assert selectors.consultation_figures(user=homes.u_zhang, place=homes.community, **span) is None
    with django_assert_num_queries(1):
        selectors.consultation_figures(user=homes.carol, place=homes.community, children=children, **span)
