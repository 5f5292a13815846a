"""Reading report batches (JSON Lines) and scoring the rules against labelled ones."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gridgov.triage import engine
from gridgov.triage.categories import CATEGORY_CODES, CATEGORY_NAMES, URGENCY_CODES


@dataclass
class Line:
    number: int
    data: dict[str, Any] | None = None
    error: str = ""


def read_lines(lines: Iterable[str], *, labelled: bool = False) -> Iterator[Line]:
    """One `Line` per input line, in order: the parsed object or a Chinese error naming the problem."""
    for number, raw in enumerate(lines, 1):
        raw = raw.strip().lstrip("\ufeff")
        if not raw:
            yield Line(number, error=f"第 {number} 行是空行")
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            yield Line(number, error=f"第 {number} 行不是有效的 JSON")
            continue
        if not isinstance(data, dict):
            yield Line(number, error=f"第 {number} 行应是一个 JSON 对象（{{...}}）")
            continue
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            yield Line(number, error=f"第 {number} 行缺少 text 字段，或 text 不是非空文本")
            continue
        if labelled:
            if data.get("category") not in CATEGORY_CODES:
                yield Line(number, error=f"第 {number} 行的 category 不是已知分类：{data.get('category')!r}")
                continue
            if data.get("urgency") not in URGENCY_CODES:
                yield Line(number, error=f"第 {number} 行的 urgency 只能是 normal 或 urgent")
                continue
        yield Line(number, data=data)


@dataclass
class Evaluation:
    total: int = 0
    category_correct: int = 0
    urgency_correct: int = 0
    per_category: dict[str, list[int]] = field(default_factory=dict)  # code -> [correct, total]
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, suggested)
    urgent_missed: int = 0
    urgent_false: int = 0
    errors: list[str] = field(default_factory=list)
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.total if self.total else 0.0

    @property
    def urgency_accuracy(self) -> float:
        return self.urgency_correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "category_accuracy": round(self.category_accuracy, 4),
            "urgency_accuracy": round(self.urgency_accuracy, 4),
            "per_category": {
                code: {
                    "correct": correct,
                    "total": total,
                    "accuracy": round(correct / total, 4) if total else None,
                }
                for code, (correct, total) in self.per_category.items()
            },
            "confusions": [
                {"expected": expected, "suggested": suggested, "count": count}
                for (expected, suggested), count in self.confusions.most_common()
            ],
            "urgent_missed": self.urgent_missed,
            "urgent_false": self.urgent_false,
            "errors": self.errors,
        }


def evaluate(lines: Iterable[str], *, split: str | None = None) -> Evaluation:
    """Score the current rules on labelled lines; `split` keeps only lines whose `split` field matches."""
    result = Evaluation(per_category={code: [0, 0] for code in CATEGORY_CODES})
    for line in read_lines(lines, labelled=True):
        if line.data is None:
            result.errors.append(line.error)
            continue
        if split and line.data.get("split") != split:
            continue
        expected_category, expected_urgency = line.data["category"], line.data["urgency"]
        suggestion = engine.suggest(line.data["text"])
        result.total += 1
        tally = result.per_category[expected_category]
        tally[1] += 1
        category_ok = suggestion.category == expected_category
        urgency_ok = suggestion.urgency == expected_urgency
        if category_ok:
            result.category_correct += 1
            tally[0] += 1
        else:
            result.confusions[(expected_category, suggestion.category)] += 1
        if urgency_ok:
            result.urgency_correct += 1
        elif expected_urgency == "urgent":
            result.urgent_missed += 1
        else:
            result.urgent_false += 1
        if not (category_ok and urgency_ok):
            result.mistakes.append(
                {
                    "line": line.number,
                    "text": line.data["text"],
                    "expected": [expected_category, expected_urgency],
                    "suggested": [suggestion.category, suggestion.urgency],
                    "matched": list(suggestion.matched),
                }
            )
    return result


def report_lines(result: Evaluation) -> list[str]:
    """The evaluation as the lines the command prints (Chinese, aligned)."""
    out = [f"样本数：{result.total}"]
    out.append("各分类准确率（按标注分类计）：")
    for code, (correct, total) in result.per_category.items():
        if total:
            out.append(f"  {code:<11}{CATEGORY_NAMES[code]:<6}\t{correct}/{total}\t{correct / total:.1%}")
    out.append(f"分类总体准确率：{result.category_accuracy:.1%}（{result.category_correct}/{result.total}）")
    out.append(
        f"紧急程度准确率：{result.urgency_accuracy:.1%}（{result.urgency_correct}/{result.total}；"
        f"漏判紧急 {result.urgent_missed}，误判紧急 {result.urgent_false}）"
    )
    if result.confusions:
        out.append("主要混淆（标注 → 建议：条数）：")
        for (expected, suggested), count in result.confusions.most_common(10):
            out.append(f"  {CATEGORY_NAMES[expected]} → {CATEGORY_NAMES[suggested]}：{count}")
    else:
        out.append("主要混淆：无")
    if result.errors:
        out.append(f"无法读取的行：{len(result.errors)}")
        out.extend(f"  {error}" for error in result.errors)
    return out


def suggestion_json(number: int, text: str) -> str:
    suggestion = engine.suggest(text)
    return json.dumps(
        {
            "line": number,
            "category": suggestion.category,
            "category_name": CATEGORY_NAMES[suggestion.category],
            "urgency": suggestion.urgency,
            "confidence": suggestion.confidence,
            "matched": list(suggestion.matched),
        },
        ensure_ascii=False,
    )
