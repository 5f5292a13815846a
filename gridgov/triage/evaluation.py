"""Reading report batches (JSON Lines) and scoring triage against labelled ones: on the fixed
held-out file, cross-validated on the development data, and with the rules alone for comparison."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from gridgov.triage import engine, learning
from gridgov.triage.categories import CATEGORY_CODES, CATEGORY_NAMES, URGENCY_CODES, URGENT

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
    predicted: Counter[str] = field(default_factory=Counter)  # code -> times suggested
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, suggested)
    urgent_total: int = 0
    urgent_missed: int = 0
    urgent_false: int = 0
    # Rows that carry a subcategory label (None = none applies): [labelled, exact, suggested, right].
    subcategory: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    # What decided each category (engine.SOURCE_*): source -> [correct, total].
    by_source: dict[str, list[int]] = field(default_factory=dict)
    model_version: int | None = None
    label: str = ""
    errors: list[str] = field(default_factory=list)
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.total if self.total else 0.0

    @property
    def urgency_accuracy(self) -> float:
        return self.urgency_correct / self.total if self.total else 0.0

    @property
    def normal_total(self) -> int:
        return self.total - self.urgent_total

    @property
    def urgent_recall(self) -> float:
        """Share of the urgent reports flagged urgent."""
        return (self.urgent_total - self.urgent_missed) / self.urgent_total if self.urgent_total else 0.0

    @property
    def false_urgent_rate(self) -> float:
        """False urgent calls as a share of the normal reports."""
        return self.urgent_false / self.normal_total if self.normal_total else 0.0

    def precision(self, code: str) -> float | None:
        suggested = self.predicted.get(code, 0)
        return self.per_category.get(code, [0, 0])[0] / suggested if suggested else None

    def recall(self, code: str) -> float | None:
        correct, total = self.per_category.get(code, [0, 0])
        return correct / total if total else None

    def merge(self, other: Evaluation) -> None:
        """Add another evaluation's counts (the folds of a cross-validation)."""
        self.total += other.total
        self.category_correct += other.category_correct
        self.urgency_correct += other.urgency_correct
        for code, (correct, total) in other.per_category.items():
            tally = self.per_category.setdefault(code, [0, 0])
            tally[0] += correct
            tally[1] += total
        self.predicted.update(other.predicted)
        self.confusions.update(other.confusions)
        self.urgent_total += other.urgent_total
        self.urgent_missed += other.urgent_missed
        self.urgent_false += other.urgent_false
        self.subcategory = [a + b for a, b in zip(self.subcategory, other.subcategory, strict=True)]
        for source, (correct, total) in other.by_source.items():
            tally = self.by_source.setdefault(source, [0, 0])
            tally[0] += correct
            tally[1] += total
        self.errors.extend(other.errors)
        self.mistakes.extend(other.mistakes)

    def as_dict(self) -> dict[str, Any]:
        labelled, exact, suggested, right = self.subcategory
        return {
            "total": self.total,
            "category_accuracy": round(self.category_accuracy, 4),
            "urgency_accuracy": round(self.urgency_accuracy, 4),
            "urgent_total": self.urgent_total,
            "normal_total": self.normal_total,
            "urgent_recall": round(self.urgent_recall, 4),
            "false_urgent_rate": round(self.false_urgent_rate, 4),
            "per_category": {
                code: {
                    "correct": correct,
                    "total": total,
                    "accuracy": round(correct / total, 4) if total else None,
                    "recall": round(correct / total, 4) if total else None,
                    "precision": _round(self.precision(code)),
                }
                for code, (correct, total) in self.per_category.items()
            },
            "confusions": [
                {"expected": expected, "suggested": suggested, "count": count}
                for (expected, suggested), count in self.confusions.most_common()
            ],
            "urgent_missed": self.urgent_missed,
            "urgent_false": self.urgent_false,
            "subcategory": {
                "labelled": labelled,
                "accuracy": _round(exact / labelled if labelled else None),
                "suggested": suggested,
                "precision": _round(right / suggested if suggested else None),
            },
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


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def evaluate(lines: Iterable[str], *, split: str | None = None, model: Any = CURRENT_MODEL) -> Evaluation:
    """Score rules and model on labelled lines; `split` keeps only lines whose `split` field matches;
    `model=None` scores the rules alone, a `LearnedModel` scores that one instead of the current."""
    errors: list[str] = []
    rows = labelled_rows(lines, split=split, errors=errors)
    result = score(rows, model=model)
    result.errors = errors
    return result


def labelled_rows(
    lines: Iterable[str], *, split: str | None = None, errors: list[str] | None = None
) -> list[dict[str, Any]]:
    """The labelled rows of JSON Lines (each with its line number); unreadable lines go to `errors`."""
    rows: list[dict[str, Any]] = []
    for line in read_lines(lines, labelled=True):
        if line.data is None:
            if errors is not None:
                errors.append(line.error)
        elif not split or line.data.get("split") == split:
            rows.append(line.data | {"line": line.number})
    return rows


def score(rows: Iterable[dict[str, Any]], *, model: Any = CURRENT_MODEL) -> Evaluation:
    """Score labelled rows (dicts with text, category, urgency, optionally subcategory and line)."""
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
        result.predicted[suggestion.category] += 1
        tally = result.per_category[expected_category]
        tally[1] += 1
        source_tally = result.by_source[decision.source]
        source_tally[1] += 1
        category_ok = suggestion.category == expected_category
        urgency_ok = suggestion.urgency == expected_urgency
        if expected_urgency == URGENT:
            result.urgent_total += 1
        if category_ok:
            result.category_correct += 1
            tally[0] += 1
            source_tally[0] += 1
        else:
            result.confusions[(expected_category, suggestion.category)] += 1
        if urgency_ok:
            result.urgency_correct += 1
        elif expected_urgency == URGENT:
            result.urgent_missed += 1
        else:
            result.urgent_false += 1
        if "subcategory" in row:
            expected_sub = row["subcategory"] or None
            result.subcategory[0] += 1
            result.subcategory[1] += suggestion.subcategory == expected_sub
            if suggestion.subcategory is not None:
                result.subcategory[2] += 1
                result.subcategory[3] += suggestion.subcategory == expected_sub
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


def cross_validate(
    rows: Sequence[dict[str, Any]],
    *,
    folds: int = learning.FOLDS,
    seed: int = 0,
    by_file: bool = False,
    per_fold: dict[str, Evaluation] | None = None,
) -> Evaluation:
    """Cross-validation of rules + model on labelled rows: each fold is scored by a model trained
    (parameters, weights and thresholds included) on the other folds and the current rules, exactly
    as `--train` would, so no row is ever scored by a model that saw it.

    `by_file` makes one fold per evaluation file (leave one file out: train on the other authors'
    sets, score one), the closer proxy for reports by an author nobody has seen; otherwise `folds`
    random folds. `per_fold`, when given, receives each fold's own evaluation by name."""
    engine.warm_up()
    if by_file:
        names = sorted({row.get("file", "") for row in rows})
        groups = [[i for i, row in enumerate(rows) if row.get("file", "") == name] for name in names]
        label = "每折留出一个文件（一位作者的一组），用其余文件重新训练的模型"
    else:
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)
        folds = max(2, min(folds, len(rows)))
        names = [str(fold + 1) for fold in range(folds)]
        groups = [order[fold::folds] for fold in range(folds)]
        label = "每折用其余各折重新训练的模型"
    total = Evaluation(
        per_category={code: [0, 0] for code in CATEGORY_CODES},
        by_source={source: [0, 0] for source in engine.SOURCE_NAMES},
        label=label,
    )
    rule_documents = engine._rule_documents()
    # What the rules and concepts say of a text is the same in every fold: worked out once.
    memo: dict[str, Any] = {}
    for name, group in zip(names, groups, strict=True):
        held = set(group)
        data = learning.assemble(
            dev_rows=[row for i, row in enumerate(rows) if i not in held],
            holdout_texts=(),
            corrections=(),
            rules=rule_documents,
        )
        model = engine.fit_model(data, version=0, memo=memo)
        result = score([row for i, row in enumerate(rows) if i in held], model=model)
        if per_fold is not None:
            per_fold[name] = result
        total.merge(result)
    return total


