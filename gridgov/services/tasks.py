"""Background work for 生活快车 (django_tasks): the overdue-order sweep, run by `gridgov scheduler`."""

from __future__ import annotations

from django_tasks import task

from gridgov.services import services


@task()
def order_sweep_task() -> dict[str, int]:
    result = services.order_sweep()
    return {"to_leader": result.to_leader, "to_community": result.to_community}
