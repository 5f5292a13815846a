"""Test personas on a small two-grid community (healthchecks-style alice/bob/charlie).

- 网格员 alice works grid 1; bob works grid 2; carol is 社区书记 over both grids;
- dave is a 志愿网格员 in grid 1 (read-only, masked); erin is a resident of grid 2;
- frank is a 网格长 in grid 1 (may reveal ID numbers).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import pytest

from gridgov.accounts.scope import SYSTEM

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.people.models import Resident
    from gridgov.places.models import Household, Place

os.environ.setdefault("GRIDGOV_FIELD_KEY", "dGVzdC1maWVsZC1rZXktMzItYnl0ZXMtbG9uZy4uLi4=")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests clear the rate-limit cache outside any database access: a per-process cache here; the
    # shared one (database or Redis, gridgov.settings.CACHES) has its own tests (marker redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _fresh_frames():
    # Page frames are kept per process (core.frames) for a user's id, name and capabilities; a
    # test's rolled-back user may hand its id and name to the next test's, with other settings.
    yield
    from gridgov.core.frames import forget_frames

    forget_frames()


@pytest.fixture(autouse=True)
def _calendar_cache_follows_rollback():
    # The holiday calendar is cached per process; a test that entered days rolls them back, so
    # the next test must not count on them. Untouched, the cache is kept (no reload per test).
    from gridgov.core import calendar

    before = calendar.generation()
    yield
    if calendar.generation() != before:
        calendar.invalidate()


class World:
    """The shared test community. Attributes are created by the `world` fixture."""

    street: Place
    community: Place
    grid1: Place
    grid2: Place
    estate1: Place
    estate2: Place
    building1: Place
    building2: Place
    household1: Household
    household2: Household
    zhang: Resident
    li: Resident
    password: str
    alice: User
    bob: User
    carol: User
    dave: User
    frank: User
    erin: User
    admin: User


@pytest.fixture
def world(db) -> World:
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.people.models import Relation
    from gridgov.people.services import resident_create
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import household_create, place_create

    w = World()
    w.street = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="芙蓉北路街道")
    w.community = place_create(by=SYSTEM, parent=w.street, kind=PlaceKind.COMMUNITY, name="金泰路社区")
    w.grid1 = place_create(by=SYSTEM, parent=w.community, kind=PlaceKind.GRID, name="第一网格")
    w.grid2 = place_create(by=SYSTEM, parent=w.community, kind=PlaceKind.GRID, name="第二网格")
    w.estate1 = place_create(by=SYSTEM, parent=w.grid1, kind=PlaceKind.ESTATE, name="聚江苑")
    w.estate2 = place_create(by=SYSTEM, parent=w.grid2, kind=PlaceKind.ESTATE, name="鸿江苑")
    w.building1 = place_create(by=SYSTEM, parent=w.estate1, kind=PlaceKind.BUILDING, name="1栋")
    w.building2 = place_create(by=SYSTEM, parent=w.estate2, kind=PlaceKind.BUILDING, name="8栋")
    w.household1 = household_create(by=SYSTEM, place=w.building1, room="101")
    w.household2 = household_create(by=SYSTEM, place=w.building2, room="202")
    # Valid GB 11643 numbers (check digits computed), generated, not real people.
    w.zhang = resident_create(
        by=SYSTEM, name="张建国", household=w.household1, relation=Relation.HEAD,
        id_number="430102195001010018", phone="13812345678", moved_in=dt.date(2010, 5, 1),
    )
    w.li = resident_create(
        by=SYSTEM, name="李秀英", household=w.household2, relation=Relation.HEAD,
        id_number="430102198002020027", phone="13987654321",
    )
    roles = {role.code: role for role in Role.objects.all()}
    password = "Grid-pass-2026"
    w.password = password

    def staff(username: str, role: str, place, **extra):
        user = user_create(by=SYSTEM, username=username, password=password, display_name=username, validate=False, **extra)
        role_grant(by=SYSTEM, user=user, role=roles[role], place=place)
        return user

    w.alice = staff("alice", "grid_worker", w.grid1)
    w.bob = staff("bob", "grid_worker", w.grid2)
    w.carol = staff("carol", "community_secretary", w.community)
    w.dave = staff("dave", "volunteer_grid_worker", w.grid1)
    w.frank = staff("frank", "grid_head", w.grid1)
    w.erin = user_create(by=SYSTEM, username="erin", password=password, resident=w.li, validate=False)
    role_grant(by=SYSTEM, user=w.erin, role=roles["resident"], place=w.building2)
    w.admin = user_create(by=SYSTEM, username="admin", password=password, validate=False)
    w.admin.is_superuser = w.admin.is_staff = True
    w.admin.save()
    return w


# --- headless Chromium for the browser journeys (marker `browser`) ----------------------------

CHROMIUM_PATH = "/usr/bin/chromium"
SCREENSHOT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screenshots")


@pytest.fixture
def served_warm(db):
    """What `gridgov serve` does before its workers take requests: the triage engine loaded. Without
    it the live server's first report builds the built-in model on a fresh data folder (tens of
    seconds on a busy machine) and a journey's first check waits past its timeout."""
    from gridgov.triage import engine

    engine.warm_up()


@pytest.fixture
def chromium(monkeypatch, served_warm):
    """A headless Chromium driven by Playwright; skips, saying why, when either is missing."""
    if not os.path.exists(CHROMIUM_PATH):
        pytest.skip(f"浏览器测试跳过：找不到 {CHROMIUM_PATH}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("浏览器测试跳过：未安装 playwright（pip install -e '.[dev]'）")
    # Playwright's sync API keeps an event loop in this thread, so Django would refuse ORM calls
    # made while the browser runs. They are allowed, but prefer building data before this fixture
    # and checking through the page: a query from inside Playwright's greenlet opens a connection
    # that nobody closes (PostgreSQL then cannot drop the test database).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
