"""Statistics rollups: what every case counts for, kept per report day and month, per area place.

A case counts once, in the row keyed by its report day (Asia/Shanghai), its nearest district,
street, community or grid (the *anchor*), its top-level category and its channel. What it counts
for (received, resolved, open, rejected, merged, ever overdue, accept/resolve seconds, rating) is
a function of its own columns, so a transition is `record(case)`: the contribution after minus
the contribution when the case was read (`Case.from_db` keeps that snapshot), added with one
upsert in the transition's own transaction. Additions commute, so two transitions of cases in
the same row never lose each other's counts. `rollup_rebuild` recomputes the rows from the cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases.models import DONE_STATES, OPEN_STATES, Case, CaseRollup, RollupGrain, State
from gridgov.core.inserts import bound_cursor
from gridgov.places.models import Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

# The places a row is kept at: every place a statistics reader can pick above the estates.
ANCHOR_KINDS: tuple[str, ...] = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID)

SEEN_FIELDS: tuple[str, ...] = (
    "state",
    "was_overdue",
    "accept_seconds",
    "resolve_seconds",
    "rating",
    "category_id",
    "channel",
    "place_id",
    "created_at",
)
COUNTERS: tuple[str, ...] = (
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
_LOADED = frozenset(SEEN_FIELDS)
Key = tuple[dt.date, int, int, str]


def snapshot(case: Case, field_names: Iterable[str] | None = None) -> dict[str, Any] | None:
    """The columns the statistics read, as they are on `case`; None when a deferred load left
    one of them out (such an instance cannot be recorded)."""
    if field_names is not None:
        loaded = {getattr(Case._meta.get_field(name), "attname", name) for name in field_names}
        if not _LOADED <= loaded:
            return None
    return {name: getattr(case, name) for name in SEEN_FIELDS}


def report_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _key(seen: dict[str, Any]) -> Key:
    return (report_day(seen["created_at"]), seen["place_id"], seen["category_id"], seen["channel"])


def contribution(seen: dict[str, Any]) -> dict[str, int]:
    """What one case adds to its row: the same definitions as a recount over the cases."""
    state = seen["state"]
    if state == State.MERGED:
        return {"merged": 1}
    rating = seen["rating"]
    vector = {
        "received": 1,
        "resolved": int(state in DONE_STATES),
        "open": int(state in OPEN_STATES),
        "rejected": int(state == State.REJECTED),
        "overdue": int(bool(seen["was_overdue"])),
        "accept_n": int(seen["accept_seconds"] is not None),
        "accept_sum": seen["accept_seconds"] or 0,
        "resolve_n": int(seen["resolve_seconds"] is not None),
        "resolve_sum": seen["resolve_seconds"] or 0,
        "rated": int(rating is not None),
        "satisfied": int(rating is not None and rating >= 4),
        "unsatisfied": int(rating is not None and rating <= 2),
        "rating_sum": rating or 0,
    }
    return {name: value for name, value in vector.items() if value}


def anchors(place_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Each place's nearest area ancestor-or-self (id, path) among ANCHOR_KINDS; a place with
    none (an orphan estate) is its own anchor."""
    places = list(Place.objects.filter(pk__in=set(place_ids)).values_list("pk", "path", "kind"))
    wanted = {path for _, path, _ in places}
    for _, path, _ in places:
        parts = path.split(".")
        wanted.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    found = dict(Place.objects.filter(path__in=wanted, kind__in=ANCHOR_KINDS).values_list("path", "pk"))
    result: dict[int, tuple[int, str]] = {}
    for pk, path, _kind in places:
        parts = path.split(".")
        result[pk] = (pk, path)
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in found:
                result[pk] = (found[prefix], prefix)
                break
    return result


def anchors_in(chain: Sequence[Place]) -> dict[int, tuple[int, str]]:
    """`anchors` for the first place of `chain` (the place and its ancestors, nearest first, as
    `routing.ancestors` gives them), without a query."""
    place = chain[0]
    anchor = next((p for p in chain if p.kind in ANCHOR_KINDS), place)
    return {place.pk: (anchor.pk, anchor.path)}


