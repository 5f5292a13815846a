from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM


@pytest.fixture
def pool(world):
    """Two mediators of the community: an elder for neighbour disputes, a lawyer for the rest."""
    from gridgov.accounts.services import user_create
    from gridgov.mediation import services

    w = world
    w.med_user = user_create(
        by=SYSTEM, username="laowang", password=w.password, display_name="王老", validate=False
    )
    w.elder = services.mediator_create(
        by=SYSTEM,
        place=w.community,
        name="王德福",
        kind="elder",
        specialities=["neighbour", "family"],
        serves=[w.grid1],
        user=w.med_user,
    )
    w.lawyer = services.mediator_create(
        by=SYSTEM, place=w.community, name="陈律师", kind="lawyer", specialities=["tenancy", "labour"]
    )
    return w


def noise(w, **extra):
    from gridgov.mediation import services

    return services.dispute_create(
        by=w.carol,
        place=w.building1,
        title="楼上装修噪音扰民",
        dispute_type="neighbour",
        parties=[{"side": "applicant", "resident": w.zhang}, {"side": "respondent", "name": "201住户"}],
        **extra,
    )
