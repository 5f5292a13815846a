from __future__ import annotations

from django_tasks import task

from gridgov.accounts.scope import SYSTEM
from gridgov.bulletin.services import publish_due


@task()
def publish_due_task() -> int:
    """Scheduled notices whose time has come: published and posted to the group robots."""
    return publish_due(by=SYSTEM)
