"""Issue 9 defect 8: the columns of /r/done/<code>/ (phone) and /cases/config/ (PC) line up: every
cell of a column starts where the column's heading (or the column's first cell) starts."""

from __future__ import annotations

import os

import pytest

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
PC = {"viewport": {"width": 1440, "height": 900}}


def _shot(page, name: str) -> None:
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"columns-{name}.png"), full_page=True)
    os.makedirs("/tmp/shots", exist_ok=True)
    page.screenshot(path=f"/tmp/shots/columns-{name}.png", full_page=True)


def _login(context, base: str, username: str, password: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_defect_08_done_page_values_share_one_column(live_server, cw, chromium):
    from gridgov.cases.services import case_submit

    case = case_submit(
        by=cw.erin,
        text="8栋门口的垃圾桶满了好几天没人清运，味道很大，夏天苍蝇很多，希望尽快处理一下" * 2,
        channel="resident_web",
        place=cw.building2,
        address_detail="2单元门口",
    )
    context = chromium.new_context(locale="zh-CN", **PHONE)
    context.set_default_timeout(8000)
    page = _login(context, live_server.url, "erin", cw.password)
    page.goto(f"{live_server.url}/r/done/{case.tracking_code}/")
    _shot(page, "done")
    rows = page.evaluate(
        """() => [...document.querySelectorAll('dl.kv > div')].map(row => {
              const k = row.querySelector('.k').getBoundingClientRect();
              const v = row.querySelector('.v').getBoundingClientRect();
              return [row.querySelector('.k').textContent.trim(), k.left, v.left, v.right];
            })"""
    )
    assert [label for label, *_ in rows] == ["地点", "提交时间", "内容"]
    # Before the fix the values started 40 px apart (the browser's dd indent on two of three).
    assert len({round(k) for _, k, _, _ in rows}) == 1
    assert len({round(v) for _, _, v, _ in rows}) == 1, rows
    assert all(right <= 390 for *_, right in rows)
    context.close()


def test_defect_08_config_inputs_line_up_under_their_headings(live_server, cw, chromium):
    context = chromium.new_context(locale="zh-CN", **PC)
    context.set_default_timeout(8000)
    page = _login(context, live_server.url, "admin", cw.password)
    for tab in ("categories", "rules", "sla"):
        page.goto(f"{live_server.url}/cases/config/?tab={tab}")
        _shot(page, f"config-{tab}")
    page.goto(f"{live_server.url}/cases/config/?tab=categories")
    lefts, middles = _table_geometry(page, "#categories-table")
    assert len(lefts) == 1 + 12  # the headings, ten categories and the world's two subcategories
    for column in range(1, 6):  # the code column indents subcategories on purpose
        starts = {round(row[column]) for row in lefts}
        assert len(starts) == 1, (column, starts)
    for row in middles:  # the code, the inputs and the button of a row on one line
        assert max(row) - min(row) <= 4, row
    page.goto(f"{live_server.url}/cases/config/?tab=rules")
    _lefts, middles = _table_geometry(page, "#rules-table")
    for row in middles:
        assert max(row) - min(row) <= 4, row
    context.close()


def _table_geometry(page, table: str) -> tuple[list[list[float]], list[list[float]]]:
    """Per body row: where each cell's content starts (the heading's start first), and the
    vertical middles of its text and controls."""
    lefts, middles = page.evaluate(
        """(selector) => {
          const table = document.querySelector(selector);
          const start = (cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const rects = [...range.getClientRects()].filter(r => r.width > 0);
            return rects.length ? Math.min(...rects.map(r => r.left)) : null;
          };
          const heads = [...table.querySelectorAll('thead th')].map(start);
          const lefts = [heads];
          const middles = [];
          for (const row of table.querySelectorAll('tbody tr')) {
            const cells = [...row.children];
            lefts.push(cells.map(start));
            const mids = [];
            for (const el of row.querySelectorAll('input:not([type=hidden]), select, button')) {
              const r = el.getBoundingClientRect();
              mids.push((r.top + r.bottom) / 2);
            }
            const first = cells[0];
            const range = document.createRange();
            range.selectNodeContents(first);
            const r = [...range.getClientRects()].filter(r => r.width > 0)[0];
            if (r) mids.push((r.top + r.bottom) / 2);
            middles.push(mids);
          }
          return [lefts, middles];
        }""",
        table,
    )
    # A heading without text (the buttons' column) says nothing: its cells agree among themselves.
    heads = [head if head is not None else lefts[1][i] for i, head in enumerate(lefts[0])]
    return [heads, *lefts[1:]], middles
