from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.audit.models import AuditEntry
from gridgov.core.errors import Forbidden
from gridgov.triage import engine, selectors
from gridgov.triage.models import TriageRule
from gridgov.triage.services import rule_create, rule_delete, rule_update, suggest

TEXT = "小区里的共享充电宝柜子吞钱了"


def test_admin_added_rule_changes_the_next_suggestion(world, client, settings):
    # No periodic re-check during the test: only the write's own invalidation can refresh the cache.
    settings.TRIAGE_RULES_CHECK_SECONDS = 3600
    suggest(TEXT)  # the compiled rules are now cached in this process
    assert suggest(TEXT).category != "property"
    client.force_login(world.admin)
    response = client.post(
        "/admin/triage/triagerule/add/",
        {
            "target": "property",
            "kind": "phrase",
            # Heavy enough to outvote the model here (a vote, not a decisive rule): what is tested is
            # that the cache sees the new rule at once.
            "text": "充电宝柜",
            "weight": "6",
            "is_active": "on",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = TriageRule.objects.get(text="充电宝柜")
    assert rule.created_by == world.admin
    suggestion = suggest(TEXT)
    assert suggestion.category == "property"
    assert "充电宝柜" in suggestion.matched
    assert AuditEntry.objects.filter(
        target_type="triage.triagerule", target_id=str(rule.pk), action="create"
    ).exists()

    # Switching it off in the admin list takes effect at once too.
    response = client.post(
        "/admin/triage/triagerule/?q=充电宝柜",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(rule.pk),
            "form-0-weight": "4",
            "_save": "保存",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    assert suggest(TEXT).category != "property"


def test_admin_lists_rules_and_shows_corrections_read_only(world, client):
    from gridgov.triage.services import record_correction

    record_correction(text=TEXT, suggested=suggest(TEXT), category="other", urgency="normal", by=world.alice)
    client.force_login(world.admin)
    page = client.get("/admin/triage/triagerule/?target__exact=urgent")
    assert page.status_code == 200
    assert "困人" in page.content.decode()
    corrections = client.get("/admin/triage/correction/")
    assert corrections.status_code == 200
    assert TEXT[:10] in corrections.content.decode()
    assert client.get("/admin/triage/correction/add/").status_code == 403


def test_admin_form_rejects_a_bad_rule_in_chinese(world, client):
    client.force_login(world.admin)
    response = client.post(
        "/admin/triage/triagerule/add/",
        {"target": "urgent", "kind": "phrase", "text": "  ", "weight": "0", "is_active": "on"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "权重不能为 0" in body
    assert not TriageRule.objects.filter(target="urgent", text="").exists()


def test_staff_without_admin_rights_cannot_open_the_rule_admin(world, client):
    client.force_login(world.carol)
    response = client.get("/admin/triage/triagerule/")
    assert response.status_code in (302, 403)


def test_rule_written_by_another_process_is_seen_after_the_check_interval(db, settings):
    settings.TRIAGE_RULES_CHECK_SECONDS = 3600
    before = suggest(TEXT)
    # Another worker writes straight to the table: this process is not told.
    TriageRule.objects.create(target="property", text="充电宝柜", weight=6)
    assert suggest(TEXT) == before, "within the interval the cached rules are used"
    settings.TRIAGE_RULES_CHECK_SECONDS = 0
    assert suggest(TEXT).category == "property"


def test_service_update_and_delete_take_effect(world, settings):
    settings.TRIAGE_RULES_CHECK_SECONDS = 3600
    suggest(TEXT)
    # Decisive (RULE_DECISIVE points): the rule alone decides, whatever the model says.
    rule = rule_create(by=world.admin, target="welfare", text="充电宝柜", weight=9)
    assert suggest(TEXT).category == "welfare"
    rule_update(by=world.admin, rule=rule, target="order")
    assert suggest(TEXT).category == "order"
    audit = AuditEntry.objects.filter(target_type="triage.triagerule", action="update").first()
    assert audit.changes["target"] == ["welfare", "order"]
    rule_delete(by=world.admin, rule=rule)
    assert suggest(TEXT).category not in ("order", "welfare")
    assert not TriageRule.objects.filter(pk=rule.pk).exists()


def test_keyword_rules_match_whole_tokens_only(world):
    rule_create(by=world.admin, target="order", kind="keyword", text="扫码点单", weight=4)
    assert suggest("门口有人拉人扫码点单送礼品").category == "order"
    # A keyword is not found inside another word.
    rule_create(by=world.admin, target="dispute", kind="keyword", text="瓜", weight=9)
    assert suggest("西瓜皮扔了一地").category != "dispute"


def test_non_admins_cannot_change_rules(world):
    with pytest.raises(Forbidden) as raised:
        rule_create(by=world.carol, target="order", text="试试", weight=1)
    assert "系统管理员" in str(raised.value)
    rule = TriageRule.objects.first()
    with pytest.raises(Forbidden):
        rule_update(by=world.alice, rule=rule, weight=9)
    with pytest.raises(Forbidden):
        rule_delete(by=world.erin, rule=rule)
    assert selectors.rule_list(world.alice).count() == 0
    assert selectors.rule_list(world.admin).count() == TriageRule.objects.count() > 500


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"text": "", "weight": 2}, "text", "不能为空"),
        ({"text": "好" * 41, "weight": 2}, "text", "最多 40 个字"),
        ({"text": "甲乙", "weight": 0}, "weight", "不能为 0"),
        ({"text": "甲乙", "weight": 11}, "weight", "-10 到 10"),
        ({"text": "甲乙", "weight": 2, "target": "nope"}, "target", "目标"),
    ],
)
def test_bad_rules_are_refused_with_a_chinese_message(world, values, field, message):
    values = {"target": "order", **values}
    count = TriageRule.objects.count()
    with pytest.raises(ValidationError) as raised:
        rule_create(by=world.admin, **values)
    assert message in " ".join(raised.value.message_dict[field])
    assert TriageRule.objects.count() == count


def test_duplicate_rule_is_refused(world):
    with pytest.raises(ValidationError) as raised:
        rule_create(by=world.admin, target="facility", text=" 路灯不亮 ", weight=1)
    assert "已经是这个目标的规则" in raised.value.message_dict["text"][0]


def test_default_rules_are_loaded_by_the_migration(db):
    assert TriageRule.objects.filter(target="urgent", text="困人").exists()
    assert TriageRule.objects.filter(target="urgent", weight__lt=0).exists(), "counter-evidence rules"
    assert set(TriageRule.objects.values_list("target", flat=True)) >= {"sanitation", "inquiry", "urgent"}


def test_warm_up_is_quiet(db, capfd, monkeypatch):
    import logging

    # Start from a cold process: no tokenizer yet, jieba's logger as chatty as it ships.
    logging.getLogger("jieba").setLevel(logging.DEBUG)
    monkeypatch.setattr(engine, "_tokenizer", None)
    monkeypatch.setattr(engine, "_added_words", set())
    engine.warm_up()
    assert suggest("路灯不亮").category == "facility"
    captured = capfd.readouterr()
    assert "prefix dict" not in captured.err + captured.out
