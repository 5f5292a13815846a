"""On PostgreSQL the statistics never read the case table sequentially: the history is summed
from the rollups and only the open cases are read, through an index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.cases.models import Case
from gridgov.cases.selectors import case_stats

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are checked on PostgreSQL only"
)


def _plans_touching_cases(queries: list[dict]) -> list[str]:
    table = Case._meta.db_table
    plans = []
    with connection.cursor() as cursor:
        # A tiny test table makes any plan cheap; forbidding sequential scans shows whether an
        # index path exists at all (without one the planner still has to print a Seq Scan).
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in queries:
                sql = query["sql"]
                if f'"{table}"' not in sql or not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN " + sql)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("SET enable_seqscan = on")
    return plans


@pytest.mark.parametrize("scope", ["street", "community"])
def test_stats_queries_use_an_index_on_the_case_table(cw, submit, scope):
    submit(text="一号楼垃圾")
    submit(place=cw.building2, text="八号楼垃圾", by=cw.bob, channel="patrol", reporter_phone="")
    place = cw.community.parent if scope == "street" else cw.community
    with CaptureQueriesContext(connection) as captured:
        figures = case_stats(cw.admin, place)
    assert figures["received"] == 2
    plans = _plans_touching_cases(captured.captured_queries)
    assert plans, "the statistics read the open cases"
    for plan in plans:
        assert f"Seq Scan on {Case._meta.db_table}" not in plan, plan
