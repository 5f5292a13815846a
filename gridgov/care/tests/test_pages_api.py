"""Care pages and /api/v1/care/…: the carer's phone, coverage, patrols; scope matrix; query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.care import services
from gridgov.care.models import PatrolVisit, Visit
from gridgov.core import clock

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def plan(sw):
    return services.plan_create(
        by=sw.carol,
        resident=sw.zhang,
        preset="weekend_children",
        carers=[(sw.wu, "party")],
        starts_on=clock.today() - dt.timedelta(days=6),
    )


def test_carer_logs_visit_with_problem_from_the_phone(sw, plan):
    wu = client_for(sw.wu)
    assert "张建国" in wu.get(reverse("care:my")).content.decode()
    response = wu.post(
        reverse("care:visit", args=[plan.pk]),
        {
            "minutes": 30,
            "done": "陪聊、打扫",
            "health": "good",
            "mood": "attention",
            "home_safety": "problem",
            "problem": "厨房燃气软管老化",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.case_id is not None and visit.mood == "attention"
    bad = wu.post(reverse("care:visit", args=[plan.pk]), {"minutes": 0, "done": ""}).content.decode()
    assert "做了什么：请填写做了什么" in bad


def test_visit_page_for_someone_elses_plan_is_404(sw, plan):
    assert client_for(sw.xu).get(reverse("care:visit", args=[plan.pk])).status_code == 404
    assert client_for(sw.xu).get(reverse("care:plan", args=[plan.pk])).status_code == 404
    assert client_for(sw.bob).get(reverse("care:plan", args=[plan.pk])).status_code == 404
    assert client_for(sw.alice).get(reverse("care:plan", args=[plan.pk])).status_code == 200


def test_coverage_page_moves_when_a_plan_is_made(sw):
    c = client_for(sw.carol)
    assert 'id="covered-count">0<' in c.get(reverse("care:coverage")).content.decode()
    response = c.post(
        reverse("care:plan_new", args=[sw.zhang.pk]),
        {"preset": "weekend_children", "carer": sw.wu.pk, "kind": "party"},
    )
    assert response.status_code == 302
    assert 'id="covered-count">1<' in c.get(reverse("care:coverage")).content.decode()


def test_patrol_page_records_a_visit_and_coverage_counts_it(sw):
    alice = client_for(sw.alice)
    assert "101" in alice.get(reverse("care:patrol") + "?q=101").content.decode()
    alice.post(reverse("care:patrol"), {"household": sw.household1.pk, "result": "away", "note": "敲门无人"})
    assert PatrolVisit.objects.get().result == "away"
    page = client_for(sw.carol).get(reverse("care:patrol_coverage")).content.decode()
    assert "50%" in page
    assert (
        client_for(sw.bob).get(reverse("care:patrol") + f"?household={sw.household1.pk}").status_code == 404
    )


@pytest.mark.parametrize(
    "name,staff_only",
    [
        ("care:my", False),
        ("care:coverage", True),
        ("care:patrol", True),
        ("care:patrol_coverage", True),
    ],
)
def test_page_scope_matrix(sw, name, staff_only):
    url = reverse(name)
    assert client_for(sw.carol).get(url).status_code == 200
    assert client_for(sw.wu).get(url).status_code == (403 if staff_only else 200)
    assert client_for(sw.erin).get(url).status_code == (403 if staff_only else 200)
    assert Client().get(url).status_code == 302


def test_api_visit_outside_plans_names_the_plan(sw, plan):
    body = {"visited_at": clock.now().isoformat(), "minutes": 20, "done": "看望"}
    ok = client_for(sw.wu).post(f"/api/v1/care/plans/{plan.pk}/visits", body, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["on_time"] is True
    refused = client_for(sw.xu).post(
        f"/api/v1/care/plans/{plan.pk}/visits", body, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "plan"
    assert client_for(sw.xu).get(f"/api/v1/care/plans/{plan.pk}").status_code == 404
    assert client_for(sw.wu).get("/api/v1/care/duties/due").json() == []
    assert [r["name"] for r in client_for(sw.carol).get("/api/v1/care/coverage").json()] == ["张建国"]
    assert client_for(sw.bob).get("/api/v1/care/coverage").json() == []


@pytest.mark.parametrize("count", [5, 50])
def test_plan_list_query_count(sw, count, django_assert_max_num_queries):
    for _ in range(count):
        services.plan_create(by=sw.carol, resident=sw.zhang, preset="weekly_visit", carers=[(sw.wu, "party")])
    with django_assert_max_num_queries(30):
        assert client_for(sw.carol).get("/api/v1/care/plans").status_code == 200
    with django_assert_max_num_queries(30):
        assert client_for(sw.wu).get(reverse("care:my")).status_code == 200


def test_a_visits_photos_show_on_the_plan_to_who_sees_it_and_are_sealed_on_disk(sw, plan, settings, tmp_path):
    from gridgov.cases.photos import clean_photo
    from gridgov.cases.tests.factories import png_bytes, upload
    from gridgov.core.sealed import MAGIC

    settings.MEDIA_ROOT = tmp_path
    visit = services.visit_log(
        by=sw.wu,
        plan=plan,
        visited_at=clock.now(),
        minutes=30,
        done="查看了卫生间扶手",
        photos=[upload("handrail.png", png_bytes())],
    )
    photo = visit.photos.get()
    expected = clean_photo(upload("handrail.png", png_bytes())).content
    raw = (tmp_path / photo.file.name).read_bytes()
    assert raw.startswith(MAGIC) and expected[:24] not in raw

    url = reverse("care:visit_photo", args=[plan.pk, photo.pk])
    for user in (sw.wu, sw.carol):
        c = client_for(user)
        page = c.get(reverse("care:plan", args=[plan.pk]))
        assert f'src="{url}"' in page.content.decode()
        response = c.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == expected

    # A volunteer not on the plan, another grid's worker, a resident: as missing as no photo at all.
    for user in (sw.xu, sw.bob, sw.erin):
        assert client_for(user).get(url).status_code == 404
    other = services.plan_create(
        by=sw.carol,
        resident=sw.li,
        preset="weekend_children",
        carers=[(sw.wu, "party")],
        starts_on=clock.today(),
    )
    assert client_for(sw.wu).get(reverse("care:visit_photo", args=[other.pk, photo.pk])).status_code == 404
    assert client_for(sw.wu).post(url).status_code == 405
    (tmp_path / photo.file.name).unlink()  # a file lost from the disk: not found, not a server error
    assert client_for(sw.wu).get(url).status_code == 404
