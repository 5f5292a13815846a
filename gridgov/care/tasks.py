"""Background work for care (django_tasks): the missed-duty sweep, run daily by `gridgov scheduler`."""

from __future__ import annotations

from django_tasks import task

from gridgov.care import services


@task()
def duty_sweep_task() -> dict[str, int]:
    result = services.duty_sweep()
    return {"to_grid": result.to_grid, "to_community": result.to_community}
