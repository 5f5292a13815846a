"""The time the services read: the real clock, or a moment someone replays.

Services, selectors, tasks and the SLA code call `clock.now()` (or `clock.today()`) instead of
`django.utils.timezone.now()`, so the demo can replay sixty days of history through the real
services, and a test can stand at a given moment, without patching Django. The replayed moment
lives in a context variable: it covers only the code running inside `frozen_at(...)` in this
thread or task, never a request served beside it.

Fields with `auto_now`/`auto_now_add` still take Django's real clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone


class Replay:
    """A replayed moment; `move_to` sets the time that `now()` answers inside its `frozen_at`."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = _aware(moment)

    def move_to(self, moment: dt.datetime) -> None:
        self.moment = _aware(moment)

    def advance(self, delta: dt.timedelta) -> None:
        self.moment += delta


_replay: ContextVar[Replay | None] = ContextVar("gridgov_clock_replay", default=None)


def _aware(moment: dt.datetime) -> dt.datetime:
    # A naive moment would compare wrongly with stored (UTC) times; refuse it at once.
    if timezone.is_naive(moment):
        raise ValueError("clock.frozen_at needs an aware datetime")
    return moment


def now() -> dt.datetime:
    """The current moment (aware): the replayed one inside `frozen_at`, else the real time."""
    replay = _replay.get()
    return timezone.now() if replay is None else replay.moment


def today() -> dt.date:
    """The current date in the display time zone (Asia/Shanghai by default), on the same clock."""
    return timezone.localdate(now())


def is_frozen() -> bool:
    return _replay.get() is not None


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[Replay]:
    """Make `now()` answer `moment` until the block ends; the yielded Replay moves it on.

    Nests: the inner block's time wins, and the outer one comes back when it ends.
    """
    replay = Replay(moment)
    token = _replay.set(replay)
    try:
        yield replay
    finally:
        _replay.reset(token)
