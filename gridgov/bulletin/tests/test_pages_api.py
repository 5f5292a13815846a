"""Pages and JSON: what residents and staff see, bad input, out of scope alike not found, query counts."""

from __future__ import annotations

import pytest

from gridgov.bulletin.models import Column
from gridgov.bulletin.tests.test_notices import make_notice

pytestmark = pytest.mark.django_db


def _column_id() -> int:
    return Column.objects.get(name="通知公告").pk


def test_the_resident_reads_and_confirms_on_her_phone(client, world):
    notice = make_notice(world, needs_receipt=True, targets=[world.building2], title="8栋停水")
    client.force_login(world.erin)
    page = client.get("/bulletin/").content.decode()
    assert "8栋停水" in page and "待确认" in page
    detail = client.get(f"/bulletin/n/{notice.pk}/").content.decode()
    assert "我已阅读并知晓" in detail
    client.post(f"/bulletin/n/{notice.pk}/confirm/")
    assert "您已确认阅读" in client.get(f"/bulletin/n/{notice.pk}/").content.decode()


def test_out_of_scope_notice_is_not_found_for_residents_and_staff(client, world):
    notice = make_notice(world, by=world.alice, place=world.grid1, title="1网格")
    client.force_login(world.erin)
    assert client.get(f"/bulletin/n/{notice.pk}/").status_code == 404
    assert client.post(f"/bulletin/n/{notice.pk}/confirm/").status_code == 404
    assert client.get(f"/api/v1/bulletin/notices/{notice.pk}").status_code == 404
    client.force_login(world.bob)
    assert client.get(f"/bulletin/staff/{notice.pk}/").status_code == 404
    assert client.get(f"/api/v1/bulletin/notices/{notice.pk}/receipts").status_code == 404


def test_the_grid_worker_sees_the_unread_households_of_her_buildings(client, world):
    notice = make_notice(world, needs_receipt=True)
    client.force_login(world.bob)
    page = client.get(f"/bulletin/staff/{notice.pk}/").content.decode()
    assert "8栋" in page and "李秀英" in page and "*******4321" in page and "13987654321" not in page
    assert "1栋" not in page


def test_staff_compose_sanitises_and_publishes(client, world):
    client.force_login(world.carol)
    response = client.post(
        "/bulletin/staff/new/",
        {
            "column": _column_id(),
            "place": world.community.pk,
            "title": "防汛通知",
            "body_html": '<p onclick="x()">注意<script>alert(1)</script><a href="javascript:alert(1)">链接</a></p>',
            "targets": [world.building2.pk],
            "needs_receipt": "on",
        },
    )
    assert response.status_code == 302
    notice_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    client.post(f"/bulletin/staff/{notice_id}/", {"action": "publish"})
    page = client.get(f"/bulletin/staff/{notice_id}/").content.decode()
    assert (
        "已发布" in page
        and "<script>alert" not in page
        and "javascript:" not in page
        and "onclick" not in page
    )


def test_compose_bad_input_names_the_field(client, world):
    client.force_login(world.carol)
    page = client.post(
        "/bulletin/staff/new/", {"column": _column_id(), "place": world.community.pk, "title": ""}
    ).content.decode()
    assert "请填写标题" in page


def test_api_create_publish_confirm_receipts(client, world):
    client.force_login(world.carol)
    created = client.post(
        "/api/v1/bulletin/notices",
        {
            "column": _column_id(),
            "place": world.community.pk,
            "title": "燃气安全检查",
            "needs_receipt": True,
            "targets": [world.building2.pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    notice_id = created.json()["id"]
    assert client.post(f"/api/v1/bulletin/notices/{notice_id}/publish").json()["state"] == "published"
    bad = client.post(
        "/api/v1/bulletin/notices",
        {"column": _column_id(), "place": world.community.pk, "title": "x" * 121},
        content_type="application/json",
    )
    assert bad.status_code in (400, 422)
    outside = client.post(
        "/api/v1/bulletin/notices",
        {"column": _column_id(), "place": 999999, "title": "x"},
        content_type="application/json",
    )
    assert outside.status_code == 400 and "地点不存在" in outside.json()["detail"]
    client.force_login(world.erin)
    assert client.post(f"/api/v1/bulletin/notices/{notice_id}/confirm").status_code == 200
    client.force_login(world.bob)
    rows = client.get(f"/api/v1/bulletin/notices/{notice_id}/receipts").json()
    assert rows == [
        {"building_id": world.building2.pk, "building_name": "8栋", "total": 1, "confirmed": 1, "unread": []}
    ]


def _many(world, count: int) -> None:
    for index in range(count):
        make_notice(world, title=f"通知{index}", needs_receipt=index % 2 == 0)


@pytest.mark.parametrize("count", [5, 50])
def test_lists_keep_their_query_count(client, world, django_assert_max_num_queries, count):
    _many(world, count)
    client.force_login(world.erin)
    with django_assert_max_num_queries(14):
        assert client.get("/bulletin/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/bulletin/notices?page_size=100").status_code == 200
    client.force_login(world.carol)
    with django_assert_max_num_queries(14):
        assert client.get("/bulletin/staff/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/bulletin/notices?page_size=100").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/bulletin/columns").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/bulletin/staff/columns/").status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_the_receipts_list_keeps_its_query_count(client, world, django_assert_max_num_queries, count):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.people.services import resident_create
    from gridgov.places.services import household_create

    for index in range(count):
        household = household_create(by=SYSTEM, place=world.building2, room=f"9{index:02d}")
        resident_create(by=SYSTEM, name=f"住户{index}", household=household)
    notice = make_notice(world, needs_receipt=True)
    client.force_login(world.bob)
    with django_assert_max_num_queries(20):
        assert client.get(f"/bulletin/staff/{notice.pk}/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/api/v1/bulletin/notices/{notice.pk}/receipts").status_code == 200


def test_the_full_number_is_offered_only_through_the_audited_reveal_to_those_who_may_see_it(client, world):
    notice = make_notice(world, needs_receipt=True)
    client.force_login(world.frank)  # 网格长: may see full numbers, through the registry's reveal
    page = client.get(f"/bulletin/staff/{notice.pk}/").content.decode()
    assert f"/people/{world.zhang.pk}/" in page and "13812345678" not in page
    client.force_login(world.alice)
    page = client.get(f"/bulletin/staff/{notice.pk}/").content.decode()
    assert "*******5678" in page and "查看号码并拨打" not in page
