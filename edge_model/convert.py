"""The one conversion helper: Keras model -> `.tflite` bytes (float32, dynamic-range or int8).

Full int8 comes two ways: weights with one scale per output channel ("int8", the converter's
default) or one scale per tensor ("int8_per_tensor"): per-channel scales (with int64 zero
points) cost ~600 bytes per weight matrix, 11% of a convolution-encoder int8 file, and bought
no measurable agreement there (docs: README "Benchmark"); which one ships is measured per model.

Training side only (imports TensorFlow). The returned io map names, for each model input and
output, the tensor name inside the `.tflite` file; it goes into the manifest so the runtime
never guesses.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Literal

import numpy as np

from edge_model.features import INPUT_NAMES, OPTIONAL_OUTPUTS, OUTPUT_NAMES

Variant = Literal["float32", "dynamic", "int8", "int8_per_tensor"]
FULL_INT8 = ("int8", "int8_per_tensor")


def convert(
    model, representative: dict[str, np.ndarray] | None = None, variant: Variant = "int8"
) -> bytes:
    """Return the TFLite flatbuffer of a batch-1 Keras model, builtin ops only."""
    import tensorflow as tf

    # from_keras_model does not understand Keras 3 models, and a bare concrete function keeps
    # resource variables that the int8 calibrator cannot read: go through a SavedModel.
    with tempfile.TemporaryDirectory(prefix="ts-export-") as saved:
        model.export(saved, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        return strip_names(_configure(converter, representative, variant).convert())


def strip_names(flatbuffer: bytes) -> bytes:
    """Return the model without the names of its intermediate tensors.

    The unrolled encoder has hundreds of tensors whose names (TensorFlow op paths) made up
    ~20% of the file; the runtime addresses only inputs and outputs by name, which stay.
    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    for subgraph in model.subgraphs:
        keep = set(subgraph.inputs) | set(subgraph.outputs)
        for index, tensor in enumerate(subgraph.tensors):
            if index not in keep:
                tensor.name = b""
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _configure(converter, representative, variant):
    import tensorflow as tf

    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant in FULL_INT8:
        if representative is None:
            raise ValueError("int8 conversion needs a representative dataset")
        size = next(iter(representative.values())).shape[0]

        def examples() -> Iterator[dict[str, np.ndarray]]:
            for i in range(size):
                yield {name: representative[name][i : i + 1] for name in INPUT_NAMES}

        converter.representative_dataset = examples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        # A private flag of TFLiteConverter (TF 2.x); still the only switch for this.
        converter._experimental_disable_per_channel = variant == "int8_per_tensor"
    return converter


def io_map(tflite_bytes: bytes, output_shapes: dict[str, tuple[int, ...]]) -> dict[str, dict]:
    """Return {"inputs": {name: tensor}, "outputs": {name: tensor}} for a converted model.

    Names come from the file's serving signature (the Keras output names); where a file has
    none, inputs are matched by their name inside the tensor name and outputs by their
    (then distinct) shapes from `output_shapes`. Heads in OPTIONAL_OUTPUTS may be absent.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=tflite_bytes)
    names = {d["index"]: d["name"] for d in interpreter.get_tensor_details()}
    signatures = interpreter._get_full_signature_list() or {}
    signature = signatures.get("serving_default") or next(iter(signatures.values()), None)
    if signature is not None:
        inputs = {n: names[signature["inputs"][n]] for n in INPUT_NAMES if n in signature["inputs"]}
        outputs = {
            n: names[signature["outputs"][n]] for n in OUTPUT_NAMES if n in signature["outputs"]
        }
        missing = [n for n in INPUT_NAMES if n not in inputs]
        missing += [n for n in OUTPUT_NAMES if n not in outputs and n not in OPTIONAL_OUTPUTS]
        if missing:
            raise ValueError(f"{missing}: not in the converted model's signature")
        return {"inputs": inputs, "outputs": outputs}
    inputs = {}
    for name in INPUT_NAMES:
        matches = [d["name"] for d in interpreter.get_input_details() if name in d["name"]]
        if len(matches) != 1:
            raise ValueError(f"input {name!r}: found {matches} in the converted model")
        inputs[name] = matches[0]
    outputs = {}
    for name in OUTPUT_NAMES:
        if name not in output_shapes:
            continue
        shape = tuple(output_shapes[name])
        matches = [
            d["name"] for d in interpreter.get_output_details() if tuple(d["shape"]) == shape
        ]
        if len(matches) != 1:
            raise ValueError(f"output {name!r} {shape}: found {matches} in the converted model")
        outputs[name] = matches[0]
    return {"inputs": inputs, "outputs": outputs}
