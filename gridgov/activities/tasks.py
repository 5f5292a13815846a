from __future__ import annotations

from django_tasks import task

from gridgov.accounts.scope import SYSTEM
from gridgov.activities.services import remind_tomorrow


@task()
def remind_tomorrow_task() -> int:
    """Remind those signed up for activities in the next 24 hours (each activity once)."""
    return remind_tomorrow(by=SYSTEM)
