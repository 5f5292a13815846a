"""Every read of cases, scoped to the acting user.

Staff see the cases under the places where they hold `cases.view`, plus the cases routed or
called in to their organisation (`cases.org_handle`) and the ones they hold; a resident sees
their own reports. Fetchers raise `NotFound` alike for a missing and an out-of-scope case.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import (
    Avg,
    Count,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models import Case as Switch
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import (
    assignments,
    has_capability,
    holders,
    is_unrestricted,
    paths_with,
    place_q,
    subtree_q,
    within,
)
from gridgov.cases import policy
from gridgov.cases.models import (
    DONE_STATES,
    OPEN_STATES,
    SLA,
    ApiKey,
    Case,
    CaseAttachment,
    CaseCall,
    CaseEvent,
    Category,
    Channel,
    DutyContact,
    EventKind,
    Level,
    RoutingRule,
    State,
)
from gridgov.cases.routing import KIND_LEVEL, ancestors, place_with_ancestors
from gridgov.core import clock
from gridgov.core.compiled import CompiledQuery, execute_prepared
from gridgov.core.errors import NotFound
from gridgov.places.models import SEGMENT_WIDTH, Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.models import User

# What one case's page shows of its relations. The four every case has are joined; the others,
# often empty, come by primary key afterwards (no query for an empty one): PostgreSQL's planning
# doubles with each join past four, and with all eight it took 10 ms on the million-case bench
# against half a millisecond to run.
_RELATED_JOINED = ("category", "subcategory", "place", "level_place")
_RELATED_FETCHED = ("handler_user", "handler_org", "dispatcher", "merged_into")


def _with_relations(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related(*_RELATED_JOINED).prefetch_related(*_RELATED_FETCHED)


def _authenticated(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def cases_visible(user: User) -> QuerySet[Case]:
    """Every case the user may read (staff scope, organisation, own reports)."""
    if not _authenticated(user):
        return Case.objects.none()
    return Case.objects.filter(policy.visible_q(user))


def staff_cases(user: User) -> QuerySet[Case]:
    """Cases the user sees as staff (not merely as their reporter)."""
    if not _authenticated(user):
        return Case.objects.none()
    return Case.objects.filter(policy.staff_q(user))


def case_for(user: User, case_id: int | str, *, for_write: bool = False) -> Case:
    """One case; for_write=True only through staff scope (a reporter's own case is read-only
    to them, apart from rating, which takes the case through `case_for(..., for_write=False)`)."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    base = staff_cases(user) if for_write else cases_visible(user)
    case = _with_relations(base.filter(pk=pk)).first()
    if case is None:
        raise NotFound()
    return case


# Every queue and list starts with its open urgent cases (a stored column: no transition can
# forget it, and `case_urgent_created` serves the all-cases order).
URGENT_FIRST = "-urgent_open"


# What a list row shows. Joined: the four relations every row has, cheap to plan. Prefetched
# (one small query each, skipped when no row has one): the handlers. Planning grows steeply with
# each extra join on PostgreSQL: with all eight relations it took 12–50 ms a query on the
# million-case bench, more than fetching the rows.
_LIST_JOINED = ("category", "subcategory", "place", "level_place")
_LIST_PREFETCHED = ("handler_user", "handler_org")


