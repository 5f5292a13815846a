"""Every write to groups and activities: keyword-only, atomic, checked by activities.policy, audited.

Sign-up and cancellation lock the activity row (select_for_update) and move the counters with F(),
so two residents taking the last place, or a cancellation racing a sign-up, cannot overfill it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from gridgov.accounts.scope import as_user, require_actor, within
from gridgov.activities import policy
from gridgov.activities.models import (
    NAME_MAX,
    TEXT_MAX,
    Activity,
    ActivityPhoto,
    ActivityState,
    Group,
    GroupMember,
    MemberRole,
    MemberState,
    Series,
    Signup,
    SignupState,
)
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases.photos import clean_photo
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.text import checked_text as _text
from gridgov.notifications.services import notify
from gridgov.people.models import Resident, Tag
from gridgov.people.services import card_no_from_qr
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHECKIN_SALT = "gridgov.activities.checkin"
# The door opens a little before the start; late-comers are welcome until the end.
CHECKIN_EARLY = dt.timedelta(minutes=30)
MAX_OCCURRENCES = 60


# Each operation is one of the audit log's kinds, named in Chinese in the row's label (the audit
# pages read in Chinese) and by code in its changes (for searching).
AUDIT_OPS: dict[str, tuple[str, str]] = {
    "activities.activity_cancel": (AuditAction.UPDATE, "取消活动"),
    "activities.activity_create": (AuditAction.CREATE, "新建活动"),
    "activities.checkin": (AuditAction.UPDATE, "活动签到"),
    "activities.group_create": (AuditAction.CREATE, "新建团队"),
    "activities.group_join": (AuditAction.CREATE, "申请入团"),
    "activities.member_add": (AuditAction.UPDATE, "添加团队成员"),
    "activities.member_decide": (AuditAction.UPDATE, "审核入团申请"),
    "activities.report": (AuditAction.UPDATE, "填写活动小结"),
    "activities.series_create": (AuditAction.CREATE, "新建每周活动"),
    "activities.series_skip": (AuditAction.UPDATE, "周期活动停开一次"),
    "activities.signup": (AuditAction.CREATE, "活动报名"),
    "activities.signup_cancel": (AuditAction.UPDATE, "取消报名"),
}


def audit_op(*, op: str, target: Any, changes: dict[str, Any] | None = None, **fields: Any) -> None:
    action, label = AUDIT_OPS[op]
    audit_record(
        action=action,
        target=target,
        target_label=f"{label}：{target}"[:200],
        changes={"op": op, **(changes or {})},
        **fields,
    )




def _resident_of(by: Actor) -> Resident:
    resident = (
        Resident.objects.select_related("place").filter(pk=getattr(by, "resident_id", None) or 0).first()
    )
    if resident is None:
        raise Forbidden("只有登记在册的居民可以报名")
    return resident


# --- groups -----------------------------------------------------------------------------


def group_create(
    *,
    by: Actor,
    name: str,
    kind: str,
    place: Place,
    parent: Group | None = None,
    description: str = "",
    is_open: bool = True,
) -> Group:
    """A new group at `place`, where `by` holds activities.manage."""
    require_actor(by)
    if not policy.manages(by, place.path):
        raise NotFound()
    name = _text(name, "name", "团队名称", max_length=NAME_MAX)
    description = _text(description, "description", "简介", max_length=500, required=False, multiline=True)
    from gridgov.activities.models import GroupKind

    if kind not in GroupKind.values:
        raise field_error("kind", "团队类型无效")
    if parent is not None and not within(place.path, [parent.place.path]):
        raise field_error("parent", "下属队伍须在上级团队的范围内")
    with transaction.atomic():
        if Group.objects.filter(place=place, name=name).exists():
            raise field_error("name", f"“{place.name}”已有团队“{name}”")
        group = Group.objects.create(
            name=name, kind=kind, place=place, parent=parent, description=description, is_open=is_open
        )
        audit_op(
            actor=by,
            op="activities.group_create",
            target=group,
            place_path=place.path,
            changes={"name": name, "kind": kind},
        )
    return group


def group_join(*, by: Actor, group: Group, note: str = "") -> GroupMember:
    """A resident asks to join; a refused or former member may ask again."""
    require_actor(by)
    policy.check("join", by, group)
    resident = _resident_of(by)
    note = _text(note, "note", "申请说明", max_length=200, required=False)
    with transaction.atomic():
        member = GroupMember.objects.select_for_update().filter(group=group, resident=resident).first()
        if member is not None and member.state in (MemberState.PENDING, MemberState.ACTIVE):
            raise ValidationError(
                "您已申请或已在该团队中" if member.state == MemberState.PENDING else "您已是该团队成员"
            )
        if member is None:
            member = GroupMember(group=group, resident=resident)
        member.state, member.note, member.decided_at = MemberState.PENDING, note, None
        member.save()
        audit_op(actor=by, op="activities.group_join", target=group, place_path=group.place.path)
    return member


def group_add_member(
    *, by: Actor, group: Group, resident: Resident, role: str = MemberRole.MEMBER
) -> GroupMember:
    """Staff put a resident straight into a group (a leader, or a roster brought on paper)."""
    require_actor(by)
    policy.check("manage", by, group)
    with transaction.atomic():
        member, _created = GroupMember.objects.select_for_update().get_or_create(
            group=group, resident=resident
        )
        was_active = member.state == MemberState.ACTIVE
        member.role, member.state, member.decided_at = role, MemberState.ACTIVE, clock.now()
        member.save()
        if not was_active:
            Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
        audit_op(
            actor=by,
            op="activities.member_add",
            target=group,
            place_path=group.place.path,
            changes={"resident": resident.pk, "role": role},
        )
    return member


def group_decide(*, by: Actor, member: GroupMember, approve: bool) -> GroupMember:
    """A leader or staff member approves or refuses a pending join request."""
    require_actor(by)
    with transaction.atomic():
        member = GroupMember.objects.select_for_update().select_related("group__place").get(pk=member.pk)
        policy.check("decide", by, member.group)
        if member.state != MemberState.PENDING:
            raise ValidationError("该申请已处理")
        member.state = MemberState.ACTIVE if approve else MemberState.REJECTED
        member.decided_at = clock.now()
        member.save(update_fields=["state", "decided_at"])
        if approve:
            Group.objects.filter(pk=member.group_id).update(member_count=F("member_count") + 1)
        audit_op(
            actor=by,
            op="activities.member_decide",
            target=member.group,
            place_path=member.group.place.path,
            changes={"resident": member.resident_id, "approve": approve},
        )
    return member


# --- activities -------------------------------------------------------------------------


def _clean_activity(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    out["title"] = _text(fields.get("title"), "title", "活动名称", max_length=NAME_MAX)
    out["description"] = _text(
        fields.get("description"),
        "description",
        "活动介绍",
        max_length=TEXT_MAX,
        required=False,
        multiline=True,
    )
    out["location"] = _text(fields.get("location"), "location", "活动地点", max_length=100)
    starts_at, ends_at = fields.get("starts_at"), fields.get("ends_at")
    if not starts_at:
        raise field_error("starts_at", "请填写开始时间")
    if not ends_at or ends_at <= starts_at:
        raise field_error("ends_at", "结束时间须晚于开始时间")
    capacity = int(fields.get("capacity") or 0)
    if not 0 <= capacity <= 10000:
        raise field_error("capacity", "名额须在0到10000之间（0表示不限）")
    out["capacity"] = capacity
    min_age, max_age = fields.get("min_age"), fields.get("max_age")
    for key, value in (("min_age", min_age), ("max_age", max_age)):
        if value is not None and not 0 <= int(value) <= 120:
            raise field_error(key, "年龄须在0到120之间")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise field_error("max_age", "最大年龄不能小于最小年龄")
    return out


def activity_create(
    *,
    by: Actor,
    place: Place,
    group: Group | None = None,
    tags: Iterable[Tag] = (),
    series: Series | None = None,
    **fields: Any,
) -> Activity:
    """A new activity for the residents under `place` (title, description, location, starts_at,
    ends_at, capacity, signup_required, min_age, max_age)."""
    require_actor(by)
    if not policy.manages(by, place.path):
        raise NotFound()
    if group is not None and not (
        within(place.path, [group.place.path]) or within(group.place.path, [place.path])
    ):
        raise field_error("group", "团队与活动范围不一致")
    data = _clean_activity(fields)
    tag_list = list(dict.fromkeys(tags))
    with transaction.atomic():
        activity = Activity.objects.create(
            place=place,
            group=group,
            series=series,
            organiser=as_user(by),
            has_tags=bool(tag_list),
            title=data["title"],
            description=data["description"],
            location=data["location"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            signup_required=bool(data.get("signup_required", True)),
            min_age=data.get("min_age"),
            max_age=data.get("max_age"),
        )
        if tag_list:
            activity.tags.set(tag_list)
        audit_op(
            actor=by,
            op="activities.activity_create",
            target=activity,
            place_path=place.path,
            changes={"title": activity.title, "starts_at": activity.starts_at.isoformat()},
        )
    return activity


def series_create(
    *,
    by: Actor,
    place: Place,
    title: str,
    weekday: int,
    start_time: dt.time,
    duration_minutes: int,
    starts_on: dt.date,
    ends_on: dt.date,
    location: str,
    group: Group | None = None,
    capacity: int = 0,
    exceptions: Iterable[dt.date] = (),
    description: str = "",
) -> Series:
    """A weekly recurrence; its occurrences (minus the exception dates) become activities at once."""
    require_actor(by)
    if not policy.manages(by, place.path):
        raise NotFound()
    title = _text(title, "title", "活动名称", max_length=NAME_MAX)
    if not 0 <= int(weekday) <= 6:
        raise field_error("weekday", "星期须为周一到周日")
    if not 15 <= int(duration_minutes) <= 720:
        raise field_error("duration_minutes", "时长须在15分钟到12小时之间")
    if ends_on < starts_on:
        raise field_error("ends_on", "截止日期不能早于首次日期")
    skip = {day.isoformat() for day in exceptions}
    first = starts_on + dt.timedelta(days=(int(weekday) - starts_on.weekday()) % 7)
    days = []
    day = first
    while day <= ends_on:
        if day.isoformat() not in skip:
            days.append(day)
        day += dt.timedelta(days=7)
    if len(days) > MAX_OCCURRENCES:
        raise field_error("ends_on", f"一次最多生成{MAX_OCCURRENCES}次活动，请缩短周期")
    local = SHANGHAI
    with transaction.atomic():
        series = Series.objects.create(
            group=group,
            title=title,
            place=place,
            weekday=int(weekday),
            start_time=start_time,
            duration_minutes=int(duration_minutes),
            starts_on=starts_on,
            ends_on=ends_on,
            exceptions=sorted(skip),
        )
        for day in days:
            starts_at = dt.datetime.combine(day, start_time, tzinfo=local)
            activity_create(
                by=by,
                place=place,
                group=group,
                series=series,
                title=title,
                description=description,
                location=location,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=int(duration_minutes)),
                capacity=capacity,
                signup_required=True,
            )
        audit_op(
            actor=by,
            op="activities.series_create",
            target=series,
            place_path=place.path,
            changes={"weekday": weekday, "occurrences": len(days)},
        )
    return series


def series_skip(*, by: Actor, series: Series, day: dt.date) -> int:
    """An exception to the rule: that week's occurrence is cancelled (those signed up are told)."""
    require_actor(by)
    with transaction.atomic():
        series = Series.objects.select_for_update().select_related("place").get(pk=series.pk)
        if not policy.manages(by, series.place.path):
            raise NotFound()
        if day.isoformat() not in series.exceptions:
            series.exceptions = sorted([*series.exceptions, day.isoformat()])
            series.save(update_fields=["exceptions"])
        cancelled = 0
        for activity in series.occurrences.filter(state=ActivityState.PLANNED).select_related("place"):
            if activity.starts_at.astimezone(SHANGHAI).date() == day:
                activity_cancel(by=by, activity=activity, reason="本周停开")
                cancelled += 1
        audit_op(
            actor=by,
            op="activities.series_skip",
            target=series,
            place_path=series.place.path,
            changes={"day": day.isoformat()},
        )
    return cancelled


