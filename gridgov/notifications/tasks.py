"""Background delivery of outbound messages through the django-tasks API.

Only `from django_tasks import task` ties this to the backport: on Django 6 it becomes
`from django.tasks import task`. The default backend is the database (`gridgov worker`);
Redis/RQ is a swap of TASKS["default"]["BACKEND"] when one machine is not enough.
"""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone
from django_tasks import task

from gridgov.notifications import services


@task()
def deliver_outbound(message_id: int) -> str:
    message, delay = services.outbound_deliver(message_id)
    if message is None:
        return "skipped"
    if delay is not None:
        _schedule_retry(message_id, delay, message.next_attempt_at)
    return message.status


def _schedule_retry(message_id: int, delay: float, when: dt.datetime | None) -> None:
    backend = deliver_outbound.get_backend()
    if backend.supports_defer:
        # The queue's worker waits on the real clock, whatever moment a replay stands at.
        run_after = when or timezone.now() + dt.timedelta(seconds=delay)
        deliver_outbound.using(run_after=run_after).enqueue(message_id)
        return
    # Backends that cannot defer (the immediate backend of tests and of a bare demo) retry in
    # place; attempts are capped by GRIDGOV_NOTIFY_MAX_ATTEMPTS, so this ends.
    time.sleep(delay)
    deliver_outbound.enqueue(message_id)


@task()
def retry_due_outbound() -> int:
    """Re-enqueue outbound messages whose retry time has come (what `gridgov notify_retry` does),
    for the scheduler; each message is still sent only by the worker that claims it."""
    ids = services.outbound_due_ids()
    services.enqueue_deliveries(ids)
    return len(ids)
