"""The demo community at a small scale: structure, valid personal data, tags, logins, idempotence."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.accounts.models import Role, RoleAssignment, User
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.cases import selectors as case_selectors
from gridgov.cases.models import Case, CaseCall, CaseEvent, Channel, EventKind, Level, RoutingRule, State
from gridgov.core import crypto
from gridgov.core.text import pinyin_full, pinyin_initials
from gridgov.core.validation import normalize_phone, parse_id_number
from gridgov.demo import builder
from gridgov.notifications.models import Notification
from gridgov.orgs.models import Organisation, OrgKind, OrgMember, PartyLevel
from gridgov.people.models import (
    FloatingRegistration,
    Gender,
    Membership,
    PoliticalStatus,
    Relation,
    ResidenceStatus,
    Resident,
    ResidentTag,
)
from gridgov.people.selectors import floating_expiring, resident_search, residents_for
from gridgov.people.services import id_hash, phone_hash
from gridgov.places.models import Household, Place, PlaceKind, ResidenceKind
from gridgov.places.services import build_address

SCALE = 0.02


def run_demo(*args: str, scale: float = SCALE, cases: bool = False) -> str:
    """The registry tests skip the 60 days of cases (their own tests below build them)."""
    out = io.StringIO()
    extra = () if cases else ("--without-cases",)
    call_command("demo", "--scale", str(scale), *args, *extra, stdout=out)
    return out.getvalue()


def current_members() -> dict[int, list[Membership]]:
    """Current memberships by household, with their residents (one query)."""
    grouped: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(moved_out__isnull=True).select_related("resident"):
        grouped.setdefault(membership.household_id, []).append(membership)
    return grouped


def tagged(code: str) -> set[int]:
    return set(ResidentTag.objects.filter(tag__code=code).values_list("resident_id", flat=True))


@pytest.mark.django_db
def test_builds_the_community_of_seed_000():
    output = run_demo()

    district = Place.objects.get(kind=PlaceKind.DISTRICT, name="开福区", parent__isnull=True)
    street = Place.objects.get(parent=district, kind=PlaceKind.STREET, name="芙蓉北路街道")
    community = Place.objects.get(parent=street, kind=PlaceKind.COMMUNITY, name="金泰路社区")
    grids = Place.objects.filter(parent=community, kind=PlaceKind.GRID)
    assert [g.name for g in grids] == ["第一网格", "第二网格", "第三网格"]
    estates = Place.objects.filter(kind=PlaceKind.ESTATE, path__startswith=community.path + ".")
    assert sorted(e.name for e in estates) == sorted(builder.ESTATES)
    assert {e.name for e in estates if e.parent.name == "第三网格"} == {"揽江苑", "咏江苑"}
    buildings = Place.objects.filter(kind=PlaceKind.BUILDING, path__startswith=community.path + ".")
    assert buildings.count() == 8  # one per estate at this scale; 81 at full size
    for building in buildings:
        assert 2 <= building.children.filter(kind=PlaceKind.UNIT).count() <= 4
        assert building.latitude and building.longitude
    assert all(e.boundary and e.boundary["type"] == "Polygon" for e in estates)

    households = Household.objects.filter(place__path__startswith=community.path + ".")
    assert households.count() == round(10_496 * SCALE)
    assert set(households.values_list("place__kind", flat=True)) == {PlaceKind.UNIT}
    kinds = set(households.values_list("residence_kind", flat=True))
    assert {ResidenceKind.OWNER, ResidenceKind.RENTED, ResidenceKind.VACANT} <= kinds
    residents = Resident.objects.filter(place__path__startswith=community.path + ".").count()
    # ~20,000 people in 10,496 households at full size: about two per household (fewer when
    # small, where the ground-floor shops weigh more).
    assert 1.4 * households.count() <= residents <= 2.3 * households.count()

    assert "演示社区已生成" in output
    assert f"统一密码：{builder.DEMO_PASSWORD}" in output
    assert re.search(r"用时 \d+\.\d 秒", output)
    for login in ("admin", "grid1", "resident", "chengguan"):
        assert re.search(rf"^\s+{login}\s", output, re.M)


@pytest.mark.django_db
def test_personal_data_is_valid_and_stored_as_the_services_store_it():
    run_demo()
    card_numbers = set()
    home_of = {
        m.resident_id: m
        for m in Membership.objects.filter(moved_out__isnull=True).select_related("household")
    }
    for resident in Resident.objects.select_related("place"):
        number = crypto.decrypt(resident.id_number_enc)
        info = parse_id_number(number)  # raises on a wrong check digit or impossible date
        assert (info.birth_date, info.gender) == (resident.birth_date, resident.gender)
        assert resident.id_number_hash == id_hash(number)
        assert resident.id_number_last4 == number[-4:]
        if resident.phone_enc:
            phone = crypto.decrypt(resident.phone_enc)
            assert normalize_phone(phone) == phone and len(phone) == 11
            assert resident.phone_hash == phone_hash(phone)
            assert resident.phone_last4 == phone[-4:]
        assert resident.name_pinyin == pinyin_full(resident.name)
        assert resident.name_initials == pinyin_initials(resident.name)
        assert re.fullmatch(r"\d{12}", resident.card_no)
        card_numbers.add(resident.card_no)
        assert resident.place.kind == PlaceKind.UNIT
        current = home_of.get(resident.pk)
        if current is not None:
            assert current.household.place_id == resident.place_id
    assert len(card_numbers) == Resident.objects.count()
    households = list(Household.objects.select_related("place"))
    for household in households[::7]:
        assert household.address == build_address(household.place, household.room)
    assert all(re.fullmatch(r"\d{1,2}0[12]", household.room) for household in households)


@pytest.mark.django_db
def test_families_have_heads_and_relations_that_fit_their_ages():
    run_demo()
    today = timezone.localdate()
    by_household = current_members()
    for household in Household.objects.filter(residence_kind=ResidenceKind.OWNER):
        members = by_household[household.pk]
        heads = [m for m in members if m.relation == Relation.HEAD]
        grandparents_only = {m.relation for m in members} <= {
            Relation.HEAD,
            Relation.SPOUSE,
            Relation.GRANDCHILD,
        }
        assert len(heads) == 1 or grandparents_only
        head = heads[0].resident
        for member in members:
            if member.relation == Relation.CHILD:
                assert member.resident.birth_date > head.birth_date + dt.timedelta(days=365 * 18)
            if member.relation == Relation.SPOUSE:
                assert member.resident.gender != head.gender
    for household in Household.objects.filter(residence_kind__in=[ResidenceKind.VACANT, ResidenceKind.SHOP]):
        assert household.pk not in by_household
    for household in Household.objects.filter(residence_kind=ResidenceKind.RENTED):
        members = by_household[household.pk]
        assert members and all(m.relation == Relation.TENANT for m in members)
    adults = [r for r in Resident.objects.all() if r.age(today) >= 18]
    party = [r for r in adults if r.political_status == PoliticalStatus.PARTY_MEMBER]
    assert 0.02 * len(adults) <= len(party) <= 0.15 * len(adults)


@pytest.mark.django_db
def test_tags_follow_age_gender_and_household():
    run_demo(scale=0.05)
    today = timezone.localdate()
    residents = {r.pk: r for r in Resident.objects.all()}
    living = {m.resident_id for m in Membership.objects.filter(moved_out__isnull=True)}
    women = {
        pk
        for pk, r in residents.items()
        if pk in living and r.gender == Gender.FEMALE and 15 <= r.age(today) <= 49
    }
    assert tagged("childbearing-age-woman") == women
    assert tagged("oldest-old") == {pk for pk, r in residents.items() if pk in living and r.age(today) >= 80}
    alone = tagged("living-alone-elderly")
    assert alone
    by_household = current_members()
    household_of = {m.resident_id: m for members in by_household.values() for m in members}
    for pk in alone:
        assert residents[pk].age(today) >= 60
        assert len(by_household[household_of[pk].household_id]) == 1
    assert all(residents[pk].age(today) >= 60 for pk in tagged("empty-nest-elderly"))
    for pk in tagged("left-behind-child"):
        assert residents[pk].age(today) < 18
        assert household_of[pk].relation == Relation.GRANDCHILD
    for pk in tagged("pregnant"):
        assert residents[pk].gender == Gender.FEMALE and 20 <= residents[pk].age(today) <= 45
    for code in ("empty-nest-elderly", "disabled", "community-correction", "pregnant"):
        assert tagged(code), code
    assert len(tagged("community-correction")) < 0.01 * len(residents)


@pytest.mark.django_db
def test_floating_population_with_expiring_and_deregistered_registrations():
    run_demo()
    total = Resident.objects.count()
    active = FloatingRegistration.objects.filter(deregistered_on__isnull=True)
    assert 0.04 * total <= active.count() <= 0.12 * total
    for registration in active.select_related("resident", "household"):
        assert registration.resident.residence_status == ResidenceStatus.FLOATING
        assert registration.origin and registration.place_id == registration.resident.place_id
        assert registration.landlord_id == registration.household.landlord_id
        assert Membership.objects.filter(
            resident=registration.resident, household=registration.household, moved_out__isnull=True
        ).exists()
        # The 18-digit number's region is the recorded origin.
        number = crypto.decrypt(registration.resident.id_number_enc)
        assert builder.REGION_NAMES[number[:6]] == registration.origin
    gone = FloatingRegistration.objects.filter(deregistered_on__isnull=False)
    assert gone.exists()
    for registration in gone:
        membership = Membership.objects.get(resident=registration.resident)
        assert membership.moved_out == registration.deregistered_on
        assert registration.deregistration_reason
    admin = User.objects.get(username="admin")
    soon = timezone.localdate() + dt.timedelta(days=30)
    expiring = list(floating_expiring(admin))
    assert expiring and all(r.expected_until <= soon for r in expiring)
    assert len(expiring) < active.count() / 2


@pytest.mark.django_db
def test_party_overlay_is_1_3_8_and_partners_are_bound_to_places():
    run_demo()
    party = Organisation.objects.filter(kind=OrgKind.PARTY)
    general = party.get(party_level=PartyLevel.GENERAL_BRANCH)
    assert general.place.name == "金泰路社区" and general.parent is None
    branches = party.filter(party_level=PartyLevel.BRANCH)
    assert branches.count() == 3 and all(b.parent_id == general.pk for b in branches)
    assert {b.place.kind for b in branches} == {PlaceKind.GRID}
    groups = party.filter(party_level=PartyLevel.GROUP).select_related("place", "parent__place")
    assert groups.count() == 8
    for group in groups:
        assert group.place.kind == PlaceKind.ESTATE
        assert group.place.parent_id == group.parent.place_id  # the group's estate lies in its branch's grid
        members = OrgMember.objects.filter(organisation=group).select_related("resident__place")
        for member in members:
            assert member.resident.political_status in (
                PoliticalStatus.PARTY_MEMBER,
                PoliticalStatus.PROBATIONARY,
            )
            assert member.resident.place.path.startswith(group.place.path + ".")
    assert OrgMember.objects.filter(organisation__in=groups).count() > 0

    departments = Organisation.objects.filter(kind=OrgKind.DEPARTMENT)
    assert {d.place.kind for d in departments} == {PlaceKind.STREET}
    names = " ".join(d.name for d in departments)
    for word in ("城管", "派出所", "供水", "消防", "市场监督"):
        assert word in names
    for company in Organisation.objects.filter(kind=OrgKind.PROPERTY):
        served = list(company.places.all())
        assert served and {p.kind for p in served} == {PlaceKind.ESTATE}
    assert Organisation.objects.filter(kind=OrgKind.MERCHANT).count() >= 5
    assert Organisation.objects.filter(kind=OrgKind.UNIT).exists()
    # The registry's volunteer teams, one per grid (生活快车's teams and sub-teams come on top).
    grid_teams = Organisation.objects.filter(kind=OrgKind.TEAM, name__in=[name for name, _ in builder.TEAMS])
    assert grid_teams.count() == len(builder.TEAMS)
    for team in grid_teams:
        assert team.place.kind == PlaceKind.GRID
        assert OrgMember.objects.filter(organisation=team).count() >= 5


@pytest.mark.django_db
def test_every_role_has_a_demo_login_inside_its_scope(client):
    output = run_demo()
    for role in Role.objects.all():
        assignment = RoleAssignment.objects.filter(role=role).select_related("user").first()
        assert assignment is not None, f"no demo user for {role.name}"
        assert assignment.user.username in output
        assert client.login(username=assignment.user.username, password=builder.DEMO_PASSWORD)
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser

    resident_user = User.objects.get(username="resident")
    assert resident_user.resident is not None
    assignment = RoleAssignment.objects.get(user=resident_user)
    assert assignment.role.code == "resident" and assignment.place_id == resident_user.resident.place_id
    # The resident can also log in with their phone number.
    phone = crypto.decrypt(resident_user.resident.phone_enc)
    assert client.login(username=phone, password=builder.DEMO_PASSWORD)

    grid1 = User.objects.get(username="grid1")
    grid_path = RoleAssignment.objects.get(user=grid1).place.path
    visible = residents_for(grid1)
    assert visible.exists()
    assert not visible.exclude(place__path__startswith=grid_path + ".").exists()
    outsider = Resident.objects.exclude(place__path__startswith=grid_path + ".").first()
    number = crypto.decrypt(outsider.id_number_enc)
    assert not resident_search(grid1, q=number).exists()
    assert list(resident_search(admin, q=number)) == [outsider]
    assert User.objects.get(username="chengguan").organisation.kind == OrgKind.DEPARTMENT
    assert User.objects.get(username="wuye").organisation.kind == OrgKind.PROPERTY


@pytest.mark.django_db
def test_second_run_changes_nothing_and_says_so():
    run_demo(cases=True)

    def counts() -> tuple[int, ...]:
        return (
            Resident.objects.count(),
            Household.objects.count(),
            AuditEntry.objects.count(),
            User.objects.count(),
            Case.objects.count(),
            CaseEvent.objects.count(),
            Notification.objects.count(),
            RoutingRule.objects.count(),
        )

    before = counts()
    assert before[4] > 0
    output = run_demo(cases=True)
    assert "演示社区已存在，未做任何修改" in output
    assert "grid1" in output
    assert re.search(rf"事件：{before[4]}（", output)
    assert counts() == before
    loads = AuditEntry.objects.filter(action=AuditAction.IMPORT, target_label__startswith="演示社区")
    assert loads.count() == 1
    assert loads.get().changes["households"] == [None, Household.objects.count()]


@pytest.mark.django_db
def test_reset_rebuilds_the_demo():
    run_demo(cases=True)
    before = set(Resident.objects.values_list("pk", flat=True))
    households = Household.objects.count()
    assert Case.objects.exists() and CaseCall.objects.exists()
    old_cases = set(Case.objects.values_list("pk", flat=True))
    output = run_demo("--reset")
    assert "已删除原演示社区" in output and "演示社区已生成" in output
    assert Household.objects.count() == households
    # The cases went with their places (their calls, rules and API keys with them).
    # (The rebuild has no case history, but the later apps' demos raise a few cases of their own.)
    assert not old_cases & set(Case.objects.values_list("pk", flat=True)) and not CaseCall.objects.exists()
    assert not RoutingRule.objects.filter(organisation__isnull=False).exists()
    assert not before & set(Resident.objects.values_list("pk", flat=True))
    assert Place.objects.filter(kind=PlaceKind.COMMUNITY, name="金泰路社区").count() == 1
    assert User.objects.filter(username="grid1").count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, target_label__startswith="演示社区").exists()


@pytest.mark.django_db
def test_bad_scale_is_refused_in_chinese():
    with pytest.raises(CommandError, match="--scale 须大于 0"):
        call_command("demo", "--scale", "0", stdout=io.StringIO())
    assert not Place.objects.exists()


@pytest.mark.django_db
def test_sixty_days_of_cases_in_every_state_and_in_every_logins_queue():
    output = run_demo(cases=True)
    assert re.search(r"事件：\d+（待受理 \d+", output)
    assert re.search(r"^\s+grid1\s.*受理处置第一网格事件", output, re.M)
    cases = Case.objects.all()
    assert cases.count() >= 40
    states = set(cases.values_list("state", flat=True))
    assert states == set(State.values)
    assert len(set(cases.values_list("channel", flat=True))) >= 6
    now = timezone.now()
    oldest = min(cases.values_list("created_at", flat=True))
    assert dt.timedelta(days=45) < now - oldest <= dt.timedelta(days=60)

    # Every case's timeline starts with its report and agrees with the case's own times.
    events: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.order_by("at", "id"):
        events.setdefault(event.case_id, []).append(event)
    for case in cases:
        timeline = events[case.pk]
        assert timeline[0].kind == EventKind.SUBMITTED and timeline[0].at == case.created_at
        assert all(event.at <= now for event in timeline)
        assert [e.at for e in timeline] == sorted(e.at for e in timeline)
        if case.accepted_at:
            assert case.accepted_at in [e.at for e in timeline if e.kind == EventKind.ACCEPTED]
        if case.resolved_at and case.state != State.MERGED:
            assert case.resolved_at == max(e.at for e in timeline if e.kind == EventKind.RESOLVED)
        if case.state == State.CLOSED:
            assert case.rating or any(e.kind == EventKind.CLOSED for e in timeline)
        if case.state == State.REJECTED:
            assert case.reject_reason
        if case.state == State.MERGED:
            assert case.merged_into_id

    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    for kind in (EventKind.AUTO_ESCALATED, EventKind.WHISTLE, EventKind.CALL_REPORT, EventKind.SUPERVISED):
        assert kind in kinds, kind
    assert cases.filter(rating__gte=4).exists()
    assert CaseEvent.objects.filter(kind=EventKind.REOPENED).exists()
    # Lifts go to the estate's property company, street vending to 城管, theft to the police.
    lift = cases.filter(subcategory__code="lift").select_related("handler_org", "place").first()
    assert lift.handler_org.kind == OrgKind.PROPERTY
    assert lift.handler_org.places.filter(path__in=lift.place.ancestor_paths()).exists()
    vending = cases.filter(subcategory__code="street-vending").select_related("handler_org").first()
    assert vending.level == Level.DEPARTMENT and "城管" in vending.handler_org.name
    theft = cases.filter(subcategory__code="theft").select_related("handler_org").first()
    assert "派出所" in theft.handler_org.name

    # Every demo login finds cases waiting (one build for both halves: it is the slow part).
    users = {user.username: user for user in User.objects.all()}

    grid1 = set(case_selectors.my_queue(users["grid1"]).values_list("state", flat=True))
    assert State.NEW in grid1 and {State.ACCEPTED, State.IN_PROGRESS} <= grid1

    secretary = users["secretary"]
    dispatch = case_selectors.dispatch_queue(secretary)
    assert dispatch.exists() and dispatch.filter(needs_dispatch=True).exists()
    assert case_selectors.overdue(secretary).exists()
    assert case_selectors.overdue(secretary).filter(supervised=True).exists()

    chengguan = users["chengguan"]
    queue = case_selectors.my_queue(chengguan)
    assert queue.filter(handler_org=chengguan.organisation, state=State.NEW).exists()
    calls = case_selectors.pending_calls(chengguan)
    assert calls.exists()
    assert "call_report" in case_selectors.allowed_actions(chengguan, calls.first().case)
    assert CaseCall.objects.filter(case=calls.first().case, reported_at__isnull=False).exists()

    wuye = users["wuye"]
    assert case_selectors.my_queue(wuye).filter(subcategory__code="lift").exists()

    resident = users["resident"]
    # Her own four reports from the phone; the generator may also have named her as the reporter of
    # a case taken on another channel (drawn by the seed), which is hers to follow as well.
    mine = case_selectors.my_reports(resident).filter(channel=Channel.RESIDENT_WEB)
    assert sorted(mine.values_list("state", flat=True)) == sorted(
        [State.NEW, State.IN_PROGRESS, State.RESOLVED, State.CLOSED]
    )
    waiting = mine.get(state=State.RESOLVED)
    assert "rate" in case_selectors.allowed_actions(resident, waiting)
    # Out of scope stays out: grid1 never sees a case of another grid in its queue.
    grid_path = RoleAssignment.objects.get(user=users["grid1"]).place.path
    assert not case_selectors.my_queue(users["grid1"]).exclude(level_path__startswith=grid_path).exists()