def _tell(activity: Activity, resident_ids: Iterable[int], title: str, body: str) -> None:
    from gridgov.accounts.models import User

    users = list(User.objects.filter(resident_id__in=list(resident_ids), is_active=True))
    if users:
        notify(
            recipients=users, title=title, body=body, link=f"/activities/a/{activity.pk}/", kind="activities"
        )


def activity_cancel(*, by: Actor, activity: Activity, reason: str = "") -> Activity:
    """Cancel a planned activity; everyone signed up or waiting is told."""
    require_actor(by)
    reason = _text(reason, "reason", "取消原因", max_length=200, required=False)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().select_related("place").get(pk=activity.pk)
        policy.check("cancel", by, activity)
        activity.state = ActivityState.CANCELLED
        activity.save(update_fields=["state"])
        people = activity.signups.exclude(state=SignupState.CANCELLED).values_list("resident_id", flat=True)
        _tell(activity, people, f"活动取消：{activity.title}", reason or "活动已取消")
        audit_op(
            actor=by,
            op="activities.activity_cancel",
            target=activity,
            place_path=activity.place.path,
            changes={"reason": reason},
        )
    return activity


def _audience_problem(activity: Activity, resident: Resident, today: dt.date) -> str | None:
    if resident.place is None or not within(resident.place.path, [activity.place.path]):
        return "此活动不面向您所在的小区"
    age = resident.age(today)
    if activity.min_age is not None and (age is None or age < activity.min_age):
        return f"此活动面向{activity.min_age}岁以上的居民"
    if activity.max_age is not None and (age is None or age > activity.max_age):
        return f"此活动面向{activity.max_age}岁以下的居民"
    if activity.has_tags:
        wanted = set(activity.tags.values_list("pk", flat=True))
        if not wanted & set(resident.resident_tags.values_list("tag_id", flat=True)):
            names = "、".join(activity.tags.values_list("name", flat=True))
            return f"此活动面向{names}"
    return None


