"""The learned half of triage: a multinomial naive Bayes text classifier in pure Python.

Why naive Bayes: the labelled data is small (a couple of hundred evaluation reports, then the
corrections staff make, a few thousand at most), training must take seconds inside a task worker,
and the parameters must be plain JSON so every process loads the same model from the database.
Counting n-grams gives all three; on this data it does as well as a logistic regression would.

Features are the set (not the counts: reports are one or two sentences) of character 1–3-grams of
each punctuation-delimited run, with `^`/`$` marking where a run starts and ends, plus jieba tokens
of two or more characters. Character n-grams carry typos (电悌, 路等) and words the dictionary does
not know; tokens add whole words.

Besides labelled reports, every active category rule is one short training document ("垃圾成堆"
→ sanitation): the administrators' vocabulary teaches the model words the labelled reports never
used, and the model generalises them to reports where no rule fires.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridgov.triage.categories import CATEGORY_CODES, NORMAL, URGENCY_CODES, URGENCY_TARGET, URGENT
from gridgov.triage.models import normalize

FORMAT = 1
EVAL_SET = Path(__file__).resolve().parent / "data" / "eval_reports.jsonl"
MAX_CHARS = 2000
NGRAM = 3
ALPHA = 0.3  # additive smoothing; 0.1–0.3 were indistinguishable in cross-validation on the dev half
FOLDS = 5
TEMPERATURES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
URGENCY_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
# Bounds the JSON a worker loads: past this many features the rarest are dropped.
MAX_FEATURES = 200_000

_RUNS = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")


def features(text: str, tokenize: Any) -> list[str]:
    """The model's view of a report, in a fixed order (so float sums do not depend on hash seeds)."""
    norm = normalize(text)[:MAX_CHARS]
    # Segmented before digits are folded, so the engine can share one segmentation with the rules.
    tokens = tokenize(norm)
    norm = _DIGITS.sub("0", norm)
    out: dict[str, None] = {}
    for run in _RUNS.split(norm):
        if not run:
            continue
        framed = f"^{run}$"
        for size in range(1, NGRAM + 1):
            for start in range(len(framed) - size + 1):
                gram = framed[start : start + size]
                if gram not in ("^", "$"):
                    out[gram] = None
    for token in tokens:
        if len(token) > 1 and not _RUNS.fullmatch(token):
            out["w:" + _DIGITS.sub("0", token)] = None
    return list(out)


def display(feature: str) -> str:
    """How a feature reads to a dispatcher: the word or n-gram without markers."""
    return feature[2:] if feature.startswith("w:") else feature.strip("^$")


