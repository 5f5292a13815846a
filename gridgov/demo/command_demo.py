"""The demo's command centre: a door-to-door fire-safety check sent down by the community, with
part of it already ticked off by the grid workers, through the real command services."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gridgov.accounts.models import User
from gridgov.accounts.scope import SYSTEM
from gridgov.command import services
from gridgov.command.models import Outcome, TaskItem
from gridgov.core import clock

if TYPE_CHECKING:
    from gridgov.demo.builder import _Builder

# Share of each grid's households already visited: one grid ahead, one behind, one not started.
VISITED = (0.6, 0.25, 0.0)


def _user(username: str) -> Any:
    return User.objects.filter(username=username, is_active=True).first() or SYSTEM


def build(
    builder: _Builder, tree: dict[str, Any], *, scale: float, seed: int, log: Callable[[str], None]
) -> dict[str, int]:
    rng = random.Random(seed + 13)
    task = services.task_send(
        by=_user("secretary"),
        place=tree["community"],
        title="冬季消防安全入户检查",
        description="逐户检查灭火器、电动车停放和燃气软管，不在家的住户请留下告知单。",
        checklist=["灭火器在有效期内", "电动车未在楼道充电", "燃气软管无老化"],
        deadline=clock.now() + dt.timedelta(days=5),
    )
    ticked = 0
    for index, grid in enumerate(tree["grids"]):
        share = VISITED[index] if index < len(VISITED) else 0.0
        worker = _user(f"grid{index + 1}")
        items = list(TaskItem.objects.filter(task=task, grid=grid).order_by("label", "pk"))
        for item in items[: round(len(items) * share)]:
            outcome = rng.choices([Outcome.HOME, Outcome.AWAY, Outcome.REFUSED], [8, 3, 1])[0]
            checks = [rng.random() > 0.15 for _ in task.checklist] if outcome == Outcome.HOME else []
            services.task_tick(by=worker, item_id=item.pk, outcome=outcome, checks=checks)
            ticked += 1
    log(f"指挥中心：下发入户任务 1 项（{task.item_count} 户），已走访 {ticked} 户")
    return {"command_tasks": 1, "command_task_items": task.item_count, "command_ticks": ticked}