def _listed(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related(*_LIST_JOINED).prefetch_related(*_LIST_PREFETCHED)


def _due_order(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Open urgent first, then 督办, then the nearest deadline (accept for new cases, resolve after)."""
    return qs.annotate(
        due_at=Switch(When(state=State.NEW, then=F("due_accept_at")), default=F("due_resolve_at"))
    ).order_by(URGENT_FIRST, "-supervised", F("due_at").asc(nulls_last=True), "pk")


def handle_levels(user: User) -> list[tuple[str, str]]:
    """(place path, level) pairs where the user takes unclaimed cases: a grid worker at their
    grid's grid level, a building head at building level under their buildings …"""
    pairs = set()
    for capabilities, path, kind in assignments(user):
        if caps.CASES_HANDLE in capabilities:
            pairs.add((path, KIND_LEVEL.get(kind, Level.GRID)))
    return sorted(pairs)


def my_queue(user: User) -> QuerySet[Case]:
    """What the user should work on: cases they hold, cases for their organisation, and the
    unclaimed cases at their own level of the ladder; supervised and most overdue first."""
    if not _authenticated(user):
        return Case.objects.none()
    return _my_queue_of(user.pk, policy.org_handles(user), handle_levels(user))


def _my_queue_of(user_id: int, org_id: int | None, levels: Sequence[tuple[str, str]]) -> QuerySet[Case]:
    """`my_queue` from what the user's roles give it: their id, the organisation whose cases they
    handle, the (path, level) pairs where they take unclaimed cases."""
    condition = Q(handler_user_id=user_id, state__in=OPEN_STATES)
    if org_id:
        condition |= Q(handler_org_id=org_id, handler_user__isnull=True, state=State.NEW)
        condition |= Q(
            pk__in=CaseCall.objects.filter(organisation_id=org_id, reported_at__isnull=True).values(
                "case_id"
            ),
            state__in=OPEN_STATES,
        )
    pool = Q(pk__in=[])
    for path, level in levels:
        pool |= Q(level=level) & place_q(path, "level_path")
    condition |= (
        Q(state=State.NEW, handler_user__isnull=True, handler_org__isnull=True, needs_dispatch=False) & pool
    )
    # Every branch carries its own open-state filter, which proves the predicate of its partial
    # index on open cases (cases/0007): a few dozen rows however long the history grows. Repeating
    # the filter outside the OR made PostgreSQL count it twice, estimate one row and scan every
    # open case of the street through the state index instead.
    return _due_order(_listed(Case.objects.filter(condition)))


# What one queue row shows, read as plain values: building a model instance per row (with its
# rollup snapshot) and handing it to the schema's resolvers cost more than the query itself.
# No joins: on the million-case bench the four of `_LIST_JOINED` doubled the query's planning and
# execution. The names (categories, places, handlers) are scalar subqueries of the same query,
# evaluated for the page's rows only: one round trip for the page, its length and its names.
QUEUE_ROW_FIELDS: tuple[str, ...] = (
    "id",
    "tracking_code",
    "text",
    "state",
    "level",
    "priority",
    "category_id",
    "subcategory_id",
    "category_confirmed",
    "place_id",
    "level_place_id",
    "channel",
    "handler_user_id",
    "handler_org_id",
    "needs_dispatch",
    "supervised",
    "created_at",
    "due_accept_at",
    "due_resolve_at",
    # The workbench's rows (views/workbench_page): the address line and the place's trail.
    "address_detail",
    "place_path",
)


def _name_of(model: type[Any], column: str, key: str, shown: Any = None) -> Subquery:
    rows = model.objects.filter(pk=OuterRef(key)).order_by()
    if shown is not None:
        rows = rows.annotate(shown=shown)
    return Subquery(rows.values(column if shown is None else "shown")[:1])


def _queue_names() -> dict[str, Subquery]:
    from gridgov.accounts.models import User as UserModel
    from gridgov.orgs.models import Organisation

    return {
        "category_code": _name_of(Category, "code", "category_id"),
        "category_name": _name_of(Category, "name", "category_id"),
        "subcategory_code": _name_of(Category, "code", "subcategory_id"),
        "subcategory_name": _name_of(Category, "name", "subcategory_id"),
        "place_name": _name_of(Place, "name", "place_id"),
        "level_place_name": _name_of(Place, "name", "level_place_id"),
        # A person by their display name, else their username (as `str(user)`).
        "handler_user_name": _name_of(
            UserModel,
            "shown",
            "handler_user_id",
            shown=Coalesce(NullIf("display_name", Value("")), "username"),
        ),
        "handler_org_name": _name_of(Organisation, "name", "handler_org_id"),
    }


@dataclass
class QueueRows:
    """One page of a queue as plain rows (`QUEUE_ROW_FIELDS`, the names `_queue_names` gives,
    `queue_total`) and the queue's length."""

    rows: list[dict[str, Any]]
    count: int


def queue_page(queue: QuerySet[Case]) -> QuerySet[Any]:
    """The rows of `queue` as `QUEUE_ROW_FIELDS` values with their names, each with the queue's length."""
    return (
        queue.prefetch_related(None)
        .values(*QUEUE_ROW_FIELDS)
        .annotate(**_queue_names(), queue_total=Window(Count("pk")))
    )


def queue_rows(user: User, queue: QuerySet[Case], *, offset: int, limit: int) -> QueueRows:
    """A page of `queue` (a queryset of this module, already scoped to `user`) with its length
    in the same query (a window count beside the rows; only a page past the end counts apart)."""
    rows = list(queue_page(queue)[offset : offset + limit])
    if rows:
        count = rows[0]["queue_total"]
    else:
        count = queue.count() if offset else 0
    return QueueRows(rows=rows, count=count)


def my_queue_rows(user: User, *, offset: int, limit: int) -> QueueRows:
    """`queue_rows(user, my_queue(user), ...)`, the grid worker's phone's request, without the ORM
    building and compiling the page query each time: its SQL is compiled once per connection and
    per shape of the user's roles (organisation or not, how many pool levels) from `my_queue`'s
    own queryset with stand-in values, and the user's values take the stand-ins' places. On
    PostgreSQL it is also a prepared statement, planned once per connection instead of per request."""
    if not _authenticated(user):
        return queue_rows(user, Case.objects.none(), offset=offset, limit=limit)
    org_id, levels = policy.org_handles(user), handle_levels(user)
    compiled = _compiled_my_queue(org_id is not None, len(levels))
    if compiled is None or not all(_PLAIN_PATH.fullmatch(path) for path, _ in levels):
        return queue_rows(user, _my_queue_of(user.pk, org_id, levels), offset=offset, limit=limit)
    values = [*compiled.params(user.pk, org_id, levels, prepared=bool(compiled.statement)), limit, offset]
    with connection.cursor() as cursor:
        if compiled.statement:
            execute_prepared(cursor, compiled.statement, compiled.numbered, values)
        else:
            cursor.execute(compiled.sql, values)
        fetched = cursor.fetchall()
    rows = [dict(zip(compiled.names, compiled.converted(row), strict=True)) for row in fetched]
    if rows:
        count = rows[0]["queue_total"]
    else:
        count = _my_queue_of(user.pk, org_id, levels).count() if offset else 0
    return QueueRows(rows=rows, count=count)


def my_queue_json(user: User, *, offset: int, limit: int, now: dt.datetime) -> tuple[str, int] | None:
    """PostgreSQL: a page of `my_queue(user)` as the JSON array of `CaseOut` the API answers, and
    the queue's length, built by the database in the page's one query (`_compiled_my_queue`);
    None where that is not at hand (another database, a role shape the ORM must build), and the
    caller then uses `my_queue_rows`."""
    prepared = _prepared_my_queue(user)
    if prepared is None:
        return None
    compiled, org_id, levels = prepared
    values = [*compiled.params(user.pk, org_id, levels, prepared=True), limit, offset, now]
    with connection.cursor() as cursor:
        execute_prepared(cursor, compiled.json_statement, compiled.json_numbered, values)
        fetched = cursor.fetchall()
    if fetched:
        count = int(fetched[0][1])
    else:
        count = _my_queue_of(user.pk, org_id, levels).count() if offset else 0
    return "[" + ",".join(item for item, _ in fetched) + "]", count


# The kinds a place trail leaves out (`views._common._path_trails`): the grid and the areas above
# it, which the workbench's scope already says.
TRAIL_HIDDEN_KINDS = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID)


@dataclass(frozen=True)
class WorkbenchPage:
    """The workbench's "my" page: `QueueRows`' rows, each with its place's `trail` (None where its
    place is not found), the queue's length, and the counts of the page's two badges."""

    rows: list[dict[str, Any]]
    count: int
    overdue: int
    unread: int


def _trail_sql(path: str) -> str:
    """SQL for the trail of the place at the path expression `path`: the names of it and its
    ancestors, top down, leaving out `TRAIL_HIDDEN_KINDS`, else its own name; NULL where no place
    has that path (as `_path_trails`)."""
    table = connection.ops.quote_name(Place._meta.db_table)
    hidden = ", ".join(f"'{kind.value}'" for kind in TRAIL_HIDDEN_KINDS)
    # A path's ancestors are its prefixes that end where a segment ends, each looked up by the
    # path's unique index: LATERAL, as a join or `path = ANY(…)` read the whole table per row.
    return (
        f"(SELECT COALESCE((SELECT string_agg(above.name, ' ' ORDER BY cut) "
        f"FROM generate_series(1, length({path})) AS cut CROSS JOIN LATERAL "
        f"(SELECT name, kind FROM {table} WHERE path = left({path}, cut) LIMIT 1) AS above "
        f"WHERE (cut = length({path}) OR substr({path}, cut + 1, 1) = '.') AND above.kind NOT IN ({hidden})), "
        f"own.name) FROM {table} AS own WHERE own.path = {path})"
    )


def _renumbered(sql: str, shift: int) -> str:
    return re.sub(r"\$(\d+)", lambda match: f"${int(match.group(1)) + shift}", sql)


def _prepared_my_queue(user: User) -> tuple[_CompiledQueue, int | None, list[tuple[str, str]]] | None:
    """PostgreSQL: the prepared page query of `my_queue(user)` with the user's organisation and
    pool levels, where the user's roles have a shape it was compiled for."""
    if not _authenticated(user) or connection.vendor != "postgresql":
        return None
    org_id, levels = policy.org_handles(user), handle_levels(user)
    compiled = _compiled_my_queue(org_id is not None, len(levels))
    if compiled is None or not compiled.statement:
        return None
    if not all(_PLAIN_PATH.fullmatch(path) for path, _ in levels):
        return None
    return compiled, org_id, levels


def my_workbench_page(user: User, *, offset: int, limit: int, now: dt.datetime) -> WorkbenchPage | None:
    """PostgreSQL: `my_queue_rows` with each row's place trail, the user's `overdue_count` at `now`
    and unread notices, in one prepared statement (the workbench's "my" tab made four round trips
    for them); None where that is not at hand (an organisation's staff, whose overdue COUNT the ORM
    builds) or the page is empty, and the caller reads them one by one. `user` is signed in."""
    from gridgov.notifications.selectors import unread_count_sql

    prepared = _prepared_my_queue(user)
    overdue = _overdue_count_sql(user, now)
    unread = unread_count_sql(user)
    if prepared is None or overdue is None or unread is None:
        return None
    compiled, org_id, levels = prepared
    page_values = [*compiled.params(user.pk, org_id, levels, prepared=True), limit, offset]
    (overdue_sql, overdue_values), (unread_sql, unread_values) = overdue, unread
    numbered = (
        f"SELECT page.*, {_trail_sql('page.place_path')}, "
        f"({_renumbered(overdue_sql, len(page_values))}), "
        f"COALESCE(({_renumbered(unread_sql, len(page_values) + len(overdue_values))}), 0) "
        f"FROM ({compiled.numbered}) AS page"
    )
    values = [*page_values, *overdue_values, *unread_values]
    with connection.cursor() as cursor:
        execute_prepared(cursor, f"{compiled.statement}_workbench_{len(overdue_values)}", numbered, values)
        fetched = cursor.fetchall()
    if not fetched:
        return None
    width = len(compiled.names)
    rows: list[dict[str, Any]] = []
    for row in fetched:
        named = dict(zip(compiled.names, compiled.converted(row[:width]), strict=True))
        named["trail"] = row[width]
        rows.append(named)
    first = fetched[0]
    return WorkbenchPage(
        rows=rows, count=rows[0]["queue_total"], overdue=int(first[width + 1]), unread=int(first[width + 2])
    )


# Place paths are fixed-width digit segments; anything else (never expected) takes the ORM path,
# so a stand-in is only ever replaced by a value that needs no LIKE escaping of its own.
_PLAIN_PATH = re.compile(r"[0-9]+(\.[0-9]+)*")
# Stand-ins compiled into the SQL where the user's values go (no real id or path looks like them).
_USER_STAND_IN = -990_000_001
_ORG_STAND_IN = -990_000_002
# Constants (the states) that go into the prepared statement's text as they are: nothing to quote.
_LITERAL = re.compile(r"[a-z_]+")


def _stand_in(kind: str, index: int) -> str:
    return f"\x00{kind}{index}\x00"


@dataclass(frozen=True)
class _CompiledQueue:
    sql: str  # with %s placeholders, LIMIT and OFFSET last
    numbered: str  # the same with $1, $2 … for PREPARE (PostgreSQL)
    statement: str  # the prepared statement's name, "" where not prepared
    # PostgreSQL: the page as `CaseOut` JSON text per row (`schemas.case_out_json_sql`) and its
    # length; the moment "overdue" is measured against is its last parameter. "" elsewhere.
    json_numbered: str
    json_statement: str
    # Per parameter: ("user"|"org", None), ("level"|"path"|"like", index), ("const", value).
    slots: tuple[tuple[str, Any], ...]
    prepared_slots: tuple[tuple[str, Any], ...]  # those of `numbered`
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]

    def params(
        self, user_id: int, org_id: int | None, levels: Sequence[tuple[str, str]], *, prepared: bool
    ) -> list[Any]:
        values: list[Any] = []
        for kind, arg in self.prepared_slots if prepared else self.slots:
            if kind == "user":
                values.append(user_id)
            elif kind == "org":
                values.append(org_id)
            elif kind == "level":
                values.append(levels[arg][1])
            elif kind == "path":
                values.append(levels[arg][0])
            elif kind == "like":
                values.append(connection.ops.prep_for_like_query(levels[arg][0] + ".") + "%")
            else:
                values.append(arg)
        return values

    def converted(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        for position, functions, expression in self.converters:
            value = values[position]
            for function in functions:
                value = function(value, expression, connection)
            values[position] = value
        return values


# Per connection (each thread has its own): the compiled shapes (core.compiled keeps which
# statements each connection has prepared).
_COMPILED: weakref.WeakKeyDictionary[Any, dict[tuple[bool, int], _CompiledQueue | None]] = (
    weakref.WeakKeyDictionary()
)


def _compiled_my_queue(has_org: bool, pool_levels: int) -> _CompiledQueue | None:
    shapes = _COMPILED.setdefault(connections[DEFAULT_DB_ALIAS], {})
    shape = (has_org, pool_levels)
    if shape not in shapes:
        shapes[shape] = _compile_my_queue(has_org, pool_levels)
    return shapes[shape]


def _compile_my_queue(has_org: bool, pool_levels: int) -> _CompiledQueue | None:
    """The page query of `my_queue` for this shape of roles, or None when a stand-in does not come
    out as exactly one parameter (the caller then keeps to the ORM)."""
    levels = [(_stand_in("path", i), _stand_in("level", i)) for i in range(pool_levels)]
    queryset = queue_page(_my_queue_of(_USER_STAND_IN, _ORG_STAND_IN if has_org else None, levels))
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    stand_ins: dict[Any, tuple[str, Any]] = {_USER_STAND_IN: ("user", None), _ORG_STAND_IN: ("org", None)}
    for i, (path, level) in enumerate(levels):
        stand_ins[level] = ("level", i)
        stand_ins[path] = ("path", i)
        stand_ins[connection.ops.prep_for_like_query(path + ".") + "%"] = ("like", i)
    slots = []
    for param in params:
        slot = stand_ins.get(param) if isinstance(param, int | str) and not isinstance(param, bool) else None
        if slot is None:
            if isinstance(param, str) and "\x00" in param:
                return None  # a stand-in changed on its way into the SQL
            slot = ("const", param)
        slots.append(slot)
    if "\x00" in sql or str(_USER_STAND_IN) in sql or str(_ORG_STAND_IN) in sql:
        return None  # a value went into the SQL text instead of a parameter
    statement, numbered, prepared_slots = "", "", tuple(slots)
    json_numbered, json_statement = "", ""
    if connection.vendor == "postgresql":
        # The states go in as literals: the partial indexes' predicates (`state IN ('new', …)`)
        # can then be proven from the query itself, for any plan of the prepared statement.
        numbers, kept, pending = itertools.count(1), [], iter(slots)

        def placeholder(match: re.Match[str]) -> str:
            if match.group(1) == "%":
                return "%"
            slot = next(pending)
            if slot[0] == "const" and isinstance(slot[1], str) and _LITERAL.fullmatch(slot[1]):
                return f"'{slot[1]}'"
            kept.append(slot)
            return f"${next(numbers)}"

        numbered = re.sub(r"%([%s])", placeholder, sql)
        numbered += f" LIMIT ${next(numbers)} OFFSET ${next(numbers)}"
        prepared_slots = tuple(kept)
        statement = f"gridgov_my_queue_{int(has_org)}_{pool_levels}"
        from gridgov.cases.schemas import case_out_json_sql

        # The page's own order: a plain projection of an ordered, limited subquery keeps it.
        json_numbered = (
            f"SELECT {case_out_json_sql('page', now=f'${next(numbers)}::timestamptz')}, page.queue_total "
            f"FROM ({numbered}) AS page"
        )
        json_statement = f"{statement}_json"
    sql += " LIMIT %s OFFSET %s"
    names = tuple(alias for _, _, alias in compiler.select)
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(
            [expression for expression, _, _ in compiler.select]
        ).items()
    )
    return _CompiledQueue(
        sql=sql,
        numbered=numbered,
        statement=statement,
        json_numbered=json_numbered,
        json_statement=json_statement,
        slots=tuple(slots),
        prepared_slots=prepared_slots,
        names=names,
        converters=converters,
    )


