"""Orders: 点单 → 下单/抢单 → 到达 → 完成 → 确认评价, and the side exits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import (
    SYSTEM,
    as_user,
    has_capability_at,
    is_system,
    is_unrestricted,
    require_actor,
)
from gridgov.audit.models import AuditAction
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.orgs.models import Organisation, OrgKind, OrgMember
from gridgov.services import policy
from gridgov.services.models import (
    OPEN_ORDER_STATES,
    Agreement,
    Order,
    OrderChannel,
    OrderPhoto,
    OrderState,
    ServiceItem,
    TeamProfile,
    Volunteer,
    VolunteerStatus,
)
from gridgov.services.services._common import audit, clean_text, event, lock_order, order_link, tell
from gridgov.services.services.volunteers import credit_service_hours

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident

NOTE_MAX = 500
REASON_MAX = 200
MAX_AHEAD = dt.timedelta(days=60)
# A window a few minutes old is "now" (the form took a moment to fill in), not the past.
GRACE = dt.timedelta(minutes=10)


def resident_tag_codes(resident: Resident) -> set[str]:
    return set(resident.tags.values_list("code", flat=True))


def eligibility_problem(
    item: ServiceItem,
    resident: Resident,
    *,
    codes: set[str] | None = None,
    names: dict[str, str] | None = None,
) -> str | None:
    """Why `resident` may not order `item` (None when they may); `codes`/`names` spare queries in lists."""
    if not item.is_active:
        return f"“{item.name}”已停用"
    wanted = set(item.eligible_tags or ())
    if wanted and not wanted & (codes if codes is not None else resident_tag_codes(resident)):
        if names is None:
            from gridgov.people.models import Tag

            names = dict(Tag.objects.filter(code__in=wanted).values_list("code", "name"))
        names_text = "、".join(names[c] for c in sorted(wanted) if c in names) or "特定人群"
        return f"“{item.name}”仅面向{names_text}，{resident.name}不在服务对象范围内"
    return None


def team_for(item: ServiceItem, place_path: str) -> Organisation | None:
    """The deepest active team offering `item` whose served place covers `place_path`."""
    parts = place_path.split(".")
    chain = [".".join(parts[: i + 1]) for i in range(len(parts))]
    profiles = (
        TeamProfile.objects.filter(items=item, serves__path__in=chain, team__is_active=True)
        .select_related("team", "serves")
        .order_by("-serves__depth", "team_id")
    )
    profile = profiles.first()
    return profile.team if profile else None


def agreement_in_force(merchant: Organisation, item: ServiceItem, on: dt.date) -> Agreement:
    """The merchant's agreement covering `item` on `on`, or a field error saying why not."""
    agreements = list(Agreement.objects.filter(merchant=merchant, items=item).order_by("-ends_on"))
    if not agreements:
        raise field_error("merchant", f"{merchant.name}的便民服务协议不包含“{item.name}”")
    for agreement in agreements:
        if agreement.in_force(on):
            return agreement
    latest = agreements[0]
    if latest.ends_on < on:
        raise field_error(
            "merchant", f"{merchant.name}的便民服务协议已于{latest.ends_on:%Y-%m-%d}到期，暂不能下单"
        )
    raise field_error("merchant", f"{merchant.name}的便民服务协议自{latest.starts_on:%Y-%m-%d}起生效")


