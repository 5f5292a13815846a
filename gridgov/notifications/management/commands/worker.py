"""`gridgov worker`: the background worker for notifications and every other task.

With `GRIDGOV_TASK_BACKEND=db` (the default) it is django-tasks-db's `db_worker` with defaults for
this project (all queues); options are db_worker's: `--batch` (run what is queued, then exit),
`--max-tasks N`, `--interval S`, `--queue-name a,b`. With `GRIDGOV_TASK_BACKEND=redis` it runs an RQ
worker on the default queue (as many machines as needed may each run one); `--batch` then means
RQ's burst mode. Production runs `gridgov worker` under systemd beside the web server.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "运行后台任务进程：GRIDGOV_TASK_BACKEND=db 时为数据库队列，redis 时为 RQ（可在多台机器上各起一个）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # One worker serves every queue unless told otherwise: a small deployment runs one process.
        parser.set_defaults(queue_name="*")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASK_BACKEND == "redis":
            # RQ must build django-tasks' own job class, which runs the task and records its result.
            call_command(
                "rqworker",
                "default",
                job_class="django_tasks_rq.Job",
                burst=bool(options.get("batch")),
                verbosity=options.get("verbosity", 1),
            )
            return
        super().handle(*args, **options)
