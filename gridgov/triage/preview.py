"""What a proposed rule change would do to past cases, before anyone saves it.

An administrator about to add "减速带 → 市容秩序 4" wants to know "this change would reclassify 37
past cases, 12 of them to what staff finally chose". `preview_rule_change` re-runs the suggestion
over (text, current category) pairs — the cases app supplies the last N months of its cases; this
module does not read cases — once with the current rules and once with the changed ones, and
returns the cases whose suggestion would change. It writes nothing, and apart from reading the
current rules (or taking them as an argument) it depends on nothing but its inputs.

One side effect is unavoidable for keyword rules: a keyword must come out of jieba as one token,
so previewing one teaches jieba the word, exactly as saving it would (the same as `compile_rules`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from gridgov.triage import engine
from gridgov.triage.categories import RULE_TARGETS
from gridgov.triage.models import TEXT_MAX, WEIGHT_LIMIT, RuleKind, normalize

ADD, UPDATE, DELETE = "add", "update", "delete"
CURRENT_MODEL: Any = object()


@dataclass(frozen=True)
class RuleChange:
    """One proposed change. `add`: a new rule (target, kind, text, weight). `update`: the rule
    (target, kind, text) gets the `new_*` values given. `delete`: that rule goes (or is switched off)."""

    action: str
    target: str
    text: str
    kind: str = RuleKind.PHRASE
    weight: float = 2.0
    new_target: str | None = None
    new_kind: str | None = None
    new_text: str | None = None
    new_weight: float | None = None


@dataclass(frozen=True)
class Reclassified:
    index: int  # position in the input
    text: str
    current: str  # the category the case has now
    before: str  # suggested with the current rules
    after: str  # suggested with the change
    urgency_before: str
    urgency_after: str

    @property
    def now_agrees(self) -> bool:
        """The change makes the suggestion match what the case has now."""
        return self.after == self.current and self.before != self.current

    @property
    def now_disagrees(self) -> bool:
        return self.before == self.current and self.after != self.current


@dataclass(frozen=True)
class RulePreview:
    total: int  # cases looked at
    changed: tuple[Reclassified, ...]  # whose suggested category or urgency would change

    @property
    def reclassified(self) -> int:
        """Cases whose suggested category would change."""
        return sum(1 for item in self.changed if item.before != item.after)

    @property
    def gained(self) -> int:
        """Cases the change would bring in line with their current category."""
        return sum(1 for item in self.changed if item.now_agrees)

    @property
    def lost(self) -> int:
        """Cases suggested right today that the change would get wrong."""
        return sum(1 for item in self.changed if item.now_disagrees)

    def summary(self) -> str:
        """The one line the admin page shows."""
        return (
            f"这项修改会改变 {self.reclassified} 件过去事件的建议分类（共 {self.total} 件）："
            f"{self.gained} 件将与现分类一致，{self.lost} 件原本一致将不再一致"
        )


def apply_change(rows: Sequence[engine.RuleRow], change: RuleChange) -> list[engine.RuleRow]:
    """The rule rows after `change` (validated like the admin form would)."""
    _validate(change)
    key = (change.target, change.kind, normalize(change.text))
    rows = [(target, kind, normalize(text), float(weight)) for target, kind, text, weight in rows]
    present = any((target, kind, text) == key for target, kind, text, _weight in rows)
    if change.action == ADD:
        if present:
            raise ValidationError({"text": f"“{key[2]}”已经是这个目标的规则了"})
        return [*rows, (*key, float(change.weight))]
    if not present:
        raise ValidationError({"text": f"没有这条规则：{key[2]}"})
    if change.action == DELETE:
        return [row for row in rows if row[:3] != key]
    updated: list[engine.RuleRow] = []
    for row in rows:
        if row[:3] == key:
            row = (
                change.new_target or row[0],
                change.new_kind or row[1],
                normalize(change.new_text) if change.new_text else row[2],
                float(change.new_weight) if change.new_weight is not None else row[3],
            )
        updated.append(row)
    return updated


def _validate(change: RuleChange) -> None:
    if change.action not in (ADD, UPDATE, DELETE):
        raise ValidationError({"action": "修改方式只能是 add、update 或 delete"})
    targets = dict(RULE_TARGETS)
    for field, value in (("target", change.target), ("new_target", change.new_target)):
        if value is not None and value not in targets:
            raise ValidationError({field: "目标必须是一个分类或“紧急”"})
    for field, value in (("kind", change.kind), ("new_kind", change.new_kind)):
        if value is not None and value not in RuleKind.values:
            raise ValidationError({field: "匹配方式必须是短语或关键词"})
    for field, value in (("text", change.text), ("new_text", change.new_text)):
        if value is not None and not (0 < len(normalize(value)) <= TEXT_MAX):
            raise ValidationError({field: f"短语/关键词不能为空，最多 {TEXT_MAX} 个字"})
    for field, number in (("weight", change.weight), ("new_weight", change.new_weight)):
        if number is not None and not (-WEIGHT_LIMIT <= float(number) <= WEIGHT_LIMIT and float(number) != 0):
            raise ValidationError({field: f"权重必须在 -{WEIGHT_LIMIT:g} 到 {WEIGHT_LIMIT:g} 之间且不为 0"})


def reclassified(
    cases: Iterable[tuple[str, str]],
    *,
    before: Sequence[engine.RuleRow],
    after: Sequence[engine.RuleRow],
    model: Any = CURRENT_MODEL,
) -> RulePreview:
    """The cases whose suggestion differs between two rule sets. Pure: the same inputs give the same
    answer. `model` is the learned model that votes with the rules, as in `suggest` (the one in use
    by default; it is not retrained for the preview, as it would not be on saving); None previews
    the rules and concept groups alone, which shows the rule's own effect most plainly."""
    if model is CURRENT_MODEL:
        model = engine.current_model()
    rules_before = engine.compile_rules(before)
    rules_after = engine.compile_rules(after)
    changed: list[Reclassified] = []
    total = 0
    for index, (text, current) in enumerate(cases):
        total += 1
        old = engine.decide(text, model=model, rules=rules_before).suggestion
        new = engine.decide(text, model=model, rules=rules_after).suggestion
        if (old.category, old.urgency) != (new.category, new.urgency):
            changed.append(
                Reclassified(index, text, current, old.category, new.category, old.urgency, new.urgency)
            )
    return RulePreview(total=total, changed=tuple(changed))


def preview_rule_change(
    cases: Iterable[tuple[str, str]],
    change: RuleChange,
    *,
    rules: Sequence[engine.RuleRow] | None = None,
    model: Any = CURRENT_MODEL,
) -> RulePreview:
    """Which of `cases` ((text, current category) pairs, e.g. the last N months' cases) the proposed
    `change` would reclassify; `rules` defaults to the active rules now."""
    current = list(rules) if rules is not None else engine.active_rule_rows()
    return reclassified(cases, before=current, after=apply_change(current, change), model=model)
