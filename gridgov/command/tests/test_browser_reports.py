"""The monthly report and the task photos in a real headless Chromium: the community's printable
月报 at 1440×900 (and as printed), and a grid worker photographing a household on the phone with
the network off, the photo reaching the sender's progress view once the signal is back."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.utils import timezone

from conftest import SCREENSHOT_DIR
from gridgov.cases.tests.test_browser_loop import PHONE
from gridgov.command import services
from gridgov.command.tests.test_browser_command import WIDE, _login
from gridgov.command.tests.test_reports import month_world  # noqa: F401  (fixture reused by name)
from gridgov.command.tests.test_task_photos import _png

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHOTS = "/tmp/shots"


def _shot(page, name: str, *, full: bool = True) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    path = os.path.join(SCREENSHOT_DIR, f"command-{name}.png")
    page.screenshot(path=path, full_page=full)
    os.makedirs(SHOTS, exist_ok=True)
    shutil.copy(path, os.path.join(SHOTS, f"{name}.png"))


def test_the_community_prints_its_monthly_report(live_server, month_world, chromium):  # noqa: F811
    w = month_world
    base = live_server.url
    community = w.community.pk
    context, page = _login(chromium, base, "carol", w.password, **WIDE)
    page.goto(f"{base}/command/reports/")
    assert page.locator("#id_place option").count() == 3
    page.select_option("#id_place", str(community))
    page.fill("#id_month", timezone.localdate().strftime("%Y-%m"))
    page.fill("#id_focus", "一、开展冬季消防安全入户检查\n二、走访独居老人，落实帮扶")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#report h1")).to_have_text("金泰路社区网格化服务管理工作月报")
    expect(page.locator("table[data-table=cases_total] td").nth(1)).to_have_text("3")
    assert page.locator("#report svg.report-chart").count() == 2
    assert page.locator("#report-xlsx").get_attribute("href").startswith("/command/reports/report.xlsx?")
    _shot(page, "report-month")
    page.locator("#report .report-charts").screenshot(path=os.path.join(SHOTS, "report-month-charts.png"))
    # As printed: no menu, no form, only the sheet.
    page.emulate_media(media="print")
    assert not page.locator("#report-form").is_visible() and not page.locator("nav.sidebar").is_visible()
    assert page.locator("#report").is_visible()
    _shot(page, "report-month-print")
    page.emulate_media(media="screen")
    # A bad period says what is wrong, next to the field.
    page.goto(f"{base}/command/reports/?place={community}&period=custom&since=2026-02-01&until=2026-01-01")
    expect(page.locator(".badge-bad")).to_have_text("结束日期不能早于开始日期")
    context.close()


def test_a_worker_photographs_a_household_offline_and_the_sender_sees_it(
    live_server, cw, chromium, settings, tmp_path
):
    settings.GRIDGOV_TASK_POLL_SECONDS = 1
    settings.DATA_DIR = tmp_path
    task = services.task_send(
        by=cw.carol,
        place=cw.community,
        title="燃气安全入户检查",
        checklist=["燃气报警器正常"],
        deadline=timezone.now() + dt.timedelta(days=3),
        photo_asked=True,
    )
    picture = tmp_path / "meter.png"
    picture.write_bytes(_png())
    base = live_server.url
    desk_context, desk = _login(chromium, base, "carol", cw.password, **WIDE)
    desk.goto(f"{base}/command/tasks/{task.pk}/")
    expect(desk.locator("#photo-count")).to_have_text("共0张")

    phone_context, phone = _login(chromium, base, "alice", cw.password, **PHONE)
    phone.goto(f"{base}/command/my-tasks/{task.pk}/")
    row = phone.locator(".task-item").first
    row.locator("input[type=checkbox]").check()
    row.locator("button[data-outcome=home]").click()  # no photo yet: refused on the phone
    expect(row.locator(".item-error")).to_have_text("这项任务要求入户拍照，请先拍照再登记")
    phone_context.set_offline(True)
    row.locator("input[type=file]").set_input_files(str(picture))
    expect(row.locator(".photo-count")).to_have_text("已拍1张（1张待上传）")
    row.locator("button[data-outcome=home]").click()
    assert row.locator(".item-state").inner_text() == "在家（待上传）"
    expect(phone.locator("#sync-status")).to_contain_text("有2条记录未上传")
    _shot(phone, "phone-photo-offline")
    phone_context.set_offline(False)
    expect(row.locator(".item-state")).to_have_text("在家", timeout=10000)
    expect(row.locator(".photo-count")).to_have_text("已拍1张")
    expect(phone.locator("#sync-status")).to_have_text("已全部上传")
    _shot(phone, "phone-photo-synced")

    expect(desk.locator("#photo-count")).to_have_text("共1张", timeout=10000)
    expect(desk.locator("#progress-count")).to_have_text("1/2")
    image = desk.locator("#task-photos img").first
    expect(image).to_be_visible()
    # The image decodes (served from its sealed file): poll, the CSP forbids wait_for_function.
    for _ in range(50):
        if desk.evaluate("(document.querySelector('#task-photos img') || {}).naturalWidth || 0") == 1:
            break
        desk.wait_for_timeout(100)
    assert desk.evaluate("document.querySelector('#task-photos img').naturalWidth") == 1
    _shot(desk, "task-photos")
    phone_context.close()
    desk_context.close()
