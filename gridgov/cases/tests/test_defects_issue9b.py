"""Issue 9 defects in the case pages owned by helper 9B: handling units, posters, the 吹哨 form,
the category tree, the favicon, the resident's list."""

from __future__ import annotations

from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.orgs.models import OrgKind
from gridgov.orgs.services import organisation_create, organisation_update


def test_defect_10_dispatch_and_whistle_offer_only_units_that_handle_cases(cw, submit, client):
    from gridgov.cases.selectors import dispatch_targets

    troupe = organisation_create(by=SYSTEM, kind=OrgKind.SOCIAL, name="金泰欢越剧团", place=cw.community)
    school = organisation_create(by=SYSTEM, kind=OrgKind.UNIT, name="金泰路小学", place=cw.community)
    operator = organisation_create(by=SYSTEM, kind=OrgKind.UNIT, name="世纪城商业管理有限公司", place=cw.community)
    organisation_update(by=SYSTEM, organisation=operator, handles_cases=True)
    case = submit()
    offered = {o.name for o in dispatch_targets(cw.carol, case)["organisations"]}
    assert {"城管执法中队", "芙蓉北路派出所", "聚江苑物业", "世纪城商业管理有限公司"} <= offered
    assert troupe.name not in offered and school.name not in offered

    from gridgov.cases.views.case_page import ACTIONS

    for action in ("whistle", "escalate"):
        form = ACTIONS[action].form(cw.carol, case)
        field = form.fields["organisations" if action == "whistle" else "organisation"]
        names = {o.name for o in field.queryset}
        assert "城管执法中队" in names and "世纪城商业管理有限公司" in names
        assert "金泰欢越剧团" not in names and "金泰路小学" not in names


def test_defect_10_a_school_cannot_be_called_in_by_a_forged_whistle(cw, submit):
    school = organisation_create(by=SYSTEM, kind=OrgKind.UNIT, name="金泰路小学", place=cw.community)
    case = submit()
    from gridgov.cases.views.case_page import ACTIONS

    form = ACTIONS["whistle"].form(
        cw.carol, case, {"organisations": [school.pk], "deadline": "2030-01-01T10:00", "note": "请协助"}
    )
    assert not form.is_valid()
    assert form.errors["organisations"] == ["单位不存在或不在您的辖区"]


def _building_head(cw):
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create

    user = user_create(by=SYSTEM, username="louzhang", password=cw.password, validate=False)
    role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="building_head"), place=cw.building1)
    return user


def test_defect_01_building_head_prints_all_building_posters_of_the_estate(cw, client):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    other = place_create(by=SYSTEM, parent=cw.estate1, kind=PlaceKind.BUILDING, name="2栋")
    client.force_login(_building_head(cw))
    listing = client.get(reverse("report:posters")).text
    link = reverse("report:poster_buildings", args=[cw.estate1.pk])
    assert link in listing
    response = client.get(link)
    assert response.status_code == 200
    page = response.text
    assert f'data-place="{cw.building1.pk}"' in page
    # Only the buildings in the building head's care, not the rest of the estate.
    assert f'data-place="{other.pk}"' not in page
    # An estate where the user holds nothing stays not found.
    assert client.get(reverse("report:poster_buildings", args=[cw.estate2.pk])).status_code == 404


def test_defect_15_poster_hotline_is_the_communitys_setting(cw, client, settings):
    from gridgov.places.services import place_update

    settings.GRIDGOV_PUBLIC_URL = "https://gridgov.example.cn"
    client.force_login(cw.carol)
    url = reverse("report:poster", args=[cw.building1.pk])
    assert f"<b>{settings.GRIDGOV_REPORT_HOTLINE}</b>" in client.get(url).text
    place_update(by=cw.carol, place=cw.community, hotline="0731-84500000")
    page = client.get(url).text
    assert "服务热线 <b>0731-84500000</b>" in page
    # Reopened without any parameter it is still there; the URL parameter no longer rules.
    assert "0731-84500000" in client.get(url, {"hotline": "110"}).text
    assert 'id="public-url-warning"' not in page


