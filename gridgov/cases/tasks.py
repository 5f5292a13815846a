"""Background work for cases, through the django_tasks API (Django 6's django.tasks).

Run them periodically (cron / systemd timer: `gridgov cases_sweep`, or enqueue the tasks from a
scheduler); each is idempotent and safe to run from several workers at once.
"""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from gridgov.cases import services


@task()
def sla_sweep_task() -> dict[str, int]:
    result = services.sla_sweep()
    services.apikey_prune()
    return {"escalated": result.escalated, "flagged": result.flagged}


@task()
def close_unrated_task(days: int | None = None) -> int:
    return services.cases_close_unrated(days=days or close_after_days())


def close_after_days() -> int:
    return int(getattr(settings, "GRIDGOV_CASE_CLOSE_UNRATED_DAYS", 7))
