"""Taking over an anonymous report: every path that takes a tracking code and the last four
digits of the reporter's phone (the HTML lookup form and pages, the rating form, the tracking
API and its rating endpoint) counts failures per code in the database and locks the code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import State, TrackingGuard
from gridgov.cases.services import (
    TRACK_REFUSED,
    TrackingLocked,
    case_accept,
    case_resolve,
    case_track_proof,
    tracking_guard_prune,
)
from gridgov.core.errors import NotFound

REFUSED = "查询码或手机号后四位不正确，或尝试次数过多，请稍后再试"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.GRIDGOV_TRACK_MAX_FAILURES = 3
    settings.GRIDGOV_TRACK_WINDOW_MINUTES = 15
    settings.GRIDGOV_TRACK_LOCK_MINUTES = 30
    settings.GRIDGOV_TRACK_IP_MAX_FAILURES = 0
    cache.clear()
    yield
    cache.clear()


def page_prove(client: Client, code: str, last4: str):
    return client.post("/r/t/", {"code": code, "last4": last4})


def api_track(client: Client, code: str, last4: str):
    return client.get(f"/api/v1/cases/track/{code}", {"phone_last4": last4})


def test_the_generic_message_is_the_one_the_review_asked_for():
    assert TRACK_REFUSED == REFUSED


def test_failures_on_the_page_lock_the_api(cw, submit):
    case = submit()
    browser = Client()
    for wrong in ("0001", "0002", "0003"):
        response = page_prove(browser, case.tracking_code, wrong)
        assert response.status_code == 404 and REFUSED in response.content.decode()
    locked = api_track(Client(), case.tracking_code, "1234")
    assert locked.status_code == 429
    assert locked.json()["detail"] == REFUSED
    assert "13700001234" not in locked.content.decode() and case.text not in locked.content.decode()
    # The page refuses the right digits as well.
    again = page_prove(Client(), case.tracking_code, "1234")
    assert again.status_code == 429 and REFUSED in again.content.decode()


def test_failures_on_the_api_lock_the_page(cw, submit):
    case = submit()
    script = Client()
    for wrong in ("0001", "0002", "0003"):
        response = api_track(script, case.tracking_code, wrong)
        assert (response.status_code, response.json()["detail"]) == (404, REFUSED)
    page = page_prove(Client(), case.tracking_code, "1234")
    assert page.status_code == 429 and REFUSED in page.content.decode()
    assert case.text not in page.content.decode()


def test_failures_from_two_clients_add_up(cw, submit):
    case = submit()
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert api_track(first, case.tracking_code, "0001").status_code == 404
    assert page_prove(second, case.tracking_code, "0002").status_code == 404
    assert api_track(first, case.tracking_code, "0003").status_code == 404
    assert api_track(second, case.tracking_code, "1234").status_code == 429
    guard = TrackingGuard.objects.get(key=f"code:{case.tracking_code}")
    assert guard.locked_until is not None and guard.locked_until > timezone.now()


def test_code_spellings_share_one_counter(cw, submit):
    case = submit()
    code = case.tracking_code
    for spelled in (code.lower(), f"{code[:5]}-{code[5:]}", f" {code} "):
        assert api_track(Client(), spelled, "0000").status_code == 404
    assert api_track(Client(), code, "1234").status_code == 429


def test_an_unknown_code_and_a_locked_code_answer_alike(cw, submit):
    case = submit()
    known, unknown = case.tracking_code, "ABCDEFGHJK"
    answers = {}
    for code in (known, unknown):
        client = Client()
        seen = [api_track(client, code, "0000") for _ in range(3)]
        seen.append(api_track(client, code, "1234" if code == known else "0000"))
        answers[code] = [(r.status_code, r.json()["detail"]) for r in seen]
    assert answers[known] == answers[unknown] == [(404, REFUSED)] * 3 + [(429, REFUSED)]


def test_right_digits_do_not_lift_a_lock_and_the_lock_ends(cw, submit):
    case = submit()
    for wrong in ("0001", "0002", "0003"):
        api_track(Client(), case.tracking_code, wrong)
    for _ in range(2):
        assert api_track(Client(), case.tracking_code, "1234").status_code == 429
    with pytest.raises(TrackingLocked) as exc:
        case_track_proof(by=SYSTEM, code=case.tracking_code, phone_last4="1234")
    assert str(exc.value) == REFUSED and exc.value.retry_after > 0
    TrackingGuard.objects.filter(key=f"code:{case.tracking_code}").update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    opened = api_track(Client(), case.tracking_code, "1234")
    assert opened.status_code == 200 and opened.json()["state"] == State.NEW


def test_failures_outside_the_window_are_forgotten(cw, submit):
    case = submit()
    api_track(Client(), case.tracking_code, "0001")
    api_track(Client(), case.tracking_code, "0002")
    TrackingGuard.objects.filter(key=f"code:{case.tracking_code}").update(
        window_start=timezone.now() - dt.timedelta(minutes=16)
    )
    assert api_track(Client(), case.tracking_code, "0003").status_code == 404
    assert api_track(Client(), case.tracking_code, "1234").status_code == 200
    assert TrackingGuard.objects.get(key=f"code:{case.tracking_code}").failures == 0


def test_the_rating_paths_are_locked(cw, submit):
    case = submit()
    case_resolve(by=cw.alice, case=case_accept(by=cw.alice, case=case), result="已清运")
    rate = f"/api/v1/cases/track/{case.tracking_code}/rate"
    for wrong in ("0001", "0002", "0003"):
        response = Client().post(rate, {"rating": 1, "phone_last4": wrong}, content_type="application/json")
        assert (response.status_code, response.json()["detail"]) == (404, REFUSED)
    taken = Client().post(rate, {"rating": 1, "phone_last4": "1234"}, content_type="application/json")
    assert (taken.status_code, taken.json()["detail"]) == (429, REFUSED)

    # A browser that proved the digits before the lock cannot rate while it lasts either.
    case.refresh_from_db()
    assert case.state == State.RESOLVED and case.rating is None
    TrackingGuard.objects.all().delete()
    browser = Client()
    assert page_prove(browser, case.tracking_code, "1234").status_code == 302
    for wrong in ("0001", "0002", "0003"):
        api_track(Client(), case.tracking_code, wrong)
    refused = browser.post(f"/r/t/{case.tracking_code}/rate/", {"rating": 1})
    assert refused.status_code == 429 and REFUSED in refused.content.decode()
    assert browser.get(f"/r/t/{case.tracking_code}/").status_code == 429
    case.refresh_from_db()
    assert (case.state, case.rating, case.reopen_count) == (State.RESOLVED, None, 0)


def test_the_rating_service_counts_wrong_digits_itself(cw, submit):
    from gridgov.cases.services import case_rate

    case = submit()
    case_resolve(by=cw.alice, case=case_accept(by=cw.alice, case=case), result="已清运")
    for wrong in ("0001", "0002", "0003"):
        with pytest.raises(NotFound):
            case_rate(by=AnonymousUser(), case=case, rating=1, phone_last4=wrong)
    with pytest.raises(TrackingLocked):
        case_rate(by=AnonymousUser(), case=case, rating=1, phone_last4="1234")
    case.refresh_from_db()
    assert case.state == State.RESOLVED


def test_the_logged_in_reporter_is_not_locked_out(cw, submit):
    case = submit(by=cw.erin, reporter_phone="13987654321", place=cw.building2)
    for wrong in ("0001", "0002", "0003"):
        api_track(Client(), case.tracking_code, wrong)
    erin = Client()
    erin.force_login(cw.erin)
    assert erin.get(f"/r/t/{case.tracking_code}/").status_code == 200
    assert case_track_proof(by=cw.erin, code=case.tracking_code) == case


def test_the_per_ip_limit_spans_codes(cw, submit, settings):
    settings.GRIDGOV_TRACK_IP_MAX_FAILURES = 4
    first, second = submit(), submit(text="另一件：楼道灯坏了")
    client = Client(REMOTE_ADDR="10.9.9.9")
    for code in (first.tracking_code, second.tracking_code, "ABCDEFGHJK", "BCDEFGHJKM"):
        assert api_track(client, code, "0000").status_code == 404
    assert api_track(client, first.tracking_code, "1234").status_code == 429
    assert api_track(Client(REMOTE_ADDR="10.9.9.8"), first.tracking_code, "1234").status_code == 200


def test_empty_digits_are_refused_without_counting(cw, submit):
    case = submit()
    for _ in range(5):
        assert api_track(Client(), case.tracking_code, "").status_code == 404
    assert api_track(Client(), case.tracking_code, "1234").status_code == 200


def test_prune_drops_expired_rows_only(cw, submit):
    case = submit()
    api_track(Client(), case.tracking_code, "0001")
    api_track(Client(), "ABCDEFGHJK", "0001")
    TrackingGuard.objects.filter(key="code:ABCDEFGHJK").update(
        window_start=timezone.now() - dt.timedelta(days=8)
    )
    assert tracking_guard_prune() == 1
    assert list(TrackingGuard.objects.values_list("key", flat=True)) == [f"code:{case.tracking_code}"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_guesses_are_all_counted(cw, submit, settings):
    from gridgov.cases.tests.test_concurrency import race

    case = submit()
    settings.GRIDGOV_TRACK_MAX_FAILURES = 100

    def guess(digits: str):
        return lambda: case_track_proof(by=None, code=case.tracking_code, phone_last4=digits)

    results = race(*(guess(f"{n:04d}") for n in range(8)))
    assert all(isinstance(r, NotFound) for r in results), results
    assert TrackingGuard.objects.get(key=f"code:{case.tracking_code}").failures == 8

    settings.GRIDGOV_TRACK_MAX_FAILURES = 3
    TrackingGuard.objects.all().delete()
    race(*(guess(f"{n:04d}") for n in range(6)))
    guard = TrackingGuard.objects.get(key=f"code:{case.tracking_code}")
    assert guard.locks == 1 and guard.locked_until is not None