def model_label(version: int | None) -> str:
    if version is None:
        return "未使用模型（仅规则和概念组）"
    return "内置模型（评测集开发部分 + 规则短语，尚未训练保存过）" if version == 0 else f"分类模型 v{version}"


def _percent(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "—"


def report_lines(result: Evaluation) -> list[str]:
    """One evaluation as the lines the command prints (Chinese, aligned)."""
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
    out.append(
        f"紧急召回率：{_percent(result.urgent_recall if result.urgent_total else None)}"
        f"（{result.urgent_total - result.urgent_missed}/{result.urgent_total}）；"
        f"误判紧急率：{_percent(result.false_urgent_rate if result.normal_total else None)}"
        f"（{result.urgent_false}/{result.normal_total} 条一般事件）"
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


SHORT_NAMES = {code: name[:2] for code, name in CATEGORY_NAMES.items()}


def comparison_lines(title: str, combined: Evaluation, rules_only: Evaluation) -> list[str]:
    """Rules + model beside the rules alone: the headline figures, precision and recall per category,
    the subcategory figures and the confusion table of the combined suggestion."""
    used = combined.label or model_label(combined.model_version)
    out = [f"{title}（{combined.total} 条；{used}）"]
    out.append(f"  {'':<18}{'规则+模型':>14}{'仅规则':>16}")

    def row(name: str, a: str, b: str) -> None:
        out.append(f"  {name:<18}{a:>18}{b:>18}")

    row("分类准确率", _percent(combined.category_accuracy), _percent(rules_only.category_accuracy))
    row(
        f"紧急召回率（{combined.urgent_total} 条紧急）",
        f"{_percent(combined.urgent_recall)} {combined.urgent_total - combined.urgent_missed}/{combined.urgent_total}",
        f"{_percent(rules_only.urgent_recall)} {rules_only.urgent_total - rules_only.urgent_missed}/{rules_only.urgent_total}",
    )
    row(
        f"误判紧急率（{combined.normal_total} 条一般）",
        f"{_percent(combined.false_urgent_rate)} {combined.urgent_false}",
        f"{_percent(rules_only.false_urgent_rate)} {rules_only.urgent_false}",
    )
    labelled, exact, with_suggestion, right = combined.subcategory
    if labelled:
        rules_sub = rules_only.subcategory
        row(
            f"子分类准确率（{labelled} 条）",
            _percent(exact / labelled),
            _percent(rules_sub[1] / rules_sub[0] if rules_sub[0] else None),
        )
        row(
            "子分类建议精确率",
            f"{_percent(right / with_suggestion if with_suggestion else None)} {right}/{with_suggestion}",
            _percent(rules_sub[3] / rules_sub[2] if rules_sub[2] else None),
        )
    out.append("  各分类 精确率/召回率（规则+模型 | 仅规则）：")
    for code in CATEGORY_CODES:
        total = combined.per_category.get(code, [0, 0])[1]
        if not total:
            continue
        out.append(
            f"    {code:<11}{CATEGORY_NAMES[code]:<5}\t{total:>4} 条\t"
            f"{_percent(combined.precision(code)):>6} / {_percent(combined.recall(code)):<6} | "
            f"{_percent(rules_only.precision(code)):>6} / {_percent(rules_only.recall(code))}"
        )
    out.append("  混淆表（规则+模型；行：标注，列：建议）：")
    out.append("    " + " " * 6 + "".join(f"{SHORT_NAMES[code]:>4}" for code in CATEGORY_CODES))
    for expected in CATEGORY_CODES:
        if not combined.per_category.get(expected, [0, 0])[1]:
            continue
        cells = []
        for suggested in CATEGORY_CODES:
            if suggested == expected:
                count = combined.per_category[expected][0]
            else:
                count = combined.confusions.get((expected, suggested), 0)
            cells.append(f"{count or '·':>6}")
        out.append(f"    {SHORT_NAMES[expected]:<4}" + "".join(cells))
    return out


def suggestion_json(number: int, text: str) -> str:
    decision = engine.decide(text)
    suggestion = decision.suggestion
    return json.dumps(
        {
            "line": number,
            "category": suggestion.category,
            "category_name": CATEGORY_NAMES[suggestion.category],
            "subcategory": suggestion.subcategory,
            "urgency": suggestion.urgency,
            "confidence": suggestion.confidence,
            "matched": list(suggestion.matched),
            "source": decision.source,
        },
        ensure_ascii=False,
    )
