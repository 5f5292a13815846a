"""QR posters /r/posters/: staff with cases.intake or places.manage print A4 posters whose QR code
carries a signed link to the report page for that place; nothing outside their scope."""

from __future__ import annotations

import re

import segno

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.views_public import poster_token


def qr_for(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#111827", omitsize=True)


def test_poster_renders_the_qr_of_the_signed_report_url(cw, client, settings):
    client.force_login(cw.alice)
    response = client.get(f"/r/posters/{cw.building1.pk}/")
    body = response.content.decode()
    url = f"http://testserver/r/p/{poster_token(cw.building1)}/"
    assert response.status_code == 200
    assert "@page { size: A4 portrait" in body
    assert qr_for(url) in body and url in body
    assert "扫一扫，反映身边事" in body and "聚江苑 1栋" in body and "金泰路社区" in body
    assert "服务热线 <b>12345</b>" in body
    # The link in the code opens the report page for that building.
    opened = client.get(url.removeprefix("http://testserver"))
    assert opened.status_code == 200 and "金泰路社区 聚江苑 1栋" in opened.content.decode()

    settings.GRIDGOV_PUBLIC_URL = "https://grid.example.gov.cn/"
    # The hotline is the community's setting (issue 9, defect 15), not a URL parameter.
    from gridgov.accounts.scope import SYSTEM
    from gridgov.places.services import place_update

    place_update(by=SYSTEM, place=cw.community, hotline="0731-88886666")
    public = client.get(f"/r/posters/{cw.building1.pk}/").content.decode()
    public_url = f"https://grid.example.gov.cn/r/p/{poster_token(cw.building1)}/"
    assert qr_for(public_url) in public and "服务热线 <b>0731-88886666</b>" in public
    junk = client.get(f"/r/posters/{cw.building1.pk}/", {"hotline": "<script>"}).content.decode()
    assert "<script>" not in junk.split("<body>", 1)[1].split('<div class="toolbar">')[0]
    assert "服务热线 <b>0731-88886666</b>" in junk


def test_estate_gate_and_all_buildings_one_per_page(cw, client):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    place_create(by=SYSTEM, parent=cw.estate1, kind=PlaceKind.BUILDING, name="2栋")
    client.force_login(cw.carol)
    gate = client.get(f"/r/posters/{cw.estate1.pk}/").content.decode()
    assert '<span class="kind">小区大门</span>' in gate and gate.count('<section class="poster"') == 1
    batch = client.get(f"/r/posters/{cw.estate1.pk}/buildings/").content.decode()
    assert batch.count('<section class="poster"') == 2
    assert "page-break-after: always" in batch and "聚江苑 1栋" in batch and "聚江苑 2栋" in batch
    assert client.get(f"/r/posters/{cw.building1.pk}/buildings/").status_code == 404
    assert client.get(f"/r/posters/{cw.grid1.pk}/").status_code == 404


def test_poster_list_shows_only_places_in_scope(cw, client):
    client.force_login(cw.carol)
    body = client.get("/r/posters/").content.decode()
    assert "聚江苑" in body and "鸿江苑" in body
    assert f'href="/r/posters/{cw.building2.pk}/"' in body
    assert f'href="/r/posters/{cw.estate1.pk}/buildings/"' in body

    client.force_login(cw.alice)
    body = client.get("/r/posters/").content.decode()
    assert f'href="/r/posters/{cw.building1.pk}/"' in body
    assert "鸿江苑" not in body and f'href="/r/posters/{cw.building2.pk}/"' not in body

    # A building head sees her building, not the estate's gate poster.
    client.force_login(cw.bea)
    body = client.get("/r/posters/").content.decode()
    assert f'href="/r/posters/{cw.building1.pk}/"' in body
    assert f'href="/r/posters/{cw.estate1.pk}/"' not in body
    assert client.get(f"/r/posters/{cw.estate1.pk}/").status_code == 404


def test_out_of_scope_poster_is_not_found(cw, client):
    client.force_login(cw.alice)
    assert client.get(f"/r/posters/{cw.building2.pk}/").status_code == 404
    assert client.get(f"/r/posters/{cw.estate2.pk}/buildings/").status_code == 404
    assert client.get("/r/posters/999999/").status_code == 404
    client.force_login(cw.erin)
    assert client.get("/r/posters/").status_code == 403
    assert client.get(f"/r/posters/{cw.building2.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/r/posters/{cw.building1.pk}/")["Location"].startswith("/accounts/login/")


def test_place_page_links_to_the_poster(cw, client):
    client.force_login(cw.carol)
    body = client.get(f"/places/{cw.estate1.pk}/").content.decode()
    assert f'href="/r/posters/{cw.estate1.pk}/"' in body
    assert f'href="/r/posters/{cw.estate1.pk}/buildings/"' in body
    grid = client.get(f"/places/{cw.grid1.pk}/").content.decode()
    assert not re.search(r'href="/r/posters/\d+/"', grid)
