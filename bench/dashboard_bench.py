"""Dashboard benchmark: time the whole street's dashboard selectors (issue 13's target: under
300 ms with 1,000,000 cases in PostgreSQL). A benchmark, not a test.

    python bench/gen_cases.py --build-demo          # once, into the database below (helper script)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/dashboard_bench.py
    python bench/dashboard_bench.py --runs 9 --user street --days 30

Each figure is timed on its own (median of `--runs` after one warm-up), then the whole
`command.selectors.dashboard` call, as `--user` (default the demo administrator) over the street it lands on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm-up: plans, caches, the connection
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--user",
        default="admin",
        help="用户名（默认演示系统管理员 admin：其数据库未必已迁移出 command.view）",
    )
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    _setup()

    from django.db import connection

    from gridgov.accounts.models import User
    from gridgov.cases.models import Case
    from gridgov.cases.selectors import case_stats
    from gridgov.command import periods
    from gridgov.command import selectors as s
    from gridgov.core import clock

    user = User.objects.get(username=args.user)
    place = s.home_place(user)
    if place is None:
        raise SystemExit(f"{args.user} 没有可以打开数据看板的地点")
    now = clock.now()
    today = clock.today()
    period = periods.preset(args.days, today)
    since = period.since
    children = s.drill_children(place)
    total = Case.objects.count()
    print(
        f"database {connection.vendor} {connection.settings_dict['NAME']}: {total:,} cases; "
        f"place {place.name} ({place.path}); {period.label}; median of {args.runs}"
    )
    day_trend = s._day_trend(user, place, period)
    parts: list[tuple[str, Callable[[], Any]]] = [
        (
            "case_stats (totals, by category, by channel)",
            lambda: case_stats(user, place, since=since, until=period.last, now=now),
        ),
        ("registry figures", lambda: s.registry_figures(user, place, today=today)),
        ("trend by day (rollups)", lambda: s._day_trend(user, place, period)),
        ("trend by month, 12 (rollups)", lambda: s._month_trend(user, place, period, day_trend)),
        ("by child place", lambda: s._by_child(place, children, period, now)),
        ("by state", lambda: s._by_state(place, period)),
        ("吹哨 report-back", lambda: s._calls(place, period)),
        ("on-time rates", lambda: s._on_time(place, period)),
        (
            "other apps' figures (services, care, activities, consult, mediation)",
            lambda: s.app_figures(user, place, children, period),
        ),
        ("WHOLE dashboard()", lambda: s.dashboard(user, place, period=period, now=now)),
        ("partners per grid (page only, not the wall)", lambda: s.partners(user, place, since=since)),
        ("map layers (3,000 latest cases)", lambda: s.map_layers(user, place, wall=True)),
    ]
    print(f"{'figure':70} {'median ms':>10} {'max ms':>10}")
    for label, fn in parts:
        median, worst = _time(fn, args.runs)
        print(f"{label:70} {median:10.1f} {worst:10.1f}")


if __name__ == "__main__":
    main()
