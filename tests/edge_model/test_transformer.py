"""The encoders' export forms: the tiny Transformer and the causal convolution stack (each builds,
trains, masks padding, converts to full int8 with builtin ops) and the GRU's UnrolledGRU twin
(same outputs, no per-step copies)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from edge_model import convert  # noqa: E402
from edge_model.keras_model import (  # noqa: E402
    ModelConfig,
    build_model,
    compile_model,
    export_copy,
)
from training.dataset import representative_inputs  # noqa: E402
from training.export import encoder_name, output_shapes, parity, tflite_outputs  # noqa: E402
from training.stages import synthetic_examples  # noqa: E402

pytestmark = pytest.mark.tensorflow
CONFIGS = {
    "transformer": ModelConfig(encoder="transformer", hidden=32, heads=4, blocks=2),
    "conv": ModelConfig(encoder="conv", hidden=32),
}
# What padding may leak into the output: the Transformer's mask leaks exp(-MASK_PENALTY) per
# padding key; the convolution stack zeroes padding rows before every layer (nothing leaks).
PADDING_LEAK_MAX = {"transformer": 0.005, "conv": 1e-6}
# Ops that show the file really holds that encoder.
ENCODER_OPS = {"transformer": {"BATCH_MATMUL", "SOFTMAX"}, "conv": {"PAD", "CONCATENATION"}}
# Stated tolerance for a briefly trained model on 200 moments: full int8 within these of Keras.
INT8_TOP1_MIN = 0.95  # strict argmax agreement
INT8_MEAN_ABS_MAX = 0.01  # mean |Δp| over the next-category probabilities
INT8_ACCEPT_ATOL = 0.05


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def trained(request):
    keras.utils.set_random_seed(3)
    examples = synthetic_examples(3, 1, seed=11)
    config = CONFIGS[request.param]
    model = compile_model(build_model(config), learning_rate=3e-3)
    history = model.fit(
        examples.inputs, examples.targets, epochs=3, batch_size=128, verbose=0
    ).history
    return model, examples, history, config


def test_config_defaults_to_the_gru_and_rejects_bad_shapes():
    assert ModelConfig().encoder == "gru"
    # A config.json written before the encoder field existed rebuilds the GRU.
    old = {"hidden": 48, "state_dim": 32}
    assert ModelConfig.from_dict(old).encoder == "gru"
    with pytest.raises(ValueError):
        ModelConfig(encoder="transformer", hidden=30, heads=4)
    with pytest.raises(ValueError):
        ModelConfig(encoder="lstm")  # type: ignore[arg-type]


def test_the_model_card_names_the_encoder_the_model_has():
    # A convolution model's card once said "GRU": the card is how a maintainer tells them apart.
    cards = {
        name: encoder_name(json.loads(config.to_json()))
        for name, config in CONFIGS.items() | {"gru": ModelConfig(encoder="gru")}.items()
    }
    assert cards["gru"].startswith("GRU (48 units")
    assert cards["transformer"].startswith("Transformer (2 block(s), width 32, 4 heads")
    assert cards["conv"].startswith("causal dilated convolution (32 channels")


def test_encoder_trains(trained):
    _, _, history, _ = trained
    assert history["next_category_loss"][-1] < history["next_category_loss"][0]


def test_padding_spans_do_not_change_the_output(trained):
    model, examples, _, config = trained
    inputs = {k: v[:64].copy() for k, v in examples.inputs.items()}
    # Short histories: the first 10 positions become padding, as the featurizer writes it.
    for name in ("category_ids", "app_ids", "span_features"):
        inputs[name][:, :10] = 0
    padding = inputs["span_features"][:, :, 5] == 0
    assert padding[:, :10].all() and not padding[:, 10:].any()
    before = model.predict(inputs, verbose=0)["next_category"]
    # Garbage in the padding rows (flag still 0) must be (almost) invisible.
    rng = np.random.default_rng(0)
    inputs["category_ids"][padding] = rng.integers(1, 13, padding.sum())
    inputs["app_ids"][padding] = rng.integers(1, 500, padding.sum())
    inputs["span_features"][..., :5][padding] = rng.normal(size=(padding.sum(), 5))
    after = model.predict(inputs, verbose=0)["next_category"]
    through_padding = np.abs(after - before).max()
    assert through_padding < PADDING_LEAK_MAX[config.encoder]
    # ...while the same garbage in real positions does change it (the test can fail).
    inputs["category_ids"][~padding] = (inputs["category_ids"][~padding] + 1) % 13
    inputs["app_ids"][~padding] = rng.integers(1, 500, (~padding).sum())
    changed = model.predict(inputs, verbose=0)["next_category"]
    assert np.abs(changed - before).max() > max(10 * through_padding, 1e-3)


def test_saved_model_reloads_with_the_same_outputs(trained, tmp_path):
    model, examples, _, _ = trained
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras", compile=False)
    sample = {k: v[:32] for k, v in examples.inputs.items()}
    np.testing.assert_allclose(
        again.predict(sample, verbose=0)["next_category"],
        model.predict(sample, verbose=0)["next_category"],
        atol=1e-6,
    )


@pytest.mark.parametrize("variant", ["float32", "dynamic", "int8"])
def test_converts_to_builtin_ops_and_litert_agrees(trained, variant, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    model, examples, _, config = trained
    twin = export_copy(model, config)
    representative = representative_inputs(examples, 300, np.random.default_rng(0))
    flatbuffer = convert.convert(twin, representative, variant)
    ops = {d["op_name"] for d in Interpreter(model_content=flatbuffer)._get_ops_details()}
    assert not any("FLEX" in op.upper() or "CUSTOM" in op.upper() for op in ops), ops
    assert ENCODER_OPS[config.encoder] <= ops, ops  # really that encoder
    shapes = output_shapes(config)
    path = tmp_path / "m.tflite"
    path.write_bytes(flatbuffer)
    sample = {k: v[-200:] for k, v in examples.inputs.items()}
    report = parity(
        model.predict(sample, verbose=0),
        tflite_outputs(path, sample, convert.io_map(flatbuffer, shapes)),
    )
    if variant == "float32":
        assert report["top1_agreement"] == 1.0 and report["next_category_max_abs_diff"] < 1e-4
    else:
        assert report["top1_agreement"] >= INT8_TOP1_MIN, report
        assert report["next_category_mean_abs_diff"] <= INT8_MEAN_ABS_MAX, report
        assert report["accept_max_abs_diff"] <= INT8_ACCEPT_ATOL, report
    assert set(report) >= {"time_to_switch_max_abs_diff"}  # every head was compared


def test_unrolled_gru_twin_matches_keras_gru_and_keeps_one_copy_of_its_weights():
    keras.utils.set_random_seed(5)
    config = ModelConfig(encoder="gru", hidden=24)
    model = build_model(config)
    # Random, non-zero biases so the test sees every term of the cell.
    for weight in model.get_layer("encoder").weights:
        weight.assign(np.random.default_rng(1).normal(0, 0.3, weight.shape).astype("float32"))
    examples = synthetic_examples(2, 1, seed=13)
    sample = {k: v[:8] for k, v in examples.inputs.items()}
    twin = export_copy(model, config)
    assert type(twin.get_layer("encoder")).__name__ == "UnrolledGRU"
    expected = model.predict(sample, verbose=0)
    for row in range(8):
        got = twin.predict({k: v[row : row + 1] for k, v in sample.items()}, verbose=0)
        for name in ("next_category", "switch_soon", "accept"):
            np.testing.assert_allclose(got[name][0], expected[name][row], atol=1e-5)
    representative = representative_inputs(examples, 200, np.random.default_rng(0))
    flatbuffer = convert.convert(twin, representative, "int8")
    # Keras' unroll=True gave every step its own weight copies (int8 222 KB vs float32 160 KB).
    from tensorflow.lite.tools import flatbuffer_utils

    graph = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    weight_buffers = {
        tensor.buffer
        for tensor in graph.subgraphs[0].tensors
        if list(tensor.shape) in ([3 * 24, 24], [3 * 24, 30])  # recurrent / input kernels
        and graph.buffers[tensor.buffer].data is not None
    }
    assert len(weight_buffers) == 2, weight_buffers
    # The recurrent bias is not folded into each step's product: int8 would keep a re-scaled
    # int32 copy of it, with per-channel scales, for every one of the 24 steps (~55 KB).
    per_step_biases = [
        tensor
        for tensor in graph.subgraphs[0].tensors
        if tensor.type == 2  # INT32
        and tensor.quantization is not None
        and tensor.quantization.scale is not None
        and len(tensor.quantization.scale) == 3 * 24
    ]
    assert len(per_step_biases) <= 1, len(per_step_biases)


def test_conv_stack_sees_the_oldest_span_and_int8_keeps_a_fraction_of_the_float_file():
    from edge_model.keras_model import SpanConv

    keras.utils.set_random_seed(7)
    config = ModelConfig(encoder="conv")
    assert SpanConv(config.hidden, config.seq_len).dilations == [1, 2, 4, 8]
    model = build_model(config)
    examples = synthetic_examples(2, 1, seed=17)
    full = np.flatnonzero(examples.inputs["span_features"][:, 0, 5] == 1)[:16]
    sample = {k: v[full].copy() for k, v in examples.inputs.items()}
    before = model.predict(sample, verbose=0)["next_category"]
    # The oldest of 24 spans is inside the receptive field: changing it changes the prediction.
    sample["category_ids"][:, 0] = (sample["category_ids"][:, 0] + 5) % 13
    after = model.predict(sample, verbose=0)["next_category"]
    assert np.abs(after - before).max() > 1e-4
    # Why the encoder exists: a graph that does not grow with the sequence, so full int8 keeps
    # the weights' ~quarter (the GRU's unrolled graph kept its int8 file at 0.67x float32).
    twin = export_copy(model, config)
    representative = representative_inputs(examples, 200, np.random.default_rng(0))
    float_bytes = len(convert.convert(twin, representative, "float32"))
    int8_bytes = len(convert.convert(twin, representative, "int8"))
    assert int8_bytes <= 0.45 * float_bytes, (int8_bytes, float_bytes)
