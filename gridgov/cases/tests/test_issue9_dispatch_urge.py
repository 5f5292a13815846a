"""Issue 9: 交办 confirms the category like every other action; the dispatch service itself
refuses units that do not handle cases (not only the forms); the secretary's overdue tab says
who holds a department's late case and offers 催办 from the list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import as_, field_errors
from gridgov.audit.models import AuditEntry
from gridgov.cases.models import CaseEvent, EventKind, Level, State
from gridgov.cases.services import case_dispatch
from gridgov.notifications.models import Notification
from gridgov.orgs.models import OrgKind
from gridgov.orgs.services import organisation_create, organisation_update

REFUSED = "金泰路小学不承办事件，请选择部门、物业公司或已设为承办事件的单位"


# --- 3. 交办 confirms the category ------------------------------------------------------------


def test_dispatch_confirms_the_category_it_carries(cw, submit):
    case = submit()
    assert not case.category_confirmed  # a resident's report: the engine's suggestion
    case = case_dispatch(by=cw.carol, case=case, level=Level.COMMUNITY, note="社区协调")
    case.refresh_from_db()
    assert case.category_confirmed and case.category.code == "sanitation"
    entry = AuditEntry.objects.filter(changes__has_key="category_confirmed").latest("id")
    assert entry.changes["category_confirmed"] == [False, True]


def test_dispatch_page_and_api_confirm_the_category(cw, submit, client):
    case = submit()
    client.force_login(cw.carol)
    response = client.post(
        reverse("cases:act", args=[case.pk, "dispatch"]),
        {"level": "community", "handler_org": cw.chengguan.pk, "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.category_confirmed and case.handler_org == cw.chengguan
    page = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "尚未确认" not in page

    other = submit(text="1栋楼道的灯坏了好几天")
    response = as_(cw, "carol").post(f"/api/v1/cases/{other.pk}/dispatch", {"level": "community"})
    assert response.status_code == 200, response.content
    other.refresh_from_db()
    assert other.category_confirmed


def test_an_already_confirmed_category_is_not_confirmed_twice(cw, submit):
    case = submit(channel="hotline", by=cw.carol, category="sanitation", reporter_phone="")
    assert case.category_confirmed
    case_dispatch(by=cw.carol, case=case, level=Level.COMMUNITY)
    entry = AuditEntry.objects.filter(changes__has_key="handler").latest("id")
    assert "category_confirmed" not in entry.changes


# --- 4. the service refuses units that do not handle cases ----------------------------------


@pytest.fixture
def school(cw):
    return organisation_create(by=SYSTEM, kind=OrgKind.UNIT, name="金泰路小学", place=cw.community)


def test_dispatch_service_refuses_a_unit_that_does_not_handle_cases(cw, submit, school):
    case = submit()
    with pytest.raises(ValidationError) as refused:
        case_dispatch(by=cw.carol, case=case, handler_org=school)
    assert refused.value.message_dict == {"handler_org": [REFUSED]}
    case.refresh_from_db()
    assert case.handler_org is None and not case.category_confirmed  # nothing half-written
    # Flagged 承办事件 it may take cases; switched off again it may not.
    organisation_update(by=SYSTEM, organisation=school, handles_cases=True)
    school.refresh_from_db()
    case = case_dispatch(by=cw.carol, case=case, handler_org=school)
    assert case.handler_org == school
    organisation_update(by=SYSTEM, organisation=school, is_active=False, handles_cases=True)
    school.refresh_from_db()
    with pytest.raises(ValidationError):
        case_dispatch(by=cw.carol, case=submit(), handler_org=school)


def test_social_organisation_and_whistle_and_escalate_follow_the_same_rule(cw, submit):
    from gridgov.cases.services import case_accept, case_escalate, case_whistle

    troupe = organisation_create(by=SYSTEM, kind=OrgKind.SOCIAL, name="金泰欢越剧团", place=cw.community)
    case = case_dispatch(by=cw.carol, case=submit(), level=Level.COMMUNITY)
    with pytest.raises(ValidationError) as refused:
        case_whistle(
            by=cw.carol,
            case=case,
            organisations=[cw.chengguan, troupe],
            deadline=timezone.now() + dt.timedelta(days=1),
            note="请协助",
        )
    assert "金泰欢越剧团不承办事件" in str(refused.value)
    case = submit()
    case_accept(by=cw.alice, case=case)
    with pytest.raises(ValidationError) as refused:
        case_escalate(by=cw.alice, case=case, reason="需要协调", organisation=troupe)
    assert "金泰欢越剧团不承办事件" in str(refused.value)


def test_dispatch_api_refuses_a_unit_that_does_not_handle_cases(cw, submit, school):
    case = submit()
    response = as_(cw, "carol").post(f"/api/v1/cases/{case.pk}/dispatch", {"handler_org": school.pk})
    assert response.status_code == 400, response.content
    assert field_errors(response) == {"handler_org": REFUSED}
    # A unit out of reach reads as not found, whatever it is.
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    elsewhere = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="别的街道")
    far = organisation_create(by=SYSTEM, kind=OrgKind.DEPARTMENT, name="别处的城管", place=elsewhere)
    response = as_(cw, "carol").post(f"/api/v1/cases/{case.pk}/dispatch", {"handler_org": far.pk})
    assert response.status_code == 400
    assert field_errors(response) == {"handler_org": "单位不存在或不在您的辖区"}
    case.refresh_from_db()
    assert case.handler_org is None


def test_dispatch_form_refuses_a_unit_that_does_not_handle_cases(cw, submit, client, school):
    case = submit()
    client.force_login(cw.carol)
    response = client.post(
        reverse("cases:act", args=[case.pk, "dispatch"]), {"level": "community", "handler_org": school.pk}
    )
    assert response.status_code == 400
    assert "单位不存在或不在您的辖区" in response.content.decode()
    case.refresh_from_db()
    assert case.handler_org is None and case.state == State.NEW and not case.category_confirmed


def test_routing_rules_refuse_a_unit_that_does_not_handle_cases(cw, school):
    from gridgov.cases.services import routing_rule_create

    with pytest.raises(ValidationError) as refused:
        routing_rule_create(
            by=cw.admin,
            category=cw.sanitation,
            place=cw.community,
            level=Level.DEPARTMENT,
            organisation=school,
        )
    assert refused.value.message_dict == {"organisation": [REFUSED]}


# --- 5. 催办 from the secretary's overdue tab --------------------------------------------------


def _late_department_case(cw, submit):
    """A street-vending report routed to 城管, 40 days past its deadline, never accepted."""
    return submit(
        text="聚江苑东门外每天傍晚有人摆摊卖菜，把人行道全占了",
        category="order",
        place=cw.estate1,
        now=timezone.now() - dt.timedelta(days=40),
    )


def test_overdue_tab_shows_who_holds_a_department_case_and_offers_urge(cw, submit, client):
    case = _late_department_case(cw, submit)
    assert case.level == Level.DEPARTMENT and case.handler_org == cw.chengguan
    client.force_login(cw.carol)
    page = client.get(reverse("cases:workbench"), {"tab": "overdue"}).text
    assert case.tracking_code in page
    holder = page[page.index('class="cs-holder"') :]
    holder = holder[: holder.index("</div>")]
    assert "城管执法中队" in holder and "未受理" in holder
    assert f'action="{reverse("cases:act", args=[case.pk, "urge"])}"' in page

    before = Notification.objects.count()
    response = client.post(reverse("cases:act", args=[case.pk, "urge"]), {"back": "overdue", "note": ""})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('cases:workbench')}?tab=overdue"
    urged = CaseEvent.objects.get(case=case, kind=EventKind.URGED)
    assert urged.actor == cw.carol and "chen" in urged.note
    told = set(Notification.objects.filter(pk__gt=before).values_list("recipient__username", flat=True))
    assert "chen" in told
    page = client.get(f"{reverse('cases:workbench')}?tab=overdue").text
    assert f"{case.tracking_code}：已催办" in page


def test_overdue_tab_offers_no_urge_on_a_case_in_the_viewers_own_hands(cw, submit, client):
    late = submit(now=timezone.now() - dt.timedelta(days=3))  # grid 1's pool
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench"), {"tab": "overdue"}).text
    assert late.tracking_code in page and "cs-holder" in page
    assert reverse("cases:act", args=[late.pk, "urge"]) not in page
    response = client.post(reverse("cases:act", args=[late.pk, "urge"]), {"back": "overdue"})
    assert response.status_code == 403
    assert not CaseEvent.objects.filter(case=late, kind=EventKind.URGED).exists()


def test_urge_out_of_scope_is_not_found(cw, submit, client):
    case = submit(place=cw.building2, now=timezone.now() - dt.timedelta(days=3))
    client.force_login(cw.alice)
    response = client.post(reverse("cases:act", args=[case.pk, "urge"]), {"back": "overdue"})
    assert response.status_code == 404


@pytest.mark.parametrize("rows", [5, 50])
def test_overdue_tab_costs_the_same_queries_for_5_and_50_cases(
    cw, submit, client, rows, django_assert_max_num_queries
):
    for index in range(rows):
        submit(
            text=f"聚江苑东门外有人摆摊卖菜（第{index}件）",
            category="order",
            place=cw.estate1,
            now=timezone.now() - dt.timedelta(days=10),
        )
    client.force_login(cw.carol)
    client.get("/cases/")
    with django_assert_max_num_queries(15):  # 11 at both sizes: 催办's rule runs without a query per row
        response = client.get("/cases/?tab=overdue")
    page = response.content.decode()
    from gridgov.cases.views._common import PAGE_SIZE

    assert page.count('class="cs-urge-form"') == 2 * min(rows, PAGE_SIZE)  # card and table row
