from __future__ import annotations

from django_tasks import task

from gridgov.people.reminders import floating_send_reminders


@task()
def floating_reminders_task() -> int:
    return floating_send_reminders()
