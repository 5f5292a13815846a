"""Every write of the command centre: tasks sent down, ticks, reminders, boundaries."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.scope import as_user, has_capability, holders, place_q
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_record
from gridgov.command import coords, policy
from gridgov.command import photos as task_photos
from gridgov.command.models import (
    CHECK_ITEM_MAX,
    CHECKLIST_MAX,
    DONE_OUTCOMES,
    MEASURES,
    PHOTOS_PER_ITEM,
    AssessmentRule,
    Broadcast,
    BroadcastRecipient,
    Outcome,
    Task,
    TaskItem,
    TaskPhoto,
    TaskUnit,
)
from gridgov.command.selectors import item_for, task_progress
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.text import text_problem
from gridgov.notifications.selectors import robot_names_for_place
from gridgov.notifications.services import notify
from gridgov.places.models import Household, Place, PlaceKind
from gridgov.places.services import place_update

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

TITLE_MAX = 60
DESCRIPTION_MAX = 2000
NOTE_MAX = 200
CLIENT_KEY_MAX = 64
ITEMS_MAX = 50000


def _clean(
    field: str, value: str, *, limit: int, required: bool = False, label: str, multiline: bool = False
) -> str:
    text = (value or "").strip()
    problem = text_problem(text, label, multiline=multiline)
    if problem:
        raise field_error(field, problem)
    if required and not text:
        raise field_error(field, f"请填写{label}")
    if len(text) > limit:
        raise field_error(field, f"{label}不能超过{limit}个字")
    return text


def _grid_of(path: str, grids: dict[str, Place]) -> Place | None:
    parts = path.split(".")
    for index in range(len(parts), 0, -1):
        grid = grids.get(".".join(parts[:index]))
        if grid is not None:
            return grid
    return None


@transaction.atomic
def task_send(
    *,
    by: Actor,
    place: Place,
    title: str,
    description: str = "",
    unit: str = TaskUnit.HOUSEHOLD,
    checklist: list[str] | None = None,
    deadline: dt.datetime,
    photo_asked: bool = False,
) -> Task:
    """Send a task to every grid under `place` (command.tasks there): one item per household (or
    building) that lies in a grid, and a notice to each grid's own task workers."""
    policy.check("task_send", by, place)
    title = _clean("title", title, limit=TITLE_MAX, required=True, label="任务名称")
    description = _clean("description", description, limit=DESCRIPTION_MAX, label="任务说明", multiline=True)
    if unit not in TaskUnit.values:
        raise field_error("unit", "走访单位只能是逐户或逐栋")
    items_text = [line.strip() for line in (checklist or []) if line and line.strip()]
    if len(items_text) > CHECKLIST_MAX:
        raise field_error("checklist", f"检查项最多{CHECKLIST_MAX}项")
    for text in items_text:
        _clean("checklist", text, limit=CHECK_ITEM_MAX, label="检查项")
    now = clock.now()
    if deadline <= now:
        raise field_error("deadline", "完成期限必须晚于现在")
    grids = {g.path: g for g in Place.objects.filter(place_q(place, "path"), kind=PlaceKind.GRID)}
    # A place below a grid (an estate) belongs to the grid above it.
    for ancestor in Place.objects.filter(path__in=place.ancestor_paths(), kind=PlaceKind.GRID):
        grids.setdefault(ancestor.path, ancestor)
    if not grids:
        raise field_error("place", "所选范围内没有网格，无法下发")
    task = Task.objects.create(
        title=title,
        description=description,
        place=place,
        place_path=place.path,
        unit=unit,
        checklist=items_text,
        photo_asked=bool(photo_asked),
        deadline=deadline,
        created_by=as_user(by),
        created_at=now,
    )
    rows: list[TaskItem] = []
    if unit == TaskUnit.HOUSEHOLD:
        for household in (
            Household.objects.filter(place_q(place)).select_related("place").order_by("place__path", "room")
        ):
            grid = _grid_of(household.place.path, grids)
            if grid is not None:
                rows.append(
                    TaskItem(
                        task=task,
                        grid=grid,
                        grid_path=grid.path,
                        place_id=household.place_id,
                        household=household,
                        label=household.address or household.room,
                    )
                )
    else:
        for building in Place.objects.filter(place_q(place, "path"), kind=PlaceKind.BUILDING).order_by(
            "path"
        ):
            grid = _grid_of(building.path, grids)
            if grid is not None:
                parent = building.parent.name if building.parent_id and building.parent else ""
                rows.append(
                    TaskItem(
                        task=task,
                        grid=grid,
                        grid_path=grid.path,
                        place=building,
                        label=f"{parent}{building.name}",
                    )
                )
    if not rows:
        raise field_error("place", "所选范围内没有可走访的住户或楼栋")
    if len(rows) > ITEMS_MAX:
        raise field_error("place", f"一次最多下发{ITEMS_MAX}户，请缩小范围")
    TaskItem.objects.bulk_create(rows, batch_size=1000)
    Task.objects.filter(pk=task.pk).update(item_count=len(rows))
    task.item_count = len(rows)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=task,
        place_path=place.path,
        changes=audit_diff(
            {},
            {
                "title": title,
                "unit": unit,
                "deadline": deadline,
                "items": len(rows),
                "photo_asked": bool(photo_asked),
            },
        ),
    )
    local = timezone.localtime(deadline)
    for grid_path in sorted({row.grid_path for row in rows}):
        notify(
            recipients=holders(caps.COMMAND_TASK_DO, grid_path, at_or_above=False),
            title=f"新任务：{title}",
            body=f"请在{local:%m月%d日 %H:%M}前完成本网格的走访登记。",
            link=f"/command/my-tasks/{task.pk}/",
            kind="command.task",
        )
    return task


