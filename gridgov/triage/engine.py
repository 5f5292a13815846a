"""The engine behind `services.suggest`: concept groups for danger, administrators' rules and a
learned model, combined; all cached per process, jieba loaded once.

Urgency is decided for recall: the concept groups (`concepts.py`: fire, gas, people trapped, injury,
crime in progress … with cues of now and of people at risk, in any word order, negation handled)
or the administrators' urgency rules or, where both are silent, the learned model. The category is
a soft vote: the model's tempered log-probabilities plus so many nats per rule point and per concept
point (weights chosen by cross-validation when the model is trained); a rule heavy enough
(RULE_DECISIVE points, with a clear lead) decides on its own, so administrators can always force a
category. `matched` lists what actually decided, in words staff can check ("火情：冒 + 烟 + 正在",
"电梯故障：电梯 + 困"); `explain` gives the whole reasoning for an admin page.

Rules live in the database so administrators can change them; compiling them on every call would
cost a query per report, so the compiled set is kept in memory and re-validated against a cheap
fingerprint of the table (count, max id, max updated_at) at most every
`TRIAGE_RULES_CHECK_SECONDS`. Writes through `services` mark the cache stale at once, so the
process that changed a rule sees the change on its very next suggestion; other processes see it
within the check interval.

The learned model (`learning.py`) is a `TriageModel` row; the highest version wins and is checked
the same way (one indexed query per interval). Until a model has been trained and stored, each
process uses the same built-in one from the development data of the evaluation set and the rules
(never from its held-out part): built once, it is cached as JSON in the data folder under a digest
of its inputs (`builtin_cache_key`), so the next process loads it in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max

from gridgov.triage import concepts, learning
from gridgov.triage.categories import (
    CATEGORY_CODES,
    CATEGORY_NAMES,
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
# Administrators' counter-evidence at or below this (不着急 −4) keeps a report normal whatever the
# concept groups say: it is a deliberate statement by the reporter.
URGENT_VETO = -3.0
# Score at which a lone category is half-way to certain; see `_confidence`.
CONFIDENCE_SCALE = 2.0
# Rules decide on their own, whatever the model says, when one rule of the winner weighs at least
# RULE_DECISIVE points and the winner leads the runner-up by RULE_MARGIN: an administrator's weight-8
# rule. Otherwise the rules vote with the model, however many agree (the default rules weigh 4 at
# most). Leave one file out on the development data, letting a sum of 8 decide cost 0.3 points
# against the pure vote (0.6 on the fourth author's file); a sum of 10, 0.1 (0.6).
RULE_DECISIVE = 8.0
RULE_MARGIN = 2.0
# Below these the model abstains and the report stays "other": it knows too little of the text
# ("你们好呀") or spreads its belief over several categories.
MODEL_MIN_FEATURES = 3
MODEL_MIN_PROBABILITY = 0.25
MAX_CONFIDENCE = 0.99
MODEL_MARK = "模型"
MODEL_URGENT_MARK = "模型判断紧急"
MODEL_EVIDENCE_MARK = "模型依据："
CUE_NAMES = {"now": "正在发生", "people": "有人在险"}


@dataclass(frozen=True)
class Suggestion:
    category: str  # one of CATEGORY_CODES
    urgency: str  # "normal" | "urgent"
    confidence: float  # 0..1, how clearly the category won
    # What decided it, for the dispatcher to see: the rule phrases and keywords, the concept groups
    # with the words that matched ("火情：冒 + 烟 + 正在"), the subcategory's words; "模型" followed by
    # the whole words that spoke for the category when the model decided; "模型判断紧急" when the
    # model made it urgent.
    matched: tuple[str, ...]
    # A subcategory code (concepts.SUBCATEGORY_NAMES: lift, street-vending …) when the report clearly
    # names one of the suggested category's; None when unsure.
    subcategory: str | None = None


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


RuleRow = tuple[str, str, str, float]  # (target, kind, text, weight)


def active_rule_rows() -> list[RuleRow]:
    """The active rules as plain rows, e.g. to preview a change on (`preview.py`)."""
    return list(TriageRule.objects.filter(is_active=True).values_list("target", "kind", "text", "weight"))


def compile_rules(rows: Iterable[RuleRow], fingerprint: tuple[Any, ...] = ()) -> _Compiled:
    """A rule set from rows, usable as `decide(..., rules=…)` without touching the database."""
    phrases: dict[str, list[tuple[str, float]]] = defaultdict(list)
    keywords: dict[str, list[tuple[str, float]]] = defaultdict(list)
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


def _compile(fingerprint: tuple[Any, ...]) -> _Compiled:
    return compile_rules(active_rule_rows(), fingerprint)


def _rules() -> _Compiled:
    global _compiled
    compiled = _compiled
    now = time.monotonic()
    interval = settings.TRIAGE_RULES_CHECK_SECONDS
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

    @property
    def decisive(self) -> bool:
        """The rules are sure on their own (RULE_DECISIVE points with a clear lead): what a lone
        staff correction may not contradict until someone agrees (`rules_decide`)."""
        return self.clear and self.top >= RULE_DECISIVE

    @property
    def forced(self) -> bool:
        """One rule of RULE_DECISIVE points (an administrator forcing a category) decides, whatever
        the model says. Several ordinary ones adding up only vote with the model: leave one file
        out, letting a sum of 8 decide alone cost 0.3 points overall, 0.6 on the fourth author's."""
        return self.clear and any(
            weight >= RULE_DECISIVE for weight, _phrase in self.hits.get(self.category, ())
        )

    def confidence_for(self, category: str) -> float:
        score = self.scores.get(category, 0.0)
        others = max((value for code, value in self.scores.items() if code != category), default=0.0)
        if score <= 0 or score < others:
            return 0.0
        return _confidence(score, others)

    def phrases_for(self, target: str) -> list[str]:
        deciding = sorted((hit for hit in self.hits.get(target, []) if hit[0] > 0), key=_by_weight)
        return [phrase for _weight, phrase in deciding]


