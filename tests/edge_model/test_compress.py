"""Magnitude pruning (Keras 3 callback) reaches its target and keeps the model useful;
structured pruning removes whole units, keeps the outputs where it must, and shrinks the file."""

import os

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from edge_model import convert  # noqa: E402
from edge_model.compress import (  # noqa: E402
    STATE_READERS,
    MagnitudePruning,
    prunable_weights,
    prune_units,
    pruning_record,
    sparsity,
    unit_importance,
    unit_targets,
)
from edge_model.keras_model import ModelConfig, build_model, export_copy  # noqa: E402

pytestmark = pytest.mark.tensorflow


def test_pruning_reaches_the_target_sparsity_and_still_learns():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 16)).astype("float32")
    y = (x[:, :4].sum(-1) > 0).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    callback = MagnitudePruning(0.7, begin_step=0, end_step=80, frequency=5)
    history = model.fit(x, y, epochs=12, batch_size=64, verbose=0, callbacks=[callback])
    assert sparsity(prunable_weights(model)) == pytest.approx(0.7, abs=0.02)
    assert all(not w.path.endswith("bias") for w in prunable_weights(model))
    assert history.history["accuracy"][-1] > 0.85  # a 70%-sparse net still solves it


def test_schedule_ramps_and_holds():
    callback = MagnitudePruning(0.5, begin_step=10, end_step=110)
    seen = []
    for step in (0, 10, 60, 110, 500):
        callback.step = step
        seen.append(callback.current_target())
    assert seen[0] == 0.0 and seen[1] == 0.0
    assert 0.0 < seen[2] < 0.5 and seen[3] == seen[4] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        MagnitudePruning(1.0)


TINY = ModelConfig(hidden=10, context_hidden=6, state_dim=7, category_dim=4, app_dim=5)
SMALLER = {"hidden": 6, "context_hidden": 4, "state_dim": 5, "category_dim": 3, "app_dim": 3}


def _inputs(rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "category_ids": rng.integers(0, TINY.categories, (rows, TINY.seq_len)).astype("int32"),
        "app_ids": rng.integers(0, TINY.app_buckets, (rows, TINY.seq_len)).astype("int32"),
        "span_features": rng.random((rows, TINY.seq_len, TINY.span_features)).astype("float32"),
        "context": rng.random((rows, TINY.context_features)).astype("float32"),
    }


def _random_model(seed: int = 0) -> keras.Model:
    """A tiny model with random, non-zero weights everywhere (biases too)."""
    keras.utils.set_random_seed(seed)
    model = build_model(TINY)
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.4, weight.shape).astype("float32"))
    return model


def _silence(model: keras.Model, dropped: dict[str, list[int]]) -> None:
    """Zero the outgoing weights of the `dropped` units: the outputs no longer depend on them."""

    def zero_rows(layer: str, index: int, rows: list[int]) -> None:
        weights = model.get_layer(layer).get_weights()
        weights[index][rows] = 0.0
        model.get_layer(layer).set_weights(weights)

    hidden, context, state = dropped["hidden"], dropped["context_hidden"], dropped["state_dim"]
    zero_rows("encoder", 1, hidden)  # recurrent kernel rows: what unit j feeds every gate
    zero_rows("state", 0, hidden + [TINY.hidden + j for j in context])
    for reader in STATE_READERS:
        zero_rows(reader, 0, state)
    zero_rows(
        "encoder", 0, dropped["category_dim"] + [TINY.category_dim + j for j in dropped["app_dim"]]
    )


DROPPED = {
    "hidden": [0, 3, 7, 9],
    "context_hidden": [1, 5],
    "state_dim": [2, 6],
    "category_dim": [0],
    "app_dim": [1, 2],
}


def test_unit_targets_remove_a_fraction_of_each_group():
    assert unit_targets(ModelConfig(), 1 / 3, ["hidden"]) == {"hidden": 32}
    assert unit_targets(ModelConfig(), 0.5, ["hidden", "app_dim"]) == {"hidden": 24, "app_dim": 8}
    with pytest.raises(ValueError):
        unit_targets(ModelConfig(), 0.5, ["heads"])
    with pytest.raises(ValueError):
        unit_targets(ModelConfig(), 1.0, ["hidden"])


@pytest.mark.parametrize("with_inputs", [False, True])
def test_pruning_silent_units_keeps_the_outputs_and_reaches_the_targets(with_inputs):
    model = _random_model()
    _silence(model, DROPPED)
    sample = _inputs(32)
    importance = unit_importance(model, TINY, sample if with_inputs else None)
    for group, units in DROPPED.items():
        assert np.all(importance[group][units] == 0.0), group
        alive = np.setdiff1d(np.arange(getattr(TINY, group)), units)
        assert np.all(importance[group][alive] > 0.0), group

    small, pruned = prune_units(model, TINY, SMALLER, sample if with_inputs else None)
    for group, units in SMALLER.items():
        assert getattr(small, group) == units
    assert pruned.get_layer("encoder").get_weights()[1].shape == (6, 18)
    assert pruned.count_params() < model.count_params()
    expected = model.predict(sample, verbose=0)
    got = pruned.predict(sample, verbose=0)
    for name in ("next_category", "switch_soon", "accept", "time_to_switch"):
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5, err_msg=name)


def test_pruning_live_units_changes_little_and_is_recorded():
    model = _random_model(seed=1)
    sample = _inputs(64, seed=1)
    small, pruned = prune_units(model, TINY, {"hidden": 8}, sample)
    assert small.hidden == 8 and small.state_dim == TINY.state_dim
    probs = pruned.predict(sample, verbose=0)["next_category"]
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    record = pruning_record(TINY, small, 0.2, 3)
    assert record["units"] == {"hidden": {"before": 10, "after": 8}}
    assert record["fine_tune_epochs"] == 3
    with pytest.raises(ValueError):
        prune_units(model, TINY, {"hidden": 11})
    with pytest.raises(ValueError):
        prune_units(
            build_model(ModelConfig(encoder="conv", hidden=8)),
            ModelConfig(encoder="conv", hidden=8),
            {"hidden": 4},
        )


def test_the_pruned_model_file_is_smaller():
    model = _random_model(seed=2)
    sample = _inputs(64, seed=2)
    small, pruned = prune_units(model, TINY, SMALLER, sample)
    sizes = [
        len(convert.convert(export_copy(m, c), sample, "dynamic"))
        for m, c in ((model, TINY), (pruned, small))
    ]
    assert sizes[1] < sizes[0], sizes
