from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.command import selectors, services
from gridgov.command.models import TaskItem
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import Notification
from gridgov.places.services import household_create


def _send(cw, **fields):
    values = {
        "by": cw.carol,
        "place": cw.community,
        "title": "消防安全入户检查",
        "checklist": ["灭火器在有效期内", "电动车未进楼道"],
        "deadline": timezone.now() + dt.timedelta(days=3),
    }
    values.update(fields)
    return services.task_send(**values)


def _tick(client, item, **body):
    return client.post(
        reverse("command:item_tick", args=[item.pk]), json.dumps(body), content_type="application/json"
    )


def test_a_task_reaches_every_household_of_every_grid_and_tells_their_workers(cw):
    task = _send(cw)
    assert task.item_count == 2
    assert sorted(TaskItem.objects.values_list("grid__name", flat=True)) == ["第一网格", "第二网格"]
    assert Notification.objects.filter(recipient=cw.alice, title="新任务：消防安全入户检查").exists()
    assert Notification.objects.filter(recipient=cw.bob).exists()
    assert not Notification.objects.filter(recipient=cw.carol, title__startswith="新任务").exists()
    by_building = _send(cw, unit="building", title="楼栋消防通道检查")
    assert by_building.item_count == 2


def test_sending_is_refused_outside_the_scope_and_with_bad_input(cw, other_street):
    with pytest.raises(NotFound):
        _send(cw, place=other_street)
    with pytest.raises(NotFound):
        _send(cw, by=cw.alice)  # alice cannot even see where tasks are sent from
    with pytest.raises(ValidationError) as caught:
        _send(cw, title="  ")
    assert caught.value.message_dict == {"title": ["请填写任务名称"]}
    with pytest.raises(ValidationError) as caught:
        _send(cw, title="检查\u202e")
    assert "文字方向控制字符" in caught.value.message_dict["title"][0]
    with pytest.raises(ValidationError) as caught:
        _send(cw, deadline=timezone.now() - dt.timedelta(hours=1))
    assert caught.value.message_dict == {"deadline": ["完成期限必须晚于现在"]}


def test_a_worker_ticks_their_own_households_once_per_client_key(client, cw):
    task = _send(cw)
    mine = TaskItem.objects.get(task=task, grid=cw.grid1)
    theirs = TaskItem.objects.get(task=task, grid=cw.grid2)
    client.force_login(cw.alice)
    answer = _tick(client, mine, outcome="home", checks=[True, False], client_key="k-1")
    assert answer.status_code == 200 and answer.json() == {
        "id": mine.pk,
        "outcome": "home",
        "label": "在家",
        "changed": True,
    }
    again = _tick(client, mine, outcome="home", checks=[True, False], client_key="k-1")
    assert again.json()["changed"] is False
    task.refresh_from_db()
    assert task.done_count == 1
    assert _tick(client, theirs, outcome="home", checks=[True, True]).status_code == 404
    bad = _tick(client, mine, outcome="maybe", client_key="k-2")
    assert bad.status_code == 400 and bad.json()["detail"] == "走访结果只能是在家、不在家或拒访"
    short = _tick(client, mine, outcome="home", checks=[True], client_key="k-3")
    assert short.json()["detail"] == "检查项应有2项，收到1项"
    assert (
        client.post(
            reverse("command:item_tick", args=[mine.pk]), "not json", content_type="application/json"
        ).status_code
        == 400
    )
    # A correction (not at home after all) changes the answer, not the count.
    assert _tick(client, mine, outcome="away", client_key="k-4").json()["label"] == "不在家"
    task.refresh_from_db()
    assert task.done_count == 1
    progress = {g.name: (g.done, g.total, g.away) for g in selectors.task_progress(task)}
    assert progress == {"第一网格": (1, 1, 1), "第二网格": (0, 1, 0)}


def test_the_sender_watches_reminds_the_laggards_and_exports(client, cw):
    from openpyxl import load_workbook

    task = _send(cw)
    services.task_tick(
        by=cw.alice,
        item_id=TaskItem.objects.get(task=task, grid=cw.grid1).pk,
        outcome="home",
        checks=[True, True],
    )
    client.force_login(cw.carol)
    page = client.get(reverse("command:task", args=[task.pk])).content.decode()
    assert 'id="progress-count">1/2<' in page and 'hx-trigger="every' in page
    partial = client.get(reverse("command:task_progress", args=[task.pk])).content.decode()
    assert 'aria-valuenow="50"' in partial
    Notification.objects.all().delete()
    response = client.post(reverse("command:task_remind", args=[task.pk]))
    assert response.status_code == 302
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["bob"]
    export = client.get(reverse("command:task_export", args=[task.pk]))
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("网格", "户/楼栋", "走访结果", "灭火器在有效期内", "电动车未进楼道")
    assert rows[1][:5] == ("第一网格", "聚江苑1栋101", "在家", "是", "是")
    with pytest.raises(Forbidden):
        services.task_remind(by=cw.cora, task=task)  # sees the community, may not send there


def test_other_communities_tasks_are_not_found(client, cw, other_street):
    task = services.task_send(
        by=SYSTEM, place=other_street, title="别处的任务", deadline=timezone.now() + dt.timedelta(days=1)
    )
    client.force_login(cw.carol)
    for name in ("command:task", "command:task_progress", "command:task_export"):
        assert client.get(reverse(name, args=[task.pk])).status_code == 404
    assert client.post(reverse("command:task_remind", args=[task.pk])).status_code == 404
    client.force_login(cw.alice)
    assert client.get(reverse("command:my_task", args=[task.pk])).status_code == 404


def test_the_send_form_says_what_is_wrong(client, cw):
    client.force_login(cw.carol)
    response = client.post(
        reverse("command:tasks"),
        {"title": "", "place": cw.community.pk, "unit": "household", "deadline": "2020-01-01T10:00"},
    )
    assert response.status_code == 400 and "请填写任务名称" in response.content.decode()
    ok = client.post(
        reverse("command:tasks"),
        {
            "title": "防汛入户提醒",
            "place": cw.community.pk,
            "unit": "household",
            "checklist": "已告知转移路线",
            "deadline": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert ok.status_code == 302


@pytest.mark.parametrize("households", [5, 50])
def test_the_phone_list_and_the_progress_take_a_fixed_number_of_queries(
    client, cw, households, django_assert_max_num_queries
):
    for index in range(households - 1):
        household_create(by=SYSTEM, place=cw.building1, room=f"{300 + index}")
    task = _send(cw)
    client.force_login(cw.alice)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("command:my_task", args=[task.pk])).content.decode()
    assert page.count('class="task-item') == households
    with django_assert_max_num_queries(12):
        assert client.get(reverse("command:my_tasks")).status_code == 200
    client.force_login(cw.carol)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("command:task", args=[task.pk])).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("command:tasks")).status_code == 200
