"""The 生活快车 world: the shared community plus 帮帮快递先锋队 with a grid-1 sub-team offering 上门理发,
its leader 队长 lei, two approved party-member volunteers (wu, xu) and one pending (qian), a merchant
巧手理发店 with a 便民服务协议, and 张建国 (grid 1) tagged 独居老人."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.accounts.scope import SYSTEM


@pytest.fixture
def sw(world):
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_add_member, organisation_create
    from gridgov.people.models import PoliticalStatus, Relation, Tag
    from gridgov.people.services import resident_create, resident_set_tags
    from gridgov.places.services import household_create
    from gridgov.services import services
    from gridgov.services.models import ServiceItem

    w = world
    roles = {role.code: role for role in Role.objects.all()}
    resident_set_tags(by=SYSTEM, resident=w.zhang, tags=[Tag.objects.get(code="living-alone-elderly")])
    w.household3 = household_create(by=SYSTEM, place=w.building1, room="303")

    def member(username: str, name: str, *, approve: bool = True, skills=("理发",)):
        resident = resident_create(
            by=SYSTEM,
            name=name,
            household=w.household3,
            relation=Relation.OTHER,
            political_status=PoliticalStatus.PARTY_MEMBER,
        )
        user = user_create(
            by=SYSTEM,
            username=username,
            password=w.password,
            display_name=name,
            resident=resident,
            validate=False,
        )
        role_grant(by=SYSTEM, user=user, role=roles["volunteer"], place=w.grid1)
        volunteer = services.volunteer_register(
            by=SYSTEM,
            resident=resident,
            skills=list(skills),
            availability={str(d): [[0, 24]] for d in range(7)},
        )
        if approve:
            services.volunteer_decide(by=SYSTEM, volunteer=volunteer, approve=True)
        return user, volunteer

    w.team = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="帮帮快递先锋队", place=w.community)
    w.subteam = organisation_create(
        by=SYSTEM, kind=OrgKind.TEAM, name="第一网格分队", place=w.grid1, parent=w.team
    )
    w.other_team = organisation_create(
        by=SYSTEM, kind=OrgKind.TEAM, name="第二网格分队", place=w.grid2, parent=w.team
    )
    w.haircut = ServiceItem.objects.get(code="haircut")
    w.repair = ServiceItem.objects.get(code="repair-water-power")
    services.team_offer(by=SYSTEM, team=w.subteam, serves=w.grid1, items=[w.haircut, w.repair])
    services.team_offer(by=SYSTEM, team=w.other_team, serves=w.grid2, items=[w.haircut, w.repair])
    w.lei, w.lei_v = member("lei", "雷队长")
    w.wu, w.wu_v = member("wu", "吴党员")
    w.xu, w.xu_v = member("xu", "许党员", skills=("水电",))
    w.qian, w.qian_v = member("qian", "钱新人", approve=False)
    organisation_add_member(by=SYSTEM, organisation=w.subteam, resident=w.lei.resident, role="分队长")
    for user in (w.wu, w.xu, w.qian):
        organisation_add_member(by=SYSTEM, organisation=w.subteam, resident=user.resident, role="队员")
    w.zhang_user = user_create(
        by=SYSTEM, username="zhang", password=w.password, resident=w.zhang, validate=False
    )
    role_grant(by=SYSTEM, user=w.zhang_user, role=roles["resident"], place=w.building1)
    w.cora = user_create(
        by=SYSTEM, username="cora", password=w.password, display_name="社区小陈", validate=False
    )
    role_grant(by=SYSTEM, user=w.cora, role=roles["community_worker"], place=w.community)
    w.shop = organisation_create(by=SYSTEM, kind=OrgKind.MERCHANT, name="巧手理发店", place=w.estate1)
    w.barber = user_create(
        by=SYSTEM, username="barber", password=w.password, organisation=w.shop, validate=False
    )
    role_grant(by=SYSTEM, user=w.barber, role=roles["volunteer"], place=w.estate1)
    w.agreement = services.agreement_create(
        by=SYSTEM,
        merchant=w.shop,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2028, 12, 31),
        items=[w.repair],
        discount_percent=80,
        contact_name="王师傅",
    )
    return w


@pytest.fixture
def window():
    from gridgov.core import clock

    def make(hours_ahead: float = 2, length: float = 2):
        start = clock.now() + dt.timedelta(hours=hours_ahead)
        return start, start + dt.timedelta(hours=length)

    return make


@pytest.fixture
def place_order(sw, window):
    from gridgov.services import services

    def make(by=None, item=None, resident=None, **extra):
        start, end = window()
        return services.order_place(
            by=by or sw.carol,
            resident=resident or sw.zhang,
            item=item or sw.haircut,
            window_start=start,
            window_end=end,
            **extra,
        )

    return make
