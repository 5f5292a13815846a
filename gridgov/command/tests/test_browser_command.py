"""The command centre in a real headless Chromium (issue 13): every role's home page at its
device size; the street administrator's wall screen at 1920×1080, a click on a grid of the map
landing on that grid's dashboard; a grid worker ticking households off a door-to-door task on
the phone, one of them with the network off, and the street's progress bar moving."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from conftest import SCREENSHOT_DIR
from gridgov.accounts.scope import SYSTEM
from gridgov.cases.tests.test_browser_loop import PHONE, _context
from gridgov.command import services
from gridgov.places.services import household_create, place_update

# Imported here, after the others: without Playwright the module is skipped, not broken.
expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDE = {"viewport": {"width": 1440, "height": 900}}
WALL = {"viewport": {"width": 1920, "height": 1080}}


def _shot(page, name: str, *, full: bool = True) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"command-{name}.png"), full_page=full)


def _login(browser, base: str, username: str, password: str, **options):
    context = _context(browser, **options)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def _box(west: float, north: float, east: float, south: float) -> dict:
    ring = [[west, north], [east, north], [east, south], [west, south], [west, north]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def mapped(cw, submit):
    """Boundaries for both grids and estates, building points, cases in both grids, more homes."""
    place_update(by=SYSTEM, place=cw.grid1, boundary=_box(112.980, 28.200, 112.990, 28.190))
    place_update(by=SYSTEM, place=cw.grid2, boundary=_box(112.990, 28.200, 113.000, 28.190))
    place_update(by=SYSTEM, place=cw.estate1, boundary=_box(112.982, 28.198, 112.988, 28.192))
    place_update(by=SYSTEM, place=cw.estate2, boundary=_box(112.992, 28.198, 112.998, 28.192))
    place_update(by=SYSTEM, place=cw.building1, latitude=28.195, longitude=112.985)
    place_update(by=SYSTEM, place=cw.building2, latitude=28.195, longitude=112.995)
    for room in ("102", "201", "202"):
        household_create(by=SYSTEM, place=cw.building1, room=room)
    for days in (0, 1, 3, 8, 15):
        submit(now=timezone.now() - dt.timedelta(days=days))
        submit(place=cw.building2, text="8栋楼道灯坏了好几天", now=timezone.now() - dt.timedelta(days=days))
    task = services.task_send(
        by=cw.carol,
        place=cw.community,
        title="冬季消防安全入户检查",
        checklist=["灭火器在有效期内", "电动车未在楼道充电"],
        deadline=timezone.now() + dt.timedelta(days=3),
    )
    cw.task = task
    return cw


def test_every_role_opens_its_home_page_at_its_device_size(live_server, mapped, chromium):
    w = mapped
    base = live_server.url
    for username, options, marker in [
        ("alice", PHONE, "#home-urgent"),
        ("carol", WIDE, "#home-ranking"),
        ("sam", WIDE, "#home-intake"),
        ("wang", WIDE, "#home-calls"),
        ("pete", WIDE, "#home-queue"),
        ("erin", PHONE, "#home-reports"),
    ]:
        context, page = _login(chromium, base, username, w.password, **options)
        page.goto(f"{base}/")
        assert page.locator(marker).count() == 1, username
        if username in ("carol", "sam"):
            expect(page.locator("[data-chart=trend_day] canvas").first).to_be_attached()
        _shot(page, f"home-{username}")
        if username == "carol":
            # The community's dashboard on the PC; clicking grid 2's bar drills down to it.
            page.goto(f"{base}/command/place/{w.community.pk}/")
            expect(page.locator("[data-chart=by_child] canvas").first).to_be_attached()
            page.wait_for_selector("#grid-map[data-ready='1']")
            _shot(page, "dashboard-community")
            page.goto(f"{base}/command/map/{w.community.pk}/boundaries/")
            page.wait_for_selector("#grid-map[data-ready='1']")
            assert page.locator("#warning-list li").first.inner_text() == "每栋楼都恰好落在一个网格内"
            # Redraw grid 2 narrower, leaving 8栋 outside: the save answers with the warning.
            page.select_option("#area-choice", label="网格 · 第二网格")
            page.click("#edit-start")
            corners = page.evaluate(
                "[[28.199, 112.991], [28.199, 112.993], [28.191, 112.993], [28.191, 112.991]].map("
                "function (p) { var q = window.gridgovMap.latLngToContainerPoint(p); return [q.x, q.y]; })"
            )
            for x, y in corners:
                page.locator("#grid-map").click(position={"x": x, "y": y})
            page.click("#edit-save")
            expect(page.locator("#edit-status")).to_have_text("已保存第二网格的边界")
            assert page.locator("#warning-list li").first.inner_text() == "鸿江苑8栋不在任何网格的边界内"
            _shot(page, "boundaries-community")
        context.close()


def test_street_wall_screen_click_a_grid_and_tick_off_households_offline(
    live_server, mapped, chromium, settings
):
    settings.GRIDGOV_TASK_POLL_SECONDS = 1
    w = mapped
    base = live_server.url
    street_id, grid1_id, task_id = w.street.pk, w.grid1.pk, w.task.pk

    # 1. The street's wall screen at 1920×1080: dark, filled, no scrolling, charts and the map drawn.
    wall_context, wall = _login(chromium, base, "sam", w.password, **WALL)
    wall.goto(f"{base}/command/place/{street_id}/?wall=1")
    wall.wait_for_selector("#grid-map[data-ready='1']")
    expect(wall.locator("[data-chart=calls] canvas").first).to_be_attached()
    assert wall.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    assert wall.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 18, 32)"
    _shot(wall, "wall-street", full=False)
    # 2. A click on grid 1 of the map opens grid 1's dashboard, still on the wall.
    wall.locator('path[data-grid="第一网格"]').click()
    wall.wait_for_url(f"**/command/place/{grid1_id}/?wall=1**")
    assert "第一网格 · 指挥中心" in wall.locator("h1").inner_text()
    wall.wait_for_selector("#grid-map[data-ready='1']")
    _shot(wall, "wall-grid1", full=False)
    wall_context.close()
    # The same wall on a 4K screen: everything scales with the viewport, still no scrolling.
    uhd_context, uhd = _login(chromium, base, "sam", w.password, viewport={"width": 3840, "height": 2160})
    uhd.goto(f"{base}/command/place/{street_id}/?wall=1")
    uhd.wait_for_selector("#grid-map[data-ready='1']")
    expect(uhd.locator("[data-chart=calls] canvas").first).to_be_attached()
    assert uhd.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    _shot(uhd, "wall-street-4k", full=False)
    uhd_context.close()

    # 3. The street watches the task's progress live.
    desk_context, desk = _login(chromium, base, "sam", w.password, **WIDE)
    desk.goto(f"{base}/command/tasks/{task_id}/")
    assert desk.locator("#progress-count").inner_text() == "0/5"
    _shot(desk, "task-progress-before")

    # 4. Alice ticks households off on her phone: one online, one with the network off.
    phone_context, phone = _login(chromium, base, "alice", w.password, **PHONE)
    phone.goto(f"{base}/command/my-tasks/{task_id}/")
    rows = phone.locator(".task-item")
    assert rows.count() == 4
    first = rows.nth(0)
    first.locator("input[type=checkbox]").nth(0).check()
    first.locator("input[type=checkbox]").nth(1).check()
    first.locator("button[data-outcome=home]").click()
    # The status line also reads 已全部上传 before the first tap: wait for the row itself.
    expect(first.locator(".item-state")).to_have_text("在家", timeout=10000)
    expect(phone.locator("#sync-status")).to_have_text("已全部上传", timeout=10000)
    phone_context.set_offline(True)
    second = rows.nth(1)
    second.locator("button[data-outcome=away]").click()
    assert second.locator(".item-state").inner_text() == "不在家（待上传）"
    expect(phone.locator("#sync-status")).to_contain_text("未上传")
    assert phone.evaluate("JSON.parse(localStorage.getItem('gridgov.command.ticks')).length") == 1
    _shot(phone, "phone-offline-tick")
    expect(desk.locator("#progress-count")).to_have_text("1/5", timeout=10000)
    phone_context.set_offline(False)
    expect(second.locator(".item-state")).to_have_text("不在家", timeout=10000)
    expect(phone.locator("#sync-status")).to_have_text("已全部上传", timeout=10000)
    assert phone.locator("#done-count").inner_text() == "2"
    _shot(phone, "phone-synced")

    # 5. The street's progress bar moves by itself (htmx polling).
    expect(desk.locator("#progress-count")).to_have_text("2/5", timeout=10000)
    # htmx keeps the old style on an element with the same id until the swap settles, so the bar
    # reads 20% for a moment after the count reads 2/5: wait for it rather than read it.
    expect(desk.locator("#progress-bar")).to_have_attribute("style", "width:40%")
    assert desk.locator('tr[data-grid="第一网格"] td').nth(1).inner_text() == "2/4"
    _shot(desk, "task-progress-after")
    # 6. Reloading the phone keeps both answers (the server has them, not only the browser).
    phone.reload()
    assert phone.locator(".task-item.done").count() == 2
    phone_context.close()
    desk_context.close()
