"""The service card (服务卡): a merchant or volunteer scans a resident's signed card QR to see which
services the resident may receive from them, and records a service rendered on the spot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.audit.models import AuditAction
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.orgs.models import Organisation
from gridgov.services import policy
from gridgov.services.models import Agreement, Order, OrderChannel, OrderState, ServiceItem, VolunteerStatus
from gridgov.services.services._common import audit, clean_text, event, order_link, tell
from gridgov.services.services.orders import eligibility_problem, team_for

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.people.models import Resident


@dataclass(frozen=True)
class CardOffer:
    item: ServiceItem
    agreement: Agreement | None
    problem: str | None


@dataclass(frozen=True)
class CardView:
    """What the scanner may know: the name on the card and what they may provide; nothing else."""

    resident: Resident
    offers: list[CardOffer]

    @property
    def masked_name(self) -> str:
        name = self.resident.name
        return name[0] + "*" * (len(name) - 1) if len(name) > 1 else name


def _resident_from(payload: str) -> Resident:
    from gridgov.people.models import Resident
    from gridgov.people.services import card_no_from_qr

    try:
        card_no = card_no_from_qr((payload or "").strip()[:500])
    except ValidationError as exc:
        raise field_error("payload", exc.messages[0]) from None
    resident = Resident.objects.filter(card_no=card_no, is_deceased=False).select_related("place").first()
    if resident is None or resident.place_id is None:
        raise field_error("payload", "服务卡已失效")
    return resident


def card_scan(*, by: User, payload: str) -> CardView:
    """Read a scanned card: for a merchant, the items of its agreements in force; for an approved
    volunteer, the items their teams offer at the resident's home. Each with its eligibility."""
    resident = _resident_from(payload)
    today = clock.today()
    merchant_id = policy.merchant_of(by)
    offers: list[CardOffer] = []
    if merchant_id:
        agreements = Agreement.objects.filter(
            merchant_id=merchant_id, starts_on__lte=today, ends_on__gte=today
        ).prefetch_related("items")
        for agreement in agreements:
            for item in agreement.items.all():
                offers.append(CardOffer(item, agreement, eligibility_problem(item, resident)))
        if not offers:
            raise Forbidden("本商户没有有效的便民服务协议，不能登记服务")
    else:
        volunteer = policy.volunteer_of(by)
        if volunteer is None or volunteer.status != VolunteerStatus.APPROVED:
            raise Forbidden("只有协议商户和已审核的志愿者可以扫服务卡")
        teams = policy.team_ids(by)
        assert resident.place is not None
        for item in ServiceItem.objects.filter(is_active=True, teams__team_id__in=teams).distinct():
            team = team_for(item, resident.place.path)
            if team is not None and team.pk in teams:
                offers.append(CardOffer(item, None, eligibility_problem(item, resident)))
        if not offers:
            raise Forbidden("您所在的服务队不服务这位居民所在的网格")
    return CardView(resident=resident, offers=offers)


@transaction.atomic
def card_record(*, by: User, payload: str, item: ServiceItem, note: str) -> Order:
    """Record a service rendered to the card holder just now (扫服务卡): it waits for their rating."""
    view = card_scan(by=by, payload=payload)
    offer = next((o for o in view.offers if o.item.pk == item.pk), None)
    if offer is None:
        raise field_error("item", f"您不能为这位居民登记“{item.name}”")
    if offer.problem:
        raise field_error("item", offer.problem)
    note = clean_text(note, "note", "服务记录", max_length=500, required=True)
    resident = view.resident
    assert resident.place is not None
    now = clock.now()
    start = now - dt.timedelta(minutes=item.duration_minutes)
    merchant = Organisation.objects.get(pk=offer.agreement.merchant_id) if offer.agreement else None
    volunteer = None if merchant else policy.volunteer_of(by)
    order = Order.objects.create(
        item=item,
        resident=resident,
        place=resident.place,
        place_path=resident.place.path,
        team=None if merchant else team_for(item, resident.place.path),
        merchant=merchant,
        agreement=offer.agreement,
        provider=volunteer,
        provider_user=by,
        state=OrderState.DONE,
        channel=OrderChannel.CARD,
        window_start=start,
        window_end=now,
        ordered_by=by,
        assigned_at=start,
        arrived_at=start,
        done_at=now,
        done_note=note,
        created_at=now,
    )
    event(order, by=by, kind="card", note=f"扫服务卡登记：{note}")
    audit(
        order,
        by=by,
        what="扫服务卡登记服务",
        changes={"state": [None, OrderState.DONE]},
        action=AuditAction.CREATE,
    )
    from gridgov.accounts.models import User as UserModel

    tell(
        UserModel.objects.filter(resident_id=resident.pk),
        title=f"“{item.name}”已完成，请确认评价",
        body=note,
        link=order_link(order),
        kind="services.done",
    )
    return order
