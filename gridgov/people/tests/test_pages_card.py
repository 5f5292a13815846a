"""The service card (服务卡) with its QR code, and the staff scanner that reads it back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.people.services import card_qr_payload


def test_card_shows_name_number_and_a_qr_code_svg(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("people:card", args=[world.zhang.pk])).text
    card_no = world.zhang.card_no
    assert "张建国" in page
    assert f"{card_no[:4]} {card_no[4:8]} {card_no[8:]}" in page
    assert "<svg" in page and "<path" in page
    assert "打印服务卡" in page
    # The phone layout: residents show it from their phone.
    assert 'class="mobile"' in page
    assert "430102195001010018" not in page and "13812345678" not in page


def test_card_qr_decodes_to_the_signed_payload(client, world):
    from gridgov.people.services import card_no_from_qr

    payload = card_qr_payload(world.li)
    assert card_no_from_qr(payload) == world.li.card_no
    client.force_login(world.erin)
    assert client.get(reverse("people:card", args=[world.li.pk])).status_code == 200


def test_scanner_opens_the_resident_page_from_payload_or_card_number(client, world):
    client.force_login(world.alice)
    url = reverse("people:scan")
    response = client.get(url, {"code": card_qr_payload(world.zhang)})
    assert response.status_code == 302 and response.url == reverse("people:detail", args=[world.zhang.pk])
    spaced = f"{world.zhang.card_no[:4]} {world.zhang.card_no[4:8]} {world.zhang.card_no[8:]}"
    response = client.get(url, {"code": spaced})
    assert response.status_code == 302 and response.url == reverse("people:detail", args=[world.zhang.pk])


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("hello", "二维码内容或服务卡号：请扫入服务卡二维码，或填写12位服务卡号"),
        ("GG1:forged-payload", "二维码内容或服务卡号：服务卡二维码无效或被篡改"),
        ("000000000000", "二维码内容或服务卡号：未找到该服务卡，或该居民不在您的管辖范围内"),
        ("x" * 501, "二维码内容或服务卡号：内容过长"),
    ],
)
def test_scanner_bad_input_is_named(client, world, code, message):
    client.force_login(world.alice)
    response = client.get(reverse("people:scan"), {"code": code})
    assert response.status_code == 200
    assert message in response.text


def test_scanner_outside_the_scope_says_the_same_as_for_an_unknown_card(client, world):
    client.force_login(world.alice)
    outside = client.get(reverse("people:scan"), {"code": card_qr_payload(world.li)})
    assert outside.status_code == 200
    assert "未找到该服务卡，或该居民不在您的管辖范围内" in outside.text
    assert "李秀英" not in outside.text


def test_scanner_refuses_residents(client, world):
    client.force_login(world.erin)
    assert client.get(reverse("people:scan"), {"code": card_qr_payload(world.li)}).status_code == 403