class NaiveBayes:
    """Multinomial naive Bayes over binary features; `counts` are the whole of its parameters."""

    def __init__(
        self,
        classes: Sequence[str],
        doc_counts: Sequence[int],
        counts: dict[str, list[int]],
        *,
        alpha: float = ALPHA,
        temperature: float = 1.0,
        lazy: bool = False,
        totals: Sequence[int] | None = None,
    ) -> None:
        self.classes = tuple(classes)
        self.doc_counts = list(doc_counts)
        self.counts = counts
        self.alpha = alpha
        self.temperature = temperature
        size = len(self.classes)
        if totals is None:
            totals = [sum(column) for column in zip(*counts.values(), strict=True)] or [0] * size
        vocabulary = len(counts)
        documents = sum(self.doc_counts)
        # log P(f|c) = log(n_fc + α) − log(N_c + αV): the second term is per class, so it is kept
        # apart and multiplied by the number of known features, not added feature by feature.
        self._prior = tuple(
            math.log((self.doc_counts[i] + alpha) / (documents + alpha * size)) for i in range(size)
        )
        self._norm = tuple(math.log(totals[i] + alpha * vocabulary) for i in range(size))
        # Most counts are small: look their logarithms up instead of computing them.
        self._log_table = tuple(math.log(n + alpha) for n in range(256))
        self._logs: dict[str, tuple[float, ...]] = {}
        # Cross-validation models score a few dozen reports each: they compute rows on demand.
        self._lazy = lazy
        if not lazy:
            self._logs = {feature: self._row(row) for feature, row in counts.items()}

    def _row(self, counts: list[int]) -> tuple[float, ...]:
        table = self._log_table
        return tuple(table[n] if n < 256 else math.log(n + self.alpha) for n in counts)

    def _known(self, document: Sequence[str]) -> list[tuple[float, ...]]:
        logs = self._logs
        if not self._lazy:
            return [row for row in map(logs.get, document) if row is not None]
        known = []
        for feature in document:
            row = logs.get(feature)
            if row is None:
                counts = self.counts.get(feature)
                if counts is None:
                    continue
                row = logs[feature] = self._row(counts)
            known.append(row)
        return known

    @classmethod
    def fit(
        cls,
        documents: Sequence[Sequence[str]],
        labels: Sequence[str],
        *,
        classes: Sequence[str],
        alpha: float = ALPHA,
        lazy: bool = False,
    ) -> NaiveBayes:
        index = {label: i for i, label in enumerate(classes)}
        doc_counts = [0] * len(classes)
        counts: dict[str, list[int]] = {}
        for document, label in zip(documents, labels, strict=True):
            i = index[label]
            doc_counts[i] += 1
            for feature in document:
                row = counts.get(feature)
                if row is None:
                    row = counts[feature] = [0] * len(classes)
                row[i] += 1
        if len(counts) > MAX_FEATURES:
            kept = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))[:MAX_FEATURES]
            counts = dict(kept)
        return cls(classes, doc_counts, counts, alpha=alpha, lazy=lazy)

    def without(self, documents: Sequence[Sequence[str]], labels: Sequence[str]) -> NaiveBayes:
        """The model as if these documents had not been trained on (for cross-validation: one
        subtraction per fold instead of counting everything again)."""
        index = {label: i for i, label in enumerate(self.classes)}
        counts = dict(self.counts)
        doc_counts = list(self.doc_counts)
        totals = [sum(column) for column in zip(*self.counts.values(), strict=True)] or [0] * len(index)
        copied: set[str] = set()
        for document, label in zip(documents, labels, strict=True):
            i = index[label]
            doc_counts[i] -= 1
            for feature in document:
                row = counts.get(feature)
                if row is None:
                    continue
                if feature not in copied:
                    row = counts[feature] = list(row)
                    copied.add(feature)
                row[i] -= 1
                totals[i] -= 1
        for feature in copied:
            if not any(counts[feature]):
                del counts[feature]
        return NaiveBayes(self.classes, doc_counts, counts, alpha=self.alpha, lazy=True, totals=totals)

    def log_scores(self, document: Sequence[str]) -> list[float]:
        known = self._known(document)
        k = len(known)
        if not known:
            return [prior for prior in self._prior]
        return [
            prior - k * norm + total
            for prior, norm, total in zip(
                self._prior, self._norm, map(sum, zip(*known, strict=True)), strict=True
            )
        ]

    def knows(self, document: Sequence[str]) -> int:
        return sum(1 for feature in document if feature in self.counts)

    def proba(self, document: Sequence[str], *, temperature: float | None = None) -> list[float]:
        return softmax(self.log_scores(document), temperature or self.temperature)

    def evidence(self, document: Sequence[str], label: str, limit: int = 3) -> list[str]:
        """The features that most favour `label` over the average class, longest wins a tie, and a
        feature already shown inside a longer one is not repeated (垃圾 after 垃圾成堆)."""
        i = self.classes.index(label)
        norms = self._norm
        scored: list[tuple[float, str]] = []
        for feature in document:
            counts = self.counts.get(feature)
            if counts is None:
                continue
            row = self._logs.get(feature) or self._row(counts)
            text = display(feature)
            if len(text) < 2:
                continue
            per_class = [value - norm for value, norm in zip(row, norms, strict=True)]
            lift = per_class[i] - sum(per_class) / len(per_class)
            if lift > 0:
                scored.append((lift, text))
        scored.sort(key=lambda item: (-item[0], -len(item[1]), item[1]))
        chosen: list[str] = []
        for _lift, text in scored:
            if any(text in longer or longer in text for longer in chosen):
                continue
            chosen.append(text)
            if len(chosen) == limit:
                break
        return chosen

    def to_params(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "doc_counts": self.doc_counts,
            "alpha": self.alpha,
            "temperature": self.temperature,
            # Sparse: most features occur in one class only, "[[3, 1]]" instead of ten counts.
            "counts": {
                feature: [[i, n] for i, n in enumerate(row) if n] for feature, row in self.counts.items()
            },
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> NaiveBayes:
        size = len(params["classes"])
        counts: dict[str, list[int]] = {}
        for feature, pairs in params["counts"].items():
            row = counts[feature] = [0] * size
            for i, n in pairs:
                row[i] = int(n)
        return cls(
            params["classes"],
            params["doc_counts"],
            counts,
            alpha=float(params["alpha"]),
            temperature=float(params.get("temperature", 1.0)),
        )


def softmax(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    top = max(scores)
    exps = [math.exp((score - top) / temperature) for score in scores]
    total = sum(exps)
    return [value / total for value in exps]


@dataclass(frozen=True)
class Prediction:
    category: str
    probability: float  # calibrated probability of `category`
    probabilities: dict[str, float]
    urgent_probability: float | None
    urgent: bool  # the model would call it urgent (only when its urgency part is enabled)
    known_features: int
    document: tuple[str, ...]


@dataclass
class LearnedModel:
    """The category classifier and the urgency classifier, with what training decided about them."""

    version: int
    category: NaiveBayes
    urgency: NaiveBayes
    # P(urgent) at or above which the model adds an urgent call the rules missed; None = the urgency
    # part did not measurably help on the held-out half, so only the rules decide urgency.
    urgency_threshold: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def predict(self, text: str, tokenize: Any) -> Prediction:
        document = tuple(features(text, tokenize))
        probabilities = self.category.proba(document)
        best = max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))
        # Only worth computing when training found the urgency part useful.
        urgent_probability = (
            self.urgency.proba(document)[self.urgency.classes.index(URGENT)]
            if self.urgency_threshold is not None
            else None
        )
        return Prediction(
            category=self.category.classes[best],
            probability=probabilities[best],
            probabilities=dict(zip(self.category.classes, probabilities, strict=True)),
            urgent_probability=urgent_probability,
            urgent=urgent_probability is not None and urgent_probability >= self.urgency_threshold,
            known_features=self.category.knows(document),
            document=document,
        )

    def to_params(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "features": {"ngram": NGRAM, "words": True},
            "category": self.category.to_params(),
            "urgency": self.urgency.to_params(),
            "urgency_threshold": self.urgency_threshold,
            "info": self.info,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any], *, version: int) -> LearnedModel:
        if params.get("format") != FORMAT:
            raise ValueError(f"unknown triage model format {params.get('format')!r}")
        return cls(
            version=version,
            category=NaiveBayes.from_params(params["category"]),
            urgency=NaiveBayes.from_params(params["urgency"]),
            urgency_threshold=params.get("urgency_threshold"),
            info=dict(params.get("info") or {}),
        )


