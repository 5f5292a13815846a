"""Floating population pages: the list with its reminder window, registration and deregistration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.core.validation import id_check_char
from gridgov.people.models import FloatingRegistration, Membership, ResidenceStatus, Resident
from gridgov.people.services import floating_register

NEWCOMER_ID = "43052419950612002" + id_check_char("43052419950612002")


def _counts() -> tuple[int, int, int, int]:
    return (
        Resident.objects.count(),
        Membership.objects.count(),
        FloatingRegistration.objects.count(),
        AuditEntry.objects.count(),
    )


def _newcomer(client, world, **overrides):
    data = {
        "name": "赵打工",
        "id_number": NEWCOMER_ID,
        "phone": "15800001234",
        "gender": "",
        "birth_date": "",
        "ethnicity": "汉族",
        "political_status": "masses",
        "relation": "tenant",
        "origin": "湖南省邵阳市",
        "reason": "work",
        "employer": "聚江苑物业",
        "landlord_name": "",
        "registered_on": "",
        "expected_until": "",
        **overrides,
    }
    url = reverse("people:floating_register") + f"?household={world.household1.pk}"
    return client.post(url, data)


def test_register_a_newcomer_creates_a_floating_resident_in_the_household(client, world):
    client.force_login(world.alice)
    response = _newcomer(client, world, expected_until="2099-12-31", has_health_file="on")
    resident = Resident.objects.get(name="赵打工")
    assert response.status_code == 302 and response.url == reverse("people:detail", args=[resident.pk])
    assert resident.residence_status == ResidenceStatus.FLOATING
    assert resident.memberships.get(moved_out__isnull=True).household == world.household1
    registration = resident.floating_registrations.get()
    assert registration.household == world.household1 and registration.origin == "湖南省邵阳市"
    assert registration.has_health_file and registration.registered_by == world.alice
    page = client.get(response.url).text
    assert "*" * 14 + NEWCOMER_ID[-4:] in page and NEWCOMER_ID not in page
    assert "湖南省邵阳市" in page and "在册" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"origin": ""}, "户籍地/来源地：请填写户籍地/来源地"),
        ({"reason": "tourism"}, "来此事由：来此事由无效，请从列表中选择"),
        ({"registered_on": "2099-01-01"}, "登记日期：登记日期不能晚于今天"),
        ({"registered_on": "2024-05-01", "expected_until": "2024-04-01"}, "预计居住至：预计居住截止日期不能早于登记日期"),
        ({"expected_until": "2024-02-31"}, "预计居住至：预计居住至不是有效日期"),
        ({"id_number": NEWCOMER_ID[:-1] + ("1" if NEWCOMER_ID[-1] != "1" else "2")}, "身份证号：身份证号校验位错误"),
        ({"phone": "158000012"}, "联系电话：手机号应为11位，当前为9位"),
        ({"id_number": "430102195001010018"}, "身份证号：该身份证号已登记：张建国（1栋），请先查找该居民"),
        ({"name": ""}, "姓名：请填写姓名"),
    ],
)
def test_register_newcomer_bad_input_names_the_field_and_writes_nothing(client, world, overrides, message):
    client.force_login(world.alice)
    before = _counts()
    response = _newcomer(client, world, **overrides)
    assert response.status_code == 200
    assert message in response.text
    assert _counts() == before


def test_register_newcomer_outside_scope_is_404_and_for_dave_403(client, world):
    client.force_login(world.alice)
    url = reverse("people:floating_register") + f"?household={world.household2.pk}"
    assert client.post(url, {"name": "x", "origin": "y"}).status_code == 404
    client.force_login(world.dave)
    before = _counts()
    assert _newcomer(client, world).status_code == 403
    assert _counts() == before


def test_register_an_existing_resident(client, world):
    client.force_login(world.alice)
    url = reverse("people:floating_register") + f"?resident={world.zhang.pk}"
    page = client.get(url).text
    assert world.household1.address in page
    response = client.post(
        url, {"household": world.household1.pk, "origin": "湖北省武汉市", "reason": "family", "registered_on": ""}
    )
    assert response.status_code == 302
    world.zhang.refresh_from_db()
    assert world.zhang.residence_status == ResidenceStatus.FLOATING
    assert world.zhang.floating_registrations.get().household == world.household1
    # A second active registration is refused with the resident's name.
    before = _counts()
    page = client.post(url, {"household": "", "origin": "湖北省", "reason": "work"}).text
    assert "张建国已有未注销的流动人口登记" in page
    assert _counts() == before


def test_register_existing_with_a_household_not_theirs_is_named(client, world):
    client.force_login(world.carol)
    url = reverse("people:floating_register") + f"?resident={world.zhang.pk}"
    page = client.post(url, {"household": world.household2.pk, "origin": "湖北省", "reason": "work"}).text
    assert "居住户：居住户无效，请从列表中选择" in page
    assert not FloatingRegistration.objects.exists()


def test_chooser_finds_households_and_residents_in_scope(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("people:floating_register"), {"q": "101"}).text
    assert f"?household={world.household1.pk}" in page
    page = client.get(reverse("people:floating_register"), {"q": "202"}).text
    assert f"?household={world.household2.pk}" not in page
    assert "没有找到匹配的户" in page


def _registration(world, resident, *, expected_until=None, registered_on=None):
    return floating_register(
        by=SYSTEM,
        resident=resident,
        household=resident.memberships.get().household,
        origin="四川省成都市",
        registered_on=registered_on or dt.date(2024, 1, 1),
        expected_until=expected_until,
    )


def test_list_highlights_registrations_expiring_within_the_window(client, world, settings):
    settings.GRIDGOV_FLOATING_REMIND_DAYS = 30
    today = timezone.localdate()
    soon = _registration(world, world.zhang, expected_until=today + dt.timedelta(days=10))
    client.force_login(world.carol)
    later = _registration(world, world.li, expected_until=today + dt.timedelta(days=200))
    page = client.get(reverse("people:floating")).text
    assert page.count('class="expiring"') == 1
    assert "即将到期</span>" in page
    # The expiring tab holds only the one inside the window.
    page = client.get(reverse("people:floating"), {"tab": "expiring"}).text
    assert reverse("people:detail", args=[soon.resident_id]) in page
    assert reverse("people:detail", args=[later.resident_id]) not in page


def test_list_is_scoped_and_deregistered_ones_are_on_their_tab(client, world):
    _registration(world, world.zhang)
    _registration(world, world.li)
    client.force_login(world.alice)
    page = client.get(reverse("people:floating")).text
    assert "张建国" in page and "李秀英" not in page
    assert "**************0018" in page and "430102195001010018" not in page
    registration = world.zhang.floating_registrations.get()
    response = client.post(
        reverse("people:floating_deregister", args=[registration.pk]),
        {"deregistered_on": "2024-06-01", "reason": "已离开本社区", "next": reverse("people:floating")},
        follow=True,
    )
    assert "已注销张建国的流动人口登记" in response.text
    assert "没有在册的流动人口" in response.text
    page = client.get(reverse("people:floating"), {"tab": "deregistered"}).text
    assert "张建国" in page and "已离开本社区" in page
    registration.refresh_from_db()
    assert registration.deregistered_on == dt.date(2024, 6, 1)
    # Deregistering moved them out of the household they were registered in.
    assert not world.zhang.memberships.filter(moved_out__isnull=True).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"deregistered_on": "2024-06-01", "reason": ""}, "注销原因：请填写注销原因"),
        ({"deregistered_on": "", "reason": "离开"}, "注销日期：请填写注销日期"),
        ({"deregistered_on": "2023-12-01", "reason": "离开"}, "注销日期：注销日期不能早于登记日期"),
        ({"deregistered_on": "2024-13-01", "reason": "离开"}, "注销日期：注销日期不是有效日期"),
    ],
)
def test_deregister_bad_input_names_the_field_and_writes_nothing(client, world, data, message):
    registration = _registration(world, world.zhang)
    client.force_login(world.alice)
    before = _counts()
    response = client.post(reverse("people:floating_deregister", args=[registration.pk]), data, follow=True)
    assert message in response.text
    assert _counts() == before
    registration.refresh_from_db()
    assert registration.deregistered_on is None


def test_deregister_by_dave_is_403_and_by_bob_is_404(client, world):
    registration = _registration(world, world.zhang)
    url = reverse("people:floating_deregister", args=[registration.pk])
    data = {"deregistered_on": "2024-06-01", "reason": "离开"}
    client.force_login(world.dave)
    assert client.post(url, data).status_code == 403
    client.force_login(world.bob)
    assert client.post(url, data).status_code == 404
    registration.refresh_from_db()
    assert registration.deregistered_on is None


def test_deregister_ignores_an_offsite_next(client, world):
    registration = _registration(world, world.zhang)
    client.force_login(world.alice)
    response = client.post(
        reverse("people:floating_deregister", args=[registration.pk]),
        {"deregistered_on": "2024-06-01", "reason": "离开", "next": "https://evil.example/"},
    )
    assert response.url == reverse("people:floating")
