"""Safe updates: `sculptor-train finetune` installs a new model only if it beats the one in use.

A real store (SQLite) with a week of one person's activity and answered break suggestions, the
shipped model as the one in use, the real fine-tune, conversion and registry. And the replay
sample: a week of one-sided data does not make the model forget the pretraining population.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop.records import Event
from desktop.store import DB_NAME, Store
from edge_model import features
from edge_model.manifest import read_manifest_dict
from edge_model.registry import SHIPPED_DIR, Registry
from tests.helpers import log_suggestion

pytest.importorskip("tensorflow", reason="needs the train extra")
pytestmark = [pytest.mark.tensorflow, pytest.mark.slow]

MONDAY = 1_795_996_800.0  # 2026-12-01T00:00Z is a Tuesday; this is Monday 2026-11-30
SHIPPED = read_manifest_dict(SHIPPED_DIR)["version"]


def one_sided_week() -> list[Event]:
    """Five workdays of 40 minutes of code then 6 of chat, 9:00 to 18:00, nothing else."""
    spans = []
    for day in range(5):
        t = MONDAY + day * 86400 + 9 * 3600
        end = MONDAY + day * 86400 + 18 * 3600
        while t < end:
            spans.append(Event(t, 40 * 60, "window", "code", "main.py", "development"))
            t += 40 * 60
            spans.append(Event(t, 6 * 60, "window", "slack", "general", "communication"))
            t += 6 * 60
    return spans


def make_store(data_dir, outcomes: list[str]) -> None:
    """Write a store: the week, and one answered break suggestion per outcome, oldest first."""
    data_dir.mkdir()
    spans = one_sided_week()
    timeline = features.Timeline.from_spans(spans)
    store = Store(data_dir / DB_NAME)
    store.insert_events(spans)
    for index, outcome in enumerate(outcomes):
        day, slot = divmod(index, 8)
        at = MONDAY + day * 86400 + 9.5 * 3600 + slot * 3600
        logged = features.featurize(timeline, features.Context(now=at))
        suggestion = log_suggestion(
            store, at, propensity=0.5, features=features.features_to_json(logged)
        )
        store.record_feedback(suggestion, outcome, at + 30)
    store.close()


def finetune(data_dir, *extra: str) -> int:
    from training import cli

    return cli.main(["finetune", "--data-dir", str(data_dir), "--epochs", "2", *extra])


def installed(data_dir) -> list[str]:
    return [m.version for m in Registry(data_dir / "models").manifests()]


def test_a_model_that_predicts_the_newest_answers_worse_is_not_installed(tmp_path, capsys):
    # Breaks were welcome all week; the newest answers all say no. A fine-tune learns the
    # old habit, so on the held-out newest answers it is worse than the model in use.
    data = tmp_path / "data"
    make_store(data, ["accepted"] * 30 + ["dismissed"] * 10)

    assert finetune(data) == 0

    assert installed(data) == []  # the app keeps serving the shipped model
    assert Registry(data / "models").best().manifest.version == SHIPPED
    [update] = Registry(data / "models").updates()
    assert update["installed"] is False and update["in_use_version"] == SHIPPED
    assert update["candidate"]["answers"] == 10
    assert update["candidate"]["accept_log_loss"] > update["in_use"]["accept_log_loss"]
    assert "Brier" in update["reason"] and "no better" in update["reason"]
    assert "not installed" in capsys.readouterr().out


def test_a_model_that_predicts_the_newest_answers_better_is_installed(tmp_path):
    data = tmp_path / "data"
    make_store(data, ["dismissed"] * 40)  # this person never wants a break suggestion

    assert finetune(data) == 0

    [version] = installed(data)
    assert Registry(data / "models").best().manifest.version == version
    manifest = read_manifest_dict(data / "models" / version)
    update = manifest["metrics"]["update"]
    assert update["installed"] is True and update["in_use_version"] == SHIPPED
    assert update["candidate"]["accept_log_loss"] < update["in_use"]["accept_log_loss"]
    assert update["candidate"]["accept_brier"] <= update["in_use"]["accept_brier"]
    assert manifest["training"]["replay"]["examples"] > 0
    assert [u["version"] for u in Registry(data / "models").updates()] == [version]


def test_too_little_held_out_data_keeps_the_model_in_use_unless_told(tmp_path):
    data = tmp_path / "data"
    make_store(data, ["accepted"] * 3)
    # Three answers, and the newest 0.5% of the week's activity: too few moments to compare on.
    assert finetune(data, "--held-out", "0.005") == 0
    assert installed(data) == []
    assert "too little recent data" in Registry(data / "models").updates()[-1]["reason"]

    assert finetune(data, "--held-out", "0.005", "--no-gate") == 0
    assert len(installed(data)) == 1


def top1(model, examples) -> float:
    predicted = model.predict(examples.inputs, verbose=0, batch_size=512)["next_category"]
    return float(np.mean(predicted.argmax(-1) == examples.targets["next_category"]))


def test_the_replay_sample_keeps_next_category_quality_on_the_pretraining_hold_out():
    """A week of one-sided data: top-1 on held-out synthetic people moves < 1 point with the
    replay sample the fine-tune mixes in, and more than that without it."""
    import keras

    from edge_model.keras_model import compile_model
    from training import stages
    from training.dataset import examples_from_spans, with_replay

    hold_out = stages.synthetic_examples(6, 1, stages.EVAL_SEED)  # people the model never saw
    corpus, _ = stages.replay_corpus(read_manifest_dict(SHIPPED_DIR)["training"])
    user = examples_from_spans(one_sided_week(), np.random.default_rng(0), per_hour=20.0)
    base = keras.models.load_model(SHIPPED_DIR / "model.keras", compile=False)
    before = top1(base, hold_out)
    drift = {}
    for replay in (2.0, 0.0):  # the default, and none
        stages.seed_everything(0)
        model = compile_model(
            keras.models.load_model(SHIPPED_DIR / "model.keras", compile=False), 5e-4
        )
        rng = np.random.default_rng(1)
        train, held_out = user.split(0.85, rng)
        train = with_replay(train, corpus, replay, rng)
        stages.fit(model, train, held_out, epochs=3, batch_size=64, log_dir=None)
        drift[replay] = top1(model, hold_out) - before
    assert abs(drift[2.0]) <= 0.01, drift
    assert drift[0.0] < -0.01 and abs(drift[0.0]) > abs(drift[2.0]), drift


def test_the_finetune_help_names_the_gate_and_the_replay(capsys):
    from training import cli

    with pytest.raises(SystemExit):
        cli.main(["finetune", "--help"])
    text = capsys.readouterr().out
    assert "--replay" in text and "--no-gate" in text and "--held-out" in text


def test_the_update_log_is_json_lines_the_model_page_reads(tmp_path):
    registry = Registry(tmp_path / "models")
    registry.record_update({"version": "a", "installed": False, "reason": "r"})
    registry.record_update({"version": "b", "installed": True, "reason": "s"})
    lines = (tmp_path / "models" / "updates.jsonl").read_text().splitlines()
    assert [json.loads(line)["version"] for line in lines] == ["a", "b"]
