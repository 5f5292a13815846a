"""Background work for cases, through the django_tasks API (Django 6's django.tasks).

Run them periodically (cron / systemd timer: `gridgov cases_sweep`, or enqueue the tasks from a
scheduler); each is idempotent and safe to run from several workers at once.
"""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from gridgov.cases import services
from gridgov.core import calendar


@task()
def sla_sweep_task() -> dict[str, int]:
    # The sweep runs every few minutes everywhere: the place to notice a year without holidays.
    calendar.warn_if_missing()
    result = services.sla_sweep()
    services.apikey_prune()
    services.tracking_guard_prune()
    return {"escalated": result.escalated, "flagged": result.flagged}


@task()
def close_unrated_task(days: int | None = None) -> int:
    return services.cases_close_unrated(days=days or close_after_days())


def close_after_days() -> int:
    return settings.GRIDGOV_CASE_CLOSE_UNRATED_DAYS


@task()
def run_case_list(job_id: int) -> None:
    """File an uploaded problem list (cases bulk intake): read in the worker, never the request."""
    from gridgov.cases.bulk import bulk_run

    bulk_run(job_id=job_id)


@task()
def alarm_urgent(case_id: int, by_id: int | None = None) -> None:
    """The urgent alarm for a case reported urgent (`services.urgent.alarm_after_commit`): the
    recipients and the messages, worked out after the report committed, not in its request.
    `by_id` is whoever reported it (not told what they entered themselves)."""
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import SYSTEM
    from gridgov.cases.models import Case
    from gridgov.cases.services.urgent import _alarm_urgent

    case = (
        Case.objects.select_related("place", "category", "subcategory", "level_place", "handler_user")
        .filter(pk=case_id)
        .first()
    )
    if case is None:  # merged away or deleted before the worker got to it
        return
    by = User.objects.filter(pk=by_id).first() if by_id else None
    _alarm_urgent(case, by=by or SYSTEM)
