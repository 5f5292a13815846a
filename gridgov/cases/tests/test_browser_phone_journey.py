"""Phone journeys at 390×844 in WeChat's browser: the grid worker's field workbench, and the whole
loop of issue 9 (report with photos → SMS with a one-tap link → handled from the phone → SMS with
the result → rating from its link)."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import AnonymousUser
from playwright.sync_api import expect

from conftest import SCREENSHOT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 "
        "Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F37) NetType/WIFI Language/zh_CN"
    ),
}


def _shot(page, name: str, *, full: bool = False) -> str:
    path = os.path.join(SCREENSHOT_DIR, f"cases-phone-{name}.png")
    page.screenshot(path=path, full_page=full)
    return path


def _login(context, base: str, username: str, password: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _cases_for_alice(cw) -> None:
    from gridgov.cases.models import Channel
    from gridgov.cases.services import case_submit

    texts = [
        "3栋楼道堆放杂物，堵住了消防通道，已经好几天了",
        "小区东门路灯坏了，晚上很黑，老人走路不安全",
        "2栋门口垃圾桶满了没人清理，气味很大",
        "1栋地下车库入口积水，车辆进出困难",
        "小区绿化带有人私自种菜，破坏草坪",
    ]
    for index, text in enumerate(texts):
        case_submit(
            by=AnonymousUser(),
            text=text,
            channel=Channel.RESIDENT_WEB,
            place=cw.building1 if index % 2 else cw.estate1,
            reporter_phone=f"1391234{index:04d}",
        )


def test_phone_workbench(live_server, cw, chromium, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _cases_for_alice(cw)
    context = chromium.new_context(locale="zh-CN", **PHONE)
    context.set_default_timeout(8000)
    page = _login(context, live_server.url, "alice", cw.password)
    page.goto(f"{live_server.url}/cases/")
    _shot(page, "workbench")
    # The header stays on one line (it wrapped to two before), the keyboard help is gone on touch.
    assert page.locator(".topbar").bounding_box()["height"] < 64
    assert page.locator(".topbar .brand").bounding_box()["height"] < 32
    assert page.locator(".cs-kbd-help").is_hidden()
    # Compact cards: alice's whole queue (4) fits on the first screen (under two did before).
    cards = page.locator(".cs-card")
    assert cards.count() == 4
    assert all(cards.nth(i).bounding_box()["height"] < 100 for i in range(4))
    assert cards.nth(3).bounding_box()["y"] + cards.nth(3).bounding_box()["height"] < 844 - 44
    tabbar = page.locator(".m-staff-tabbar")
    assert tabbar.is_visible() and tabbar.inner_text().split() == ["待办", "巡查上报", "走访", "我的"]
    small = page.evaluate(
        """() => [...document.querySelectorAll('.m-staff-tabbar a, .cs-card, .tabs a, .page-head .btn')]
              .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
              .map(el => el.textContent.trim())"""
    )
    assert small == []
    cards.first.click()
    page.wait_for_url(lambda url: "/cases/" in url and url.rstrip("/").split("/")[-1].isdigit())
    _shot(page, "case")
    bar = page.locator("#actbar")
    assert bar.is_visible() and bar.bounding_box()["y"] < 844
    assert page.locator("#bar-accept-start").bounding_box()["height"] >= 44
    page.evaluate("window.scrollTo(0, 600)")
    assert bar.bounding_box()["y"] <= 1  # sticky: the buttons stay under the thumb while reading
    page.goto(f"{live_server.url}/cases/patrol/")
    assert page.locator(".m-staff-tabbar").is_visible() and "我要反映" not in page.content()
    _shot(page, "patrol")
    context.close()


def _in_view(page, selector: str) -> bool:
    return page.locator(selector).first.evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )


def test_report_with_photos_text_link_phone_handling_and_rating(
    live_server, cw, chromium, settings, tmp_path
):
    import re

    from gridgov.cases.tests.factories import png_bytes
    from gridgov.notifications.channels import LocmemSmsBackend

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDGOV_SMS_BACKEND = "gridgov.notifications.channels.LocmemSmsBackend"
    settings.GRIDGOV_PUBLIC_URL = live_server.url
    LocmemSmsBackend.outbox.clear()
    base = live_server.url
    photos = []
    for name in ("stairs.png", "door.png"):
        path = tmp_path / name
        path.write_bytes(png_bytes())
        photos.append(str(path))
    building = cw.building1.pk
    phone_number = "13912345678"

    # 1. The resident reports with two photos; they upload at once and show as thumbnails.
    resident = chromium.new_context(locale="zh-CN", **PHONE)
    resident.set_default_timeout(8000)
    page = resident.new_page()
    page.goto(f"{base}/r/new/")
    page.select_option("#id_place", str(building))
    page.fill("#id_text", "3栋楼道堆放了很多纸箱杂物，堵住了消防通道，很危险")
    page.set_input_files("#id_photos", photos)
    # Locators rather than wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("#photo-thumbs li[data-photo]")).to_have_count(2, timeout=15000)
    assert page.locator("#photo-list").inner_text() == "已上传2张照片"
    # 2. A digit short: the form says so at the top and puts the cursor in the field.
    page.fill("#id_reporter_phone", phone_number[:-1])
    page.click("#submit-btn")
    assert page.locator("#error-summary").is_visible()
    assert "手机号应为11位，当前为10位" in page.locator("#error-summary").inner_text()
    assert page.evaluate("document.activeElement.id") == "id_reporter_phone"
    _shot(page, "1-report-error")
    # 3. Fixed without choosing the photos again.
    page.fill("#id_reporter_phone", phone_number)
    assert page.locator("#photo-thumbs li[data-photo]").count() == 2
    _shot(page, "2-report-fixed", full=True)
    page.click("#submit-btn")
    page.wait_for_url(re.compile(r"/r/done/\w+/$"))
    code = page.locator("#tracking-code").inner_text().strip()
    _shot(page, "3-done")
    resident.close()

    # 4. The text arrives (the backend's outbox; the stored message is the log) with a one-tap link.
    received = [m for m in LocmemSmsBackend.outbox if code in m["text"]]
    assert len(received) == 1 and received[0]["phone"] == phone_number
    link = re.search(r"(http://\S+/r/t/\w+/\?k=\S+)", received[0]["text"]).group(1)
    later = chromium.new_context(locale="zh-CN", **PHONE)
    later.set_default_timeout(8000)
    page = later.new_page()
    page.goto(link)
    page.wait_for_url(re.compile(rf"/r/t/{code}/$"))
    assert "已收到您的反映" in page.locator("#case-state").inner_text()
    assert page.locator("#photos-report img").count() == 2
    _shot(page, "4-tracked-from-text")

    # 5. The grid worker handles it from her phone: open the case, then at most six taps.
    staff = chromium.new_context(locale="zh-CN", **PHONE)
    staff.set_default_timeout(8000)
    desk = _login(staff, base, "alice", cw.password)
    desk.goto(f"{base}/cases/")
    desk.locator(".cs-card:has-text('堵住了消防通道')").first.click()
    desk.wait_for_url(re.compile(r"/cases/\d+/$"))
    assert desk.locator("kbd").first.is_hidden()
    _shot(desk, "5-case")
    taps = 0
    desk.click("#bar-accept-start")
    taps += 1
    desk.wait_for_load_state()
    assert "已受理并开始处置" in desk.locator(".messages").inner_text() and _in_view(desk, ".messages")
    assert desk.locator(".cs-badge.cs-state-in_progress").count() == 1
    _shot(desk, "6-accepted")
    desk.click("#bar-resolve")
    taps += 1
    assert desk.evaluate("document.activeElement.name") == "result"
    desk.keyboard.type("纸箱杂物已清运，消防通道恢复畅通")
    _shot(desk, "7-resolve-form")
    desk.click("#act-resolve button[type=submit]")
    taps += 1
    desk.wait_for_load_state()
    assert taps <= 6
    message = desk.locator(".messages").inner_text()
    assert "已办结，已短信通知反映人" in message and _in_view(desk, ".messages")
    _shot(desk, "8-resolved")
    staff.close()

    # 6. The result arrives by text with a link to rate; she rates from it.
    resolved = [m for m in LocmemSmsBackend.outbox if "已办结" in m["text"]]
    assert len(resolved) == 1 and "纸箱杂物已清运" in resolved[0]["text"]
    rate_link = re.search(r"(http://\S+/r/t/\w+/rate/\?k=\S+)", resolved[0]["text"]).group(1)
    page.goto(rate_link)
    page.wait_for_url(re.compile(rf"/r/t/{code}/rate/$"))
    page.click("form button[type=submit]")  # no star yet: the page asks for one
    assert "请选择评分" in page.content()
    page.click("label[for=star5]")
    assert page.locator(".field-error:has-text('请选择评分')").count() == 0
    assert page.locator("#star-text").inner_text() == "5星 · 非常满意"
    _shot(page, "9-rate")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(rf"/r/t/{code}/$"))
    assert page.locator("#case-state b").inner_text() == "已评价"
    assert page.content().count("纸箱杂物已清运，消防通道恢复畅通") == 1
    _shot(page, "10-rated", full=True)
    later.close()


def test_the_search_shortcut_works_from_every_workbench_tab(live_server, cw, chromium, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _cases_for_alice(cw)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(8000)
    page = _login(context, live_server.url, "carol", cw.password)
    for tab in ("my", "dispatch", "overdue"):
        page.goto(f"{live_server.url}/cases/?tab={tab}")
        page.keyboard.press("/")
        expect(page.locator("#id_q")).to_be_focused()
        assert "tab=all" in page.url
    _shot(page, "desktop-search-shortcut")
    context.close()
