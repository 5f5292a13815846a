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

    new_dev = _rows(learning.DATA / "eval_dev.jsonl")
    blind_dev = _rows(learning.DATA / "eval_dev_blind.jsonl") + _rows(learning.DATA / "eval_dev_blind2.jsonl")
    # The third author's set: scored once as eval_holdout3.jsonl, then moved to development.
    third = _rows(learning.DATA / "eval_dev_blind3.jsonl")
    # The fourth author's: scored once as eval_holdout4.jsonl (sha256 ed646d40…), then moved too.
    fourth = _rows(learning.DATA / "eval_dev_blind4.jsonl")
    dev = [row for path in learning.DEV_FILES for row in _rows(path)]
    assert not (learning.DATA / "eval_holdout3.jsonl").exists()
    assert not (learning.DATA / "eval_holdout4.jsonl").exists()
    assert len(dev) >= 2900 and len(third) == 397 and len(fourth) == 520
    assert sum(row["urgency"] == "urgent" for row in third) == 100
    assert sum(row["urgency"] == "urgent" for row in fourth) == 130
    for rows in (third, fourth, new_dev, blind_dev):
        assert {row["category"] for row in rows} == CATEGORIES
        urgent = sum(row["urgency"] == "urgent" for row in rows) / len(rows)
        assert 0.08 <= urgent <= (0.30 if rows is third or rows is fourth else 0.11)
        hard = sum(row["category"] in ("other", "suggestion", "inquiry") for row in rows) / len(rows)
        assert hard >= 0.15
        for row in rows:
            assert set(row) == {"text", "category", "subcategory", "urgency"}
            sub = row["subcategory"]
            # Food safety moved under 市容秩序 (issue 9 defect 9): every such row was relabelled.
            assert sub is None or concepts.SUBCATEGORY_PARENTS[sub] == row["category"], row
    # Whatever held-out file is present now is apart from the development data.
    holdout = [row for path in learning.holdout_files() for row in _rows(path)]
    assert not {normalize(row["text"]) for row in holdout} & {normalize(row["text"]) for row in dev}
    assert len(learning.eval_rows("dev")) == len(dev) and len(learning.eval_rows("holdout")) == len(holdout)
    assert {row["file"] for row in learning.eval_rows("dev")} == {path.name for path in learning.DEV_FILES}


def test_held_out_files_are_found_by_pattern_and_may_be_absent(tmp_path, monkeypatch):
    from gridgov.triage import learning

    monkeypatch.setattr(learning, "DATA", tmp_path)
    assert learning.holdout_files() == [] and learning.eval_rows("holdout") == []
    for name in ("eval_holdout8.jsonl", "eval_holdout9.jsonl", "eval_dev_x.jsonl"):
        (tmp_path / name).write_text('{"text": "路灯不亮", "category": "facility", "urgency": "normal"}\n')
    assert [path.name for path in learning.holdout_files()] == ["eval_holdout8.jsonl", "eval_holdout9.jsonl"]
    assert [row["file"] for row in learning.eval_rows("holdout")] == [
        "eval_holdout8.jsonl",
        "eval_holdout9.jsonl",
    ]


@pytest.mark.skipif(
    not list((Path(__file__).resolve().parents[1] / "data").glob("eval_holdout*.jsonl")),
    reason="no held-out file present: the next one is written blind and dropped in by the lead",
)
def test_accuracy_floors_on_the_held_out_part():
    # The held-out file was never used to tune rules, thresholds or models. The floors are the
    # issue's targets (the fourth author's file scored 84.2 % category, 94.6 % urgent recall, 4.4 %
    # false urgent when it was held out: data/README.md), so a miss shows here, not in a comment.
    from gridgov.triage import learning
    from gridgov.triage.evaluation import score

    holdout = learning.eval_rows("holdout")
    combined = score(holdout)
    rules_only = score(holdout, model=None)
    assert combined.category_accuracy >= 0.85
    assert combined.urgent_recall >= 0.95
    assert combined.false_urgent_rate <= 0.10
    assert rules_only.category_accuracy < combined.category_accuracy
    assert combined.urgent_recall >= rules_only.urgent_recall


