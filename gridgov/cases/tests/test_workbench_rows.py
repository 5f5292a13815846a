"""The workbench's rows are drawn in Python (`templatetags.cases_rows`), the "my" tab's from
`selectors.my_queue_rows` values: for every shape of row and every tab the page must carry the
markup the old row template (`reference/old_case_rows.html`) drew from model instances, the same
links, badges, classes, texts, keyboard list and 催办 forms (whitespace runs aside)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import user_create
from gridgov.cases import policy, selectors
from gridgov.cases.models import Case, CaseCall, Level, Priority, State
from gridgov.cases.services import case_accept
from gridgov.cases.templatetags.cases_staff import due_info
from gridgov.cases.views._common import PAGE_SIZE, _place_trails
from gridgov.cases.views.workbench_page import _pending_calls

pytestmark = pytest.mark.django_db

REFERENCE = (Path(__file__).parent / "reference" / "old_case_rows.html").read_text()


def _varied(cw, submit) -> list[Case]:
    """Rows of every shape: pool, held by alice, by bob, by a nameless user, by an organisation
    (with and without a person), subcategory, urgent, supervised, returned, unconfirmed and
    confirmed, overdue to accept and to resolve, due soon, no deadline, an address (long, and
    with markup to escape), a called department, other levels and channels."""
    nameless = user_create(by=SYSTEM, username="nameless", password=cw.password, validate=False)
    made = [
        submit(text=f"1栋门口的垃圾好几天没人清运，<b>味道</b>很大 & 乱（第{n}件）" * 2) for n in range(16)
    ]
    # Every deadline half a minute off a whole minute from now: the minute-grained "time left"
    # reads the same in the page and in the reference rendered a moment later.
    now = timezone.now() - dt.timedelta(seconds=30)
    Case.objects.filter(pk__in=[case.pk for case in made]).update(
        due_accept_at=now + dt.timedelta(hours=6), due_resolve_at=now + dt.timedelta(days=3)
    )
    case_accept(by=cw.alice, case=made[1])
    Case.objects.filter(pk=made[2].pk).update(handler_user=cw.bob, state=State.ACCEPTED)
    Case.objects.filter(pk=made[3].pk).update(handler_user=nameless, state=State.IN_PROGRESS)
    Case.objects.filter(pk=made[4].pk).update(handler_org=cw.property_co, level=Level.GRID)
    Case.objects.filter(pk=made[5].pk).update(
        subcategory=cw.lift, category=cw.facility, address_detail="3单元 702 室门口的 <楼道> 里，靠近电梯"
    )
    Case.objects.filter(pk=made[6].pk).update(priority=Priority.URGENT, supervised=True, urgent_open=True)
    Case.objects.filter(pk=made[7].pk).update(needs_dispatch=True, category_confirmed=True)
    Case.objects.filter(pk=made[8].pk).update(
        due_accept_at=now - dt.timedelta(hours=2), address_detail="<短>"
    )
    Case.objects.filter(pk=made[9].pk).update(
        handler_user=cw.alice, state=State.IN_PROGRESS, due_resolve_at=now - dt.timedelta(minutes=5)
    )
    Case.objects.filter(pk=made[10].pk).update(due_accept_at=None, due_resolve_at=None)
    Case.objects.filter(pk=made[11].pk).update(
        level=Level.COMMUNITY, level_place=cw.community, level_path=cw.community.path, state=State.RESOLVED
    )
    Case.objects.filter(pk=made[12].pk).update(
        handler_org=cw.chengguan,
        handler_user=cw.chen,
        state=State.IN_PROGRESS,
        channel="phone",
        due_resolve_at=now - dt.timedelta(days=1),
    )
    Case.objects.filter(pk=made[13].pk).update(due_accept_at=now + dt.timedelta(minutes=30))
    Case.objects.filter(pk=made[14].pk).update(
        handler_user=cw.alice, state=State.ACCEPTED, due_resolve_at=now - dt.timedelta(days=3)
    )
    Case.objects.filter(pk=made[15].pk).update(place=cw.grid1, place_path=cw.grid1.path)
    for case, minutes in ((made[12], -20), (made[13], 40)):
        CaseCall.objects.create(
            case=case,
            organisation=cw.chengguan,
            called_at=now,
            deadline=now + dt.timedelta(minutes=minutes),
        )
    return made


def _normal(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def _rows_part(page: str) -> str:
    start = page.index('<ul class="cs-cards"')
    end = page.index("</table>\n</div>", start) + len("</table>\n</div>")
    return page[start:end]


def _reference(user, queue, tab: str, csrf_token: str) -> str:
    """What the old template drew for the first page of `queue`."""
    cases = list(queue[:PAGE_SIZE])
    now = timezone.now()
    trails = _place_trails([case.place for case in cases])
    pending = _pending_calls(user, [case.pk for case in cases])
    rows = [
        (
            case,
            pending.get(case.pk) or due_info(case, now),
            trails.get(case.place_id, ""),
            reverse("cases:detail", args=[case.pk]),
        )
        for case in cases
    ]
    urgeable = {case.pk for case in cases if policy.may("urge", user, case)} if tab == "overdue" else set()
    template = engines["django"].from_string(REFERENCE)
    return template.render({"rows": rows, "tab": tab, "urgeable": urgeable, "csrf_token": csrf_token})


def _queue(user, tab: str):
    """The tab's rows as the view reads them for the other tabs (and the old view for "my")."""
    if tab == "my":
        return selectors.my_queue(user)
    if tab == "dispatch":
        return selectors.dispatch_queue(user)
    if tab == "overdue":
        return selectors.overdue(user)
    return selectors.cases_for(user)


