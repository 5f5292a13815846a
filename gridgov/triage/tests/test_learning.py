from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.core.errors import Forbidden
from gridgov.triage import engine, learning, services
from gridgov.triage.models import Correction, TriageModel, normalize
from gridgov.triage.services import (
    maybe_retrain,
    record_correction,
    rule_create,
    suggest,
    train_model,
)

# No rule and no concept group fires on this; the model decides such reports. ("能不能装个减速带"
# would be the proposal cue's: concepts.CUES.)
NO_RULE = "小区门口那个路口车太多，装个减速带就好了"
# A new local kind of report neither the rules nor the evaluation data know: flats turned into capsule hostels
# (a fire risk and unregistered lodgers, so 治安消防).
CAPSULES = "二楼那家把房子改成了胶囊旅馆"
CAPSULE_REPORTS = [
    "隔壁单元开了个胶囊旅馆，每天进进出出好多生人",
    "楼上住户把三室一厅隔成胶囊旅馆往外租",
    "胶囊旅馆里住了几十个人，走廊堆满了行李",
    "小区里的胶囊旅馆冇登记，来的人都不晓得是哪里的",
    "又发现一家胶囊旅馆，就在三单元",
    "八栋顶楼也改成胶囊旅馆了，一个床位一个床位地租",
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("triage", *args, stdout=out)
    return out.getvalue()


def _model_saying(category: str, text: str) -> dict:
    """Parameters of a model that has only ever seen `text`, labelled `category`."""
    data = learning.assemble(
        dev_rows=[{"text": text, "category": category, "urgency": "normal"}],
        holdout_texts=(),
        corrections=(),
        rules=(),
    )
    return learning.fit(data, engine.segment).to_params()


def test_training_stores_a_model_that_beats_the_rules_on_the_held_out_part(world, held_out_file):
    report = train_model(by=world.admin)
    row = TriageModel.objects.get()
    assert (row.version, row.trained_by) == (1, world.admin)
    # Each text once: three one-liners of the fourth author's ("你好", "违建", "测试一下") are in
    # earlier files too, with the same labels.
    dev = len({normalize(row["text"]) for row in learning.eval_rows("dev")})
    assert row.dev_samples == dev >= 2400 and row.correction_samples == 0 and row.rule_samples > 500
    assert row.holdout_samples == 4 and row.category_accuracy is not None
    assert report.holdout_after.total == 4
    assert row.training_seconds < 60
    assert row.parameters["format"] == learning.FORMAT
    # Everything training chose was chosen by cross-validation and is stored with the model.
    assert row.metrics["weights"]["rule_weight"] in learning.RULE_WEIGHTS
    assert row.parameters["confidence_temperature"] in learning.CONFIDENCE_TEMPERATURES
    # The urgency threshold: one fold per author's set, recall first within the false-alarm budget.
    assert row.parameters["urgency_threshold"] in learning.URGENCY_THRESHOLDS
    assert row.parameters["info"]["urgency_folds"] == len(learning.DEV_FILES)
    chosen = row.metrics["urgency_cross_validated"]
    assert chosen["urgency_cv_false_urgent"] <= learning.MAX_FALSE_URGENT
    assert chosen["urgency_cv_recall"] > chosen["urgency_cv_recall_without_model"]
    audit = AuditEntry.objects.get(target_type="triage.triagemodel", target_id=str(row.pk))
    assert audit.actor == world.admin
    assert audit.changes["samples"]["dev"] == dev


def test_training_without_a_held_out_file_stores_no_held_out_figures(db, monkeypatch):
    monkeypatch.setattr(learning, "holdout_files", lambda: [])
    report = train_model(by=SYSTEM)
    assert report.model.holdout_samples == 0 and report.model.category_accuracy is None
    assert report.model.metrics["holdout_urgent_recall"] is None


def test_only_administrators_train(world):
    with pytest.raises(Forbidden):
        train_model(by=world.carol)
    assert not TriageModel.objects.exists()


def test_the_model_decides_when_no_rule_fires_and_says_so(db, settings):
    decision = engine.decide(NO_RULE)
    assert decision.source == engine.SOURCE_MODEL
    suggestion = suggest(NO_RULE)
    assert suggestion.category == "suggestion"
    # "模型" and then only whole words of the report that speak for the category, never fragments.
    assert suggestion.matched[0] == "模型"
    assert all(len(word) >= 2 and word in NO_RULE for word in suggestion.matched[1:])
    assert 0 < suggestion.confidence < 1
    settings.TRIAGE_MODEL_ENABLED = False
    assert suggest(NO_RULE).category == "other"


def test_a_decisive_rule_wins_at_once_and_a_weaker_one_votes(world):
    lift = suggest("6栋电梯困人了，快来")
    assert (lift.category, lift.urgency) == ("facility", "urgent")
    assert "模型" not in lift.matched and lift.matched[0] == "电梯困人"
    assert suggest(NO_RULE).category == "suggestion"
    # An ordinary rule is one vote against a confident model …
    rule = rule_create(by=world.admin, target="order", text="减速带", weight=2)
    assert engine.decide(NO_RULE).source == engine.SOURCE_MODEL
    # … an administrator's decisive rule (RULE_DECISIVE points) overrides it at once and says so.
    services.rule_update(by=world.admin, rule=rule, weight=engine.RULE_DECISIVE)
    ruled = engine.decide(NO_RULE)
    assert (ruled.source, ruled.suggestion.category) == (engine.SOURCE_RULES, "order")
    assert ruled.suggestion.matched == ("减速带",)


def test_a_split_or_weak_rule_vote_is_settled_by_the_model(world):
    rule_create(by=world.admin, target="order", text="减速带", weight=2)
    rule_create(by=world.admin, target="welfare", text="路口", weight=1)
    split = engine.decide(NO_RULE)
    assert split.rules_category == "order"
    assert split.source == engine.SOURCE_MODEL
    assert split.suggestion.category == "suggestion"
    # Several ordinary rules adding up only vote, however many points (one rule of RULE_DECISIVE
    # points is what bypasses the model, test above): 9 points do not outvote a model this sure …
    rule_create(by=world.admin, target="order", text="车太多", weight=7)
    voted = engine.decide(NO_RULE)
    assert voted.verdict.scores["order"] == 9 and not voted.verdict.forced
    assert (voted.source, voted.suggestion.category) == (engine.SOURCE_MODEL, "suggestion")
    # … a few more agreeing do, and the rules are named as what decided.
    rule_create(by=world.admin, target="order", text="门口那个路口", weight=5)
    clear = engine.decide(NO_RULE)
    assert (clear.source, clear.suggestion.category) == (engine.SOURCE_RULES, "order")
    assert clear.suggestion.matched == ("车太多", "门口那个路口", "减速带")


def test_corrections_for_a_new_kind_of_report_change_similar_suggestions(world):
    before = suggest(CAPSULES)
    assert before.category != "safety"
    first = CAPSULE_REPORTS[0]
    # Corrected twice by the same person: the later label counts, once.
    record_correction(
        text=first, suggested=suggest(first), category="inquiry", urgency="normal", by=world.carol
    )
    for i, text in enumerate(CAPSULE_REPORTS):
        person = world.carol if i % 2 == 0 else world.alice
        record_correction(text=text, suggested=suggest(text), category="safety", urgency="normal", by=person)
    report = train_model(by=SYSTEM)
    assert (report.data.corrections, report.data.superseded) == (6, 1)
    assert report.data.lone == 6, "each text was labelled by one person: half weight each"
    assert report.model.last_correction_id == Correction.objects.order_by("-id").first().pk
    after = suggest(CAPSULES)
    assert after.category == "safety", after
    assert after.matched[0] == "模型" and any("胶囊" in word or "旅馆" in word for word in after.matched)


def test_one_mistaken_or_malicious_correction_cannot_flip_common_cases(world):
    lift = "3栋电梯坏了好几天没人修"
    assert engine.rules_decide(lift) == "facility"
    labelled = next(row for row in learning.eval_rows("dev") if row["category"] == "sanitation")
    for text, wrong in ((lift, "dispute"), (labelled["text"], "welfare")):
        record_correction(
            text=text, suggested=suggest(text), category=wrong, urgency="normal", by=world.carol
        )
    report = train_model(by=SYSTEM)
    # Against a decisive rule, or against the evaluation data's label: held back until someone agrees.
    assert (report.data.corrections, report.data.awaiting_agreement) == (0, 2)
    assert suggest("5栋电梯坏了，一直没人来修").category == "facility"
    assert suggest(labelled["text"]).category == "sanitation"
    # A second person agreeing makes the label count in full.
    record_correction(
        text=labelled["text"],
        suggested=suggest(labelled["text"]),
        category="welfare",
        urgency="normal",
        by=world.alice,
    )
    report = train_model(by=SYSTEM)
    assert (report.data.corrections, report.data.awaiting_agreement, report.data.lone) == (1, 1, 0)
    assert report.model.metrics["data"]["awaiting_agreement"] == 1


def test_corrections_of_held_out_texts_and_unknown_categories_are_not_trained_on(world, held_out_file):
    held_out = learning.eval_rows("holdout")[0]["text"]
    for text, category in ((held_out, "other"), (CAPSULES, "epidemic")):
        record_correction(
            text=text, suggested=suggest(text), category=category, urgency="normal", by=world.carol
        )
    report = train_model(by=SYSTEM)
    assert report.data.corrections == 0
    assert (report.data.skipped_holdout, report.data.skipped_unknown_category) == (1, 1)


def test_retraining_is_enqueued_after_commit_every_n_corrections(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TRIAGE_RETRAIN_AFTER = 3
    texts = ["社区团购的菜里吃出了虫子", "团购的肉买回来是臭的", "团购的鸡蛋一半是坏的", "团购水果烂了一半"]
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        for text in texts[:2]:
            record_correction(
                text=text, suggested=suggest(text), category="safety", urgency="normal", by=world.carol
            )
    assert waiting == [], "two corrections are not enough"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_correction(
            text=texts[2], suggested=suggest(texts[2]), category="safety", urgency="normal", by=world.carol
        )
        assert not TriageModel.objects.exists(), "nothing is trained inside the open transaction"
    assert len(callbacks) == 1
    model = TriageModel.objects.get()  # the immediate task backend ran the task on commit
    assert (model.version, model.correction_samples, model.trained_by) == (1, 3, None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_correction(
            text=texts[3], suggested=suggest(texts[3]), category="safety", urgency="normal", by=world.carol
        )
    assert callbacks == [] and TriageModel.objects.count() == 1
    assert maybe_retrain(min_new_corrections=1) is True
    with pytest.raises(ValueError):
        maybe_retrain(min_new_corrections=0)


def test_the_task_skips_when_not_enough_new_corrections(db):
    from gridgov.triage.tasks import retrain_model

    assert services.retrain_if_due(min_new_corrections=5) is None
    result = retrain_model.enqueue(0)
    assert result.return_value["trained"] is True and result.return_value["version"] == 1
    # Same data again: another worker's duplicate does not store a second model.
    assert retrain_model.enqueue(0).return_value["version"] == 1
    assert TriageModel.objects.count() == 1


def test_a_new_model_is_used_at_once_here_and_after_the_check_interval_elsewhere(db, settings):
    settings.TRIAGE_RULES_CHECK_SECONDS = 3600
    first = suggest(NO_RULE)
    assert first.category == "suggestion"
    # Another process stores a model that calls this text "welfare": this one is not told.
    TriageModel.objects.create(version=7, parameters=_model_saying("welfare", NO_RULE))
    assert suggest(NO_RULE) == first, "within the interval the cached model is used"
    settings.TRIAGE_RULES_CHECK_SECONDS = 0
    assert suggest(NO_RULE).category == "welfare"
    assert engine.decide(NO_RULE).model_version == 7
    # Training in this process switches to the new version on the very next suggestion.
    settings.TRIAGE_RULES_CHECK_SECONDS = 3600
    report = train_model(by=SYSTEM)
    assert report.model.version == 8
    assert engine.decide(NO_RULE).model_version == 8
    assert suggest(NO_RULE).category == "suggestion"


def test_a_broken_model_row_falls_back_to_the_rules(db, caplog):
    TriageModel.objects.create(version=1, parameters={"format": 99})
    with caplog.at_level(logging.ERROR, logger="gridgov.triage.engine"):
        suggestion = suggest(NO_RULE)
    assert suggestion.category == "other"
    assert "cannot be loaded" in caplog.text
    assert suggest("路灯不亮了").category == "facility"


def test_old_models_keep_their_history_but_not_their_parameters(db):
    for version in range(1, 6):
        TriageModel.objects.create(version=version, parameters=_model_saying("welfare", NO_RULE))
    train_model(by=SYSTEM)
    emptied = set(TriageModel.objects.filter(parameters={}).values_list("version", flat=True))
    assert emptied == {1}
    assert TriageModel.objects.count() == 6


def test_model_urgency_only_adds_urgent_calls_no_rule_spoke_against(db):
    model = engine.build_builtin_model()
    model.urgency_threshold = 0.0  # a model that calls everything urgent
    loud = engine.decide("路灯坏了", model=model).suggestion
    assert loud.urgency == "urgent" and "模型判断紧急" in loud.matched
    assert engine.decide("楼道灯坏了，不着急，有空来修一下", model=model).suggestion.urgency == "normal"
    # Nor against a negation, a resolution or a hypothetical the concept groups found.
    for text in ("楼道里没有冒烟，是楼下在烧纸", "刚才厨房着火了，已经扑灭了", "万一电梯困人了怎么办"):
        assert engine.decide(text, model=model).suggestion.urgency == "normal", text
    model.urgency_threshold = None
    assert engine.decide("路灯坏了", model=model).suggestion.urgency == "normal"


def test_train_command_prints_samples_and_before_after(db, held_out_file):
    out = run("--train")
    dev = len({normalize(row["text"]) for row in learning.eval_rows("dev")})
    holdout = len(learning.eval_rows("holdout"))
    assert f"训练样本：评测集开发数据 {dev} 条，分类确认记录 0 条" in out
    assert f"留出集评测（{holdout} 条，训练和选参数时从未使用）" in out
    assert "分类准确率：仅规则 " in out and "训练前 " in out and "→ 训练后 " in out
    assert "紧急召回率：仅规则 " in out and "误判紧急率 " in out
    assert "模型补充紧急判断：启用" in out and "交叉验证紧急召回率" in out
    assert "综合权重（交叉验证选定）" in out
    assert "facility   设施维修" in out and "→" in out
    assert "已保存 分类模型 v1" in out
    data = json.loads(run("--train", "--json"))
    assert data["version"] == 2
    assert data["holdout"]["after"]["total"] == holdout
    assert data["urgency_threshold"] in learning.URGENCY_THRESHOLDS
    with pytest.raises(CommandError, match="--train 不能与"):
        run("--train", "--evaluate")


def test_train_command_without_a_held_out_file_says_so(db, monkeypatch):
    monkeypatch.setattr(learning, "holdout_files", lambda: [])
    out = run("--train")
    assert "留出集：暂无" in out and "留出集评测（" not in out
    assert "已保存 分类模型 v1" in out


def test_evaluate_shows_what_decided_and_rules_only_for_comparison(db):
    out = run("--evaluate", "--split", "dev")
    assert "模型：内置模型" in out
    assert "各分类召回率" in out
    assert "分类依据：规则 " in out and "模型 " in out
    assert "规则+模型与仅规则对照" in out and "紧急召回率" in out and "误判紧急率" in out
    rules_only = run("--evaluate", "--split", "dev", "--rules-only")
    assert "模型：未使用模型（仅规则和概念组）" in rules_only
    assert "分类总体准确率：" in rules_only and "规则+模型与仅规则对照" not in rules_only
    mistakes = run("--evaluate", "--split", "dev", "--mistakes").splitlines()
    assert any('"source": "model"' in line for line in mistakes)
    assert "依据：模型" in run(NO_RULE)
    assert json.loads(run(NO_RULE, "--json"))["source"] == "model"


def test_administrators_see_the_model_history_read_only(world, client, held_out_file):
    from gridgov.triage import selectors

    row = train_model(by=world.admin).model
    assert selectors.model_list(world.carol).count() == 0
    assert [m.version for m in selectors.model_list(world.admin)] == [1]
    client.force_login(world.admin)
    page = client.get("/admin/triage/triagemodel/")
    assert page.status_code == 200
    assert str(row.category_accuracy) in page.content.decode()
    assert client.get("/admin/triage/triagemodel/add/").status_code == 403
    client.force_login(world.carol)
    assert client.get("/admin/triage/triagemodel/").status_code in (302, 403)


def test_hotline_boilerplate_is_no_feature():
    plain = learning.features("楼道灯坏了", engine.segment)
    assert learning.features("居民反映：楼道灯坏了", engine.segment) == plain
    assert learning.features("来电人称：楼道灯坏了啊", engine.segment) == plain
    assert "w:反映" in learning.features("居民反映：楼道灯坏了", engine.segment, noise=False)


def test_a_stored_model_keeps_the_features_it_was_trained_on(db):
    model = engine.current_model()
    params = model.to_params()
    assert params["features"] == {"ngram": learning.NGRAM, "words": True, "noise": True}
    again = learning.LearnedModel.from_params(params, version=3)
    assert (again.ngram, again.noise) == (learning.NGRAM, True)
    # A model stored before the features were recorded in full: 1–3-grams, boilerplate kept.
    params["features"] = {"ngram": 3, "words": True}
    older = learning.LearnedModel.from_params(params, version=2)
    assert (older.ngram, older.noise) == (3, False)
    assert "w:反映" in older.predict("居民反映：楼道灯坏了", engine.segment).document


def test_a_model_decided_urgency_names_what_decided_it(db):
    # Recall first: the concept groups alone leave this one normal (a spark and a smell, the power cut
    # already), the urgency model flags it, and says which concepts and words weighed.
    text = "厨房插座冒火星了还有股烧焦的味道，我已经拉了总闸"
    assert engine.decide(text, model=None).suggestion.urgency == "normal"
    decision = engine.decide(text)
    assert (decision.urgency_source, decision.suggestion.urgency) == ("model", "urgent")
    matched = decision.suggestion.matched
    evidence = matched[matched.index(engine.MODEL_URGENT_MARK) + 1 :]
    assert evidence, matched
    norm = normalize(text)
    for item in evidence:
        if item.startswith(engine.MODEL_EVIDENCE_MARK):
            assert all(part in norm for part in item.removeprefix(engine.MODEL_EVIDENCE_MARK).split("、")), (
                item
            )
        else:
            assert "：" in item, item  # a concept or cue with its words
    why = engine.explain(text).why
    assert any(line.startswith("紧急：") and "阈值" in line for line in why)


def test_the_urgency_threshold_is_the_lowest_within_the_false_alarm_budget(monkeypatch):
    # (P(urgent) out of fold, urgent, rules said urgent): 100 normal reports, 2 of them false alarms
    # of the rules already; a 6 % budget leaves room for 4 more.
    monkeypatch.setattr(learning, "MAX_FALSE_URGENT", 0.08)
    scored = [(0.01 * i, False, False) for i in range(98)] + [(0.0, False, True)] * 2
    scored += [(0.95, True, False), (0.9, True, False), (0.5, True, False), (0.3, True, True)]
    assert learning._best_urgency_threshold(scored)[0] == 0.92  # 8 % (the default): six more fit
    monkeypatch.setattr(learning, "MAX_FALSE_URGENT", 0.06)
    threshold, chosen = learning._best_urgency_threshold(scored)
    assert threshold == 0.94  # four false alarms at 0.94–0.97 fit; at 0.92 there would be six
    assert chosen["urgency_cv_false_urgent"] <= learning.MAX_FALSE_URGENT
    assert (chosen["urgency_cv_recall"], chosen["urgency_cv_recall_without_model"]) == (0.5, 0.25)
    # A model that catches nothing the rules missed within the budget stays silent.
    assert learning._best_urgency_threshold([(0.99, False, False)] * 10 + [(0.1, True, False)])[0] is None


def test_a_stored_model_predicts_as_it_was_trained_and_an_older_format_still_loads(db):
    model = engine.build_builtin_model()
    text = normalize("厨房插座冒火星了还有股烧焦的味道")
    before = model.predict(text, engine.segment)
    params = json.loads(json.dumps(model.to_params()))
    loaded = learning.LearnedModel.from_params(params, version=3)
    after = loaded.predict(text, engine.segment)
    assert after.urgent_probability == pytest.approx(before.urgent_probability)
    assert loaded.urgency_stack is not None and loaded.urgency_threshold == model.urgency_threshold
    # A format-2 model (before the urgency stack): its urgency probability is the naive Bayes one.
    params.update(format=2, urgency_stack=None)
    older = learning.LearnedModel.from_params(params, version=2)
    assert older.urgency_stack is None
    assert 0 <= older.predict(text, engine.segment).urgent_probability <= 1


def test_leave_one_file_out_scores_each_file_with_a_model_trained_on_the_others(db):
    from gridgov.triage.evaluation import cross_validate

    rows = [row for path in learning.DEV_FILES[:3] for row in learning.eval_rows(path=path)[:40]]
    per_fold: dict = {}
    result = cross_validate(rows, by_file=True, per_fold=per_fold)
    assert sorted(per_fold) == sorted(path.name for path in learning.DEV_FILES[:3])
    assert all(fold.total == 40 for fold in per_fold.values()) and result.total == 120