# training data


@dataclass(frozen=True)
class Sample:
    text: str
    category: str
    urgency: str
    source: str  # "dev" | "correction" | "rule"


def eval_rows(split: str | None = None, path: Path = EVAL_SET) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            line = line.strip()
            if line:
                row = json.loads(line)
                if split is None or row.get("split") == split:
                    rows.append(row)
    return rows


@dataclass
class TrainingData:
    samples: list[Sample]
    dev: int = 0
    corrections: int = 0
    rules: int = 0
    skipped_unknown_category: int = 0
    skipped_holdout: int = 0
    superseded: int = 0  # older corrections of a text corrected again later
    last_correction_id: int = 0


def assemble(
    *,
    dev_rows: Iterable[dict[str, Any]],
    holdout_texts: Iterable[str],
    corrections: Iterable[tuple[int, str, str, str]],
    rules: Iterable[tuple[str, str, float]],
) -> TrainingData:
    """Labelled reports keyed by their normalized text, so a later label of the same text replaces
    an earlier one: dev rows first, then corrections oldest first (`corrections` must come in that
    order). A correction of a held-out text is left out, or the held-out score would be a lie."""
    holdout = {normalize(text) for text in holdout_texts}
    by_text: dict[str, Sample] = {}
    data = TrainingData(samples=[])
    for row in dev_rows:
        by_text[normalize(row["text"])] = Sample(row["text"], row["category"], row["urgency"], "dev")
    for pk, text, category, urgency in corrections:
        data.last_correction_id = max(data.last_correction_id, pk)
        key = normalize(text)
        if not key:
            continue
        if category not in CATEGORY_CODES or urgency not in URGENCY_CODES:
            data.skipped_unknown_category += 1
            continue
        if key in holdout:
            data.skipped_holdout += 1
            continue
        if key in by_text and by_text[key].source == "correction":
            data.superseded += 1
        by_text[key] = Sample(text, category, urgency, "correction")
    data.samples = list(by_text.values())
    data.dev = sum(sample.source == "dev" for sample in data.samples)
    data.corrections = sum(sample.source == "correction" for sample in data.samples)
    for text, target, weight in rules:
        if weight <= 0:
            continue  # counter-evidence has no class to teach
        if target == URGENCY_TARGET:
            data.samples.append(Sample(text, "", URGENT, "rule"))
        else:
            data.samples.append(Sample(text, target, "", "rule"))
        data.rules += 1
    return data


