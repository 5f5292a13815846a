from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("triage", *args, stdout=out)
    return out.getvalue()


def test_single_text_prints_code_name_urgency_confidence_and_matches():
    out = run("6栋电梯困人了，快来")
    assert "分类：facility 设施维修" in out
    assert "紧急程度：urgent 紧急" in out
    assert "置信度：0." in out
    assert "命中：电梯困人、" in out


def test_single_text_as_json():
    data = json.loads(run("路灯不亮", "--json"))
    assert data["category"] == "facility"
    assert data["urgency"] == "normal"


def test_empty_text_and_no_input_are_refused_in_chinese():
    with pytest.raises(CommandError, match="文本不能为空"):
        run("  ")
    with pytest.raises(CommandError, match="请给出要分类的文本"):
        run()
    with pytest.raises(CommandError, match="无法打开文件"):
        run("--file", "/nonexistent/reports.jsonl")


def test_file_gives_one_json_line_per_input_line_in_order(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"text": "楼下垃圾成堆没人清", "id": 1}, ensure_ascii=False),
                "{这不是 JSON",
                json.dumps({"title": "没有 text 字段"}, ensure_ascii=False),
                "[1, 2]",
                "",
                json.dumps({"text": "电梯里有人被困，快来"}, ensure_ascii=False),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    lines = [json.loads(line) for line in run("--file", str(path)).splitlines()]
    assert len(lines) == 6
    assert lines[0]["category"] == "sanitation" and lines[0]["urgency"] == "normal"
    assert 0 < lines[0]["confidence"] <= 1
    assert lines[1] == {"line": 2, "error": "第 2 行不是有效的 JSON"}
    assert "缺少 text 字段" in lines[2]["error"]
    assert "JSON 对象" in lines[3]["error"]
    assert lines[4]["error"] == "第 5 行是空行"
    assert (lines[5]["line"], lines[5]["category"], lines[5]["urgency"]) == (6, "facility", "urgent")


def test_evaluate_prints_per_category_overall_urgency_and_confusions(tmp_path):
    path = tmp_path / "labelled.jsonl"
    rows = [
        {"text": "路灯不亮了", "category": "facility", "urgency": "normal"},
        {"text": "电梯困人", "category": "facility", "urgency": "urgent"},
        {"text": "物业费太贵", "category": "property", "urgency": "normal"},
        # Labelled differently from what the rules say: one category miss, one urgency miss.
        {"text": "占道经营的摊贩太多", "category": "sanitation", "urgency": "urgent"},
    ]
    path.write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + '\n{"text": "缺标注"}\n',
        encoding="utf-8",
    )
    out = run("--evaluate", "--file", str(path))
    assert "样本数：4" in out
    assert "facility   设施维修" in out and "2/2\t100.0%" in out
    assert "sanitation 环境卫生" in out and "0/1\t0.0%" in out
    assert "分类总体准确率：75.0%（3/4）" in out
    assert "紧急程度准确率：75.0%（3/4；漏判紧急 1，误判紧急 0）" in out
    assert "环境卫生 → 市容秩序：1" in out
    assert "第 5 行的 category 不是已知分类" in out


def test_evaluate_refuses_a_file_without_labels(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text('{"text": "路灯不亮"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="没有可评测的标注样本"):
        run("--evaluate", "--file", str(path))


CATEGORIES = {
    "sanitation",
    "facility",
    "safety",
    "dispute",
    "property",
    "order",
    "welfare",
    "inquiry",
    "suggestion",
    "other",
}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_evaluation_data_is_large_varied_and_its_held_out_part_kept_apart():
    from gridgov.triage import concepts, learning
    from gridgov.triage.models import normalize

    holdout = _rows(learning.HOLDOUT_FILE)
    new_dev = _rows(learning.DATA / "eval_dev.jsonl")
    blind_dev = _rows(learning.DATA / "eval_dev_blind.jsonl") + _rows(learning.DATA / "eval_dev_blind2.jsonl")
    dev = [row for path in learning.DEV_FILES for row in _rows(path)]
    assert len(holdout) + len(dev) >= 1000 and len(holdout) >= 390
    # Written by a third author who never saw the rules, the code or the data; rich in emergencies.
    assert sum(row["urgency"] == "urgent" for row in holdout) >= 95
    assert not {normalize(row["text"]) for row in holdout} & {normalize(row["text"]) for row in dev}
    for rows in (holdout, new_dev, blind_dev):
        assert {row["category"] for row in rows} == CATEGORIES
        urgent = sum(row["urgency"] == "urgent" for row in rows) / len(rows)
        assert 0.08 <= urgent <= (0.30 if rows is holdout else 0.11)
        hard = sum(row["category"] in ("other", "suggestion", "inquiry") for row in rows) / len(rows)
        assert hard >= 0.15
        for row in rows:
            assert set(row) == {"text", "category", "subcategory", "urgency"}
            sub = row["subcategory"]
            assert sub is None or concepts.SUBCATEGORY_PARENTS[sub] == row["category"], row
    assert len(learning.eval_rows("dev")) == len(dev) and len(learning.eval_rows("holdout")) == len(holdout)


def test_accuracy_floors_on_the_held_out_part():
    # The held-out part was never used to tune rules, thresholds or models; these floors sit a little
    # below the measured figures (data/README.md) so that a change that hurts shows up here.
    from gridgov.triage import learning
    from gridgov.triage.evaluation import score

    holdout = learning.eval_rows("holdout")
    combined = score(holdout)
    rules_only = score(holdout, model=None)
    assert combined.category_accuracy >= 0.85
    # Measured 73.0 %: below the 95 % the issue asks for (data/README.md).
    assert combined.urgent_recall >= 0.70
    assert combined.false_urgent_rate <= 0.10
    assert rules_only.category_accuracy < combined.category_accuracy
    # Old keyword rules only: 44 % urgent recall on independent reports (issue 8).
    assert rules_only.urgent_recall >= 0.70


def test_evaluate_prints_held_out_and_cross_validated_figures_beside_the_rules_alone():
    out = run("--evaluate", "--folds", "2")
    assert "留出集 eval_holdout3.jsonl" in out and "从未用于调整规则、阈值或模型" in out
    assert "2 折交叉验证" in out
    assert "每折用其余各折重新训练的模型" in out
    for label in ("  分类准确率", "紧急召回率", "误判紧急率", "子分类准确率", "精确率/召回率", "混淆表"):
        assert out.count(label) == 2, label
    assert out.count("规则+模型") >= 4 and out.count("仅规则") >= 4
    data = json.loads(run("--evaluate", "--folds", "2", "--json"))
    assert data["cross_validated"]["combined"]["total"] == data["cross_validated"]["rules_only"]["total"] >= 1000
    assert set(data["holdout"]["combined"]) >= {"urgent_recall", "false_urgent_rate", "per_category"}


def test_evaluate_with_the_builtin_set_and_json_output():
    data = json.loads(run("--evaluate", "--split", "holdout", "--json"))
    assert data["total"] >= 250
    assert set(data) >= {"category_accuracy", "urgency_accuracy", "per_category", "confusions", "rules_only"}
