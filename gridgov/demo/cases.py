"""The demo's cases: 60 days of reports in 金泰路社区, driven through the real case services.

Every case is submitted, accepted, escalated, resolved and rated by the services the pages
use, so each one has its full timeline, audit rows and notifications. The services stamp a
transition with the current time and most take no `now=`; to give the demo sixty days of
history whose timelines agree with the cases' own timestamps, the build runs a small
discrete-event simulation: every case's life is a generator that yields the moment of its
next step, the steps run in time order, and the services' clock (`gridgov.core.clock`) stands
at the simulated moment while they run. The SLA sweep and the unrated auto-close run in the same
simulation (hourly and daily), so overdue cases are escalated by the real sweep.

Fields stamped by Django itself (`auto_now_add`) keep the real time: the audit trail is
append-only and honestly says when the demo wrote it. Notifications are the exception: the
inbox sorts and dates by `created_at`, so after each step the rows it made are given the
step's moment (one indexed UPDATE), or every demo inbox would say "just now".

Nothing is left in the future: a step due after the real "now" is simply not taken, which is
what leaves the recent cases open.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import random
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM, below_q
from gridgov.cases import policy
from gridgov.cases import services as cs
from gridgov.cases.models import OPEN_STATES, ApiKey, Case, Category, Channel, Level, Priority, SlaUnit, State
from gridgov.cases.tasks import close_after_days
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.demo import case_texts as words
from gridgov.notifications.models import Notification
from gridgov.people.models import Gender, Relation, Resident
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.demo.builder import Person, _Builder

logger = logging.getLogger(__name__)

DAYS = 60
FULL_CASES = 300  # the random part at scale 1; the scripted cases come on top
MIN_CASES = 20
MAX_CLASSIFY = 15  # staff confirmations feed triage; a few show it without queuing a retraining

# Food safety sits with street vending under 市容秩序 (market order), where an office looks for it,
# and goes to 市场监管所; under 治安消防 it drew fire-safety reports to 市场监管 (issue 9).
SUBCATEGORIES: list[tuple[str, str, str]] = [  # code, name, parent code
    ("lift", "电梯故障", "facility"),
    ("theft", "盗窃", "safety"),
    ("street-vending", "占道经营", "order"),
    ("food-safety", "食品安全", "order"),
]
NORMAL_SLA = (1, 5, SlaUnit.WORKDAYS)
URGENT_SLA = (1, 24, SlaUnit.HOURS)
# (accept, resolve, unit) per category where it differs from 1/5 working days and 1 h/24 h.
SLA_OVERRIDES: dict[tuple[str, str], tuple[int, int, str]] = {
    ("inquiry", Priority.NORMAL): (1, 3, SlaUnit.WORKDAYS),
    ("suggestion", Priority.NORMAL): (2, 10, SlaUnit.WORKDAYS),
    ("dispute", Priority.NORMAL): (1, 10, SlaUnit.WORKDAYS),  # mediation takes meetings
    ("order", Priority.NORMAL): (1, 3, SlaUnit.WORKDAYS),
    ("safety", Priority.URGENT): (1, 12, SlaUnit.HOURS),
    ("lift", Priority.NORMAL): (1, 3, SlaUnit.WORKDAYS),
    ("lift", Priority.URGENT): (1, 8, SlaUnit.HOURS),  # someone may be stuck inside
    ("theft", Priority.NORMAL): (1, 10, SlaUnit.WORKDAYS),
    ("theft", Priority.URGENT): (1, 12, SlaUnit.HOURS),
    ("street-vending", Priority.NORMAL): (1, 3, SlaUnit.WORKDAYS),
}

CATEGORY_WEIGHTS: list[tuple[str, int]] = [
    ("sanitation", 17),
    ("facility", 13),
    ("lift", 7),
    ("property", 9),
    ("order", 6),
    ("street-vending", 6),
    ("safety", 6),
    ("theft", 3),
    ("food-safety", 3),
    ("dispute", 8),
    ("welfare", 6),
    ("inquiry", 8),
    ("suggestion", 5),
    ("other", 3),
]
CHANNEL_WEIGHTS: list[tuple[str, int]] = [
    (Channel.RESIDENT_WEB, 26),
    (Channel.QR_POSTER, 14),
    (Channel.HOTLINE, 12),
    (Channel.WALK_IN, 9),
    (Channel.GROUP_CHAT, 8),
    (Channel.PATROL, 17),
    (Channel.PROPERTY_BULK, 5),
    (Channel.EXTERNAL_API, 6),
    (Channel.OPEN311, 3),
]
FATE_WEIGHTS: list[tuple[str, int]] = [
    ("done", 66),
    ("unsatisfied", 4),
    ("reject", 5),
    ("late_accept", 7),
    ("late_resolve", 3),
    ("escalate", 3),
    ("return", 2),
    ("whistle", 2),
    ("duplicate", 4),
]
# Reported at the estate (its gate, the street outside) rather than at a building.
ESTATE_CODES = {"order", "street-vending", "food-safety"}
PROPERTY_BULK_CODES = {"sanitation", "facility", "lift", "property"}
WHISTLE_TEXTS = [
    "{e}北门外夜市越摆越大，油烟熏得楼上没法开窗，消防通道也被桌椅堵死了",
    "{e}商业街几家餐馆把灶台搬到店外，油烟大、污水直排，还占了消防通道",
    "{b}楼下的废品收购站堆得像小山，老鼠多，还有火灾隐患，说了几次都没人管",
]

LOAD_FIELDS = (
    "state",
    "level",
    "level_place",
    "level_path",
    "handler_user",
    "handler_org",
    "needs_dispatch",
    "due_accept_at",
    "due_resolve_at",
    "category",
    "subcategory",
    "category_confirmed",
    "reopen_count",
    "excluded_reviewers",
    "reporter_user",
    "reporter_resident",
    "reporter_phone_last4",
)
# The sweep runs every five minutes in production; hourly is close enough for the demo's
# timelines (and it only runs when a cheap look finds an overdue case).
SWEEP_EVERY = dt.timedelta(hours=1)
OVERDUE_PROBE = (
    f"SELECT 1 FROM {Case._meta.db_table} WHERE sla_flagged_at IS NULL AND ("
    "(state = %s AND due_accept_at < %s) OR (state IN (%s, %s) AND due_resolve_at < %s)) LIMIT 1"
)
# Notification.created_at is auto_now_add; the rows a step wrote (ids above the last seen) get
# the step's moment. Raw SQL for the same reason as the probe: it runs once per step.
RESTAMP_NOTIFICATIONS = f"UPDATE {Notification._meta.db_table} SET created_at = %s WHERE id > %s"
LAST_NOTIFICATION = f"SELECT MAX(id) FROM {Notification._meta.db_table}"
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
Life = Generator[dt.datetime, None, Any]


@dataclass
class Plan:
    created: dt.datetime
    code: str
    priority: str
    channel: str
    place: Place
    grid: int
    text: str
    address: str = ""
    reporter: Person | None = None
    by: User | None = None
    fate: str = "done"
    start: bool = True
    note: bool = False
    supervise: bool = False
    classify: bool = False
    rate: bool = True
    coords: tuple[float, float] | None = None
    client_key: str = ""
    results: str = ""  # which answers to pick from, when not the category's
    pk: int | None = None


def configure(*, orgs: dict[str, Any], street: Place, estates: list[Place]) -> dict[str, Category]:
    """Subcategories, SLAs and routing rules for the demo, through the configuration services."""
    categories = {c.code: c for c in Category.objects.all()}
    for code, name, parent in SUBCATEGORIES:
        if code not in categories:
            categories[code] = cs.category_create(by=SYSTEM, name=name, code=code, parent=categories[parent])
    for code, category in categories.items():
        if category.parent_id is None and code not in dict(CATEGORY_WEIGHTS):
            continue  # an administrator's own category: leave its SLA alone
        for priority, default in ((Priority.NORMAL, NORMAL_SLA), (Priority.URGENT, URGENT_SLA)):
            accept, resolve, unit = SLA_OVERRIDES.get((code, priority), default)
            cs.sla_set(
                by=SYSTEM,
                category=category,
                priority=priority,
                accept_within=accept,
                resolve_within=resolve,
                unit=unit,
            )
    rules = [
        (categories["order"], street, Level.DEPARTMENT, orgs["chengguan"], "市容秩序由城管执法中队处置"),
        (
            categories["street-vending"],
            street,
            Level.DEPARTMENT,
            orgs["chengguan"],
            "占道经营由城管执法中队处置",
        ),
        (categories["theft"], street, Level.DEPARTMENT, orgs["police"], "盗窃由派出所处置"),
        (categories["food-safety"], street, Level.DEPARTMENT, orgs["market"], "食品安全由市场监管所处置"),
    ]
    for estate in estates:
        company = orgs["company_of"][estate.name]
        rules.append(
            (categories["lift"], estate, Level.GRID, company, f"{estate.name}电梯由{company.name}维修")
        )
        rules.append(
            (
                categories["property"],
                estate,
                Level.GRID,
                company,
                f"{estate.name}物业服务由{company.name}处理",
            )
        )
    for category, place, level, organisation, note in rules:
        if not category.routing_rules.filter(place=place, level=level).exists():
            cs.routing_rule_create(
                by=SYSTEM, category=category, place=place, level=level, organisation=organisation, note=note
            )
    return categories


class _Sim:
    def __init__(self, builder: _Builder, tree: dict[str, Any], *, scale: float, seed: int) -> None:
        self.rng = random.Random(f"{seed}-cases")
        self.tree = tree
        self.end = clock.now().replace(microsecond=0)
        self.start = self.end - dt.timedelta(days=DAYS)
        self.replay = clock.Replay(self.start)
        self.heap: list[tuple[dt.datetime, int, Life]] = []
        self.seq = itertools.count()
        self.failures: Counter[str] = Counter()
        self.classified = 0
        self.n_bulk = max(MIN_CASES, round(FULL_CASES * min(scale, 1.0)))

        users: dict[str, User] = builder.users
        self.users = users
        self.user_by_pk = {user.pk: user for user in users.values()}
        orgs = builder.case_orgs
        self.orgs = orgs
        grids: list[Place] = tree["grids"]
        self.grid_users = {
            grids[0].path: [users["grid1"], users["grid1"], users["gridhead1"]],
            grids[1].path: [users["grid2"], users["grid2"], users["steward"]],
            grids[2].path: [users["grid3"]],
        }
        self.grid_staff = [self.grid_users[g.path] for g in grids]
        self.org_users: dict[int, list[User]] = {}
        for username, key in (
            ("chengguan", "chengguan"),
            ("police", "police"),
            ("market", "market"),
            ("wuye", "company0"),
            ("wuye2", "company1"),
            ("wuye3", "company2"),
        ):
            if username in users:
                self.org_users.setdefault(orgs[key].pk, []).append(users[username])
        self.company_user = {
            name: self.org_users.get(company.pk, [None])[0] for name, company in orgs["company_of"].items()
        }
        self.estate_of = tree["estate_by_id"]
        self.estate_grid: dict[str, int] = tree["estate_grid"]

        # Adults with a phone, by building: the people who report.
        self.people = builder.people
        self.by_building: dict[int, list[Person]] = {}
        for person in builder.people:
            if person.moved_out is None and person.phone and person.relation != Relation.CHILD:
                self.by_building.setdefault(builder.homes[person.household].building.pk, []).append(person)
        self.homes = builder.homes
        self.units_of: dict[int, list[Place]] = tree["units_of"]
        self.buildings = [b for b in tree["buildings"] if b.pk in self.by_building]

        self.hotline_key = (
            ApiKey.objects.filter(name="12345政务服务便民热线").first()
            or (
                cs.apikey_create(
                    by=SYSTEM, name="12345政务服务便民热线", rate_per_minute=120, place=tree["community"]
                )[0]
            )
        )
        self.open311_key = (
            ApiKey.objects.filter(name="Open311演示客户端").first()
            or (
                cs.apikey_create(
                    by=SYSTEM, name="Open311演示客户端", rate_per_minute=60, place=tree["community"]
                )[0]
            )
        )
        self.residents: dict[int, Resident] = {}
        self.decks: dict[tuple[str, str], list[str]] = {}
        self.category_codes: dict[int, str] = dict(Category.objects.values_list("pk", "code"))

    # -- time -------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self.replay.moment

    def after(self, lo_hours: float, hi_hours: float, *, daytime: bool = True) -> dt.datetime:
        moment = self.now + dt.timedelta(hours=self.rng.uniform(lo_hours, hi_hours))
        return self.daytime(moment) if daytime else moment

    def within(
        self, deadline: dt.datetime | None, lo: float, hi: float, *, urgent: bool = False
    ) -> dt.datetime:
        """A moment between now and `deadline` (a fraction lo–hi of the time left), in office hours
        if that still meets the deadline; soon when the deadline has passed already."""
        if deadline is None or deadline <= self.now + 10 * MINUTE:
            return self.now + dt.timedelta(minutes=self.rng.uniform(10, 90))
        moment = self.now + (deadline - self.now) * self.rng.uniform(lo, hi)
        if urgent:
            return moment
        shifted = self.daytime(moment)
        return shifted if shifted < deadline - 5 * MINUTE else moment

    def daytime(self, moment: dt.datetime) -> dt.datetime:
        local = timezone.localtime(moment)
        if 8 <= local.hour < 20:
            return moment
        day = local.date() + dt.timedelta(days=1 if local.hour >= 20 else 0)
        opening = dt.datetime.combine(day, dt.time(8, 0), tzinfo=local.tzinfo)
        return opening + dt.timedelta(minutes=self.rng.uniform(0, 100))

    def back_to_daytime(self, moment: dt.datetime) -> dt.datetime:
        while not 8 <= timezone.localtime(moment).hour < 20:
            moment -= HOUR
        return moment

    # -- the engine -------------------------------------------------------------------

    def spawn(self, at: dt.datetime, life: Life) -> None:
        heapq.heappush(self.heap, (at, next(self.seq), life))

    def run(self) -> None:
        notified = self.last_notification()
        with clock.frozen_at(self.start) as replay:
            self.replay = replay
            while self.heap:
                at, _, life = heapq.heappop(self.heap)
                replay.move_to(at)
                try:
                    wake = next(life)
                except StopIteration:
                    continue
                except (ValidationError, Forbidden, NotFound, PermissionError) as exc:
                    # A step the services refused: this case simply stops where it is.
                    self.failures[type(exc).__name__] += 1
                    logger.debug("demo case step refused at %s: %r", at, exc, exc_info=True)
                    continue
                finally:
                    notified = self.restamp_notifications(notified, at)
                if wake is None or wake >= self.end:
                    life.close()
                    continue
                self.spawn(max(wake, at + dt.timedelta(seconds=1)), life)

    def last_notification(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(LAST_NOTIFICATION)
            return cursor.fetchone()[0] or 0

    def restamp_notifications(self, after_id: int, at: dt.datetime) -> int:
        """Date the notifications written since `after_id` at `at`; returns the new last id."""
        with connection.cursor() as cursor:
            cursor.execute(RESTAMP_NOTIFICATIONS, [connection.ops.adapt_datetimefield_value(at), after_id])
            if not cursor.rowcount:
                return after_id
        return self.last_notification()

    def periodic(self, job: Callable[[], object], every: dt.timedelta, first: dt.datetime) -> None:
        def life() -> Life:
            while True:
                job()
                yield self.now + every

        self.spawn(first, life())

    def sweep(self) -> None:
        if self.anything_overdue():
            cs.sla_sweep(now=self.now)

    def anything_overdue(self) -> bool:
        """A cheap look before the real sweep: 1,440 simulated hours of an empty sweep would cost
        more than all the cases (the ORM compiles its query each time; this is one indexed probe)."""
        when = connection.ops.adapt_datetimefield_value(self.now)
        with connection.cursor() as cursor:
            cursor.execute(OVERDUE_PROBE, [State.NEW, when, State.ACCEPTED, State.IN_PROGRESS, when])
            return cursor.fetchone() is not None

    # -- people -----------------------------------------------------------------------

    def load(self, pk: int | None) -> Case:
        """The case as it is now, with just what the policy checks read (the services lock and
        re-read it themselves; a full select with its joins costs more than the step)."""
        assert pk is not None  # the plan was submitted
        return Case.objects.only(*LOAD_FIELDS).get(pk=pk)

    @staticmethod
    def someone(user: User | None) -> User:
        """A step that needs a person: the scripted stories only take it where there is one."""
        if user is None:
            raise RuntimeError("demo: nobody to take this step")
        return user

    def holder(self, case: Case) -> User | None:
        return self.user_by_pk.get(case.handler_user_id) if case.handler_user_id else None

    def handler_for(self, case: Case) -> User | None:
        if case.handler_org_id:
            pool = self.org_users.get(case.handler_org_id, [])
        elif case.level == Level.GRID:
            pool = self.grid_users.get(case.level_path, [])
        elif case.level == Level.COMMUNITY:
            pool = [self.users["worker"], self.users["worker"], self.users["secretary"]]
        elif case.level == Level.STREET:
            pool = [self.users["street"]]
        elif case.level == Level.BUILDING:
            pool = [self.users["building_head"]]
        else:
            pool = []
        pool = [user for user in pool if policy.can_handle(user, case)]
        return self.rng.choice(pool) if pool else None

    def dispatcher_for(self, case: Case) -> User | None:
        pool = [self.users["secretary"], self.users["secretary"], self.users["worker"], self.users["street"]]
        pool = [user for user in pool if policy.can_dispatch(user, case)]
        return self.rng.choice(pool[:3]) if pool else None

    def draw(self, code: str, priority: str) -> str:
        """A report text for the category, dealt from a shuffled deck so they repeat only
        once every one has been used."""
        if priority == Priority.URGENT and not words.reports_for(code, priority):
            priority = Priority.NORMAL
        deck = self.decks.get((code, priority))
        if not deck:
            deck = self.decks[(code, priority)] = list(words.reports_for(code, priority))
            self.rng.shuffle(deck)
        return deck.pop()

    def resident(self, person: Person) -> Resident:
        pk = person.pk
        assert pk is not None  # the builder saved everyone
        if pk not in self.residents:
            self.residents[pk] = Resident.objects.select_related("place").get(pk=pk)
        return self.residents[pk]

    # -- steps --------------------------------------------------------------------------

    def submit(self, plan: Plan) -> Case:
        kwargs: dict[str, Any] = {
            "text": plan.text,
            "channel": plan.channel,
            "place": plan.place,
            "category": plan.code,
            "priority": plan.priority,
            "address_detail": plan.address,
            "client_key": plan.client_key,
        }
        if plan.coords:
            kwargs["latitude"], kwargs["longitude"] = plan.coords
        person = plan.reporter
        channel = plan.channel
        if channel in (Channel.RESIDENT_WEB, Channel.QR_POSTER):
            if plan.by is None and person is not None:
                kwargs["reporter_phone"] = person.phone
                if self.rng.random() < 0.5:
                    kwargs["reporter_name"] = person.name[0] + (
                        "先生" if person.gender == Gender.MALE else "女士"
                    )
        elif channel in (Channel.WALK_IN, Channel.HOTLINE, Channel.GROUP_CHAT) and person is not None:
            kwargs["reporter_resident"] = self.resident(person)
            kwargs["reporter_name"] = person.name
            kwargs["reporter_phone"] = person.phone
        elif channel in (Channel.EXTERNAL_API, Channel.OPEN311):
            kwargs["api_key"] = self.hotline_key if channel == Channel.EXTERNAL_API else self.open311_key
            if person is not None:
                kwargs["reporter_phone"] = person.phone
        # No account behind the report: the anonymous public (the service turns keys into SYSTEM).
        case = cs.case_submit(by=plan.by or AnonymousUser(), **kwargs)
        plan.pk = case.pk
        return case

    def work(self, plan: Plan, *, late_accept: bool = False, late_resolve: bool = False) -> Life:
        """Drive the case to 已办结, whoever holds it at each moment; returns whether it got there.

        Lateness is applied once: a late step waits past the deadline, the hourly sweep moves the
        case up a rung meanwhile, and the loop then carries on with whoever holds it there.
        """
        assert plan.pk is not None
        started = noted = supervised = False
        urgent = plan.priority == Priority.URGENT
        # The step we slept for and who was to take it: after waking the case is read again
        # and the step is taken only if nothing (the sweep, a merge) changed it meanwhile.
        waited: tuple[str, int | None] | None = None
        case: Case | None = None  # None: read it again (something may have moved it meanwhile)
        while True:
            if case is None:
                case = self.load(plan.pk)
            if case.state == State.NEW:
                if case.needs_dispatch:
                    return False
                if late_accept:
                    late_accept, waited = False, None
                    yield (case.due_accept_at or self.now) + dt.timedelta(hours=self.rng.uniform(1.5, 20))
                    case = None
                    continue
                if waited != ("accept", case.level_place_id):
                    waited = ("accept", case.level_place_id)
                    yield self.within(case.due_accept_at, 0.02, 0.45, urgent=urgent)
                    case = None
                    continue
                waited = None
                if plan.classify and not case.category_confirmed and self.classified < MAX_CLASSIFY:
                    dispatcher = self.dispatcher_for(case)
                    if dispatcher is not None:
                        case = cs.case_classify(
                            by=dispatcher, case=case, category=case.subcategory_id or case.category_id
                        )
                        self.classified += 1
                actor = self.handler_for(case)
                if actor is None:
                    return False
                case = cs.case_accept(by=actor, case=case)
                continue
            if case.state not in OPEN_STATES:
                return case.state == State.RESOLVED
            handler = self.holder(case)
            if handler is None:
                return False
            if case.state == State.ACCEPTED and plan.start and not started:
                if waited != ("start", handler.pk):
                    waited = ("start", handler.pk)
                    yield self.within(case.due_resolve_at, 0.02, 0.15, urgent=urgent)
                    case = None
                    continue
                started, waited = True, None
                case = cs.case_start(by=handler, case=case, note="")
                continue
            if plan.note and not noted:
                if waited != ("note", handler.pk):
                    waited = ("note", handler.pk)
                    yield self.within(case.due_resolve_at, 0.1, 0.3, urgent=urgent)
                    case = None
                    continue
                noted, waited = True, None
                cs.case_note(by=handler, case=case, note=self.rng.choice(words.PROGRESS_NOTES), public=True)
                continue
            if plan.supervise and not supervised:
                if waited != ("supervise", handler.pk):
                    waited = ("supervise", handler.pk)
                    yield self.within(case.due_resolve_at, 0.1, 0.4)
                    case = None
                    continue
                supervised, waited = True, None
                boss = next(
                    (
                        u
                        for u in (self.users["secretary"], self.users["street"])
                        if policy.can_supervise(u, case)
                    ),
                    None,
                )
                if boss is not None:
                    case = cs.case_supervise(by=boss, case=case, note=self.rng.choice(words.SUPERVISE_NOTES))
                continue
            if late_resolve:
                late_resolve, waited = False, None
                yield (case.due_resolve_at or self.now) + dt.timedelta(hours=self.rng.uniform(1, 16))
                case = None
                continue
            if waited != ("resolve", handler.pk):
                waited = ("resolve", handler.pk)
                yield self.within(case.due_resolve_at, 0.15, 0.75, urgent=urgent)
                case = None
                continue
            # The answer of the category the case is in now (intake's suggestion or a dispatcher
            # may have put it elsewhere than the plan), so its handler's words fit it.
            key = plan.results or self.category_codes.get(case.subcategory_id or case.category_id, plan.code)
            if key == "lift" and urgent:
                key = "lift-urgent"
            result = words.result_for(key, plan.text, self.rng.choice)
            cs.case_resolve(by=handler, case=case, result=result)
            return True

    def rate(self, plan: Plan, rating: int, comments: list[str]) -> bool:
        case = self.load(plan.pk)
        if case.state != State.RESOLVED:
            return False
        by = plan.by if plan.by is not None and policy.is_reporter(plan.by, case) else None
        if by is None and not case.reporter_phone_last4:
            return False
        cs.case_rate(
            by=by or AnonymousUser(),
            case=case,
            rating=rating,
            comment=self.rng.choice(comments),
            phone_last4="" if by else case.reporter_phone_last4,
        )
        return True

    def rating(self) -> tuple[int, list[str]]:
        roll = self.rng.random()
        if roll < 0.62:
            return 5, words.GOOD_COMMENTS
        if roll < 0.9:
            return 4, words.GOOD_COMMENTS
        return 3, words.FAIR_COMMENTS

    # -- lives ------------------------------------------------------------------------

    def life(self, plan: Plan) -> Life:
        self.submit(plan)
        fate = plan.fate
        if fate == "reject":
            yield self.after(0.5, 8)
            case = self.load(plan.pk)
            dispatcher = self.dispatcher_for(case)
            if case.state == State.NEW and dispatcher is not None:
                cs.case_reject(by=dispatcher, case=case, reason=self.rng.choice(words.REJECT_REASONS))
            return
        if fate == "return":
            yield from self.returned(plan)
        elif fate in ("escalate", "whistle"):
            yield from self.escalated(plan, whistle=fate == "whistle")
        resolved = yield from self.work(
            plan, late_accept=fate == "late_accept", late_resolve=fate == "late_resolve"
        )
        if not resolved or not plan.rate:
            return
        # A few residents rate late; an unhappy one rates before the case closes by itself
        # (seven days), or there would be nothing to reopen.
        slow_rater = self.rng.random() >= 0.85 and fate != "unsatisfied"
        yield self.after(1, 240 if slow_rater else 110, daytime=False)
        if fate == "unsatisfied":
            if not self.rate(plan, self.rng.choice([1, 2]), words.BAD_COMMENTS):
                return
            if (yield from self.work(plan)):
                yield self.after(2, 72, daytime=False)
                self.rate(plan, self.rng.choice([3, 4, 4]), words.AFTER_REOPEN_COMMENTS)
            return
        score, comments = self.rating()
        self.rate(plan, score, comments)

    def returned(self, plan: Plan) -> Life:
        """退回: the grid sends it back (the property company's business), the dispatcher re-routes it."""
        yield self.after(0.3, 4)
        case = self.load(plan.pk)
        actor = self.handler_for(case)
        if case.state != State.NEW or actor is None:
            return
        estate = plan.place if plan.place.kind == "estate" else self.estate_of.get(plan.place.parent_id)
        company = self.orgs["company_of"].get(estate.name) if estate is not None else None
        to_company = company is not None and bool(self.org_users.get(company.pk)) and self.rng.random() < 0.6
        reason = words.RETURN_REASONS[2] if to_company else words.RETURN_REASONS[1]
        cs.case_return(by=actor, case=case, reason=reason)
        yield self.after(0.3, 5)
        case = self.load(plan.pk)
        dispatcher = self.dispatcher_for(case)
        if dispatcher is None:
            return
        if to_company:
            cs.case_dispatch(by=dispatcher, case=case, handler_org=company, note="请物业公司处理并回复")
        else:
            cs.case_dispatch(by=dispatcher, case=case, level=Level.COMMUNITY, note="由社区协调处理")

    def escalated(self, plan: Plan, *, whistle: bool) -> Life:
        """上报 by the grid after a look, and for 吹哨 the community calls departments in."""
        yield self.within(self.load(plan.pk).due_accept_at, 0.05, 0.4)
        case = self.load(plan.pk)
        actor = self.handler_for(case)
        if case.state != State.NEW or actor is None:
            return
        cs.case_accept(by=actor, case=case)
        yield self.within(self.load(plan.pk).due_resolve_at, 0.05, 0.3)
        case = self.load(plan.pk)
        if case.state not in OPEN_STATES or case.handler_user_id != actor.pk:
            return  # the sweep got there first
        cs.case_escalate(by=actor, case=case, reason=self.rng.choice(words.ESCALATE_REASONS))
        if not whistle:
            return
        yield self.after(0.3, 3)
        case = self.load(plan.pk)
        dispatcher = self.dispatcher_for(case)
        if dispatcher is None:
            return
        called = [self.orgs["chengguan"], self.orgs["market"]]
        if self.rng.random() < 0.4:
            called.append(self.orgs["police"])
        calls = cs.case_whistle(
            by=dispatcher,
            case=case,
            organisations=called,
            deadline=self.now + dt.timedelta(hours=24),
            note=self.rng.choice(words.WHISTLE_NOTES),
        )
        for call in calls:
            self.spawn(self.after(1, 20), self.call_report(call.pk))

    def call_report(self, call_pk: int) -> Life:
        from gridgov.cases.models import CaseCall

        call = CaseCall.objects.select_related("organisation").get(pk=call_pk)
        reporter = self.org_users.get(call.organisation_id, [None])[0]
        if reporter is None:
            return
        key = next((k for k in words.CALL_REPORTS if k in call.organisation.name), "城管")
        cs.case_call_report(by=reporter, call=call, note=self.rng.choice(words.CALL_REPORTS[key]))
        yield from ()

    def duplicate(self, original: Plan, plan: Plan) -> Life:
        """A second report of the same thing, merged into the first by the dispatcher."""
        self.submit(plan)
        yield self.after(0.3, 4)
        case = self.load(plan.pk)
        into = self.load(original.pk) if original.pk else None
        dispatcher = self.dispatcher_for(case)
        if into is None or dispatcher is None or case.state != State.NEW or into.state not in OPEN_STATES:
            # The first report was finished already: handle this one on its own.
            yield from self.work(plan)
            return
        cs.case_merge(by=dispatcher, case=case, into=into, note="同一问题重复反映")

    # -- planning -----------------------------------------------------------------------

    def report_time(self, channel: str) -> dt.datetime:
        while True:
            day = self.start + dt.timedelta(days=self.rng.uniform(0, DAYS))
            local = timezone.localtime(day)
            office = channel in (Channel.WALK_IN, Channel.HOTLINE, Channel.PATROL, Channel.PROPERTY_BULK)
            if office and local.weekday() >= 5 and self.rng.random() < 0.85:
                continue
            hours = (8.5, 17.5) if office else (6.5, 22.5)
            moment = local.replace(hour=0, minute=0, second=0) + dt.timedelta(hours=self.rng.uniform(*hours))
            if self.start < moment < self.end - 5 * MINUTE:
                return moment

    def plan(
        self,
        *,
        code: str | None = None,
        channel: str | None = None,
        building: Place | None = None,
        created: dt.datetime | None = None,
        priority: str | None = None,
        fate: str = "done",
        text: str | None = None,
    ) -> Plan:
        rng = self.rng
        code = code or rng.choices(*zip(*CATEGORY_WEIGHTS, strict=True))[0]
        building = building or rng.choice(self.buildings)
        estate = self.estate_of[building.parent_id]
        grid = self.estate_grid[estate.name]
        if channel is None:
            channel = rng.choices(*zip(*CHANNEL_WEIGHTS, strict=True))[0]
            if channel == Channel.PROPERTY_BULK and (
                code not in PROPERTY_BULK_CODES or self.company_user.get(estate.name) is None
            ):
                channel = Channel.PATROL
        if priority is None:
            priority = Priority.NORMAL
            if words.reports_for(code, Priority.URGENT) and rng.random() < 0.12:
                priority = Priority.URGENT
        unit = rng.choice(self.units_of[building.pk])
        if text is None:
            text = self.draw(code, priority)
        text = words.localise(
            text,
            estate=estate.name,
            building=f"{estate.name}{building.name}",
            unit=unit.name,
            floor=rng.randint(2, 26),
        )
        place: Place = estate if code in ESTATE_CODES else building
        reporter = rng.choice(self.by_building[building.pk])
        by: User | None = None
        if channel in (Channel.WALK_IN, Channel.HOTLINE):
            by = rng.choice([self.users["worker"], self.users["worker"], self.users["secretary"]])
        elif channel in (Channel.GROUP_CHAT, Channel.PATROL):
            by = rng.choice(self.grid_staff[grid])
        elif channel == Channel.PROPERTY_BULK:
            by = self.company_user[estate.name]
        spot = rng.choice(words.SPOTS)
        address = f"{unit.name}{spot}" if spot in ("单元门口", "楼道") else spot
        coords = None
        if (
            building.latitude
            and building.longitude is not None
            and channel
            in (
                Channel.RESIDENT_WEB,
                Channel.QR_POSTER,
                Channel.OPEN311,
                Channel.PATROL,
            )
        ):
            coords = (
                round(building.latitude + rng.uniform(-0.0002, 0.0002), 6),
                round(building.longitude + rng.uniform(-0.0002, 0.0002), 6),
            )
        created = created or self.report_time(channel)
        client_key = ""
        if channel == Channel.EXTERNAL_API:
            client_key = f"12345-{timezone.localtime(created):%Y%m%d}-{rng.randrange(10**6):06d}"
        elif channel == Channel.OPEN311:
            client_key = f"o311-{rng.randrange(16**12):012x}"
        no_phone = channel in (Channel.PATROL, Channel.PROPERTY_BULK) or (
            channel in (Channel.EXTERNAL_API, Channel.OPEN311) and rng.random() < 0.3
        )
        return Plan(
            created=created,
            code=code,
            priority=priority,
            channel=channel,
            place=place,
            grid=grid,
            text=text,
            address=address,
            reporter=None if no_phone else reporter,
            by=by,
            fate=fate,
            start=rng.random() < 0.5,
            note=rng.random() < 0.25,
            supervise=rng.random() < 0.04,
            classify=channel in (Channel.RESIDENT_WEB, Channel.QR_POSTER) and rng.random() < 0.3,
            rate=rng.random() < 0.8,
            coords=coords,
            client_key=client_key,
        )

    def bulk(self) -> None:
        plans: list[Plan] = []
        for _ in range(self.n_bulk):
            fate = self.rng.choices(*zip(*FATE_WEIGHTS, strict=True))[0]
            if fate == "duplicate" and plans:
                original = self.rng.choice(plans)
                building = original.place if original.place.kind == "building" else None
                if building is None:
                    building = self.rng.choice(
                        [b for b in self.buildings if b.parent_id == original.place.pk] or self.buildings
                    )
                copy = self.plan(
                    code=original.code,
                    building=building,
                    priority=original.priority,
                    created=original.created + dt.timedelta(minutes=self.rng.uniform(20, 240)),
                    text=self.rng.choice(["", "", "同样的问题，", "我也反映一下，"]) + original.text,
                )
                if copy.created >= self.end:
                    continue
                self.spawn(copy.created, self.duplicate(original, copy))
                continue
            if fate == "whistle":
                plan = self.plan(code="safety", fate=fate, text=self.rng.choice(WHISTLE_TEXTS))
                plan.place = (
                    self.estate_of[plan.place.parent_id] if plan.place.kind == "building" else plan.place
                )
            elif fate in ("escalate", "return"):
                code = self.rng.choice(["sanitation", "facility", "dispute", "safety"])
                plan = self.plan(code=code, fate=fate, priority=Priority.NORMAL)
            else:
                plan = self.plan(fate=fate)
            plans.append(plan)
            self.spawn(plan.created, self.life(plan))

    def scripted(self) -> None:
        """Cases that make sure every demo login finds work in its queue whatever the scale."""
        u = self.users
        estates = {e.name: e for e in self.tree["estates"]}

        def building_in(estate: str, index: int = 0) -> Place:
            found = [b for b in self.buildings if b.parent_id == estates[estate].pk]
            return found[index % len(found)]

        def ago(hours: float) -> dt.datetime:
            return self.back_to_daytime(self.end - dt.timedelta(hours=hours))

        def stop_after(plan: Plan, *steps: str, handler: User | None = None) -> Life:
            """Submit, then take only the named steps (accept, start, note, supervise)."""
            self.submit(plan)
            case = self.load(plan.pk)
            if "accept" in steps:
                yield self.within(case.due_accept_at, 0.05, 0.2)
                case = self.load(plan.pk)
                cs.case_accept(by=self.someone(handler or self.handler_for(case)), case=case)
                case = self.load(plan.pk)
            if "start" in steps:
                yield self.after(0.3, 2)
                cs.case_start(by=self.someone(self.holder(case)), case=case, note="已到现场查看")
            if "note" in steps:
                yield self.after(0.5, 3)
                cs.case_note(
                    by=self.someone(self.holder(case)),
                    case=case,
                    note=self.rng.choice(words.PROGRESS_NOTES),
                    public=True,
                )
            if "supervise" in steps:
                yield max(self.end - 5 * HOUR, self.now + MINUTE)
                cs.case_supervise(by=u["secretary"], case=self.load(plan.pk), note=words.SUPERVISE_NOTES[0])

        # grid1: two to accept, one accepted, one in progress under 督办.
        for hours, estate, code, channel in (
            (2.5, "聚江苑", "sanitation", Channel.RESIDENT_WEB),
            (0.8, "鸿江苑", "facility", Channel.HOTLINE),
        ):
            plan = self.plan(code=code, channel=channel, building=building_in(estate, 1), created=ago(hours))
            self.spawn(plan.created, stop_after(plan))
        plan = self.plan(
            code="facility", channel=Channel.QR_POSTER, building=building_in("达江苑"), created=ago(26)
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan, "accept", handler=u["grid1"]))
        plan = self.plan(
            code="sanitation", channel=Channel.GROUP_CHAT, building=building_in("聚江苑", 2), created=ago(70)
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan, "accept", "start", "note", "supervise", handler=u["grid1"]))

        # secretary: a case the grid sent back, waiting to be dispatched again.
        plan = self.plan(
            code="dispute", channel=Channel.WALK_IN, building=building_in("星江苑"), created=ago(6)
        )
        # Normal, whatever triage makes of the drawn text: an urgent one would pass its 1-hour
        # accept deadline and be escalated by the sweep, out of the secretary's dispatch queue.
        plan.priority = Priority.NORMAL

        def returned(plan: Plan = plan) -> Life:
            self.submit(plan)
            # Not held to office hours: built in the evening, a daytime return would fall after now
            # and never happen, leaving the secretary nothing sent back.
            yield self.after(0.3, 1.5, daytime=False)
            case = self.load(plan.pk)
            cs.case_return(
                by=self.someone(self.handler_for(case)),
                case=case,
                reason="双方涉及房屋漏水赔偿，需社区调解员介入，请重新交办",
            )

        self.spawn(plan.created, returned())

        # secretary (overdue) and 城管 (queue): a street-vending case 城管 never took up, and a new one.
        plan = self.plan(
            code="street-vending",
            channel=Channel.HOTLINE,
            building=building_in("聚江苑"),
            created=ago(24 * 12),
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan))
        plan = self.plan(
            code="theft", channel=Channel.HOTLINE, building=building_in("望江苑"), created=ago(24 * 9)
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan))
        plan = self.plan(
            code="street-vending",
            channel=Channel.RESIDENT_WEB,
            building=building_in("鸿江苑"),
            created=ago(3),
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan))

        # 吹哨 still open: 市场监管所 has reported, 城管 has not yet.
        plan = self.plan(
            code="safety",
            channel=Channel.WALK_IN,
            building=building_in("咏江苑"),
            created=ago(30),
            priority=Priority.NORMAL,
            text=WHISTLE_TEXTS[0],
        )
        plan.place = estates["咏江苑"]

        def whistle(plan: Plan = plan) -> Life:
            self.submit(plan)
            yield self.after(0.5, 1.5)
            cs.case_accept(by=u["grid3"], case=self.load(plan.pk))
            yield self.after(1, 3)
            cs.case_escalate(by=u["grid3"], case=self.load(plan.pk), reason=words.ESCALATE_REASONS[0])
            yield self.after(0.5, 1)
            calls = cs.case_whistle(
                by=u["secretary"],
                case=self.load(plan.pk),
                organisations=[self.orgs["chengguan"], self.orgs["market"]],
                deadline=max(self.now + dt.timedelta(hours=48), self.end + dt.timedelta(hours=20)),
                note=words.WHISTLE_NOTES[0],
            )
            yield self.after(0.3, 1)
            cs.case_accept(by=u["worker"], case=self.load(plan.pk))
            yield self.after(2, 5)
            market_call = next(c for c in calls if c.organisation_id == self.orgs["market"].pk)
            cs.case_call_report(by=u["market"], call=market_call, note=words.CALL_REPORTS["市场"][0])

        self.spawn(plan.created, whistle())

        # The story's other turns, whatever the random part drew: escalated by the sweep,
        # reopened after an unhappy rating, rejected, merged, closed unrated, a finished 吹哨.
        for days, fate, estate in (
            (10, "late_accept", "赏江苑"),
            (20, "unsatisfied", "揽江苑"),
            (8, "reject", "鸿江苑"),
            (25, "whistle", "星江苑"),
        ):
            code = "safety" if fate == "whistle" else "sanitation"
            plan = self.plan(
                code=code,
                channel=Channel.RESIDENT_WEB,
                building=building_in(estate),
                created=ago(24 * days),
                priority=Priority.NORMAL,
                fate=fate,
                text=WHISTLE_TEXTS[1] if fate == "whistle" else None,
            )
            plan.rate = True
            self.spawn(plan.created, self.life(plan))
        plan = self.plan(
            code="facility", channel=Channel.PATROL, building=building_in("望江苑", 1), created=ago(24 * 16)
        )
        plan.priority, plan.rate = Priority.NORMAL, False
        self.spawn(plan.created, self.life(plan))
        original = self.plan(
            code="sanitation",
            channel=Channel.QR_POSTER,
            building=building_in("达江苑", 1),
            created=ago(24 * 6),
        )
        original.priority = Priority.NORMAL
        self.spawn(original.created, self.life(original))
        copy = self.plan(
            code="sanitation",
            channel=Channel.HOTLINE,
            building=building_in("达江苑", 1),
            created=original.created + HOUR,
            priority=Priority.NORMAL,
            text="我也反映一下，" + original.text,
        )
        self.spawn(copy.created, self.duplicate(original, copy))

        # 金泰物业: a new lift case and one it is repairing.
        plan = self.plan(
            code="lift", channel=Channel.QR_POSTER, building=building_in("聚江苑", 1), created=ago(0.7)
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan))
        plan = self.plan(
            code="lift", channel=Channel.HOTLINE, building=building_in("达江苑"), created=ago(20)
        )
        plan.priority = Priority.NORMAL
        self.spawn(plan.created, stop_after(plan, "accept", "start"))

        # 市场监管所: a food-safety case it closed, and a new one waiting in its queue.
        for age, estate, channel, fate in (
            (7.0, "鸿江苑", Channel.HOTLINE, "done"),
            (0.2, "星江苑", Channel.RESIDENT_WEB, ""),
        ):
            plan = self.plan(
                code="food-safety",
                channel=channel,
                building=building_in(estate),
                created=ago(24 * age),
                priority=Priority.NORMAL,
            )
            if fate:
                plan.rate = True
                self.spawn(plan.created, self.life(plan))
            else:
                self.spawn(plan.created, stop_after(plan))

        # The resident: closed and rated, resolved waiting for a rating, in progress, new.
        resident = u.get("resident")
        if resident is None or resident.resident_id is None:
            return
        person = next(p for p in self.people if p.pk == resident.resident_id)
        home = self.homes[person.household]
        for hours, code, text, steps in (
            (24 * 15, "sanitation", "我家单元门口的垃圾桶盖子坏了，夏天味道很大，麻烦换一个", "closed"),
            (24 * 3, "facility", "{b}门口的路灯坏了一个多星期了，晚上回家黑漆漆的", "resolved"),
            (24 * 2, "dispute", "楼上邻居每天晚上十一点以后还在拖动家具，影响休息", "in_progress"),
            (1.5, "suggestion", "建议在小区广场多装几张休息长椅，老人散步累了没地方坐", "new"),
        ):
            plan = self.plan(
                code=code, channel=Channel.RESIDENT_WEB, building=home.building, created=ago(hours), text=text
            )
            plan.priority, plan.by, plan.reporter, plan.place = Priority.NORMAL, resident, person, home.unit
            plan.start = plan.note = plan.supervise = plan.classify = False
            if steps == "closed":
                plan.fate = "done"
                self.spawn(plan.created, self.resident_closed(plan))
            elif steps == "resolved":
                self.spawn(plan.created, self.resident_resolved(plan))
            elif steps == "in_progress":
                self.spawn(plan.created, stop_after(plan, "accept", "start", "note"))
            else:
                self.spawn(plan.created, stop_after(plan))

    def resident_closed(self, plan: Plan) -> Life:
        if (yield from self.work_then(plan)):
            yield self.after(2, 20)
            self.rate(plan, 5, ["处理很及时，谢谢网格员！"])

    def resident_resolved(self, plan: Plan) -> Life:
        self.submit(plan)
        yield self.within(self.load(plan.pk).due_accept_at, 0.05, 0.3)
        cs.case_accept(by=self.someone(self.handler_for(self.load(plan.pk))), case=self.load(plan.pk))
        yield max(self.end - dt.timedelta(hours=self.rng.uniform(18, 30)), self.now + HOUR)
        case = self.load(plan.pk)
        cs.case_resolve(
            by=self.someone(self.holder(case)),
            case=case,
            result=words.result_for("facility", plan.text, self.rng.choice),
        )

    def work_then(self, plan: Plan) -> Life:
        self.submit(plan)
        return (yield from self.work(plan))


def build_cases(builder: _Builder, tree: dict[str, Any], *, scale: float, seed: int) -> dict[str, int]:
    """Configure the case rules and play 60 days of cases; returns the count per state."""
    configure(orgs=builder.case_orgs, street=tree["street"], estates=tree["estates"])
    sim = _Sim(builder, tree, scale=scale, seed=seed)
    sim.bulk()
    sim.scripted()
    sim.periodic(sim.sweep, SWEEP_EVERY, sim.start + 30 * MINUTE)
    first_close = timezone.localtime(sim.start).replace(hour=2, minute=0, second=0) + dt.timedelta(days=1)
    days = close_after_days()
    sim.periodic(lambda: cs.cases_close_unrated(days=days, now=sim.now), dt.timedelta(days=1), first_close)
    sim.run()
    if sim.failures:
        logger.info("demo cases: steps refused by the services: %s", dict(sim.failures))
    return case_counts(tree["community"])


def case_counts(community: Place) -> dict[str, int]:
    rows = (
        Case.objects.filter(below_q(community, "place_path"))
        .values_list("state")
        .order_by()
        .annotate(n=Count("id"))
    )
    return {state: n for state, n in rows}
