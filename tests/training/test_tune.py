"""`sculptor-train tune`: a tiny budgeted search finishes trials and writes the best config."""

from __future__ import annotations

import json

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
    argv = tune.pretrain_arguments(best, args, "out")
    parsed = build_parser().parse_args(argv)
    config = config_from_args(parsed)
    assert (config.encoder, config.hidden, config.heads, config.blocks) == ("transformer", 32, 2, 2)
    assert parsed.learning_rate == 0.001 and parsed.epochs == 4
