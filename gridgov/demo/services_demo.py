"""The demo's 生活快车 and care: the seeds' teams, merchants under agreement, 60 days of orders in
every state, 周末好儿女 care plans with their visit history, and grid patrols.

Everything goes through the real services as the system actor or as the demo's volunteers, with
the services' clock (`gridgov.core.clock`) standing at each simulated moment, so the orders'
timelines, the hours ledger and the duties' due dates agree with each other. Nothing is left in
the future: the steps of recent orders that would fall after "now" are simply not taken.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.accounts.models import Role, RoleAssignment, User
from gridgov.accounts.scope import SYSTEM
from gridgov.core import clock
from gridgov.core.errors import Forbidden
from gridgov.orgs.models import Organisation, OrgKind, OrgMember
from gridgov.orgs.services import organisation_create
from gridgov.people.models import PoliticalStatus, Resident, ResidentTag
from gridgov.places.models import Household, Place

if TYPE_CHECKING:
    from gridgov.demo.builder import _Builder

DAYS = 60
FULL_ORDERS = 240
MAX_PLANS = 40
TEAM_ITEMS = {
    "雷锋侠家庭服务站": ["knife-lock", "repair-water-power", "drain-unblock", "appliance-repair", "haircut"],
    "帮帮快递先锋队": ["haircut", "home-care", "id-appointment", "housekeeping", "book-loan", "free-clinic"],
}
SKILLS = ["理发", "水电", "维修", "家电", "养老护理", "代办", "家政", "医护", "管道"]
DONE_NOTES = [
    "已按要求完成服务，老人满意",
    "服务完成，顺便检查了家里用电安全",
    "完成，约定下次上门时间",
    "处理好了，留了联系电话",
]
VISIT_NOTES = ["陪老人聊天，打扫卫生", "帮忙买菜、整理房间", "测量血压，提醒按时吃药", "陪老人散步，聊聊家常"]


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


def build(
    builder: _Builder, tree: dict[str, Any], *, scale: float, seed: int, log: Callable[[str], None]
) -> dict[str, int]:
    """Fill 生活快车 and care for the demo community; returns counts for the summary."""
    from gridgov.services import services
    from gridgov.services.models import ServiceItem

    rng = random.Random(seed + 10)
    community: Place = tree["community"]
    grids: list[Place] = tree["grids"]
    now = clock.now()
    password = (
        User.objects.filter(username__in=list(builder.users)).values_list("password", flat=True).first()
        or "!"
    )
    roles = {role.code: role for role in Role.objects.all()}
    items = {item.code: item for item in ServiceItem.objects.all()}

    # --- teams: 雷锋侠家庭服务站 (grid 1), 帮帮快递先锋队 with four sub-teams, 周末好儿女 -------------
    station = organisation_create(
        by=SYSTEM,
        kind=OrgKind.TEAM,
        name="雷锋侠家庭服务站",
        place=grids[0],
        description="免费为居民磨刀、换锁、更换家庭小零件",
    )
    express = organisation_create(
        by=SYSTEM,
        kind=OrgKind.TEAM,
        name="帮帮快递先锋队",
        place=community,
        description="居民点单、分队下单、党员接单",
    )
    subteams = []
    for index in range(4):
        serves = grids[index] if index < len(grids) else community
        name = f"{serves.name}分队" if index < len(grids) else "机动分队"
        subteams.append(
            organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name=name, place=serves, parent=express)
        )
    weekend = organisation_create(
        by=SYSTEM,
        kind=OrgKind.TEAM,
        name="周末好儿女",
        place=community,
        description="每周看望一次、每月做一次家务、每季度解决一个实际问题、每年过一次生日",
    )
    services.team_offer(
        by=SYSTEM, team=station, serves=grids[0], items=[items[c] for c in TEAM_ITEMS["雷锋侠家庭服务站"]]
    )
    for team in subteams:
        services.team_offer(
            by=SYSTEM, team=team, serves=team.place, items=[items[c] for c in TEAM_ITEMS["帮帮快递先锋队"]]
        )

    # --- volunteers: adults of each grid, party members first, with accounts -------------------
    adults = list(
        Resident.objects.filter(
            place__path__startswith=community.path + ".",
            is_deceased=False,
            birth_date__lte=builder.today - dt.timedelta(days=365 * 20),
            birth_date__gte=builder.today - dt.timedelta(days=365 * 68),
        )
        .order_by("-political_status", "pk")
        .values_list("pk", "name", "place__path", "political_status")
    )
    taken = set(User.objects.exclude(resident__isnull=True).values_list("resident_id", flat=True))
    per_team = max(3, round(8 * scale)) if scale < 1 else 8
    teams_with_grid = [(station, grids[0]), *[(t, t.place) for t in subteams], (weekend, community)]
    volunteers_of: dict[int, list[tuple[Any, User]]] = {}
    used: set[int] = set()
    new_users: list[User] = []
    plan: list[tuple[Organisation, int, str]] = []
    for team, place in teams_with_grid:
        pool = [a for a in adults if a[2].startswith(place.path) and a[0] not in used and a[0] not in taken]
        party = [a for a in pool if a[3] in (PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY)]
        chosen = (party + [a for a in pool if a not in party])[:per_team]
        for index, (pk, name, _path, _status) in enumerate(chosen):
            used.add(pk)
            username = f"v{pk}"
            new_users.append(
                User(username=username, display_name=f"{name}", password=password, resident_id=pk)
            )
            plan.append((team, pk, "队长" if index == 0 else "队员"))
    User.objects.bulk_create(new_users, ignore_conflicts=True)
    users = {u.resident_id: u for u in User.objects.filter(resident_id__in=[pk for _, pk, _ in plan])}
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=users[pk], role=roles["volunteer"], place=team.place)
            for team, pk, _ in plan
            if pk in users
        ],
        ignore_conflicts=True,
    )
    OrgMember.objects.bulk_create(
        [
            OrgMember(
                organisation=team,
                resident_id=pk,
                user=users.get(pk),
                role=role,
                joined_on=builder.today - dt.timedelta(days=rng.randrange(90, 900)),
            )
            for team, pk, role in plan
        ]
    )
    residents = {
        r.pk: r for r in Resident.objects.filter(pk__in=[pk for _, pk, _ in plan]).select_related("place")
    }
    registered = 0
    for team, pk, _role in plan:
        skills = rng.sample(SKILLS, 2) + (["理发"] if team in subteams[:1] or team is station else [])
        days = rng.sample(range(7), 4)
        with clock.frozen_at(now - dt.timedelta(days=DAYS + 10)):
            volunteer = services.volunteer_register(
                by=SYSTEM,
                resident=residents[pk],
                skills=skills,
                availability={str(d): [[8, 12], [14, 20]] for d in days},
            )
            if rng.random() < 0.93:
                volunteer = services.volunteer_decide(by=SYSTEM, volunteer=volunteer, approve=True)
        registered += 1
        volunteers_of.setdefault(team.pk, []).append((volunteer, users[pk]))
    log(f"生活快车：{len(teams_with_grid)} 支服务队，{registered} 名志愿者")

    # --- merchants: 便民服务协议, one expired --------------------------------------------------------
    merchant_items = {
        "巧手理发店": ["haircut"],
        "好邻居水电维修部": ["repair-water-power", "drain-unblock", "knife-lock"],
        "世纪城家政服务部": ["housekeeping", "home-care"],
        "江景社区诊所": ["free-clinic"],
        "爱心药房": ["free-clinic"],
        "金泰便民超市": ["home-care"],
    }
    merchants = list(
        Organisation.objects.filter(kind=OrgKind.MERCHANT, place__path__startswith=community.path)
    )
    agreements = 0
    for index, merchant in enumerate(merchants):
        codes = merchant_items.get(merchant.name, ["home-care"])
        expired = index == len(merchants) - 1
        start = builder.today - dt.timedelta(days=400 if expired else 200)
        services.agreement_create(
            by=SYSTEM,
            merchant=merchant,
            starts_on=start,
            ends_on=builder.today - dt.timedelta(days=20) if expired else start + dt.timedelta(days=730),
            items=[items[c] for c in codes],
            discount_percent=rng.choice([80, 85, 90, 100]),
            contact_name=merchant.contact_name,
            terms="凭服务卡享受优惠，老人上门服务优先",
        )
        agreements += 1

    # --- orders over 60 days --------------------------------------------------------------------
    tagged_elderly = set(
        ResidentTag.objects.filter(
            tag__code__in=("living-alone-elderly", "empty-nest-elderly", "oldest-old", "disabled"),
            resident__place__path__startswith=community.path,
        ).values_list("resident_id", flat=True)
    )
    customers = list(
        Resident.objects.filter(place__path__startswith=community.path + ".", is_deceased=False)
        .exclude(pk__in=used)
        .select_related("place")
        .order_by("pk")[:2000]
    )
    elderly = [r for r in customers if r.pk in tagged_elderly]
    open_items = [i for i in items.values() if not i.eligible_tags]
    leader_of: dict[int, User] = {}
    for team, pk, role in plan:
        if role == "队长" and pk in users:
            leader_of[team.pk] = users[pk]
    states: Counter[str] = Counter()
    total = max(20, round(FULL_ORDERS * scale))
    for index in range(total):
        day = builder.today - dt.timedelta(days=int(DAYS * (1 - index / total)))
        placed = _moment(day, rng.randrange(8, 18), rng.choice([0, 15, 30, 45]))
        if placed >= now - dt.timedelta(minutes=30):
            continue
        restricted = elderly and rng.random() < 0.45
        resident = rng.choice(elderly) if restricted else rng.choice(customers)
        item = (
            rng.choice([i for i in items.values() if i.eligible_tags])
            if restricted
            else rng.choice(open_items)
        )
        start = placed + dt.timedelta(hours=rng.choice([2, 4, 20, 26]))
        try:
            with clock.frozen_at(placed):
                order = services.order_place(
                    by=SYSTEM,
                    resident=resident,
                    item=item,
                    window_start=start,
                    window_end=start + dt.timedelta(hours=2),
                    channel=rng.choice(["phone", "desk", "app"]),
                    note=rng.choice(["", "老人行动不便", "下午家里有人", "请提前电话联系"]),
                )
        except ValidationError:
            continue
        _play(order, rng=rng, now=now, services=services, volunteers_of=volunteers_of, leader_of=leader_of)
        order.refresh_from_db()
        states[order.state] += 1
    with clock.frozen_at(now):
        services.order_sweep()
    log(
        f"生活快车：{sum(states.values())} 个订单（{'、'.join(f'{k} {v}' for k, v in sorted(states.items()))}）"
    )

    care = _care(
        builder, tree, rng=rng, now=now, weekend=volunteers_of.get(weekend.pk, []), log=log, scale=scale
    )
    return {
        "service_teams": len(teams_with_grid) + 1,
        "volunteers": registered,
        "agreements": agreements,
        "service_orders": sum(states.values()),
        **{f"service_orders_{state}": count for state, count in states.items()},
        **care,
    }


def _play(
    order: Any,
    *,
    rng: random.Random,
    now: dt.datetime,
    services: Any,
    volunteers_of: dict[int, list[tuple[Any, User]]],
    leader_of: dict[int, User],
) -> None:
    """Take the order through the states its luck gives it, never past the real now."""
    from gridgov.services.models import VolunteerStatus

    team_people = [
        (v, u) for v, u in volunteers_of.get(order.team_id or 0, []) if v.status == VolunteerStatus.APPROVED
    ]
    roll = rng.random()
    if order.merchant_id or not team_people:
        return
    t = order.created_at + dt.timedelta(minutes=rng.randrange(10, 120))
    if t >= now:
        return
    with clock.frozen_at(t) as replay:
        if roll < 0.06:
            services.order_cancel(
                by=SYSTEM, order=order, reason=rng.choice(["家人已帮忙解决", "时间不方便，改天再约"])
            )
            return
        if roll < 0.12:
            return  # left open: the sweep takes it to the leader and the community
        volunteer, user = rng.choice(team_people)
        leader = leader_of.get(order.team_id)
        if leader is not None and rng.random() < 0.5:
            candidates = services.dispatch_proposals(order, limit=3)
            if candidates:
                volunteer = candidates[0].volunteer
                user = candidates[0].user or user
            try:
                services.order_dispatch(by=leader, order=order, volunteer=volunteer)
            except (ValidationError, Forbidden):
                services.order_grab(by=user, order=order)
        else:
            services.order_grab(by=user, order=order)
        order.refresh_from_db()
        user = order.provider_user
        arrive = max(order.window_start, t) + dt.timedelta(minutes=rng.randrange(0, 40))
        if arrive >= now or roll < 0.16:
            return
        replay.move_to(arrive)
        if roll < 0.20:
            services.order_no_show(by=user, order=order, reason="上门时家中无人，电话未接", side="resident")
            return
        services.order_arrive(by=user, order=order)
        finish = arrive + dt.timedelta(minutes=order.item.duration_minutes + rng.randrange(-10, 30))
        if finish >= now or roll < 0.23:
            return
        replay.move_to(finish)
        services.order_complete(by=user, order=order, note=rng.choice(DONE_NOTES))
        if rng.random() < 0.03:
            services.order_raise_case(by=user, order=order, text="服务时发现楼道照明损坏，老人夜间出行不便")
        confirm = finish + dt.timedelta(hours=rng.randrange(1, 30))
        if confirm >= now or roll < 0.30:
            return
        replay.move_to(confirm)
        services.order_rate(
            by=SYSTEM,
            order=order,
            rating=rng.choices([5, 4, 3], [70, 25, 5])[0],
            comment=rng.choice(["", "服务很好", "很及时，谢谢", "态度好"]),
        )


def _care(
    builder: _Builder,
    tree: dict[str, Any],
    *,
    rng: random.Random,
    now: dt.datetime,
    weekend: list[tuple[Any, User]],
    log: Callable[[str], None],
    scale: float,
) -> dict[str, int]:
    from gridgov.care import services as care_services
    from gridgov.care.models import COVERED_TAGS, PatrolResult

    community: Place = tree["community"]
    carers = [u for _, u in weekend]
    grid_users = {u.username: u for u in builder.users.values() if u.username.startswith("grid")}
    tagged = list(
        Resident.objects.filter(
            resident_tags__tag__code__in=COVERED_TAGS,
            is_deceased=False,
            place__path__startswith=community.path + ".",
        )
        .distinct()
        .select_related("place")
        .order_by("pk")
    )
    plans = visits = 0
    if carers:
        # 周末好儿女 pairs with some of the tagged (most of grid 1's); the rest are listed uncovered.
        for index, resident in enumerate(tagged[: max(4, round(MAX_PLANS * scale))]):
            started = builder.today - dt.timedelta(days=rng.randrange(21, 50))
            pair = [(carers[index % len(carers)], "party")]
            worker = grid_users.get(f"grid{1 + index % 3}")
            if worker is not None:
                pair.append((worker, "grid_worker"))
            with clock.frozen_at(_moment(started, 9)):
                plan = care_services.plan_create(
                    by=SYSTEM, resident=resident, preset="weekend_children", carers=pair, starts_on=started
                )
            plans += 1
            # Weekly visits up to now; about one plan in five has fallen behind (overdue).
            behind = rng.random() < 0.2
            day = started + dt.timedelta(days=rng.randrange(2, 7))
            while day < builder.today - dt.timedelta(days=10 if behind else 0):
                moment = _moment(day, rng.randrange(9, 17))
                if moment >= now:
                    break
                with clock.frozen_at(moment):
                    care_services.visit_log(
                        by=pair[0][0],
                        plan=plan,
                        visited_at=moment,
                        minutes=rng.randrange(20, 90),
                        done=rng.choice(VISIT_NOTES),
                        health=rng.choice(["good", "good", "attention"]),
                        mood=rng.choice(["good", "good", "attention"]),
                        problem="家中水龙头漏水，需要维修" if rng.random() < 0.03 else "",
                    )
                visits += 1
                day += dt.timedelta(days=rng.choice([6, 7, 7, 8, 9]))
        with clock.frozen_at(now):
            care_services.duty_sweep()
    # Patrols: each grid worker visits part of the grid's households this month and last.
    patrols = 0
    for name, worker in sorted(grid_users.items()):
        if not name[4:].isdigit():
            continue
        grid = tree["grids"][int(name[4:]) - 1]
        households = list(
            Household.objects.filter(place__path__startswith=grid.path + ".").order_by("pk")[:400]
        )
        for household in rng.sample(households, min(len(households), max(5, round(len(households) * 0.35)))):
            moment = now - dt.timedelta(days=rng.randrange(0, 40), hours=rng.randrange(0, 8))
            with clock.frozen_at(moment):
                care_services.patrol_record(
                    by=worker,
                    household=household,
                    visited_at=moment,
                    result=rng.choices(
                        [PatrolResult.HOME, PatrolResult.AWAY, PatrolResult.REFUSED], [75, 20, 5]
                    )[0],
                    note=rng.choice(["家中情况正常", "了解近期需求", "宣传防诈骗知识", ""]),
                )
            patrols += 1
    log(f"结对帮扶：{plans} 个计划，{visits} 次走访；入户走访 {patrols} 户次")
    return {"care_plans": plans, "care_visits": visits, "patrol_visits": patrols}