def dispatch_queue(user: User) -> QuerySet[Case]:
    """New cases the user may classify and dispatch: urgent first, then the least time left to
    accept (an urgent case about to expire never waits behind an unconfirmed category); among
    equal deadlines returned ones, then unconfirmed ones."""
    if not _authenticated(user):
        return Case.objects.none()
    scope = Q() if is_unrestricted(user) else subtree_q(paths_with(user, caps.CASES_DISPATCH), "level_path")
    return _listed(Case.objects.filter(scope, state=State.NEW)).order_by(
        URGENT_FIRST,
        F("due_accept_at").asc(nulls_last=True),
        "-needs_dispatch",
        "category_confirmed",
        "-supervised",
        "pk",
    )


def overdue_q(now: dt.datetime) -> Q:
    return Q(state=State.NEW, due_accept_at__lt=now) | Q(
        state__in=(State.ACCEPTED, State.IN_PROGRESS), due_resolve_at__lt=now
    )


def overdue(user: User, *, now: dt.datetime | None = None) -> QuerySet[Case]:
    """Open cases past their accept or resolve deadline, in the user's staff scope."""
    return _due_order(_listed(_overdue_of(user, now)))


def overdue_count(user: User, *, now: dt.datetime | None = None) -> int:
    """`overdue(user).count()` (the workbench's 已超时 badge, on every page load) as a query compiled
    once per connection for each number of scope paths, prepared on PostgreSQL (its plan took
    longer than its run); users with an organisation or no limits take the ORM's COUNT."""
    now = now or clock.now()
    found = _overdue_query(user)
    if found is None:
        return _overdue_of(user, now).count()
    query, paths = found
    return int(query.rows(user.pk, now, *paths)[0][0])


