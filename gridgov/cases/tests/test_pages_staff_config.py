"""Configuration pages: categories, SLAs, routing rules (which change where the next case goes)
and API keys (shown once, revocable)."""

from __future__ import annotations

import re

from django.urls import reverse

from gridgov.cases.models import SLA, ApiKey, Category, RoutingRule
from gridgov.cases.services import apikey_hash


def test_only_configurers_open_it(client, cw):
    client.force_login(cw.carol)  # 社区书记: no cases.configure
    assert client.get(reverse("cases:config")).status_code == 403
    assert client.post(reverse("cases:config_sla"), {}).status_code == 403
    client.force_login(cw.sam)
    for tab in ("categories", "sla", "rules", "keys"):
        assert client.get(reverse("cases:config"), {"tab": tab}).status_code == 200


def test_a_new_routing_rule_routes_the_next_case(client, cw, submit):
    before = submit(category="sanitation")
    assert before.handler_org is None
    client.force_login(cw.sam)
    url = reverse("cases:config_rule_create")
    data = {"category": cw.sanitation.pk, "level": "grid", "organisation": cw.property_co.pk}
    response = client.post(url, data)
    assert response.status_code == 400 and "全局分派规则只能由系统管理员设置，请选择适用范围" in response.text
    response = client.post(url, {**data, "place": cw.estate1.pk, "note": "聚江苑保洁归物业"})
    assert response.status_code == 302 and response.url.endswith("?tab=rules")
    after = submit(category="sanitation")
    assert after.handler_org == cw.property_co
    rule = RoutingRule.objects.get(category=cw.sanitation)
    # Switch it off: the next case goes back to the grid.
    response = client.post(
        reverse("cases:config_rule_update", args=[rule.pk]),
        {f"r{rule.pk}-organisation": cw.property_co.pk, f"r{rule.pk}-note": "暂停"},
    )
    assert response.status_code == 302
    assert submit(category="sanitation").handler_org is None
    response = client.post(reverse("cases:config_rule_delete", args=[rule.pk]))
    assert response.status_code == 302 and not RoutingRule.objects.filter(pk=rule.pk).exists()


def test_rule_errors_are_named(client, cw):
    client.force_login(cw.sam)
    response = client.post(
        reverse("cases:config_rule_create"),
        {"category": cw.order.pk, "level": "department", "place": cw.street.pk},
    )
    assert response.status_code == 400 and "部门层级须选择承办单位" in response.text
    response = client.post(
        reverse("cases:config_rule_create"), {"category": cw.order.pk, "level": "moon", "place": cw.street.pk}
    )
    assert response.status_code == 400 and "处置层级的取值无效" in response.text
    assert client.post(reverse("cases:config_rule_update", args=[999999]), {}).status_code == 404


def test_categories_create_update_and_errors(client, cw):
    client.force_login(cw.sam)
    url = reverse("cases:config_category_create")
    response = client.post(url, {"name": "高空抛物", "code": "Bad Code", "parent": cw.safety.pk})
    assert response.status_code == 400 and "代码须为2–40位小写字母" in response.text
    response = client.post(url, {"name": "高空抛物", "code": "falling", "parent": cw.safety.pk})
    assert response.status_code == 302
    created = Category.objects.get(code="falling")
    assert created.parent == cw.safety
    response = client.post(url, {"name": "盗窃", "code": "theft2", "parent": cw.safety.pk})
    assert response.status_code == 400 and "“盗窃”已存在" in response.text
    prefix = f"c{created.pk}"
    response = client.post(
        reverse("cases:config_category_update", args=[created.pk]),
        {f"{prefix}-name": "高空坠物", f"{prefix}-start_level": "community", f"{prefix}-sort_order": 5},
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert (created.name, created.start_level, created.is_active) == ("高空坠物", "community", False)
    other = Category.objects.get(code="other")
    prefix = f"c{other.pk}"
    response = client.post(
        reverse("cases:config_category_update", args=[other.pk]),
        {f"{prefix}-name": "其他", f"{prefix}-start_level": "grid", f"{prefix}-sort_order": 100},
    )
    assert response.status_code == 400 and "“其他”分类是兜底分类，不能停用" in response.text


def test_sla_is_set_and_checked(client, cw):
    client.force_login(cw.sam)
    url = reverse("cases:config_sla")
    data = {
        "category": cw.lift.pk,
        "priority": "urgent",
        "accept_within": 2,
        "resolve_within": 1,
        "unit": "hours",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "办结时限不能短于受理时限" in response.text
    response = client.post(url, {**data, "accept_within": 0})
    assert response.status_code == 400 and "受理时限不能小于1" in response.text
    response = client.post(url, {**data, "resolve_within": 24})
    assert response.status_code == 302
    sla = SLA.objects.get(category=cw.lift, priority="urgent")
    assert (sla.accept_within, sla.resolve_within, sla.unit) == (2, 24, "hours")
    assert "2 / 24 小时" in client.get(reverse("cases:config"), {"tab": "sla"}).text


def test_api_key_is_shown_once_and_can_be_revoked(client, cw):
    client.force_login(cw.sam)
    url = reverse("cases:config_key_create")
    response = client.post(url, {"name": "12345热线", "rate_per_minute": 120})
    assert response.status_code == 400 and "不限范围的接入密钥只能由系统管理员创建" in response.text
    response = client.post(url, {"name": "12345热线", "rate_per_minute": 120, "place": cw.street.pk})
    assert response.status_code == 200
    raw = re.search(r"<code>(ggk_[^<]+)</code>", response.text).group(1)
    key = ApiKey.objects.get(name="12345热线")
    assert key.key_hash == apikey_hash(raw) and key.rate_per_minute == 120
    assert "no-store" in response.get("Cache-Control", "") or "max-age=0" in response.get("Cache-Control", "")
    listing = client.get(reverse("cases:config"), {"tab": "keys"}).text
    assert raw not in listing and key.prefix in listing
    response = client.post(url, {"name": "12345热线", "rate_per_minute": 60, "place": cw.street.pk})
    assert response.status_code == 400 and "名称“12345热线”已存在" in response.text
    response = client.post(reverse("cases:config_key_revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
    page = client.get(response.url).text
    assert "已吊销" in page
    response = client.post(reverse("cases:config_key_revoke", args=[key.pk]), follow=True)
    assert "密钥“12345热线”已吊销" in response.text
