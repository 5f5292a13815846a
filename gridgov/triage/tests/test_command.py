from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.triage.evaluation import evaluate

pytestmark = pytest.mark.django_db
EVAL_SET = Path(__file__).resolve().parents[1] / "data" / "eval_reports.jsonl"


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


def test_the_evaluation_set_is_large_labelled_and_split_in_halves():
    rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    splits = {row["split"] for row in rows}
    assert splits == {"dev", "holdout"}
    dev = sum(row["split"] == "dev" for row in rows)
    assert abs(dev - (len(rows) - dev)) <= 5
    assert {row["category"] for row in rows} == {
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
    assert sum(row["urgency"] == "urgent" for row in rows) >= 20


def test_accuracy_floor_on_the_evaluation_set():
    # The rules were tuned on the dev half only; the held-out half was never looked at line by line.
    # These floors are the measured figures rounded down, so a rule change that hurts shows up here.
    with EVAL_SET.open(encoding="utf-8") as stream:
        dev = evaluate(stream, split="dev")
    with EVAL_SET.open(encoding="utf-8") as stream:
        holdout = evaluate(stream, split="holdout")
    with EVAL_SET.open(encoding="utf-8") as stream:
        rules_only = evaluate(stream, split="holdout", model=None)
    # The built-in model (dev half + rule phrases) where the rules are silent or split:
    # measured 98.2 % / 99.4 % on dev (its training data), 77.9 % / 93.0 % held out; rules alone 57.0 %.
    assert dev.category_accuracy >= 0.95
    assert dev.urgency_accuracy >= 0.97
    assert holdout.category_accuracy >= 0.75
    assert holdout.urgency_accuracy >= 0.90
    assert rules_only.category_accuracy >= 0.55


def test_evaluate_with_the_builtin_set_and_json_output():
    data = json.loads(run("--evaluate", "--split", "holdout", "--json"))
    assert data["total"] >= 100
    assert set(data) >= {"category_accuracy", "urgency_accuracy", "per_category", "confusions"}