def record(case: Case, *, created: bool = False, chain: Sequence[Place] | None = None) -> None:
    """Move the saved case's contribution to the statistics; call once after each save that can
    change its state, deadlines-passed flag, timings, rating, category, channel or place, inside
    the same transaction. `created` for a case inserted just now; `chain`, the case's place and
    its ancestors nearest first, spares looking its anchor up."""
    after = snapshot(case)
    assert after is not None
    if created:
        before = None
    else:
        before = getattr(case, "_rollup_seen", None)
        if before is None:
            raise RuntimeError("rollups.record: the case was not read with all its statistics columns")
    case._rollup_seen = after
    if before == after:
        return
    deltas: dict[Key, dict[str, int]] = defaultdict(dict)
    if before is not None:
        for name, value in contribution(before).items():
            deltas[_key(before)][name] = -value
    for name, value in contribution(after).items():
        row = deltas[_key(after)]
        row[name] = row.get(name, 0) + value
    changed = {key: {n: v for n, v in row.items() if v} for key, row in deltas.items()}
    changed = {key: row for key, row in changed.items() if row}
    if changed:
        _add(changed, known=anchors_in(chain) if chain else None)


def _add(deltas: dict[Key, dict[str, int]], known: dict[int, tuple[int, str]] | None = None) -> None:
    """One upsert for every (grain, row) touched: INSERT … ON CONFLICT DO UPDATE SET n = n + new
    (SQLite and PostgreSQL both), the atomic F()-style increment without a read."""
    where = dict(known or {})
    missing = {place_id for _, place_id, _, _ in deltas} - set(where)
    if missing:
        where.update(anchors(missing))
    table = connection.ops.quote_name(CaseRollup._meta.db_table)
    columns = ["grain", "day", "place_id", "place_path", "category_id", "channel", *COUNTERS]
    rows: list[Any] = []
    for (day, place_id, category_id, channel), vector in sorted(deltas.items()):
        anchor_id, anchor_path = where[place_id]
        counters = [vector.get(name, 0) for name in COUNTERS]
        for grain, first in ((RollupGrain.DAY, day), (RollupGrain.MONTH, day.replace(day=1))):
            rows.append(
                [
                    str(grain),
                    connection.ops.adapt_datefield_value(first),
                    anchor_id,
                    anchor_path,
                    category_id,
                    channel,
                    *counters,
                ]
            )
    quoted = [connection.ops.quote_name(name) for name in columns]
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    updates = ", ".join(f"{q} = {table}.{q} + excluded.{q}" for q in quoted[6:])
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {values} "
        f"ON CONFLICT ({', '.join(quoted[i] for i in (0, 1, 2, 4, 5))}) DO UPDATE SET {updates}"
    )
    # Plain column values: bound by the server (core.inserts.bound_cursor).
    with bound_cursor(connection) as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


# --- rebuilding from the cases ---------------------------------------------------------------

_RECOUNT = {
    "received": Count("pk", filter=~Q(state=State.MERGED)),
    "merged": Count("pk", filter=Q(state=State.MERGED)),
    "resolved": Count("pk", filter=Q(state__in=DONE_STATES)),
    "open": Count("pk", filter=Q(state__in=OPEN_STATES)),
    "rejected": Count("pk", filter=Q(state=State.REJECTED)),
    "overdue": Count("pk", filter=Q(was_overdue=True) & ~Q(state=State.MERGED)),
    "accept_n": Count("accept_seconds", filter=~Q(state=State.MERGED)),
    "accept_sum": Sum("accept_seconds", filter=~Q(state=State.MERGED)),
    "resolve_n": Count("resolve_seconds", filter=~Q(state=State.MERGED)),
    "resolve_sum": Sum("resolve_seconds", filter=~Q(state=State.MERGED)),
    "rated": Count("rating", filter=~Q(state=State.MERGED)),
    "satisfied": Count("pk", filter=Q(rating__gte=4) & ~Q(state=State.MERGED)),
    "unsatisfied": Count("pk", filter=Q(rating__lte=2) & ~Q(state=State.MERGED)),
    "rating_sum": Sum("rating", filter=~Q(state=State.MERGED)),
}
REBUILD_BATCH = 2000


