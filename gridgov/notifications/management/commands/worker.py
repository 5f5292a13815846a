"""`gridgov worker`: the background worker for notifications and every other task.

It is django-tasks-db's `db_worker` with defaults for this project (all queues), so production runs
`gridgov worker` under systemd/supervisor beside the web server. Options are db_worker's:
`--batch` (run what is queued, then exit), `--max-tasks N`, `--interval S`, `--queue-name a,b`.
With TASKS pointing at Redis/RQ instead, run RQ's own workers and not this command.
"""

from __future__ import annotations

from argparse import ArgumentParser

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "运行后台任务进程（数据库队列）：发送短信、群机器人消息等。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # One worker serves every queue unless told otherwise: a small deployment runs one process.
        parser.set_defaults(queue_name="*")
