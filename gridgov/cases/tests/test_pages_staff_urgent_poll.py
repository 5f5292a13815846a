"""The open workbench's alarm endpoint: only the user's own new urgent alarms, bad `since` refused,
the same number of queries for one alarm or many, and the page wired to its static script."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.core import clock
from gridgov.notifications.models import Notification

URL = reverse("cases:urgent_poll")


@pytest.fixture
def submit_committed(submit, django_capture_on_commit_callbacks):
    """`submit` as a request makes it: the report commits, so the urgent alarm (a task enqueued
    after commit) runs."""

    def make(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return submit(**fields)

    return make


def _since(minutes: int = 1) -> str:
    return (clock.now() - dt.timedelta(minutes=minutes)).isoformat()


def test_the_responsible_worker_gets_the_alarm_others_never_do(client, cw, submit_committed):
    since = _since()
    case = submit_committed(text="1栋楼道里在冒烟", priority="urgent")
    other = submit_committed(text="8栋楼道里在冒烟", priority="urgent", place=cw.building2)
    client.force_login(cw.alice)
    answer = client.get(URL, {"since": since})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    data = answer.json()
    assert dt.datetime.fromisoformat(data["now"]) <= clock.now()
    [item] = data["items"]
    notification = Notification.objects.get(recipient=cw.alice, kind="case.urgent")
    assert item["id"] == notification.pk and item["title"].startswith("紧急事件：")
    assert item["url"] == reverse("notifications:open", args=[notification.pk])
    assert other.tracking_code not in str(data) and "8栋" not in str(data)
    # Following it reads it and lands on the case; a read alarm does not sound again.
    assert client.get(item["url"]).url == reverse("cases:detail", args=[case.pk])
    assert client.get(URL, {"since": since}).json()["items"] == []
    # Bob works grid 2: he hears of his own grid's case only; carol (no duty set) hears of neither.
    client.force_login(cw.bob)
    assert [i["body"][:2] for i in client.get(URL, {"since": since}).json()["items"]] == ["8栋"]
    client.force_login(cw.carol)
    assert client.get(URL, {"since": since}).json()["items"] == []


def test_normal_cases_and_other_notifications_never_sound(client, cw, submit):
    since = _since()
    submit(text="1栋门口垃圾没人清运")
    client.force_login(cw.alice)
    assert Notification.objects.filter(recipient=cw.alice).exists()
    assert client.get(URL, {"since": since}).json()["items"] == []


def test_since_looks_back_a_little_for_late_commits_but_not_to_old_alarms(client, cw, submit_committed):
    submit_committed(text="1栋楼道里在冒烟", priority="urgent")
    client.force_login(cw.alice)
    # Asked from a moment after the alarm was written: still found (its transaction may have
    # committed after the previous poll started).
    later = (clock.now() + dt.timedelta(seconds=30)).isoformat()
    assert len(client.get(URL, {"since": later}).json()["items"]) == 1
    Notification.objects.filter(kind="case.urgent").update(created_at=clock.now() - dt.timedelta(minutes=10))
    assert client.get(URL, {"since": _since(1)}).json()["items"] == []
    assert len(client.get(URL, {"since": _since(20)}).json()["items"]) == 1
    Notification.objects.filter(kind="case.urgent").update(created_at=clock.now() - dt.timedelta(days=3))
    assert client.get(URL, {"since": _since(60 * 24 * 7)}).json()["items"] == []


def test_bad_since_is_refused_with_a_message(client, cw):
    client.force_login(cw.alice)
    for bad in ("", "yesterday", "2026-13-40T00:00:00+08:00", "2026-12-01T10:00:00", "9" * 100):
        answer = client.get(URL, {"since": bad})
        assert answer.status_code == 400 and answer.json()["error"].startswith("since："), bad
    assert client.get(URL).status_code == 400
    future = (clock.now() + dt.timedelta(hours=1)).isoformat()
    answer = client.get(URL, {"since": future})
    assert answer.status_code == 400 and answer.json()["error"] == "since：时间不能晚于现在"


def test_only_case_staff_may_poll(client, cw):
    assert client.get(URL, {"since": _since()}).status_code == 302  # to the login page
    client.force_login(cw.erin)
    assert client.get(URL, {"since": _since()}).status_code == 403
    assert client.post(URL, {"since": _since()}).status_code in (403, 405)


def test_query_count_does_not_grow_with_the_alarms(client, cw, submit_committed):
    since = _since()
    client.force_login(cw.alice)
    submit_committed(text="1栋楼道里在冒烟", priority="urgent")

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(URL, {"since": since})
        return len(captured.captured_queries), len(answer.json()["items"])

    one = count()
    for index in range(4):
        submit_committed(text=f"1栋{index}楼有人晕倒", priority="urgent")
    many = count()
    assert (one[1], many[1]) == (1, 5) and many[0] == one[0]


def test_the_workbench_carries_the_alarm_and_the_sound_toggle(client, cw, settings):
    settings.GRIDGOV_URGENT_POLL_SECONDS = 4
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench")).text
    assert 'id="urgent-alarm"' in page and f'data-url="{URL}"' in page and 'data-interval="4"' in page
    assert "cases/alarm.js" in page and "cases/urgent.wav" in page and "开启提醒声音" in page
    # The sound is served by the app itself (no CDN): a real WAV.
    from django.contrib.staticfiles import finders

    path = finders.find("cases/urgent.wav")
    with open(path, "rb") as sound:
        head = sound.read(12)
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE"