def signup_create(*, by: Actor, activity: Activity, now: dt.datetime | None = None) -> Signup:
    """Sign the acting resident up: a place if one is free, else the waiting list. Twice is refused."""
    require_actor(by)
    now = now or clock.now()
    resident = _resident_of(by)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().select_related("place").get(pk=activity.pk)
        policy.check("signup", by, activity)
        if activity.starts_at <= now:
            raise ValidationError("活动已开始，不能再报名")
        problem = _audience_problem(activity, resident, now.date())
        if problem:
            raise ValidationError(problem)
        signup = Signup.objects.select_for_update().filter(activity=activity, resident=resident).first()
        if signup is not None and signup.state != SignupState.CANCELLED:
            raise ValidationError(
                "您已报名此活动，无需重复报名"
                if signup.state == SignupState.CONFIRMED
                else "您已在候补名单中，有空位时会自动转为报名成功"
            )
        full = bool(activity.capacity) and activity.confirmed_count >= activity.capacity
        state = SignupState.WAITING if full else SignupState.CONFIRMED
        if signup is None:
            signup = Signup(activity=activity, resident=resident)
        signup.state, signup.queued_at, signup.checked_in_at = state, now, None
        signup.save()
        counter = "waiting_count" if full else "confirmed_count"
        Activity.objects.filter(pk=activity.pk).update(**{counter: F(counter) + 1})
        audit_op(
            actor=by,
            op="activities.signup",
            target=activity,
            place_path=activity.place.path,
            changes={"resident": resident.pk, "state": state},
        )
    return signup


