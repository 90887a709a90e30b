"""Magnitude pruning (Keras 3 callback) reaches its target and keeps the model useful."""

import os

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from edge_model.compress import MagnitudePruning, prunable_weights, sparsity  # noqa: E402

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