@transaction.atomic
def task_tick(
    *,
    by: Actor,
    item_id: int,
    outcome: str,
    checks: list[bool] | None = None,
    note: str = "",
    client_key: str = "",
) -> tuple[TaskItem, bool]:
    """Record the visit of one household (在家/不在家/拒访 and the checklist). A repeat with the
    same client key (the phone's offline queue resending) changes nothing; returns (item, changed)."""
    item = item_for(by, item_id, for_write=True)
    policy.check("task_tick", by, item)
    client_key = (client_key or "").strip()
    if len(client_key) > CLIENT_KEY_MAX:
        raise field_error("client_key", f"客户端编号不能超过{CLIENT_KEY_MAX}个字符")
    if client_key and item.client_key == client_key:
        return item, False
    if outcome not in DONE_OUTCOMES:
        raise field_error("outcome", "走访结果只能是在家、不在家或拒访")
    values = list(checks or [])
    checklist = item.task.checklist or []
    if outcome == Outcome.HOME and len(values) != len(checklist):
        raise field_error("checks", f"检查项应有{len(checklist)}项，收到{len(values)}项")
    if outcome != Outcome.HOME:
        values = []
    elif item.task.photo_asked and not item.photos.exists():
        raise field_error("photo", "这项任务要求入户拍照，请先拍照再登记")
    note = _clean("note", note, limit=NOTE_MAX, label="备注")
    before = {"outcome": item.outcome, "checks": item.checks}
    was_done = item.outcome in DONE_OUTCOMES
    item.outcome = outcome
    item.checks = [bool(v) for v in values]
    item.note = note
    item.done_at = clock.now()
    item.done_by = as_user(by)
    item.client_key = client_key
    item.save(update_fields=["outcome", "checks", "note", "done_at", "done_by", "client_key"])
    if not was_done:
        Task.objects.filter(pk=item.task_id).update(done_count=F("done_count") + 1)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=item,
        place_path=item.grid_path,
        changes=audit_diff(before, {"outcome": outcome, "checks": item.checks}),
    )
    return item, True


