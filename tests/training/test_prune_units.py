"""`sculptor-train pretrain --prune-units`: a structurally pruned, WHILE-loop GRU model is
written, verified, recorded in its manifest, and served by the app's runtime."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from edge_model import compress  # noqa: E402
from edge_model.features import SPEC_VERSION  # noqa: E402
from edge_model.keras_model import ModelConfig  # noqa: E402
from edge_model.manifest import verify  # noqa: E402
from edge_model.runtime import ModelRuntime  # noqa: E402
from training import stages  # noqa: E402
from training.bench import run_bench  # noqa: E402
from training.cli import main as train_main  # noqa: E402
from training.stages import synthetic_examples  # noqa: E402

pytestmark = pytest.mark.tensorflow


def test_the_cli_lists_the_groups_compress_can_shrink():
    assert stages.UNIT_GROUPS == compress.UNIT_GROUPS


def test_pretrain_prunes_units_fine_tunes_and_records_it(tmp_path, capsys):
    out = tmp_path / "model"
    args = ["pretrain", "--out", str(out), "--personas", "3", "--weeks", "1", "--epochs", "1"]
    args += ["--seed", "4", "--real-data", "none", "--gru-export", "loop"]
    args += ["--prune-units", "0.5", "--prune-groups", "hidden", "app_dim"]
    assert train_main(args + ["--prune-fine-tune-epochs", "1"]) == 0
    manifest = verify(out, SPEC_VERSION)
    config = json.loads((out / "config.json").read_text())
    assert (config["hidden"], config["app_dim"], config["gru_export"]) == (24, 8, "loop")
    pruning = manifest.compression["pruning"]
    assert pruning["units"] == {
        "hidden": {"before": 48, "after": 24},
        "app_dim": {"before": 16, "after": 8},
    }
    assert pruning["params"]["after"] < pruning["params"]["before"]
    assert set(pruning["held_out_top1"]) == {"full", "pruned", "fine_tuned"}
    assert "pruned hidden 48->24, app_dim 16->8" in capsys.readouterr().out
    card = (out / "MODEL_CARD.md").read_text()
    assert "WHILE loop" in card
    assert (
        "**Pruning:** structured, whole units removed (encoder units 48 -> 24, app embedding"
        in card
    )
    # The app's runtime loads and serves the WHILE-loop file.
    moment = synthetic_examples(2, 1, seed=31).take(np.arange(1))
    prediction = ModelRuntime(out).predict(moment.inputs)
    assert prediction.time_to_switch_minutes is not None
    # The bench measures the same weights in either export form; the loop file is the smaller.
    sample = synthetic_examples(2, 1, seed=32).take(np.arange(30))
    figures = {
        form: run_bench(
            out,
            sample.inputs,
            sample.targets["next_category"],
            sample.inputs,
            runs=5,
            keras_runs=2,
            gru_export=form,
        )
        for form in ("loop", "unrolled")
    }
    assert figures["unrolled"]["model_config"]["gru_export"] == "unrolled"
    loop, unrolled = (figures[f]["variants"]["tflite_dynamic"] for f in ("loop", "unrolled"))
    assert loop["size_bytes"] < unrolled["size_bytes"]
    assert loop["top1"] == pytest.approx(unrolled["top1"], abs=0.04)


def test_a_bad_pruning_request_fails_before_training(tmp_path):
    spec = stages.PretrainSpec(
        out=tmp_path / "m",
        personas=2,
        weeks=1,
        epochs=1,
        prune_units=0.5,
        prune_groups=("heads",),
    )
    with pytest.raises(stages.StageError, match="unknown unit group"):
        stages.pretrain(spec, log=lambda line: None)
    with pytest.raises(stages.StageError, match="GRU encoder"):
        stages.pretrain(
            dataclasses.replace(
                spec, prune_groups=("hidden",), architecture=ModelConfig(encoder="conv")
            ),
            log=lambda line: None,
        )
    assert not (tmp_path / "m").exists()
