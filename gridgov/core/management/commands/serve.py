"""`gridgov serve`: the site on gunicorn, the production WSGI server (never `runserver`).

Threaded workers (gthread): a worker waits on the database much of the time, so a second thread
per process serves more requests in the same memory; more threads than that queue for the
process's GIL each time they come back from the database, so the default is two processes per
core with two threads each (settings, docs/deploy.md). Static files come from WhiteNoise in the app.

The master loads the app and warms what every request would otherwise load lazily (the triage
engine: jieba's dictionary, the rules and the learned model, a few seconds) before it forks, so
the workers share it and no client waits for it; only the server does this, not tests or other
commands."""

from __future__ import annotations

import gc
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Load once, in the master, what the first requests of each worker would load."""
    from django.db import connections

    from gridgov.cases import routing
    from gridgov.triage import engine

    try:
        engine.warm_up()
        routing.config()
    except Exception:  # a database not reachable yet: the workers load lazily instead
        logger.warning("预热失败，工作进程将在首个请求时加载", exc_info=True)
    finally:
        # A connection opened before the fork would be shared by every worker: close it.
        connections.close_all()


class Command(BaseCommand):
    help = "用 gunicorn 启动网站（生产用 WSGI 服务器）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.GRIDGOV_WEB_BIND, help="监听地址，如 0.0.0.0:8000")
        parser.add_argument("--workers", type=int, default=settings.GRIDGOV_WEB_WORKERS, help="进程数")
        parser.add_argument("--threads", type=int, default=settings.GRIDGOV_WEB_THREADS, help="每进程线程数")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from gridgov.wsgi import application

        config = {
            "bind": options["bind"],
            "workers": max(1, options["workers"]),
            "threads": max(1, options["threads"]),
            "worker_class": "gthread",
            "timeout": settings.GRIDGOV_WEB_TIMEOUT,
            "accesslog": "-",
            "errorlog": "-",
            # Workers fork after the app is imported once: less memory, faster start.
            "preload_app": True,
        }

        class GridGovServer(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        warm_up()
        # What the master loaded (Django, the app, the triage engine: some 300,000 objects) lives
        # as long as the workers do. Frozen, the collector no longer walks it: a full collection in
        # a worker took about 55 ms with it and lands on whichever request triggers it (the tail of
        # the latency); frozen pages are also never written, so the forked workers keep sharing them.
        gc.collect()
        gc.freeze()
        self.stdout.write(
            f"gunicorn 启动：{config['bind']}，{config['workers']} 个进程 × {config['threads']} 个线程"
        )
        GridGovServer().run()
