from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.triage import engine
from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_NAMES
from gridgov.triage.evaluation import (
    CURRENT_MODEL,
    Evaluation,
    evaluate,
    model_label,
    read_lines,
    report_lines,
    suggestion_json,
)

EVAL_SET = Path(__file__).resolve().parents[2] / "data" / "eval_reports.jsonl"


class Command(BaseCommand):
    help = "用分类规则和学习模型给居民反映的问题建议分类和紧急程度（单条文本、JSON Lines 批量、评测或训练）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help="要分类的一条文本")
        parser.add_argument("--file", help="JSON Lines 文件，每行一个带 text 字段的对象；用 - 表示标准输入")
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help="评测：文件每行还要有 category 和 urgency 标注；不给 --file 时使用自带评测集",
        )
        parser.add_argument("--split", help="评测时只用 split 字段等于该值的行（如 dev、holdout）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出（单条文本或评测结果）")
        parser.add_argument("--mistakes", action="store_true", help="评测时列出判错的样本")
        parser.add_argument("--rules-only", action="store_true", help="评测时只用规则，不用学习模型（对照）")
        parser.add_argument(
            "--train",
            action="store_true",
            help="用评测集 dev 半、全部分类确认记录和规则短语训练新模型，在留出半上评测并保存",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text, path = options["text"], options["file"]
        if options["train"]:
            if text or path or options["evaluate"]:
                raise CommandError("--train 不能与文本、--file 或 --evaluate 同时使用")
            self._train(as_json=options["json"])
        elif options["evaluate"]:
            if text:
                raise CommandError("评测时请用 --file 指定标注文件，不要同时给文本")
            self._evaluate(
                Path(path) if path and path != "-" else (None if path == "-" else EVAL_SET), options
            )
        elif path:
            if text:
                raise CommandError("请只给一条文本或 --file 其中之一")
            self._batch(path)
        elif text is not None:
            self._single(text, as_json=options["json"])
        else:
            raise CommandError("请给出要分类的文本，或用 --file 指定 JSON Lines 文件")

    def _open(self, path: str | Path | None) -> Any:
        if path is None or str(path) == "-":
            return sys.stdin
        try:
            return open(path, encoding="utf-8", errors="replace")  # closed by the caller
        except OSError as exc:
            raise CommandError(f"无法打开文件 {path}：{exc.strerror}") from exc

    def _single(self, text: str, *, as_json: bool) -> None:
        if not text.strip():
            raise CommandError("文本不能为空")
        decision = engine.decide(text)
        suggestion = decision.suggestion
        if as_json:
            self.stdout.write(suggestion_json(1, text))
            return
        self.stdout.write(f"分类：{suggestion.category} {CATEGORY_NAMES[suggestion.category]}")
        self.stdout.write(f"紧急程度：{suggestion.urgency} {URGENCY_NAMES[suggestion.urgency]}")
        self.stdout.write(f"置信度：{suggestion.confidence:.2f}")
        self.stdout.write(f"依据：{engine.SOURCE_NAMES[decision.source]}")
        self.stdout.write(
            f"命中：{'、'.join(suggestion.matched) if suggestion.matched else '（无，归入其他）'}"
        )

    def _batch(self, path: str) -> None:
        engine.warm_up()
        stream = self._open(path)
        try:
            for line in read_lines(stream):
                if line.data is None:
                    self.stdout.write(
                        json.dumps({"line": line.number, "error": line.error}, ensure_ascii=False)
                    )
                else:
                    self.stdout.write(suggestion_json(line.number, line.data["text"]))
        finally:
            if stream is not sys.stdin:
                stream.close()

    def _evaluate(self, path: Path | None, options: dict[str, Any]) -> None:
        engine.warm_up()
        stream = self._open(path)
        try:
            result = evaluate(
                stream, split=options["split"], model=None if options["rules_only"] else CURRENT_MODEL
            )
        finally:
            if stream is not sys.stdin:
                stream.close()
        if result.total == 0:
            raise CommandError("文件中没有可评测的标注样本（每行需要 text、category、urgency）")
        if options["json"]:
            data = result.as_dict()
            if options["mistakes"]:
                data["mistakes"] = result.mistakes
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for out in report_lines(result):
            self.stdout.write(out)
        if options["mistakes"]:
            self.stdout.write("判错的样本：")
            for mistake in result.mistakes:
                self.stdout.write(json.dumps(mistake, ensure_ascii=False))

    def _train(self, *, as_json: bool) -> None:
        from gridgov.triage.services import train_model

        report = train_model(by=None)
        row, data = report.model, report.data
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "version": row.version,
                        "samples": {"dev": data.dev, "corrections": data.corrections, "rules": data.rules},
                        "training_seconds": round(report.seconds, 2),
                        "holdout": {
                            "rules_only": _brief(report.holdout_rules),
                            "before": _brief(report.holdout_before),
                            "after": _brief(report.holdout_after),
                        },
                        "urgency_threshold": row.parameters.get("urgency_threshold"),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        out = self.stdout.write
        out(
            f"训练样本：评测集 dev 半 {data.dev} 条，分类确认记录 {data.corrections} 条，规则短语 {data.rules} 条"
        )
        skipped = []
        if data.superseded:
            skipped.append(f"同一原文被再次确认、以最后一次为准 {data.superseded} 条")
        if data.skipped_holdout:
            skipped.append(f"原文属于留出集 {data.skipped_holdout} 条")
        if data.skipped_unknown_category:
            skipped.append(f"分类不是内置分类 {data.skipped_unknown_category} 条")
        if skipped:
            out(f"未用的确认记录：{'；'.join(skipped)}")
        before, after, rules = report.holdout_before, report.holdout_after, report.holdout_rules
        out(f"留出集评测（{after.total} 条，训练时从未见过）：")
        out(f"  训练前使用：{model_label(before.model_version)}")
        out(
            f"  分类准确率：仅规则 {rules.category_accuracy:.1%}；训练前 {before.category_accuracy:.1%}"
            f" → 训练后 {after.category_accuracy:.1%}"
        )
        out(
            f"  紧急程度准确率：仅规则 {rules.urgency_accuracy:.1%}；训练前 {before.urgency_accuracy:.1%}"
            f" → 训练后 {after.urgency_accuracy:.1%}"
        )
        out("  各分类召回率（训练前 → 训练后）：")
        for code, (correct, total) in after.per_category.items():
            if total:
                was = before.per_category[code][0] / total
                out(f"    {code:<11}{CATEGORY_NAMES[code]:<6}\t{was:.1%} → {correct / total:.1%}")
        sources = [
            f"{engine.SOURCE_NAMES[source]} {total} 条（准确率 {correct / total:.1%}）"
            for source, (correct, total) in after.by_source.items()
            if total
        ]
        out(f"  训练后分类依据：{'；'.join(sources)}")
        threshold = row.parameters.get("urgency_threshold")
        if threshold is not None:
            out(
                f"模型补充紧急判断：启用（模型认为紧急的概率 ≥ {threshold:g} 且规则未判紧急时）；"
                f"不启用时紧急程度准确率 {report.urgency_without_model.urgency_accuracy:.1%}"
            )
        else:
            out("模型补充紧急判断：未启用（在留出集上不能提高紧急程度准确率，紧急程度仍只由规则判断）")
        if report.stored:
            out(f"已保存 分类模型 v{row.version}，训练耗时 {report.seconds:.1f} 秒；各进程将在下次检查时换用")
        else:
            out(f"另一进程刚用同样的数据保存了 分类模型 v{row.version}，本次结果未保存")


def _brief(result: Evaluation) -> dict[str, Any]:
    data = result.as_dict()
    return {
        key: data[key]
        for key in ("total", "category_accuracy", "urgency_accuracy", "per_category", "by_source")
    }
