"""Issue 9 defects in the registry: ended stays told apart from expiring ones, search ranking."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.core import clock
from gridgov.people.models import Relation
from gridgov.people.selectors import floating_expired, floating_expiring, resident_search
from gridgov.people.services import floating_register, resident_create


def _stay(world, resident, until):
    return floating_register(
        by=SYSTEM,
        resident=resident,
        household=world.household1 if resident == world.zhang else world.household2,
        origin="四川省成都市",
        registered_on=dt.date(2024, 1, 1),
        expected_until=until,
    )


def test_defect_03_ended_registrations_are_not_labelled_expiring(world, client, settings):
    settings.GRIDGOV_FLOATING_REMIND_DAYS = 30
    today = clock.today()
    ended = _stay(world, world.zhang, today - dt.timedelta(days=5))
    soon = _stay(world, world.li, today + dt.timedelta(days=5))
    assert list(floating_expiring(world.carol)) == [soon]
    assert list(floating_expired(world.carol)) == [ended]

    client.force_login(world.carol)
    page = client.get(reverse("people:floating")).text
    assert page.count('class="expiring"') == 1 and page.count('class="expired"') == 1
    assert "已到期</span>" in page and "即将到期</span>" in page
    expiring_tab = client.get(reverse("people:floating"), {"tab": "expiring"}).text
    assert reverse("people:detail", args=[soon.resident_id]) in expiring_tab
    assert reverse("people:detail", args=[ended.resident_id]) not in expiring_tab
    expired_tab = client.get(reverse("people:floating"), {"tab": "expired"}).text
    assert reverse("people:detail", args=[ended.resident_id]) in expired_tab
    assert reverse("people:detail", args=[soon.resident_id]) not in expired_tab
    assert "已到期 <span class=\"count\">1</span>" in expired_tab


def test_defect_03_home_summary_counts_expired_apart(world, settings):
    from gridgov.core.dashboard import summary_for

    settings.GRIDGOV_FLOATING_REMIND_DAYS = 30
    today = clock.today()
    _stay(world, world.zhang, today - dt.timedelta(days=5))
    _stay(world, world.li, today + dt.timedelta(days=5))
    summary = summary_for(world.carol)
    assert summary["expiring_count"] == 1
    assert summary["expired_count"] == 1


def test_defect_16_initials_search_puts_the_exact_match_first(world):
    # Thirty people whose initials start with "dj" and one whose initials are exactly "dj".
    for index in range(30):
        resident_create(
            by=SYSTEM, name=f"丁佳{'一二三四五六七八九十'[index % 10]}{index}", household=world.household1,
            relation=Relation.OTHER,
        )
    du = resident_create(by=SYSTEM, name="杜洁", household=world.household1, relation=Relation.OTHER)
    results = list(resident_search(world.carol, q="dj")[:20])
    assert results[0] == du
    # A name typed in full comes before names that only contain it.
    resident_create(by=SYSTEM, name="王杜洁", household=world.household1, relation=Relation.OTHER)
    assert resident_search(world.carol, q="杜洁").first() == du
