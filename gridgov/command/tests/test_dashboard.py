from __future__ import annotations

import io
import json
import re

from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import services as cs
from gridgov.command import selectors


def _chart_data(html: str) -> dict:
    match = re.search(r'<script id="charts-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return {chart["name"]: chart for chart in json.loads(match.group(1))}


def test_the_street_opens_at_its_level_and_drills_down_with_breadcrumbs(client, cw, submit):
    submit()
    submit(place=cw.building2, text="8栋楼道灯坏了")
    client.force_login(cw.sam)
    response = client.get(reverse("command:dashboard"))
    assert response.status_code == 302 and response["Location"].endswith(f"/command/place/{cw.street.pk}/")
    page = client.get(response["Location"]).content.decode()
    assert "芙蓉北路街道数据看板" in page
    charts = _chart_data(page)
    assert charts["by_child"]["rows"][0][:2] == ["金泰路社区", 2]
    assert charts["by_child"]["links"] == [cw.community.pk]
    # Carol (community) opens the community; the street above her is plain text, not a link.
    client.force_login(cw.carol)
    page = client.get(reverse("command:place", args=[cw.community.pk])).content.decode()
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page, re.S).group(0)
    assert "<span>芙蓉北路街道</span>" in crumbs and "金泰路社区" in crumbs
    by_grid = _chart_data(page)["by_child"]
    assert [row[:2] for row in by_grid["rows"]] == [["第一网格", 1], ["第二网格", 1]]
    page = client.get(reverse("command:place", args=[cw.grid1.pk])).content.decode()
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page, re.S).group(0)
    # Back up keeps the period, as drilling down does.
    assert f'href="{reverse("command:place", args=[cw.community.pk])}?days=30"' in crumbs
    assert "by_child" not in _chart_data(page)


def test_out_of_scope_and_missing_places_are_not_found_and_workers_cannot_open(client, cw, other_street):
    client.force_login(cw.carol)
    assert client.get(reverse("command:place", args=[cw.street.pk])).status_code == 404
    assert client.get(reverse("command:place", args=[other_street.pk])).status_code == 404
    assert client.get(reverse("command:place", args=[999999])).status_code == 404
    assert client.get(reverse("command:place", args=[cw.building1.pk])).status_code == 404
    assert client.get(reverse("command:map_geo", args=[other_street.pk])).status_code == 404
    client.force_login(cw.alice)
    response = client.get(reverse("command:place", args=[cw.grid1.pk]))
    assert response.status_code == 403


def test_every_chart_download_equals_the_chart(client, cw, submit):
    from openpyxl import load_workbook

    case = submit()
    cs.case_accept(by=cw.alice, case=case)
    submit(place=cw.building2)
    client.force_login(cw.carol)
    page = client.get(reverse("command:place", args=[cw.community.pk]) + "?days=7").content.decode()
    charts = _chart_data(page)
    assert set(charts) >= {
        "trend_day",
        "trend_month",
        "by_child",
        "by_state",
        "by_category",
        "by_channel",
        "tags",
        "calls",
        # The other apps' charts, shown to a community secretary even when the period is empty.
        "services",
        "care",
        "patrol",
        "activities",
        "consult",
        "mediation",
    }
    for name, chart in charts.items():
        response = client.get(reverse("command:chart_xlsx", args=[cw.community.pk, name]) + "?days=7")
        assert response.status_code == 200, name
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert rows[0] == chart["columns"], name
        assert rows[1:] == chart["rows"], name
    assert charts["trend_day"]["rows"][-1][1] == 2  # both reported today
    states = dict(charts["by_state"]["rows"])
    assert states["已受理"] == 1 and states["待受理"] == 1
    assert client.get(reverse("command:chart_xlsx", args=[cw.community.pk, "nope"])).status_code == 404
    report = client.get(reverse("command:chart_xlsx", args=[cw.community.pk, "all"]))
    book = load_workbook(io.BytesIO(report.content))
    assert book.sheetnames[0] == "概况" and len(book.sheetnames) == len(charts) + 1


def test_figures_count_population_households_and_floating(cw, submit):
    from gridgov.people.models import Relation
    from gridgov.people.services import floating_register, resident_create

    tenant = resident_create(
        by=SYSTEM,
        name="王小明",
        household=cw.household1,
        relation=Relation.TENANT,
        id_number="420102199001010014",
    )
    floating_register(by=SYSTEM, resident=tenant, household=cw.household1, origin="湖北")
    submit(text="小区门口有人占道经营，堵住了路")
    data = selectors.dashboard(cw.carol, cw.community)
    assert data["registry"]["population"] == 3 and data["registry"]["households"] == 2
    assert data["registry"]["floating"] == 1 and data["registry"]["floating_in"] == 1
    assert data["cases"]["received"] == 1


def test_dashboard_queries_do_not_grow_with_the_cases(client, cw, submit, django_assert_max_num_queries):
    client.force_login(cw.carol)
    url = reverse("command:place", args=[cw.community.pk])
    for _ in range(5):
        submit()
    with django_assert_max_num_queries(50):
        assert client.get(url).status_code == 200
    for _ in range(45):
        submit(place=cw.building2)
    with django_assert_max_num_queries(50):
        assert client.get(url).status_code == 200


def test_map_layers_hide_special_groups_on_the_wall_and_convert_to_the_tiles(client, cw, settings, submit):
    from gridgov.people.models import Tag
    from gridgov.places.services import place_update

    place_update(
        by=SYSTEM,
        place=cw.grid1,
        boundary={
            "type": "Polygon",
            "coordinates": [[[112.98, 28.2], [112.99, 28.2], [112.99, 28.19], [112.98, 28.2]]],
        },
    )
    place_update(by=SYSTEM, place=cw.building1, latitude=28.195, longitude=112.985)
    tag = Tag.objects.first()
    if tag is not None:
        cw.zhang.tags.add(tag)
    submit()
    client.force_login(cw.carol)
    geo = client.get(reverse("command:map_geo", args=[cw.community.pk])).json()
    assert [f["properties"]["name"] for f in geo["areas"]["features"]] == ["第一网格"]
    assert geo["cases"]["features"][0]["geometry"]["coordinates"] == [112.985, 28.195]
    if tag is not None:
        assert geo["special"]["features"][0]["properties"]["households"] == 1
    wall = client.get(reverse("command:map_geo", args=[cw.community.pk]) + "?wall=1").json()
    assert wall["special"]["features"] == []
    settings.GRIDGOV_MAP_TILE_CRS = "gcj02"
    shifted = client.get(reverse("command:map_geo", args=[cw.community.pk])).json()
    lng, lat = shifted["buildings"]["features"][0]["geometry"]["coordinates"]
    assert lng > 112.985 and lat != 28.195


def test_wall_screen_is_its_own_dark_page_that_refreshes(client, cw, settings):
    settings.GRIDGOV_WALL_REFRESH_SECONDS = 45
    client.force_login(cw.sam)
    page = client.get(reverse("command:place", args=[cw.street.pk]) + "?wall=1").content.decode()
    assert '<body class="wall">' in page and 'http-equiv="refresh" content="45"' in page
    assert 'class="sidebar"' not in page
