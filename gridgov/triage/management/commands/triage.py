from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.accounts.scope import SYSTEM
from gridgov.triage import concepts, engine, learning
from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_NAMES
from gridgov.triage.evaluation import (
    CURRENT_MODEL,
    Evaluation,
    comparison_lines,
    cross_validate,
    labelled_rows,
    model_label,
    read_lines,
    report_lines,
    score,
    suggestion_json,
)

# The built-in evaluation data (see gridgov/triage/data/README.md).
BUILTIN = object()


class Command(BaseCommand):
    help = "用分类规则和学习模型给居民反映的问题建议分类和紧急程度（单条文本、JSON Lines 批量、评测或训练）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help="要分类的一条文本")
        parser.add_argument("--file", help="JSON Lines 文件，每行一个带 text 字段的对象；用 - 表示标准输入")
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help="评测：文件每行还要有 category 和 urgency 标注；不给 --file 时用自带评测集："
            f"留出集（{learning.HOLDOUT_PATTERN}，有则评测，从未用于调整）和开发数据的 k 折与留一文件交叉验证，"
            "并列出仅规则的结果",
        )
        parser.add_argument(
            "--split",
            help="评测时只用 split 字段等于该值的行；自带评测集可用 dev（开发数据）或 holdout（留出集）",
        )
        parser.add_argument("--folds", type=int, default=learning.FOLDS, help="交叉验证的折数（默认 5）")
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
                Path(path) if path and path != "-" else (None if path == "-" else BUILTIN), options
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
        if suggestion.subcategory:
            name = concepts.SUBCATEGORY_NAMES.get(suggestion.subcategory, "")
            self.stdout.write(f"子分类：{suggestion.subcategory} {name}")
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

    def _evaluate(self, path: Path | object | None, options: dict[str, Any]) -> None:
        engine.warm_up()
        if path is BUILTIN and not options["split"] and not options["rules_only"]:
            self._evaluate_builtin(options)
            return
        errors: list[str] = []
        if path is BUILTIN:
            rows = learning.eval_rows(options["split"])
            if not rows and options["split"] == "holdout":
                raise CommandError(f"现在没有留出集（data/ 下没有 {learning.HOLDOUT_PATTERN}）")
        else:
            stream = self._open(path)  # type: ignore[arg-type]
            try:
                rows = labelled_rows(stream, split=options["split"], errors=errors)
            finally:
                if stream is not sys.stdin:
                    stream.close()
        if not rows:
            if errors:
                for error in errors:
                    self.stderr.write(error)
            raise CommandError("文件中没有可评测的标注样本（每行需要 text、category、urgency）")
        result = score(rows, model=None if options["rules_only"] else CURRENT_MODEL)
        result.errors = errors
        rules_only = score(rows, model=None) if not options["rules_only"] else result
        if options["json"]:
            data = result.as_dict()
            if not options["rules_only"]:
                data["rules_only"] = rules_only.as_dict()
            if options["mistakes"]:
                data["mistakes"] = result.mistakes
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for out in report_lines(result):
            self.stdout.write(out)
        if not options["rules_only"]:
            for out in comparison_lines("规则+模型与仅规则对照", result, rules_only):
                self.stdout.write(out)
        if options["mistakes"]:
            self.stdout.write("判错的样本：")
            for mistake in result.mistakes:
                self.stdout.write(json.dumps(mistake, ensure_ascii=False))

    def _evaluate_builtin(self, options: dict[str, Any]) -> None:
        """The held-out files present with the model in use; and on the development data, k-fold and
        leave-one-file-out cross-validation (a model trained per fold), each beside the rules alone."""
        holdout_files = learning.holdout_files()
        holdout, dev = learning.eval_rows("holdout"), learning.eval_rows("dev")
        holdout_combined = score(holdout, model=CURRENT_MODEL) if holdout else None
        holdout_rules = score(holdout, model=None) if holdout else None
        folds = max(2, options["folds"])
        cross = cross_validate(dev, folds=folds)
        by_file: dict[str, Evaluation] = {}
        one_out = cross_validate(dev, by_file=True, per_fold=by_file)
        dev_rules = score(dev, model=None)
        if options["json"]:
            data: dict[str, Any] = {
                "holdout": None,
                "cross_validated": {
                    "folds": folds,
                    "combined": cross.as_dict(),
                    "rules_only": dev_rules.as_dict(),
                },
                "leave_one_file_out": {
                    "combined": one_out.as_dict(),
                    "rules_only": dev_rules.as_dict(),
                    "by_file": {name: _brief_urgency(result) for name, result in by_file.items()},
                },
            }
            if holdout_combined is not None and holdout_rules is not None:
                data["holdout"] = {
                    "files": [path.name for path in holdout_files],
                    "combined": holdout_combined.as_dict(),
                    "rules_only": holdout_rules.as_dict(),
                }
                if options["mistakes"]:
                    data["holdout"]["mistakes"] = holdout_combined.mistakes
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if holdout_combined is not None and holdout_rules is not None:
            names = "、".join(path.name for path in holdout_files)
            title = f"留出集 {names}：另一位作者未看规则、代码和数据写成，从未用于调整规则、阈值或模型"
            for out in comparison_lines(title, holdout_combined, holdout_rules):
                self.stdout.write(out)
        else:
            self.stdout.write(
                f"留出集：暂无（data/ 下没有 {learning.HOLDOUT_PATTERN}；上一份已评测一次并转为开发数据，"
                "下一份由新作者另行写成后放入）"
            )
        self.stdout.write("")
        names = "、".join(path.name for path in learning.DEV_FILES)
        title = f"开发数据 {names}：{folds} 折交叉验证"
        for out in comparison_lines(title, cross, dev_rules):
            self.stdout.write(out)
        self.stdout.write("")
        title = "开发数据：留一文件交叉验证（训练用其余作者的文件，评测留下的一个；最接近“没见过的作者”）"
        for out in comparison_lines(title, one_out, dev_rules):
            self.stdout.write(out)
        self.stdout.write("  各文件（留出时）：分类准确率 / 紧急召回率 / 误判紧急率")
        for name, result in by_file.items():
            self.stdout.write(
                f"    {name:<32}{result.category_accuracy:>7.1%}  "
                f"{result.urgent_recall:>6.1%} {result.urgent_total - result.urgent_missed}/{result.urgent_total}  "
                f"{result.false_urgent_rate:>5.1%} {result.urgent_false}/{result.normal_total}"
            )
        if options["mistakes"] and holdout_combined is not None:
            self.stdout.write("留出集判错的样本：")
            for mistake in holdout_combined.mistakes:
                self.stdout.write(json.dumps(mistake, ensure_ascii=False))

    def _train(self, *, as_json: bool) -> None:
        from gridgov.triage.services import train_model

        report = train_model(by=SYSTEM)
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
            f"训练样本：评测集开发数据 {data.dev} 条，分类确认记录 {data.corrections} 条"
            f"（其中仅一人确认、按半条计 {data.lone} 条），规则短语 {data.rules} 条"
        )
        skipped = []
        if data.awaiting_agreement:
            skipped.append(f"与规则或评测集标注相反、等待第二人确认 {data.awaiting_agreement} 条")
        if data.superseded:
            skipped.append(f"同一原文被再次确认、以最后一次为准 {data.superseded} 条")
        if data.skipped_holdout:
            skipped.append(f"原文属于留出集 {data.skipped_holdout} 条")
        if data.skipped_unknown_category:
            skipped.append(f"分类不是内置分类 {data.skipped_unknown_category} 条")
        if skipped:
            out(f"未用的确认记录：{'；'.join(skipped)}")
        if not report.holdout_after.total:
            out(f"留出集：暂无（data/ 下没有 {learning.HOLDOUT_PATTERN}），本次只报告交叉验证")
        else:
            self._train_holdout(report)
        info = row.parameters.get("info") or {}
        threshold = row.parameters.get("urgency_threshold")
        if threshold is not None:
            out(
                f"模型补充紧急判断：启用（规则和概念组未判紧急、模型认为紧急的概率 ≥ {threshold:g} 时；"
                f"阈值按每位作者一折的交叉验证选定，误判紧急不超过一般事件的 {learning.MAX_FALSE_URGENT:.0%}）："
                f"交叉验证紧急召回率 {_pct(info.get('urgency_cv_recall'))}"
                f"（不用模型 {_pct(info.get('urgency_cv_recall_without_model'))}），"
                f"误判紧急率 {_pct(info.get('urgency_cv_false_urgent'))}"
            )
        else:
            out("模型补充紧急判断：未启用（交叉验证中没有多抓到紧急事件，紧急程度由概念组和规则判断）")
        out(
            f"综合权重（交叉验证选定）：模型温度 {row.parameters.get('category', {}).get('temperature')}，"
            f"每个规则分 {row.parameters.get('rule_weight')}，每个概念分 {row.parameters.get('concept_weight')}"
        )
        if report.stored:
            out(f"已保存 分类模型 v{row.version}，训练耗时 {report.seconds:.1f} 秒；各进程将在下次检查时换用")
        else:
            out(f"另一进程刚用同样的数据保存了 分类模型 v{row.version}，本次结果未保存")

    def _train_holdout(self, report: Any) -> None:
        out = self.stdout.write
        before, after, rules = report.holdout_before, report.holdout_after, report.holdout_rules
        out(f"留出集评测（{after.total} 条，训练和选参数时从未使用）：")
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
        out(
            f"  紧急召回率：仅规则 {rules.urgent_recall:.1%} → 训练后 {after.urgent_recall:.1%}；"
            f"误判紧急率 {rules.false_urgent_rate:.1%} → {after.false_urgent_rate:.1%}"
        )
        out(f"  不用模型补充紧急判断时紧急召回率 {report.urgency_without_model.urgent_recall:.1%}")


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "—"


def _brief_urgency(result: Evaluation) -> dict[str, Any]:
    data = result.as_dict()
    return {
        key: data[key]
        for key in (
            "total",
            "category_accuracy",
            "urgent_total",
            "urgent_recall",
            "normal_total",
            "false_urgent_rate",
        )
    }


def _brief(result: Evaluation) -> dict[str, Any]:
    data = result.as_dict()
    return {
        key: data[key]
        for key in ("total", "category_accuracy", "urgency_accuracy", "per_category", "by_source")
    }
