"""The statistics rollups equal a full recount after a random run of transitions, and the
statistics page's 当前超时 is the workbench's 已超时."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import rollups
from gridgov.cases.models import Case, CaseRollup, RollupGrain
from gridgov.cases.selectors import (
    case_children,
    case_stats,
    case_stats_recount,
    case_trend,
    overdue,
    overdue_open_count,
)
from gridgov.cases.services import (
    case_accept,
    case_escalate,
    case_merge,
    case_rate,
    case_reject,
    case_resolve,
    case_return,
    case_start,
    cases_close_unrated,
    sla_set,
    sla_sweep,
)
from gridgov.core import clock

CATEGORIES = ("sanitation", "lift", "facility")
CHANNELS = ("resident_web", "hotline", "patrol")


def _run(cw, submit, seed: int, n: int) -> list[Case]:
    rng = random.Random(seed)
    sla_set(
        by=SYSTEM, category=cw.sanitation, priority="normal", accept_within=2, resolve_within=6, unit="hours"
    )
    start = clock.now() - dt.timedelta(days=75)
    cases = []
    for i in range(n):
        at = start + dt.timedelta(hours=rng.randrange(0, 75 * 24))
        channel = rng.choice(CHANNELS)
        with clock.frozen_at(at):
            cases.append(
                submit(
                    by=cw.carol if channel != "resident_web" else AnonymousUser(),
                    text=f"第{i}件：楼道灯坏了很久",
                    category=rng.choice(CATEGORIES),
                    channel=channel,
                    place=rng.choice([cw.building1, cw.building2]),
                    reporter_phone=f"1370000{i:04d}",
                )
            )
    steps = (
        lambda c: case_accept(by=cw.admin, case=c),
        lambda c: case_start(by=cw.admin, case=c),
        lambda c: case_resolve(by=cw.admin, case=c, result="已处理"),
        lambda c: case_rate(
            by=AnonymousUser(), case=c, rating=rng.randint(1, 5), phone_last4=c.reporter_phone_last4
        ),
        lambda c: case_reject(by=cw.admin, case=c, reason="不属于受理范围"),
        lambda c: case_return(by=cw.admin, case=c, reason="不归本级"),
        lambda c: case_escalate(by=cw.admin, case=c, reason="本级处理不了"),
        lambda c: case_merge(by=cw.admin, case=c, into=rng.choice(cases)),
    )
    moment = clock.now()
    for _ in range(n * 4):
        case = rng.choice(cases)
        step = rng.choices(steps, weights=(6, 3, 5, 3, 1, 1, 1, 1))[0]
        moment += dt.timedelta(minutes=rng.randrange(1, 120))
        with clock.frozen_at(moment):
            try:
                step(Case.objects.get(pk=case.pk))
            except (ValidationError, PermissionDenied, Http404):
                pass  # a step that does not apply to the case's state now: the run goes on
        if rng.random() < 0.05:
            with clock.frozen_at(moment):
                sla_sweep()
    with clock.frozen_at(moment):
        sla_sweep()
        cases_close_unrated(days=7)
    return cases


@pytest.mark.parametrize("seed", [1, 7])
def test_rollups_equal_a_full_recount(cw, submit, seed):
    _run(cw, submit, seed, 24)
    states = set(Case.objects.values_list("state", flat=True))
    assert len(states) >= 4, states  # the run moved cases through the lifecycle
    assert (
        Case.objects.filter(rating__isnull=False).exists() and Case.objects.filter(was_overdue=True).exists()
    )
    assert rollups.stored(RollupGrain.DAY) == {k: v for k, v in rollups.recount().items() if any(v.values())}
    months: dict = {}
    for (day, place, category, channel), counters in rollups.stored(RollupGrain.DAY).items():
        row = months.setdefault(
            (day.replace(day=1), place, category, channel), dict.fromkeys(rollups.COUNTERS, 0)
        )
        for name, value in counters.items():
            row[name] += value
    assert rollups.stored(RollupGrain.MONTH) == months
    today = clock.today()
    for place, since, until in (
        (None, None, None),
        (cw.grid1, None, None),
        (cw.grid2, today - dt.timedelta(days=40), today),
        (None, today - dt.timedelta(days=70), today - dt.timedelta(days=5)),
        (None, (today - dt.timedelta(days=60)).replace(day=1), today),
    ):
        assert case_stats(cw.carol, place, since, until) == case_stats_recount(cw.carol, place, since, until)

    # The rebuild gives the same rows as the transitions kept.
    kept = rollups.stored(RollupGrain.DAY), rollups.stored(RollupGrain.MONTH)
    CaseRollup.objects.all().delete()
    rollups.rollup_rebuild(by=SYSTEM)
    assert (rollups.stored(RollupGrain.DAY), rollups.stored(RollupGrain.MONTH)) == kept


def test_stats_current_overdue_is_the_workbench_overdue(cw, submit, client):
    """Defect 14: a case reported before the period and late now counts in 当前超时 as in 已超时."""
    sla_set(
        by=SYSTEM, category=cw.sanitation, priority="normal", accept_within=2, resolve_within=6, unit="hours"
    )
    with clock.frozen_at(clock.now() - dt.timedelta(days=60)):
        submit(text="两个月前的垃圾没人管")
    with clock.frozen_at(clock.now() - dt.timedelta(days=1)):
        submit(text="昨天的垃圾没人管")
    submit(text="刚报的垃圾")
    late = overdue(cw.carol).count()
    assert late == 2
    assert overdue_open_count(cw.carol) == late
    assert case_stats(cw.carol, since=clock.today() - dt.timedelta(days=29))["overdue_open"] == late
    client.force_login(cw.carol)
    page = client.get(reverse("cases:stats")).content.decode()
    assert f'data-stat="overdue_open">{late}<' in page
    assert "与工作台“已超时”同一口径" in page


def test_rollups_follow_a_rating(cw, submit):
    case = submit()
    case = case_accept(by=cw.alice, case=case)
    case = case_resolve(by=cw.alice, case=case, result="已清运")
    case_rate(by=AnonymousUser(), case=case, rating=5, phone_last4="1234")
    row = CaseRollup.objects.get(grain=RollupGrain.DAY)
    assert (row.received, row.resolved, row.rated, row.satisfied, row.rating_sum, row.place_id) == (
        1,
        1,
        1,
        1,
        5,
        cw.grid1.pk,
    )


def test_trend_and_children_sum_to_the_total(cw, submit):
    with clock.frozen_at(clock.now() - dt.timedelta(days=35)):
        submit(text="上个月的垃圾")
    submit(text="今天的垃圾")
    submit(place=cw.building2, text="八号楼垃圾", by=cw.bob, channel="patrol", reporter_phone="")
    today = clock.today()
    total = case_stats(cw.carol, since=today - dt.timedelta(days=60), until=today)["received"]
    days = case_trend(cw.carol, None, today - dt.timedelta(days=60), today)
    months = case_trend(cw.carol, None, today - dt.timedelta(days=60), today, by="month")
    assert sum(row["received"] for row in days) == sum(row["received"] for row in months) == total == 3
    children = {row["name"]: row["received"] for row in case_children(cw.carol, cw.community)}
    assert children[cw.grid1.name] == 2 and children[cw.grid2.name] == 1
    with pytest.raises(Http404):
        case_children(cw.frank, cw.grid2)  # grid head of grid 1: out of scope is not found


def test_rebuild_command_restores_the_rollups_and_refreshes_the_planners_statistics(cw, submit):
    import io

    from django.core.management import CommandError, call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for text in ("楼道灯坏了", "垃圾没人清", "路面塌了"):
        submit(text=text)
    before = sorted(CaseRollup.objects.values_list("grain", "day", "place_id", "category_id", "received"))
    assert before
    CaseRollup.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        call_command("rollup_rebuild", stdout=(out := io.StringIO()))
    assert (
        sorted(CaseRollup.objects.values_list("grain", "day", "place_id", "category_id", "received"))
        == before
    )
    assert "行日汇总" in out.getvalue()
    assert any(
        q["sql"].startswith("ANALYZE") and "cases_caserollup" in q["sql"] for q in queries.captured_queries
    )
    with pytest.raises(CommandError, match="--since 须为日期"):
        call_command("rollup_rebuild", "--since", "去年")
