"""工作月报: the fixed tables of a community's monthly report, the same numbers on the printable
page, in the Excel file and in the PDF; bad periods say what is wrong, other places are not found."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import services as cs
from gridgov.command import reports
from gridgov.core.errors import NotFound


class _Tables(HTMLParser):
    """The page's report tables: {h3 title: [header row, data rows…]} as text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._title: str | None = None
        self._in_title = False
        self._current: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h3":
            self._in_title, self._title = True, ""
        elif tag == "table" and dict(attrs).get("data-table"):
            self._current = []
        elif tag == "tr" and self._current is not None:
            self._current.append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_title = False
        elif tag in ("td", "th") and self._cell is not None and self._current is not None:
            self._current[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._current is not None:
            rows = [row for row in self._current if row != ["无"]]
            self.tables[self._title or ""] = rows
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title = (self._title or "") + data
        if self._cell is not None:
            self._cell.append(data)


def _page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _sheet_tables(content: bytes) -> dict[str, list[list[str]]]:
    """The workbook's tables the same way: a one-cell title row, then the header and data rows."""
    book = load_workbook(io.BytesIO(content))
    tables: dict[str, list[list[str]]] = {}
    for sheet in book.worksheets[1:]:
        title = None
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if v is None else str(v) for v in row]
            while cells and not cells[-1]:  # openpyxl pads every row to the sheet's width
                cells.pop()
            filled = [c for c in cells if c]
            if len(filled) == 1 and filled[0].startswith("（"):
                title = filled[0]
                tables[title] = []
            elif len(filled) > 1 and title is not None:
                tables[title].append(cells)
            elif not filled:
                title = None
    return tables


@pytest.fixture
def month_world(cw, submit):
    """This month in 金泰路社区: cases in both grids (one resolved and rated, one called in to the
    police), a floating registration, a tagged resident and a patrol visit."""
    from gridgov.care.models import PatrolResult
    from gridgov.care.services import patrol_record
    from gridgov.people.models import Relation, Tag
    from gridgov.people.services import floating_register, resident_create, resident_set_tags

    done = submit()
    cs.case_accept(by=cw.alice, case=done)
    cs.case_resolve(by=cw.alice, case=done, result="已清运")
    cs.case_rate(by=AnonymousUser(), case=done, rating=5, phone_last4="1234")
    submit(place=cw.building2, text="8栋楼道灯坏了，晚上很黑")
    called = cs.case_escalate(by=cw.alice, case=submit(), reason="需要派出所")
    cs.case_whistle(
        by=cw.carol, case=called, organisations=[cw.police], deadline=timezone.now() + dt.timedelta(hours=4)
    )
    tenant = resident_create(
        by=SYSTEM,
        name="王小明",
        household=cw.household1,
        relation=Relation.TENANT,
        id_number="420102199001010014",
    )
    floating_register(by=SYSTEM, resident=tenant, household=cw.household1, origin="湖北")
    resident_set_tags(by=SYSTEM, resident=cw.zhang, tags=[Tag.objects.get(code="living-alone-elderly")])
    patrol_record(by=cw.alice, household=cw.household1, result=PatrolResult.HOME)
    return cw


def _query(where, **extra):
    values = {"place": where.pk, "period": "month", "month": timezone.localdate().strftime("%Y-%m")}
    values.update(extra)
    return values


