"""On a PC in a real headless Chromium: staff at the 党员谈心室 log a walk-in about noise, turn it
into a mediation case in one tap, assign a mediator the pool proposes, record a session, close it
as 调解成功 and print the 人民调解协议书 as a PDF (saved beside the screenshots to look at)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from conftest import SCREENSHOT_DIR
from gridgov.accounts.scope import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}


def _shot(page, name):
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"desks-mediation-{name}.png"), full_page=True)


def test_walkin_about_noise_to_printed_agreement(live_server, world, chromium):
    from gridgov.core import clock
    from gridgov.desks import services as desks
    from gridgov.mediation import services as mediation

    desk = desks.desk_create(
        by=SYSTEM, place=world.community, kind="talk_room", name="党员谈心室", hours="工作日 9:00-17:00"
    )
    desks.slot_add(
        by=SYSTEM,
        desk=desk,
        weekday=clock.today().weekday(),
        starts=dt.time(9),
        ends=dt.time(17),
        person="刘书记",
        role_note="党员",
    )
    mediation.mediator_create(
        by=SYSTEM, place=world.community, name="王德福", kind="elder", specialities=["neighbour"]
    )
    mediation.mediator_create(
        by=SYSTEM, place=world.community, name="陈律师", kind="lawyer", specialities=["tenancy"]
    )
    base = live_server.url

    context = chromium.new_context(locale="zh-CN", **DESKTOP)
    context.set_default_timeout(10000)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/desks/{desk.pk}/")
    page.fill("#visitor", "张建国")
    page.check("input[name=topic][value=dispute]")
    page.fill("#summary", "楼上201装修噪音，晚上十点还在施工，多次沟通无果")
    page.check("input[name=handling][value=passed]")
    page.click("#walkin-form button[type=submit]")
    assert "来访已登记" in page.inner_text(".messages")
    _shot(page, "1-walkin")

    page.fill("form.to-mediation input[name=respondent]", "201住户")
    page.click("form.to-mediation button")
    assert "已转为调解案件" in page.inner_text(".messages")
    assert "接待窗口来访" in page.inner_text(".kv")
    # The elder, a specialist in neighbour disputes, is proposed first.
    first = page.locator("table tbody tr").first
    assert "王德福" in first.inner_text() and "擅长相邻关系" in first.inner_text()
    first.locator("button:has-text('指派')").click()
    assert "王德福" in page.inner_text("#mediators")
    _shot(page, "2-assigned")

    page.fill("#id_location", "党员谈心室")
    page.fill("#id_attendance", "张建国、201住户、王德福")
    page.fill("#id_record", "双方同意：晚八点后及周末不施工；如需施工提前一天在楼栋群告知。")
    page.click("button:has-text('保存调解记录')")
    assert "党员谈心室" in page.inner_text("#sessions")
    page.select_option("#id_outcome", "success")
    page.click("button:has-text('记录结果并结案')")
    page.fill("#id_terms", "一、201住户晚八点后及周末不施工。\n二、如需施工，提前一天在楼栋群告知。")
    page.check("input[name=signed] >> nth=0")
    page.check("input[name=signed] >> nth=1")
    page.click("button:has-text('保存协议书')")
    assert "调解协议书已保存" in page.inner_text(".messages")
    _shot(page, "3-agreement")

    href = page.get_attribute("#agreement-pdf", "href")
    response = page.request.get(f"{base}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    with open(os.path.join(SCREENSHOT_DIR, "desks-mediation-4-agreement.pdf"), "wb") as handle:
        handle.write(body)
    context.close()

    # A resident on the phone: 今天谁在谈心室.
    phone = chromium.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone.set_default_timeout(10000)
    page = phone.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/desks/today/")
    assert "党员谈心室" in page.inner_text(".m-list") and "刘书记" in page.inner_text(".m-list")
    _shot(page, "5-resident-today")
    phone.close()
