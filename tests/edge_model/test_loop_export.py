"""The GRU's WHILE-loop export form (LoopGRU): the same outputs as the trained GRU, in Keras and
in LiteRT, with one step in the file instead of 24, so a smaller file."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from edge_model import convert  # noqa: E402
from edge_model.keras_model import ModelConfig, build_model, export_copy  # noqa: E402
from training.export import encoder_name, output_shapes, parity, tflite_outputs  # noqa: E402
from training.stages import synthetic_examples  # noqa: E402

pytestmark = pytest.mark.tensorflow
UNROLLED = ModelConfig(encoder="gru", hidden=24)
LOOP = dataclasses.replace(UNROLLED, gru_export="loop")


def _ops(flatbuffer: bytes) -> set[str]:
    from ai_edge_litert.interpreter import Interpreter

    return {d["op_name"] for d in Interpreter(model_content=flatbuffer)._get_ops_details()}


@pytest.fixture(scope="module")
def model_and_sample():
    keras.utils.set_random_seed(5)
    model = build_model(UNROLLED)
    # Random, non-zero biases so the test sees every term of the cell.
    rng = np.random.default_rng(1)
    for weight in model.get_layer("encoder").weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
    examples = synthetic_examples(2, 1, seed=13)
    return model, {k: v[:40] for k, v in examples.inputs.items()}


def test_the_config_names_the_export_form_and_old_configs_unroll():
    assert ModelConfig.from_dict({"hidden": 48}).gru_export == "unrolled"
    assert ModelConfig.from_dict(json.loads(LOOP.to_json())).gru_export == "loop"
    with pytest.raises(ValueError):
        ModelConfig(gru_export="scan")  # type: ignore[arg-type]
    assert "WHILE loop" in encoder_name(json.loads(LOOP.to_json()))
    assert "unrolled" in encoder_name(json.loads(UNROLLED.to_json()))


def test_loop_twin_matches_the_keras_gru(model_and_sample):
    model, sample = model_and_sample
    twin = export_copy(model, LOOP)
    assert type(twin.get_layer("encoder")).__name__ == "LoopGRU"
    expected = model.predict(sample, verbose=0)
    for row in range(8):
        got = twin.predict({k: v[row : row + 1] for k, v in sample.items()}, verbose=0)
        for name in ("next_category", "switch_soon", "accept", "time_to_switch"):
            np.testing.assert_allclose(got[name][0], expected[name][row], atol=1e-5)


def test_the_loop_file_is_smaller_and_litert_agrees(model_and_sample, tmp_path):
    model, sample = model_and_sample
    sizes = {}
    for config in (UNROLLED, LOOP):
        for variant in ("float32", "dynamic"):
            flatbuffer = convert.convert(export_copy(model, config), sample, variant)
            sizes[config.gru_export, variant] = len(flatbuffer)
            if config is LOOP:
                assert "WHILE" in _ops(flatbuffer)
                path = tmp_path / f"{variant}.tflite"
                path.write_bytes(flatbuffer)
                io = convert.io_map(flatbuffer, output_shapes(config))
                report = parity(model.predict(sample, verbose=0), tflite_outputs(path, sample, io))
                if variant == "float32":
                    assert report["top1_agreement"] == 1.0
                    assert report["next_category_max_abs_diff"] < 1e-4
                else:
                    assert report["top1_agreement_tie_aware"] >= 0.95, report
    for variant in ("float32", "dynamic"):
        assert sizes["loop", variant] < 0.8 * sizes["unrolled", variant], sizes
