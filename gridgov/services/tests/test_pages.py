"""The 生活快车 pages: the journey through the forms, the scope matrix, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.core import clock
from gridgov.services.models import Order, OrderState

pytestmark = pytest.mark.django_db


def client_for(user, world) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_orders_on_behalf_from_the_page(sw):
    c = client_for(sw.carol, sw)
    url = reverse("services:order", args=[sw.haircut.pk]) + f"?resident={sw.zhang.pk}"
    page = c.get(url)
    assert page.status_code == 200 and "帮代办" in page.content.decode()
    start = timezone.localtime(clock.now() + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        url,
        {
            "resident": sw.zhang.pk,
            "window_start": start,
            "span": 2,
            "note": "老人行动不便",
            "channel": "phone",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and order.channel == "phone" and order.team == sw.subteam


def test_past_window_on_the_page_names_the_field_and_saves_nothing(sw):
    c = client_for(sw.zhang_user, sw)
    past = timezone.localtime(clock.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = c.post(reverse("services:order", args=[sw.haircut.pk]), {"window_start": past, "span": 2})
    assert "期望服务时间：期望服务时间不能早于现在" in page.content.decode()
    assert Order.objects.count() == 0


def test_ineligible_resident_sees_why_in_the_catalogue(sw):
    page = client_for(sw.erin, sw).get(reverse("services:catalogue")).content.decode()
    assert "仅面向" in page and "李秀英不在服务对象范围内" in page


def test_leader_dispatches_member_grabs_completes_resident_rates(sw, place_order):
    order = place_order()
    detail = reverse("services:order_detail", args=[order.pk])
    leader = client_for(sw.lei, sw)
    assert "派给TA" in leader.get(detail).content.decode()
    leader.post(detail, {"action": "dispatch", "volunteer": sw.wu_v.pk})
    wu = client_for(sw.wu, sw)
    wu.post(detail, {"action": "arrive"})
    wu.post(detail, {"action": "complete", "text": ""})
    order.refresh_from_db()
    assert order.state == OrderState.ARRIVED  # the empty note was refused
    wu.post(detail, {"action": "complete", "text": "理发完成"})
    resident = client_for(sw.zhang_user, sw)
    resident.post(detail, {"action": "rate", "rating": 5, "comment": "谢谢"})
    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED and order.rating == 5
    again = resident.post(detail, {"action": "rate", "rating": 1}, follow=True).content.decode()
    assert "评分" not in again or "不能评价" in again or "已评价" in again
    figures = client_for(sw.carol, sw).get(reverse("services:figures")).content.decode()
    assert "第一网格分队" in figures


PAGES = [
    ("services:catalogue", ()),
    ("services:mine", ()),
    ("services:provider", ()),
    ("services:register", ()),
    ("services:board", ()),
    ("services:manage", ()),
    ("services:agreements", ()),
    ("services:volunteers", ()),
    ("services:figures", ()),
]


@pytest.mark.parametrize("name,args", PAGES)
def test_page_scope_matrix(sw, name, args):
    url = reverse(name, args=args)
    staff_only = name in {
        "services:board",
        "services:manage",
        "services:agreements",
        "services:volunteers",
        "services:figures",
    }
    assert client_for(sw.carol, sw).get(url).status_code == 200
    assert client_for(sw.wu, sw).get(url).status_code == (403 if staff_only else 200)
    assert client_for(sw.erin, sw).get(url).status_code == (403 if staff_only else 200)
    assert Client().get(url).status_code == 302


def test_order_detail_out_of_scope_is_404(sw, place_order):
    order = place_order()
    url = reverse("services:order_detail", args=[order.pk])
    assert client_for(sw.alice, sw).get(url).status_code == 200
    assert client_for(sw.wu, sw).get(url).status_code == 200
    for outsider in (sw.bob, sw.erin, sw.dave):
        assert client_for(outsider, sw).get(url).status_code == 404
        assert client_for(outsider, sw).post(url, {"action": "grab"}).status_code == 404
    assert client_for(sw.carol, sw).get(reverse("services:order_detail", args=[99999])).status_code == 404


def test_hours_and_certificate_scope_and_overlap(sw, place_order):
    url = reverse("services:hours", args=[sw.wu_v.pk])
    c = client_for(sw.carol, sw)
    start = timezone.localtime(clock.now() - dt.timedelta(hours=5))
    fmt = "%Y-%m-%dT%H:%M"
    c.post(
        url,
        {
            "form": "add",
            "started_at": start.strftime(fmt),
            "ended_at": (start + dt.timedelta(hours=2)).strftime(fmt),
            "reason": "社区义诊",
        },
    )
    page = c.post(
        url,
        {
            "form": "add",
            "started_at": (start + dt.timedelta(hours=1)).strftime(fmt),
            "ended_at": (start + dt.timedelta(hours=3)).strftime(fmt),
            "reason": "又一次",
        },
    ).content.decode()
    assert "开始：与已有记录重叠" in page
    sw.wu_v.refresh_from_db()
    assert str(sw.wu_v.hours_total) == "2.00"
    cert = c.get(reverse("services:certificate", args=[sw.wu_v.pk])).content.decode()
    assert "志愿服务时长证明" in cert and "2.00" in cert
    assert client_for(sw.bob, sw).get(url).status_code == 404
    assert client_for(sw.wu, sw).get(url).status_code == 403


@pytest.mark.parametrize("count", [5, 50])
def test_board_and_lists_query_counts(sw, window, count, django_assert_max_num_queries):
    start, end = window()
    Order.objects.bulk_create(
        [
            Order(
                item=sw.haircut,
                resident=sw.zhang,
                place=sw.zhang.place,
                place_path=sw.zhang.place.path,
                team=sw.subteam,
                window_start=start,
                window_end=end,
                created_at=clock.now(),
            )
            for _ in range(count)
        ]
    )
    c = client_for(sw.carol, sw)
    with django_assert_max_num_queries(150):
        assert c.get(reverse("services:board")).status_code == 200
    wu = client_for(sw.wu, sw)
    with django_assert_max_num_queries(25):
        assert wu.get(reverse("services:provider")).status_code == 200
    resident = client_for(sw.zhang_user, sw)
    with django_assert_max_num_queries(20):
        assert resident.get(reverse("services:mine")).status_code == 200
    with django_assert_max_num_queries(20):
        assert resident.get(reverse("services:catalogue")).status_code == 200


def test_agreement_form_refuses_end_before_start(sw):
    c = client_for(sw.carol, sw)
    page = c.post(
        reverse("services:agreements"),
        {
            "merchant": sw.shop.pk,
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "items": [sw.repair.pk],
            "discount_percent": 90,
        },
    ).content.decode()
    assert "截止日期：截止日期不能早于生效日期" in page


def test_volunteer_approval_page(sw):
    c = client_for(sw.carol, sw)
    assert "钱新人" in c.get(reverse("services:volunteers") + "?status=pending").content.decode()
    page = c.post(
        reverse("services:volunteers"),
        {"volunteer": sw.qian_v.pk, "decision": "reject", "text": ""},
        follow=True,
    ).content.decode()
    assert "审核意见：请填写审核意见" in page
    c.post(reverse("services:volunteers"), {"volunteer": sw.qian_v.pk, "decision": "approve"})
    sw.qian_v.refresh_from_db()
    assert sw.qian_v.status == "approved"
    assert (
        client_for(sw.bob, sw).post(reverse("services:volunteers"), {"volunteer": sw.qian_v.pk}).status_code
        == 404
    )


def test_the_providers_photos_show_on_the_order_to_who_sees_it_sealed_on_disk(
    sw, place_order, settings, tmp_path
):
    from gridgov.cases.photos import clean_photo
    from gridgov.cases.tests.factories import png_bytes, upload
    from gridgov.core.sealed import MAGIC
    from gridgov.services import services

    settings.MEDIA_ROOT = tmp_path
    order = place_order()
    other = place_order()
    services.order_grab(by=sw.wu, order=order)
    services.order_complete(by=sw.wu, order=order, note="理发完成", photos=[upload("done.png", png_bytes())])
    services.order_grab(by=sw.wu, order=other)
    services.order_complete(by=sw.wu, order=other, note="完成", photos=[upload("b.png", png_bytes())])
    photo, other_photo = order.photos.get(), other.photos.get()
    expected = clean_photo(upload("done.png", png_bytes())).content
    assert (tmp_path / photo.file.name).read_bytes().startswith(MAGIC)

    url = reverse("services:order_photo", args=[order.pk, photo.pk])
    for user in (sw.zhang_user, sw.wu, sw.carol):
        c = client_for(user, sw)
        page = c.get(reverse("services:order_detail", args=[order.pk]))
        assert f'src="{url}"' in page.content.decode()
        response = c.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert int(response["Content-Length"]) == len(expected)
        assert b"".join(response.streaming_content) == expected
        assert response["X-Content-Type-Options"] == "nosniff"

    # Another resident, another grid's worker: the photo is as missing as one that never was.
    for user in (sw.erin, sw.bob):
        response = client_for(user, sw).get(url)
        assert response.status_code == 404
    c = client_for(sw.zhang_user, sw)
    assert c.get(reverse("services:order_photo", args=[order.pk, other_photo.pk])).status_code == 404
    assert c.get(reverse("services:order_photo", args=[order.pk, other_photo.pk + 100])).status_code == 404
    assert c.post(url).status_code == 405
    (tmp_path / photo.file.name).unlink()  # a file lost from the disk: not found, not a server error
    assert c.get(url).status_code == 404
