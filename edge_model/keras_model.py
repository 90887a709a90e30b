"""The Keras 3 architecture (training side only: imports Keras, never loaded by the desktop app).

Keras 3, not tf-keras: the same definition trains on TensorFlow on a CPU workstation and on
JAX on a GPU machine, and its weights convert to TFLite on TensorFlow (STACK-NOTES). Pruning
is therefore a Keras 3 callback (edge_model.compress), not tfmot.

Three encoders over the span sequence, chosen by `ModelConfig.encoder` (compared
by measured quality per KB and per microsecond): a GRU (unrolled, or one step in a WHILE loop,
for export), a tiny pre-LayerNorm Transformer (`SpanTransformer`) and a causal dilated
convolution stack (`SpanConv`). Everything after the encoder is shared. The GRU ships
(README: measured).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

import keras

from edge_model import features
from edge_model.categories import CATEGORIES

ENCODERS = ("gru", "transformer", "conv")
GRU_EXPORTS = ("unrolled", "loop")


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
    # "gru" (hidden = units), "transformer" (hidden = model width d, split over `heads`) or
    # "conv" (hidden = channels of a causal dilated convolution stack, see SpanConv).
    encoder: Literal["gru", "transformer", "conv"] = "gru"
    heads: int = 4
    blocks: int = 1
    ff_multiplier: int = 2
    # The time_to_switch head (log minutes until the current activity ends). False for configs
    # saved before it existed (see from_dict), so their weights still fit the rebuilt model.
    time_head: bool = True
    # How the GRU is exported (same weights, same math): "unrolled" (UnrolledGRU, 24 steps in
    # the graph) or "loop" (LoopGRU, one step inside a WHILE loop: a much smaller file, about
    # twice the latency; its full-int8 variants miss the parity gate, so dynamic-range ships).
    gru_export: Literal["unrolled", "loop"] = "unrolled"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild a saved config; fields added since keep the old behaviour (GRU, no time head)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known.setdefault("time_head", False)
        return cls(**known)

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r} ({', '.join(ENCODERS)})")
        if self.gru_export not in GRU_EXPORTS:
            raise ValueError(f"unknown GRU export {self.gru_export!r} ({', '.join(GRU_EXPORTS)})")
        if self.encoder == "transformer" and self.hidden % self.heads:
            raise ValueError(f"transformer width {self.hidden} is not divisible by {self.heads}")


# Added to the attention scores of padding positions. Not -1e9: in full-int8 models the score
# tensor shares one quantization scale, and a huge offset would leave no resolution for the real
# scores. exp(-10) per padding key leaks at most 23 * 4.5e-5 = 0.1% of the attention.
MASK_PENALTY = 10.0
REAL_SPAN_COLUMN = 5  # edge_model.features: span_features[..., 5] is 1 for a span, 0 for padding


@keras.saving.register_keras_serializable(package="time_sculptor")
class UnrolledGRU(keras.layers.Layer):
    """The export form of `keras.layers.GRU(units)` (reset_after=True): same weights, same math.

    Keras' own `unroll=True` converts to builtin ops but its full-int8 file was bigger than the
    float32 one (222 vs 160 KB; STACK-NOTES: weights copied per step). Here the input projection
    of all steps is one matrix product and every step multiplies the state by the one shared
    recurrent kernel, so each weight matrix is stored once (a test checks it). Measured on the
    same trained weights: int8 96 KB, float32 145 KB (was 222/160). The recurrent product has
    no bias of its own: with one, the converter fused it into each step's FULLY_CONNECTED as an
    int32 copy re-scaled per step, with per-channel scales and zero points (int8 was 157 KB).
    What is still per step is the graph itself: ~18 tensors and 12 ops, each with its
    quantization parameters, which is most of the int8 file at 48 units.
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape: Any) -> None:
        # Same names, shapes and order as keras.layers.GRU, so set_weights() carries over.
        self.kernel = self.add_weight(shape=(input_shape[-1], 3 * self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 3 * self.units), name="recurrent_kernel"
        )
        self.bias = self.add_weight(shape=(2, 3 * self.units), name="bias", initializer="zeros")
        self.built = True

    def _project(self, steps: Any) -> tuple[Any, Any]:
        """Return every step's input projection (batch, length, 3 units) and the hidden bias.

        The recurrent bias of the update and reset gates adds straight to the input's, so it
        joins the input projection's bias; only the candidate's (inside the reset product)
        stays per step, as a plain ADD of one shared constant. The per-step product then has
        no bias, which in full int8 would be re-quantized for every step (int32, per channel).
        """
        ops = keras.ops
        batch, length, width = steps.shape[0], steps.shape[1], steps.shape[2]
        rows = batch * length if batch is not None else -1
        hidden_bias = self.bias[1][2 * self.units :]
        input_bias = self.bias[0] + ops.concatenate(
            [self.bias[1][: 2 * self.units], ops.zeros((self.units,), dtype=self.bias.dtype)]
        )
        projected = ops.matmul(ops.reshape(steps, (rows, width)), self.kernel)
        projected = ops.reshape(projected + input_bias, (batch or -1, length, 3 * self.units))
        return projected, hidden_bias

    def call(self, steps: Any) -> Any:
        ops = keras.ops
        projected, hidden_bias = self._project(steps)
        gates, hidden = ops.split(projected, [2 * self.units], axis=-1)
        state = None
        for x_zr, x_h in zip(ops.unstack(gates, axis=1), ops.unstack(hidden, axis=1), strict=True):
            if state is None:  # zero initial state: the recurrent product is the bias alone
                zr, r_h = ops.sigmoid(x_zr), hidden_bias
            else:
                inner_zr, inner_h = ops.split(
                    ops.matmul(state, self.recurrent_kernel), [2 * self.units], axis=-1
                )
                zr = ops.sigmoid(x_zr + inner_zr)
                r_h = inner_h + hidden_bias
            z, reset = ops.split(zr, 2, axis=-1)
            candidate = ops.tanh(x_h + reset * r_h)
            # h = z * h + (1 - z) * candidate, in fewer ops.
            state = (1.0 - z) * candidate if state is None else candidate + z * (state - candidate)
        return state

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {"units": self.units}


