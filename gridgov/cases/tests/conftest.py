"""The case world: the shared two-grid community plus the organisations and people the case
loop needs (a property company bound to 聚江苑, street departments, a street administrator,
a building head) and the three routing rules the seeds describe."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from gridgov.accounts.scope import SYSTEM


@pytest.fixture
def cw(world):
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.cases.models import Category, Level
    from gridgov.cases.services import category_create, routing_rule_create
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_create

    w = world
    roles = {role.code: role for role in Role.objects.all()}

    def person(username: str, role: str, place, **extra):
        user = user_create(
            by=SYSTEM, username=username, password=w.password, display_name=username, validate=False, **extra
        )
        role_grant(by=SYSTEM, user=user, role=roles[role], place=place)
        return user

    w.property_co = organisation_create(
        by=SYSTEM, kind=OrgKind.PROPERTY, name="聚江苑物业", place=w.estate1, places=[w.estate1]
    )
    w.chengguan = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="城管执法中队", place=w.street)
    w.police = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="芙蓉北路派出所", place=w.street)
    w.market = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="市场监管所", place=w.street)
    w.pete = person("pete", "property_staff", w.estate1, organisation=w.property_co)
    w.chen = person("chen", "department_staff", w.street, organisation=w.chengguan)
    w.wang = person("wang", "department_staff", w.street, organisation=w.police)
    w.zhi = person("zhi", "department_staff", w.street, organisation=w.market)
    w.sam = person("sam", "street_admin", w.street)
    w.bea = person("bea", "building_head", w.building1)
    w.cora = person("cora", "community_worker", w.community)

    w.facility = Category.objects.get(code="facility")
    w.lift = category_create(by=SYSTEM, name="电梯故障", code="lift", parent=w.facility)
    w.safety = Category.objects.get(code="safety")
    w.theft = category_create(by=SYSTEM, name="盗窃", code="theft", parent=w.safety)
    w.order = Category.objects.get(code="order")
    w.sanitation = Category.objects.get(code="sanitation")
    routing_rule_create(
        by=SYSTEM, category=w.lift, place=w.estate1, level=Level.GRID, organisation=w.property_co
    )
    routing_rule_create(by=SYSTEM, category=w.order, level=Level.DEPARTMENT, organisation=w.chengguan)
    routing_rule_create(
        by=SYSTEM, category=w.theft, place=w.street, level=Level.DEPARTMENT, organisation=w.police
    )
    return w


@pytest.fixture
def submit(cw):
    """A resident-web report in building 1 (grid 1), with overridable fields."""
    from gridgov.cases.services import case_submit

    def make(**fields):
        defaults = {
            "by": AnonymousUser(),
            "text": "1栋门口的垃圾好几天没人清运，味道很大",
            "channel": "resident_web",
            "place": cw.building1,
            "reporter_phone": "13700001234",
        }
        defaults.update(fields)
        return case_submit(**defaults)

    return make
