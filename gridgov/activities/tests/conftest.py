from __future__ import annotations

import datetime as dt

import pytest

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.activities import services
from gridgov.core import clock
from gridgov.people.models import Relation
from gridgov.people.services import resident_create


@pytest.fixture
def neighbours(world):
    """Three more residents of 8栋 with accounts (wang, zhao, sun), for a full activity."""
    from gridgov.places.services import household_create

    people = {}
    for index, (username, name) in enumerate([("wang", "王桂兰"), ("zhao", "赵志强"), ("sun", "孙丽华")]):
        household = household_create(by=SYSTEM, place=world.building2, room=f"30{index}")
        resident = resident_create(by=SYSTEM, name=name, household=household, relation=Relation.HEAD)
        user = user_create(
            by=SYSTEM, username=username, password=world.password, resident=resident, validate=False
        )
        role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="resident"), place=world.building2)
        people[username] = user
    return people


@pytest.fixture
def soon():
    return clock.now() + dt.timedelta(days=2)


def make_activity(world, *, by=None, starts_at=None, capacity=2, **extra):
    starts_at = starts_at or clock.now() + dt.timedelta(days=2)
    return services.activity_create(
        by=by or world.carol,
        place=extra.pop("place", world.community),
        title=extra.pop("title", "太极拳入门"),
        location="社区活动室",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        capacity=capacity,
        **extra,
    )