def _window(start: Any, end: Any, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if not isinstance(start, dt.datetime):
        raise field_error("window_start", "请选择期望服务时间")
    if not isinstance(end, dt.datetime):
        raise field_error("window_end", "请选择期望服务的结束时间")
    if start.tzinfo is None or end.tzinfo is None:
        raise field_error("window_start", "服务时间须带时区")
    if end <= start:
        raise field_error("window_end", "结束时间须晚于开始时间")
    if end < now - GRACE or start < now - GRACE:
        raise field_error("window_start", "期望服务时间不能早于现在")
    if start > now + MAX_AHEAD:
        raise field_error("window_start", "最多预约60天以内的服务")
    if end - start > dt.timedelta(days=7):
        raise field_error("window_end", "服务时间段最长7天")
    return start, end


def _leaders(team: Organisation | None) -> list[User]:
    if team is None:
        return []
    from gridgov.accounts.models import User

    teams = [team.pk] + ([team.parent_id] if team.parent_id else [])
    members = OrgMember.objects.filter(
        organisation_id__in=teams, left_on__isnull=True, role__in=policy.LEADER_ROLES
    )
    residents = set(members.exclude(resident__isnull=True).values_list("resident_id", flat=True))
    leaders = (
        Organisation.objects.filter(pk__in=teams)
        .exclude(leader__isnull=True)
        .values_list("leader_id", flat=True)
    )
    residents |= set(leaders)
    users = User.objects.filter(
        Q(resident_id__in=residents) | Q(pk__in=members.exclude(user__isnull=True).values("user_id"))
    )
    return list(users.filter(is_active=True))


def community_staff(order: Order) -> list[User]:
    from gridgov.accounts.scope import holders
    from gridgov.places.models import PlaceKind

    # The community's own dispatch staff (not the grid head below them, who already had it).
    found = list(holders(caps.SERVICES_DISPATCH, order.place, nearest=True, kinds=[PlaceKind.COMMUNITY]))
    return found or list(holders(caps.SERVICES_DISPATCH, order.place, nearest=True))


@transaction.atomic
def order_place(
    *,
    by: Actor,
    resident: Resident,
    item: ServiceItem,
    window_start: Any,
    window_end: Any,
    note: str = "",
    channel: str = OrderChannel.APP,
    merchant: Organisation | None = None,
) -> Order:
    """点单: a resident orders for themselves, or staff with services.order (帮代办) for a
    resident in their scope. Checks eligibility, the window and the merchant's agreement."""
    require_actor(by)
    now = clock.now()
    home = resident.place
    if home is None:
        raise field_error("resident", "该居民没有登记住址，不能上门服务")
    self_order = getattr(by, "resident_id", None) == resident.pk
    if not self_order and not has_capability_at(by, caps.SERVICES_ORDER, home.path):
        if has_capability_at(by, caps.SERVICES_VIEW, home.path):
            raise Forbidden("您无权为该居民代下订单")
        raise NotFound()
    if channel not in OrderChannel.values:
        raise field_error("channel", "下单渠道无效")
    if self_order and channel not in (OrderChannel.APP, OrderChannel.CARD):
        channel = OrderChannel.APP
    if not self_order and channel == OrderChannel.APP:
        channel = OrderChannel.PHONE
    problem = eligibility_problem(item, resident)
    if problem:
        raise field_error("item", problem)
    start, end = _window(window_start, window_end, now)
    note = clean_text(note, "note", "需求说明", max_length=NOTE_MAX)
    agreement = None
    team = None
    if merchant is not None:
        if merchant.kind != OrgKind.MERCHANT or not merchant.is_active:
            raise field_error("merchant", "请选择有效的爱心商户")
        agreement = agreement_in_force(merchant, item, clock.today())
    else:
        team = team_for(item, home.path)
    order = Order.objects.create(
        item=item,
        resident=resident,
        place=home,
        place_path=home.path,
        team=team,
        merchant=merchant,
        agreement=agreement,
        channel=channel,
        window_start=start,
        window_end=end,
        note=note,
        ordered_by=as_user(by),
        created_at=now,
    )
    who = "居民点单" if self_order else f"{OrderChannel(channel).label}（{by}）"
    event(order, by=by, kind="placed", note=f"{who}：{item.name}")
    audit(order, by=by, what="下单", changes={"state": [None, OrderState.OPEN]}, action=AuditAction.CREATE)
    body = f"{resident.name}（{home.name}）点单：{item.name}，期望{_local(start):%m-%d %H:%M}"
    if merchant is not None:
        from gridgov.accounts.models import User

        tell(
            User.objects.filter(organisation=merchant, is_active=True),
            title="新的便民服务订单",
            body=body,
            link=order_link(order),
            kind="services.order",
        )
    elif team is not None:
        tell(
            _leaders(team),
            title=f"{team.name}有新订单待派",
            body=body,
            link=order_link(order),
            kind="services.order",
        )
    else:
        tell(
            community_staff(order),
            title="新服务订单没有对应服务队，请派单",
            body=body,
            link=order_link(order),
            kind="services.order",
        )
    return order


def _local(moment: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    return timezone.localtime(moment)


def _user_of(volunteer: Volunteer) -> User | None:
    from gridgov.accounts.models import User

    return User.objects.filter(resident_id=volunteer.resident_id, is_active=True).first()


def _assign(
    order: Order, *, by: Actor, volunteer: Volunteer | None, user: User, kind: str, note: str
) -> Order:
    order.provider = volunteer
    order.provider_user = user
    order.state = OrderState.ASSIGNED
    order.assigned_at = clock.now()
    order.save(update_fields=["provider", "provider_user", "state", "assigned_at"])
    event(order, by=by, kind=kind, note=note)
    audit(
        order,
        by=by,
        what=note,
        changes={"state": [OrderState.OPEN, OrderState.ASSIGNED], "provider": [None, str(user)]},
    )
    return order


@transaction.atomic
def order_grab(*, by: User, order: Order) -> Order:
    """抢单: an approved member of the order's team (or the merchant's staff) takes it. The row
    lock makes it exclusive: of two members tapping at once, the second finds it taken."""
    order = lock_order(order)
    policy.check("grab", by, order)
    volunteer = None if order.merchant_id else policy.volunteer_of(by)
    _assign(order, by=by, volunteer=volunteer, user=by, kind="grabbed", note=f"{by}接单")
    tell(
        [order.ordered_by],
        title=f"“{order.item.name}”已有人接单",
        body=f"接单人：{by}",
        link=order_link(order),
    )
    return order


@dataclass(frozen=True)
class Proposal:
    volunteer: Volunteer
    user: User | None
    skill_match: bool
    available: bool
    open_orders: int

    @property
    def score(self) -> int:
        return (2 if self.skill_match else 0) + (2 if self.available else 0) - min(self.open_orders, 3)

    @property
    def reasons(self) -> str:
        parts = [
            "技能匹配" if self.skill_match else "技能不匹配",
            "时间合适" if self.available else "该时段不空闲",
        ]
        if self.open_orders:
            parts.append(f"手上{self.open_orders}单")
        return "，".join(parts)


def dispatch_candidates(order: Order) -> list[Volunteer]:
    """Approved volunteers of the order's team and its sub-teams (of the teams serving its place)."""
    teams: list[int] = []
    if order.team_id:
        teams = [
            order.team_id,
            *Organisation.objects.filter(parent_id=order.team_id).values_list("pk", flat=True),
        ]
    else:
        parts = order.place_path.split(".")
        chain = [".".join(parts[: i + 1]) for i in range(len(parts))]
        teams = list(TeamProfile.objects.filter(serves__path__in=chain).values_list("team_id", flat=True))
    residents = OrgMember.objects.filter(organisation_id__in=teams, left_on__isnull=True).exclude(
        resident__isnull=True
    )
    return list(
        Volunteer.objects.filter(
            status=VolunteerStatus.APPROVED, resident_id__in=residents.values("resident_id")
        )
        .select_related("resident")
        .order_by("pk")
    )


def dispatch_proposals(order: Order, *, limit: int = 10) -> list[Proposal]:
    """The best matches for 下单: skills first, then availability in the window, then load."""
    from gridgov.accounts.models import User

    candidates = dispatch_candidates(order)
    wanted = set(order.item.skills or ())
    loads = dict(
        Order.objects.filter(provider__in=candidates, state__in=OPEN_ORDER_STATES)
        .values_list("provider_id")
        .annotate(n=Count("pk"))
        .values_list("provider_id", "n")
    )
    users = {
        u.resident_id: u for u in User.objects.filter(resident_id__in=[v.resident_id for v in candidates])
    }
    proposals = [
        Proposal(
            volunteer=v,
            user=users.get(v.resident_id),
            skill_match=not wanted or bool(wanted & set(v.skills or ())),
            available=v.available_at(order.window_start),
            open_orders=loads.get(v.pk, 0),
        )
        for v in candidates
    ]
    proposals.sort(key=lambda p: (-p.score, p.volunteer.pk))
    return proposals[:limit]


@transaction.atomic
def order_dispatch(*, by: Actor, order: Order, volunteer: Volunteer) -> Order:
    """下单: the team leader (or community dispatch staff) gives the order to a volunteer of the team."""
    order = lock_order(order)
    policy.check("dispatch", by, order)
    if volunteer.pk not in {v.pk for v in dispatch_candidates(order)}:
        raise field_error("volunteer", f"{volunteer}不是本服务队已审核的队员")
    user = _user_of(volunteer)
    if user is None:
        raise field_error("volunteer", f"{volunteer}还没有开通账号，不能接收派单")
    previous = order.provider_user
    if order.state == OrderState.ASSIGNED:
        order.state = OrderState.OPEN
    _assign(order, by=by, volunteer=volunteer, user=user, kind="dispatched", note=f"{by}派单给{volunteer}")
    tell(
        [user],
        title=f"派单：{order.item.name}",
        body=f"{order.resident.name}，期望{_local(order.window_start):%m-%d %H:%M}",
        link=order_link(order),
        kind="services.dispatch",
    )
    if previous is not None and previous.pk != user.pk:
        tell([previous], title=f"订单“{order.item.name}”已改派他人", body="", link=order_link(order))
    return order


def _photos(order: Order, photos: Any) -> int:
    from gridgov.cases.photos import clean_photos

    cleaned = clean_photos(photos)
    existing = order.photos.count()
    for index, photo in enumerate(cleaned, start=existing + 1):
        row = OrderPhoto(order=order, content_type=photo.content_type)
        row.file.save(f"order-{order.pk}-{index}.{photo.extension}", ContentFile(photo.content), save=False)
        row.save()
    return len(cleaned)


@transaction.atomic
def order_arrive(*, by: User, order: Order, note: str = "") -> Order:
    """The provider is at the door."""
    order = lock_order(order)
    policy.check("arrive", by, order)
    note = clean_text(note, "note", "到达说明", max_length=REASON_MAX)
    order.state = OrderState.ARRIVED
    order.arrived_at = clock.now()
    order.save(update_fields=["state", "arrived_at"])
    event(order, by=by, kind="arrived", note=note or "已到达")
    audit(order, by=by, what="到达", changes={"state": [OrderState.ASSIGNED, OrderState.ARRIVED]})
    return order


@transaction.atomic
def order_complete(*, by: User, order: Order, note: str, photos: Any = ()) -> Order:
    """The provider finishes, with what they did (and photos); the resident is asked to confirm."""
    order = lock_order(order)
    policy.check("complete", by, order)
    note = clean_text(note, "done_note", "服务记录", max_length=NOTE_MAX, required=True)
    before = order.state
    now = clock.now()
    if order.arrived_at is None:
        order.arrived_at = now - dt.timedelta(minutes=order.item.duration_minutes)
    order.state = OrderState.DONE
    order.done_at = now
    order.done_note = note
    order.save(update_fields=["state", "arrived_at", "done_at", "done_note"])
    count = _photos(order, photos)
    event(order, by=by, kind="done", note=note + (f"（照片{count}张）" if count else ""))
    audit(order, by=by, what="完成", changes={"state": [before, OrderState.DONE]})
    from gridgov.accounts.models import User

    tell(
        [*User.objects.filter(resident_id=order.resident_id), order.ordered_by],
        title=f"“{order.item.name}”已完成，请确认评价",
        body=note,
        link=order_link(order),
        kind="services.done",
    )
    return order


def _hours_of(order: Order) -> Decimal:
    if order.arrived_at and order.done_at and order.done_at > order.arrived_at:
        minutes = (order.done_at - order.arrived_at).total_seconds() / 60
    else:
        minutes = order.item.duration_minutes
    halves = Decimal(minutes / 30).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(Decimal("0.5"), min(Decimal(12), halves / 2))


@transaction.atomic
def order_rate(*, by: Actor, order: Order, rating: int, comment: str = "") -> Order:
    """The resident confirms the service and rates it 1–5; the provider's hours are credited."""
    order = lock_order(order)
    policy.check("rate", by, order)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise field_error("rating", "评分须为1到5星")
    comment = clean_text(comment, "comment", "评价内容", max_length=300)
    order.state = OrderState.CONFIRMED
    order.confirmed_at = clock.now()
    order.rating = rating
    order.rating_comment = comment
    if order.provider_id:
        order.hours = _hours_of(order)
    order.save(update_fields=["state", "confirmed_at", "rating", "rating_comment", "hours"])
    event(order, by=by, kind="rated", note=f"{rating}星" + (f"：{comment}" if comment else ""))
    audit(
        order,
        by=by,
        what="评价",
        changes={"state": [OrderState.DONE, OrderState.CONFIRMED], "rating": [None, rating]},
    )
    if order.provider is not None and order.hours:
        credit_service_hours(by=SYSTEM, order=order, hours=order.hours)
    tell(
        [order.provider_user],
        title=f"“{order.item.name}”获得{rating}星评价",
        body=comment,
        link=order_link(order),
    )
    return order


def _end(order: Order, *, by: Actor, state: str, reason: str, side: str, kind: str) -> Order:
    before = order.state
    order.state = state
    order.ended_reason = reason
    order.ended_side = side
    order.save(update_fields=["state", "ended_reason", "ended_side"])
    event(order, by=by, kind=kind, note=reason)
    audit(
        order,
        by=by,
        what=OrderState(state).label,
        changes={"state": [before, state], "reason": [None, reason]},
    )
    return order


@transaction.atomic
def order_cancel(*, by: Actor, order: Order, reason: str) -> Order:
    """The resident (or their staff) cancels an order not yet served."""
    order = lock_order(order)
    policy.check("cancel", by, order)
    reason = clean_text(reason, "reason", "取消原因", max_length=REASON_MAX, required=True)
    _end(order, by=by, state=OrderState.CANCELLED, reason=reason, side="resident", kind="cancelled")
    tell(
        [order.provider_user, *_leaders(order.team)],
        title=f"订单“{order.item.name}”已取消",
        body=reason,
        link=order_link(order),
    )
    return order


@transaction.atomic
def order_release(*, by: User, order: Order, reason: str) -> Order:
    """The provider gives an order back (退单): it is open again for the team."""
    order = lock_order(order)
    policy.check("release", by, order)
    reason = clean_text(reason, "reason", "退单原因", max_length=REASON_MAX, required=True)
    order.state = OrderState.OPEN
    order.provider = None
    order.provider_user = None
    order.assigned_at = None
    order.save(update_fields=["state", "provider", "provider_user", "assigned_at"])
    event(order, by=by, kind="released", note=f"{by}退单：{reason}")
    audit(
        order,
        by=by,
        what="退单",
        changes={"state": [OrderState.ASSIGNED, OrderState.OPEN], "reason": [None, reason]},
    )
    tell(
        _leaders(order.team) or community_staff(order),
        title=f"订单“{order.item.name}”被退回，请重新派单",
        body=reason,
        link=order_link(order),
    )
    return order


@transaction.atomic
def order_no_show(*, by: Actor, order: Order, reason: str, side: str) -> Order:
    """爽约: side "provider" (the resident says nobody came) or "resident" (nobody was home)."""
    order = lock_order(order)
    if side not in ("provider", "resident"):
        raise field_error("side", "请说明是服务方还是居民爽约")
    policy.check("resident_no_show" if side == "provider" else "provider_no_show", by, order)
    reason = clean_text(reason, "reason", "爽约说明", max_length=REASON_MAX, required=True)
    _end(order, by=by, state=OrderState.NO_SHOW, reason=reason, side=side, kind="no_show")
    tell(_leaders(order.team), title=f"订单“{order.item.name}”登记爽约", body=reason, link=order_link(order))
    return order


@transaction.atomic
def order_raise_case(*, by: User, order: Order, text: str) -> Order:
    """A problem found during the service becomes a case in one step (the provider reports it)."""
    from gridgov.cases import services as case_services
    from gridgov.cases.models import Channel

    order = lock_order(order)
    policy.check("raise_case", by, order)
    text = clean_text(text, "text", "发现的问题", max_length=2000, required=True)
    if is_system(by) or is_unrestricted(by) or has_capability_at(by, caps.CASES_INTAKE, order.place_path):
        case = case_services.case_submit(
            by=by, text=text, channel=Channel.PATROL, place=order.place, reporter_resident=order.resident
        )
    else:
        # A volunteer holds no intake role: the report is filed for them as the system, on the
        # resident's home, and the timeline says who found it.
        case = case_services.case_submit(
            by=SYSTEM,
            text=f"{text}（{by}在“{order.item.name}”服务中发现）",
            channel=Channel.PATROL,
            place=order.place,
            reporter_resident=order.resident,
        )
    order.case = case
    order.save(update_fields=["case"])
    event(order, by=by, kind="case", note=f"转为事件 {case.tracking_code}")
    audit(order, by=by, what="转事件", changes={"case": [None, case.tracking_code]})
    return order
