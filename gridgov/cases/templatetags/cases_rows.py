"""The workbench drawn in Python: its case rows (phone cards and the PC table), its list with the
page links and its panel with the tabs. The rows come from one plain row per case, whichever way
they were read (model instances for the dispatch, overdue and all tabs, `selectors.my_queue_rows`
values for "my"). The templates they replace resolved some forty variables, filters and tags per
row, twice, inside two more templates, on the grid worker's every page load.
`tests/test_workbench_rows.py` and `tests/test_workbench_list.py` hold them to the old templates'
output (`tests/reference/`)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.forms import Form
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from gridgov.cases.models import Case, Channel, Level, State


@dataclass(slots=True)
class CaseRow:
    """What one list row shows of a case, names already looked up (None where the case has none)."""

    pk: int
    url: str
    tracking_code: str
    text: str
    state: str
    level: str
    priority: str
    channel: str
    category_name: str
    subcategory_name: str | None  # None: no subcategory (an empty name still shows the "/")
    category_confirmed: bool
    place: str  # the trail below the grid, else the place's name
    address_detail: str
    handler_org_name: str | None  # None: no organisation holds it
    handler_user_name: str | None  # None: no person holds it
    level_place_name: str
    needs_dispatch: bool
    supervised: bool
    created_at: dt.datetime
    due: Mapping[str, Any]  # `due_info` or a called department's 报到 deadline


def row_of_case(case: Case, due: Mapping[str, Any], trail: str, url: str) -> CaseRow:
    """A row from a model instance read through `selectors._listed` (names joined or prefetched)."""
    return CaseRow(
        pk=case.pk,
        url=url,
        tracking_code=case.tracking_code,
        text=case.text,
        state=case.state,
        level=case.level,
        priority=case.priority,
        channel=case.channel,
        category_name=case.category.name if case.category_id else "",
        subcategory_name=(case.subcategory.name if case.subcategory else "") if case.subcategory_id else None,
        category_confirmed=case.category_confirmed,
        place=trail or (case.place.name if case.place_id else ""),
        address_detail=case.address_detail,
        handler_org_name=(case.handler_org.name if case.handler_org else "") if case.handler_org_id else None,
        handler_user_name=str(case.handler_user or "") if case.handler_user_id else None,
        level_place_name=case.level_place.name if case.level_place_id else "",
        needs_dispatch=case.needs_dispatch,
        supervised=case.supervised,
        created_at=case.created_at,
        due=due,
    )


def row_of_values(values: Mapping[str, Any], due: Mapping[str, Any], trail: str, url: str) -> CaseRow:
    """A row from `selectors.my_queue_rows` (its QUEUE_ROW_FIELDS and names)."""
    return CaseRow(
        pk=values["id"],
        url=url,
        tracking_code=values["tracking_code"],
        text=values["text"],
        state=values["state"],
        level=values["level"],
        priority=values["priority"],
        channel=values["channel"],
        category_name=values["category_name"] or "",
        subcategory_name=(values["subcategory_name"] or "") if values["subcategory_id"] else None,
        category_confirmed=values["category_confirmed"],
        place=trail or values["place_name"] or "",
        address_detail=values["address_detail"],
        handler_org_name=(values["handler_org_name"] or "") if values["handler_org_id"] else None,
        handler_user_name=(values["handler_user_name"] or "") if values["handler_user_id"] else None,
        level_place_name=values["level_place_name"] or "",
        needs_dispatch=values["needs_dispatch"],
        supervised=values["supervised"],
        created_at=values["created_at"],
        due=due,
    )


def escape(value: Any) -> str:
    """`django.utils.html.escape`'s text (the same five characters, the same entities), without
    its lazy-argument check and SafeString per call: the rows escape some three hundred values."""
    return html.escape(str(value))


def _labels(choices: Any) -> dict[str, Any]:
    return dict(choices.choices)


# The choices' labels, as get_FOO_display gives them (a code outside the choices shows as itself).
_STATE_LABELS = _labels(State)
_LEVEL_LABELS = _labels(Level)
_CHANNEL_LABELS = _labels(Channel)

_URGENT = '<span class="cs-badge cs-urgent">紧急</span>'
_SUPERVISED = '<span class="cs-badge cs-supervised">督办</span>'
_CALLED = '<span class="cs-badge badge-warn">待报到</span>'
_RETURNED = '<span class="cs-badge">被退回</span>'
_UNCONFIRMED = ' <span class="muted" title="系统建议，尚未确认">（待确认）</span>'
_TABLE_HEAD = (
    '<div class="table-wrap">\n<table class="rtable" data-kbd-list>\n  <thead><tr><th>查询码</th><th>分类</th>'
    "<th>地点</th><th>层级</th><th>状态</th><th>时限</th><th>来源</th><th>上报时间</th></tr></thead>\n  <tbody>\n"
)


def _label(labels: Mapping[str, Any], code: str) -> str:
    return escape(labels.get(code, code))


def _due_class(due: Mapping[str, Any]) -> str:
    if due.get("overdue"):
        return "cs-due overdue"
    return "cs-due soon" if due.get("soon") else "cs-due"


def _holder(row: CaseRow, urge: str) -> str:
    """Who has the case in hand, and 催办 where `urge` (the form) is given."""
    if row.handler_org_name is not None:
        who = escape(row.handler_org_name)
        if row.handler_user_name is not None:
            who += "·" + escape(row.handler_user_name)
    elif row.handler_user_name is not None:
        who = escape(row.handler_user_name)
    else:
        who = escape(row.level_place_name)
    waiting = "（未受理）" if row.state == State.NEW else ""
    return (
        f'\n<div class="cs-holder"><span class="muted">在</span> <b>{who}</b> '
        f'<span class="muted">手中{waiting}</span>\n{urge}</div>\n'
    )


def _urge_form(row: CaseRow, csrf_input: str) -> str:
    action = escape(reverse("cases:act", args=[row.pk, "urge"]))
    return (
        f'<form method="post" action="{action}" class="cs-urge-form">{csrf_input}'
        '<input type="hidden" name="back" value="overdue"><input type="hidden" name="note" value="">'
        f'<button type="submit" class="btn-small btn-secondary" aria-label="催办{escape(row.tracking_code)}">'
        "催办</button></form>"
    )


def _shortened(text: str, length: int) -> str:
    """`Truncator(text).chars(length)`, which costs more than the rest of a row, skipped for the
    texts it leaves whole: no text of at most `length` characters is ever shortened by it."""
    return text if len(text) <= length else Truncator(text).chars(length)


def render_rows(
    rows: Iterable[CaseRow], *, overdue_tab: bool, urgeable: set[int], csrf_token: Any = None
) -> SafeString:
    """The cards list and the table for `rows`; on the overdue tab each row says who holds it, with
    催办 for the cases in `urgeable`."""
    csrf_input = ""
    if overdue_tab and csrf_token and csrf_token != "NOTPROVIDED":
        csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    cards = ['<ul class="cs-cards" aria-label="事件列表">\n']
    table = [_TABLE_HEAD]
    zone = timezone.get_current_timezone()  # looked up once, not twice a row
    for row in rows:
        due = row.due
        url = escape(row.url)
        urgent = row.priority == "urgent"
        overdue = bool(due.get("overdue"))
        called = bool(due.get("call"))
        category = escape(row.category_name)
        if row.subcategory_name is not None:
            category += "/" + escape(row.subcategory_name)
        place = escape(row.place)
        address = escape(_shortened(row.address_detail, 16)) if row.address_detail else ""
        due_text = escape(due["text"]) if due.get("text") else ""
        holder = ""
        if overdue_tab:
            holder = _holder(row, _urge_form(row, csrf_input) if row.pk in urgeable else "")
        if row.handler_org_name is not None:
            handler = escape(row.handler_org_name)
        elif row.handler_user_name is not None:
            handler = escape(row.handler_user_name)
        else:
            handler = None
        card_due = f'<span class="{_due_class(due)}">{due_text}</span>' if due_text else ""
        card_address = f" · {address}" if address else ""
        cell_address = f' <span class="muted">{address}</span>' if address else ""
        card_handler = f" · {handler}" if handler is not None else ""
        card_class = "cs-card" + (" cs-overdue" if overdue else "") + (" cs-urgent-row" if urgent else "")
        cards.append(
            f'  <li><a class="{card_class}" href="{url}">\n'
            f'    <span class="cs-card-top"><b>{category}</b>\n'
            f"      {_URGENT if urgent else ''}\n"
            f"      {_SUPERVISED if row.supervised else ''}\n"
            f"      {_CALLED if called else ''}\n"
            f"      {card_due}</span>\n"
            f'    <span class="cs-card-place">{place}{card_address}{card_handler}</span>\n'
            f'    <span class="cs-card-text">{escape(row.text)}</span>\n'
            f"  </a>{holder}</li>\n"
        )
        if due_text:
            at = due.get("at")
            title = at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""
            due_cell = f'<span class="{_due_class(due)}" title="{title}">{due_text}</span>'
        else:
            due_cell = '<span class="muted">—</span>'
        if overdue_tab:
            level_extra = holder
        elif handler is not None:
            level_extra = f'<div class="muted">{handler}</div>'
        else:
            level_extra = ""
        row_class = ("cs-overdue" if overdue else "") + (" cs-urgent-row" if urgent else "")
        created = row.created_at.astimezone(zone).strftime("%m-%d %H:%M")
        table.append(
            f'    <tr data-href="{url}" tabindex="-1" class="{row_class}">\n'
            f'      <td data-label="查询码"><a class="cs-code" href="{url}">{escape(row.tracking_code)}</a>\n'
            f"        {_URGENT if urgent else ''}\n"
            f"        {_SUPERVISED if row.supervised else ''}\n"
            f"        {_RETURNED if row.needs_dispatch else ''}\n"
            f"        {_CALLED if called else ''}\n"
            f'        <div class="muted">{escape(_shortened(row.text, 36))}</div></td>\n'
            f'      <td data-label="分类">{category}{"" if row.category_confirmed else _UNCONFIRMED}</td>\n'
            f'      <td data-label="地点">{place}{cell_address}</td>\n'
            f'      <td data-label="层级">{_label(_LEVEL_LABELS, row.level)}{level_extra}</td>\n'
            f'      <td data-label="状态"><span class="cs-badge cs-state-{escape(row.state)}">'
            f"{_label(_STATE_LABELS, row.state)}</span></td>\n"
            f'      <td data-label="时限">{due_cell}</td>\n'
            f'      <td data-label="来源">{_label(_CHANNEL_LABELS, row.channel)}</td>\n'
            f'      <td data-label="上报时间" class="muted">{created}</td>\n'
            "    </tr>\n"
        )
    cards.append("</ul>\n")
    table.append("  </tbody>\n</table>\n</div>\n")
    # Every value that went in above was escaped.
    return mark_safe("".join(cards) + "".join(table))


_EMPTY = {
    "my": "没有待办事件。",
    "dispatch": "没有待分派的事件。",
    "overdue": "没有超时事件。",
}


def _page_link(query: QueryDict, number: int, label: str) -> str:
    """A pagination link to page `number`, keeping the rest of the query (`{% querystring %}`'s)."""
    params = query.copy()
    params["page"] = str(number)
    href = escape(f"?{params.urlencode()}")
    return (
        f'<a class="btn btn-secondary btn-small" href="{href}" hx-get="{href}" hx-target="#wb-list" '
        f'hx-push-url="true">{label}</a>'
    )


def render_case_list(
    *,
    rows: list[CaseRow],
    page: Page,
    tab: str,
    filtered: bool,
    form: Form | None,
    urgeable: set[int],
    csrf_token: Any,
    query: QueryDict,
) -> SafeString:
    """The workbench's list (`#wb-list`): the filter's errors, `rows` with the page's links and
    count, or what an empty tab says. The markup `_case_list.html` drew, with no template to run:
    the grid worker's every page load drew it (`tests/test_workbench_list.py` holds them equal)."""
    parts = ["\n"]
    if form is not None and form.errors:
        errors = [
            f"<div>{escape(field.label)}：{escape(error)}</div>" for field in form for error in field.errors
        ]
        errors += [f"<div>{escape(error)}</div>" for error in form.non_field_errors()]
        parts.append(f'<div class="cs-alert" role="alert">{"".join(errors)}</div>')
    parts.append("\n")
    if rows:
        parts.append("\n")
        parts.append(
            render_rows(rows, overdue_tab=tab == "overdue", urgeable=urgeable, csrf_token=csrf_token)
        )
        paginator = page.paginator
        count = escape(paginator.count)
        if paginator.num_pages > 1:
            previous = _page_link(query, page.previous_page_number(), "上一页") if page.has_previous() else ""
            following = _page_link(query, page.next_page_number(), "下一页") if page.has_next() else ""
            parts.append(
                '\n<nav class="pagination" aria-label="分页">\n'
                f"  {previous}\n"
                f'  <span class="muted">第 {page.number} / {paginator.num_pages} 页，共 {count} 件</span>\n'
                f"  {following}\n"
                "</nav>\n"
            )
        else:
            parts.append(f'<p class="muted">共 {count} 件</p>')
        parts.append("\n")
    else:
        if tab in _EMPTY:
            empty = _EMPTY[tab]
        elif filtered:
            empty = "没有符合条件的事件（只显示您辖区内的事件）。"
        else:
            empty = "辖区内暂无事件。"
        parts.append(f'\n<p class="muted card">{empty}</p>\n')
    parts.append("\n")
    # Every value that went in above was escaped (the rows by `render_rows`).
    return mark_safe("".join(parts))


def render_tabs(tabs: Iterable[Mapping[str, Any]], current: str) -> SafeString:
    """The workbench's tabs (code, label, key and count each; `current`, the open one), each
    loading its list into the panel; the overdue count is red when there is any."""
    links = []
    for tab in tabs:
        code, key, count = escape(tab["code"]), escape(tab["key"]), tab["count"]
        active = ' class="active" aria-current="page"' if tab["code"] == current else ""
        badge = ""
        if count is not None:
            alarm = " badge-bad" if tab["code"] == "overdue" and count else ""
            badge = f' <span class="count{alarm}">{escape(count)}</span>'
        links.append(
            f'  <a href="?tab={code}" hx-get="?tab={code}" hx-target="#wb-panel" hx-push-url="true" '
            f'data-key="{key}" accesskey="{key}"{active}>{escape(tab["label"])}{badge}</a>\n'
        )
    return mark_safe('<nav class="tabs" aria-label="事件列表">\n' + "".join(links) + "</nav>")


def render_panel(*, tabs: Iterable[Mapping[str, Any]], tab: str, filter_box: str, listing: str) -> SafeString:
    """The workbench's panel (`#wb-panel`): the tabs, the "all" tab's filter box (`filter_box`,
    already drawn, or ""), and the list (`render_case_list`)."""
    box = f"{filter_box}\n" if filter_box else ""
    # The parts come drawn and escaped.
    return mark_safe(f'{render_tabs(tabs, tab)}\n{box}\n<div id="wb-list">{listing}</div>\n')
