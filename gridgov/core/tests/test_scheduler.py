"""`gridgov scheduler`: the periodic jobs reach the task queue, on time, and it stops on SIGTERM."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.core.management.commands.scheduler import JOBS, SHANGHAI

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("scheduler", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def overdue_case(world):
    from gridgov.cases.models import Case
    from gridgov.cases.services import case_submit

    case = case_submit(
        by=AnonymousUser(),
        text="1栋门口的垃圾好几天没人清运，味道很大",
        channel="resident_web",
        place=world.building1,
        category="sanitation",
        reporter_phone="13700001234",
    )
    # Nobody took it up in time (the due time is in the past; a reported case is never moved back).
    Case.objects.filter(pk=case.pk).update(due_accept_at=timezone.now() - dt.timedelta(hours=1))
    return case


@pytest.mark.django_db
def test_once_enqueues_every_job_and_the_immediate_backend_runs_them(overdue_case):
    from gridgov.cases.models import CaseEvent, EventKind, Level

    output = run("--once")
    for job in JOBS:
        assert f"已排队 {job.name}" in output
    assert output.count("已执行") == len(JOBS)
    assert "'escalated': 1" in output
    overdue_case.refresh_from_db()
    assert overdue_case.level == Level.COMMUNITY and overdue_case.supervised
    assert CaseEvent.objects.filter(case=overdue_case, kind=EventKind.AUTO_ESCALATED).count() == 1

    # A second scheduler (or the next tick) finds nothing left to do: the jobs are idempotent.
    again = run("--once", "--job", "sla_sweep")
    assert "'escalated': 0" in again and "已排队 close_unrated" not in again
    assert CaseEvent.objects.filter(case=overdue_case, kind=EventKind.AUTO_ESCALATED).count() == 1


@pytest.mark.django_db
def test_unknown_job_is_refused_in_chinese():
    with pytest.raises(CommandError, match="没有这个任务：nope（可选：sla_sweep"):
        run("--once", "--job", "nope")


def test_ticks_are_aligned_to_the_clock_and_daily_jobs_follow_beijing_time():
    jobs = {job.name: job for job in JOBS}
    moment = dt.datetime(2026, 3, 2, 23, 58, 30, tzinfo=dt.UTC)  # 07:58:30 in Shanghai
    assert jobs["sla_sweep"].next_after(moment) == dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)
    assert jobs["notify_retry"].next_after(moment) == dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.UTC)
    reminders = jobs["floating_reminders"].next_after(moment)
    assert reminders == dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    # At 08:00 exactly the day's run is due now, so the next one is tomorrow.
    assert jobs["floating_reminders"].next_after(reminders) == dt.datetime(2026, 3, 4, 8, 0, tzinfo=SHANGHAI)
    assert jobs["close_unrated"].next_after(moment) == dt.datetime(2026, 3, 4, 2, 30, tzinfo=SHANGHAI)


def test_runs_until_sigterm_and_stops_cleanly(tmp_path):
    env = {
        **os.environ,
        "GRIDGOV_DATA_DIR": str(tmp_path),
        # Enqueue into memory: the loop itself is what is under test, not a database.
        "GRIDGOV_TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "scheduler", "--job", "sla_sweep", "--job", "notify_retry"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "已排队 notify_retry" in line:
                break
        assert any("调度器已启动" in line for line in lines), lines
        assert any("已排队 sla_sweep" in line for line in lines), lines
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "调度器已停止" in out