def _occurrences(text: str, word: str) -> list[int]:
    out = []
    start = text.find(word)
    while start >= 0:
        out.append(start)
        start = text.find(word, start + 1)
    return out


def _nested(norm: str, phrase: str, others: list[str]) -> bool:
    """Whether every occurrence of `phrase` lies inside an occurrence of a longer one of `others`."""
    spans = [
        (start, start + len(other))
        for other in others
        if len(other) > len(phrase) and phrase in other
        for start in _occurrences(norm, other)
    ]
    return bool(spans) and all(
        any(a <= start and start + len(phrase) <= b for a, b in spans) for start in _occurrences(norm, phrase)
    )


def _masked(norm: str, phrase: str) -> bool:
    """Whether every occurrence of a rule phrase is part of a word that does not mean it (the concept
    groups' masks: 着火 in 打不着火, 火灾 in 火灾险)."""
    masks = concepts.MASKS.get(phrase)
    if not masks:
        return False
    spans = [(start, start + len(mask)) for mask in masks for start in _occurrences(norm, mask)]
    return bool(spans) and all(
        any(a <= start and start + len(phrase) <= b for a, b in spans) for start in _occurrences(norm, phrase)
    )


def _rule_verdict(
    norm: str, segmented: list[str] | None = None, rules: _Compiled | None = None
) -> _RuleVerdict:
    rules = rules if rules is not None else _rules()
    scores: dict[str, float] = defaultdict(float)
    hits: dict[str, list[tuple[float, str]]] = defaultdict(list)
    phrases = rules.phrases
    found: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for first in set(norm):
        for phrase, targets in phrases.get(first, ()):
            if phrase in norm and not _masked(norm, phrase):
                for target, weight in targets:
                    found[target].append((phrase, weight))
    for target, matched in found.items():
        # A category phrase found only inside a longer one of the same category that matched too is
        # the same evidence: "路灯坏" counts once, not again as "路灯" and "灯坏". (Urgency phrases
        # keep adding up: their scale was set that way.)
        longer = [phrase for phrase, weight in matched if weight > 0] if target != URGENCY_TARGET else []
        for phrase, weight in matched:
            if weight > 0 and len(longer) > 1 and _nested(norm, phrase, longer):
                continue
            scores[target] += weight
            hits[target].append((weight, phrase))
    keywords = rules.keywords
    # A token can only equal a keyword that occurs in the text, so segment only when one does:
    # most reports never pay for jieba here.
    if any(keyword in norm for keyword in keywords):
        for token in set(segmented if segmented is not None else segment(norm)):
            token_targets = keywords.get(token)
            if token_targets:
                for target, weight in token_targets:
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


