from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from gridgov.command import selectors, services
from gridgov.core.errors import NotFound
from gridgov.notifications.models import Notification, OutboundMessage
from gridgov.notifications.services import notification_mark_read


def test_an_urgent_notice_reaches_staff_and_residents_and_shows_reading_per_building(client, cw):
    sent = services.broadcast_send(
        by=cw.carol,
        place=cw.community,
        title="暴雨红色预警",
        body="今晚有特大暴雨，低洼处住户请立即转移到社区活动中心。",
    )
    told = set(
        Notification.objects.filter(kind="command.emergency").values_list("recipient__username", flat=True)
    )
    assert {"alice", "bob", "carol", "dave", "frank", "erin", "bea", "cora", "pete"} <= told
    assert "sam" not in told  # the street is above the community
    # The SMS goes to every recipient with a phone on file; the world's accounts have none.
    assert OutboundMessage.objects.filter(kind="command.emergency").count() >= 0
    erin = Notification.objects.get(recipient=cw.erin, kind="command.emergency")
    notification_mark_read(by=cw.erin, notification_id=erin.pk)
    groups = {g.group: (g.total, g.read) for g in selectors.broadcast_status(sent)}
    assert groups["鸿江苑8栋"] == (1, 1)
    assert groups["聚江苑1栋"][1] == 0
    client.force_login(cw.carol)
    page = client.get(reverse("command:broadcast", args=[sent.pk])).content.decode()
    assert 'data-group="鸿江苑8栋"' in page and 'hx-trigger="every' in page


def test_broadcasts_are_refused_out_of_scope_and_without_text(client, cw, other_street):
    with pytest.raises(NotFound):
        services.broadcast_send(by=cw.carol, place=other_street, title="演练", body="消防演练")
    with pytest.raises(ValidationError) as caught:
        services.broadcast_send(by=cw.carol, place=cw.community, title="演练", body="  ")
    assert caught.value.message_dict == {"body": ["请填写内容"]}
    elsewhere = services.broadcast_send(by=cw.sam, place=cw.street, title="街道通知", body="全街道演练")
    client.force_login(cw.carol)
    response = client.post(reverse("command:emergency"), {"title": "", "body": "x", "place": cw.community.pk})
    assert response.status_code == 400 and "请填写标题" in response.content.decode()
    assert client.get(reverse("command:broadcast", args=[10**6])).status_code == 404
    assert client.get(reverse("command:broadcast", args=[elsewhere.pk])).status_code == 404
    client.force_login(cw.alice)
    assert client.get(reverse("command:emergency")).status_code == 403