def test_the_page_and_the_excel_show_the_same_numbers(client, month_world):
    w = month_world
    client.force_login(w.carol)
    query = _query(w.community, focus="一、冬季消防安全检查\n二、走访独居老人")
    page = client.get(reverse("command:reports"), query)
    assert page.status_code == 200
    html = page.content.decode()
    assert "金泰路社区网格化服务管理工作月报" in html and "冬季消防安全检查<br>二、走访独居老人" in html
    for heading in (
        "一、基本情况",
        "二、事件受理办结",
        "三、走访与巡查",
        "四、服务与活动",
        "五、矛盾调解与议事协商",
        "六、下月工作重点",
    ):
        assert heading in html
    assert html.count('class="report-chart"') == 2  # categories and the daily trend, drawn server-side
    on_page = _page_tables(html)
    workbook = client.get(reverse("command:report_xlsx"), query)
    assert workbook.status_code == 200
    assert "attachment" in workbook["Content-Disposition"]
    in_excel = _sheet_tables(workbook.content)
    assert on_page == in_excel
    # And the numbers are the month's.
    total = dict(on_page["（一）总体情况"][1:])
    assert total["受理事件（件）"] == "3" and total["已办结（件）"] == "1" and total["群众满意率"] == "100.0%"
    grids = {row[0]: row for row in on_page["（四）各网格情况"][1:]}
    assert grids["第一网格"][1:3] == ["2", "1"] and grids["第二网格"][1] == "1"
    assert on_page["（五）吹哨报到"][1][:3] == ["芙蓉北路派出所", "1", "0"]
    people = dict(on_page["（一）人口与户数"][1:])
    assert people["实有人口（人）"] == "3" and people["本期流入登记（人）"] == "1"
    assert on_page["（二）重点人群"][1:] == [["独居老人", "1"]]
    patrols = {row[0]: row for row in on_page["（一）网格入户巡查"][1:]}
    assert patrols["第一网格"][1:5] == ["1", "1", "1", "100.0%"]
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames[-1] == "六、下月工作重点"
    assert [r[0] for r in book["六、下月工作重点"].iter_rows(values_only=True)][1:] == [
        "一、冬季消防安全检查",
        "二、走访独居老人",
    ]


def test_user_text_in_the_excel_is_text_never_a_formula(client, month_world):
    from gridgov.places.services import place_update

    w = month_world
    place_update(by=SYSTEM, place=w.grid2, name="=HYPERLINK(1)")
    client.force_login(w.carol)
    content = client.get(reverse("command:report_xlsx"), _query(w.community, focus="=1+1")).content
    book = load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert not [c for c in cells if c.data_type == "f"]
    assert "'=HYPERLINK(1)" in {c.value for c in cells} and "'=1+1" in {c.value for c in cells}


def test_a_custom_period_and_the_pdf(client, month_world):
    w = month_world
    client.force_login(w.carol)
    today = timezone.localdate()
    query = _query(
        w.community,
        period="custom",
        since=(today - dt.timedelta(days=6)).isoformat(),
        until=today.isoformat(),
    )
    html = client.get(reverse("command:reports"), query).content.decode()
    assert "金泰路社区网格化服务管理工作报表" in html
    assert f"{today - dt.timedelta(days=6):%Y年%m月%d日}至{today:%Y年%m月%d日}" in html
    pdf = client.get(reverse("command:report_pdf"), query)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"NotoSansCJK" in pdf.content.replace(b"-", b"")


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"month": ""}, "month", "请选择月份"),
        ({"month": "2026-13"}, "month", "月份格式不对"),
        ({"month": "1999-12"}, "month", "月份不能早于2000年"),
        ({"month": "2999-01"}, "month", "不能统计还没开始的月份"),
        ({"period": "year"}, "period", "请选择按月或自定义时段"),
        ({"period": "custom", "since": "", "until": "2026-01-01"}, "since", "请填写开始日期"),
        ({"period": "custom", "since": "2026-01-01", "until": "01/31"}, "until", "结束日期格式不对"),
        (
            {"period": "custom", "since": "2026-02-01", "until": "2026-01-01"},
            "until",
            "结束日期不能早于开始日期",
        ),
        ({"period": "custom", "since": "2024-01-01", "until": "2025-06-30"}, "until", "统计期最长366天"),
        ({"period": "custom", "since": "2026-01-01", "until": "2999-01-01"}, "until", "结束日期不能晚于今天"),
        ({"focus": "下月\u202e重点"}, "focus", "下月工作重点含有不允许"),
        ({"focus": "很" * (reports.FOCUS_MAX + 1)}, "focus", f"不能超过{reports.FOCUS_MAX}个字"),
    ],
)
def test_bad_periods_and_focus_say_what_is_wrong(client, cw, extra, field, message):
    client.force_login(cw.carol)
    for name in ("command:reports", "command:report_xlsx", "command:report_pdf"):
        response = client.get(reverse(name), _query(cw.community, **extra))
        assert response.status_code == 400, name
        html = response.content.decode()
        assert message in html and 'id="report"' not in html, name


def _unkeyed(content: bytes) -> str:
    """A page without its per-request tokens (CSRF, CSP nonce)."""
    return re.sub(r'(nonce="|X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', "", content.decode())


