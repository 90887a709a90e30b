"""Distillation: the student's next-category target carries the teacher's beliefs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training import distill
from training.dataset import Examples
from training.stages import synthetic_examples


def test_temperature_flattens_or_keeps_the_teacher_and_rows_stay_distributions():
    probs = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05]], np.float32)
    np.testing.assert_allclose(distill.soften(probs, 1.0), probs, atol=1e-6)
    flat = distill.soften(probs, 3.0)
    np.testing.assert_allclose(flat.sum(-1), 1.0, atol=1e-6)
    assert (flat.max(-1) < probs.max(-1)).all()  # flatter, same favourite
    assert (flat.argmax(-1) == probs.argmax(-1)).all()
    with pytest.raises(ValueError, match="temperature"):
        distill.soften(probs, 0.0)


class ConstantTeacher:
    """Stands in for a Keras model: always believes category 3 at 0.6, the rest evenly."""

    def predict(self, inputs, verbose=0, batch_size=0):
        n = next(iter(inputs.values())).shape[0]
        rows = np.full((n, 13), 0.4 / 12, np.float32)
        rows[:, 3] = 0.6
        return {"next_category": rows}


def test_targets_mix_the_true_label_with_the_teacher():
    examples: Examples = synthetic_examples(1, 1, seed=2)
    labels = examples.targets["next_category"].reshape(-1)
    mixed = distill.teacher_targets(ConstantTeacher(), examples, 0.5, 1.0)
    target = mixed.targets["next_category"]
    assert target.shape == (len(examples), 13)
    np.testing.assert_allclose(target.sum(-1), 1.0, atol=1e-5)
    rows = np.arange(len(examples))
    not_three = labels != 3
    true_p = target[rows[not_three], labels[not_three]]
    np.testing.assert_allclose(true_p, 0.5 + 0.2 / 12, atol=1e-5)
    np.testing.assert_allclose(target[not_three, 3], 0.3, atol=1e-5)
    # The other heads keep their own labels; alpha 1 is plain training.
    assert mixed.targets["switch_soon"] is examples.targets["switch_soon"]
    hard = distill.teacher_targets(ConstantTeacher(), examples, 1.0, 1.0)
    np.testing.assert_array_equal(hard.targets["next_category"].argmax(-1), labels)


pytest.importorskip("tensorflow", reason="needs the train extra")


@pytest.mark.tensorflow
def test_pretrain_distills_from_a_teacher_and_records_it(tmp_path, capsys):
    from edge_model.registry import SHIPPED_DIR
    from training.cli import main as train_main

    out = tmp_path / "student"
    args = ["pretrain", "--out", str(out), "--personas", "3", "--weeks", "1", "--epochs", "1"]
    args += ["--real-data", "none"]
    assert train_main([*args, "--hidden", "16", "--teacher", str(SHIPPED_DIR)]) == 0
    training = json.loads((out / "manifest.json").read_text())["training"]
    assert training["teacher"] == {"model": str(SHIPPED_DIR), "alpha": 0.5, "temperature": 2.0}
    assert training["real_data"] is None  # synthetic people only, as asked
    assert "distilling from" in capsys.readouterr().out
    assert train_main([*args, "--teacher", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "no model.keras to distill from" in err and err.count("\n") == 1
