"""Photos taken at a task's household visits: where they are kept and who may read them back.

The upload is checked and stripped of its location by `cases.photos.clean_photo` (type from the
content, bounded size), then sealed (AES-GCM, core.sealed) in a private folder under DATA_DIR: a
photo of somebody's hallway is personal data at rest. Reading one back goes through the same
scope as the task: its sender's (command.tasks at the task's place) or the grid worker's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, QuerySet

from gridgov.command import selectors
from gridgov.command.models import Task, TaskItem, TaskPhoto
from gridgov.core.errors import NotFound
from gridgov.core.sealed import SealedFileError, private_dir, read_sealed, seal_bytes

if TYPE_CHECKING:
    import datetime as dt

    from gridgov.accounts.models import User
    from gridgov.cases.photos import CleanPhoto

SHOWN_MAX = 24


def root() -> Path:
    return private_dir(Path(settings.DATA_DIR) / "command-photos")


def store(item: TaskItem, photo: CleanPhoto, *, now: dt.datetime) -> str:
    """Seal `photo` into a new file; returns its path relative to `root()`."""
    folder = private_dir(root() / f"{now:%Y}" / f"{now:%m}")
    name = f"{item.pk}-{secrets.token_hex(8)}.{photo.extension}"
    seal_bytes(folder / name, photo.content)
    return f"{now:%Y}/{now:%m}/{name}"


def discard(relative: str) -> None:
    (root() / relative).unlink(missing_ok=True)


def read(photo: TaskPhoto) -> bytes:
    """The photo's bytes; NotFound when its file is gone or was tampered with."""
    path = (root() / photo.path).resolve()
    if root().resolve() not in path.parents:
        raise NotFound()
    try:
        return read_sealed(path)
    except (OSError, SealedFileError):
        raise NotFound() from None


def photo_for(user: User, photo_id: int | str) -> TaskPhoto:
    """A photo of a task the user sent (or could have), or of an item in their grids."""
    try:
        pk = int(photo_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    photo = TaskPhoto.objects.select_related("item").filter(pk=pk).first()
    if photo is None:
        raise NotFound()
    if selectors.tasks_sent(user).filter(pk=photo.item.task_id).exists():
        return photo
    selectors.item_for(user, photo.item_id)  # NotFound outside the worker's grids
    return photo


@dataclass(frozen=True)
class TaskPhotos:
    count: int
    latest: list[TaskPhoto]


def task_photos(task: Task) -> TaskPhotos:
    """How many photos a task's visits carry and the latest few, for its sender's progress view
    (two queries whatever the number of photos)."""
    rows = TaskPhoto.objects.filter(item__task=task)
    latest = list(rows.select_related("item__grid").order_by("-id")[:SHOWN_MAX])
    return TaskPhotos(count=rows.count() if len(latest) == SHOWN_MAX else len(latest), latest=latest)


def counts(items: QuerySet[TaskItem] | list[TaskItem]) -> dict[int, int]:
    """Photos per item (one query), for the phone's list."""
    ids = [item.pk for item in items]
    return dict(
        TaskPhoto.objects.filter(item_id__in=ids)
        .values("item_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("item_id", "n")
    )
