from __future__ import annotations

import pytest

from gridgov.audit.models import AuditEntry
from gridgov.mediation.tests.conftest import noise

pytestmark = pytest.mark.django_db


def _login(client, user, w):
    assert client.login(username=user.username, password=w.password)


def test_staff_page_flow_and_pdf(client, pool):
    d = noise(pool)
    _login(client, pool.carol, pool)
    assert "推荐调解员" in client.get(f"/mediation/{d.pk}/").content.decode()
    client.post(f"/mediation/{d.pk}/assign/", {"mediator": pool.elder.pk})
    client.post(
        f"/mediation/{d.pk}/session/",
        {
            "held_at": "2026-11-20T19:00",
            "location": "党员谈心室",
            "attendance": "双方",
            "record": "同意晚八点后停工",
        },
    )
    refused = client.post(f"/mediation/{d.pk}/agreement/", {"terms": "x"}, follow=True).content.decode()
    assert "请先记录调解结果" in refused
    client.post(f"/mediation/{d.pk}/close/", {"outcome": "success"})
    client.post(
        f"/mediation/{d.pk}/agreement/", {"terms": "晚八点后停工", "signed": [p.pk for p in d.parties.all()]}
    )
    pdf = client.get(f"/mediation/{d.pk}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="view_pii", target_id=str(d.pk)).count() >= 2


def test_conflicted_mediator_refused_on_the_page(client, pool):
    d = noise(pool)
    _login(client, pool.carol, pool)
    client.post(f"/mediation/{d.pk}/exclude/", {"mediator": pool.elder.pk, "note": "亲属"})
    body = client.post(
        f"/mediation/{d.pk}/assign/", {"mediator": pool.elder.pk}, follow=True
    ).content.decode()
    assert "王德福已申报与本案存在利益冲突，不能指派" in body
    assert not d.assignments.exists()


def test_out_of_scope_is_not_found(client, pool):
    d = noise(pool)
    for user in (pool.alice, pool.erin):
        client.logout()
        _login(client, user, pool)
        assert client.get(f"/mediation/{d.pk}/").status_code == 404
        assert client.get(f"/api/v1/mediation/disputes/{d.pk}").status_code == 404
        assert (
            client.post(
                f"/api/v1/mediation/disputes/{d.pk}/close",
                {"outcome": "success"},
                content_type="application/json",
            ).status_code
            == 404
        )


def test_api_bad_input(client, pool):
    _login(client, pool.carol, pool)
    bad = client.post(
        "/api/v1/mediation/disputes",
        {
            "place": pool.building1.pk,
            "title": "",
            "dispute_type": "neighbour",
            "parties": [{"side": "respondent", "name": "甲"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    d = noise(pool)
    pdf_less = client.post(
        f"/api/v1/mediation/disputes/{d.pk}/close", {"outcome": "success"}, content_type="application/json"
    )
    assert pdf_less.status_code == 400 and pdf_less.json()["detail"] == "尚无调解记录，不能记为调解成功"


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count(client, pool, rows, django_assert_max_num_queries):
    for _ in range(rows):
        noise(pool)
    _login(client, pool.carol, pool)
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/mediation/disputes?page_size=200").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/mediation/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/mediation/mediators").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/mediation/experts/").status_code == 200
