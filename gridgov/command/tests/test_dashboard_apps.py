"""The dashboards' figures of the other apps (生活快车, care duties, patrols, activities,
consultations, mediations): per community and grid, scoped to the acting user, the same in the
Excel as on the chart, over a preset or a custom period, in a number of queries that does not
grow with the rows."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.command import periods
from gridgov.core import clock

NOW = clock.now()


def _charts(html: str) -> dict:
    match = re.search(r'<script id="charts-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return {chart["name"]: chart for chart in json.loads(match.group(1))}


def _rows(chart: dict) -> dict:
    return {row[0]: row[1:] for row in chart["rows"]}


# --- factories: rows as the apps' services leave them, at a chosen moment --------------------


def _order(resident, at, *, state="confirmed", rating=5):
    from gridgov.services.models import Order, ServiceItem

    done = state in ("done", "confirmed")
    return Order.objects.create(
        item=ServiceItem.objects.get(code="haircut"),
        resident=resident,
        place=resident.place,
        place_path=resident.place.path,
        state=state,
        window_start=at,
        window_end=at + dt.timedelta(hours=1),
        created_at=at,
        done_at=at + dt.timedelta(hours=1) if done else None,
        confirmed_at=at + dt.timedelta(hours=2) if state == "confirmed" else None,
        rating=rating if state == "confirmed" else None,
    )


def _hours(resident, at, hours="1.5"):
    from gridgov.services.models import HoursEntry, Volunteer

    volunteer = Volunteer.objects.filter(resident=resident).first() or Volunteer.objects.create(
        resident=resident, place=resident.place, status="approved"
    )
    return HoursEntry.objects.create(
        volunteer=volunteer,
        kind="manual",
        hours=Decimal(hours),
        place_path=resident.place.path,
        created_at=at,
        started_at=at - dt.timedelta(hours=2),
        ended_at=at,
    )


def _plan(resident):
    from gridgov.care.models import CarePlan

    return CarePlan.objects.create(
        resident=resident,
        place=resident.place,
        place_path=resident.place.path,
        title="周末好儿女",
        starts_on=dt.date(2026, 1, 1),
    )


def _visit(plan, carer, at, *, on_time=True, due_on=None):
    from gridgov.care.models import Duty, Visit

    duty = Duty.objects.create(plan=plan, kind="visit", frequency="weekly", due_on=due_on or clock.today())
    return Visit.objects.create(
        plan=plan, duty=duty, carer=carer, visited_at=at, minutes=30, done="看望聊天", on_time=on_time
    )


def _late_duty(plan, due_on):
    from gridgov.care.models import Duty

    return Duty.objects.create(plan=plan, kind="housework", frequency="monthly", due_on=due_on)


def _patrol(household, grid, worker, at):
    from gridgov.care.models import PatrolVisit

    return PatrolVisit.objects.create(
        household=household,
        grid=grid,
        place_path=household.place.path,
        worker=worker,
        visited_at=at,
        result="home",
    )


def _activity(place, at, *, signups=10, attended=8, state="done"):
    from gridgov.activities.models import Activity

    return Activity.objects.create(
        place=place,
        title="太极拳",
        location="活动室",
        starts_at=at,
        ends_at=at + dt.timedelta(hours=2),
        state=state,
        confirmed_count=signups,
        attended_count=attended,
    )


def _consultation(place, at, voters, non_voters=()):
    from gridgov.consult.models import Consultation, Participation, RollEntry

    consultation = Consultation.objects.create(place=place, title="加装电梯", stage="voting", opened_at=at)
    for household in voters:
        entry = RollEntry.objects.create(
            consultation=consultation, household=household, building=household.place
        )
        Participation.objects.create(consultation=consultation, entry=entry, voted_on=at.date())
    for household in non_voters:
        RollEntry.objects.create(consultation=consultation, household=household, building=household.place)
    return consultation


def _dispute(place, on, *, status="closed", outcome="success"):
    from gridgov.mediation.models import Dispute

    return Dispute.objects.create(
        place=place,
        title="楼上噪音",
        dispute_type="neighbour",
        status=status,
        outcome=outcome if status == "closed" else "",
        received_on=on,
        closed_on=on if status == "closed" else None,
    )


@pytest.fixture
def served(cw, other_street):
    """Yesterday in the community: grid 1 busy and content, grid 2 less so; plus rows that
    must not count (another street, a cancelled or future activity, a dispute of last year)."""
    from gridgov.people.models import Relation
    from gridgov.people.services import resident_create
    from gridgov.places.models import Household

    w = cw
    day = NOW - dt.timedelta(days=1)
    _order(w.zhang, day, rating=5)
    _order(w.zhang, day, state="open")
    _order(w.li, day, rating=2)
    _hours(w.zhang, day, "1.5")
    _visit(_plan(w.zhang), w.alice, day)
    _late_duty(_plan(w.li), clock.today() - dt.timedelta(days=3))
    _patrol(w.household1, w.grid1, w.alice, day)
    _patrol(w.household1, w.grid1, w.alice, day + dt.timedelta(hours=1))
    _activity(w.grid1, day)
    _activity(w.community, day, signups=5, attended=4)
    _activity(w.grid1, day, state="cancelled")
    _activity(w.grid1, NOW + dt.timedelta(days=2), state="planned")
    _consultation(w.estate1, day, [w.household1])
    _dispute(w.building1, day.date())
    _dispute(w.building2, day.date(), outcome="failed")
    _dispute(w.building2, day.date(), status="mediating")
    _dispute(w.building2, (NOW - dt.timedelta(days=400)).date())
    # Another street's order, activity and dispute: nobody here holds that street.
    far = Household.objects.filter(place__path__startswith=other_street.path + ".").first()
    stranger = resident_create(by=SYSTEM, name="外街居民", household=far, relation=Relation.HEAD)
    _order(stranger, day)
    _activity(far.place, day)
    _dispute(far.place, day.date())
    return w


def test_community_dashboard_shows_each_app_per_grid_with_its_own_share(client, served):
    w = served
    client.force_login(w.carol)
    page = client.get(reverse("command:place", args=[w.community.pk])).content.decode()
    charts = _charts(page)
    services = charts["services"]
    assert services["columns"] == ["网格", "受理订单", "已完成", "满意率(%)", "志愿服务时长(小时)"]
    assert _rows(services) == {"第一网格": [2, 1, 100.0, 1.5], "第二网格": [1, 1, 0.0, 0.0]}
    assert services["links"] == [w.grid1.pk, w.grid2.pk]
    assert _rows(charts["care"]) == {"第一网格": [1, 1, 100.0, 0, 1], "第二网格": [1, 0, 0.0, 1, 0]}
    assert _rows(charts["patrol"]) == {"第一网格": [1, 1, 100.0], "第二网格": [0, 1, 0.0]}
    # The community-wide activity is the community's own share, not any grid's; the cancelled
    # and the future ones were not held.
    assert _rows(charts["activities"]) == {
        "第一网格": [1, 10, 8],
        "第二网格": [0, 0, 0],
        "金泰路社区（本级）": [1, 5, 4],
    }
    assert charts["activities"]["links"] == [w.grid1.pk, w.grid2.pk, None]
    assert _rows(charts["consult"]) == {"第一网格": [1, 1, 1, 100.0], "第二网格": [0, 0, 0, None]}
    assert _rows(charts["mediation"]) == {"第一网格": [1, 1, 0, 0], "第二网格": [2, 0, 1, 1]}
    # The headline figures above the charts.
    assert re.search(r'id="kpi-services"><span>[^<]*</span><b>3 / 2</b>', page)
    assert re.search(r'id="kpi-patrol"><span>巡查覆盖率</span><b>50%</b>', page)
    assert re.search(r'id="kpi-mediation"><span>[^<]*</span><b>1 / 1 / 1</b>', page)


def test_figures_are_cut_to_the_users_scope_and_role(client, served):
    from gridgov.command import selectors

    w = served
    # The street sees its community (not the other street's rows).
    street = selectors.dashboard(w.sam, w.street)
    assert street["apps"]["services"].received == 3
    assert street["apps"]["activities"].held == 2
    assert street["apps"]["mediation"].opened == 3
    by_community = {c["name"]: c for c in (ch.as_dict() for ch in street["charts"])}["services"]
    assert by_community["rows"] == [["金泰路社区", 3, 2, 50.0, 1.5]]
    # The grid head of grid 1 opens grid 1: its figures only, one row, and no mediation (the
    # grid head's role does not handle mediation, so not even the counts).
    client.force_login(w.frank)
    page = client.get(reverse("command:place", args=[w.grid1.pk])).content.decode()
    charts = _charts(page)
    assert charts["services"]["rows"] == [["第一网格", 2, 1, 100.0, 1.5]]
    assert charts["services"]["links"] == [None]
    assert "mediation" not in charts and 'id="kpi-mediation"' not in page
    assert charts["consult"]["rows"] == [["第一网格", 1, 1, 1, 100.0]]
    # Grid 2 is not his: not found, like a missing place.
    assert client.get(reverse("command:place", args=[w.grid2.pk])).status_code == 404


def test_every_app_chart_download_equals_the_chart_and_the_report_sums_them(client, served):
    from openpyxl import load_workbook

    w = served
    client.force_login(w.carol)
    charts = _charts(client.get(reverse("command:place", args=[w.community.pk]) + "?days=7").content.decode())
    for name in ("services", "care", "patrol", "activities", "consult", "mediation"):
        response = client.get(reverse("command:chart_xlsx", args=[w.community.pk, name]) + "?days=7")
        assert response.status_code == 200, name
        rows = [
            list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        ]
        assert rows[0] == charts[name]["columns"], name
        assert rows[1:] == charts[name]["rows"], name
    report = load_workbook(
        io.BytesIO(
            client.get(reverse("command:chart_xlsx", args=[w.community.pk, "all"]) + "?days=7").content
        )
    )
    summary = {row[0]: row[1] for row in report["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["服务订单受理"] == 3 and summary["志愿服务时长（小时）"] == 1.5
    assert summary["巡查覆盖率"] == 0.5 and summary["调解进行中"] == 1
    assert summary["活动签到人次"] == 12 and summary["参与率"] == 1.0


def test_a_custom_period_bounds_every_figure(client, served, submit):
    from openpyxl import load_workbook

    w = served
    old = NOW - dt.timedelta(days=200)
    submit(now=old)
    submit(now=old - dt.timedelta(days=30))  # before the range: counted nowhere
    _order(w.zhang, old)
    _hours(w.zhang, old, "2")
    _visit(_plan(w.zhang), w.alice, old, on_time=False)
    _patrol(w.household2, w.grid2, w.bob, old)
    _activity(w.grid2, old, signups=3, attended=3)
    _consultation(w.estate2, old, [], [w.household2])
    _dispute(w.building1, old.date(), status="open")
    first = timezone.localdate(old) - dt.timedelta(days=5)
    last = first + dt.timedelta(days=10)
    query = f"?from={first.isoformat()}&to={last.isoformat()}"
    client.force_login(w.carol)
    response = client.get(reverse("command:place", args=[w.community.pk]) + query)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{first.isoformat()}至{last.isoformat()}" in page
    charts = _charts(page)
    trend = charts["trend_day"]
    assert len(trend["rows"]) == 11 and trend["rows"][0][0] == first.isoformat()
    assert sum(row[1] for row in trend["rows"]) == 1
    assert sum(row[1] for row in charts["trend_month"]["rows"]) == 1
    assert sum(n for _, n in charts["by_state"]["rows"]) == 1
    assert _rows(charts["by_child"])["第一网格"][0] == 1
    assert _rows(charts["services"]) == {"第一网格": [1, 1, 100.0, 2.0], "第二网格": [0, 0, None, 0.0]}
    assert _rows(charts["care"]) == {"第一网格": [1, 0, 0.0, 0, 1], "第二网格": [0, 0, None, 0, 0]}
    assert _rows(charts["patrol"]) == {"第一网格": [0, 1, 0.0], "第二网格": [1, 1, 100.0]}
    assert _rows(charts["activities"])["第二网格"] == [1, 3, 3]
    assert _rows(charts["consult"])["第二网格"] == [1, 1, 0, 0.0]
    assert _rows(charts["mediation"]) == {"第一网格": [1, 0, 0, 1], "第二网格": [0, 0, 0, 0]}
    # Drill-down and downloads keep the range.
    assert f'data-keep-query="{query.replace("&", "&amp;")}"' in page
    sheet = load_workbook(
        io.BytesIO(
            client.get(reverse("command:chart_xlsx", args=[w.community.pk, "services"]) + query).content
        )
    ).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)][1:] == charts["services"]["rows"]
    api = client.get(f"/api/v1/command/places/{w.community.pk}/dashboard{query}")
    assert api.status_code == 200, api.content
    body = api.json()
    assert body["first"] == first.isoformat() and body["days"] is None
    assert body["cases"]["received"] == 1 and body["apps"]["services"]["received"] == 1
    assert body["apps"]["patrol"]["coverage_rate"] == 0.5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=2026-03-01&to=2026-02-01", "开始日期不能晚于结束日期"),
        ("?from=2020-01-01&to=2026-01-01", "统计期最长3年"),
        ("?from=2026-02-30&to=2026-03-01", "开始日期格式不对"),
        ("?from=2026-01-01", "请填写结束日期"),
        ("?from=2026-01-01&to=2999-01-01", "结束日期不能晚于今天"),
    ],
)
def test_a_wrong_custom_period_is_refused_in_chinese(client, cw, query, message):
    client.force_login(cw.carol)
    response = client.get(reverse("command:place", args=[cw.community.pk]) + query)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'id="period-errors"' in page
    assert "下面显示的是近30天的数据" in page  # the page still answers, with the default period
    download = client.get(reverse("command:chart_xlsx", args=[cw.community.pk, "services"]) + query)
    assert download.status_code == 400 and message in download.content.decode()
    api = client.get(f"/api/v1/command/places/{cw.community.pk}/dashboard{query}")
    # The API reads the dates itself: a date that does not exist is a schema error (422, in
    # Chinese like every other); the rest are the same refusals as the page's.
    assert api.status_code == (422 if "格式" in message else 400)
    assert message in json.dumps(api.json(), ensure_ascii=False) or "日期" in json.dumps(
        api.json(), ensure_ascii=False
    )


def test_three_years_is_the_longest_period(client, cw):
    today = clock.today()
    first = today - dt.timedelta(days=periods.MAX_DAYS - 1)
    url = reverse("command:place", args=[cw.community.pk])
    client.force_login(cw.carol)
    response = client.get(url + f"?from={first.isoformat()}&to={today.isoformat()}")
    assert response.status_code == 200
    assert len(_charts(response.content.decode())["trend_day"]["rows"]) == periods.MAX_DAYS
    one_more = first - dt.timedelta(days=1)
    assert client.get(url + f"?from={one_more.isoformat()}&to={today.isoformat()}").status_code == 400


def _fill(w, n: int) -> None:
    day = NOW - dt.timedelta(days=1)
    plan = _plan(w.zhang)
    for index in range(n):
        at = day - dt.timedelta(minutes=index)
        _order(w.zhang if index % 2 else w.li, at)
        _hours(w.zhang, at - dt.timedelta(hours=3 * index), "1")
        _visit(plan, w.alice, at)
        _patrol(w.household1 if index % 2 else w.household2, w.grid1 if index % 2 else w.grid2, w.alice, at)
        _activity(w.grid1 if index % 2 else w.grid2, at)
        _consultation(w.estate1, at, [w.household1])
        _dispute(
            w.building1 if index % 2 else w.building2, at.date(), outcome="failed" if index % 3 else "success"
        )


def test_dashboard_queries_do_not_grow_with_the_other_apps_rows(client, cw, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cw.carol)
    url = reverse("command:place", args=[cw.community.pk])
    _fill(cw, 5)
    client.get(url)  # warm the per-process caches (categories, session)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _fill(cw, 45)
    with django_assert_max_num_queries(len(few)):
        page = client.get(url)
    assert page.status_code == 200
    assert len(few) <= 50
    assert sum(row[1] for row in _charts(page.content.decode())["services"]["rows"]) == 50
