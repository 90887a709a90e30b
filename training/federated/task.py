"""One device's part of federated training: its local examples, the model, and its weights.

Everything here is the product's own code path: examples come from `training.dataset` through
the one featurizer (`edge_model.features`), the model is `edge_model.keras_model.build_model`
compiled by `compile_model`. Federated training adds only how weights travel (Flower
`ArrayRecord`s, in `build_model`'s `get_weights()` order) and a FedProx proximal step.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402  (the backend is chosen by the environment above)
import numpy as np  # noqa: E402

from edge_model.keras_model import ModelConfig, build_model, compile_model  # noqa: E402
from training.dataset import Examples, examples_from_feedback, examples_from_spans  # noqa: E402
from training.export import head_metrics  # noqa: E402
from training.federated.sources import DataSource  # noqa: E402
from training.synthetic import days, persons, reactions  # noqa: E402

HELD_OUT_FRACTION = 0.15


def persona_examples(index: int, *, weeks: int, seed: int, per_hour: float) -> Examples:
    """Return the examples of synthetic person `index` of the corpus seeded by `seed`."""
    persona = persons.make_personas(index + 1, seed)[index]
    start = persons.CORPUS_START + datetime.timedelta(weeks=index % 52)
    spans = days.generate_timeline(persona, start, weeks * 7, seed * 1_000_003 + index)

    def label(**moment: Any) -> float:
        return reactions.break_acceptance_probability(persona, **moment)

    rng = np.random.default_rng([seed, index])
    return examples_from_spans(spans, rng, per_hour=per_hour, acceptance=label)


def history_events(source: DataSource) -> list[Any]:
    """Return the spans of an exported history (CSV or ActivityWatch), as the app would import."""
    from desktop.config import Config
    from desktop.importers import parse_file, prepare

    config = Config()
    parsed = parse_file(Path(source.value), source.kind, config, now=time.time())
    return sorted(prepare(parsed, config), key=lambda event: event.start)


def local_examples(source: DataSource, *, weeks: int, seed: int, per_hour: float) -> Examples:
    """Return one client's examples; nothing here leaves the process except through training."""
    if source.kind == "persona":
        return persona_examples(int(source.value), weeks=weeks, seed=seed, per_hour=per_hour)
    rng = np.random.default_rng(seed)
    if source.kind == "store":
        from desktop.store import Store

        store = Store(Path(source.value))
        try:
            spans = store.all_events()
            records = store.suggestions()
        finally:
            store.close()
        return Examples.concat(
            [
                examples_from_spans(spans, rng, per_hour=per_hour),
                examples_from_feedback(records, spans),
            ]
        )
    return examples_from_spans(history_events(source), rng, per_hour=per_hour)


def split(examples: Examples, seed: int) -> tuple[Examples, Examples]:
    """Return (train, held-out) for a client, the same every round for a given seed."""
    return examples.split(1.0 - HELD_OUT_FRACTION, np.random.default_rng([seed, 0xFED]))


def evaluation_examples(personas: int, seed: int, per_hour: float = 4.0) -> Examples:
    """Return the server's fixed held-out set: synthetic people no client has (their own seed)."""
    return Examples.concat(
        [persona_examples(i, weeks=1, seed=seed, per_hour=per_hour) for i in range(personas)]
    )


def new_model(learning_rate: float, config: ModelConfig | None = None) -> keras.Model:
    """Return the product's model, compiled as for pretraining."""
    return compile_model(build_model(config or ModelConfig()), learning_rate)


def get_weights(model: keras.Model) -> list[np.ndarray]:
    """Return the model's weights in `build_model` order (what travels in an ArrayRecord)."""
    return [np.asarray(w, dtype=np.float32) for w in model.get_weights()]


def parameter_bytes(weights: list[np.ndarray]) -> int:
    """Return the float32 payload of one model update, in bytes."""
    return int(sum(w.size * 4 for w in weights))


class ProximalStep(keras.callbacks.Callback):
    """FedProx: after each batch, pull the weights toward the round's global weights.

    A decoupled proximal step, w <- w - lr * mu * (w - w_global), which is the gradient step
    of mu/2 * ||w - w_global||^2 applied beside Adam's (as AdamW decouples weight decay), so
    the product's compiled loss stays untouched. Backend-agnostic: it only assigns variables.
    """

    def __init__(self, mu: float, learning_rate: float) -> None:
        super().__init__()
        self.mu = mu
        self.learning_rate = learning_rate
        self.anchor: list[np.ndarray] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.anchor = [np.asarray(v) for v in self.model.trainable_variables]

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        rate = self.learning_rate * self.mu
        for variable, anchor in zip(self.model.trainable_variables, self.anchor, strict=True):
            value = np.asarray(variable)
            variable.assign(value - rate * (value - anchor))


def train_locally(
    model: keras.Model,
    train: Examples,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    proximal_mu: float = 0.0,
) -> float:
    """Fit the model on local examples for `epochs`; return the last epoch's training loss."""
    callbacks: list[keras.callbacks.Callback] = []
    if proximal_mu > 0:
        callbacks.append(ProximalStep(proximal_mu, learning_rate))
    history = model.fit(
        train.inputs,
        train.targets,
        sample_weight=train.weights,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
        callbacks=callbacks,
    )
    return float(history.history["loss"][-1])


def quality(model: keras.Model, examples: Examples) -> dict[str, float]:
    """Return held-out quality: next-category cross-entropy and top-1, plus the other heads."""
    outputs = model.predict(examples.inputs, verbose=0, batch_size=512)
    probs = np.clip(outputs["next_category"], 1e-7, 1.0)
    label = examples.targets["next_category"]
    loss = float(-np.log(probs[np.arange(len(label)), label]).mean())
    return {"next_category_loss": loss} | head_metrics(outputs, examples.targets)
