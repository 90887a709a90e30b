"""Pruning, training side only: magnitude pruning (a Keras 3 callback) and structured pruning.

tensorflow-model-optimization refuses Keras 3 models and does not run on JAX (STACK-NOTES), so
magnitude pruning is this backend-agnostic callback: after every batch, the smallest-magnitude
weights of each prunable kernel are zeroed, with the target sparsity ramped up polynomially (as
in Zhu & Gupta 2017, the schedule tfmot uses) and held once reached. Zeroed weights stay in a
dense TFLite tensor, so it shrinks the gzip of the file, not the file.

Structured pruning (`prune_units`) removes whole units instead: GRU hidden units, context-MLP
units, state units and embedding dimensions, ranked by importance (the L2 norm of each unit's
outgoing weights, times its RMS activation when inputs are given). The smaller model is
`build_model` of a config with fewer units, holding the surviving weights (numpy surgery on
`get_weights`); it is fine-tuned and exported like any model, and its file is smaller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import keras
import numpy as np

from edge_model.keras_model import ModelConfig, build_model

PRUNABLE = ("kernel", "recurrent_kernel", "embeddings")


def prunable_weights(model: keras.Model) -> list[keras.Variable]:
    """Return the weight matrices pruning applies to (kernels and embeddings, never biases)."""
    return [
        w
        for w in model.weights
        if any(w.path.endswith(name) for name in PRUNABLE) and len(w.shape) >= 2
    ]


def sparsity(weights: Iterable[keras.Variable]) -> float:
    """Return the fraction of exactly-zero entries over the given weights."""
    total = zeros = 0
    for weight in weights:
        values = keras.ops.convert_to_numpy(weight.value)
        total += values.size
        zeros += int((values == 0).sum())
    return zeros / total if total else 0.0


class MagnitudePruning(keras.callbacks.Callback):
    """Zero the smallest weights up to `target` sparsity, ramped from begin_step to end_step."""

    def __init__(
        self,
        target: float,
        begin_step: int = 0,
        end_step: int = 1000,
        frequency: int = 10,
        power: float = 3.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= target < 1.0:
            raise ValueError(f"target sparsity must be in [0, 1), got {target}")
        self.target, self.begin, self.end = target, begin_step, max(end_step, begin_step + 1)
        self.frequency, self.power = frequency, power
        self.step = 0
        self.masks: dict[str, object] = {}

    def current_target(self) -> float:
        """Return the sparsity the schedule asks for at this step."""
        if self.step < self.begin:
            return 0.0
        progress = min(1.0, (self.step - self.begin) / (self.end - self.begin))
        return self.target * (1.0 - (1.0 - progress) ** self.power)

    def _update_masks(self) -> None:
        goal = self.current_target()
        for weight in prunable_weights(self.model):
            values = np.abs(keras.ops.convert_to_numpy(weight.value))
            count = int(round(goal * values.size))
            keep = np.ones_like(values, dtype=bool)
            if count:
                threshold = np.partition(values.ravel(), count - 1)[count - 1]
                keep = values > threshold
            self.masks[weight.path] = keras.ops.convert_to_tensor(keep, dtype=weight.dtype)

    def _apply(self) -> None:
        for weight in prunable_weights(self.model):
            mask = self.masks.get(weight.path)
            if mask is not None:
                weight.assign(weight.value * mask)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        if self.step % self.frequency == 0 or self.step == self.end:
            self._update_masks()
        self._apply()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._update_masks()
        self._apply()


# The unit groups structured pruning can shrink, as ModelConfig fields.
UNIT_GROUPS = ("hidden", "context_hidden", "state_dim", "category_dim", "app_dim")
# Dense layers that read the state vector (their kernel rows are state units).
STATE_READERS = ("next_category", "switch_soon", "accept_hidden", "time_to_switch")


def _check_group(group: str) -> None:
    if group not in UNIT_GROUPS:
        raise ValueError(f"unknown unit group {group!r} ({', '.join(UNIT_GROUPS)})")


def unit_targets(config: ModelConfig, remove: float, groups: Iterable[str]) -> dict[str, int]:
    """Return {group: units kept} that removes the fraction `remove` of each group's units."""
    if not 0.0 <= remove < 1.0:
        raise ValueError(f"the fraction of units to remove must be in [0, 1), got {remove}")
    targets = {}
    for group in groups:
        _check_group(group)
        units = getattr(config, group)
        targets[group] = max(1, int(round(units * (1.0 - remove))))
    return targets


def _weights(model: keras.Model, name: str) -> list[np.ndarray]:
    return [np.asarray(w) for w in model.get_layer(name).get_weights()]


def _rms(values: np.ndarray) -> np.ndarray:
    """Root mean square per last-axis unit over every other axis."""
    return np.sqrt(np.mean(np.square(values.reshape(-1, values.shape[-1])), axis=0))


def _activation_rms(model: keras.Model, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return each pruned layer's RMS output per unit over `inputs`."""
    names = ("category_embedding", "app_embedding", "encoder", "context_dense", "state")
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names])
    outputs = probe.predict(dict(inputs), verbose=0, batch_size=256)
    return {name: _rms(np.asarray(out)) for name, out in zip(names, outputs, strict=True)}