@transaction.atomic
def task_photo_add(*, by: Actor, item_id: int, upload: Any, client_key: str) -> tuple[TaskPhoto, bool]:
    """Attach one photo to a household's visit of a task that asks for photos. A repeat with
    the same client key (the offline queue resending) returns the first; returns (photo, created)."""
    from gridgov.cases.photos import clean_photo

    item = item_for(by, item_id, for_write=True)
    policy.check("task_tick", by, item)
    client_key = (client_key or "").strip()
    if not client_key or len(client_key) > CLIENT_KEY_MAX or text_problem(client_key, "客户端编号"):
        raise field_error("client_key", "客户端编号缺失或格式不对")
    if not item.task.photo_asked:
        raise field_error("photo", "这项任务不需要拍照")
    existing = TaskPhoto.objects.filter(item=item, client_key=client_key).first()
    if existing is not None:
        return existing, False
    if item.photos.count() >= PHOTOS_PER_ITEM:
        raise field_error("photo", f"每户最多{PHOTOS_PER_ITEM}张照片")
    if upload is None:
        raise field_error("photo", "请选择照片")
    cleaned = clean_photo(upload, field="photo")
    now = clock.now()
    relative = task_photos.store(item, cleaned, now=now)
    try:
        photo = TaskPhoto.objects.create(
            item=item,
            path=relative,
            content_type=cleaned.content_type,
            size=len(cleaned.content),
            client_key=client_key,
            uploaded_by=as_user(by),
            created_at=now,
        )
        audit_record(
            actor=by,
            action=AuditAction.CREATE,
            target=photo,
            target_label=f"任务照片：{item.label}",
            place_path=item.grid_path,
            changes=audit_diff({}, {"task": item.task.title, "size": photo.size}),
        )
    except BaseException:
        task_photos.discard(relative)  # no row, no file
        raise
    # Should the surrounding transaction roll back after this, the sealed file would be orphaned:
    # harmless (unreadable without its row) and small; nothing else writes in this transaction.
    return photo, True