def test_other_places_look_exactly_like_missing_ones(client, cw, other_street):
    client.force_login(cw.carol)
    for name in ("command:reports", "command:report_xlsx", "command:report_pdf"):
        missing = client.get(reverse(name), _query(cw.community, place=999999))
        assert missing.status_code == 404
        for place in (other_street.pk, cw.street.pk, cw.building1.pk, "abc", ""):
            response = client.get(reverse(name), _query(cw.community, place=place))
            assert response.status_code == 404, (name, place)
            assert _unkeyed(response.content) == _unkeyed(missing.content)
    # Only the places in her scope are offered.
    form = client.get(reverse("command:reports")).content.decode()
    offered = re.findall(r'<option value="(\d+)"', form)
    assert offered == [str(cw.community.pk), str(cw.grid1.pk), str(cw.grid2.pk)]


def test_who_may_open_the_reports(client, cw):
    client.force_login(cw.alice)  # a grid worker: no dashboards, no reports
    assert client.get(reverse("command:reports")).status_code == 403
    assert client.get(reverse("command:report_xlsx"), _query(cw.grid1)).status_code == 403
    client.force_login(cw.erin)
    assert client.get(reverse("command:reports")).status_code == 403
    client.logout()
    assert client.get(reverse("command:reports")).status_code == 302
    client.force_login(cw.sam)
    page = client.get(reverse("command:reports"), _query(cw.street)).content.decode()
    assert "芙蓉北路街道网格化服务管理工作月报" in page and "（四）各社区情况" in page


def test_sections_without_permission_or_records_say_so(cw):
    period = reports.month_period(timezone.localdate().strftime("%Y-%m"), today=timezone.localdate())
    report = reports.build(cw.carol, cw.community, period)
    by_number = {s.number: s for s in report.sections}
    assert by_number["三"].empty == "本期无入户走访和关爱走访记录。"
    assert by_number["四"].empty == "本期无生活快车服务和社区活动记录。"
    assert by_number["五"].empty == "本期无矛盾调解和议事协商记录。"
    # Called directly, the report is refused (as not found) to whoever has no dashboard there.
    with pytest.raises(NotFound):
        reports.build(cw.carol, cw.street, period)
    with pytest.raises(NotFound):
        reports.build(cw.alice, cw.grid1, period)


def test_periods():
    today = dt.date(2026, 3, 15)
    assert reports.month_period("2026-02", today=today) == reports.Period(
        dt.date(2026, 2, 1), dt.date(2026, 2, 28), month=dt.date(2026, 2, 1)
    )
    running = reports.month_period("2026-03", today=today)
    assert running.until == today and running.label == "2026年3月"
    assert reports.custom_period("2025-03-15", "2026-03-15", today=today).days == 366
    with pytest.raises(ValidationError):
        reports.custom_period("2025-03-14", "2026-03-15", today=today)


def test_the_report_reads_rollups_not_the_case_history(client, cw, submit, django_assert_max_num_queries):
    client.force_login(cw.carol)
    for _ in range(5):
        submit()
    query = _query(cw.community)
    with django_assert_max_num_queries(60) as few:
        assert client.get(reverse("command:reports"), query).status_code == 200
    queries = len(few.captured_queries)  # read now: a later request clears the log
    assert queries > 10
    for _ in range(45):
        submit(place=cw.building2)
    with django_assert_max_num_queries(queries):
        assert client.get(reverse("command:reports"), query).status_code == 200


def test_a_section_the_reader_may_not_see_says_so_instead_of_zeros(cw):
    from gridgov.accounts import capabilities as caps
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create

    watcher = Role.objects.create(code="watcher", name="观察员", capabilities=[caps.COMMAND_VIEW])
    olga = user_create(by=SYSTEM, username="olga", password=cw.password, validate=False)
    role_grant(by=SYSTEM, user=olga, role=watcher, place=cw.community)
    period = reports.month_period(timezone.localdate().strftime("%Y-%m"), today=timezone.localdate())
    sections = {s.number: s for s in reports.build(olga, cw.community, period).sections}
    assert sections["一"].empty.startswith("（本岗位无人房信息查看权限")
    assert sections["二"].empty == "（本岗位无事件统计查看权限）" and not sections["二"].tables
    assert sections["三"].empty == "（本岗位无走访记录查看权限）"
    assert sections["四"].empty == "（本岗位无生活快车、社区活动查看权限）"
    assert sections["五"].empty == "（本岗位无矛盾调解、议事协商查看权限）"


