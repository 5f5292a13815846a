"""The command centre's rows in the admin: every changelist and a row's page open, nothing
there can be added, changed or deleted (the audited services write them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.command import services
from gridgov.command.models import Broadcast, Task, TaskItem


@pytest.mark.parametrize(
    "model", ["task", "taskitem", "taskphoto", "broadcast", "broadcastrecipient", "assessmentrule"]
)
def test_the_changelists_load_and_are_read_only(client, cw, model):
    task = services.task_send(
        by=cw.carol,
        place=cw.community,
        title="消防安全入户检查",
        deadline=timezone.now() + dt.timedelta(days=2),
    )
    services.broadcast_send(by=cw.carol, place=cw.community, title="暴雨预警", body="请注意防汛")
    client.force_login(cw.admin)
    page = client.get(reverse(f"admin:command_{model}_changelist"))
    assert page.status_code == 200
    assert reverse(f"admin:command_{model}_add") not in page.content.decode()
    if model == "task":
        assert "消防安全入户检查" in page.content.decode()
        detail = client.get(reverse("admin:command_task_change", args=[task.pk]))
        assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    if model == "taskitem":
        item = TaskItem.objects.filter(task=task).first()
        assert client.get(reverse("admin:command_taskitem_change", args=[item.pk])).status_code == 200
    assert client.post(reverse(f"admin:command_{model}_add"), {}).status_code == 403
    assert Task.objects.count() == 1 and Broadcast.objects.count() == 1


def test_staff_without_admin_rights_cannot_open_them(client, cw):
    client.force_login(cw.carol)
    response = client.get(reverse("admin:command_task_changelist"))
    assert response.status_code in (302, 403)