def fit(
    data: TrainingData,
    tokenize: Any,
    *,
    version: int = 0,
    seed: int = 0,
    rules_say_urgent: Callable[[str], bool] | None = None,
) -> LearnedModel:
    """Train both classifiers; cross-validation on the labelled reports picks the temperature that
    turns naive Bayes' overconfident posteriors into usable probabilities, and the urgency
    threshold the model would need (whether to use it at all is decided on the held-out half)."""
    documents = [features(sample.text, tokenize) for sample in data.samples]
    labelled = [i for i, sample in enumerate(data.samples) if sample.source != "rule"]
    category_rows = [i for i, sample in enumerate(data.samples) if sample.category]
    urgency_rows = [i for i, sample in enumerate(data.samples) if sample.urgency]

    category = NaiveBayes.fit(
        [documents[i] for i in category_rows],
        [data.samples[i].category for i in category_rows],
        classes=CATEGORY_CODES,
    )
    urgency = NaiveBayes.fit(
        [documents[i] for i in urgency_rows],
        [data.samples[i].urgency for i in urgency_rows],
        classes=(NORMAL, URGENT),
    )

    # Out-of-fold log-scores for every labelled report; rule documents are always in training.
    shuffled = list(labelled)
    random.Random(seed).shuffle(shuffled)
    folds = min(FOLDS, len(shuffled)) if len(shuffled) >= 2 else 0
    category_scores: list[tuple[list[float], int]] = []
    urgent_scores: list[tuple[list[float], bool]] = []
    for fold in range(folds):
        held = sorted(shuffled[fold::folds])
        category_model = category.without(
            [documents[i] for i in held], [data.samples[i].category for i in held]
        )
        urgency_model = urgency.without([documents[i] for i in held], [data.samples[i].urgency for i in held])
        for i in held:
            sample = data.samples[i]
            category_scores.append(
                (category_model.log_scores(documents[i]), CATEGORY_CODES.index(sample.category))
            )
            # The model only ever adds urgent calls the rules missed, so only those reports count.
            if rules_say_urgent is None or not rules_say_urgent(sample.text):
                urgent_scores.append((urgency_model.log_scores(documents[i]), sample.urgency == URGENT))

    category.temperature = _best_temperature(category_scores)
    urgency.temperature = _best_temperature([(scores, int(label)) for scores, label in urgent_scores])
    threshold, cv_gain = _best_urgency_threshold(urgent_scores, urgency.temperature)
    info = {
        "cv_folds": folds,
        "cv_category_accuracy": _accuracy(category_scores),
        "urgency_threshold_candidate": threshold,
        "urgency_cv_gain": cv_gain,
    }
    return LearnedModel(version=version, category=category, urgency=urgency, info=info)


def _accuracy(scored: list[tuple[list[float], int]]) -> float | None:
    if not scored:
        return None
    right = sum(max(range(len(scores)), key=scores.__getitem__) == label for scores, label in scored)
    return round(right / len(scored), 4)


def _best_temperature(scored: list[tuple[list[float], int]]) -> float:
    if not scored:
        return 1.0

    def log_loss(temperature: float) -> float:
        return -sum(math.log(max(softmax(scores, temperature)[label], 1e-12)) for scores, label in scored)

    return min(TEMPERATURES, key=lambda t: (log_loss(t), t))


def _best_urgency_threshold(
    scored: list[tuple[list[float], bool]], temperature: float
) -> tuple[float | None, int]:
    """The threshold whose extra urgent calls fix the most cross-validated reports (net of the
    normal ones they would wrongly flag); a model that cannot beat "never" gets None."""
    best: tuple[float | None, int] = (None, 0)
    for threshold in URGENCY_THRESHOLDS:
        gain = 0
        for scores, urgent in scored:
            if softmax(scores, temperature)[1] >= threshold:
                gain += 1 if urgent else -1
        if gain > best[1]:
            best = (threshold, gain)
    return best