def recount(cases: Any = None) -> dict[Key, dict[str, int]]:
    """The daily rows as a full recount over `cases` (default: all) would give them, keyed by
    (day, anchor id, category id, channel): the oracle the rollups are tested against."""
    qs = Case.objects.all() if cases is None else cases
    grouped = (
        qs.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "place_id", "category_id", "channel")
        .annotate(**_RECOUNT)
        .order_by()
    )
    rows = list(grouped)
    where = anchors({row["place_id"] for row in rows})
    result: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for row in rows:
        target = result[(row["day"], where[row["place_id"]][0], row["category_id"], row["channel"])]
        for name in COUNTERS:
            target[name] += row[name] or 0
    return dict(result)


def stored(grain: str = RollupGrain.DAY) -> dict[Key, dict[str, int]]:
    """The rows as kept, in the same shape as `recount` (rows of all zeros left out)."""
    result = {}
    for row in CaseRollup.objects.filter(grain=grain).values(
        "day", "place_id", "category_id", "channel", *COUNTERS
    ):
        counters = {name: row[name] for name in COUNTERS}
        if any(counters.values()):
            result[(row["day"], row["place_id"], row["category_id"], row["channel"])] = counters
    return result


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def rollup_rebuild(*, by: Actor, since: dt.date | None = None) -> int:
    """Recompute the rows for the cases reported since `since` (widened to its month's first
    day; default: all) from the cases themselves, a month at a time so memory stays flat; after
    imports and bulk loads. Returns the number of daily rows written."""
    start = since.replace(day=1) if since is not None else None
    written = 0
    with transaction.atomic():
        rows = CaseRollup.objects.all() if start is None else CaseRollup.objects.filter(day__gte=start)
        rows.delete()
        cases = Case.objects.all() if start is None else Case.objects.filter(created_at__gte=_midnight(start))
        span = cases.aggregate(first=Min("created_at"), last=Max("created_at"))
        anchor_paths = dict(Place.objects.filter(kind__in=ANCHOR_KINDS).values_list("pk", "path"))
        month = report_day(span["first"]).replace(day=1) if span["first"] else None
        while month is not None and month <= report_day(span["last"]):
            following = _month_after(month)
            daily = recount(
                cases.filter(created_at__gte=_midnight(month), created_at__lt=_midnight(following))
            )
            for pk in {place_id for _, place_id, _, _ in daily} - set(anchor_paths):
                anchor_paths[pk] = Place.objects.values_list("path", flat=True).get(pk=pk)
            totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
            batch: list[CaseRollup] = []
            for (day, place_id, category_id, channel), counters in daily.items():
                total = totals[(month, place_id, category_id, channel)]
                for name, value in counters.items():
                    total[name] += value
                path = anchor_paths[place_id]
                batch.append(_row(RollupGrain.DAY, day, place_id, path, category_id, channel, counters))
            for (day, place_id, category_id, channel), counters in totals.items():
                path = anchor_paths[place_id]
                batch.append(_row(RollupGrain.MONTH, day, place_id, path, category_id, channel, counters))
            CaseRollup.objects.bulk_create(batch, batch_size=REBUILD_BATCH)
            written += len(daily)
            month = following
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            target_type="cases.caserollup",
            target_id="",
            target_label="事件统计汇总重算",
            place_path="",
            changes={"since": [None, start.isoformat() if start else "全部"], "rows": [None, written]},
        )
    return written


def _row(
    grain: str,
    day: dt.date,
    place_id: int,
    path: str,
    category_id: int,
    channel: str,
    counters: dict[str, int],
) -> CaseRollup:
    return CaseRollup(
        grain=grain,
        day=day,
        place_id=place_id,
        place_path=path,
        category_id=category_id,
        channel=channel,
        **counters,
    )
