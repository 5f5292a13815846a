"""The list of import jobs, page and API: the number of queries does not grow with the jobs
(the API named each job's errors with two queries per job before)."""

from __future__ import annotations

import pytest


def _jobs(world, rows: int) -> None:
    from gridgov.transfer.models import ImportJob, ImportRowError

    for index in range(rows):
        job = ImportJob.objects.create(
            created_by=world.carol,
            place=world.community,
            kind="residents",
            original_name=f"第{index}批.xlsx",
            bad_rows=2,
        )
        for row in (3, 7):
            ImportRowError.objects.create(
                job=job, row=row, column="身份证号", message="校验位不对", name="张三"
            )


@pytest.mark.parametrize("rows", [5, 50])
def test_import_list_page_costs_the_same_queries_for_5_and_50_jobs(
    world, client, rows, django_assert_max_num_queries
):
    _jobs(world, rows)
    client.force_login(world.carol)
    client.get("/transfer/")
    with django_assert_max_num_queries(11):  # 8 at both sizes
        response = client.get("/transfer/")
    assert response.status_code == 200
    page = response.content.decode()
    assert len([index for index in range(rows) if f"第{index}批.xlsx" in page]) == min(rows, 20)


@pytest.mark.parametrize("rows", [5, 50])
def test_import_list_api_costs_the_same_queries_for_5_and_50_jobs(
    world, client, rows, django_assert_max_num_queries
):
    _jobs(world, rows)
    client.force_login(world.carol)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/imports")
    assert response.status_code == 200, response.content
    items = response.json()
    assert len(items) == rows
    for item in items:
        assert item["error_count"] == 2
        assert [(e["row"], e["message"]) for e in item["errors"]] == [(3, "校验位不对"), (7, "校验位不对")]