@keras.saving.register_keras_serializable(package="time_sculptor")
class LoopGRU(UnrolledGRU):
    """UnrolledGRU's math with one step inside a loop (`keras.ops.fori_loop`: a TFLite WHILE).

    The unrolled graph repeats ~18 tensors and 12 ops per step, which is most of its file; here
    the step is in the file once, so the file is mostly weights. The cost: every call runs
    the WHILE op's control flow 24 times (slower per call than the unrolled graph; measured in
    docs/model-report.md, "Compression"). It converts to float32, dynamic-range and full int8;
    the export picks among the int8 variants by parity and size as for any model.
    """

    def call(self, steps: Any) -> Any:
        ops = keras.ops
        batch, length = steps.shape[0], steps.shape[1]
        projected, hidden_bias = self._project(steps)
        by_step = ops.transpose(projected, (1, 0, 2))  # (length, batch, 3 units)

        def step(t: Any, state: Any) -> Any:
            x = ops.take(by_step, t, axis=0)
            x_zr, x_h = ops.split(x, [2 * self.units], axis=-1)
            inner_zr, inner_h = ops.split(
                ops.matmul(state, self.recurrent_kernel), [2 * self.units], axis=-1
            )
            z, reset = ops.split(ops.sigmoid(x_zr + inner_zr), 2, axis=-1)
            candidate = ops.tanh(x_h + reset * (inner_h + hidden_bias))
            return candidate + z * (state - candidate)

        # A zero initial state: the first step's recurrent product is zero, as in UnrolledGRU.
        initial = ops.zeros((batch or ops.shape(steps)[0], self.units), dtype=projected.dtype)
        return ops.fori_loop(0, length, step, initial)


def _batch(x: Any) -> int:
    # A static batch (the batch-1 export) keeps reshapes constant; -1 would add SHAPE ops.
    return x.shape[0] if x.shape[0] is not None else -1


