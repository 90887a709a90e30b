"""`sculptor-train tune`: a tiny budgeted search finishes trials and writes the best config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
pytest.importorskip("optuna", reason="needs the train extra")

from edge_model.keras_model import ModelConfig  # noqa: E402
from training import tune  # noqa: E402
from training.cli import build_parser, config_from_args  # noqa: E402
from training.cli import main as train_main  # noqa: E402

pytestmark = pytest.mark.tensorflow


def test_tiny_budget_run_writes_trials_and_the_best_config(tmp_path, capsys):
    out = tmp_path / "tune.json"
    argv = ["tune", "--budget-minutes", "3", "--trials", "2", "--json", str(out)]
    argv += ["--personas", "2", "--weeks", "1", "--max-epochs", "1", "--seed", "1"]
    assert train_main(argv) == 0
    result = json.loads(out.read_text())
    trials = result["trials"]
    assert len(trials) >= 2
    for trial in trials:
        assert 0 < trial["top1"] <= trial["mrr"] <= 1
        assert trial["size_bytes"] > 10_000  # a measured .tflite, not a placeholder
        assert trial["objective"] == pytest.approx(
            tune.objective_value(trial["top1"], trial["size_bytes"])
        )
    best = result["best"]
    assert best["objective"] == max(t["objective"] for t in trials)
    config = ModelConfig.from_dict(best["model_config"])  # rebuildable as saved
    assert config.encoder == best["params"]["encoder"]
    assert config.hidden == best["params"]["hidden"]
    assert set(result["pareto_front"]) <= {t["number"] for t in trials}
    assert best["number"] in result["pareto_front"]  # the scalar optimum is never dominated
    assert "best #" in capsys.readouterr().out


def test_pareto_front_keeps_only_undominated_trials():
    def trial(number, top1, size):
        return {"number": number, "state": "COMPLETE", "top1": top1, "size_bytes": size}

    trials = [trial(0, 0.40, 100_000), trial(1, 0.38, 60_000), trial(2, 0.37, 90_000)]
    trials.append(trial(3, 0.40, 120_000))
    assert tune.pareto_front(trials) == [0, 1]


def test_pretrain_arguments_carry_the_best_architecture():
    best = {
        "params": {
            "encoder": "transformer",
            "hidden": 32,
            "heads": 2,
            "blocks": 2,
            "learning_rate": 0.001,
            "dropout": 0.05,
            "epochs": 4,
        }
    }
    args = build_parser().parse_args(["tune", "--budget-minutes", "1", "--json", "x.json"])
    spec = tune.pretrain_spec(best, args, Path("out"))
    config = spec.architecture
    assert (config.encoder, config.hidden, config.heads, config.blocks) == ("transformer", 32, 2, 2)
    assert spec.learning_rate == 0.001 and spec.epochs == 4 and spec.out == Path("out")
    # The recorded command line trains the same configuration through the CLI.
    argv = tune.pretrain_command(spec).split()[1:]
    parsed = build_parser().parse_args(argv)
    assert config_from_args(parsed) == config
    assert parsed.learning_rate == 0.001 and parsed.epochs == 4


def test_a_trial_below_the_median_at_an_epoch_is_pruned():
    import optuna

    study = tune.create_study(seed=0)
    assert isinstance(study.pruner, optuna.pruners.MedianPruner)
    # Five trials (the pruner's start-up) reach top-1 0.40 after epoch 1 and 0.45 after epoch
    # 2; then one falls behind at epoch 2, and one keeps up.
    curves = [[0.40, 0.45]] * 5 + [[0.40, 0.20, 0.50], [0.41, 0.46, 0.47]]
    epochs_run: list[int] = []

    def objective(trial):
        curve = iter(curves[trial.number])
        callback = tune.pruning_callback(trial, lambda _model: next(curve))
        epochs = len(curves[trial.number])
        run = 0
        try:
            for epoch in range(epochs):
                run += 1
                callback.on_epoch_end(epoch)
        finally:
            epochs_run.append(run)
        return curves[trial.number][-1]

    study.optimize(objective, n_trials=len(curves))
    states = [t.state for t in study.trials]
    assert states[:5] == [optuna.trial.TrialState.COMPLETE] * 5
    assert states[5] == optuna.trial.TrialState.PRUNED and epochs_run[5] == 2
    assert states[6] == optuna.trial.TrialState.COMPLETE and epochs_run[6] == 3