def signup_cancel(*, by: Actor, signup: Signup) -> Signup | None:
    """Cancel one's own sign-up (or staff for them); the first on the waiting list moves up and is
    told. Returns the promoted sign-up, if any."""
    require_actor(by)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().select_related("place").get(pk=signup.activity_id)
        signup = Signup.objects.select_for_update().get(pk=signup.pk)
        own = getattr(by, "resident_id", None) == signup.resident_id
        if not (own or policy.manages(by, activity.place.path)):
            raise NotFound()
        if signup.state == SignupState.CANCELLED:
            raise ValidationError("该报名已取消")
        if signup.checked_in_at:
            raise ValidationError("已签到，不能取消报名")
        was = signup.state
        signup.state = SignupState.CANCELLED
        signup.save(update_fields=["state"])
        promoted = None
        if was == SignupState.WAITING:
            Activity.objects.filter(pk=activity.pk).update(waiting_count=F("waiting_count") - 1)
        else:
            promoted = (
                Signup.objects.select_for_update()
                .filter(activity=activity, state=SignupState.WAITING)
                .order_by("queued_at", "id")
                .first()
            )
            if promoted is not None:
                promoted.state = SignupState.CONFIRMED
                promoted.save(update_fields=["state"])
                Activity.objects.filter(pk=activity.pk).update(waiting_count=F("waiting_count") - 1)
                _tell(
                    activity,
                    [promoted.resident_id],
                    f"候补成功：{activity.title}",
                    f"有人取消了报名，您已从候补转为报名成功。时间：{activity.starts_at.astimezone(SHANGHAI):%m月%d日 %H:%M}",
                )
            else:
                Activity.objects.filter(pk=activity.pk).update(confirmed_count=F("confirmed_count") - 1)
        audit_op(
            actor=by,
            op="activities.signup_cancel",
            target=activity,
            place_path=activity.place.path,
            changes={"resident": signup.resident_id, "promoted": promoted.resident_id if promoted else None},
        )
    return promoted


