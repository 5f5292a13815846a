"""The services' clock: real by default, replayed inside `frozen_at`, never patched."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.core import clock


def aware(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def test_real_time_outside_a_replay():
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert not clock.is_frozen()


def test_frozen_at_moves_and_nests():
    start = aware(2026, 12, 31, 23, 30)
    with clock.frozen_at(start) as replay:
        assert clock.now() == start and clock.is_frozen()
        assert clock.today() == dt.date(2026, 12, 31)  # the display time zone's date
        replay.advance(dt.timedelta(hours=1))
        assert clock.today() == dt.date(2027, 1, 1)
        with clock.frozen_at(aware(2020, 1, 1)):
            assert clock.now() == aware(2020, 1, 1)
        assert clock.now() == start + dt.timedelta(hours=1)
        replay.move_to(aware(2027, 3, 1, 9))
        assert clock.now() == aware(2027, 3, 1, 9)
    assert not clock.is_frozen()


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError), clock.frozen_at(dt.datetime(2026, 1, 1)):
        pass


def test_a_replay_stays_in_its_own_thread():
    seen: list[dt.datetime] = []
    with clock.frozen_at(aware(2001, 1, 1)):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
    assert seen and seen[0].year >= 2026


def test_no_product_code_patches_time_with_mock():
    package = Path(clock.__file__).resolve().parents[1]
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "tests" not in path.parts and "unittest" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"product code must not use unittest(.mock); use gridgov.core.clock: {offenders}"
