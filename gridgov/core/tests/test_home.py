from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.core.validation import id_check_char
from gridgov.people.models import Relation
from gridgov.people.services import floating_register, resident_create


def _stat(html: str, label: str) -> int:
    match = re.search(rf'<span class="muted">{label}</span><b>(\d+)</b>', html)
    assert match, label
    return int(match.group(1))


def test_home_counts_are_scoped_and_expiring_is_not_capped_at_the_list_length(world, client):
    soon = dt.date.today() + dt.timedelta(days=3)
    for index in range(12):
        prefix = f"42010219900101{index:03d}"
        resident = resident_create(
            by=SYSTEM, name=f"流动{index}", household=world.household1, relation=Relation.TENANT,
            id_number=prefix + id_check_char(prefix),
        )
        floating_register(by=SYSTEM, resident=resident, household=world.household1, origin="湖北", expected_until=soon)
    client.force_login(world.alice)
    html = client.get(reverse("core:home")).content.decode()
    assert _stat(html, "户数") == 1
    assert _stat(html, "居民") == 13
    assert _stat(html, "即将到期登记") == 12
    client.force_login(world.bob)
    html = client.get(reverse("core:home")).content.decode()
    assert (_stat(html, "居民"), _stat(html, "即将到期登记")) == (1, 0)


def test_residents_land_on_their_phone_page(world, client):
    client.force_login(world.erin)
    home = client.get(reverse("core:home")).content.decode()
    # The resident's home (gridgov.command.home): their reports and notices, and a way to 我的.
    assert 'id="home-reports"' in home and 'id="home-notices"' in home
    assert reverse("core:me") in home
    page = client.get(reverse("core:me")).content.decode()
    assert "鸿江苑8栋202" in page
    assert "*******4321" in page
