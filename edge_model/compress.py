"""Magnitude pruning as a Keras 3 callback (training side only).

tensorflow-model-optimization refuses Keras 3 models and does not run on JAX (STACK-NOTES), so
pruning is this backend-agnostic callback: after every batch, the smallest-magnitude weights
of each prunable kernel are zeroed, with the target sparsity ramped up polynomially (as in
Zhu & Gupta 2017, the schedule tfmot uses) and held once reached.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

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