def _overdue_query(user: User) -> tuple[CompiledQuery, list[str]] | None:
    """The compiled COUNT of `overdue_count` and the user's scope paths, for a restricted user
    without an organisation (None for the others: the ORM counts theirs)."""
    if not _authenticated(user) or is_unrestricted(user) or policy.org_handles(user):
        return None
    paths = paths_with(user, caps.CASES_VIEW)
    query = _OVERDUE_COUNTS.get(len(paths))
    if query is None:
        query = _OVERDUE_COUNTS.setdefault(
            len(paths),
            CompiledQuery(_overdue_count_of, kinds=(int, dt.datetime, *(str,) * len(paths)), literals=True),
        )
    return query, paths


def _overdue_count_sql(user: User, now: dt.datetime) -> tuple[str, list[Any]] | None:
    """`overdue_count`'s SQL and parameters, to run inside another statement (PostgreSQL)."""
    found = _overdue_query(user)
    if found is None:
        return None
    query, paths = found
    return query.numbered_with(user.pk, now, *paths)


def _overdue_count_of(user_id: int, now: dt.datetime, *paths: str) -> QuerySet[Any]:
    """`_overdue_of`'s COUNT for a restricted user without an organisation, as a values_list()."""
    cases = Case.objects.filter(policy.staff_q_of(list(paths), user_id, None))
    return (
        cases.filter(overdue_q(now), state__in=OPEN_STATES)
        .order_by()
        .values_list(Func(F("pk"), function="COUNT"))
    )


# Number of scope paths → its compiled COUNT.
_OVERDUE_COUNTS: dict[int, CompiledQuery] = {}


def _overdue_of(user: User, now: dt.datetime | None) -> QuerySet[Case]:
    return staff_cases(user).filter(overdue_q(now or clock.now()), state__in=OPEN_STATES)


def _as_datetime(value: dt.date | dt.datetime, *, end: bool = False) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    moment = dt.datetime.combine(value + dt.timedelta(days=1) if end else value, dt.time.min)
    return timezone.make_aware(moment)


def _place_q(place: Place | int | None, field: str = "place_path") -> Q:
    if place is None:
        return Q()
    if not isinstance(place, Place):
        place = Place.objects.filter(pk=place).first()
        if place is None:
            return Q(pk__in=[])
    return place_q(place, field)


def cases_for(
    user: User,
    *,
    state: str | list[str] | None = None,
    category: Category | str | int | None = None,
    place: Place | int | None = None,
    channel: str | None = None,
    level: str | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    supervised: bool | None = None,
    overdue_only: bool = False,
    q: str = "",
    staff_only: bool = True,
) -> QuerySet[Case]:
    """The filterable list behind the workbench: state(s), category (code, id or object, parent
    codes include their subcategories), place subtree, channel, level, date range (dates are
    whole days, `until` inclusive), 督办 flag, overdue, free text (tracking code or words)."""
    qs = staff_cases(user) if staff_only else cases_visible(user)
    if state:
        states = [state] if isinstance(state, str) else list(state)
        if "open" in states:
            states = [s for s in states if s != "open"] + list(OPEN_STATES)
        qs = qs.filter(state__in=states)
    if category is not None and category != "":
        cat: Category | None
        if isinstance(category, Category):
            cat = category
        elif isinstance(category, int) or str(category).isdigit():
            cat = Category.objects.filter(pk=int(category)).first()
        else:
            cat = Category.objects.filter(code=str(category)).first()
        if cat is None:
            return qs.none()
        qs = qs.filter(Q(subcategory=cat) if cat.parent_id else Q(category=cat))
    if place is not None:
        qs = qs.filter(_place_q(place))
    if channel:
        qs = qs.filter(channel=channel)
    if level:
        qs = qs.filter(level=level)
    if since:
        qs = qs.filter(created_at__gte=_as_datetime(since))
    if until:
        qs = qs.filter(
            created_at__lt=_as_datetime(until, end=True) if not isinstance(until, dt.datetime) else until
        )
    if supervised is not None:
        qs = qs.filter(supervised=supervised)
    if overdue_only:
        qs = qs.filter(overdue_q(clock.now()))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(tracking_code=q.upper()) | Q(text__contains=q) | Q(address_detail__contains=q))
    return _listed(qs).order_by(URGENT_FIRST, "-created_at", "-pk")


def my_reports(user: User) -> QuerySet[Case]:
    """The cases the user reported (as an account or as the resident linked to it)."""
    if not _authenticated(user):
        return Case.objects.none()
    return _with_relations(Case.objects.filter(policy.reporter_q(user))).order_by(
        URGENT_FIRST, "-created_at", "-pk"
    )


# --- timeline ---------------------------------------------------------------------------------


def case_timeline(user: User | None, case: Case) -> QuerySet[CaseEvent]:
    """All events for staff who can see the case; only the public ones for its reporter."""
    events = CaseEvent.objects.filter(case=case).select_related("actor", "handler_user", "handler_org")
    if _authenticated(user) and policy.is_staff_viewer(user, case):
        return events
    if _authenticated(user) and policy.is_reporter(user, case):
        return events.filter(public=True)
    raise NotFound()


@dataclass(frozen=True)
class PublicEntry:
    at: dt.datetime
    kind: str
    label: str
    text: str


def _public_text(event: CaseEvent) -> str:
    # Written with the event (`_event(public_note=…)`); never derived from the staff note.
    return event.public_note or event.get_kind_display()


def public_timeline(case: Case) -> list[PublicEntry]:
    """What the reporter (or an Open311 client) reads: neutral lines, no staff names.
    A merged case also shows its main case's public progress."""
    events = list(CaseEvent.objects.filter(case=case, public=True))
    if case.merged_into_id:
        merged_at = next((e.at for e in events if e.kind == EventKind.MERGED), case.closed_at)
        events += [
            e
            for e in CaseEvent.objects.filter(case_id=case.merged_into_id, public=True)
            if merged_at is None or e.at >= merged_at
        ]
        events = [e for e in events if not (e.case_id != case.pk and e.kind == EventKind.OUTCOME)]
    events.sort(key=lambda e: (e.at, e.pk))
    seen_outcome = False
    entries = []
    for event in events:
        if event.kind in (EventKind.OUTCOME, EventKind.RESOLVED) and event.case_id != case.pk:
            if seen_outcome:
                continue
            seen_outcome = True
        entries.append(
            PublicEntry(
                at=event.at, kind=event.kind, label=event.get_kind_display(), text=_public_text(event)
            )
        )
    return entries


def normalize_tracking_code(code: str) -> str:
    """A tracking code as stored: residents type it in lower case, with dashes or spaces."""
    return (code or "").strip().upper().replace("-", "").replace(" ", "")


def case_with_tracking_code(code: str) -> Case | None:
    """The case with this (normalised) code, unchecked: only for `services.case_track_proof`."""
    return _with_relations(Case.objects.filter(tracking_code=code)).first()


