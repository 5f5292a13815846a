"""扫服务卡: the merchant sees what its agreement and the card allow, and records a service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from gridgov.core.errors import Forbidden
from gridgov.people.services import card_qr_payload
from gridgov.services import services
from gridgov.services.models import Order, OrderState

pytestmark = pytest.mark.django_db


def test_merchant_sees_only_its_agreement_and_records_a_service(sw):
    payload = card_qr_payload(sw.li)
    view = services.card_scan(by=sw.barber, payload=payload)
    assert [o.item.name for o in view.offers] == ["水电维修"] and view.masked_name == "李**"
    order = services.card_record(by=sw.barber, payload=payload, item=sw.repair, note="修好水龙头")
    assert order.state == OrderState.DONE and order.merchant == sw.shop and order.channel == "card"
    with pytest.raises(ValidationError) as exc:
        services.card_record(by=sw.barber, payload=payload, item=sw.haircut, note="理发")
    assert "item" in exc.value.message_dict


def test_tampered_card_and_strangers_are_refused(sw):
    with pytest.raises(ValidationError) as exc:
        services.card_scan(by=sw.barber, payload=card_qr_payload(sw.li)[:-3] + "abc")
    assert exc.value.message_dict["payload"] == ["服务卡二维码无效或被篡改"]
    with pytest.raises(Forbidden):
        services.card_scan(by=sw.erin, payload=card_qr_payload(sw.zhang))
    # A grid-1 volunteer may serve 张建国 (their grid) but not 李秀英 (grid 2).
    assert services.card_scan(by=sw.wu, payload=card_qr_payload(sw.zhang)).offers
    with pytest.raises(Forbidden):
        services.card_scan(by=sw.wu, payload=card_qr_payload(sw.li))


def test_expired_agreement_stops_card_service(sw):
    import datetime as dt

    sw.agreement.starts_on, sw.agreement.ends_on = dt.date(2020, 1, 1), dt.date(2020, 12, 31)
    sw.agreement.save()
    with pytest.raises(Forbidden):
        services.card_scan(by=sw.barber, payload=card_qr_payload(sw.li))


def test_scan_page(sw):
    c = Client()
    c.force_login(sw.barber)
    page = c.post(reverse("services:scan"), {"payload": card_qr_payload(sw.li)}).content.decode()
    assert "李**" in page and "水电维修" in page and "李秀英" not in page
    c.post(
        reverse("services:scan"), {"payload": card_qr_payload(sw.li), "item": sw.repair.pk, "note": "修好了"}
    )
    assert Order.objects.get().done_note == "修好了"
    bad = c.post(reverse("services:scan"), {"payload": "GG1:xx"}).content.decode()
    assert "服务卡二维码：服务卡二维码无效或被篡改" in bad
