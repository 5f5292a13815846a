"""Who may open which registry page: each page × persona, inside and outside the scope."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry

MISSING = 999_999
ZHANG_ID = "430102195001010018"
ZHANG_PHONE = "13812345678"


def _without_csrf(content: bytes) -> bytes:
    # The masked CSRF token differs on every render; everything else must be identical.
    return re.sub(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*"', rb"\1", content)


def _membership(world, resident):
    return resident.memberships.get(moved_out__isnull=True)


def _urls(world, who: str) -> dict[str, str]:
    """GET pages about one resident (`zhang` in grid 1 or `li` in grid 2) and their household."""
    resident = getattr(world, who)
    household = world.household1 if who == "zhang" else world.household2
    return {
        "detail": reverse("people:detail", args=[resident.pk]),
        "edit": reverse("people:edit", args=[resident.pk]),
        "card": reverse("people:card", args=[resident.pk]),
        "household": reverse("people:household", args=[household.pk]),
        "household_register": reverse("people:household_register", args=[household.pk]),
        "household_move_in": reverse("people:household_move_in", args=[household.pk]),
        "household_edit": reverse("people:household_edit", args=[household.pk]),
        "floating_newcomer": reverse("people:floating_register") + f"?household={household.pk}",
        "floating_existing": reverse("people:floating_register") + f"?resident={resident.pk}",
    }


def _missing_urls() -> dict[str, str]:
    return {
        "detail": reverse("people:detail", args=[MISSING]),
        "edit": reverse("people:edit", args=[MISSING]),
        "card": reverse("people:card", args=[MISSING]),
        "household": reverse("people:household", args=[MISSING]),
        "household_register": reverse("people:household_register", args=[MISSING]),
        "household_move_in": reverse("people:household_move_in", args=[MISSING]),
        "household_edit": reverse("people:household_edit", args=[MISSING]),
        "floating_newcomer": reverse("people:floating_register") + f"?household={MISSING}",
        "floating_existing": reverse("people:floating_register") + f"?resident={MISSING}",
    }


PAGES = [
    "detail",
    "edit",
    "card",
    "household",
    "household_register",
    "household_move_in",
    "household_edit",
    "floating_newcomer",
    "floating_existing",
]


@pytest.mark.parametrize("page", PAGES)
def test_alice_in_grid1_sees_zhang_and_gets_the_same_404_for_li_as_for_a_missing_id(client, world, page):
    client.force_login(world.alice)
    assert client.get(_urls(world, "zhang")[page]).status_code == 200
    outside = client.get(_urls(world, "li")[page])
    missing = client.get(_missing_urls()[page])
    assert outside.status_code == missing.status_code == 404
    assert _without_csrf(outside.content) == _without_csrf(missing.content)
    assert "记录不存在或无权访问" in outside.text


@pytest.mark.parametrize("page", PAGES)
def test_carol_the_community_secretary_sees_both_grids(client, world, page):
    client.force_login(world.carol)
    assert client.get(_urls(world, "zhang")[page]).status_code == 200
    assert client.get(_urls(world, "li")[page]).status_code == 200


@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("detail", 200),
        ("card", 200),
        ("household", 200),
        ("edit", 403),
        ("household_register", 403),
        ("household_move_in", 403),
        ("household_edit", 403),
        ("floating_newcomer", 403),
        ("floating_existing", 403),
    ],
)
def test_dave_the_volunteer_reads_but_may_not_write(client, world, page, status):
    client.force_login(world.dave)
    assert client.get(_urls(world, "zhang")[page]).status_code == status
    assert client.get(_urls(world, "li")[page]).status_code == 404


@pytest.mark.parametrize(
    ("page", "own", "other"),
    [
        ("detail", 200, 404),
        ("card", 200, 404),
        ("household", 200, 404),
        ("edit", 403, 404),
        ("household_register", 403, 404),
        ("household_edit", 403, 404),
        ("floating_newcomer", 403, 403),
    ],
)
def test_erin_the_resident_sees_her_own_household_only(client, world, page, own, other):
    client.force_login(world.erin)
    assert client.get(_urls(world, "li")[page]).status_code == own
    assert client.get(_urls(world, "zhang")[page]).status_code == other


def test_erin_sees_neither_staff_lists_nor_other_households(client, world):
    client.force_login(world.erin)
    assert client.get(reverse("people:floating")).status_code == 403
    assert client.get(reverse("people:scan")).status_code == 403
    page = client.get(reverse("people:search"))
    assert "李秀英" in page.text and "张建国" not in page.text
    assert "张建国" not in client.get(reverse("people:search"), {"q": "101"}).text


def test_erin_sees_her_own_card_but_not_a_relative_s(client, world):
    from gridgov.people.models import Relation
    from gridgov.people.services import resident_create

    son = resident_create(by=SYSTEM, name="李小军", household=world.household2, relation=Relation.CHILD)
    client.force_login(world.erin)
    # A relative is a name and a relation on the household page, not a card she can open.
    assert client.get(reverse("people:detail", args=[son.pk])).status_code == 404
    assert client.get(reverse("people:card", args=[son.pk])).status_code == 404
    assert client.get(reverse("people:card", args=[world.li.pk])).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "people:search",
        "people:floating",
        "people:floating_register",
        "people:scan",
    ],
)
def test_anonymous_lists_redirect_to_login(client, world, url):
    response = client.get(reverse(url))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_pages_redirect_to_login(client, world, page):
    response = client.get(_urls(world, "zhang")[page])
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_anonymous_posts_redirect_to_login_and_write_nothing(client, world):
    before = AuditEntry.objects.count()
    response = client.post(reverse("people:reveal", args=[world.zhang.pk]), {"purpose": "核对"})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert AuditEntry.objects.count() == before


def test_search_is_scoped_per_persona(client, world):
    url = reverse("people:search")
    client.force_login(world.alice)
    page = client.get(url).text
    assert "张建国" in page and "李秀英" not in page
    # Even an exact ID number of someone outside the scope finds nothing.
    assert "李秀英" not in client.get(url, {"q": "430102198002020027"}).text
    client.force_login(world.carol)
    page = client.get(url).text
    assert "张建国" in page and "李秀英" in page


def test_search_shows_masked_numbers_age_address_and_tags(client, world):
    from gridgov.people.models import Tag
    from gridgov.people.services import resident_set_tags

    resident_set_tags(by=SYSTEM, resident=world.zhang, tags=[Tag.objects.get(code="veteran")])
    client.force_login(world.alice)
    page = client.get(reverse("people:search"), {"q": "zjg"}).text
    assert "**************0018" in page and "*******5678" in page
    assert ZHANG_ID not in page and ZHANG_PHONE not in page
    assert world.household1.address in page
    assert "退役军人" in page
    assert f"<td data-label=\"年龄\" class=\"num\">{world.zhang.age()}</td>" in page


def test_search_filters_by_tag_status_and_place(client, world):
    from gridgov.people.models import Tag
    from gridgov.people.services import resident_set_tags

    resident_set_tags(by=SYSTEM, resident=world.li, tags=[Tag.objects.get(code="disabled")])
    client.force_login(world.carol)
    url = reverse("people:search")
    page = client.get(url, {"tag": "disabled"}).text
    assert "李秀英" in page and "张建国" not in page
    page = client.get(url, {"place": world.grid1.pk}).text
    assert "张建国" in page and "李秀英" not in page
    page = client.get(url, {"status": "floating"}).text
    assert "张建国" not in page and "李秀英" not in page
    assert "没有找到符合条件的居民" in page


def test_search_place_outside_scope_is_a_named_error(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("people:search"), {"place": world.grid2.pk}).text
    assert "范围：所选范围不存在或无权访问" in page
    assert "张建国" not in page


def test_search_finds_household_by_room_number(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("people:search"), {"q": "101"}).text
    assert reverse("people:household", args=[world.household1.pk]) in page
    assert "张建国" in page


def test_search_paginates(client, world):
    from gridgov.people.models import Relation
    from gridgov.people.services import resident_create

    for n in range(21):
        resident_create(by=SYSTEM, name=f"王{n}号", household=world.household1, relation=Relation.OTHER)
    client.force_login(world.alice)
    first = client.get(reverse("people:search"))
    assert "第 1 / 2 页，共 22 条" in first.text
    second = client.get(reverse("people:search"), {"page": 2})
    assert "第 2 / 2 页" in second.text


def test_dave_sees_masked_data_and_no_reveal_button(client, world):
    client.force_login(world.dave)
    page = client.get(reverse("people:detail", args=[world.zhang.pk])).text
    assert "**************0018" in page and "*******5678" in page
    assert ZHANG_ID not in page and ZHANG_PHONE not in page
    assert "显示完整信息" not in page
    assert "修改信息" not in page and "修改标签" not in page


def test_frank_the_grid_head_sees_the_reveal_button_but_not_the_plaintext(client, world):
    client.force_login(world.frank)
    page = client.get(reverse("people:detail", args=[world.zhang.pk])).text
    assert "显示完整信息" in page
    assert ZHANG_ID not in page and ZHANG_PHONE not in page


@pytest.mark.parametrize("persona", ["dave", "alice"])
def test_reveal_without_the_pii_capability_is_403_and_audits_nothing(client, world, persona):
    client.force_login(getattr(world, persona))
    before = AuditEntry.objects.filter(action=AuditAction.VIEW_PII).count()
    response = client.post(reverse("people:reveal", args=[world.zhang.pk]), {"purpose": "核对身份"})
    assert response.status_code == 403
    assert ZHANG_ID not in response.text
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_PII).count() == before


def test_reveal_outside_the_scope_is_404(client, world):
    client.force_login(world.frank)
    response = client.post(reverse("people:reveal", args=[world.li.pk]), {"purpose": "核对身份"})
    missing = client.post(reverse("people:reveal", args=[MISSING]), {"purpose": "核对身份"})
    assert response.status_code == missing.status_code == 404


def test_reveal_by_htmx_shows_plaintext_and_audits_the_purpose(client, world):
    client.force_login(world.frank)
    response = client.post(
        reverse("people:reveal", args=[world.zhang.pk]), {"purpose": "办理低保复核"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert ZHANG_ID in response.text and ZHANG_PHONE in response.text
    assert "<html" not in response.text  # a fragment for htmx to swap in
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW_PII).get()
    assert entry.purpose == "办理低保复核"
    assert entry.actor == world.frank
    assert entry.target_id == str(world.zhang.pk)
    # The next ordinary visit is masked again.
    page = client.get(reverse("people:detail", args=[world.zhang.pk])).text
    assert ZHANG_ID not in page


def test_reveal_without_js_renders_the_whole_page(client, world):
    client.force_login(world.carol)
    response = client.post(reverse("people:reveal", args=[world.li.pk]), {"purpose": "上门核实"})
    assert response.status_code == 200
    assert "430102198002020027" in response.text and "<html" in response.text


def test_reveal_without_a_purpose_shows_the_message_and_audits_nothing(client, world):
    client.force_login(world.frank)
    response = client.post(
        reverse("people:reveal", args=[world.zhang.pk]), {"purpose": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "查看用途：请填写查看用途" in response.text
    assert ZHANG_ID not in response.text
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW_PII).exists()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("people:tags", lambda w: [w.li.pk]),
        ("people:household_move_out", lambda w: [w.household2.pk, _membership(w, w.li).pk]),
        ("people:floating_deregister", lambda w: [MISSING]),
    ],
)
def test_posts_outside_the_scope_are_404(client, world, name, args):
    client.force_login(world.alice)
    response = client.post(reverse(name, args=args(world)), {"reason": "x", "moved_out": "2024-01-01"})
    assert response.status_code == 404


def test_dave_may_not_post_tags_or_move_out(client, world):
    client.force_login(world.dave)
    membership = _membership(world, world.zhang)
    assert client.post(reverse("people:tags", args=[world.zhang.pk]), {"tags": ["veteran"]}).status_code == 403
    response = client.post(
        reverse("people:household_move_out", args=[world.household1.pk, membership.pk]),
        {"moved_out": "2024-01-01", "reason": "搬走"},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.moved_out is None


def test_household_page_shows_members_history_and_actions_for_editors(client, world):
    from gridgov.people.services import resident_move_out

    resident_move_out(by=SYSTEM, membership=_membership(world, world.zhang), reason="搬离本社区")
    client.force_login(world.alice)
    page = client.get(reverse("people:household", args=[world.household1.pk])).text
    assert "历史成员" in page and "搬离本社区" in page
    assert "登记新成员" in page and "迁入已有居民" in page and "登记流动人口" in page
    client.force_login(world.dave)
    page = client.get(reverse("people:household", args=[world.household1.pk])).text
    assert "登记新成员" not in page and "迁入已有居民" not in page


def test_erin_sees_her_household_masked_and_without_actions(client, world):
    client.force_login(world.erin)
    page = client.get(reverse("people:household", args=[world.household2.pk])).text
    assert "李秀英" in page and "*******4321" in page and "13987654321" not in page
    assert "登记新成员" not in page and "修改户信息" not in page
