"""`activity_figures`, the activities figures of the command centre's dashboards: activities
held (started, not cancelled) with their sign-ups and check-ins, one grouped query."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.activities import selectors, services
from gridgov.activities.tests.conftest import make_activity
from gridgov.core import clock

pytestmark = pytest.mark.django_db


def test_activities_held_with_signups_and_checkins(world, django_assert_num_queries):
    now = clock.now()
    with clock.frozen_at(now - dt.timedelta(days=3)):
        held = make_activity(world, starts_at=now - dt.timedelta(days=2))
        services.signup_create(by=world.erin, activity=held)
    with clock.frozen_at(held.starts_at + dt.timedelta(minutes=5)):
        services.checkin_self(by=world.erin, token=services.checkin_token(held))
    make_activity(world, starts_at=now + dt.timedelta(days=2), place=world.grid2)  # not held yet
    cancelled = make_activity(world, starts_at=now + dt.timedelta(days=3))
    services.activity_cancel(by=world.carol, activity=cancelled)
    span = {"since": now - dt.timedelta(days=30), "until": now + dt.timedelta(days=30)}
    children = [world.grid1, world.grid2]
    found = selectors.activity_figures(user=world.carol, place=world.community, children=children, **span)
    assert found is not None
    assert (found.total.held, found.total.signups, found.total.attended) == (1, 1, 1)
    # Aimed at the whole community: no grid's.
    assert found.children[world.grid1.pk].held == 0 and found.children[world.grid2.pk].held == 0
    assert selectors.activity_figures(user=world.erin, place=world.community, **span) is None
    with django_assert_num_queries(1):
        selectors.activity_figures(user=world.carol, place=world.community, children=children, **span)