def signals(text: str, rules: _Compiled | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """What the rules and the concept groups say about a report's category (the model's partners in
    the vote): rule points and concept points per category."""
    norm = normalize(text)[:MAX_CHARS]
    return _rule_verdict(norm, rules=rules).scores, concepts.assess(norm).category_hints()


def rules_say_urgent(text: str, rules: _Compiled | None = None) -> bool:
    """Whether the report is urgent without the model (concept groups and urgency rules)."""
    return decide(text, model=None, rules=rules).suggestion.urgency == URGENT


def rules_decide(text: str, rules: _Compiled | None = None) -> str | None:
    """The category the rules decide on their own, whatever a model says; None when they do not."""
    verdict = _rule_verdict(normalize(text)[:MAX_CHARS], rules=rules)
    return verdict.category if verdict.decisive else None


def fit_model(
    data: learning.TrainingData, *, version: int = 0, memo: dict[str, Any] | None = None
) -> LearnedModel:
    """Train a model with this process's rules and concept groups as its partners in the vote.
    `memo` (a dict kept across calls) remembers per text what the rules and concepts say, so the
    folds of a cross-validation do not work it out again for every fold."""
    _rules()  # teaches jieba the keyword rules first, as at prediction time
    if memo is None:
        return learning.fit(
            data, segment, version=version, rules_say_urgent=rules_say_urgent, signals=signals
        )

    def remembered(kind: str, function: Any) -> Any:
        cache = memo.setdefault(kind, {})

        def call(text: str) -> Any:
            if text not in cache:
                cache[text] = function(text)
            return cache[text]

        return call

    return learning.fit(
        data,
        remembered("segment", segment),
        version=version,
        rules_say_urgent=remembered("urgent", rules_say_urgent),
        signals=remembered("signals", signals),
        assess=remembered("assess", lambda text: concepts.assess(normalize(text)[:MAX_CHARS])),
    )


def build_builtin_model() -> LearnedModel:
    """The model a deployment has before anyone trained one: the development data of the evaluation
    set and the current rules. Deterministic, so every process builds the same one; the first stored
    model replaces it."""
    _rules()
    data = learning.assemble(
        dev_rows=learning.eval_rows("dev"), holdout_texts=(), corrections=(), rules=_rule_documents()
    )
    return fit_model(data, version=0)


_builtin: LearnedModel | None = None

# Building the built-in model takes seconds (cross-validation inside `fit`); every web worker, task
# worker and test process would pay it on its first report. So the built model is kept on disk in
# the data folder as JSON (the same parameters a stored `TriageModel` row holds: loading it runs no
# code), under a key that changes with everything the build depends on.
BUILTIN_CACHE_PREFIX = "triage-builtin-"
# The code the built model depends on: the features, training, the concept groups (its partners in
# the vote and the urgency stack's inputs), the categories and the text normalization.
_BUILTIN_CODE = tuple(
    Path(__file__).resolve().parent / name
    for name in ("learning.py", "concepts.py", "engine.py", "categories.py", "models.py")
)


def builtin_cache_key(rule_rows: Iterable[RuleRow]) -> str:
    """A digest of what the built-in model is built from: the development files, jieba's user
    dictionary and version, the triage code and the active rules (they are training documents, vote
    with the model and teach jieba keywords). Any change, and the cached model is built again."""
    import jieba

    digest = hashlib.sha256(f"format {learning.FORMAT}; jieba {jieba.__version__}".encode())
    for path in (*learning.DEV_FILES, USER_DICT, *_BUILTIN_CODE):
        content = path.read_bytes()
        digest.update(f"\n{path.name} {len(content)}\n".encode())
        digest.update(content)
    rows = sorted(
        (str(target), str(kind), str(text), repr(float(weight))) for target, kind, text, weight in rule_rows
    )
    digest.update(json.dumps(rows, ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


def _builtin_cache_path(key: str) -> Path:
    return Path(settings.DATA_DIR) / f"{BUILTIN_CACHE_PREFIX}{key}.json"


def _read_builtin_cache(path: Path, key: str) -> LearnedModel | None:
    try:
        with path.open(encoding="utf-8") as stream:
            stored = json.load(stream)
        if not isinstance(stored, dict) or stored.get("key") != key:
            raise ValueError("key mismatch")
        return LearnedModel.from_params(stored["model"], version=0)
    except FileNotFoundError:
        return None
    except (OSError, KeyError, TypeError, ValueError, IndexError, AttributeError):
        # Truncated by a crash, edited, or from another version: build it again, never fail intake.
        logger.warning("triage built-in model cache %s is unreadable; rebuilding it", path.name)
        return None


def _write_builtin_cache(path: Path, key: str, model: LearnedModel) -> None:
    """Written to a temporary file and renamed, so a process reading concurrently sees the whole file
    or none; older keys' files are removed. A failure only costs the next process a rebuild."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump(
                {"key": key, "model": model.to_params(compact=True)},
                stream,
                ensure_ascii=False,
                allow_nan=False,
            )
        os.replace(temporary, path)
        for stale in path.parent.glob(f"{BUILTIN_CACHE_PREFIX}*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except (OSError, ValueError):
        logger.warning("triage built-in model cache %s could not be written", path.name, exc_info=True)
        temporary.unlink(missing_ok=True)


def builtin_model() -> LearnedModel:
    """The built-in model from the on-disk cache when its key matches, else built and cached."""
    key = builtin_cache_key(active_rule_rows())
    path = _builtin_cache_path(key)
    model = _read_builtin_cache(path, key)
    if model is None:
        model = build_builtin_model()
        _write_builtin_cache(path, key, model)
    return model


def _load(version: int | None) -> LearnedModel | None:
    global _builtin
    if version is None:
        # Loaded once per process: going back to "nothing stored" (a test's rollback, an
        # administrator deleting every model) must not cost a reload each time.
        if _builtin is None:
            _builtin = builtin_model()
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
    if not settings.TRIAGE_MODEL_ENABLED:
        return None
    state = _model_state
    now = time.monotonic()
    interval = settings.TRIAGE_RULES_CHECK_SECONDS
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


SOURCE_RULES = "rules"
SOURCE_MODEL = "model"
SOURCE_CONCEPTS = "concepts"
SOURCE_NONE = "none"
SOURCE_NAMES = {SOURCE_RULES: "规则", SOURCE_MODEL: "模型", SOURCE_CONCEPTS: "概念", SOURCE_NONE: "无依据"}
_CURRENT: Any = object()


@dataclass(frozen=True)
class Decision:
    suggestion: Suggestion
    source: str  # SOURCE_*: what decided the category
    rules_category: str  # what the rules alone would say
    model_category: str | None
    model_probability: float | None
    model_version: int | None
    urgency_source: str = ""  # "concepts" | "rules" | "model" | "" (normal)
    # The parts, for `explain`.
    assessment: concepts.Assessment | None = field(default=None, repr=False, compare=False)
    verdict: _RuleVerdict | None = field(default=None, repr=False, compare=False)
    prediction: learning.Prediction | None = field(default=None, repr=False, compare=False)
    combined: dict[str, float] = field(default_factory=dict, repr=False, compare=False)


def decide(text: str, *, model: Any = _CURRENT, rules: _Compiled | None = None) -> Decision:
    """Category, subcategory and urgency of one report, with what decided them.

    `model=None` decides with the rules and concept groups alone (the "rules-only" figures);
    `rules` replaces the administrators' current rule set (a preview of a rule change).
    """
    norm = normalize(text)[:MAX_CHARS]
    if model is _CURRENT:
        model = current_model() if norm else None
    assessment = concepts.assess(norm)
    # Compiled before segmenting: compiling teaches jieba the keyword rules, which must already be
    # whole tokens in this report's segmentation.
    rules = rules if rules is not None else _rules()
    if model is not None and norm:
        # One segmentation serves both the keyword rules and the model.
        segmented = segment(norm)
        verdict = _rule_verdict(norm, segmented, rules)
        prediction = model.predict(norm, lambda _norm: segmented, assessment)
    else:
        verdict, prediction = _rule_verdict(norm, rules=rules), None
    hints = assessment.category_hints()
    usable = _model_usable(prediction)

    combined: dict[str, float] = {}
    if verdict.forced or (not usable and (verdict.fired or hints)):
        # Rules (and concept points, counted like rule points) on their own.
        points = {code: verdict.scores.get(code, 0.0) + hints.get(code, 0.0) for code in CATEGORY_CODES}
        ranked = sorted(((points[code], -i, code) for i, code in enumerate(CATEGORY_CODES)), reverse=True)
        category = ranked[0][2]
        source = SOURCE_RULES if verdict.scores.get(category, 0.0) > 0 else SOURCE_CONCEPTS
        confidence = _confidence(ranked[0][0], ranked[1][0])
    elif usable and prediction is not None and model is not None:
        scores = learning.combine(
            prediction.log_scores,
            model.category.temperature,
            verdict.scores,
            hints,
            rule_weight=model.rule_weight,
            concept_weight=model.concept_weight,
            classes=model.category.classes,
        )
        combined = dict(zip(model.category.classes, scores, strict=True))
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        category = model.category.classes[best]
        probabilities = learning.softmax(scores, model.confidence_temperature)
        # Never shown as certain: a dispatcher should still read the report.
        confidence = min(round(probabilities[best], 2), MAX_CONFIDENCE)
        source = _combined_source(category, verdict, prediction, hints)
    else:
        category, source, confidence = FALLBACK_CATEGORY, SOURCE_NONE, 0.0

    urgency, urgency_source = _urgency(verdict, assessment, prediction)
    subcategory, subcategory_label = concepts.subcategory_for(assessment, category)
    matched = _matched(
        category,
        source,
        verdict,
        assessment,
        prediction,
        model,
        urgency_source,
        subcategory_label,
        norm,
    )
    suggestion = Suggestion(
        category=category,
        urgency=urgency,
        confidence=confidence,
        matched=tuple(dict.fromkeys(matched)),
        subcategory=subcategory,
    )
    return Decision(
        suggestion=suggestion,
        source=source,
        rules_category=verdict.category,
        model_category=prediction.category if prediction is not None else None,
        model_probability=round(prediction.probability, 4) if prediction is not None else None,
        model_version=model.version if model is not None else None,
        urgency_source=urgency_source,
        assessment=assessment,
        verdict=verdict,
        prediction=prediction,
        combined=combined,
    )


def _combined_source(
    category: str, verdict: _RuleVerdict, prediction: learning.Prediction, hints: dict[str, float]
) -> str:
    """Which partner in the vote the category came from: the one that would have chosen it alone."""
    rules_alone = verdict.category if verdict.fired else None
    if rules_alone == category and (prediction.category != category or verdict.clear):
        return SOURCE_RULES
    if prediction.category == category:
        return SOURCE_MODEL
    if hints and max(hints, key=hints.__getitem__) == category:
        return SOURCE_CONCEPTS
    return SOURCE_RULES if verdict.scores.get(category, 0.0) > 0 else SOURCE_MODEL


def _urgency(
    verdict: _RuleVerdict, assessment: concepts.Assessment, prediction: learning.Prediction | None
) -> tuple[str, str]:
    """Urgent when the concept groups say so (unless the administrators' counter-evidence vetoes),
    when the urgency rules add up, or, recall first, when the model's P(urgent) reaches the threshold
    training chose by cross-validation (`learning.MAX_FALSE_URGENT`) and nothing spoke against it."""
    vetoed = verdict.urgency_score <= URGENT_VETO
    if assessment.urgent and not vetoed:
        return URGENT, "concepts"
    # A rule's danger word the concept groups found negated or resolved ("不是着火") does not count.
    explained_away = bool(assessment.negations) and not assessment.urgent
    if verdict.urgency_score >= URGENT_THRESHOLD and not explained_away:
        return URGENT, "rules"
    # Nor does the model overrule a negation, resolution or hypothetical the concept groups found
    # ("没有冒烟", "已经灭了", "万一着火"): letting it (or only where a danger was wiped out entirely)
    # caught no more emergencies in leave-one-file-out cross-validation and raised false alarms.
    if (
        prediction is not None
        and prediction.urgent
        and verdict.urgency_score >= 0
        and not assessment.negations
    ):
        return URGENT, "model"
    return NORMAL, ""


def _matched(
    category: str,
    source: str,
    verdict: _RuleVerdict,
    assessment: concepts.Assessment,
    prediction: learning.Prediction | None,
    model: LearnedModel | None,
    urgency_source: str,
    subcategory_label: str,
    norm: str = "",
) -> list[str]:
    """What decided the suggestion, in words staff can check against the report (`norm`, normalized)."""
    out: list[str] = []
    if source == SOURCE_MODEL and prediction is not None and model is not None:
        out.append(MODEL_MARK)
        out.extend(
            word
            for word, _lift in model.category.evidence(
                prediction.document, category, min_count=1, min_share=0.6
            )
        )
    out.extend(verdict.phrases_for(category))
    deciding = assessment.deciding if urgency_source == "concepts" else None
    out.extend(
        hit.label
        for hit in assessment.hits
        # The concept that made it urgent is shown once, below, with its cues.
        if hit.concept.category == category and not hit.erased and hit is not deciding
    )
    out.extend(hit.label for hit in assessment.cue_hits if hit.concept.category == category)
    if subcategory_label:
        out.append(subcategory_label)
    if urgency_source == "concepts":
        out.append(assessment.deciding_label())
        if verdict.urgency_score >= URGENT_THRESHOLD:  # the urgency rules agreed on their own
            out.extend(verdict.phrases_for(URGENCY_TARGET))
    elif urgency_source == "rules":
        out.extend(verdict.phrases_for(URGENCY_TARGET))
    elif urgency_source == "model":
        out.append(MODEL_URGENT_MARK)
        out.extend(_model_urgency_evidence(norm, assessment, prediction, model))
    return out


def _model_urgency_evidence(
    text: str,
    assessment: concepts.Assessment,
    prediction: learning.Prediction | None,
    model: LearnedModel | None,
) -> list[str]:
    """What made the model call a report urgent, strongest first: the concept groups it weighed (with
    their words, "火情：焦味"), the cues of now and of people at risk, and the report's n-grams that
    speak most for urgent ("模型依据：冒出、焦味")."""
    if (
        prediction is None
        or model is None
        or model.urgency_stack is None
        or prediction.urgency_vector is None
    ):
        return []
    labels = {f"concept:{hit.concept.code}": hit.label for hit in assessment.hits if not hit.erased}
    strongest = next((hit.label for hit in assessment.hits if not hit.erased), "")
    if strongest:  # "some danger was found" is told by naming the strongest one
        labels["danger"] = labels["danger2"] = strongest
    cues = {"now": (assessment.now or assessment.distress)[:1], "people": assessment.people[:1]}
    out: list[str] = []
    for name, _value in model.urgency_stack.contributions(prediction.urgency_vector)[:4]:
        if name in ("text", "text-mean"):
            words = learning.urgent_ngrams(model.urgency, prediction.document, text)
            if words:
                out.append(f"{MODEL_EVIDENCE_MARK}{'、'.join(words)}")
        elif name in labels:
            out.append(labels[name])
        elif cues.get(name):
            out.append(f"{CUE_NAMES[name]}：{cues[name][0]}")
    return out


def _model_usable(prediction: learning.Prediction | None) -> bool:
    return (
        prediction is not None
        and prediction.known_features >= MODEL_MIN_FEATURES
        and prediction.probability >= MODEL_MIN_PROBABILITY
    )


def suggest(text: str) -> Suggestion:
    """Category, subcategory and urgency for a report, with what decided them (see `decide`)."""
    return decide(text).suggestion


# explanations


@dataclass(frozen=True)
class RuleHit:
    target: str  # a category code or "urgent"
    phrase: str
    weight: float


@dataclass(frozen=True)
class ConceptHit:
    code: str
    name: str  # 火情, 被困 …
    category: str  # the concept's home category
    words: tuple[str, ...]
    weight: int  # 1 hazard, 2 danger, 3 acute; 0 for a category cue (concepts.CUES), never a danger
    score: int  # after the cues of now and people and the negations
    lowered_by: str  # the negation, resolution, past, hypothetical or excuse, or ""


@dataclass(frozen=True)
class Explanation:
    """Everything behind one suggestion, for an admin page: rules, concept groups, cues, negations,
    the model's view, the combined vote and, in Chinese, the final decision and why."""

    text: str
    suggestion: Suggestion
    source: str
    urgency_source: str
    rules: tuple[RuleHit, ...]
    rule_scores: dict[str, float]
    urgency_rule_score: float
    concepts: tuple[ConceptHit, ...]
    cues: dict[str, tuple[str, ...]]  # now, distress, people, register
    negations: tuple[str, ...]
    subcategory_hits: tuple[str, ...]
    model_version: int | None
    model_probabilities: dict[str, float]
    model_features: tuple[tuple[str, float], ...]  # (word, lift) for the chosen category
    urgent_probability: float | None
    combined_scores: dict[str, float]
    why: tuple[str, ...]


def explain(text: str, *, model: Any = _CURRENT) -> Explanation:
    """The full reasoning behind `suggest(text)`."""
    decision = decide(text, model=model)
    if model is _CURRENT:
        model = current_model()
    suggestion = decision.suggestion
    verdict, assessment, prediction = decision.verdict, decision.assessment, decision.prediction
    assert verdict is not None and assessment is not None
    rules = tuple(
        RuleHit(target, phrase, weight)
        for target, found in sorted(verdict.hits.items())
        for weight, phrase in sorted(found, key=_by_weight)
    )
    hits = tuple(
        ConceptHit(
            hit.concept.code,
            hit.concept.name,
            hit.concept.category,
            hit.words,
            hit.pattern.weight,
            hit.score,
            hit.negated,
        )
        for hit in assessment.hits
    ) + tuple(
        ConceptHit(hit.concept.code, hit.concept.name, hit.concept.category, hit.words, 0, 0, "")
        for hit in assessment.cue_hits
    )
    features: tuple[tuple[str, float], ...] = ()
    if prediction is not None and model is not None:
        features = tuple(model.category.evidence(prediction.document, suggestion.category, limit=8))
    return Explanation(
        text=text,
        suggestion=suggestion,
        source=decision.source,
        urgency_source=decision.urgency_source,
        rules=rules,
        rule_scores={code: score for code, score in verdict.scores.items() if score},
        urgency_rule_score=verdict.urgency_score,
        concepts=hits,
        cues={
            "now": assessment.now,
            "distress": assessment.distress,
            "people": assessment.people,
            "register": assessment.register,
        },
        negations=assessment.negations,
        subcategory_hits=tuple(hit.label for hit in assessment.subcategory_hits),
        model_version=decision.model_version,
        model_probabilities=(
            {code: round(p, 4) for code, p in prediction.probabilities.items()} if prediction else {}
        ),
        model_features=features,
        urgent_probability=(
            round(prediction.urgent_probability, 4)
            if prediction is not None and prediction.urgent_probability is not None
            else None
        ),
        combined_scores={code: round(score, 3) for code, score in decision.combined.items()},
        why=tuple(_why(decision, model)),
    )


def _why(decision: Decision, model: LearnedModel | None) -> list[str]:
    suggestion = decision.suggestion
    verdict, assessment = decision.verdict, decision.assessment
    assert verdict is not None and assessment is not None
    name = CATEGORY_NAMES.get(suggestion.category, suggestion.category)
    out = []
    if decision.source == SOURCE_NONE:
        out.append(f"没有规则、概念或模型依据，归入“{name}”")
    elif decision.source == SOURCE_RULES and verdict.forced:
        out.append(f"规则得分 {verdict.top:g}，领先 {verdict.top - verdict.runner_up:g}，直接决定“{name}”")
    elif decision.combined:
        parts = [f"模型 {decision.model_category and CATEGORY_NAMES.get(decision.model_category)}"]
        if verdict.fired:
            parts.append(f"规则 {CATEGORY_NAMES.get(verdict.category)}（{verdict.top:g} 分）")
        hints = assessment.category_hints()
        if hints:
            parts.append("概念 " + "、".join(CATEGORY_NAMES.get(code, code) for code in hints))
        weights = f"每个规则分 {model.rule_weight:g}、概念分 {model.concept_weight:g}" if model else ""
        out.append(f"综合（{'；'.join(parts)}；{weights}）得出“{name}”，把握 {suggestion.confidence:.0%}")
    else:
        out.append(f"模型不确定，按规则和概念得出“{name}”")
    if suggestion.subcategory:
        out.append(
            f"子分类：{concepts.SUBCATEGORY_NAMES.get(suggestion.subcategory, suggestion.subcategory)}"
        )
    if decision.urgency_source == "concepts":
        out.append(
            f"紧急：{assessment.deciding_label()}（概念得分 {assessment.top_score}，≥{concepts.URGENT_AT} 即紧急）"
        )
    elif decision.urgency_source == "rules":
        out.append(f"紧急：紧急规则合计 {verdict.urgency_score:g} 分（≥{URGENT_THRESHOLD:g}）")
    elif decision.urgency_source == "model":
        prediction = decision.prediction
        probability = prediction.urgent_probability if prediction is not None else None
        threshold = model.urgency_threshold if model is not None else None
        figures = (
            f"{probability:.0%}，阈值 {threshold:.0%}"
            if probability is not None and threshold is not None
            else ""
        )
        out.append(f"紧急：规则和概念都未判紧急，模型认为紧急的概率（{figures}）达到训练时交叉验证选定的阈值")
    else:
        reason = "；".join(assessment.negations) if assessment.negations else "没有危险概念或紧急规则"
        out.append(f"一般：{reason}")
    return out