def test_defect_15_hotline_edited_on_the_community_page(cw, client):
    client.force_login(cw.carol)
    response = client.post(
        reverse("places:edit", args=[cw.community.pk]), {"name": cw.community.name, "hotline": "电话"}
    )
    assert response.status_code == 400
    assert "服务热线只能包含数字" in response.text
    response = client.post(
        reverse("places:edit", args=[cw.community.pk]), {"name": cw.community.name, "hotline": "0731-84500000"}
    )
    assert response.status_code == 302
    cw.community.refresh_from_db()
    assert cw.community.hotline == "0731-84500000"


def test_defect_15_print_page_warns_when_the_public_url_is_unset(cw, client, settings):
    settings.GRIDGOV_PUBLIC_URL = ""
    client.force_login(cw.carol)
    page = client.get(reverse("report:poster", args=[cw.building1.pk])).text
    assert 'id="public-url-warning"' in page
    assert "GRIDGOV_PUBLIC_URL" in page and "http://testserver" in page


def test_defect_13_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (200, 301, 302)
    if response.status_code != 200:
        response = client.get(response["Location"])
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon", "image/png", "image/svg+xml")


def test_defect_11_my_reports_show_the_short_address(cw, submit, client):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    unit = place_create(by=SYSTEM, parent=cw.building2, kind=PlaceKind.UNIT, name="1单元")
    submit(by=cw.erin, place=unit, reporter_phone="")
    client.force_login(cw.erin)
    page = client.get(reverse("report:mine")).text
    assert "鸿江苑 8栋 1单元" in page


def test_defect_13_whistle_error_on_top_and_the_address_is_a_page(cw, submit, client):
    from gridgov.cases.models import CaseCall
    from gridgov.cases.services import case_accept, case_escalate

    case = submit()
    case_accept(by=cw.alice, case=case)
    case_escalate(by=cw.alice, case=case, reason="需要社区协调")
    client.force_login(cw.carol)
    # The case page's form posts to the action URL: a mistake comes back as a redirect (303) to
    # the 吹哨 page, so the address bar never keeps the POST-only URL.
    response = client.post(
        reverse("cases:act", args=[case.pk, "whistle"]), {"deadline": "2030-01-01T10:00", "note": "请协助"}
    )
    assert response.status_code == 303
    assert response["Location"] == reverse("cases:whistle", args=[case.pk])
    page = client.get(response["Location"]).text
    summary = page.index('id="whistle-errors"')
    assert "请选择要呼叫的部门" in page[summary : summary + 400]
    # The summary sits above the checkboxes, and the field's own message is above them too.
    assert summary < page.index('type="checkbox"')
    assert page.index("呼叫部门：请选择要呼叫的部门") < page.index('type="checkbox"')
    # What was typed is still there; reloading shows a clean form, not a resubmission.
    assert "请协助" in page
    assert 'id="whistle-errors"' not in client.get(reverse("cases:whistle", args=[case.pk])).text

    response = client.post(
        reverse("cases:whistle", args=[case.pk]),
        {"organisations": [cw.chengguan.pk], "deadline": "2030-01-01T10:00", "note": "请协助"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert CaseCall.objects.filter(case=case, organisation=cw.chengguan).exists()


def test_defect_13_whistle_page_out_of_scope_is_not_found(cw, submit, client):
    case = submit(place=cw.building2)
    client.force_login(cw.alice)  # grid 1's worker: building 2 is in grid 2
    assert client.get(reverse("cases:whistle", args=[case.pk])).status_code == 404
    assert client.post(reverse("cases:whistle", args=[case.pk]), {}).status_code == 404


def test_defect_08_config_category_inputs_sit_under_their_headings(cw, client):
    import re

    client.force_login(cw.admin)
    page = client.get(reverse("cases:config")).text
    table = page[page.index("分类与子分类") :]
    table = table[: table.index("</table>")]
    assert 'colspan="5"' not in table
    header = re.findall(r"<th[^>]*>(.*?)</th>", table[: table.index("</thead>")])
    first_row = table[table.index('<tr id="cat-') :]
    first_row = first_row[: first_row.index("</tr>")]
    # One cell per heading, each input tied to its row's form.
    assert len(re.findall(r"<td", first_row)) == len(header)
    assert first_row.count('form="catform-') == 4