def test_evaluate_prints_held_out_and_cross_validated_figures_beside_the_rules_alone(held_out_file):
    out = run("--evaluate", "--folds", "2")
    assert f"留出集 {held_out_file.name}" in out and "从未用于调整规则、阈值或模型" in out
    assert "2 折交叉验证" in out and "留一文件交叉验证" in out
    assert "每折用其余各折重新训练的模型" in out and "每折留出一个文件" in out
    for label in ("  分类准确率", "紧急召回率", "误判紧急率", "子分类准确率", "精确率/召回率", "混淆表"):
        assert out.count(label) >= 3, label
    assert out.count("规则+模型") >= 6 and out.count("仅规则") >= 6
    # Each development file's figures when it was the one left out.
    assert all(f"    {path.name} " in out for path in learning_dev_files())


def test_evaluate_without_a_held_out_file_still_cross_validates_and_meets_the_floors(monkeypatch):
    from gridgov.triage import learning

    monkeypatch.setattr(learning, "holdout_files", lambda: [])
    data = json.loads(run("--evaluate", "--json"))
    assert data["holdout"] is None
    assert (
        data["cross_validated"]["combined"]["total"] == data["cross_validated"]["rules_only"]["total"] >= 2400
    )
    assert set(data["leave_one_file_out"]["by_file"]) == {path.name for path in learning.DEV_FILES}
    # Floors a little below the measured figures (data/README.md: 5-fold 88.6 % / 99.3 % / 7.0 %;
    # leave one file out 89.5 % / 99.3 % / 7.1 %; the third author's file 100 % at 7.4 %, the
    # fourth's 84.8 %, 97.7 % at 5.1 %). The urgency model exists for recall on unseen authors,
    # within the 10 % false-alarm budget (the threshold aims at 8 %).
    for key in ("cross_validated", "leave_one_file_out"):
        combined, rules_only = data[key]["combined"], data[key]["rules_only"]
        assert combined["category_accuracy"] >= 0.875, key
        assert combined["urgent_recall"] >= 0.98 > rules_only["urgent_recall"], key
        assert combined["false_urgent_rate"] <= 0.08, key
        assert set(combined["per_category"]["order"]) >= {"precision", "recall"}
    third = data["leave_one_file_out"]["by_file"]["eval_dev_blind3.jsonl"]
    assert third["urgent_recall"] >= 0.97 and third["false_urgent_rate"] <= 0.08
    fourth = data["leave_one_file_out"]["by_file"]["eval_dev_blind4.jsonl"]
    assert fourth["urgent_recall"] >= 0.96 and fourth["false_urgent_rate"] <= 0.07
    assert fourth["category_accuracy"] >= 0.84
    # The printed report without a held-out file (the folds stubbed: they were measured above).
    from gridgov.triage.evaluation import score

    monkeypatch.setattr(
        "gridgov.triage.management.commands.triage.cross_validate",
        lambda rows, **kwargs: score(rows[:40], model=None),
    )
    out = run("--evaluate")
    assert "留出集：暂无" in out and "eval_holdout*.jsonl" in out and "留一文件交叉验证" in out
    with pytest.raises(CommandError, match="现在没有留出集"):
        run("--evaluate", "--split", "holdout")


def test_evaluate_with_the_builtin_set_and_json_output(held_out_file):
    data = json.loads(run("--evaluate", "--split", "holdout", "--json"))
    assert data["total"] == 4
    assert set(data) >= {"category_accuracy", "urgency_accuracy", "per_category", "confusions", "rules_only"}


def learning_dev_files() -> tuple[Path, ...]:
    from gridgov.triage import learning

    return learning.DEV_FILES
