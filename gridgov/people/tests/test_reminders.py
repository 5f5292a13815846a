from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from gridgov.accounts.scope import SYSTEM
from gridgov.core.validation import id_check_char
from gridgov.notifications.models import Notification
from gridgov.people.models import Relation
from gridgov.people.reminders import floating_send_reminders
from gridgov.people.services import floating_register, resident_create


def _register(world, name: str, prefix17: str, expected_until: dt.date, household=None):
    household = household or world.household1
    resident = resident_create(
        by=SYSTEM,
        name=name,
        household=household,
        relation=Relation.TENANT,
        id_number=prefix17 + id_check_char(prefix17),
    )
    return floating_register(
        by=SYSTEM,
        resident=resident,
        household=household,
        origin="湖北省武汉市",
        registered_on=dt.date(2026, 1, 5),
        expected_until=expected_until,
    )


def test_grid_staff_are_reminded_once_per_expected_end(world):
    today = dt.date(2026, 11, 23)
    soon = _register(world, "钱一", "42010219900101001", today + dt.timedelta(days=5))
    _register(world, "孙二", "42010219900202002", today - dt.timedelta(days=3))
    _register(world, "周三", "42010219900303003", today + dt.timedelta(days=90))
    assert floating_send_reminders(today=today) == 2
    # Grid 1's own staff hear about it; carol (community) and bob (grid 2) do not.
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"alice", "frank"}
    message = Notification.objects.get(recipient=world.alice)
    assert message.body.startswith("2名流动人口的预计居住期限将在30天内到期，其中1名已过期")
    assert message.link == "/people/floating/?tab=expiring"
    assert floating_send_reminders(today=today) == 0
    # An extended stay that nears its new end is reminded again.
    type(soon).objects.filter(pk=soon.pk).update(expected_until=today + dt.timedelta(days=20))
    assert floating_send_reminders(today=today) == 1


def test_deregistered_stays_are_not_reminded(world):
    from gridgov.people.services import floating_deregister

    registration = _register(world, "吴四", "42010219900404004", dt.date.today() + dt.timedelta(days=2))
    floating_deregister(by=SYSTEM, registration=registration, reason="返乡")
    assert floating_send_reminders() == 0


def test_command_reports_the_count(world, capsys):
    _register(world, "郑五", "42010219900505005", dt.date.today() + dt.timedelta(days=1))
    call_command("floating_remind")
    assert "已提醒 1 条" in capsys.readouterr().out
