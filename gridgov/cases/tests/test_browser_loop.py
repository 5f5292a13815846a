"""The core loop in a real headless Chromium: a resident scans a building's QR poster on a phone,
reports a broken lift with a photo and gets a tracking code; the lift is the estate's property
company's (the suggested subcategory 电梯故障 routes it there at once), whose staff find it in the
workbench on a desktop, accept and resolve it; the resident looks the case up with the code and
the last four digits of her phone, sees 已办结 and rates it 5 stars."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from conftest import SCREENSHOT_DIR
from gridgov.cases.tests.factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    # WeChat's built-in browser announces itself like this.
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 "
        "Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F37) NetType/WIFI Language/zh_CN"
    ),
}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
RESIDENT_PHONE = "13912345678"


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-page in a full-page shot
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"cases-public-{name}.png"), full_page=True)


def _context(browser, **options):
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(8000)
    return context


def test_resident_reports_from_a_qr_poster_grid_worker_resolves_resident_rates(
    live_server, cw, chromium, tmp_path, settings
):
    # Everything the database needs is built before the browser starts (see people/test_browser.py).
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    photo = tmp_path / "lift.png"
    photo.write_bytes(png_bytes())
    building1_id = cw.building1.pk

    # 1. Grid worker alice prints the poster of 1栋: the QR code's link is what the resident scans.
    staff = _context(chromium, **DESKTOP)
    desk = staff.new_page()
    desk.goto(f"{base}/accounts/login/")
    desk.fill("#id_username", "alice")
    desk.fill("#id_password", cw.password)
    desk.click("button[type=submit]")
    desk.wait_for_load_state()
    desk.goto(f"{base}/r/posters/{building1_id}/")
    assert desk.locator(".poster svg").count() == 1
    _shot(desk, "0-poster")
    poster_url = re.search(r"(http://\S+/r/p/\S+/)", desk.locator(".poster .url").inner_text()).group(1)
    assert poster_url.startswith(base)

    # 2. The resident opens the link on her phone, anonymously, and reports with a photo.
    resident = _context(chromium, **PHONE)
    phone = resident.new_page()
    phone.goto(poster_url)
    assert "聚江苑 1栋" in phone.locator("#fixed-place").inner_text()
    phone.fill("#id_text", "1栋2单元电梯坏了三天了，老人上下楼很困难，请尽快维修")
    assert phone.locator("#text-count").inner_text() == "27/2000"
    phone.set_input_files("#id_photos", str(photo))
    # Uploaded as soon as it is chosen, shown as a thumbnail.
    expect(phone.locator("#photo-thumbs li[data-photo]")).to_have_count(1, timeout=15000)
    assert phone.locator("#photo-list").inner_text() == "已上传1张照片"
    phone.fill("#id_address_detail", "2单元电梯")
    phone.fill("#id_reporter_phone", RESIDENT_PHONE)
    phone.fill("#id_reporter_name", "王阿姨")
    _shot(phone, "1-report")
    phone.click("#submit-btn")
    phone.wait_for_url(re.compile(r"/r/done/\w+/$"))
    code = phone.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{10}", code)
    assert "查询时还需要您所留手机号的后四位（5678）" in phone.content()
    _shot(phone, "2-done")

    # 3. The property company's Pete finds it in his workbench, accepts it and resolves it.
    staff.close()
    staff = _context(chromium, **DESKTOP)
    desk = staff.new_page()
    desk.goto(f"{base}/accounts/login/")
    desk.fill("#id_username", "pete")
    desk.fill("#id_password", cw.password)
    desk.click("button[type=submit]")
    desk.wait_for_load_state()
    desk.goto(f"{base}/cases/")
    desk.click(f"a:has-text('{code}')")
    desk.wait_for_url(re.compile(r"/cases/\d+/$"))
    assert "电梯坏了三天" in desk.locator(".cs-text").inner_text()
    desk.click("button:has-text('仅受理')")
    desk.wait_for_load_state()
    assert desk.locator(".cs-badge.cs-state-accepted").count() == 1
    desk.click("#act-resolve summary")
    desk.fill("#act-resolve textarea[name=result]", "已联系物业更换电梯控制板，电梯恢复运行")
    desk.click("#act-resolve button[type=submit]")
    desk.wait_for_load_state()
    assert desk.locator(".cs-badge.cs-state-resolved").count() == 1
    staff.close()

    # 4. Days later, in a fresh browser, she looks it up with the code and her phone's last four digits.
    resident.close()
    later = _context(chromium, **PHONE).new_page()
    later.goto(f"{base}/r/t/")
    later.fill("#id_code", code.lower())
    later.fill("#id_last4", "0000")
    later.click("form button[type=submit]")
    assert "查询码或手机号后四位不正确" in later.locator(".r-errors").inner_text()
    later.fill("#id_last4", RESIDENT_PHONE[-4:])
    _shot(later, "3-lookup")
    later.click("form button[type=submit]")
    later.wait_for_url(re.compile(rf"/r/t/{code}/$"))
    assert later.locator("#case-state b").inner_text() == "已办结"
    assert "已联系物业更换电梯控制板" in later.content()
    assert later.locator(".r-photos img").count() == 1
    later.locator(".r-photos img").scroll_into_view_if_needed()  # lazy-loaded
    # Polled from here: wait_for_function evaluates a string in the page, which its CSP forbids.
    photo = later.locator(".r-photos img")
    for _ in range(100):
        if photo.evaluate("img => img.complete"):
            break
        later.wait_for_timeout(100)
    assert photo.evaluate("img => img.naturalWidth") == 1
    timeline = later.locator("#timeline").inner_text()
    assert "已收到您的反映" in timeline and "工作人员已受理" in timeline
    _shot(later, "4-resolved")

    # 5. She rates it 5 stars.
    later.click("#rate-link")
    later.wait_for_url(re.compile(r"/rate/$"))
    later.click("label[for=star5]")
    assert later.locator("#star-text").inner_text() == "5星 · 非常满意"
    later.fill("#id_comment", "修得很快，谢谢网格员")
    _shot(later, "5-rate")
    later.click("form button[type=submit]")
    later.wait_for_url(re.compile(rf"/r/t/{code}/$"))
    assert later.locator(".messages").inner_text().strip() == "感谢您的评价！"
    assert later.locator("#case-state b").inner_text() == "已评价"
    assert later.locator(".r-rated").inner_text() == "★★★★★"
    _shot(later, "6-rated")