def case_by_tracking_code(code: str, *, phone_last4: str = "", user: User | None = None) -> Case:
    """Whether code + last four digits (or being the logged-in reporter) match, with no failure
    counting: every public path goes through `services.case_track_proof`, which counts."""
    code = normalize_tracking_code(code)
    if not code or len(code) > 12:
        raise NotFound()
    case = case_with_tracking_code(code)
    if case is None:
        raise NotFound()
    if _authenticated(user) and policy.is_reporter(user, case):
        return case
    last4 = (phone_last4 or "").strip()
    if len(last4) == 4 and case.reporter_phone_last4 and last4 == case.reporter_phone_last4:
        return case
    raise NotFound()


def public_status(case: Case) -> tuple[str, str]:
    """Open311 collapse: ("open" | "closed", status_notes)."""
    if case.state in OPEN_STATES:
        return "open", case.get_state_display()
    if case.state == State.MERGED and case.merged_into is not None:
        main = case.merged_into
        if main.state in OPEN_STATES:
            return "open", f"已与{main.tracking_code}合并处理"
        return "closed", main.result or main.get_state_display()
    if case.state == State.REJECTED:
        return "closed", f"不予受理：{case.reject_reason}"
    return "closed", case.result or case.get_state_display()


def public_cases(
    *,
    ids: list[int] | None = None,
    category: str | None = None,
    status: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    api_key: ApiKey | None = None,
) -> QuerySet[Case]:
    """Cases as the public may list them (Open311 GET requests): no reporter fields are to be
    shown from these rows. `api_key` limits them to the key's place."""
    qs = Case.objects.select_related("category", "subcategory", "place", "merged_into")
    if api_key is not None and api_key.place_id:
        qs = qs.filter(_place_q(api_key.place))
    if ids:
        qs = qs.filter(pk__in=ids)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(subcategory__code=category))
    if status == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif status == "closed":
        qs = qs.exclude(state__in=OPEN_STATES)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lte=until)
    return qs.order_by("-created_at", "-pk")


# --- actions, attachments, calls --------------------------------------------------------------


def allowed_actions(user: User | None, case: Case) -> frozenset[str]:
    """The buttons to show: classify, accept, dispatch, start, note, resolve, reject, merge,
    return, escalate, whistle, call_report, supervise, rate, reveal_reporter."""
    return policy.allowed(user, case)


def case_attachments(user: User | None, case: Case) -> QuerySet[CaseAttachment]:
    qs = CaseAttachment.objects.filter(case=case).order_by("id")
    if _authenticated(user) and policy.is_staff_viewer(user, case):
        return qs
    return qs.filter(public=True)


def attachment_for(user: User | None, attachment_id: int, *, phone_last4: str = "") -> CaseAttachment:
    """One attachment for download: staff in scope see all, the reporter the public ones."""
    attachment = CaseAttachment.objects.select_related("case").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    case = attachment.case
    if _authenticated(user) and policy.is_staff_viewer(user, case):
        return attachment
    reporter = (_authenticated(user) and policy.is_reporter(user, case)) or (
        len(phone_last4 or "") == 4 and phone_last4 == case.reporter_phone_last4
    )
    if reporter and attachment.public:
        return attachment
    raise NotFound()


def case_calls(case: Case) -> QuerySet[CaseCall]:
    """吹哨 calls on a case with who has reported (caller checked the case through case_for)."""
    return CaseCall.objects.filter(case=case).select_related("organisation", "called_by", "reported_by")


def pending_calls(user: User) -> QuerySet[CaseCall]:
    org_id = policy.org_handles(user)
    if not org_id:
        return CaseCall.objects.none()
    return (
        CaseCall.objects.filter(organisation_id=org_id, reported_at__isnull=True)
        .select_related("case", "organisation")
        .order_by("deadline")
    )


def call_for(user: User, call_id: int) -> CaseCall:
    call = CaseCall.objects.select_related("case", "organisation").filter(pk=call_id).first()
    if call is None or not (policy.is_staff_viewer(user, call.case)):
        raise NotFound()
    return call


# --- duplicates -------------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in itertools.pairwise(chars)} or set(chars)


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: cheap, and works on unsegmented Chinese."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def _anchor(place: Place) -> Place:
    """The building or lane a report is about (or its estate, or the place itself)."""
    chain = ancestors(place)
    for kinds in ((PlaceKind.BUILDING, PlaceKind.LANE), (PlaceKind.ESTATE,)):
        found = next((p for p in chain if p.kind in kinds), None)
        if found is not None:
            return found
    return place


def possible_duplicates(
    user: User, case: Case, *, days: int = 7, threshold: float = 0.3, limit: int = 5
) -> list[tuple[Case, float]]:
    """Open cases of the same category at the same building/lane from the last `days` days
    whose text is similar, most similar first — for the dispatcher to merge."""
    anchor = _anchor(case.place)
    since = case.created_at - dt.timedelta(days=days)
    candidates = (
        staff_cases(user)
        .filter(_place_q(anchor), category_id=case.category_id, state__in=OPEN_STATES, created_at__gte=since)
        .exclude(pk=case.pk)
        .select_related("place")
        .order_by("-created_at")[:200]
    )
    scored = [(other, text_similarity(case.text, other.text)) for other in candidates]
    scored = [(other, round(score, 3)) for other, score in scored if score >= threshold]
    scored.sort(key=lambda item: (-item[1], -item[0].pk))
    return scored[:limit]


# --- statistics -------------------------------------------------------------------------------


def _aggregates(now: dt.datetime) -> dict[str, Any]:
    late_now = overdue_q(now)
    return {
        "received": Count("pk"),
        "resolved": Count("pk", filter=Q(state__in=DONE_STATES)),
        "open": Count("pk", filter=Q(state__in=OPEN_STATES)),
        "rejected": Count("pk", filter=Q(state=State.REJECTED)),
        "overdue": Count("pk", filter=Q(was_overdue=True) | late_now),
        "overdue_open": Count("pk", filter=late_now),
        "avg_accept_seconds": Avg("accept_seconds"),
        "avg_resolve_seconds": Avg("resolve_seconds"),
        "rated": Count("pk", filter=Q(rating__isnull=False)),
        "satisfied": Count("pk", filter=Q(rating__gte=4)),
        "unsatisfied": Count("pk", filter=Q(rating__lte=2)),
        "avg_rating": Avg("rating"),
    }


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    def hours(seconds: float | None) -> float | None:
        return round(seconds / 3600, 1) if seconds is not None else None

    rated = row.get("rated") or 0
    received = row.get("received") or 0
    return {
        **{k: v for k, v in row.items() if not k.startswith("avg_")},
        "avg_accept_hours": hours(row.get("avg_accept_seconds")),
        "avg_resolve_hours": hours(row.get("avg_resolve_seconds")),
        "avg_rating": round(row["avg_rating"], 2) if row.get("avg_rating") is not None else None,
        "satisfaction_rate": round(row["satisfied"] / rated, 3) if rated else None,
        "resolve_rate": round(row["resolved"] / received, 3) if received else None,
    }


def stats_places(user: User) -> QuerySet[Place]:
    """The subtree roots where the user may read statistics."""
    if is_unrestricted(user):
        return Place.objects.filter(parent__isnull=True)
    return Place.objects.filter(path__in=paths_with(user, caps.CASES_STATS))


def _stats_scope(user: User, place: Place | None) -> tuple[Q, list[str]]:
    """The case filter and the subtree roots the user's statistics cover; NotFound outside."""
    if not _authenticated(user):
        raise NotFound()
    if place is not None:
        if not has_capability(user, caps.CASES_STATS, place):
            raise NotFound()
        return _place_q(place), [place.path]
    if is_unrestricted(user):
        return Q(), []
    roots = paths_with(user, caps.CASES_STATS)
    if not roots:
        raise NotFound()
    return subtree_q(roots, "place_path"), roots


