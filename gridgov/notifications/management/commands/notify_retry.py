"""`gridgov notify_retry`: re-enqueue pending outbound messages whose retry time has come.

A retry normally rides on a deferred task; this catches the ones whose task was lost (the task
queue emptied, a worker killed between attempts). Safe to run from cron at any frequency: a
message is only ever sent by the worker that claims it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gridgov.notifications import services


class Command(BaseCommand):
    help = "重新排队到期未发的外发消息"

    def handle(self, *args, **options) -> None:
        ids = services.outbound_due_ids()
        services.enqueue_deliveries(ids)
        self.stdout.write(f"已排队{len(ids)}条消息")
