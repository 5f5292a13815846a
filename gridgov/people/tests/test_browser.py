"""The registry journey in a real headless Chromium, on a phone-sized screen (grid workers use
WeChat's browser in the field): find a household, register a floating resident, see the masked ID;
then a resident of the other grid fails to see that person."""

from __future__ import annotations

import os
import re

import pytest

from conftest import SCREENSHOT_DIR
from gridgov.core.validation import id_check_char

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEWCOMER_ID = "43052419950612002" + id_check_char("43052419950612002")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _login(browser, base_url: str, username: str, password: str):
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} 登录失败"
    return context, page


def _shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"people-{name}.png"), full_page=True)


def test_grid_worker_registers_a_floating_resident_and_another_grid_cannot_see_them(
    live_server, world, chromium
):
    # `world` is built before the browser starts, and the test below checks only what the browser
    # shows: ORM calls from inside Playwright's greenlet would open a connection nobody closes.
    base = live_server.url

    # 1. Grid worker alice finds household 101 through the search box.
    context, page = _login(chromium, base, "alice", world.password)
    page.goto(f"{base}/people/")
    page.fill("#id_q", "101")
    page.click("form.search-form button[type=submit]")
    page.wait_for_load_state()
    _shot(page, "1-search")
    page.click(f"text={world.household1.address}")
    page.wait_for_url(re.compile(r"/people/household/\d+/$"))
    assert page.locator("h1").inner_text().startswith(world.household1.address)
    _shot(page, "2-household")

    # 2. She registers a newcomer there as floating population.
    page.click("text=登记流动人口")
    page.wait_for_url(re.compile(r"/people/floating/register/\?household="))
    page.fill("#id_name", "赵打工")
    page.fill("#id_id_number", NEWCOMER_ID)
    page.fill("#id_phone", "15800001234")
    page.fill("#id_origin", "湖南省邵阳市")
    page.select_option("#id_reason", "work")
    page.fill("#id_employer", "聚江苑物业")
    page.fill("#id_expected_until", "2099-12-31")
    _shot(page, "3-floating-form")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/people/\d+/$"))
    resident_url = page.url

    # 3. Their page shows the masked ID number, never the full one, the status 流动 and the stay.
    body = page.content()
    assert "流动" in page.locator("h1").inner_text()
    registrations = page.locator("section", has_text="流动人口登记").inner_text()
    assert "湖南省邵阳市" in registrations and "在册" in registrations and "2099-12-31" in registrations
    assert world.household1.address in page.locator("section", has_text="所在户").inner_text()
    assert "*" * 14 + NEWCOMER_ID[-4:] in body
    assert NEWCOMER_ID not in body
    assert page.locator(".messages .success").inner_text() == "已登记流动人口赵打工"
    assert "显示完整信息" not in body  # a grid worker may not reveal
    _shot(page, "4-resident")
    page.click("text=服务卡")
    page.wait_for_url(re.compile(r"/card/$"))
    assert page.locator(".qr svg").count() == 1
    _shot(page, "4b-card")
    # The same pages on the office PC.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base}/people/household/{world.household1.pk}/")
    assert "赵打工" in page.locator("main").inner_text()
    _shot(page, "4c-household-desktop")
    context.close()

    # 4. Erin, a resident of grid 2, cannot open that page nor find the person.
    context, page = _login(chromium, base, "erin", world.password)
    response = page.goto(resident_url)
    assert response.status == 404
    assert "赵打工" not in page.content()
    _shot(page, "5-erin-404")
    page.goto(f"{base}/people/?q=赵打工")
    assert "赵打工" not in page.locator("main").inner_text()
    assert "没有找到符合条件的居民" in page.content()
    _shot(page, "6-erin-search")
    context.close()
