"""Catalogue items, team offers and merchants' 便民服务协议 (staff with services.manage)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, has_capability_at
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.services.models import Agreement, Pricing, ServiceItem, TeamProfile
from gridgov.services.services._common import clean_text

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.places.models import Place


def _manage_at(by: Actor, path: str) -> None:
    if not has_capability_at(by, caps.SERVICES_MANAGE, path):
        if has_capability_at(by, caps.SERVICES_VIEW, path):
            raise Forbidden("您无权管理生活快车服务")
        raise NotFound()


@transaction.atomic
def item_update(
    *,
    by: Actor,
    item: ServiceItem,
    pricing: str | None = None,
    price: Any = None,
    is_active: bool | None = None,
) -> ServiceItem:
    """Change an item's pricing or switch it off (the catalogue is global: any services.manage holder)."""
    if not has_capability(by, caps.SERVICES_MANAGE):
        raise Forbidden("您无权管理服务目录")
    before = {"pricing": item.pricing, "price": str(item.price), "is_active": item.is_active}
    if pricing is not None:
        if pricing not in Pricing.values:
            raise field_error("pricing", "收费方式无效")
        item.pricing = pricing
    if price is not None:
        try:
            item.price = Decimal(str(price)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise field_error("price", "价格须为数字") from None
        if item.price < 0 or item.price > 100000:
            raise field_error("price", "价格须在0到100000元之间")
    if item.pricing != Pricing.FREE and item.price is None:
        raise field_error("price", "优惠或收费项目须填写价格")
    if is_active is not None:
        item.is_active = is_active
    item.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=item,
        changes={k: [v, str(getattr(item, k))] for k, v in before.items()},
    )
    return item


@transaction.atomic
def team_offer(*, by: Actor, team: Organisation, serves: Place, items: list[ServiceItem]) -> TeamProfile:
    """Say which items a volunteer team (or sub-team) offers and which grid it serves."""
    if team.kind != OrgKind.TEAM:
        raise field_error("team", "只有志愿服务队可以承接服务")
    _manage_at(by, team.place.path)
    profile, _ = TeamProfile.objects.update_or_create(team=team, defaults={"serves": serves})
    profile.items.set(items)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=team,
        place_path=team.place.path,
        changes={"services": [None, "、".join(i.name for i in items)], "serves": [None, serves.name]},
    )
    return profile


@transaction.atomic
def agreement_create(
    *,
    by: Actor,
    merchant: Organisation,
    starts_on: Any,
    ends_on: Any,
    items: list[ServiceItem],
    discount_percent: int = 100,
    contact_name: str = "",
    terms: str = "",
) -> Agreement:
    """Sign a 便民服务协议 with a partner merchant: period, services, discount, contact."""
    if merchant.kind != OrgKind.MERCHANT:
        raise field_error("merchant", "只能与爱心商户签订便民服务协议")
    _manage_at(by, merchant.place.path)
    if not isinstance(starts_on, dt.date):
        raise field_error("starts_on", "请填写生效日期")
    if not isinstance(ends_on, dt.date):
        raise field_error("ends_on", "请填写截止日期")
    if ends_on < starts_on:
        raise field_error("ends_on", "截止日期不能早于生效日期")
    if (ends_on - starts_on).days > 366 * 5:
        raise field_error("ends_on", "协议期限最长5年")
    if not items:
        raise field_error("items", "请选择协议包含的服务")
    if not isinstance(discount_percent, int) or not 10 <= discount_percent <= 100:
        raise field_error("discount_percent", "折扣须在10到100（不打折）之间")
    agreement = Agreement.objects.create(
        merchant=merchant,
        starts_on=starts_on,
        ends_on=ends_on,
        discount_percent=discount_percent,
        contact_name=clean_text(contact_name, "contact_name", "联系人", max_length=50),
        terms=clean_text(terms, "terms", "协议要点", max_length=500),
    )
    agreement.items.set(items)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=agreement,
        place_path=merchant.place.path,
        changes={
            "period": [None, f"{starts_on}～{ends_on}"],
            "items": [None, "、".join(i.name for i in items)],
        },
    )
    return agreement
