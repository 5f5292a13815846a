"""Done means, in a real headless Chromium at phone size: community staff place 上门理发 on behalf
of an elderly resident (帮代办); the team leader dispatches it to the best match; a party member
arrives and completes it; the resident rates it and the member's hours show; the team's monthly
figures count it. Then a weekly care visit falls due on the member's phone, is logged with a
problem that becomes a case, and the coverage page moves when staff pair the last uncovered elder."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.utils import timezone

from conftest import SCREENSHOT_DIR
from gridgov.accounts.scope import SYSTEM
from gridgov.core import clock

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
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"services-{name}.png"), full_page=True)


def _login(browser, base: str, username: str, password: str, options=PHONE):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(10000)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_order_on_behalf_dispatch_complete_rate_hours_figures_and_a_care_visit(live_server, sw, chromium):
    from gridgov.care import services as care_services
    from gridgov.people.models import Tag
    from gridgov.people.services import resident_set_tags

    # Built before the browser starts: 李秀英 (grid 2) is tagged too and still uncovered; 张建国's
    # 周末好儿女 plan began six days ago, so this week's visit falls due today.
    resident_set_tags(by=SYSTEM, resident=sw.li, tags=[Tag.objects.get(code="empty-nest-elderly")])
    plan = care_services.plan_create(
        by=SYSTEM,
        resident=sw.zhang,
        preset="weekend_children",
        carers=[(sw.wu, "party")],
        starts_on=clock.today() - dt.timedelta(days=6),
    )
    base, password = live_server.url, sw.password
    haircut, zhang_id, plan_id = sw.haircut.pk, sw.zhang.pk, plan.pk
    start = timezone.localtime(clock.now() + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    # 1. Community staff (cora, 社区工作者) order 上门理发 for 张建国 by phone.
    staff, page = _login(chromium, base, "cora", password)
    page.goto(f"{base}/services/order/{haircut}/?resident={zhang_id}")
    assert "帮代办：上门理发" in page.locator(".m-header").inner_text()
    page.fill("#id_window_start", start)
    page.select_option("#id_channel", "phone")
    page.fill("#id_note", "老人腿脚不便，请上门")
    _shot(page, "1-order-on-behalf")
    page.click("#order-form button[type=submit]")
    page.wait_for_url(re.compile(r"/services/orders/\d+/$"))
    order_url = page.url
    assert page.locator("#order-state").inner_text() == "待接单"

    # 2. The sub-team leader sees it, with the best matches proposed, and dispatches it to 吴党员.
    leader, page = _login(chromium, base, "lei", password)
    page.goto(f"{base}/services/provider/")
    assert "上门理发" in page.locator("#open-orders").inner_text()
    page.goto(order_url)
    _shot(page, "2-leader-dispatch")
    page.click("button[data-dispatch='吴党员']")
    page.wait_for_load_state()
    assert page.locator("#order-state").inner_text() == "已接单"
    assert "吴党员" in page.locator("#order-provider").inner_text()

    # 3. The party member arrives and completes with a note.
    member, page = _login(chromium, base, "wu", password)
    page.goto(f"{base}/services/provider/")
    assert "上门理发" in page.locator("#my-orders").inner_text()
    page.goto(order_url)
    page.click("#btn-arrive")
    page.wait_for_load_state()
    assert page.locator("#order-state").inner_text() == "服务中"
    page.fill("#done-text", "理发完成，顺便帮老人修剪了指甲")
    page.click("#btn-complete")
    page.wait_for_load_state()
    assert page.locator("#order-state").inner_text() == "待确认"
    _shot(page, "3-member-completed")

    # 4. The resident confirms and rates: the rating and the credited hours show.
    resident, page = _login(chromium, base, "zhang", password)
    page.goto(f"{base}/services/mine/")
    assert "待确认" in page.locator(".m-list").inner_text()
    page.goto(order_url)
    page.select_option("#id_rating", "5")
    page.fill("#id_comment", "小吴手艺好，谢谢")
    page.click("#btn-rate")
    page.wait_for_load_state()
    assert page.locator("#order-state").inner_text() == "已评价"
    assert "5星" in page.locator("#order-rating").inner_text()
    assert "服务时长" in page.locator("#order-rating").inner_text()
    _shot(page, "4-resident-rated")

    # 5. The member's hours show on their phone; the team's monthly figures count the order.
    page = member.new_page()
    page.goto(f"{base}/services/provider/")
    assert float(page.locator("#my-hours").inner_text()) > 0
    desk, page_pc = _login(chromium, base, "cora", password, DESKTOP)
    page_pc.goto(f"{base}/services/figures/")
    row = page_pc.locator("#team-figures tr", has_text="第一网格分队")
    assert row.locator("td").nth(1).inner_text() == "1"
    _shot(page_pc, "5-figures-pc")

    # 6. The weekly visit is due on the member's phone; logged with a problem, it becomes a case.
    page = member.new_page()
    page.goto(f"{base}/care/my/")
    assert "张建国" in page.locator("#due-duties").inner_text()
    _shot(page, "6-care-due")
    page.click("#due-duties a")
    page.wait_for_url(re.compile(rf"/care/plans/{plan_id}/visit/$"))
    page.fill("#id_minutes", "45")
    page.fill("#id_done", "陪老人聊天，打扫卫生")
    page.select_option("#id_home_safety", "problem")
    page.fill("#id_problem", "卫生间地面湿滑没有扶手，老人容易摔倒")
    _shot(page, "7-care-visit-form")
    # The fixed tab bar covers the bottom of the screen where Playwright scrolls the button to.
    page.focus("#visit-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/care/plans/{plan_id}/$"))
    assert "已转事件" in page.content()
    page.goto(f"{base}/care/my/")
    assert "近期没有到期事项" in page.locator("#due-duties").inner_text()

    # 7. Coverage moves: staff pair the uncovered 李秀英 and the count goes from 1 to 2.
    page_pc.goto(f"{base}/care/coverage/")
    assert page_pc.locator("#covered-count").inner_text() == "1"
    assert page_pc.locator("#uncovered-count").inner_text() == "1"
    _shot(page_pc, "8-coverage-before")
    page_pc.click("#coverage-list a:has-text('建立结对')")
    page_pc.select_option("#id_carer", label="吴党员")
    page_pc.select_option("#id_kind", "party")
    page_pc.click("button:has-text('建立结对')")
    page_pc.wait_for_url(re.compile(r"/care/coverage/$"))
    assert page_pc.locator("#covered-count").inner_text() == "2"
    assert page_pc.locator("#uncovered-count").inner_text() == "0"
    _shot(page_pc, "9-coverage-after")
    for context in (staff, leader, member, resident, desk):
        context.close()
