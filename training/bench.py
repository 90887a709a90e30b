"""`sculptor-train bench`: every variant of one model measured in one run, on one evaluation set.

Size, sparsity, next-category top-1 and MRR, agreement with the float model, and latency of
one call (Keras `predict` on one sample; one TFLite `invoke` on one thread), after warm-up.
Each TFLite variant's size is also split into its weights (constant buffers) and the rest (the
graph: tensors, ops, quantization parameters), which quantization does not shrink.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import statistics
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np

from edge_model import convert, features, timing
from edge_model.keras_model import ModelConfig, export_copy
from edge_model.manifest import KERAS_NAME
from training.export import head_metrics, output_shapes


def weight_bytes(flatbuffer: bytes) -> int:
    """Return the bytes of a `.tflite` file's constant buffers (its weights and constants)."""
    from tensorflow.lite.tools import flatbuffer_utils  # the train extra

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    return sum(len(buffer.data) for buffer in model.buffers if buffer.data is not None)


def ranking(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Return top-1 accuracy and mean reciprocal rank of the true label."""
    true_p = probs[np.arange(len(labels)), labels][:, None]
    ranks = (probs > true_p).sum(-1) + 1
    return {"top1": float((ranks == 1).mean()), "mrr": float((1.0 / ranks).mean())}


def _percentiles(samples_us: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_us)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered) / 1000.0, p99 / 1000.0


class _Lite:
    """One interpreter, one thread, inputs set by name: how the app runs a model."""

    def __init__(self, flatbuffer: bytes, io: dict) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_content=flatbuffer, num_threads=1)
        self.interpreter.allocate_tensors()
        index = {d["name"]: d["index"] for d in self.interpreter.get_input_details()}
        index |= {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self.inputs = {n: index[io["inputs"][n]] for n in features.INPUT_NAMES}
        self.output = index[io["outputs"]["next_category"]]

    def set(self, batch: dict[str, np.ndarray], row: int) -> None:
        for name, index in self.inputs.items():
            self.interpreter.set_tensor(index, batch[name][row : row + 1])

    def probabilities(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        rows = []
        for row in range(batch["context"].shape[0]):
            self.set(batch, row)
            self.interpreter.invoke()
            rows.append(self.interpreter.get_tensor(self.output)[0].copy())
        return np.stack(rows)

    def latency(self, batch: dict[str, np.ndarray], runs: int) -> tuple[float, float]:
        self.set(batch, 0)
        for _ in range(50):
            self.interpreter.invoke()
        samples = []
        for i in range(runs):
            self.set(batch, i % batch["context"].shape[0])
            start = time.perf_counter_ns()
            self.interpreter.invoke()
            samples.append((time.perf_counter_ns() - start) / 1000.0)
        return _percentiles(samples)


def by_source(
    probs: np.ndarray, labels: np.ndarray, sources: dict[str, np.ndarray] | None
) -> dict[str, Any]:
    """Return {"by_source": {name: {top1, mrr}}} for each boolean row mask (nothing if none)."""
    if not sources:
        return {}
    return {
        "by_source": {
            name: ranking(probs[mask], labels[mask]) for name, mask in sources.items() if mask.any()
        }
    }


def run_bench(
    model_dir: Path,
    inputs: dict[str, np.ndarray],
    labels: np.ndarray,
    representative: dict[str, np.ndarray],
    runs: int = 2000,
    keras_runs: int = 100,
    sources: dict[str, np.ndarray] | None = None,
    targets: dict[str, np.ndarray] | None = None,
    gru_export: Literal["unrolled", "loop"] | None = None,
) -> dict[str, Any]:
    """Return the contract JSON: {"variants": {name: {size_bytes, sparsity, top1, ...}}}.

    `sources` names boolean masks over the rows (e.g. real / synthetic); each variant then also
    carries top-1 and MRR per source under "by_source". With every head's `targets`, "heads"
    holds the float model's figures for all heads beside the recent-window baseline's, overall
    and per source. `gru_export` ("unrolled" or "loop") converts a GRU model in that export
    form instead of its config's.
    """
    import keras  # the train extra

    from edge_model.compress import prunable_weights, sparsity

    model = keras.models.load_model(Path(model_dir) / KERAS_NAME, compile=False)
    config = ModelConfig.from_dict(model_config_of(Path(model_dir)))
    if gru_export is not None:
        config = dataclasses.replace(config, gru_export=gru_export)
    twin = export_copy(model, config)
    weight_sparsity = sparsity(prunable_weights(model))
    float_out = model.predict(inputs, verbose=0, batch_size=256)
    float_probs = float_out["next_category"]
    float_top = np.argmax(float_probs, -1)

    one = {name: inputs[name][:1] for name in features.INPUT_NAMES}
    for _ in range(10):
        model.predict(one, verbose=0)
    samples = []
    for _ in range(keras_runs):
        start = time.perf_counter_ns()
        model.predict(one, verbose=0)
        samples.append((time.perf_counter_ns() - start) / 1000.0)
    p50, p99 = _percentiles(samples)
    keras_file = Path(model_dir) / KERAS_NAME
    variants: dict[str, dict[str, Any]] = {
        "keras_float32": {
            "size_bytes": keras_file.stat().st_size,
            "sparsity": weight_sparsity,
            **ranking(float_probs, labels),
            "agreement_with_float": 1.0,
            "latency_ms_p50": p50,
            "latency_ms_p99": p99,
            **by_source(float_probs, labels, sources),
        }
    }
    shapes = output_shapes(config)
    # The contract's four variants; full int8 with per-tensor weight scales is measured too
    # and reported beside them (readers of "variants" expect exactly the four).
    extra: dict[str, dict[str, Any]] = {}
    for variant in ("float32", "dynamic", "int8", "int8_per_tensor"):
        flatbuffer = convert.convert(twin, representative, variant)
        lite = _Lite(flatbuffer, convert.io_map(flatbuffer, shapes))
        probs = lite.probabilities(inputs)
        p50, p99 = lite.latency(inputs, runs)
        (extra if variant == "int8_per_tensor" else variants)[f"tflite_{variant}"] = {
            "size_bytes": len(flatbuffer),
            "weight_bytes": weight_bytes(flatbuffer),
            "gzip_bytes": len(gzip.compress(flatbuffer, 9)),
            "sparsity": weight_sparsity,
            **ranking(probs, labels),
            "agreement_with_float": float((np.argmax(probs, -1) == float_top).mean()),
            "latency_ms_p50": p50,
            "latency_ms_p99": p99,
            **by_source(probs, labels, sources),
        }
    heads = {}
    if targets is not None:
        masks = {"all": np.ones(len(labels), bool)} | (sources or {})
        window = timing.window_remaining(inputs)
        heads = {
            name: head_metrics(
                {k: v[mask] for k, v in float_out.items()},
                {k: v[mask] for k, v in targets.items()},
                window[mask],
            )
            for name, mask in masks.items()
            if mask.any()
        }
    return {
        "variants": variants,
        "extra_variants": extra,
        "heads": heads,
        "evaluation_examples": int(labels.shape[0]),
        "model": str(model_dir),
        "model_config": json.loads(config.to_json()),
    }


def model_config_of(model_dir: Path) -> dict[str, Any]:
    return json.loads((model_dir / "config.json").read_text())


def table(result: dict[str, Any]) -> str:
    """Return the bench result as a fixed-width table."""
    sources = sorted({n for v in result["variants"].values() for n in v.get("by_source", {})})
    head = (
        f"{'variant':<23}{'size B':>10}{'weights B':>10}{'gzip B':>9}{'sparsity':>9}"
        f"{'top-1':>7}{'MRR':>7}{'agree':>7}{'p50 ms':>9}{'p99 ms':>9}"
        + "".join(f"{'top-1 ' + n[:4]:>11}" for n in sources)
    )
    lines = [head, "-" * len(head)]
    for name, v in (result["variants"] | result.get("extra_variants", {})).items():
        lines.append(
            f"{name:<23}{v['size_bytes']:>10,}{v.get('weight_bytes', 0):>10,}"
            f"{v.get('gzip_bytes', 0):>9,}{v['sparsity']:>9.2f}"
            f"{v['top1']:>7.3f}{v['mrr']:>7.3f}{v['agreement_with_float']:>7.3f}"
            f"{v['latency_ms_p50']:>9.3f}{v['latency_ms_p99']:>9.3f}"
            + "".join(
                f"{v.get('by_source', {}).get(n, {}).get('top1', float('nan')):>11.3f}"
                for n in sources
            )
        )
    return "\n".join(lines)


def heads_table(result: dict[str, Any]) -> str:
    """Return the float model's time and switch-soon figures beside the window baseline's."""
    heads = result.get("heads") or {}
    if not heads:
        return ""
    head = (
        f"{'moments':<11}{'time MAE min':>13}{'baseline':>9}{'factor':>8}{'baseline':>9}"
        f"{'switch-soon acc':>16}{'baseline':>9}"
    )
    lines = [head, "-" * len(head)]
    for name, m in heads.items():
        lines.append(
            f"{name:<11}{m.get('time_to_switch_median_abs_error_minutes', float('nan')):>13.2f}"
            f"{m.get('time_to_switch_baseline_median_abs_error_minutes', float('nan')):>9.2f}"
            f"{m.get('time_to_switch_median_factor', float('nan')):>8.2f}"
            f"{m.get('time_to_switch_baseline_median_factor', float('nan')):>9.2f}"
            f"{m['switch_soon_accuracy']:>16.3f}{m['switch_soon_baseline_accuracy']:>9.3f}"
        )
    return "\n".join(lines)
