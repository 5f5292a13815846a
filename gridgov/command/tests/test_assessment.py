from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gridgov.cases import services as cs
from gridgov.command import assessment, services
from gridgov.command.models import TaskItem
from gridgov.core.errors import Forbidden


def _month() -> dt.date:
    return timezone.localdate().replace(day=1)


def test_alice_is_scored_from_her_cases_and_tasks_and_ranked_in_the_community(client, cw, submit):
    case = cs.case_accept(by=cw.alice, case=submit())
    cs.case_resolve(by=cw.alice, case=case, result="已清运")
    task = services.task_send(
        by=cw.carol, place=cw.community, title="入户核查", deadline=timezone.now() + dt.timedelta(hours=2)
    )
    services.task_tick(by=cw.alice, item_id=TaskItem.objects.get(task=task, grid=cw.grid1).pk, outcome="away")
    scores = {w.name: w for w in assessment.worker_scores(cw.carol, cw.community, month=_month())}
    alice = scores["alice"]
    measures = {m.code: m for m in alice.measures}
    assert measures["cases_on_time"].value == 1.0 and measures["cases_on_time"].detail == "办结1件，按时1件"
    assert measures["satisfaction"].value is None  # nobody rated yet: left out, not a zero
    assert measures["tasks_on_time"].value == 1.0
    assert measures["patrol_reports"].value == 0.0
    # 30 + 15 (+ 15 × 0) over the 60 weight points that had data.
    assert alice.score == 75.0 and alice.band == "良好"
    assert scores["bob"].measures[3].value == 0.0  # his household not visited
    client.force_login(cw.alice)
    page = client.get(reverse("command:assessment")).content.decode()
    assert 'id="my-score"' in page and "<b>75.0</b> 分 · 良好" in page and "排名" not in page
    client.force_login(cw.carol)
    page = client.get(reverse("command:assessment")).content.decode()
    assert "金泰路社区排名" in page and 'id="my-score"' not in page


def test_the_administrator_sets_weights_and_bands(client, cw):
    client.force_login(cw.sam)
    form = {
        "patrol_target": 5,
        "bands": "80 达标\n0 不达标",
        "w_cases_on_time": 50,
        "w_satisfaction": 50,
        "w_patrol_reports": 0,
        "w_tasks_on_time": 0,
        "w_patrol_coverage": 0,
    }
    assert client.post(reverse("command:assessment_rules"), form).status_code == 302
    rule = assessment.current_rule()
    assert rule.bands == [[80, "达标"], [0, "不达标"]] and rule.weights["cases_on_time"] == 50
    bad = client.post(reverse("command:assessment_rules"), {**form, "bands": "优秀九十"})
    assert bad.status_code == 400 and "应写成“90 优秀”" in bad.content.decode()
    zero = client.post(
        reverse("command:assessment_rules"), {**form, "w_cases_on_time": 0, "w_satisfaction": 0}
    )
    assert "不能全为0" in zero.content.decode()
    client.force_login(cw.carol)
    assert client.get(reverse("command:assessment_rules")).status_code == 403
    with pytest.raises(Forbidden):
        services.assessment_configure(
            by=cw.carol, weights={"satisfaction": 1}, bands=[(0, "合格")], patrol_target=1
        )
    with pytest.raises(ValidationError):
        services.assessment_configure(by=cw.sam, weights={"speed": 1}, bands=[(0, "合格")], patrol_target=1)
