"""Reading report batches (JSON Lines) and scoring the rules against labelled ones."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gridgov.triage import engine
from gridgov.triage.categories import CATEGORY_CODES, CATEGORY_NAMES, URGENCY_CODES

# "Whatever model the engine currently uses" (None means the rules alone).
CURRENT_MODEL: Any = object()


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
    # What decided each category (engine.SOURCE_*): source -> [correct, total].
    by_source: dict[str, list[int]] = field(default_factory=dict)
    model_version: int | None = None
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
            "by_source": {
                source: {
                    "correct": correct,
                    "total": total,
                    "accuracy": round(correct / total, 4) if total else None,
                }
                for source, (correct, total) in self.by_source.items()
            },
            "model_version": self.model_version,
            "errors": self.errors,
        }


def evaluate(lines: Iterable[str], *, split: str | None = None, model: Any = CURRENT_MODEL) -> Evaluation:
    """Score rules and model on labelled lines; `split` keeps only lines whose `split` field matches;
    `model=None` scores the rules alone, a `LearnedModel` scores that one instead of the current."""
    errors: list[str] = []
    rows: list[dict[str, Any]] = []
    for line in read_lines(lines, labelled=True):
        if line.data is None:
            errors.append(line.error)
        elif not split or line.data.get("split") == split:
            rows.append(line.data | {"line": line.number})
    result = score(rows, model=model)
    result.errors = errors
    return result


def score(rows: Iterable[dict[str, Any]], *, model: Any = CURRENT_MODEL) -> Evaluation:
    """Score labelled rows (dicts with text, category, urgency and optionally line)."""
    if model is CURRENT_MODEL:
        engine.warm_up()
        model = engine.current_model()
    result = Evaluation(
        per_category={code: [0, 0] for code in CATEGORY_CODES},
        by_source={source: [0, 0] for source in engine.SOURCE_NAMES},
        model_version=model.version if model is not None else None,
    )
    for row in rows:
        expected_category, expected_urgency = row["category"], row["urgency"]
        decision = engine.decide(row["text"], model=model)
        suggestion = decision.suggestion
        result.total += 1
        tally = result.per_category[expected_category]
        tally[1] += 1
        source_tally = result.by_source[decision.source]
        source_tally[1] += 1
        category_ok = suggestion.category == expected_category
        urgency_ok = suggestion.urgency == expected_urgency
        if category_ok:
            result.category_correct += 1
            tally[0] += 1
            source_tally[0] += 1
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
                    "line": row.get("line"),
                    "text": row["text"],
                    "expected": [expected_category, expected_urgency],
                    "suggested": [suggestion.category, suggestion.urgency],
                    "source": decision.source,
                    "matched": list(suggestion.matched),
                }
            )
    return result


def model_label(version: int | None) -> str:
    if version is None:
        return "未使用模型（仅规则）"
    return "内置模型（评测集 dev 半 + 规则短语，尚未训练保存过）" if version == 0 else f"分类模型 v{version}"


def report_lines(result: Evaluation) -> list[str]:
    """The evaluation as the lines the command prints (Chinese, aligned)."""
    out = [f"样本数：{result.total}", f"模型：{model_label(result.model_version)}"]
    out.append("各分类召回率（按标注分类计）：")
    for code, (correct, total) in result.per_category.items():
        if total:
            out.append(f"  {code:<11}{CATEGORY_NAMES[code]:<6}\t{correct}/{total}\t{correct / total:.1%}")
    out.append(f"分类总体准确率：{result.category_accuracy:.1%}（{result.category_correct}/{result.total}）")
    out.append(
        f"紧急程度准确率：{result.urgency_accuracy:.1%}（{result.urgency_correct}/{result.total}；"
        f"漏判紧急 {result.urgent_missed}，误判紧急 {result.urgent_false}）"
    )
    sources = [
        f"{engine.SOURCE_NAMES[source]} {total} 条（准确率 {correct / total:.1%}）"
        for source, (correct, total) in result.by_source.items()
        if total
    ]
    if sources:
        out.append(f"分类依据：{'；'.join(sources)}")
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
    decision = engine.decide(text)
    suggestion = decision.suggestion
    return json.dumps(
        {
            "line": number,
            "category": suggestion.category,
            "category_name": CATEGORY_NAMES[suggestion.category],
            "urgency": suggestion.urgency,
            "confidence": suggestion.confidence,
            "matched": list(suggestion.matched),
            "source": decision.source,
        },
        ensure_ascii=False,
    )
