"""Issue 9 defects on the organisation pages: links a department user cannot open."""

from __future__ import annotations

from django.urls import reverse

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.orgs.models import OrgKind, PartyLevel
from gridgov.orgs.services import organisation_create


def test_defect_02_party_tree_shows_places_outside_the_scope_as_text(world, client):
    department = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="城管执法中队", place=world.street)
    organisation_create(
        by=SYSTEM,
        kind=OrgKind.PARTY,
        name="第一网格党支部",
        place=world.grid1,
        party_level=PartyLevel.BRANCH,
        places=[world.grid1],
    )
    chen = user_create(
        by=SYSTEM, username="chen", password=world.password, validate=False, organisation=department
    )
    role_grant(by=SYSTEM, user=chen, role=Role.objects.get(code="department_staff"), place=world.street)
    client.force_login(chen)
    response = client.get(reverse("orgs:party_tree"))
    if response.status_code == 200:
        page = response.text
        assert reverse("places:detail", args=[world.grid1.pk]) not in page
        # Whatever the page links to opens for this user.
        assert client.get(reverse("places:detail", args=[world.grid1.pk])).status_code == 404
    # The secretary, who holds the registry there, gets the link.
    client.force_login(world.carol)
    page = client.get(reverse("orgs:party_tree")).text
    assert "第一网格党支部" in page
    assert reverse("places:detail", args=[world.grid1.pk]) in page
