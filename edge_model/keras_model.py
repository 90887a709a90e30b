"""The Keras 3 architecture (training side only: imports Keras, never loaded by the desktop app).

Keras 3, not tf-keras: the same definition trains on TensorFlow on a CPU workstation and on
JAX on a GPU machine, and its weights convert to TFLite on TensorFlow (STACK-NOTES). Pruning
is therefore a Keras 3 callback (edge_model.compress), not tfmot.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import keras

from edge_model import features
from edge_model.categories import CATEGORIES


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters; saved beside the weights so a model can always be rebuilt.

    The heads compute in float32 even under a mixed-precision policy (GPU training), so their
    softmax/sigmoid stay stable.
    """

    seq_len: int = features.SEQ_LEN
    app_buckets: int = features.APP_BUCKETS
    categories: int = len(CATEGORIES)
    span_features: int = features.SPAN_FEATURES
    context_features: int = features.CONTEXT_FEATURES
    kinds: int = len(features.SUGGESTION_KINDS)
    category_dim: int = 8
    app_dim: int = 16
    hidden: int = 48
    context_hidden: int = 24
    state_dim: int = 32
    dropout: float = 0.1

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@keras.saving.register_keras_serializable(package="time_sculptor")
def masked_binary_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy that ignores targets < 0 (kinds with no label for this example)."""
    ops = keras.ops
    mask = ops.cast(ops.greater_equal(y_true, 0.0), "float32")
    target = ops.clip(y_true, 0.0, 1.0)
    pred = ops.clip(y_pred, 1e-6, 1.0 - 1e-6)
    loss = -(target * ops.log(pred) + (1.0 - target) * ops.log(1.0 - pred))
    return ops.sum(loss * mask, axis=-1) / ops.maximum(ops.sum(mask, axis=-1), 1.0)


def build_model(
    config: ModelConfig = ModelConfig(),
    batch_size: int | None = None,
    unroll: bool = False,
    with_state: bool = False,
) -> keras.Model:
    """Return the model; `batch_size=1, unroll=True, with_state=True` is the exported shape.

    Training leaves the state output out (it has no loss); the weights are the same either way.
    """
    layers = keras.layers
    category_ids = keras.Input(
        (config.seq_len,), batch_size=batch_size, dtype="int32", name="category_ids"
    )
    app_ids = keras.Input((config.seq_len,), batch_size=batch_size, dtype="int32", name="app_ids")
    span_features = keras.Input(
        (config.seq_len, config.span_features), batch_size=batch_size, name="span_features"
    )
    context = keras.Input((config.context_features,), batch_size=batch_size, name="context")

    steps = layers.Concatenate(name="step_concat")(
        [
            layers.Embedding(config.categories, config.category_dim, name="category_embedding")(
                category_ids
            ),
            layers.Embedding(config.app_buckets, config.app_dim, name="app_embedding")(app_ids),
            span_features,
        ]
    )
    sequence = layers.GRU(config.hidden, unroll=unroll, name="encoder")(steps)
    present = layers.Dense(config.context_hidden, activation="relu", name="context_dense")(context)
    joined = layers.Concatenate(name="joined")([sequence, present])
    joined = layers.Dropout(config.dropout, name="dropout")(joined)
    state = layers.Dense(config.state_dim, activation="tanh", name="state")(joined)
    next_category = layers.Dense(
        config.categories, activation="softmax", name="next_category", dtype="float32"
    )(state)
    switch_soon = layers.Dense(1, activation="sigmoid", name="switch_soon", dtype="float32")(state)
    accept_in = layers.Concatenate(name="accept_in")([state, context])
    accept_hidden = layers.Dense(16, activation="relu", name="accept_hidden")(accept_in)
    accept = layers.Dense(config.kinds, activation="sigmoid", name="accept", dtype="float32")(
        accept_hidden
    )
    return keras.Model(
        inputs={
            "category_ids": category_ids,
            "app_ids": app_ids,
            "span_features": span_features,
            "context": context,
        },
        outputs={"next_category": next_category, "switch_soon": switch_soon, "accept": accept}
        | ({"state": state} if with_state else {}),
        name="time_perception",
    )


def compile_model(model: keras.Model, learning_rate: float = 2e-3) -> keras.Model:
    """Compile with one loss per head (the state output is not trained directly)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss={
            "next_category": "sparse_categorical_crossentropy",
            "switch_soon": "binary_crossentropy",
            "accept": masked_binary_crossentropy,
        },
        loss_weights={"next_category": 1.0, "switch_soon": 0.5, "accept": 1.0},
        metrics={"next_category": ["sparse_categorical_accuracy"]},
    )
    return model


def export_copy(model: keras.Model, config: ModelConfig) -> keras.Model:
    """Return a batch-1, unrolled copy with the same weights (the convertible shape)."""
    twin = build_model(config, batch_size=1, unroll=True, with_state=True)
    twin.set_weights(model.get_weights())
    return twin