def unit_importance(
    model: keras.Model, config: ModelConfig, inputs: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Return {group: importance per unit}: outgoing-weight L2 norm (x RMS activation).

    A unit whose outgoing weights are all zero has importance 0 whatever its activation: the
    model's outputs do not depend on it, so removing it changes nothing.
    """
    h, c, s = config.hidden, config.context_hidden, config.state_dim
    gru_kernel, recurrent, _ = _weights(model, "encoder")
    state_kernel = _weights(model, "state")[0]
    state_out = np.concatenate(
        [_weights(model, n)[0][:s] for n in STATE_READERS if _has(model, n)], 1
    )
    outgoing = {
        "hidden": np.concatenate([recurrent, state_kernel[:h]], axis=1),
        "context_hidden": state_kernel[h : h + c],
        "state_dim": state_out,
        "category_dim": gru_kernel[: config.category_dim],
        "app_dim": gru_kernel[config.category_dim : config.category_dim + config.app_dim],
    }
    norms = {group: np.linalg.norm(rows, axis=1) for group, rows in outgoing.items()}
    if inputs is None:
        # Without data, an embedding dimension's scale is its column's RMS over the vocabulary.
        norms["category_dim"] *= _rms(_weights(model, "category_embedding")[0])
        norms["app_dim"] *= _rms(_weights(model, "app_embedding")[0])
        return norms
    scale = _activation_rms(model, inputs)
    for group, layer in (
        ("hidden", "encoder"),
        ("context_hidden", "context_dense"),
        ("state_dim", "state"),
        ("category_dim", "category_embedding"),
        ("app_dim", "app_embedding"),
    ):
        norms[group] = norms[group] * scale[layer]
    return norms


def _has(model: keras.Model, name: str) -> bool:
    return any(layer.name == name for layer in model.layers)


def _keep(importance: np.ndarray, count: int) -> np.ndarray:
    """Return the sorted indices of the `count` most important units (ties: lower index)."""
    order = np.argsort(-importance, kind="stable")
    return np.sort(order[:count])


def prune_units(
    model: keras.Model,
    config: ModelConfig,
    targets: Mapping[str, int],
    inputs: Mapping[str, np.ndarray] | None = None,
) -> tuple[ModelConfig, keras.Model]:
    """Return (smaller config, smaller model holding the kept weights) of a trained model.

    `targets` maps unit groups (UNIT_GROUPS) to the units to keep; groups not named keep all.
    With `inputs` (a sample of training moments), importance weighs each unit's outgoing
    weights by its RMS activation on them. The GRU encoder only: the other encoders' units
    are laid out differently. The returned model is not compiled.
    """
    if config.encoder != "gru":
        raise ValueError(f"structured pruning needs the GRU encoder, not {config.encoder!r}")
    for group, count in targets.items():
        _check_group(group)
        if not 1 <= count <= getattr(config, group):
            raise ValueError(f"{group}: cannot keep {count} of {getattr(config, group)} units")
    importance = unit_importance(model, config, inputs)
    keep = {
        group: _keep(importance[group], targets.get(group, getattr(config, group)))
        for group in UNIT_GROUPS
    }
    sizes: dict[str, Any] = {group: len(kept) for group, kept in keep.items()}
    small = dataclasses.replace(config, **sizes)
    pruned = build_model(small)
    h, s = config.hidden, config.state_dim
    kh, kc, ks = keep["hidden"], keep["context_hidden"], keep["state_dim"]
    gates = np.concatenate([g * h + kh for g in range(3)])  # z, r, h column blocks
    kernel, recurrent, bias = _weights(model, "encoder")
    # The GRU's input rows: category embedding, app embedding, then the span features (all kept).
    span_rows = np.arange(config.category_dim + config.app_dim, kernel.shape[0])
    gru_rows = np.concatenate(
        [keep["category_dim"], config.category_dim + keep["app_dim"], span_rows]
    )
    state_kernel, state_bias = _weights(model, "state")
    new: dict[str, list[Any]] = {
        "category_embedding": [_weights(model, "category_embedding")[0][:, keep["category_dim"]]],
        "app_embedding": [_weights(model, "app_embedding")[0][:, keep["app_dim"]]],
        "encoder": [kernel[gru_rows][:, gates], recurrent[kh][:, gates], bias[:, gates]],
        "context_dense": [w[..., kc] for w in _weights(model, "context_dense")],
        "state": [state_kernel[np.concatenate([kh, h + kc])][:, ks], state_bias[ks]],
    }
    for name in STATE_READERS:
        if _has(model, name):
            reader_kernel, reader_bias = _weights(model, name)
            rows = np.concatenate([ks, np.arange(s, reader_kernel.shape[0])])  # state, then rest
            new[name] = [reader_kernel[rows], reader_bias]
    for layer in pruned.layers:
        weights = new.get(layer.name)
        if weights is None:
            weights = model.get_layer(layer.name).get_weights()
        layer.set_weights(weights)
    return small, pruned


def pruning_record(
    before: ModelConfig, after: ModelConfig, remove: float, fine_tune_epochs: int
) -> dict[str, Any]:
    """Return the manifest's `compression.pruning` for a structurally pruned model."""
    return {
        "method": "structured: whole units removed, ranked by outgoing-weight L2 norm x RMS "
        "activation on training moments, then fine-tuned",
        "remove_fraction": remove,
        "fine_tune_epochs": fine_tune_epochs,
        "units": {
            group: {"before": getattr(before, group), "after": getattr(after, group)}
            for group in UNIT_GROUPS
            if getattr(before, group) != getattr(after, group)
        },
    }
