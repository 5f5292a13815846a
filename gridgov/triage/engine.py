"""The engine behind `services.suggest`: administrators' rules first, a learned model where they
are silent or split; both cached per process, jieba loaded once.

Rules live in the database so administrators can change them; compiling them on every call would
cost a query per report, so the compiled set is kept in memory and re-validated against a cheap
fingerprint of the table (count, max id, max updated_at) at most every
`TRIAGE_RULES_CHECK_SECONDS`. Writes through `services` mark the cache stale at once, so the
process that changed a rule sees the change on its very next suggestion; other processes see it
within the check interval.

The learned model (`learning.py`) is a `TriageModel` row; the highest version wins and is checked
the same way (one indexed query per interval). Until a model has been trained and stored, each
process builds the same built-in one from the dev half of the evaluation set and the rules.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max

from gridgov.triage import learning
from gridgov.triage.categories import (
    CATEGORY_CODES,
    FALLBACK_CATEGORY,
    NORMAL,
    URGENCY_TARGET,
    URGENT,
)
from gridgov.triage.learning import LearnedModel
from gridgov.triage.models import RuleKind, TriageModel, TriageRule, normalize

logger = logging.getLogger(__name__)

USER_DICT = Path(__file__).resolve().parent / "data" / "userdict.txt"
# Reports longer than this are judged on their beginning: residents say what is wrong first,
# and it bounds the cost of a pasted wall of chat history.
MAX_CHARS = 2000
URGENT_THRESHOLD = 3.0
# Score at which a lone category is half-way to certain; see `_confidence`.
CONFIDENCE_SCALE = 2.0
# Rules decide on their own when the winner leads the runner-up by this much: one typical (weight 2)
# match more. A narrower lead is a split vote, which the model settles.
RULE_MARGIN = 2.0
# Below these the model abstains and the report stays "other": it knows too little of the text
# ("你们好呀") or spreads its belief over several categories.
MODEL_MIN_FEATURES = 3
MODEL_MIN_PROBABILITY = 0.25
MODEL_MARK = "模型"
MODEL_URGENT_MARK = "模型判断紧急"


@dataclass(frozen=True)
class Suggestion:
    category: str  # one of CATEGORY_CODES
    urgency: str  # "normal" | "urgent"
    confidence: float  # 0..1, how clearly the category won
    # What decided it, for the dispatcher to see: the rule phrases/keywords, or "模型" followed by the
    # words and n-grams the model weighed most; "模型判断紧急" when the model made it urgent.
    matched: tuple[str, ...]


@dataclass
class _Compiled:
    fingerprint: tuple[Any, ...]
    # first character -> ((phrase, ((target, weight), ...)), ...): only phrases whose first
    # character occurs in the report are tested, a few dozen instead of every rule.
    phrases: dict[str, tuple[tuple[str, tuple[tuple[str, float], ...]], ...]]
    keywords: dict[str, tuple[tuple[str, float], ...]]
    checked_at: float


_lock = threading.RLock()
_compiled: _Compiled | None = None
_tokenizer: Any = None
_added_words: set[str] = set()


def _get_tokenizer() -> Any:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                # jieba logs "Building prefix dict…" at DEBUG to its own stderr handler; keep it quiet.
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                # Its marshalled dictionary cache goes to our data folder, not a shared /tmp.
                tokenizer.tmp_dir = str(settings.DATA_DIR)
                tokenizer.initialize()
                tokenizer.load_userdict(str(USER_DICT))
                _tokenizer = tokenizer
    return _tokenizer


def tokens(text: str) -> list[str]:
    """The jieba tokens of a normalized report (no HMM: unknown runs split into single characters,
    which keeps keyword matching predictable and is twice as fast)."""
    return _get_tokenizer().lcut(normalize(text)[:MAX_CHARS], HMM=False)


def segment(norm: str) -> list[str]:
    """jieba tokens of text that is already normalized (the model's tokenizer)."""
    return _get_tokenizer().lcut(norm, HMM=False)


def _fingerprint() -> tuple[Any, ...]:
    row = TriageRule.objects.aggregate(n=Count("id"), top=Max("id"), latest=Max("updated_at"))
    return (row["n"], row["top"], row["latest"])


def _compile(fingerprint: tuple[Any, ...]) -> _Compiled:
    phrases: dict[str, list[tuple[str, float]]] = defaultdict(list)
    keywords: dict[str, list[tuple[str, float]]] = defaultdict(list)
    rows = TriageRule.objects.filter(is_active=True).values_list("target", "kind", "text", "weight")
    for target, kind, text, weight in rows:
        text = normalize(text)
        if not text:
            continue
        (keywords if kind == RuleKind.KEYWORD else phrases)[text].append((target, float(weight)))
    tokenizer = _get_tokenizer()
    for word in keywords:
        # A keyword must come out of jieba as one token, so teach it the word; only once, since
        # add_word also grows the dictionary's total frequency.
        if len(word) > 1 and word not in _added_words:
            tokenizer.add_word(word)
            _added_words.add(word)
    by_first: dict[str, list[tuple[str, tuple[tuple[str, float], ...]]]] = defaultdict(list)
    # Longest first so that `matched` lists the most specific phrase before its shorter parts.
    for text, targets in sorted(phrases.items(), key=lambda item: (-len(item[0]), item[0])):
        by_first[text[0]].append((text, tuple(targets)))
    return _Compiled(
        fingerprint=fingerprint,
        phrases={first: tuple(entries) for first, entries in by_first.items()},
        keywords={text: tuple(targets) for text, targets in keywords.items()},
        checked_at=time.monotonic(),
    )


def _rules() -> _Compiled:
    global _compiled
    compiled = _compiled
    now = time.monotonic()
    interval = float(getattr(settings, "TRIAGE_RULES_CHECK_SECONDS", 2.0))
    if compiled is not None and now - compiled.checked_at < interval:
        return compiled
    with _lock:
        compiled = _compiled
        fingerprint = _fingerprint()
        if compiled is not None and compiled.fingerprint == fingerprint:
            compiled.checked_at = now
            return compiled
        _compiled = _compile(fingerprint)
        return _compiled


def invalidate() -> None:
    """Make the next suggestion re-check the rules table (called by every rule write)."""
    compiled = _compiled
    if compiled is not None:
        compiled.checked_at = -math.inf


def warm_up() -> None:
    """Load jieba's dictionary, the rules and the model now rather than on the first report."""
    _rules()
    current_model()


def _confidence(top: float, runner_up: float) -> float:
    """How clearly the winner won: its strength (saturating in its score) times its margin.

    A single typical match (score 2) gives 0.5, a decisive one (4) 0.67, several that agree more;
    a tie halves it. Nothing matched gives 0.
    """
    if top <= 0:
        return 0.0
    strength = top / (top + CONFIDENCE_SCALE)
    margin = (top - max(runner_up, 0.0)) / top
    return round(strength * (0.5 + 0.5 * margin), 2)


def _by_weight(hit: tuple[float, str]) -> tuple[float, int, str]:
    # Heaviest first, then the longer (more specific) phrase; fixed order whatever the hash seed.
    return (-hit[0], -len(hit[1]), hit[1])


@dataclass(frozen=True)
class _RuleVerdict:
    category: str
    top: float
    runner_up: float
    scores: dict[str, float]
    hits: dict[str, list[tuple[float, str]]]
    urgency_score: float

    @property
    def fired(self) -> bool:
        return self.top > 0

    @property
    def clear(self) -> bool:
        return self.top > 0 and self.top - self.runner_up >= RULE_MARGIN

    def confidence_for(self, category: str) -> float:
        score = self.scores.get(category, 0.0)
        others = max((value for code, value in self.scores.items() if code != category), default=0.0)
        if score <= 0 or score < others:
            return 0.0
        return _confidence(score, others)

    def phrases_for(self, target: str) -> list[str]:
        deciding = sorted((hit for hit in self.hits.get(target, []) if hit[0] > 0), key=_by_weight)
        return [phrase for _weight, phrase in deciding]


def _rule_verdict(norm: str, segmented: list[str] | None = None) -> _RuleVerdict:
    rules = _rules()
    scores: dict[str, float] = defaultdict(float)
    hits: dict[str, list[tuple[float, str]]] = defaultdict(list)
    phrases = rules.phrases
    for first in set(norm):
        for phrase, targets in phrases.get(first, ()):
            if phrase in norm:
                for target, weight in targets:
                    scores[target] += weight
                    hits[target].append((weight, phrase))
    keywords = rules.keywords
    # A token can only equal a keyword that occurs in the text, so segment only when one does:
    # most reports never pay for jieba here.
    if any(keyword in norm for keyword in keywords):
        for token in set(segmented if segmented is not None else segment(norm)):
            targets = keywords.get(token)
            if targets:
                for target, weight in targets:
                    scores[target] += weight
                    hits[target].append((weight, token))

    urgency_score = scores.pop(URGENCY_TARGET, 0.0)
    ranked = sorted(
        ((scores.get(code, 0.0), -index, code) for index, code in enumerate(CATEGORY_CODES)),
        reverse=True,
    )
    top, _order, category = ranked[0]
    runner_up = max(ranked[1][0], 0.0)
    if top <= 0:
        category, top, runner_up = FALLBACK_CATEGORY, 0.0, 0.0
    return _RuleVerdict(category, top, runner_up, dict(scores), hits, urgency_score)


# the learned model


@dataclass
class _LoadedModel:
    version: int | None  # the stored version it was loaded for; None = nothing stored yet
    model: LearnedModel | None
    checked_at: float


_model_state: _LoadedModel | None = None


def _latest_version() -> int | None:
    return TriageModel.objects.order_by("-version").values_list("version", flat=True).first()


def _rule_documents() -> list[tuple[str, str, float]]:
    return list(TriageRule.objects.filter(is_active=True).values_list("text", "target", "weight"))


def build_builtin_model() -> LearnedModel:
    """The model a deployment has before anyone trained one: the dev half of the evaluation set and
    the current rules. Deterministic, so every process builds the same one; the first stored model
    replaces it."""
    _rules()  # teaches jieba the keyword rules first, as at prediction time
    data = learning.assemble(
        dev_rows=learning.eval_rows("dev"), holdout_texts=(), corrections=(), rules=_rule_documents()
    )
    return learning.fit(data, segment, version=0)


_builtin: LearnedModel | None = None


def _load(version: int | None) -> LearnedModel | None:
    global _builtin
    if version is None:
        # Built once per process: going back to "nothing stored" (a test's rollback, an
        # administrator deleting every model) must not cost a rebuild each time.
        if _builtin is None:
            _builtin = build_builtin_model()
        return _builtin
    row = TriageModel.objects.filter(version=version).values_list("parameters", flat=True).first()
    if row is None:  # deleted in between: the next check finds the new latest
        return None
    try:
        return LearnedModel.from_params(row, version=version)
    except (KeyError, TypeError, ValueError, IndexError):
        # A broken row must not stop intake: fall back to the rules alone and say so in the log.
        logger.exception("triage model v%s cannot be loaded; using the rules alone", version)
        return None


def current_model() -> LearnedModel | None:
    """The model of the highest stored version, re-checked at most every TRIAGE_RULES_CHECK_SECONDS
    (one indexed query); None when the model is switched off or cannot be loaded."""
    global _model_state
    if not getattr(settings, "TRIAGE_MODEL_ENABLED", True):
        return None
    state = _model_state
    now = time.monotonic()
    interval = float(getattr(settings, "TRIAGE_RULES_CHECK_SECONDS", 2.0))
    if state is not None and now - state.checked_at < interval:
        return state.model
    with _lock:
        state = _model_state
        version = _latest_version()
        if state is not None and state.version == version and state.model is not None:
            state.checked_at = now
            return state.model
        _model_state = _LoadedModel(version=version, model=_load(version), checked_at=now)
        return _model_state.model


def invalidate_model() -> None:
    """Make the next suggestion re-check which model is the latest (called after training)."""
    state = _model_state
    if state is not None:
        state.checked_at = -math.inf


# the decision


@dataclass(frozen=True)
class Decision:
    suggestion: Suggestion
    source: str  # SOURCE_RULES | SOURCE_MODEL | SOURCE_NONE: what decided the category
    rules_category: str  # what the rules alone would say
    model_category: str | None
    model_probability: float | None
    model_version: int | None


SOURCE_RULES = "rules"
SOURCE_MODEL = "model"
SOURCE_NONE = "none"
SOURCE_NAMES = {SOURCE_RULES: "规则", SOURCE_MODEL: "模型", SOURCE_NONE: "无依据"}
_CURRENT: Any = object()


def decide(text: str, *, model: Any = _CURRENT) -> Decision:
    """Rules first: when they fire with a clear margin they decide, and `matched` lists their
    phrases. Otherwise the learned model decides (its `matched` starts with 模型). The confidence
    is the mean of the estimates the rules and the model give for the chosen category."""
    norm = normalize(text)[:MAX_CHARS]
    if model is _CURRENT:
        model = current_model() if norm else None
    if model is not None and norm:
        # One segmentation serves both the keyword rules and the model.
        segmented = segment(norm)
        verdict = _rule_verdict(norm, segmented)
        prediction = model.predict(norm, lambda _norm: segmented)
    else:
        verdict, prediction = _rule_verdict(norm), None

    if verdict.clear or (verdict.fired and not _model_usable(prediction)):
        category, source = verdict.category, SOURCE_RULES
    elif prediction is not None and _model_usable(prediction):
        category, source = prediction.category, SOURCE_MODEL
    else:
        category, source = FALLBACK_CATEGORY, SOURCE_NONE

    estimates: list[float] = []
    if verdict.fired:
        estimates.append(verdict.confidence_for(category))
    if prediction is not None and source != SOURCE_NONE:
        estimates.append(prediction.probabilities.get(category, 0.0))
    confidence = round(sum(estimates) / len(estimates), 2) if estimates and source != SOURCE_NONE else 0.0

    matched: list[str] = []
    if source == SOURCE_RULES:
        matched.extend(verdict.phrases_for(category))
    elif source == SOURCE_MODEL and prediction is not None and model is not None:
        matched.append(MODEL_MARK)
        matched.extend(model.category.evidence(prediction.document, category))

    urgency = URGENT if verdict.urgency_score >= URGENT_THRESHOLD else NORMAL
    if urgency == URGENT:
        matched.extend(verdict.phrases_for(URGENCY_TARGET))
    elif prediction is not None and prediction.urgent and verdict.urgency_score >= 0:
        # Only when no rule spoke against urgency (不着急, 已经扑灭 …): those are deliberate.
        urgency = URGENT
        matched.append(MODEL_URGENT_MARK)

    suggestion = Suggestion(
        category=category,
        urgency=urgency,
        confidence=confidence,
        matched=tuple(dict.fromkeys(matched)),
    )
    return Decision(
        suggestion=suggestion,
        source=source,
        rules_category=verdict.category,
        model_category=prediction.category if prediction is not None else None,
        model_probability=round(prediction.probability, 4) if prediction is not None else None,
        model_version=model.version if model is not None else None,
    )


def _model_usable(prediction: learning.Prediction | None) -> bool:
    return (
        prediction is not None
        and prediction.known_features >= MODEL_MIN_FEATURES
        and prediction.probability >= MODEL_MIN_PROBABILITY
    )


def suggest(text: str) -> Suggestion:
    return decide(text).suggestion
