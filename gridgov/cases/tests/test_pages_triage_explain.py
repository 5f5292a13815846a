"""The triage explanation page: why a text got its category and urgency, and a rule change tried
on the user's past cases without saving it (holders of triage.configure only)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.triage.models import TriageRule

URL = "cases:triage_explain"
LIFT_TEXT = "电梯困人了，有人被关在里面"
QUERY_BUDGET = 7  # 6 measured, whatever the number of cases


@pytest.fixture
def gina(cw):
    """A street administrator for grid 1 only: triage.configure, but grid 2's cases unseen."""
    from gridgov.accounts.models import Role
    from gridgov.accounts.services import role_grant, user_create

    user = user_create(by=SYSTEM, username="gina", password=cw.password, display_name="gina", validate=False)
    role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="street_admin"), place=cw.grid1)
    return user


def hotline(submit, cw, text: str, *, place=None, category: str = "facility", days_ago: int = 0):
    return submit(
        by=cw.carol,
        channel="hotline",
        reporter_phone="",
        text=text,
        category=category,
        place=place or cw.building1,
        now=timezone.now() - dt.timedelta(days=days_ago),
    )


def preview_data(**overrides):
    data = {"action": "add", "target": "order", "kind": "phrase", "text": "减速带", "weight": "10", "months": "3"}
    data.update(overrides)
    return data


def listed_cases(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-case="(\d+)">', page)]


def test_grid_worker_is_refused(client, cw):
    client.force_login(cw.alice)
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), preview_data()).status_code == 403


def test_configurers_may_open_it(client, cw):
    for user in (cw.admin, cw.sam):
        client.force_login(user)
        response = client.get(reverse(URL))
        assert response.status_code == 200
        assert "试算规则修改" in response.text


def test_explains_an_obvious_urgent_text(client, cw):
    client.force_login(cw.sam)
    response = client.get(reverse(URL), {"text": LIFT_TEXT})
    assert response.status_code == 200
    page = response.text
    assert 'data-explain="urgency">紧急<' in page
    assert 'id="explain-concepts"' in page  # a concept group (被困 …) fired
    assert 'id="explain-why"' in page and "紧急：" in page


def test_case_page_links_to_the_explanation_for_configurers_only(client, cw, submit):
    case = hotline(submit, cw, LIFT_TEXT)
    link = f"{reverse(URL)}?case={case.pk}"
    client.force_login(cw.sam)
    assert link in client.get(reverse("cases:detail", args=[case.pk])).text
    response = client.get(link)
    assert response.status_code == 200
    assert case.tracking_code in response.text and 'id="explanation"' in response.text
    client.force_login(cw.alice)
    assert link not in client.get(reverse("cases:detail", args=[case.pk])).text


def test_a_case_outside_the_scope_cannot_be_explained(client, cw, submit, gina):
    elsewhere = hotline(submit, cw, LIFT_TEXT, place=cw.building2)
    client.force_login(gina)
    assert client.get(reverse(URL), {"case": elsewhere.pk}).status_code == 404


def test_preview_counts_a_reclassified_case_and_saves_nothing(client, cw, submit):
    bump = hotline(submit, cw, "小区门口的减速带坏了，车开过去很颠")
    hotline(submit, cw, "1栋门口的垃圾好几天没人清运", category="sanitation")
    rules = TriageRule.objects.count()
    client.force_login(cw.sam)
    response = client.post(reverse(URL), preview_data())
    assert response.status_code == 200, response.text
    page = response.text
    assert "此修改将改变" in page
    assert re.search(r'data-preview="reclassified">1<', page)
    assert listed_cases(page) == [bump.pk]
    assert bump.tracking_code in page and "→ 市容秩序" in page
    assert TriageRule.objects.count() == rules


def test_preview_leaves_out_old_cases(client, cw, submit):
    hotline(submit, cw, "小区门口的减速带坏了", days_ago=120)
    client.force_login(cw.sam)
    page = client.post(reverse(URL), preview_data(months="3")).text
    assert re.search(r'data-preview="reclassified">0<', page)
    page = client.post(reverse(URL), preview_data(months="6")).text
    assert re.search(r'data-preview="reclassified">1<', page)


def test_preview_never_lists_a_case_outside_the_scope(client, cw, submit, gina):
    mine = hotline(submit, cw, "聚江苑门口的减速带坏了")
    theirs = hotline(submit, cw, "鸿江苑门口的减速带坏了", place=cw.building2)
    client.force_login(gina)
    page = client.post(reverse(URL), preview_data()).text
    assert listed_cases(page) == [mine.pk]
    assert theirs.tracking_code not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"weight": "11"}, "权重", "权重不能大于 10"),
        ({"weight": "0"}, "权重", "权重不能为 0"),
        ({"months": "0"}, "最近几个月", "最近几个月不能小于1"),
        ({"months": "25"}, "最近几个月", "最近几个月不能大于24"),
        ({"text": ""}, "短语/关键词", "请填写短语/关键词"),
        ({"text": "很" * 41}, "短语/关键词", "短语/关键词不能超过40个字"),
        ({"target": "nowhere"}, "目标", "目标的取值无效"),
        ({"action": "update", "new_weight": "3"}, "短语/关键词", "没有这条规则"),
    ],
)
def test_bad_preview_input_is_refused_in_chinese(client, cw, overrides, field, message):
    client.force_login(cw.sam)
    response = client.post(reverse(URL), preview_data(**overrides))
    assert response.status_code == 400
    assert f"{field}：" in response.text and message in response.text
    assert "此修改将改变" not in response.text


def test_empty_explain_text_is_refused(client, cw):
    client.force_login(cw.sam)
    response = client.get(reverse(URL), {"text": ""})
    assert response.status_code == 400
    assert "事件内容：请填写事件内容" in response.text


def test_control_characters_are_refused(client, cw):
    client.force_login(cw.sam)
    response = client.post(reverse(URL), preview_data(text="减速\u202e带"))
    assert response.status_code == 400
    assert "短语/关键词：" in response.text


@pytest.mark.parametrize("n", [5, 50])
def test_preview_queries_do_not_grow_with_the_cases(client, cw, submit, n, django_assert_max_num_queries):
    for i in range(n):
        hotline(submit, cw, f"第{i}号楼门口的减速带坏了")
    client.force_login(cw.sam)
    # Session, user, scope, the active rules, the model check and one query for the cases.
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.post(reverse(URL), preview_data())
    assert re.search(rf'data-preview="reclassified">{n}<', response.text)
