"""The community online in a real headless Chromium, at phone size: a resident of 8栋 reads a
notice addressed to her building and confirms it while the grid worker's unread list shrinks;
she signs up for a full activity, lands on the waiting list, moves up when a neighbour cancels,
and is checked in by her service card's QR code; a grid worker turns her forum topic into a case."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from conftest import SCREENSHOT_DIR
from gridgov.activities import services as acts
from gridgov.activities.tests.conftest import make_activity
from gridgov.bulletin import services as bulletin
from gridgov.bulletin.models import Column
from gridgov.core import clock
from gridgov.forum import services as forum
from gridgov.people.services import card_qr_payload

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
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"community-{name}.png"), full_page=True)


def _login(browser, base: str, username: str, password: str, options: dict):
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(20000)  # the shared CI machine can be slow
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_notice_receipt_waiting_list_qr_checkin_and_topic_to_case(live_server, world, neighbours, chromium):
    # Everything the database needs is built before the browser starts.
    base = live_server.url
    notice = bulletin.notice_save(
        by=world.carol,
        column=Column.objects.get(name="通知公告"),
        place=world.community,
        title="8栋燃气安全入户检查",
        summary="本周四网格员入户检查燃气，请家中留人",
        body_html="<p>检查约需10分钟，<strong>请确认已读</strong>。</p>",
        targets=[world.building2],
        needs_receipt=True,
    )
    bulletin.notice_publish(by=world.carol, notice=notice)
    activity = make_activity(
        world, title="太极拳体验课", capacity=1, starts_at=clock.now() + dt.timedelta(minutes=15)
    )
    acts.signup_create(by=neighbours["wang"], activity=activity)
    card = card_qr_payload(world.li)
    board = forum.board_save(by=world.carol, place=world.community, name="邻里议事厅", hold_first_posts=0)
    password = world.password

    # 1. The grid worker of grid 2 sees the four unread households of 8栋 (李秀英 and three neighbours).
    desk = _login(chromium, base, "bob", password, DESKTOP)
    desk.goto(f"{base}/bulletin/staff/{notice.pk}/")
    assert desk.locator("#unread-total").inner_text() == "4"
    _shot(desk, "1-unread-before")

    # 2. The resident reads the notice on her phone and confirms it.
    phone = _login(chromium, base, "erin", password, PHONE)
    phone.goto(f"{base}/bulletin/")
    phone.click("text=8栋燃气安全入户检查")
    assert "请家中留人" in phone.locator("#notice").inner_text()
    _shot(phone, "2-notice")
    phone.click("#confirm")
    assert "您已确认阅读" in phone.locator("#confirmed").inner_text()
    _shot(phone, "3-confirmed")
    phone.goto(f"{base}/bulletin/")
    assert "已确认" in phone.locator("#notices").inner_text()
    _shot(phone, "3b-notice-list")

    # 3. The grid worker's list shrinks.
    desk.reload()
    assert desk.locator("#unread-total").inner_text() == "3"
    assert "李秀英" not in desk.locator("#receipts").inner_text()
    _shot(desk, "4-unread-after")

    # 4. The activity is full: she goes onto the waiting list.
    phone.goto(f"{base}/activities/a/{activity.pk}/")
    phone.click("#signup")
    assert "候补中：第1位" in phone.locator("#signup-state").inner_text()
    _shot(phone, "5-waiting")

    # 5. Her neighbour cancels; she moves up by herself.
    other = _login(chromium, base, "wang", password, PHONE)
    other.goto(f"{base}/activities/a/{activity.pk}/")
    other.click("#cancel")
    phone.reload()
    assert phone.locator("#signup-state").inner_text() == "报名成功"
    _shot(phone, "6-moved-up")
    phone.goto(f"{base}/activities/?view=mine")
    assert "太极拳体验课" in phone.locator("main").inner_text()
    _shot(phone, "6b-my-calendar")
    phone.goto(f"{base}/activities/a/{activity.pk}/")

    # 6. At the door the organiser scans her service card.
    organiser = _login(chromium, base, "carol", password, DESKTOP)
    organiser.goto(f"{base}/activities/staff/a/{activity.pk}/")
    organiser.fill("#id_payload", card)
    organiser.click("#checkin-form button")
    assert "李秀英 签到成功" in organiser.locator(".messages").inner_text()
    _shot(organiser, "7-checkin-desk")
    phone.reload()
    assert "已签到" in phone.locator("#signup-state").inner_text()
    assert phone.locator("#signup").count() == 0 and phone.locator("#cancel").count() == 0
    _shot(phone, "8-checked-in")

    # 7. She posts about a neighbour dispute; the grid worker turns it into a case.
    phone.goto(f"{base}/forum/b/{board.pk}/")
    phone.fill("#id_title", "楼上装修噪音太大")
    phone.fill("#id_body", "每天早上七点就开始砸墙，沟通无果，请社区协调")
    phone.click("#new-topic button")
    assert "楼上装修噪音太大" in phone.locator("#topic").inner_text()
    topic_url = phone.url
    desk.goto(topic_url)
    assert "李秀英" in desk.locator("#identity").inner_text()
    desk.click("#to-case")
    assert "已转为事件办理" in desk.locator("#case-link").inner_text()
    _shot(desk, "9-topic-to-case")
    phone.reload()
    assert "已转为事件办理" in phone.locator("#case-link").inner_text()
    assert "李秀英" not in phone.locator("#topic").inner_text()
    _shot(phone, "10-topic-case-phone")