def _whole_day(value: dt.date | dt.datetime | None) -> dt.date | None:
    """The day a bound names, or None when it is a moment inside a day (the rollups hold days)."""
    if value is None or not isinstance(value, dt.datetime):
        return value
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.date() if local.time() == dt.time.min else None


def _by_rollups(place: Place | None, roots: list[str], since: Any, until: Any) -> bool:
    from gridgov.cases.rollups import ANCHOR_KINDS

    if (since is not None and _whole_day(since) is None) or (until is not None and _whole_day(until) is None):
        return False
    # Rows are kept at grids and above; a smaller area (an estate) is recounted from its cases.
    if place is not None:
        return place.kind in ANCHOR_KINDS
    return not roots or Place.objects.filter(path__in=roots).exclude(kind__in=ANCHOR_KINDS).count() == 0


def overdue_open_count(user: User, place: Place | None = None, *, now: dt.datetime | None = None) -> int:
    """Open cases past their accept or resolve deadline right now (`overdue_q`, the workbench's
    已超时), whenever they were reported, in the user's statistics scope or `place`'s subtree."""
    scope, _roots = _stats_scope(user, place)
    return Case.objects.filter(scope, overdue_q(now or clock.now())).count()


def _live(scope: Q, since: Any, until: Any, now: dt.datetime) -> dict[str, Any]:
    """What depends on the moment: the open cases that are late now (all report dates, the
    workbench's definition) and, for the period's cohort, the late ones not yet flagged by the
    sweep and the open ones by level. Only open cases are read (a partial index)."""
    open_cases = Case.objects.filter(scope, state__in=OPEN_STATES)
    late = open_cases.filter(overdue_q(now))
    cohort = _dated(open_cases, since, until)
    unflagged = _dated(late, since, until).filter(was_overdue=False)

    def grouped(qs: QuerySet[Case], field: str) -> dict[Any, int]:
        return dict(qs.values_list(field).annotate(n=Count("pk")).order_by())

    return {
        "overdue_open": late.count(),
        "overdue_open_by": {"category": grouped(late, "category__code"), "channel": grouped(late, "channel")},
        "unflagged": unflagged.count(),
        "unflagged_by": {
            "category": grouped(unflagged, "category__code"),
            "channel": grouped(unflagged, "channel"),
        },
        "by_level": grouped(cohort, "level"),
    }


def _dated(qs: QuerySet[Any], since: Any, until: Any, field: str = "created_at") -> QuerySet[Any]:
    if since:
        qs = qs.filter(**{f"{field}__gte": _as_datetime(since)})
    if until:
        bound = _as_datetime(until, end=True) if not isinstance(until, dt.datetime) else until
        qs = qs.filter(**{f"{field}__lt": bound})
    return qs