@transaction.atomic
def task_remind(*, by: Actor, task: Task) -> int:
    """Remind the workers of every grid that has not finished its part; returns how many grids."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    policy.check("task_remind", by, task)
    laggards = [g for g in task_progress(task) if g.done < g.total]
    paths = dict(Place.objects.filter(pk__in=[g.grid_id for g in laggards]).values_list("pk", "path"))
    for grid in laggards:
        notify(
            recipients=holders(caps.COMMAND_TASK_DO, paths[grid.grid_id], at_or_above=False),
            title=f"催办：{task.title}",
            body=f"{grid.name}还有{grid.total - grid.done}户未走访，请抓紧完成。",
            link=f"/command/my-tasks/{task.pk}/",
            kind="command.remind",
        )
    task.last_reminded_at = clock.now()
    task.save(update_fields=["last_reminded_at"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=task,
        place_path=task.place_path,
        changes={"reminded_grids": [g.name for g in laggards]},
    )
    return len(laggards)


BROADCAST_TITLE_MAX = 60
BROADCAST_BODY_MAX = 500


def _building_of(path: str, buildings: dict[str, Place]) -> Place | None:
    parts = path.split(".")
    for index in range(len(parts), 0, -1):
        building = buildings.get(".".join(parts[:index]))
        if building is not None:
            return building
    return None


@transaction.atomic
def broadcast_send(*, by: Actor, place: Place, title: str, body: str) -> Broadcast:
    """紧急通知: in-app and SMS to every staff member assigned in `place`'s subtree and every
    resident account living there, plus the group robots of the place and above; each person is
    filed under their building so the sender sees delivery and reading building by building."""
    policy.check("task_send", by, place)
    title = _clean("title", title, limit=BROADCAST_TITLE_MAX, required=True, label="标题")
    body = _clean("body", body, limit=BROADCAST_BODY_MAX, required=True, label="内容", multiline=True)
    buildings = {b.path: b for b in Place.objects.filter(place_q(place, "path"), kind=PlaceKind.BUILDING)}
    people: dict[int, tuple[User, Place | None, str]] = {}
    for assignment in RoleAssignment.objects.filter(place_q(place), user__is_active=True).select_related(
        "user", "place"
    ):
        building = _building_of(assignment.place.path, buildings)
        group = (
            f"{building.parent.name if building.parent else ''}{building.name}" if building else "工作人员"
        )
        people.setdefault(assignment.user_id, (assignment.user, building, group))
    for user in (
        User.objects.filter(is_active=True, resident__isnull=False)
        .filter(place_q(place, "resident__place__path"))
        .select_related("resident__place")
    ):
        home = user.resident.place if user.resident else None
        building = _building_of(home.path, buildings) if home is not None else None
        group = (
            f"{building.parent.name if building.parent else ''}{building.name}" if building else "其他居民"
        )
        people.setdefault(user.pk, (user, building, group))
    if not people:
        raise field_error("place", "所选范围内没有可以通知的工作人员或居民账号")
    now = clock.now()
    broadcast = Broadcast.objects.create(
        title=title,
        body=body,
        place=place,
        place_path=place.path,
        created_by=as_user(by),
        created_at=now,
        recipient_count=len(people),
    )
    notifications = notify(
        recipients=[person for person, _, _ in people.values()],
        title=f"【紧急】{title}",
        body=body,
        kind="command.emergency",
        channels=("inapp", "sms"),
        group_targets=robot_names_for_place(place),
    )
    by_user = {n.recipient_id: n for n in notifications}
    BroadcastRecipient.objects.bulk_create(
        [
            BroadcastRecipient(
                broadcast=broadcast, user=person, building=building, group=group, notification=by_user.get(pk)
            )
            for pk, (person, building, group) in people.items()
        ],
        batch_size=1000,
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=broadcast,
        place_path=place.path,
        changes=audit_diff({}, {"title": title, "recipients": len(people)}),
    )
    return broadcast


BOUNDARY_POINTS_MAX = 500


def boundary_save(*, by: Actor, place: Place, ring: list[list[float]], crs: str) -> Place:
    """Save a grid's or estate's redrawn outline (drawn on tiles in `crs`) as its WGS-84 GeoJSON
    Polygon, through places.services.place_update (which checks places.manage and audits)."""
    policy.check("boundary_edit", by, place)
    if place.kind not in (PlaceKind.GRID, PlaceKind.ESTATE):
        raise field_error("place", "只能修改网格和小区的边界")
    if crs not in coords.SYSTEMS:
        raise field_error("crs", "未知的坐标系")
    if not isinstance(ring, list) or not 3 <= len(ring) <= BOUNDARY_POINTS_MAX:
        raise field_error("ring", f"边界须有3到{BOUNDARY_POINTS_MAX}个点")
    points: list[list[float]] = []
    for vertex in ring:
        try:
            lng, lat = float(vertex[0]), float(vertex[1])
        except (TypeError, ValueError, IndexError):
            raise field_error("ring", "边界的点须是经纬度数字") from None
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise field_error("ring", "边界的点超出经纬度范围")
        x, y = coords.to_wgs84(lng, lat, crs)
        points.append([round(x, 7), round(y, 7)])
    if points[0] != points[-1]:
        points.append(points[0])
    return place_update(by=by, place=place, boundary={"type": "Polygon", "coordinates": [points]})


@transaction.atomic
def assessment_configure(
    *, by: Actor, weights: dict[str, int], bands: list[tuple[int, str]], patrol_target: int
) -> AssessmentRule:
    """Set the assessment's weights (0–100 each, not all 0), bands (score floor → label) and the
    monthly patrol target; command.assess_configure anywhere (the rule is the same everywhere)."""
    if not has_capability(by, caps.COMMAND_ASSESS_CONFIGURE):
        raise Forbidden("您没有设置考核规则的权限")
    unknown = set(weights) - set(MEASURES)
    if unknown:
        raise field_error("weights", f"未知的考核指标：{'、'.join(sorted(unknown))}")
    if any(not 0 <= int(w) <= 100 for w in weights.values()) or not any(int(w) for w in weights.values()):
        raise field_error("weights", "每项权重须在0到100之间，且不能全为0")
    if not bands or len(bands) > 8:
        raise field_error("bands", "评分档次须有1到8档")
    clean_bands: list[list[Any]] = []
    for floor, label in bands:
        label = _clean("bands", label, limit=10, required=True, label="档次名称")
        if not 0 <= int(floor) <= 100:
            raise field_error("bands", "档次分数线须在0到100之间")
        clean_bands.append([int(floor), label])
    if not 1 <= patrol_target <= 1000:
        raise field_error("patrol_target", "每月巡查上报目标须在1到1000件之间")
    rule = AssessmentRule.objects.select_for_update().order_by("pk").first() or AssessmentRule()
    before = {"weights": rule.weights, "bands": rule.bands, "patrol_target": rule.patrol_target}
    rule.weights = {code: int(weights.get(code, 0)) for code in MEASURES}
    rule.bands = sorted(clean_bands, key=lambda b: -b[0])
    rule.patrol_target = patrol_target
    rule.updated_by = as_user(by)
    rule.updated_at = clock.now()
    rule.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=rule,
        changes=audit_diff(
            before, {"weights": rule.weights, "bands": rule.bands, "patrol_target": patrol_target}
        ),
    )
    return rule
