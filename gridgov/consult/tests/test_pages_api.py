"""Pages and API: residents vote on the phone, staff organise; scope; query counts."""

from __future__ import annotations

import pytest

from gridgov.consult import services
from gridgov.consult.models import Participation
from gridgov.consult.tests.conftest import make

pytestmark = pytest.mark.django_db


def _login(client, user, w):
    assert client.login(username=user.username, password=w.password)


def test_resident_votes_on_the_phone_and_the_second_member_is_refused(client, homes):
    c = make(homes)
    approve = c.options.get(label="同意")
    _login(client, homes.u_zhang, homes)
    page = client.get(f"/consult/m/{c.pk}/")
    assert page.status_code == 200 and "1栋加装电梯" in page.content.decode()
    assert client.post(f"/consult/m/{c.pk}/", {"options": [approve.pk]}).status_code == 302
    client.logout()
    _login(client, homes.u_wang, homes)
    body = client.post(f"/consult/m/{c.pk}/", {"options": [approve.pk]}).content.decode()
    assert "本户已由其他家庭成员投票，每户只能投一票" in body
    assert Participation.objects.count() == 1


def test_staff_pages_and_notice(client, homes):
    c = make(homes)
    services.vote_cast(by=homes.u_zhang, consultation=c, option_ids=[c.options.get(label="同意").pk])
    _login(client, homes.alice, homes)
    assert "分楼栋参与情况" in client.get(f"/consult/{c.pk}/").content.decode()
    client.post(
        f"/consult/{c.pk}/paper/",
        {"household": homes.household3.pk, "options": [c.options.get(label="反对").pk]},
    )
    assert Participation.objects.count() == 2
    client.post(f"/consult/{c.pk}/advance/", {"to": "closed"})
    notice = client.get(f"/consult/{c.pk}/notice/").content.decode()
    assert "表决结果公告" in notice and "参与率 100.0%" in notice
    client.logout()
    _login(client, homes.bob, homes)
    assert client.get(f"/consult/{c.pk}/").status_code == 404


def test_create_page(client, homes):
    _login(client, homes.alice, homes)
    response = client.post(
        "/consult/new/",
        {
            "title": "停车规则",
            "place": homes.estate1.pk,
            "places": [homes.building1.pk],
            "ballot_kind": "approve",
            "max_choices": 1,
            "unit": "household",
            "adults_only": "on",
            "pass_rule": "simple",
            "quorum_percent": 50,
            "options": "",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        "/consult/new/",
        {
            "title": "选举",
            "place": homes.estate1.pk,
            "ballot_kind": "approve",
            "secret": "on",
            "max_choices": 1,
            "unit": "person",
            "pass_rule": "civil_major",
            "quorum_percent": 50,
        },
    )
    assert "无记名投票不能按专有部分面积计票" in bad.content.decode()


def test_api_vote_bad_input_and_out_of_scope(client, homes):
    c = make(homes)
    _login(client, homes.u_zhang, homes)
    url = f"/api/v1/consult/consultations/{c.pk}/vote"
    bad = client.post(url, {"options": [987654]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"] == "所选选项不属于本议题"
    ok = client.post(url, {"options": [c.options.get(label="同意").pk]}, content_type="application/json")
    assert ok.status_code == 200
    client.logout()
    _login(client, homes.u_wang, homes)
    second = client.post(url, {"options": [c.options.get(label="同意").pk]}, content_type="application/json")
    assert second.status_code == 403 and "每户只能投一票" in second.json()["detail"]
    client.logout()
    _login(client, homes.erin, homes)
    assert client.post(url, {"options": [1]}, content_type="application/json").status_code == 404
    assert client.get(f"/api/v1/consult/consultations/{c.pk}").status_code == 404
    assert client.get("/api/v1/consult/consultations/999999").status_code == 404


def test_api_secret_vote_gives_a_receipt_that_checks(client, homes, django_capture_on_commit_callbacks):
    c = make(homes, title="业委会选举", secret=True, ballot_kind="single", options=["刘强", "陈静"])
    _login(client, homes.u_zhao, homes)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = client.post(
            f"/api/v1/consult/consultations/{c.pk}/vote",
            {"options": [c.options.get(label="陈静").pk]},
            content_type="application/json",
        ).json()["receipt"]
    check = client.post(
        f"/api/v1/consult/consultations/{c.pk}/receipt", {"receipt": receipt}, content_type="application/json"
    )
    assert check.json() == {"counted": True, "choices": "陈静"}
    results = client.get(f"/api/v1/consult/consultations/{c.pk}/results").json()
    assert len(results["receipt_hashes"]) == 1 and results["voted"] == 1


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count(client, homes, rows, django_assert_max_num_queries):
    for index in range(rows):
        services.consultation_create(by=homes.alice, place=homes.estate1, title=f"议题{index}")
    _login(client, homes.alice, homes)
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/consult/consultations?page_size=200").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/consult/").status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_comment_list_query_count(client, homes, rows, django_assert_max_num_queries):
    from gridgov.consult.models import Stage

    c = services.consultation_create(
        by=homes.alice, place=homes.estate1, places=[homes.building1], title="停车"
    )
    services.consultation_advance(by=homes.alice, consultation=c, to=Stage.DISCUSSION)
    for index in range(rows):
        services.comment_add(by=homes.u_zhang, consultation=c, text=f"意见{index}")
    _login(client, homes.u_zhang, homes)
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/v1/consult/consultations/{c.pk}/comments?page_size=200").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/consult/m/{c.pk}/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/consult/m/").status_code == 200