def _rollup_span(since: dt.date | None, until: dt.date | None) -> Q:
    """Rows covering the days [since, until]: whole months from the monthly rows, the ragged
    edges from the daily ones, so a long range stays a sum over few rows."""
    from gridgov.cases.models import RollupGrain

    first_full = (
        since
        if since is None or since.day == 1
        else (since.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    )
    end = until + dt.timedelta(days=1) if until is not None else None  # exclusive
    last_full = end.replace(day=1) if end is not None else None  # months strictly before this are whole
    if first_full is not None and last_full is not None and first_full >= last_full:
        days = Q(grain=RollupGrain.DAY)
        if since is not None:
            days &= Q(day__gte=since)
        if end is not None:
            days &= Q(day__lt=end)
        return days
    months = Q(grain=RollupGrain.MONTH)
    if first_full is not None:
        months &= Q(day__gte=first_full)
    if last_full is not None:
        months &= Q(day__lt=last_full)
    span = months
    if since is not None and first_full is not None and since < first_full:
        span |= Q(grain=RollupGrain.DAY, day__gte=since, day__lt=first_full)
    if end is not None and last_full is not None and last_full < end:
        span |= Q(grain=RollupGrain.DAY, day__gte=last_full, day__lt=end)
    return span


_ROLLUP_SUMS = (
    "received",
    "merged",
    "resolved",
    "open",
    "rejected",
    "overdue",
    "accept_n",
    "accept_sum",
    "resolve_n",
    "resolve_sum",
    "rated",
    "satisfied",
    "unsatisfied",
    "rating_sum",
)


def _rollup_rows(scope_paths: Place | list[str] | None, since: Any, until: Any) -> QuerySet[Any]:
    from gridgov.cases.models import CaseRollup

    qs = CaseRollup.objects.filter(_rollup_span(_whole_day(since), _whole_day(until)))
    if isinstance(scope_paths, Place):
        qs = qs.filter(place_q(scope_paths, "place_path"))
    elif scope_paths:
        qs = qs.filter(subtree_q(scope_paths, "place_path"))
    return qs


def _summed(row: dict[str, Any]) -> dict[str, Any]:
    """A rollup sum in the shape `_aggregates` gives (before `_finish`)."""
    n = {name: row.get(name) or 0 for name in _ROLLUP_SUMS}
    return {
        "received": n["received"],
        "resolved": n["resolved"],
        "open": n["open"],
        "rejected": n["rejected"],
        "overdue": n["overdue"],
        "avg_accept_seconds": n["accept_sum"] / n["accept_n"] if n["accept_n"] else None,
        "avg_resolve_seconds": n["resolve_sum"] / n["resolve_n"] if n["resolve_n"] else None,
        "rated": n["rated"],
        "satisfied": n["satisfied"],
        "unsatisfied": n["unsatisfied"],
        "avg_rating": n["rating_sum"] / n["rated"] if n["rated"] else None,
    }


def case_stats(
    user: User,
    place: Place | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Received, resolved, overdue, average hours to accept and resolve, satisfaction — in
    total, by category and by channel — for the cases reported in a period in a place subtree
    (default: all of the user's). Merged duplicates are counted apart and left out of everything
    else. `overdue_open` is every case late right now whenever reported (the workbench's
    已超时); `overdue` counts the period's cases that were or are late. Summed from the rollups
    (gridgov.cases.rollups) for grids and above and whole days; recounted otherwise."""
    scope, roots = _stats_scope(user, place)
    now = now or clock.now()
    if not _by_rollups(place, roots, since, until):
        return case_stats_recount(user, place, since, until, now=now)
    live = _live(scope, since, until, now)
    rows = _rollup_rows(place if place is not None else roots, since, until)
    # One pass over the rollups, grouped by category and channel together (at most a few hundred
    # groups): the totals, the categories and the channels are summed from it here, instead of
    # three scans of the same rows (a street's ten years are tens of thousands of monthly rows).
    sums = {name: Sum(name) for name in _ROLLUP_SUMS}
    totals_row: dict[str, int] = dict.fromkeys(_ROLLUP_SUMS, 0)
    per_category: dict[Any, dict[str, int]] = {}
    per_channel: dict[str, dict[str, int]] = {}
    for group in rows.values("category_id", "channel").annotate(**sums).order_by():
        for into in (
            totals_row,
            per_category.setdefault(group["category_id"], dict.fromkeys(_ROLLUP_SUMS, 0)),
            per_channel.setdefault(group["channel"], dict.fromkeys(_ROLLUP_SUMS, 0)),
        ):
            for name in _ROLLUP_SUMS:
                into[name] += group[name] or 0
    names = dict(Category.objects.filter(parent__isnull=True).values_list("pk", "code"))
    labels = dict(Category.objects.filter(parent__isnull=True).values_list("code", "name"))

    def finish(row: dict[str, Any], dim: str, code: Any) -> dict[str, Any]:
        summed = _summed(row)
        summed["overdue"] += live["unflagged_by"][dim].get(code, 0)
        summed["overdue_open"] = live["overdue_open_by"][dim].get(code, 0)
        return _finish(summed)

    by_category = []
    for category_id, row in per_category.items():
        code = names.get(category_id, str(category_id))
        if not (row["received"] or 0):
            continue
        by_category.append({**finish(row, "category", code), "name": labels.get(code, code), "code": code})
    by_category.sort(key=lambda r: r["code"])
    by_channel = []
    for channel, row in sorted(per_channel.items()):
        if not row["received"]:
            continue
        by_channel.append(
            {**finish(row, "channel", channel), "name": Channel(channel).label, "code": channel}
        )
    totals = _summed(totals_row)
    totals["overdue"] += live["unflagged"]
    totals["overdue_open"] = live["overdue_open"]
    return {
        "place": place.name if place is not None else "",
        "since": since,
        "until": until,
        "merged": totals_row.get("merged") or 0,
        **_finish(totals),
        "open_by_level": {level: live["by_level"].get(level, 0) for level in Level.values},
        "by_category": by_category,
        "by_channel": by_channel,
    }


def case_trend(
    user: User, place: Place | None, start: dt.date, end: dt.date, *, by: str = "day"
) -> list[dict[str, Any]]:
    """Received, resolved, overdue, timings and satisfaction per day (or per whole calendar
    month) of report, `start`..`end` inclusive, for a place subtree at grid level or above
    (default: all of the user's); NotFound outside the user's statistics scope."""
    from gridgov.cases.models import CaseRollup, RollupGrain
    from gridgov.cases.rollups import ANCHOR_KINDS

    _scope, roots = _stats_scope(user, place)
    if place is not None and place.kind not in ANCHOR_KINDS:
        raise NotFound()
    grain = RollupGrain.MONTH if by == "month" else RollupGrain.DAY
    first = start.replace(day=1) if grain == RollupGrain.MONTH else start
    rows = CaseRollup.objects.filter(grain=grain, day__gte=first, day__lte=end)
    rows = rows.filter(
        place_q(place, "place_path")
        if place is not None
        else (subtree_q(roots, "place_path") if roots else Q())
    )
    sums = {name: Sum(name) for name in _ROLLUP_SUMS}
    return [
        {"period": row["day"], **_finish(_summed(row))}
        for row in rows.values("day").annotate(**sums).order_by("day")
    ]


def case_children(
    user: User,
    place: Place,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The period's figures for each area place directly under `place` (and its own, as 本级
    when cases sit at it directly), from the rollups; NotFound outside the statistics scope."""
    from gridgov.cases.rollups import ANCHOR_KINDS

    _stats_scope(user, place)
    if place.kind not in ANCHOR_KINDS:
        raise NotFound()
    rows = _rollup_rows(place, since, until)
    sums = {name: Sum(name) for name in _ROLLUP_SUMS}
    children = {
        child.path: child
        for child in Place.objects.filter(parent=place, kind__in=ANCHOR_KINDS).order_by("path")
    }
    width = len(place.path) + 1 + SEGMENT_WIDTH  # fixed-width segments: a child is one segment longer
    found: dict[str, dict[str, Any]] = {}
    for row in rows.values("place_path").annotate(**sums).order_by():
        key = row["place_path"][:width] if row["place_path"] != place.path else place.path
        target = found.setdefault(key, dict.fromkeys(_ROLLUP_SUMS, 0))
        for name in _ROLLUP_SUMS:
            target[name] += row[name] or 0
    result = []
    if place.path in found:
        result.append({"place": place, "name": "本级", **_finish(_summed(found[place.path]))})
    for path, child in children.items():
        result.append({"place": child, "name": child.name, **_finish(_summed(found.get(path, {})))})
    return result


def case_stats_recount(
    user: User,
    place: Place | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """`case_stats` counted from the cases themselves (the oracle the rollups are tested
    against, and the answer for areas below a grid and for bounds inside a day)."""
    if not _authenticated(user):
        raise NotFound()
    if place is not None:
        if not has_capability(user, caps.CASES_STATS, place):
            raise NotFound()
        scope = _place_q(place)
    else:
        if not is_unrestricted(user) and not paths_with(user, caps.CASES_STATS):
            raise NotFound()
        scope = Q() if is_unrestricted(user) else subtree_q(paths_with(user, caps.CASES_STATS), "place_path")
    qs = Case.objects.filter(scope)
    if since:
        qs = qs.filter(created_at__gte=_as_datetime(since))
    if until:
        qs = qs.filter(
            created_at__lt=_as_datetime(until, end=True) if not isinstance(until, dt.datetime) else until
        )
    merged = qs.filter(state=State.MERGED).count()
    qs = qs.exclude(state=State.MERGED)
    now = now or clock.now()
    aggregates = _aggregates(now)
    totals = _finish(qs.aggregate(**aggregates))
    names = dict(Category.objects.filter(parent__isnull=True).values_list("code", "name"))
    by_category = [
        _finish({**row, "name": names.get(row["category__code"], row["category__code"])})
        for row in qs.values("category__code").annotate(**aggregates).order_by("category__code")
    ]
    for row in by_category:
        row["code"] = row.pop("category__code")
    by_channel = [
        _finish({**row, "name": Channel(row["channel"]).label})
        for row in qs.values("channel").annotate(**aggregates).order_by("channel")
    ]
    for row in by_channel:
        row["code"] = row.pop("channel")
    by_level = {
        row["level"]: row["n"]
        for row in qs.filter(state__in=OPEN_STATES).values("level").annotate(n=Count("pk")).order_by("level")
    }
    # 当前超时 is the workbench's 已超时: late now, whenever reported.
    late = Case.objects.filter(scope, overdue_q(now))
    totals["overdue_open"] = late.count()
    late_by = {
        "category__code": dict(late.values_list("category__code").annotate(n=Count("pk")).order_by()),
        "channel": dict(late.values_list("channel").annotate(n=Count("pk")).order_by()),
    }
    for rows, field in ((by_category, "category__code"), (by_channel, "channel")):
        for row in rows:
            row["overdue_open"] = late_by[field].get(row["code"], 0)
    return {
        "place": place.name if place is not None else "",
        "since": since,
        "until": until,
        "merged": merged,
        **totals,
        "open_by_level": {level: by_level.get(level, 0) for level in Level.values},
        "by_category": by_category,
        "by_channel": by_channel,
    }


# --- configuration ----------------------------------------------------------------------------


def categories(*, active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.select_related("parent")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "id")


def top_categories(*, active_only: bool = True) -> QuerySet[Category]:
    return categories(active_only=active_only).filter(parent__isnull=True)


def subcategories(parent: Category, *, active_only: bool = True) -> QuerySet[Category]:
    return categories(active_only=active_only).filter(parent=parent)


def slas() -> QuerySet[SLA]:
    return SLA.objects.select_related("category", "category__parent").order_by(
        "category__sort_order", "priority"
    )


def routing_rules_for(user: User) -> QuerySet[RoutingRule]:
    """Rules the user may configure (global ones for administrators only)."""
    qs = RoutingRule.objects.select_related("category", "place", "organisation")
    if is_unrestricted(user):
        return qs.order_by("category__sort_order", "place__path", "id")
    paths = paths_with(user, caps.CASES_CONFIGURE)
    return qs.filter(subtree_q(paths, "place__path")).order_by("category__sort_order", "place__path", "id")


def routing_rule_for(user: User, rule_id: int) -> RoutingRule:
    rule = routing_rules_for(user).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


def apikeys_for(user: User) -> QuerySet[ApiKey]:
    qs = ApiKey.objects.select_related("place", "created_by").order_by("name")
    if is_unrestricted(user):
        return qs
    return qs.filter(subtree_q(paths_with(user, caps.CASES_CONFIGURE), "place__path"))


def apikey_for(user: User, key_id: int) -> ApiKey:
    key = apikeys_for(user).filter(pk=key_id).first()
    if key is None:
        raise NotFound()
    return key


def duty_contacts_for(user: User) -> QuerySet[DutyContact]:
    """Duty contacts (值班电话/值班人员) at places where the user configures cases."""
    qs = DutyContact.objects.select_related("place").prefetch_related("users").order_by("place__path")
    if is_unrestricted(user):
        return qs
    return qs.filter(subtree_q(paths_with(user, caps.CASES_CONFIGURE), "place__path"))


def duty_candidates(user: User) -> QuerySet[Any]:
    """Staff a configurer may put on duty: active accounts holding a role with `cases.view`
    at a place inside the configurer's scope (the service checks the chosen place itself)."""
    from gridgov.accounts.models import Role, RoleAssignment
    from gridgov.accounts.models import User as UserModel

    # Roles are a handful of rows; JSON containment is not portable to SQLite.
    role_ids = [
        pk for pk, held in Role.objects.values_list("pk", "capabilities") if caps.CASES_VIEW in (held or ())
    ]
    assignments = RoleAssignment.objects.filter(role_id__in=role_ids)
    if not is_unrestricted(user):
        assignments = assignments.filter(subtree_q(paths_with(user, caps.CASES_CONFIGURE), "place__path"))
    return UserModel.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by("username")


def duty_contact_for(user: User, duty_id: int) -> DutyContact:
    duty = duty_contacts_for(user).filter(pk=duty_id).first()
    if duty is None:
        raise NotFound()
    return duty


# --- the workbench alarm ----------------------------------------------------------------------

# A notification is written inside its case's transaction and may commit a moment after a poll
# that started later: each poll looks back this much further, and the page skips ids it has shown.
ALARM_OVERLAP = dt.timedelta(minutes=2)
ALARM_LOOKBACK = dt.timedelta(hours=24)
ALARM_LIMIT = 5


def urgent_alarms(user: User, since: dt.datetime, *, now: dt.datetime | None = None) -> list[Any]:
    """The user's own unread urgent-case notifications from `since` on, newest first: what the
    open workbench sounds its alarm for. Only ever the user's own, so nothing out of scope."""
    from gridgov.cases.emergency import URGENT_KIND
    from gridgov.notifications.selectors import notifications_for

    now = now or clock.now()
    since = max(since - ALARM_OVERLAP, now - ALARM_LOOKBACK)
    return list(
        notifications_for(user, unread_only=True)
        .filter(kind=URGENT_KIND, created_at__gte=since)
        .order_by("-created_at", "-id")[:ALARM_LIMIT]
    )


def dispatch_targets(user: User, case: Case) -> dict[str, Any]:
    """What a dispatch form offers: the levels the user may send the case to (with their owner
    places), the people responsible there, and the organisations that can take it."""
    from gridgov.cases.routing import owner_at
    from gridgov.orgs.selectors import case_handling_organisations

    chain = ancestors(case.place)
    levels = []
    for level in Level.values:
        actual, owner = owner_at(case.place, level, chain)
        if actual != level or level == Level.DEPARTMENT:
            continue
        if is_unrestricted(user) or has_capability(user, caps.CASES_DISPATCH, owner):
            levels.append((level, owner))
    people: dict[str, list[Any]] = {}
    for level, owner in levels:
        at_level = [kind for kind, rung in KIND_LEVEL.items() if rung == level]
        people[level] = list(holders(caps.CASES_HANDLE, owner, kinds=at_level).order_by("username"))
    organisations = case_handling_organisations(user)
    return {"levels": levels, "people": people, "organisations": organisations}


def reporter_for_staff(case: Case) -> str:
    """The reporter as staff see them (masked phone); the public never gets this."""
    return (
        case.reporter_display
        if case.reporter_name
        or case.reporter_phone_last4
        or case.reporter_user_id
        or case.reporter_resident_id
        else "匿名"
    )


__all__ = [
    "allowed_actions",
    "apikey_for",
    "apikeys_for",
    "attachment_for",
    "call_for",
    "case_attachments",
    "case_by_tracking_code",
    "case_calls",
    "case_for",
    "case_stats",
    "case_timeline",
    "cases_for",
    "cases_visible",
    "categories",
    "dispatch_queue",
    "dispatch_targets",
    "duty_candidates",
    "duty_contact_for",
    "duty_contacts_for",
    "my_queue",
    "my_reports",
    "overdue",
    "pending_calls",
    "possible_duplicates",
    "public_cases",
    "public_status",
    "public_timeline",
    "routing_rule_for",
    "routing_rules_for",
    "slas",
    "staff_cases",
    "stats_places",
    "subcategories",
    "text_similarity",
    "top_categories",
    "urgent_alarms",
]


# --- public report page: spam control (cases.views_public) ------------------------------------


def anonymous_reports_since(phone: str, since: dt.datetime, *, exclude_client_key: str = "") -> int:
    """Anonymous public-channel reports left with `phone` (normalised) since `since`. A retried
    submission (same client key) is not counted, so a retry still gets its first case back."""
    from gridgov.cases.models import PUBLIC_CHANNELS
    from gridgov.cases.services import phone_hash

    qs = Case.objects.filter(
        reporter_phone_hash=phone_hash(phone),
        reporter_user__isnull=True,
        channel__in=PUBLIC_CHANNELS,
        created_at__gte=since,
    )
    if exclude_client_key:
        qs = qs.exclude(client_key=exclude_client_key)
    return qs.count()


# --- lookups for the JSON API and external systems (API keys carry a place scope) --------------


def report_place(place_id: int | str | None) -> Place:
    """A place a report may be filed at: any place of the tree (residents pick on the tree;
    the intake service decides who may report where)."""
    try:
        pk = int(place_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NotFound() from None
    place = Place.objects.filter(pk=pk).first()
    if place is None:
        raise NotFound()
    return place


def key_places(api_key: ApiKey) -> QuerySet[Place]:
    """The places an external system's key may report at (all of them for an unscoped key)."""
    if api_key.place_id is None:
        return Place.objects.all()
    return Place.objects.filter(_place_q(api_key.place, "path"))


def key_place(api_key: ApiKey, *, place_id: int | None = None, path: str = "", code: str = "") -> Place:
    """A place inside the key's scope by id, by materialised path or by its (unique) code;
    NotFound alike for a missing, an out-of-scope or an ambiguous reference."""
    qs = key_places(api_key)
    if place_id is not None:
        # By id (what cameras and the hotline send): the place read with its ancestors in one
        # query, for the route that follows; the key's scope checked on the path read.
        place = place_with_ancestors(place_id)
        if place is None or (api_key.place is not None and not within(place.path, [api_key.place.path])):
            raise NotFound()
        return place
    elif path:
        qs = qs.filter(path=path.strip())
    elif code:
        qs = qs.filter(code=code.strip())
    else:
        raise NotFound()
    found = list(qs[:2])
    if len(found) != 1:
        raise NotFound()
    return found[0]


def dispatch_handler(user: User, case: Case, user_id: int, organisation: Any = None) -> User:
    """The person a dispatcher picked: one of the organisation's active staff, or one of the
    people `dispatch_targets` offers; anyone else is NotFound (ids cannot be probed)."""
    from gridgov.accounts.models import User as UserModel

    if organisation is not None:
        found = UserModel.objects.filter(pk=user_id, organisation_id=organisation.pk, is_active=True).first()
    else:
        people = dispatch_targets(user, case)["people"]
        found = next((p for group in people.values() for p in group if p.pk == user_id), None)
    if found is None:
        raise NotFound()
    return found
