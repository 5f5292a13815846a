from __future__ import annotations

import json
import logging

import pytest

from gridgov.triage import engine, learning
from gridgov.triage.models import TriageRule

TEXTS = [
    "楼道里冒出好大的烟，还有股焦味",
    "小区门口那个路灯坏了一个星期了",
    "请问社区几点上班",
    "隔壁天天半夜唱歌，吵得睡不着",
]


def _small_model() -> learning.LearnedModel:
    """A model like the built-in one, trained on a slice of the data so the tests stay quick."""
    rows = [row for path in learning.DEV_FILES[:3] for row in learning.eval_rows(path=path)[:40]]
    data = learning.assemble(dev_rows=rows, holdout_texts=(), corrections=(), rules=engine._rule_documents())
    return engine.fit_model(data, version=0)


def _same(a: learning.LearnedModel, b: learning.LearnedModel) -> None:
    for text in TEXTS:
        left, right = a.predict(text, engine.segment), b.predict(text, engine.segment)
        assert left.probabilities == right.probabilities, text
        assert left.urgent_probability == right.urgent_probability, text
    assert (a.urgency_threshold, a.rule_weight, a.concept_weight) == (
        b.urgency_threshold,
        b.rule_weight,
        b.concept_weight,
    )


@pytest.fixture
def builds(db, settings, tmp_path, monkeypatch):
    """The cache in an empty data folder, and a counter of how often the model is really built."""
    settings.DATA_DIR = tmp_path
    model = _small_model()
    calls: list[int] = []

    def build() -> learning.LearnedModel:
        calls.append(1)
        return model

    monkeypatch.setattr(engine, "build_builtin_model", build)
    return calls


def _cache_files(settings) -> list:
    return sorted(settings.DATA_DIR.glob(f"{engine.BUILTIN_CACHE_PREFIX}*.json"))


def test_the_built_in_model_is_built_once_then_loaded_from_the_data_folder(builds, settings):
    built = engine.builtin_model()
    assert builds == [1]
    (path,) = _cache_files(settings)
    stored = json.loads(path.read_text(encoding="utf-8"))  # plain JSON: loading it runs no code
    assert stored["key"] == engine.builtin_cache_key(engine.active_rule_rows()) in path.name
    loaded = engine.builtin_model()
    assert builds == [1] and loaded is not built
    _same(built, loaded)


@pytest.mark.parametrize("damage", ["truncated", "not json", "another key", "wrong shape"])
def test_a_damaged_cache_is_rebuilt_not_trusted(builds, settings, caplog, damage):
    engine.builtin_model()
    (path,) = _cache_files(settings)
    text = path.read_text(encoding="utf-8")
    stored = json.loads(text)
    if damage == "truncated":
        path.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage == "not json":
        path.write_bytes(b"\x80\x04\x95 not json")
    elif damage == "another key":
        path.write_text(json.dumps(stored | {"key": "0" * 32}), encoding="utf-8")
    else:
        stored["model"]["category"]["rows"] = stored["model"]["category"]["rows"][:-1]
        path.write_text(json.dumps(stored), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="gridgov.triage.engine"):
        model = engine.builtin_model()
    assert builds == [1, 1] and model.urgency_stack is not None
    assert "rebuilding" in caplog.text
    # Rewritten whole: the next process loads it again.
    assert json.loads(path.read_text(encoding="utf-8"))["key"] == stored["key"]
    engine.builtin_model()
    assert builds == [1, 1]


def test_a_changed_rule_or_data_file_builds_a_new_model_and_drops_the_old_cache(
    builds, settings, tmp_path, monkeypatch
):
    engine.builtin_model()
    (first,) = _cache_files(settings)
    TriageRule.objects.create(target="facility", kind="phrase", text="胶囊旅馆", weight=2)
    engine.builtin_model()
    (second,) = _cache_files(settings)
    assert builds == [1, 1] and second != first
    # A development file edited (a relabelled row) changes the key too.
    copy = tmp_path / "eval_dev_copy.jsonl"
    copy.write_text(learning.DEV_FILES[0].read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(learning, "DEV_FILES", (*learning.DEV_FILES[1:], copy))
    engine.builtin_model()
    assert builds == [1, 1, 1] and _cache_files(settings) != [second]


def test_an_unwritable_data_folder_still_gives_a_model(builds, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "missing" / "folder"
    assert engine.builtin_model().urgency_stack is not None
    assert engine.builtin_model() is not None and builds == [1, 1]


def test_the_real_built_in_model_comes_back_from_the_cache_unchanged(db, settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    built = engine.builtin_model()  # built for real: the seconds every process paid before

    def no_second_build() -> learning.LearnedModel:
        raise AssertionError("the cached model was built again instead of loaded")

    # How fast the load is belongs to bench/triage_speed.py; here: loaded, not rebuilt, and equal.
    monkeypatch.setattr(engine, "build_builtin_model", no_second_build)
    loaded = engine.builtin_model()
    _same(built, loaded)
    for row in learning.eval_rows("dev")[::40]:
        a = engine.decide(row["text"], model=built).suggestion
        b = engine.decide(row["text"], model=loaded).suggestion
        assert a == b, row["text"]
