"""Quick entry for hotline, walk-in desks and group chats; the patrol page; live triage; pickers."""

from __future__ import annotations

import re

from django.urls import reverse

from gridgov.cases.models import Case, Channel, State
from gridgov.cases.tests.factories import png_bytes, upload


def post(client, url, **data):
    payload = {"channel": "hotline", "text": "1栋楼道灯坏了一个星期", "place": "", "client_key": "", **data}
    return client.post(url, payload)


def test_quick_entry_creates_a_case_and_is_ready_for_the_next_call(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:intake")
    page = client.get(url).text
    assert "autofocus" in page and "data-enter-submits" in page
    key = re.search(r'name="client_key" value="([0-9a-f]{32})"', page).group(1)
    response = post(
        client,
        url,
        channel="walk_in",
        place=cw.building1.pk,
        client_key=key,
        reporter_name="刘女士",
        reporter_phone="13911112222",
        address_detail="2单元门口",
        photos=[upload("a.png", png_bytes())],
    )
    assert response.status_code == 302 and response.url == f"{url}?channel=walk_in"
    case = Case.objects.get()
    assert (case.channel, case.place, case.created_by, case.state) == (
        Channel.WALK_IN,
        cw.building1,
        cw.alice,
        State.NEW,
    )
    assert (case.reporter_name, case.reporter_phone_last4, case.address_detail) == (
        "刘女士",
        "2222",
        "2单元门口",
    )
    assert case.attachments.count() == 1
    page = client.get(response.url).text
    assert f'<span class="cs-code" id="last-code">{case.tracking_code}</span>' in page
    assert "已登记" in page
    assert '<option value="walk_in" selected>' in page  # the desk keeps its channel
    assert "刘女士" not in page  # … and the form is empty for the next caller
    assert f'name="client_key" value="{key}"' not in page
    # The code is shown once; a reload shows a clean form.
    assert case.tracking_code not in client.get(response.url).text


def test_a_double_submit_with_the_same_key_makes_one_case(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:intake")
    for _ in range(2):
        response = post(client, url, place=cw.building1.pk, client_key="a" * 32)
        assert response.status_code == 302
    assert Case.objects.count() == 1
    assert "此前已登记（重复提交未新增）" in client.get(response.url).text


def test_bad_input_is_named_and_nothing_is_written(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:intake")
    response = post(client, url, text="", place=cw.building1.pk)
    assert response.status_code == 400 and "反映内容：请填写反映内容" in response.text
    response = post(client, url)
    assert response.status_code == 400 and "地点：请选择事件发生的地点" in response.text
    response = post(client, url, place=cw.building2.pk)  # bob's grid
    assert response.status_code == 400 and "地点：地点不存在或不在您的范围内" in response.text
    response = post(client, url, place=cw.building1.pk, reporter_phone="12345")
    assert response.status_code == 400 and "联系电话：" in response.text
    response = post(client, url, place=cw.building1.pk, channel="resident_web")
    assert response.status_code == 400 and "来源渠道：来源渠道的取值无效" in response.text
    response = post(client, url, place=cw.building1.pk, photos=[upload("a.pdf", b"%PDF-1.4")])
    assert response.status_code == 400 and "“a.pdf”不是图片" in response.text
    response = post(client, url, place=cw.building1.pk, text="x" * 2001)
    assert response.status_code == 400 and "反映内容不能超过2000个字" in response.text
    assert Case.objects.count() == 0
    # What was typed is kept, so the call-taker fixes one field and presses Enter again.
    response = post(client, url, text="楼道灯坏了", place=cw.building1.pk, reporter_phone="12345")
    assert "楼道灯坏了</textarea>" in response.text and "1栋" in response.text


def test_linking_a_resident_inside_the_scope_only(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:intake")
    response = post(client, url, place=cw.building1.pk, resident=cw.zhang.pk)
    assert response.status_code == 302
    assert Case.objects.get().reporter_resident == cw.zhang
    response = post(client, url, place=cw.building1.pk, resident=cw.li.pk, text="另一件事")
    assert response.status_code == 400 and "关联居民：居民不存在或不在您的范围内" in response.text
    assert Case.objects.count() == 1


def test_staff_chosen_category_is_confirmed_and_routes(client, cw):
    client.force_login(cw.alice)
    response = post(
        client,
        reverse("cases:intake"),
        text="电梯坏了",
        place=cw.building1.pk,
        category="lift",
        priority="urgent",
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.subcategory, case.priority, case.category_confirmed, case.handler_org) == (
        cw.lift,
        "urgent",
        True,
        cw.property_co,
    )


def test_live_triage_fragment_shows_category_and_matched_words(client, cw):
    from gridgov.triage.services import suggest

    client.force_login(cw.alice)
    text = "电梯停在5楼不动了，有老人被困"
    fragment = client.get(reverse("cases:triage"), {"text": text}, headers={"HX-Request": "true"}).text
    expected = suggest(text)
    assert f'data-apply-category="{expected.category}"' in fragment
    assert f'data-apply-priority="{expected.urgency}"' in fragment and 'accesskey="s"' in fragment
    for word in expected.matched:
        assert f'<span class="tag">{word}</span>' in fragment
    assert "<html" not in fragment
    short = client.get(reverse("cases:triage"), {"text": "灯"}).text
    assert "data-apply-category" not in short


def test_place_search_finds_buildings_and_households_in_scope(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:intake_places")
    found = client.get(url, {"place_q": "1栋"}).text
    assert f'data-pick-place="{cw.building1.pk}"' in found
    households = client.get(url, {"place_q": "101"}).text
    assert f'data-pick-place="{cw.household1.place_id}"' in households
    outside = client.get(url, {"place_q": "8栋"}).text
    assert f'data-pick-place="{cw.building2.pk}"' not in outside and "没有找到“8栋”" in outside


def test_resident_search_is_scoped(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:intake_residents")
    found = client.get(url, {"resident_q": "张建国"}).text
    assert f'data-pick-resident="{cw.zhang.pk}"' in found and "13812345678" not in found
    assert f'data-pick-resident="{cw.li.pk}"' not in client.get(url, {"resident_q": "李秀英"}).text


def test_patrol_page_for_the_phone(client, cw):
    client.force_login(cw.alice)
    url = reverse("cases:patrol")
    page = client.get(url).text
    assert 'capture="environment"' in page and 'class="mobile"' in page
    # Their own grid's places come first in the list.
    options = re.findall(r'<option value="(\d+)"', page)
    assert options and int(options[0]) in {cw.grid1.pk, cw.estate1.pk, cw.building1.pk}
    response = client.post(
        url,
        {
            "channel": "patrol",
            "text": "楼道堆放杂物堵住消防通道",
            "place": cw.building1.pk,
            "client_key": "p1",
        },
    )
    assert response.status_code == 302 and response.url == url
    case = Case.objects.get()
    assert (case.channel, case.reporter_user, case.created_by) == (Channel.PATROL, cw.alice, cw.alice)
    assert case.tracking_code in client.get(url).text
    # The patrol page only files patrol reports.
    response = client.post(url, {"channel": "hotline", "text": "x", "place": cw.building1.pk})
    assert response.status_code == 400


def test_a_volunteer_grid_worker_may_enter_but_not_outside(client, cw):
    client.force_login(cw.dave)
    response = post(client, reverse("cases:intake"), place=cw.building1.pk)
    assert response.status_code == 302
    assert Case.objects.get().created_by == cw.dave
    client.force_login(cw.chen)  # department staff: no intake
    assert client.get(reverse("cases:intake")).status_code == 403