@pytest.mark.parametrize(
    ("who", "tab"),
    [
        ("alice", "my"),
        ("alice", "overdue"),
        ("alice", "all"),
        ("chen", "my"),
        ("pete", "my"),
        ("carol", "dispatch"),
        ("carol", "overdue"),
        ("sam", "overdue"),
        ("sam", "all"),
    ],
)
def test_rows_match_the_old_template_for_every_shape_and_tab(client, cw, submit, who, tab):
    _varied(cw, submit)
    user = getattr(cw, who)
    client.force_login(user)
    response = client.get(reverse("cases:workbench"), {"tab": tab})
    assert response.status_code == 200
    page = response.text
    queue = _queue(user, tab)
    assert queue.exists(), f"{who} has no rows on {tab}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    expected = _reference(user, queue, tab, token.group(1) if token else "")
    assert _normal(_rows_part(page)) == _normal(expected)
    if tab == "overdue":
        # Who holds each late case, and 催办 where the viewer may remind them.
        assert "cs-holder" in page
        assert ("cs-urge-form" in page) == any(policy.may("urge", user, case) for case in queue)
        if who == "carol":
            assert "cs-urge-form" in page


def test_the_variety_reaches_the_my_tab(client, cw, submit):
    """The my tab really shows the shapes compared above (urgent, supervised, returned, overdue,
    a called department's 报到, a subcategory, an address, handlers by name)."""
    made = _varied(cw, submit)
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench")).text
    assert "紧急" in page and "督办" in page and "超时" in page and "电梯故障" in page
    assert "3单元 702 室门口的 ..." in page and "&lt;短&gt;" in page
    assert "&lt;b&gt;味道&lt;/b&gt;" in page and "<b>味道</b>" not in page
    assert made[6].tracking_code in page
    client.force_login(cw.chen)
    page = client.get(reverse("cases:workbench")).text
    assert "待报到" in page and "报到超时" in page


def test_the_my_tab_reads_its_page_and_length_in_one_query(client, cw, submit):
    """The page, its length and the rows' names come from one query (`my_queue_rows`); the only
    other read of the case table is the 已超时 badge's COUNT, and the trails are one read of places.
    On PostgreSQL the trails and both badges' counts come in the page's own statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _varied(cw, submit)
    client.force_login(cw.alice)
    client.get(reverse("cases:workbench"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("cases:workbench")).text
    assert "共 10 件" in page and '我的待办 <span class="count">10</span>' in page
    assert '已超时 <span class="count badge-bad">4</span>' in page
    # On PostgreSQL the compiled reads run as prepared statements: EXECUTE gridgov_… by name.
    sqls = [q["sql"] for q in queries.captured_queries]
    reads = [sql for sql in sqls if "_live_session(" not in sql and "_session_user" not in sql]
    if connection.vendor == "postgresql":
        assert len(reads) == 1 and reads[0].startswith("EXECUTE gridgov_my_queue_0_1_workbench_"), sqls
        return
    counts = [
        sql for sql in sqls if sql.startswith('SELECT COUNT("cases_case"') or "_overdue_count_of(" in sql
    ]
    pages = [
        sql for sql in sqls if sql.startswith("EXECUTE gridgov_my_queue") or '"cases_case"."id" AS' in sql
    ]
    case_reads = [sql for sql in reads if '"cases_case"' in sql or sql.startswith("EXECUTE gridgov_")]
    case_reads = [sql for sql in case_reads if "_places_with_paths(" not in sql and "_unread_of(" not in sql]
    assert len(counts) == 1 and len(pages) == 1 and len(case_reads) == 2, sqls
    place_reads = [
        sql for sql in sqls if sql.startswith('SELECT "places_place".') or "_places_with_paths(" in sql
    ]
    assert len(place_reads) == 1, sqls


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the combined statement is PostgreSQL's",
)
@pytest.mark.parametrize("who", ["alice", "frank", "pete"])
def test_the_combined_statement_gives_what_the_separate_reads_give(cw, submit, who):
    """`my_workbench_page`'s rows, trails and counts equal `my_queue_rows`, `_path_trails`,
    `overdue_count` and `unread_count`, for a case whose place path no place has (no trail), a case
    on the grid itself (its own name), none and some unread notices; an organisation's staff read
    them one by one."""
    from gridgov.cases.views._common import _path_trails
    from gridgov.notifications.models import Notification
    from gridgov.notifications.selectors import unread_count

    made = _varied(cw, submit)
    Case.objects.filter(pk=made[1].pk).update(place_path=cw.grid1.path + ".zzzz")
    Notification.objects.filter(recipient=cw.alice).update(read_at=None)
    Notification.objects.filter(recipient=cw.frank).update(read_at=timezone.now())
    user = getattr(cw, who)
    now = timezone.now()
    combined = selectors.my_workbench_page(user, offset=0, limit=PAGE_SIZE, now=now)
    separate = selectors.my_queue_rows(user, offset=0, limit=PAGE_SIZE)
    if policy.org_handles(user):
        # An organisation's staff: their overdue COUNT is built by the ORM, read on its own.
        assert combined is None
        return
    assert separate.rows
    assert combined is not None
    assert [{k: v for k, v in row.items() if k != "trail"} for row in combined.rows] == separate.rows
    trails = _path_trails([row["place_path"] for row in separate.rows])
    assert {row["place_path"]: row["trail"] for row in combined.rows} == {
        row["place_path"]: trails.get(row["place_path"]) for row in separate.rows
    }
    assert combined.count == separate.count
    assert combined.overdue == selectors.overdue_count(user, now=now)
    assert combined.unread == unread_count(user)
    if who == "alice":
        assert combined.unread > 0 and None in {row["trail"] for row in combined.rows}
