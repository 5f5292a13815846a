from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.triage import engine
from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_NAMES
from gridgov.triage.evaluation import evaluate, read_lines, report_lines, suggestion_json

EVAL_SET = Path(__file__).resolve().parents[2] / "data" / "eval_reports.jsonl"


class Command(BaseCommand):
    help = "用分类规则给居民反映的问题建议分类和紧急程度（单条文本、JSON Lines 批量或评测）"

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

    def handle(self, *args: Any, **options: Any) -> None:
        text, path = options["text"], options["file"]
        if options["evaluate"]:
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
        suggestion = engine.suggest(text)
        if as_json:
            self.stdout.write(suggestion_json(1, text))
            return
        self.stdout.write(f"分类：{suggestion.category} {CATEGORY_NAMES[suggestion.category]}")
        self.stdout.write(f"紧急程度：{suggestion.urgency} {URGENCY_NAMES[suggestion.urgency]}")
        self.stdout.write(f"置信度：{suggestion.confidence:.2f}")
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
            result = evaluate(stream, split=options["split"])
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
