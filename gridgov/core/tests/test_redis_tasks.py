"""The Redis scale-out path: tasks enqueued on RQ run in a worker and report their result; the
shared cache counts across clients. Needs the Redis server (marker `redis`)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django_tasks import task
from django_tasks.base import TaskResultStatus

REDIS_URL = os.environ.get("GRIDGOV_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not _reachable(), reason=f"Redis unreachable at {REDIS_URL}"),
]

RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@task()
def add_up(a: int, b: int) -> int:
    return a + b


def _queues(name: str) -> dict:
    return {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}, name: {"URL": REDIS_URL}}


def test_task_runs_on_rq_worker():
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    # django-tasks re-reads TASKS when the setting changes (its setting_changed receiver).
    with override_settings(TASKS=RQ_TASKS, RQ_QUEUES=_queues("default")):
        queue = django_rq.get_queue("default")
        queue.empty()
        result = add_up.using().enqueue(2, 3)
        assert result.status == TaskResultStatus.READY
        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 5


def test_settings_select_redis_when_configured():
    if settings.TASK_BACKEND != "redis":
        pytest.skip("run with GRIDGOV_TASK_BACKEND=redis (the CI Redis step)")
    # The suite itself runs tasks immediately (GRIDGOV_TASKS_BACKEND); the redis choice still
    # points RQ and the cache at the configured server.
    assert settings.RQ_QUEUES["default"]["URL"] == settings.REDIS_URL
    assert "django_rq" in settings.INSTALLED_APPS
    from django.core.cache.backends.redis import RedisCache

    from gridgov import settings as project

    shared = project.CACHES["default"]  # as deployed (the test suite swaps in a local cache)
    assert shared["BACKEND"].endswith("RedisCache") and shared["LOCATION"] == settings.REDIS_URL
    key = f"gridgov-test-{uuid.uuid4().hex}"
    first, second = RedisCache(shared["LOCATION"], {}), RedisCache(shared["LOCATION"], {})
    first.add(key, 0, timeout=30)
    first.incr(key)
    second.incr(key)
    assert first.get(key) == second.get(key) == 2  # two app servers count the same requests
    first.delete(key)
