"""The resident report page /r/new/ and the QR poster entry /r/p/<token>/: a logged-in resident,
an anonymous reporter (phone required, throttled), photos, idempotent retries, forged tokens."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Case, CaseAttachment, Channel, State
from gridgov.cases.tests.factories import png_bytes
from gridgov.cases.views_public import poster_token

NEW = "/r/new/"


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


def photo(name: str = "lift.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type="image/png")


def client_key(response) -> str:
    match = re.search(r'name="client_key" value="([0-9a-f]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


def anonymous_post(client, url=NEW, **fields):
    data = {
        "text": "8栋门口路灯坏了一个星期，晚上很黑",
        "reporter_phone": "13600001111",
        "client_key": "",
        **fields,
    }
    return client.post(url, data)


def test_resident_reports_at_her_own_building_by_default_with_a_photo(cw, client):
    client.force_login(cw.erin)
    page = client.get(NEW)
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<option value="{cw.building2.pk}" selected>我家楼栋：鸿江苑 8栋</option>' in body
    assert "聚江苑 1栋" in body  # the rest of her community is in the picker
    assert 'name="reporter_phone"' not in body and "匿名反映" not in body
    assert 'accept="image/*"' in body and "multiple" in body

    response = client.post(
        NEW,
        {
            "text": "8栋电梯困人，已经停了两天",
            "place": cw.building2.pk,
            "address_detail": "2单元电梯",
            "client_key": client_key(page),
            "latitude": "28.2282",
            "longitude": "112.9388",
            "photos": [photo("a.png"), photo("b.png")],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/r/done/{case.tracking_code}/"
    assert (case.channel, case.place, case.reporter_user, case.reporter_resident) == (
        Channel.RESIDENT_WEB,
        cw.building2,
        cw.erin,
        cw.li,
    )
    assert (case.address_detail, case.latitude, case.longitude) == ("2单元电梯", 28.2282, 112.9388)
    assert CaseAttachment.objects.filter(case=case).count() == 2

    done = client.get(response["Location"])
    assert done.status_code == 200
    assert f'<div class="r-code" id="tracking-code">{case.tracking_code}</div>' in done.content.decode()
    assert f'href="/r/t/{case.tracking_code}/"' in done.content.decode()


def test_resident_may_pick_another_place_in_her_community_but_not_outside(cw, client):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    other = place_create(by=SYSTEM, parent=cw.street, kind=PlaceKind.COMMUNITY, name="望江社区")
    far_estate = place_create(by=SYSTEM, parent=other, kind=PlaceKind.ESTATE, name="望江苑")
    client.force_login(cw.erin)
    response = client.post(NEW, {"text": "聚江苑门口垃圾满了", "place": cw.estate1.pk})
    assert response.status_code == 302
    assert Case.objects.get().place == cw.estate1

    response = client.post(NEW, {"text": "望江苑的事", "place": far_estate.pk})
    assert response.status_code == 400
    assert "请从列表中选择地点" in response.content.decode()
    response = client.post(NEW, {"text": "没有地点", "place": ""})
    assert "请选择事件发生的地点" in response.content.decode()
    assert Case.objects.count() == 1


def test_anonymous_reporter_must_leave_a_valid_phone(cw, client):
    page = client.get(NEW)
    body = page.content.decode()
    assert page.status_code == 200
    assert "匿名反映" in body and "登录后反映" in body and 'name="reporter_phone"' in body

    missing = anonymous_post(client, place=cw.building2.pk, reporter_phone="")
    assert missing.status_code == 400
    assert "匿名反映请留下手机号，便于回访" in missing.content.decode()
    bad = anonymous_post(client, place=cw.building2.pk, reporter_phone="1360000")
    assert "手机号应为11位，当前为7位" in bad.content.decode()
    empty = anonymous_post(client, place=cw.building2.pk, text="  ")
    assert "请填写反映内容" in empty.content.decode()
    too_long = anonymous_post(client, place=cw.building2.pk, text="路" * 2001)
    assert "反映内容不能超过2000个字" in too_long.content.decode()
    assert Case.objects.count() == 0

    ok = anonymous_post(client, place=cw.building2.pk, reporter_name="王女士", reporter_phone="136 0000 1111")
    case = Case.objects.get()
    assert ok.status_code == 302
    assert (case.reporter_user, case.reporter_name, case.reporter_phone_last4) == (None, "王女士", "1111")
    # The browser that filed it follows it without typing the digits.
    track = client.get(f"/r/t/{case.tracking_code}/")
    assert "已收到您的反映" in track.content.decode() and case.text in track.content.decode()


def test_photo_errors_are_in_chinese_and_nothing_is_written(cw, client, settings):
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 1024 * 1024
    too_many = anonymous_post(client, place=cw.building2.pk, photos=[photo(f"{i}.png") for i in range(10)])
    assert "最多上传9张照片，当前10张" in too_many.content.decode()
    not_image = anonymous_post(
        client, place=cw.building2.pk, photos=[SimpleUploadedFile("list.png", b"MZ\x90\x00 not an image")]
    )
    assert "“list.png”不是图片，只能上传JPG、PNG或WebP照片" in not_image.content.decode()
    big = anonymous_post(
        client, place=cw.building2.pk, photos=[photo("big.png", png_bytes() + b"\0" * 1024 * 1024)]
    )
    assert big.status_code == 400
    assert "照片“big.png”超过1MB，请压缩后再上传" in big.content.decode()
    # Another field wrong: the photos were fine but must be chosen again.
    other = anonymous_post(client, place=cw.building2.pk, reporter_phone="", photos=[photo()])
    assert "页面有错误，照片需要重新选择" in other.content.decode()
    assert Case.objects.count() == 0 and CaseAttachment.objects.count() == 0


def test_double_tap_and_retried_post_return_the_first_case(cw, client):
    page = client.get(NEW)
    key = client_key(page)
    first = anonymous_post(client, place=cw.building2.pk, client_key=key, photos=[photo()])
    second = anonymous_post(client, place=cw.building2.pk, client_key=key, photos=[photo()])
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == f"/r/done/{case.tracking_code}/"
    assert CaseAttachment.objects.count() == 1
    assert "这条反映已经提交过了，无需重复提交" in client.get(second["Location"]).content.decode()
    # A fresh page is a fresh key: the next report is a new case.
    assert client_key(client.get(NEW)) != key

    client.force_login(cw.erin)
    key = client_key(client.get(NEW))
    for _ in range(2):
        client.post(NEW, {"text": "楼道灯不亮", "place": cw.building2.pk, "client_key": key})
    assert Case.objects.filter(reporter_user=cw.erin).count() == 1


def test_anonymous_reports_are_throttled_per_phone_and_per_network(cw, client, settings):
    settings.GRIDGOV_REPORT_PHONE_PER_HOUR = 2
    settings.GRIDGOV_REPORT_IP_PER_HOUR = 3
    for n in range(2):
        assert anonymous_post(client, place=cw.building2.pk, client_key=f"k{n}").status_code == 302
    # A retry of the last accepted report still gets its case back ...
    retry = anonymous_post(client, place=cw.building2.pk, client_key="k1")
    assert retry.status_code == 302 and Case.objects.count() == 2
    # ... a new one from the same phone is refused.
    refused = anonymous_post(client, place=cw.building2.pk, client_key="k2")
    assert refused.status_code == 429
    assert "同一手机号每小时最多匿名反映2次" in refused.content.decode()
    assert anonymous_post(client, place=cw.building2.pk, reporter_phone="13900002222").status_code == 302
    network = anonymous_post(client, place=cw.building2.pk, reporter_phone="13900003333")
    assert network.status_code == 429
    assert "同一网络每小时最多匿名反映3次" in network.content.decode()
    assert Case.objects.count() == 3
    # Logged-in residents are accountable for their reports: not throttled by the network.
    client.force_login(cw.erin)
    assert client.post(NEW, {"text": "我家楼下积水", "place": cw.building2.pk}).status_code == 302


def test_qr_poster_link_fills_in_the_place(cw, client):
    url = f"/r/p/{poster_token(cw.building1)}/"
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "金泰路社区 聚江苑 1栋" in body and "扫码自动填写" in body
    assert 'name="place"' not in body
    response = anonymous_post(client, url=url, text="1栋电梯又坏了，老人下不了楼")
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.channel, case.place, case.state) == (Channel.QR_POSTER, cw.building1, State.NEW)
    assert case.level_place == cw.grid1  # routed like any report from that building


@pytest.mark.parametrize("mutate", ["other-place", "bad-signature", "garbage"])
def test_forged_poster_token_is_not_found(cw, client, mutate):
    token = poster_token(cw.building1)
    value, signature = token.split(".", 1)
    forged = {
        "other-place": f"{cw.building2.pk}.{signature}",
        "bad-signature": f"{value}.{signature[:-2]}xx",
        "garbage": "hello",
    }[mutate]
    response = client.get(f"/r/p/{forged}/")
    assert response.status_code == 404
    assert "二维码无效或已停用" in response.content.decode()
    assert anonymous_post(client, url=f"/r/p/{forged}/").status_code == 404
    assert Case.objects.count() == 0


def test_anonymous_picks_the_community_first_and_htmx_swaps_the_place_picker(cw, client):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    other = place_create(by=SYSTEM, parent=cw.street, kind=PlaceKind.COMMUNITY, name="望江社区")
    far_estate = place_create(by=SYSTEM, parent=other, kind=PlaceKind.ESTATE, name="望江苑")
    page = client.get(NEW)
    assert "请先在上方选择您所在的社区" in page.content.decode()
    assert "请先选择您所在的社区" in anonymous_post(client).content.decode()

    partial = client.get(NEW, {"community": other.pk}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert body.strip().startswith('<div id="place-field">')
    assert f'<option value="{far_estate.pk}">望江苑</option>' in body and "聚江苑" not in body
    response = anonymous_post(client, community=other.pk, place=far_estate.pk)
    assert response.status_code == 302
    # A place of another community than the one posted is refused.
    wrong = anonymous_post(client, community=other.pk, place=cw.building1.pk, reporter_phone="13900004444")
    assert "请从列表中选择地点" in wrong.content.decode()
    assert Case.objects.get().place == far_estate


def test_resident_home_and_tab_bar_link_to_the_report_pages(cw, client):
    client.force_login(cw.erin)
    body = client.get("/me/").content.decode()
    # 我的 is the account page (account, household, reports, log out), not a second home page.
    assert 'id="me-account"' in body and 'id="me-reports"' in body and 'href="/r/new/">我要反映' in body
    tabbar = re.search(r'<nav class="m-tabbar">(.*?)</nav>', body, re.S).group(1)
    assert ">反映<" in tabbar and ">进度<" in tabbar
