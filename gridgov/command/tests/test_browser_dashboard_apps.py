"""The dashboards with the other apps' panels in a real headless Chromium: the street's wall at
1920×1080 (and 4K) still fits without scrolling, its two turn-taking cards drawing each app's
chart in turn; the community's PC dashboard at 1440×900 with the 民生服务 section and a custom
period chosen in the date fields. Screenshots go to /tmp/shots/."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from gridgov.command import views
from gridgov.command.tests.test_browser_command import WALL, WIDE, _login, mapped  # noqa: F401
from gridgov.command.tests.test_dashboard_apps import (
    NOW,
    _activity,
    _consultation,
    _dispute,
    _hours,
    _order,
    _patrol,
    _plan,
    _visit,
)
from gridgov.core import clock

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = "/tmp/shots"


def _shot(page, name: str, *, full: bool = False) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=full)


def _fits(page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollHeight <= window.innerHeight + 1"
            " && document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


@pytest.fixture
def busy(mapped):  # noqa: F811  (the fixture imported above)
    w = mapped
    for days in (1, 3, 6, 12, 20):
        at = NOW - dt.timedelta(days=days)
        _order(w.zhang, at, rating=5)
        _order(w.li, at, rating=3 if days % 2 else 5)
        _order(w.li, at, state="open")
        _hours(w.zhang, at, "2")
        _patrol(w.household1 if days % 2 else w.household2, w.grid1 if days % 2 else w.grid2, w.alice, at)
        _activity(w.grid1 if days % 2 else w.grid2, at, signups=12 + days, attended=9 + days // 2)
        _dispute(
            w.building1 if days % 2 else w.building2, at.date(), outcome="success" if days % 3 else "failed"
        )
    _dispute(w.building2, NOW.date(), status="mediating")
    _visit(_plan(w.zhang), w.alice, NOW - dt.timedelta(days=2))
    _visit(_plan(w.li), w.bob, NOW - dt.timedelta(days=4), on_time=False)
    _consultation(w.estate1, NOW - dt.timedelta(days=5), [w.household1], [])
    _activity(w.community, NOW - dt.timedelta(days=8), signups=30, attended=26)
    return w


def test_wall_fits_with_the_new_panels_and_the_pc_dashboard_shows_them(
    live_server, busy, chromium, monkeypatch
):
    monkeypatch.setattr(views, "WALL_ROTATE_SECONDS", 3)
    w = busy
    base = live_server.url
    street_id, community_id, grid1_id = w.street.pk, w.community.pk, w.grid1.pk

    # The street's wall at 1920×1080: still one screen, the turn-taking cards drawn.
    context, wall = _login(chromium, base, "sam", w.password, **WALL)
    wall.goto(f"{base}/command/place/{street_id}/?wall=1")
    wall.wait_for_selector("#grid-map[data-ready='1']")
    for name in ("services", "activities", "calls", "trend_day"):
        expect(wall.locator(f"[data-chart={name}] canvas").first).to_be_attached()
    assert wall.locator("#kpi-services b").inner_text() == "10"
    assert wall.locator("#kpi-services small").inner_text() == "共受理15单"
    # One strip: every headline figure on one line, none wrapped under another.
    tops = wall.evaluate(
        "[...document.querySelectorAll('#kpis .kpi')].map(e => e.getBoundingClientRect().top)"
    )
    assert len(tops) == 12 and len(set(tops)) == 1
    assert wall.evaluate(
        "[...document.querySelectorAll('#kpis .kpi b')].every(e => e.scrollWidth <= e.clientWidth + 1)"
    )
    assert _fits(wall)
    assert wall.locator("#rotate-services").get_attribute("data-showing") == "services"
    # Every panel lies inside the screen (nothing pushed below the fold).
    bottom = wall.evaluate(
        "Math.max(...[...document.querySelectorAll('.wall-card')].map(e => e.getBoundingClientRect().bottom))"
    )
    assert bottom <= 1080
    _shot(wall, "wall-street-apps")
    # The cards take turns: the next chart comes up by itself.
    expect(wall.locator("#rotate-services")).to_have_attribute("data-showing", "care", timeout=8000)
    expect(wall.locator("#rotate-community")).to_have_attribute("data-showing", "consult", timeout=8000)
    _shot(wall, "wall-street-apps-turned")
    # A grid's wall: one row per app chart, same layout.
    wall.goto(f"{base}/command/place/{grid1_id}/?wall=1")
    wall.wait_for_selector("#grid-map[data-ready='1']")
    expect(wall.locator("[data-chart=services] canvas").first).to_be_attached()
    assert _fits(wall)
    _shot(wall, "wall-grid1-apps")
    context.close()

    context, uhd = _login(chromium, base, "sam", w.password, viewport={"width": 3840, "height": 2160})
    uhd.goto(f"{base}/command/place/{street_id}/?wall=1")
    uhd.wait_for_selector("#grid-map[data-ready='1']")
    expect(uhd.locator("[data-chart=services] canvas").first).to_be_attached()
    assert _fits(uhd)
    _shot(uhd, "wall-street-apps-4k")
    context.close()

    # The community's PC dashboard at 1440×900: the 民生服务 section under the case charts.
    context, page = _login(chromium, base, "carol", w.password, **WIDE)
    page.goto(f"{base}/command/place/{community_id}/")
    page.wait_for_selector("#grid-map[data-ready='1']")
    for name in ("services", "care", "patrol", "activities", "consult", "mediation"):
        expect(page.locator(f"[data-chart={name}] canvas").first).to_be_attached()
    assert page.locator("#app-kpis .kpi").count() >= 8
    _shot(page, "dashboard-community-apps", full=True)
    _shot(page, "dashboard-community-apps-top")
    # A custom period from the date fields: the label and the figures follow it.
    today = clock.today()
    first = today - dt.timedelta(days=7)
    page.fill("#period-form input[name=from]", first.isoformat())
    page.fill("#period-form input[name=to]", today.isoformat())
    page.click("#period-form button[type=submit]")
    expect(page.locator("#period-label")).to_have_text(f"{first.isoformat()}至{today.isoformat()}")
    expect(page.locator("[data-chart=services] canvas").first).to_be_attached()
    assert page.locator("#kpi-services b").inner_text() == "9 / 6"
    # A wrong range is refused in Chinese, beside the fields.
    page.fill("#period-form input[name=from]", today.isoformat())
    page.fill("#period-form input[name=to]", first.isoformat())
    page.click("#period-form button[type=submit]")
    expect(page.locator("#period-errors")).to_contain_text("开始日期不能晚于结束日期")
    _shot(page, "dashboard-period-error")
    context.close()
