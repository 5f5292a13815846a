from __future__ import annotations

import datetime as dt

import pytest

from gridgov.accounts.scope import SYSTEM


@pytest.fixture
def homes(world):
    """Household 101 of 1栋 with a second adult (wang, spouse) and a child; a third household
    102 with its own voter (zhao); each voter has a resident account."""
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.people.models import Relation
    from gridgov.people.services import resident_create
    from gridgov.places.services import household_create

    resident_role = Role.objects.get(code="resident")
    w = world
    w.wang = resident_create(
        by=SYSTEM,
        name="王桂兰",
        household=w.household1,
        relation=Relation.SPOUSE,
        birth_date=dt.date(1952, 3, 3),
    )
    w.kid = resident_create(
        by=SYSTEM,
        name="张小宝",
        household=w.household1,
        relation=Relation.CHILD,
        birth_date=dt.date(2016, 6, 1),
    )
    w.household3 = household_create(by=SYSTEM, place=w.building1, room="102")
    w.zhao = resident_create(
        by=SYSTEM, name="赵明", household=w.household3, relation=Relation.HEAD, birth_date=dt.date(1985, 1, 1)
    )
    for name, resident in (("u_zhang", w.zhang), ("u_wang", w.wang), ("u_kid", w.kid), ("u_zhao", w.zhao)):
        user = user_create(by=SYSTEM, username=name, password=w.password, resident=resident, validate=False)
        role_grant(by=SYSTEM, user=user, role=resident_role, place=w.building1)
        setattr(w, name, user)
    return w


def make(w, **options):
    from gridgov.consult import services
    from gridgov.consult.models import Stage

    options.setdefault("place", w.estate1)
    options.setdefault("places", [w.building1])
    consultation = services.consultation_create(
        by=w.alice, title=options.pop("title", "1栋加装电梯"), **options
    )
    return services.consultation_advance(by=w.alice, consultation=consultation, to=Stage.VOTING)