def checkin_token(activity: Activity) -> str:
    """What the activity's door QR code carries: signed, so a resident cannot check in elsewhere."""
    return signing.dumps({"a": activity.pk}, salt=CHECKIN_SALT, compress=True)


def activity_from_token(token: str) -> int:
    try:
        return int(signing.loads(token, salt=CHECKIN_SALT)["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError("签到二维码无效") from None


def _check_in(by: Actor, activity: Activity, resident: Resident, now: dt.datetime) -> Signup:
    if not (activity.starts_at - CHECKIN_EARLY <= now <= activity.ends_at):
        local = activity.starts_at.astimezone(SHANGHAI)
        raise ValidationError(f"不在签到时间内：活动于{local:%m月%d日 %H:%M}开始，开始前30分钟至结束前可签到")
    signup = Signup.objects.select_for_update().filter(activity=activity, resident=resident).first()
    if activity.signup_required and (signup is None or signup.state != SignupState.CONFIRMED):
        if signup is not None and signup.state == SignupState.WAITING:
            raise ValidationError(f"{resident.name}还在候补名单中，未报名成功，不能签到")
        raise ValidationError(f"{resident.name}没有报名此活动，本活动需先报名")
    if signup is not None and signup.checked_in_at:
        raise ValidationError(
            f"{resident.name}已于{signup.checked_in_at.astimezone(SHANGHAI):%H:%M}签到，无需重复签到"
        )
    if signup is None:  # walk-ins are welcome at an activity without sign-up
        signup = Signup(activity=activity, resident=resident, state=SignupState.CONFIRMED, queued_at=now)
        Activity.objects.filter(pk=activity.pk).update(confirmed_count=F("confirmed_count") + 1)
    signup.checked_in_at, signup.checked_in_by = now, as_user(by)
    signup.save()
    Activity.objects.filter(pk=activity.pk).update(attended_count=F("attended_count") + 1)
    audit_op(
        actor=by,
        op="activities.checkin",
        target=activity,
        place_path=activity.place.path,
        changes={"resident": resident.pk},
    )
    return signup


def checkin_by_card(*, by: Actor, activity: Activity, payload: str, now: dt.datetime | None = None) -> Signup:
    """The organiser scans a resident's service card (signed QR) at the door."""
    require_actor(by)
    now = now or clock.now()
    card_no = card_no_from_qr((payload or "").strip())
    with transaction.atomic():
        activity = Activity.objects.select_for_update().select_related("place").get(pk=activity.pk)
        policy.check("checkin", by, activity)
        resident = Resident.objects.filter(card_no=card_no).first()
        if resident is None:
            raise ValidationError("未找到该服务卡对应的居民")
        return _check_in(by, activity, resident, now)


def checkin_self(*, by: Actor, token: str, now: dt.datetime | None = None) -> Signup:
    """The resident scans the activity's signed code with their own phone."""
    require_actor(by)
    now = now or clock.now()
    activity_id = activity_from_token(token)
    resident = _resident_of(by)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().select_related("place").filter(pk=activity_id).first()
        if activity is None:
            raise NotFound()
        policy.check("self_checkin", by, activity)
        return _check_in(by, activity, resident, now)


def activity_report(*, by: Actor, activity: Activity, report: str, photos: Iterable[Any] = ()) -> Activity:
    """The short report afterwards, with photos (checked by content, location stripped)."""
    require_actor(by)
    report = _text(report, "report", "活动小结", max_length=TEXT_MAX, required=False, multiline=True)
    cleaned = [clean_photo(upload, field="photos") for upload in list(photos)[:9]]
    with transaction.atomic():
        activity = Activity.objects.select_for_update().select_related("place").get(pk=activity.pk)
        policy.check("report", by, activity)
        activity.report = report
        if activity.ends_at <= clock.now():
            activity.state = ActivityState.DONE
        activity.save(update_fields=["report", "state"])
        for photo in cleaned:
            item = ActivityPhoto(activity=activity, content_type=photo.content_type, size=len(photo.content))
            item.file.save(f"photo.{photo.extension}", ContentFile(photo.content), save=False)
            item.save()
        audit_op(
            actor=by,
            op="activities.report",
            target=activity,
            place_path=activity.place.path,
            changes={"photos": len(cleaned)},
        )
    return activity


def remind_tomorrow(*, by: Actor, now: dt.datetime | None = None) -> int:
    """The day-before reminder: activities starting in the next 24 hours, each reminded once."""
    require_actor(by)
    now = now or clock.now()
    count = 0
    due = Activity.objects.filter(
        state=ActivityState.PLANNED,
        reminded=False,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=24),
    ).values_list("pk", flat=True)
    for activity_id in list(due[:500]):
        with transaction.atomic():
            activity = Activity.objects.select_for_update().filter(pk=activity_id, reminded=False).first()
            if activity is None:
                continue
            people = activity.signups.filter(state=SignupState.CONFIRMED).values_list(
                "resident_id", flat=True
            )
            local = activity.starts_at.astimezone(SHANGHAI)
            _tell(
                activity,
                people,
                f"明天活动提醒：{activity.title}",
                f"{local:%m月%d日 %H:%M}，{activity.location}",
            )
            activity.reminded = True
            activity.save(update_fields=["reminded"])
            count += 1
    return count
