"""What an urgent report means outside the queues (issue 8): the notification kind that sounds the
workbench alarm, and, for the resident's report page, which public emergency number to offer
first (110 police, 119 fire and rescue, 120 ambulance) for the danger a text describes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

URGENT_KIND = "case.urgent"
EMERGENCY_NUMBERS: tuple[str, ...] = ("110", "119", "120")
# Shorter texts are not sent to the engine: "着火" alone is urgent, "火" is not a report yet.
MIN_CHECK_CHARS = 2

# The triage engine's danger concepts (triage.concepts.DANGER codes) → the kind the page shows.
KIND_OF_CONCEPT: dict[str, str] = {
    "fire": "fire",
    "gas": "fire",
    "electric": "fire",
    "chemical": "fire",
    "trapped": "rescue",
    "water": "rescue",
    "medical": "medical",
    "poisoning": "medical",
    "violence": "crime",
    "falling": "accident",
}
# Which number first, by kind; every number stays on the page in case the guess is wrong.
FIRST_NUMBERS: dict[str, tuple[str, ...]] = {
    "fire": ("119", "120", "110"),
    "rescue": ("119", "110", "120"),
    "medical": ("120", "110", "119"),
    "crime": ("110", "120", "119"),
    "accident": ("120", "110", "119"),
}


NUMBER_LABELS: dict[str, str] = {"110": "报警", "119": "火警·救援", "120": "急救"}


def calls(numbers: tuple[str, ...] = EMERGENCY_NUMBERS) -> list[tuple[str, str]]:
    """(number, what it is for) in the order to offer them, for the page's tap-to-call links."""
    return [(number, NUMBER_LABELS[number]) for number in numbers if number in NUMBER_LABELS]


@dataclass(frozen=True)
class Advice:
    urgent: bool
    kind: str | None
    numbers: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"urgent": self.urgent, "kind": self.kind, "numbers": list(self.numbers)}


@cache
def _concept_codes() -> dict[str, str]:
    """Concept name (火情 …) → code (fire …): the suggestion names the deciding concept by name."""
    try:
        from gridgov.triage.concepts import DANGER
    except ImportError:  # the engine keeps its concepts elsewhere: no kind, the default order
        return {}
    return {concept.name: concept.code for concept in DANGER}


def emergency_kind(matched: tuple[str, ...] | list[str]) -> str | None:
    """The kind of danger behind a suggestion's `matched` ("火情：冒 + 烟" …), or None."""
    codes = _concept_codes()
    for entry in matched:
        name, sep, _words = str(entry).partition("：")
        if sep and name in codes:
            kind = KIND_OF_CONCEPT.get(codes[name])
            if kind:
                return kind
    return None


def advice_for(text: str) -> Advice:
    """Whether a report reads like an emergency and which numbers to offer, most relevant first."""
    from gridgov.triage.services import suggest

    text = (text or "").strip()
    if len(text) < MIN_CHECK_CHARS:
        return Advice(urgent=False, kind=None, numbers=EMERGENCY_NUMBERS)
    suggestion = suggest(text)
    if suggestion.urgency != "urgent":
        return Advice(urgent=False, kind=None, numbers=EMERGENCY_NUMBERS)
    kind = emergency_kind(tuple(suggestion.matched))
    return Advice(urgent=True, kind=kind, numbers=FIRST_NUMBERS.get(kind or "", EMERGENCY_NUMBERS))
