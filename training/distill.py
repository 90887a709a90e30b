"""Knowledge distillation: an edge student learns next-category from a larger teacher's beliefs.

The student's next-category target becomes a mixture of the true label and the teacher's
probabilities (softened by a temperature), so it learns which categories are *almost* as likely
as the true one — information a one-hot label throws away. The other heads keep their labels.
Validation stays on the true labels (one-hot), so early stopping and every reported metric
measure the student against what really happened, not against the teacher.
`sculptor-train pretrain --teacher DIR` uses it; the README's quality-per-KB table says whether
it wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edge_model.categories import CATEGORIES
from training.dataset import Examples

KERAS_NAME = "model.keras"


def soften(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Return probabilities re-tempered: p^(1/T), renormalized (T > 1 flattens, T < 1 sharpens)."""
    if temperature <= 0:
        raise ValueError(f"temperature {temperature} must be positive")
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    out = np.exp(logits)
    return (out / out.sum(axis=-1, keepdims=True)).astype(np.float32)


def one_hot(labels: np.ndarray) -> np.ndarray:
    out = np.zeros((labels.shape[0], len(CATEGORIES)), np.float32)
    out[np.arange(labels.shape[0]), labels.astype(np.int64).reshape(-1)] = 1.0
    return out


def with_targets(examples: Examples, next_category: np.ndarray) -> Examples:
    """Return the same examples with another next-category target (the rest shared)."""
    return Examples(
        examples.inputs, {**examples.targets, "next_category": next_category}, examples.weights
    )


def teacher_targets(
    teacher: Any, train: Examples, alpha: float, temperature: float, batch_size: int = 1024
) -> Examples:
    """Return `train` with next-category = alpha * one-hot + (1 - alpha) * softened teacher."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha {alpha} is not in [0, 1]")
    probs = teacher.predict(train.inputs, verbose=0, batch_size=batch_size)["next_category"]
    soft = soften(np.asarray(probs, np.float32), temperature)
    mixed = alpha * one_hot(train.targets["next_category"]) + (1.0 - alpha) * soft
    return with_targets(train, mixed.astype(np.float32))


def load_teacher(model_dir: Path) -> Any:
    """Load a teacher's Keras model; one-line error when the directory has none."""
    import keras

    path = Path(model_dir) / KERAS_NAME
    if not path.is_file():
        raise ValueError(f"{model_dir}: no {KERAS_NAME} to distill from")
    return keras.models.load_model(path, compile=False)
