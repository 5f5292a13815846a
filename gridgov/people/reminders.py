"""Reminders for floating-population registrations that are about to expire (or have)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import User
from gridgov.accounts.scope import holders
from gridgov.core import clock
from gridgov.people.models import FloatingRegistration


@transaction.atomic
def floating_send_reminders(*, today: dt.date | None = None) -> int:
    """Notify staff once per registration and expected end date; returns registrations reminded."""
    from gridgov.notifications.services import notify

    today = today or clock.today()
    until = today + dt.timedelta(days=settings.GRIDGOV_FLOATING_REMIND_DAYS)
    due = list(
        FloatingRegistration.objects.select_for_update(skip_locked=True)
        .filter(deregistered_on__isnull=True, expected_until__isnull=False, expected_until__lte=until)
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("expected_until")))
        .select_related("place")
    )
    if not due:
        return 0
    per_user: dict[int, list[FloatingRegistration]] = defaultdict(list)
    # The grid's own staff (the nearest holders), not every secretary above them: one expiring
    # stay is one message to the right people. One lookup per place, not per registration.
    staff_at: dict[str, list[int]] = {}
    for registration in due:
        path = registration.place.path
        if path not in staff_at:
            staff_at[path] = list(holders(caps.FLOATING_MANAGE, path, nearest=True).values_list("pk", flat=True))
        for user_id in staff_at[path]:
            per_user[user_id].append(registration)
    link = reverse("people:floating") + "?tab=expiring"
    users = User.objects.in_bulk(per_user.keys())
    for user_id, registrations in per_user.items():
        expired = sum(
            1
            for registration in registrations
            # (the query took only registrations with an end date)
            if registration.expected_until is not None and registration.expected_until < today
        )
        body = (
            f"{len(registrations)}名流动人口的预计居住期限将在{settings.GRIDGOV_FLOATING_REMIND_DAYS}天内到期"
        )
        if expired:
            body += f"，其中{expired}名已过期"
        notify(
            recipients=[users[user_id]],
            title="流动人口登记即将到期",
            body=body + "，请核实并续登或注销。",
            link=link,
            kind="floating_expiring",
        )
    for registration in due:
        FloatingRegistration.objects.filter(pk=registration.pk).update(
            reminded_for=registration.expected_until
        )
    return len(due)