def _rowwise(layer: keras.layers.Layer, x: Any) -> Any:
    """Apply a Dense layer row-wise to (B, L, d) through a 2-D reshape.

    On (B, L, d) directly, TensorFlow's tensordot adds SHAPE/GATHER/REDUCE_PROD/PACK ops per
    layer to the `.tflite` graph; a 2-D input maps to one FULLY_CONNECTED.
    """
    batch, length = _batch(x), x.shape[1]
    flat = keras.ops.reshape(x, (batch * length if batch > 0 else -1, x.shape[2]))
    out = layer(flat)
    return keras.ops.reshape(out, (batch, length, out.shape[-1]))


@keras.saving.register_keras_serializable(package="time_sculptor")
class SpanTransformer(keras.layers.Layer):
    """A tiny pre-LayerNorm Transformer encoder over the span sequence; returns the last position.

    Inputs: step vectors (batch, T, features) and the raw span features, whose column
    REAL_SPAN_COLUMN is the featurizer's "a real span is here" flag; padding keys are masked
    out of every attention. Spans are left-padded, so the last position is always the most
    recent real span (when any): the last block computes only that query (the pooled output),
    which saves T-1 rows of work.
    Built from matmul/reshape/transpose/softmax/layer-norm only, so it converts to builtin TFLite
    ops in float32, dynamic-range and full int8 with any fixed batch size.
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        blocks: int,
        ff_dim: int,
        seq_len: int,
        dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dim, self.heads, self.blocks, self.ff_dim = dim, heads, blocks, ff_dim
        self.seq_len, self.dropout_rate = seq_len, dropout
        self.head_dim = dim // heads
        layers = keras.layers
        self.project = layers.Dense(dim, name="project")
        self.blocks_ = []
        for b in range(blocks):
            self.blocks_.append(
                {
                    "norm1": layers.LayerNormalization(epsilon=1e-5, name=f"b{b}_norm1"),
                    "query": layers.Dense(dim, name=f"b{b}_query"),
                    "key": layers.Dense(dim, name=f"b{b}_key"),
                    "value": layers.Dense(dim, name=f"b{b}_value"),
                    "out": layers.Dense(dim, name=f"b{b}_out"),
                    "norm2": layers.LayerNormalization(epsilon=1e-5, name=f"b{b}_norm2"),
                    "ff1": layers.Dense(ff_dim, activation="relu", name=f"b{b}_ff1"),
                    "ff2": layers.Dense(dim, name=f"b{b}_ff2"),
                }
            )
        self.final_norm = layers.LayerNormalization(epsilon=1e-5, name="final_norm")
        self.drop = layers.Dropout(dropout)

    def build(self, steps_shape: Any, span_features_shape: Any = None) -> None:
        self.position = self.add_weight(
            shape=(self.seq_len, self.dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="position_embedding",
        )
        self.project.build(steps_shape)
        row = (None, self.seq_len, self.dim)
        for block in self.blocks_:
            for name in ("norm1", "query", "key", "value", "out", "norm2", "ff1"):
                block[name].build(row)
            block["ff2"].build((None, self.seq_len, self.ff_dim))
        self.final_norm.build(row)
        self.built = True

    def _split(self, x: Any) -> Any:
        # (B, L, d) -> (B, heads, L, head_dim)
        x = keras.ops.reshape(x, (_batch(x), x.shape[1], self.heads, self.head_dim))
        return keras.ops.transpose(x, (0, 2, 1, 3))

    def call(self, steps: Any, span_features: Any, training: bool = False) -> Any:
        ops = keras.ops
        real = span_features[:, :, REAL_SPAN_COLUMN]
        x = _rowwise(self.project, steps) + self.position[None, :, :]
        # (B, 1, 1, T): 0 for real keys, -MASK_PENALTY for padding.
        bias = ops.reshape(
            (ops.cast(real, x.dtype) - 1.0) * MASK_PENALTY, (_batch(x), 1, 1, self.seq_len)
        )
        scale = 1.0 / float(self.head_dim) ** 0.5
        for index, block in enumerate(self.blocks_):
            last = index == self.blocks - 1
            normed = block["norm1"](x)
            queries_from = normed[:, -1:, :] if last else normed
            residual = x[:, -1:, :] if last else x
            q = self._split(_rowwise(block["query"], queries_from) * scale)
            k = self._split(_rowwise(block["key"], normed))
            v = self._split(_rowwise(block["value"], normed))
            weights = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) + bias, axis=-1)
            attended = ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3))
            attended = ops.reshape(attended, (_batch(x), residual.shape[1], self.dim))
            x = residual + self.drop(_rowwise(block["out"], attended), training=training)
            hidden = _rowwise(block["ff1"], block["norm2"](x))
            x = x + self.drop(_rowwise(block["ff2"], hidden), training=training)
        return ops.reshape(self.final_norm(x), (_batch(x), self.dim))

    def compute_output_shape(self, steps_shape: Any, span_features_shape: Any = None) -> tuple:
        return (steps_shape[0], self.dim)

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {
            "dim": self.dim,
            "heads": self.heads,
            "blocks": self.blocks,
            "ff_dim": self.ff_dim,
            "seq_len": self.seq_len,
            "dropout": self.dropout_rate,
        }


@keras.saving.register_keras_serializable(package="time_sculptor")
class SpanConv(keras.layers.Layer):
    """A causal dilated convolution stack over the span sequence; returns the last position.

    Each layer sees, at every position t, the rows t, t-d and t-2d (zeros before the first
    span) through one Dense with ReLU, added to its input; d doubles per layer (1, 2, 4, ...)
    until the receptive field covers the whole sequence (4 layers for 24 spans). Padding rows
    (REAL_SPAN_COLUMN is 0; spans are left-padded) are zeroed before every layer, so what is in
    them never reaches the output. The last layer computes only the last position.

    Why it exists: the GRU's export is 24 unrolled steps whose graph (~440 tensors,
    each with int8 quantization parameters) outweighs its weights, so its full-int8 file cannot
    get near a quarter of its float32 one. This stack is a fixed ~70 ops whatever the sequence
    length, made of the ops full int8 handles best (PAD, CONCATENATION, FULLY_CONNECTED, ADD).
    """

    KERNEL = 3  # taps per layer: t, t-d, t-2d

    def __init__(self, dim: int, seq_len: int, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim, self.seq_len, self.dropout_rate = dim, seq_len, dropout
        self.dilations: list[int] = []
        reach = 1
        while reach < seq_len:
            self.dilations.append(2 ** len(self.dilations))
            reach += (self.KERNEL - 1) * self.dilations[-1]
        layers = keras.layers
        self.project = layers.Dense(dim, name="project")
        self.convs = [
            layers.Dense(dim, activation="relu", name=f"conv{i}")
            for i in range(len(self.dilations))
        ]
        self.drop = layers.Dropout(dropout)

    def build(self, steps_shape: Any, span_features_shape: Any = None) -> None:
        self.project.build(steps_shape)
        for conv in self.convs:
            conv.build((None, self.seq_len, self.KERNEL * self.dim))
        self.built = True

    @staticmethod
    def _shifted(x: Any, shift: int) -> Any:
        """Row t of the result is row t - shift of x (zeros before the first row)."""
        if shift == 0:
            return x
        return keras.ops.pad(x[:, : x.shape[1] - shift, :], [[0, 0], [shift, 0], [0, 0]])

    def call(self, steps: Any, span_features: Any, training: bool = False) -> Any:
        ops = keras.ops
        real = ops.expand_dims(ops.cast(span_features[:, :, REAL_SPAN_COLUMN], steps.dtype), -1)
        x = _rowwise(self.project, steps)
        length = self.seq_len
        for index, (conv, dilation) in enumerate(zip(self.convs, self.dilations, strict=True)):
            x = x * real
            if index == len(self.convs) - 1:  # only the last position is read: compute only it
                taps = [
                    x[:, length - 1 - k * dilation : length - k * dilation, :]
                    for k in range(self.KERNEL)
                    if length - 1 - k * dilation >= 0
                ]
                taps += [ops.zeros_like(taps[0])] * (self.KERNEL - len(taps))
                x = x[:, -1:, :]
            else:
                taps = [self._shifted(x, k * dilation) for k in range(self.KERNEL)]
            x = x + self.drop(_rowwise(conv, ops.concatenate(taps, axis=-1)), training=training)
        return ops.reshape(x, (_batch(x), self.dim))

    def compute_output_shape(self, steps_shape: Any, span_features_shape: Any = None) -> tuple:
        return (steps_shape[0], self.dim)

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {
            "dim": self.dim,
            "seq_len": self.seq_len,
            "dropout": self.dropout_rate,
        }


@keras.saving.register_keras_serializable(package="time_sculptor")
def masked_huber(y_true: Any, y_pred: Any) -> Any:
    """Huber loss (delta 0.2 in log-minute units) that ignores targets < 0 (unknown)."""
    ops = keras.ops
    mask = ops.cast(ops.greater_equal(y_true, 0.0), "float32")
    error = ops.abs(y_pred - ops.maximum(y_true, 0.0))
    delta = 0.2
    loss = ops.where(error <= delta, 0.5 * error * error, delta * (error - 0.5 * delta))
    return ops.sum(loss * mask, axis=-1) / ops.maximum(ops.sum(mask, axis=-1), 1.0)


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
    if config.encoder == "transformer":
        sequence = SpanTransformer(
            config.hidden,
            config.heads,
            config.blocks,
            config.ff_multiplier * config.hidden,
            config.seq_len,
            config.dropout,
            name="encoder",
        )(steps, span_features)
    elif config.encoder == "conv":
        sequence = SpanConv(config.hidden, config.seq_len, config.dropout, name="encoder")(
            steps, span_features
        )
    elif unroll:
        export_form = LoopGRU if config.gru_export == "loop" else UnrolledGRU
        sequence = export_form(config.hidden, name="encoder")(steps)
    else:
        sequence = layers.GRU(config.hidden, name="encoder")(steps)
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
    outputs = {"next_category": next_category, "switch_soon": switch_soon, "accept": accept}
    if config.time_head:
        # Linear: the target (log minutes / 5) is unbounded above; an int8-friendly output.
        outputs["time_to_switch"] = layers.Dense(1, name="time_to_switch", dtype="float32")(state)
    return keras.Model(
        inputs={
            "category_ids": category_ids,
            "app_ids": app_ids,
            "span_features": span_features,
            "context": context,
        },
        outputs=outputs | ({"state": state} if with_state else {}),
        name="time_perception",
    )


LOSSES: dict[str, Any] = {
    "next_category": "sparse_categorical_crossentropy",
    "switch_soon": "binary_crossentropy",
    "accept": masked_binary_crossentropy,
    "time_to_switch": masked_huber,
}
LOSS_WEIGHTS = {"next_category": 1.0, "switch_soon": 0.5, "accept": 1.0, "time_to_switch": 0.5}


def compile_model(
    model: keras.Model, learning_rate: float = 2e-3, soft_next_category: bool = False
) -> keras.Model:
    """Compile with one loss per head the model has (the state output is not trained directly).

    `soft_next_category`: next-category targets are probability rows (distillation), not ids.
    """
    heads = [name for name in LOSSES if name in model.output_names]
    losses = {name: LOSSES[name] for name in heads}
    accuracy = "sparse_categorical_accuracy"
    if soft_next_category:
        losses["next_category"], accuracy = "categorical_crossentropy", "categorical_accuracy"
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=losses,
        loss_weights={name: LOSS_WEIGHTS[name] for name in heads},
        metrics={"next_category": [accuracy]},
    )
    return model


def fit_targets(model: keras.Model, targets: dict[str, Any]) -> dict[str, Any]:
    """Return the targets of the heads this model has (older models lack time_to_switch)."""
    return {name: value for name, value in targets.items() if name in model.output_names}


def export_copy(model: keras.Model, config: ModelConfig) -> keras.Model:
    """Return a batch-1 (GRU: unrolled or looped) copy with the same weights (the convertible
    shape)."""
    twin = build_model(config, batch_size=1, unroll=True, with_state=True)
    twin.set_weights(model.get_weights())
    return twin