def test_a_grid_report_has_no_table_of_places_below_it(client, month_world):
    w = month_world
    client.force_login(w.carol)
    tables = _page_tables(client.get(reverse("command:reports"), _query(w.grid1)).content.decode())
    assert "（四）吹哨报到" in tables and not [t for t in tables if t.startswith("（四）各")]
    assert dict(tables["（一）总体情况"][1:])["受理事件（件）"] == "2"
    assert [row[0] for row in tables["（一）网格入户巡查"][1:]] == ["第一网格"]


def test_mediation_and_consultation_figures_of_the_period(client, cw):
    """五: disputes by type (received, escalation risk, closed, agreed, still open at the end of
    the period, one from last month among them) and the period's consultations and votes; on the
    page as in the Excel file, and nothing of another community's."""
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.consult import services as consult
    from gridgov.consult.models import Stage
    from gridgov.consult.selectors import results_of
    from gridgov.mediation import services as mediation
    from gridgov.mediation.models import Dispute

    def dispute(title, kind, place=cw.building1, **extra):
        return mediation.dispute_create(
            by=cw.carol,
            place=place,
            title=title,
            dispute_type=kind,
            parties=[{"side": "applicant", "resident": cw.zhang}, {"side": "respondent", "name": "201住户"}],
            **extra,
        )

    noise = dispute("楼上装修噪音扰民", "neighbour", urgent=True)
    mediation.dispute_close(by=cw.carol, dispute=noise, outcome="failed")
    dispute("物业费争议", "property", place=cw.building2)
    older = dispute("车位纠纷", "neighbour")
    first_of_month = timezone.localdate().replace(day=1)
    Dispute.objects.filter(pk=older.pk).update(received_on=first_of_month - dt.timedelta(days=3))

    zhang = user_create(
        by=SYSTEM, username="u_zhang", password=cw.password, resident=cw.zhang, validate=False
    )
    role_grant(by=SYSTEM, user=zhang, role=Role.objects.get(code="resident"), place=cw.building1)
    lift = consult.consultation_create(
        by=cw.carol, place=cw.community, title="1栋加装电梯", places=[cw.building1]
    )
    lift = consult.consultation_advance(by=cw.carol, consultation=lift, to=Stage.VOTING)
    consult.vote_cast(by=zhang, consultation=lift, option_ids=[lift.options.get(label="同意").pk])
    lift = consult.consultation_advance(by=cw.carol, consultation=lift, to=Stage.CLOSED)
    assert results_of(lift).passed is True
    bins = consult.consultation_create(
        by=cw.carol, place=cw.community, title="垃圾分类点位", places=[cw.building2]
    )
    consult.consultation_advance(by=cw.carol, consultation=bins, to=Stage.VOTING)
    consult.consultation_create(by=cw.carol, place=cw.community, title="草稿不算", places=[cw.building1])

    client.force_login(cw.carol)
    query = _query(cw.community, focus="调解回访")
    html = client.get(reverse("command:reports"), query).content.decode()
    on_page = _page_tables(html)
    assert on_page["（一）矛盾纠纷调解"] == [
        [
            "纠纷类型",
            "受理（件）",
            "其中有激化风险",
            "结案（件）",
            "调解成功（件）",
            "调解成功率",
            "期末在调（件）",
        ],
        ["相邻关系", "1", "1", "1", "0", "0.0%", "1"],
        ["物业纠纷", "1", "0", "0", "0", "—", "1"],
        ["合计", "2", "1", "1", "0", "0.0%", "2"],
    ]
    assert dict(on_page["（二）议事协商"][1:]) == {
        "发起议题（个）": "2",
        "表决结束（个）": "1",
        "表决通过（个）": "1",
        "表决未通过（个）": "0",
        "本期参与表决（户/人次）": "1",
    }
    assert _sheet_tables(client.get(reverse("command:report_xlsx"), query).content) == on_page

    # A grid's report counts its own: 第二网格 has the property dispute; the topics are the community's.
    tables = _page_tables(client.get(reverse("command:reports"), _query(cw.grid2)).content.decode())
    assert tables["（一）矛盾纠纷调解"][1:] == [["物业纠纷", "1", "0", "0", "0", "—", "1"]]
    assert "（二）议事协商" not in tables
