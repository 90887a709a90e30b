"""Model directories: Keras weights + int8 `.tflite` + manifest + model card, parity-checked."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from edge_model import convert, features, timing
from edge_model.categories import CATEGORIES
from edge_model.keras_model import ModelConfig, export_copy
from edge_model.manifest import (
    CARD_NAME,
    KERAS_NAME,
    MANIFEST_NAME,
    TFLITE_NAME,
    Manifest,
    sha256_file,
)
from edge_model.registry import new_version_name

PARITY_TOLERANCE = {"top1_agreement_min": 0.99, "tie_tolerance": 0.01, "accept_atol": 0.05}
TIE_TOLERANCE = PARITY_TOLERANCE["tie_tolerance"]
SHIP_ORDER = ("int8", "int8_per_tensor", "dynamic")
QUANTIZATION = {
    "int8": "full-integer int8 weights and activations (float32 interface)",
    "int8_per_tensor": (
        "full-integer int8 weights (one scale per tensor) and activations (float32 interface)"
    ),
    "dynamic": "dynamic-range: int8 weights, activations quantized on the fly",
}


def tflite_outputs(
    tflite_path: Path, inputs: dict[str, np.ndarray], io: dict
) -> dict[str, np.ndarray]:
    """Run a `.tflite` file through LiteRT on a batch, one example per invoke."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path), num_threads=1)
    interpreter.allocate_tensors()
    details = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    details |= {d["name"]: d["index"] for d in interpreter.get_output_details()}
    size = inputs["context"].shape[0]
    names = [n for n in features.OUTPUT_NAMES if n in io["outputs"]]
    rows = []
    for i in range(size):
        for name in features.INPUT_NAMES:
            interpreter.set_tensor(details[io["inputs"][name]], inputs[name][i : i + 1])
        interpreter.invoke()
        rows.append({n: interpreter.get_tensor(details[io["outputs"][n]]).copy() for n in names})
    return {n: np.concatenate([r[n] for r in rows]) for n in names}


def output_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Return the batch-1 shape of every head of the exported model."""
    shapes = {
        "next_category": (1, config.categories),
        "switch_soon": (1, 1),
        "accept": (1, config.kinds),
        "state": (1, config.state_dim),
    }
    if config.time_head:
        shapes["time_to_switch"] = (1, 1)
    return shapes


def parity(keras_out: dict[str, np.ndarray], lite_out: dict[str, np.ndarray]) -> dict[str, float]:
    """Return agreement figures between the Keras model and its `.tflite` conversion.

    `top1_agreement` is strict. `top1_agreement_tie_aware` also counts as agreeing a TFLite
    top-1 whose Keras probability is within TIE_TOLERANCE of Keras's own top-1: measured on the
    shipped model, every strict disagreement had a Keras top-2 margin under 0.005 (a tie that
    any rounding breaks either way), while mean |Δp| was 0.0005.
    """
    keras_p, lite_p = keras_out["next_category"], lite_out["next_category"]
    keras_top, lite_top = np.argmax(keras_p, -1), np.argmax(lite_p, -1)
    rows = np.arange(len(keras_top))
    tie = keras_p[rows, keras_top] - keras_p[rows, lite_top] <= TIE_TOLERANCE
    report = {
        "top1_agreement": float((keras_top == lite_top).mean()),
        "top1_agreement_tie_aware": float(((keras_top == lite_top) | tie).mean()),
        "next_category_max_abs_diff": float(np.abs(keras_p - lite_p).max()),
        "next_category_mean_abs_diff": float(np.abs(keras_p - lite_p).mean()),
        "accept_max_abs_diff": float(np.abs(keras_out["accept"] - lite_out["accept"]).max()),
        "switch_soon_max_abs_diff": float(
            np.abs(keras_out["switch_soon"] - lite_out["switch_soon"]).max()
        ),
    }
    if "time_to_switch" in keras_out and "time_to_switch" in lite_out:
        # In log-minute units (x TIME_TO_SWITCH_SCALE = natural-log factor): informative only.
        report["time_to_switch_max_abs_diff"] = float(
            np.abs(keras_out["time_to_switch"] - lite_out["time_to_switch"]).max()
        )
    return report


class OutsideTolerance(ValueError):
    """No int8 variant of a model is within the parity tolerance: nothing may ship."""


def passes(report: dict[str, float]) -> bool:
    """Return True if a conversion's parity report is within the stated tolerance."""
    return (
        report["top1_agreement_tie_aware"] >= PARITY_TOLERANCE["top1_agreement_min"]
        and report["accept_max_abs_diff"] <= PARITY_TOLERANCE["accept_atol"]
    )


def _time_errors(predicted: np.ndarray, actual: np.ndarray, prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k}": v for k, v in timing.minute_errors(predicted, actual).items()}


def head_metrics(
    outputs: dict[str, np.ndarray],
    targets: dict[str, np.ndarray],
    window: np.ndarray | None = None,
) -> dict[str, float]:
    """Return quality figures of the heads on held-out examples.

    With `window`, the window baseline's minutes left per example
    (`edge_model.timing.window_remaining` of their inputs), also its time-to-switch errors and
    switch-soon accuracy on the same examples.
    """
    probs = outputs["next_category"]
    label = targets["next_category"]
    ranks = (probs > probs[np.arange(len(label)), label][:, None]).sum(-1) + 1
    top3 = np.argsort(-probs, -1)[:, :3]
    known = targets["accept"] >= 0
    switch_soon = targets["switch_soon"][:, 0] >= 0.5
    metrics = {
        "next_category_top1": float((np.argmax(probs, -1) == label).mean()),
        "next_category_top3": float((top3 == label[:, None]).any(-1).mean()),
        "next_category_mrr": float((1.0 / ranks).mean()),
        "switch_soon_accuracy": float(
            ((outputs["switch_soon"][:, 0] >= 0.5) == switch_soon).mean()
        ),
    }
    if known.any():
        metrics["accept_mae"] = float(
            np.abs(outputs["accept"][known] - targets["accept"][known]).mean()
        )
    if window is not None:
        says_soon = window <= timing.HORIZON_MIN
        metrics["switch_soon_baseline_accuracy"] = float((says_soon == switch_soon).mean())
    if "time_to_switch" in outputs and "time_to_switch" in targets:
        labelled = targets["time_to_switch"][:, 0] >= 0
        if labelled.any():
            scale = features.TIME_TO_SWITCH_SCALE
            predicted = np.expm1(scale * outputs["time_to_switch"][labelled, 0].clip(0, None))
            actual = np.expm1(scale * targets["time_to_switch"][labelled, 0])
            metrics |= _time_errors(predicted, actual, "time_to_switch")
            if window is not None:
                metrics |= _time_errors(window[labelled], actual, "time_to_switch_baseline")
    return metrics


def write_model_dir(
    model: Any,
    config: ModelConfig,
    out_dir: Path,
    *,
    representative: dict[str, np.ndarray],
    held_out_inputs: dict[str, np.ndarray],
    held_out_targets: dict[str, np.ndarray],
    parent_version: str | None,
    training: dict[str, Any],
    version: str | None = None,
    parity_inputs: dict[str, np.ndarray] | None = None,
    pruning: dict[str, Any] | None = None,
) -> Manifest:
    """Save weights, convert to int8 TFLite, check parity, write manifest and card; return it.

    `pruning` is what structured pruning removed (edge_model.compress.pruning_record), recorded
    as the manifest's `compression.pruning`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / KERAS_NAME)
    (out_dir / "config.json").write_text(config.to_json() + "\n")
    twin = export_copy(model, config)
    shapes = output_shapes(config)
    keras_out = model.predict(held_out_inputs, verbose=0, batch_size=256)
    window = timing.window_remaining(held_out_inputs)  # the timing heads' baseline, once
    # Parity needs no labels: more inputs (e.g. the training ones too) make it more certain.
    probe = parity_inputs if parity_inputs is not None else held_out_inputs
    keras_probe = model.predict(probe, verbose=0, batch_size=256)
    # Every int8 scheme is converted and checked; the smallest one that keeps parity ships.
    variants: dict[str, dict[str, Any]] = {}
    chosen: tuple[str, bytes, dict, dict] | None = None
    for variant in SHIP_ORDER:
        started = time.perf_counter()
        flatbuffer = convert.convert(twin, representative, variant)
        convert_s = time.perf_counter() - started
        candidate = out_dir / f".{variant}.tflite"
        candidate.write_bytes(flatbuffer)
        io = convert.io_map(flatbuffer, shapes)
        lite_out = tflite_outputs(candidate, held_out_inputs, io)
        lite_probe = lite_out if probe is held_out_inputs else tflite_outputs(candidate, probe, io)
        candidate.unlink()
        report = {
            "size_bytes": len(flatbuffer),
            "convert_seconds": round(convert_s, 2),
            "parity": parity(keras_probe, lite_probe)
            | {"examples": int(probe["context"].shape[0])},
            "quality": head_metrics(lite_out, held_out_targets, window),
        }
        variants[variant] = report
        if passes(report["parity"]) and (chosen is None or len(flatbuffer) < len(chosen[1])):
            chosen = (variant, flatbuffer, io, report)
    if chosen is None:
        raise OutsideTolerance(
            f"no int8 variant is within tolerance {PARITY_TOLERANCE}: "
            + ", ".join(
                f"{v} top-1 {r['parity']['top1_agreement_tie_aware']:.4f} (tie-aware), "
                f"accept max |Δ| {r['parity']['accept_max_abs_diff']:.3f}"
                for v, r in variants.items()
            )
        )
    variant, flatbuffer, io, report = chosen
    (out_dir / TFLITE_NAME).write_bytes(flatbuffer)
    metrics = {
        "keras": head_metrics(keras_out, held_out_targets, window),
        "tflite": report["quality"],
        "parity": report["parity"] | {"tolerance": PARITY_TOLERANCE},
        "held_out_examples": int(len(held_out_targets["switch_soon"])),
        "variants": variants,
    }
    manifest = Manifest(
        version=version or new_version_name(),
        feature_spec_version=features.SPEC_VERSION,
        sha256=sha256_file(out_dir / TFLITE_NAME),
        size_bytes=len(flatbuffer),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        parent_version=parent_version,
        vocab={
            "categories": list(CATEGORIES),
            "app_buckets": features.APP_BUCKETS,
            "suggestion_kinds": list(features.SUGGESTION_KINDS),
            "seq_len": features.SEQ_LEN,
        },
        io=io,
        metrics=metrics,
        compression={
            "quantization": QUANTIZATION[variant],
            "variant": variant,
            "representative_examples": int(representative["context"].shape[0]),
            "pruning": pruning,
        },
        training=training | {"model_config": json.loads(config.to_json())},
    )
    (out_dir / MANIFEST_NAME).write_text(manifest.to_json())
    (out_dir / CARD_NAME).write_text(model_card(manifest))
    return manifest


def _switch_baseline(metrics: dict[str, float]) -> str:
    key = "switch_soon_baseline_accuracy"
    return f" (the recent window's median: {metrics[key]:.3f})" if key in metrics else ""


def _time_line(keras_metrics: dict[str, float], lite_metrics: dict[str, float]) -> str:
    key = "time_to_switch_median_abs_error_minutes"
    if key not in keras_metrics or key not in lite_metrics:
        return ""
    return (
        f"- **Time until the current activity ends:** median absolute error "
        f"{keras_metrics[key]:.1f} min (Keras) / {lite_metrics[key]:.1f} min (TFLite); typical "
        f"factor off {lite_metrics['time_to_switch_median_factor']:.2f}x (TFLite)"
        + (
            f"; the recent window's median (no learning): "
            f"{lite_metrics['time_to_switch_baseline_median_abs_error_minutes']:.1f} min, "
            f"{lite_metrics['time_to_switch_baseline_median_factor']:.2f}x"
            if "time_to_switch_baseline_median_factor" in lite_metrics
            else ""
        )
        + ".\n"
    )


def encoder_name(config: dict[str, Any]) -> str:
    """Return the model card's name for the encoder of a saved `ModelConfig` dict."""
    if config.get("encoder") == "transformer":
        return (
            f"Transformer ({config.get('blocks')} block(s), width {config.get('hidden')}, "
            f"{config.get('heads')} heads)"
        )
    if config.get("encoder") == "conv":
        return f"causal dilated convolution ({config.get('hidden')} channels)"
    form = "one step in a WHILE loop" if config.get("gru_export") == "loop" else "unrolled"
    return f"GRU ({config.get('hidden', 48)} units, {form} for export)"


UNIT_NAMES = {
    "hidden": "encoder units",
    "context_hidden": "context units",
    "state_dim": "state units",
    "category_dim": "category embedding dimensions",
    "app_dim": "app embedding dimensions",
}


def _pruning_line(compression: dict[str, Any]) -> str:
    """Return the model card's line on structured pruning, or "" for an unpruned model."""
    pruning = compression.get("pruning")
    if not pruning or not pruning.get("units"):
        return ""
    units = ", ".join(
        f"{UNIT_NAMES.get(group, group)} {count['before']} -> {count['after']}"
        for group, count in pruning["units"].items()
    )
    line = f"- **Pruning:** structured, whole units removed ({units})"
    params = pruning.get("params")
    if params:
        line += f"; {params['before']:,} -> {params['after']:,} weights"
    top1 = pruning.get("held_out_top1")
    if top1:
        line += (
            f"; held-out top-1 {top1['full']:.3f} before, {top1['pruned']:.3f} just pruned, "
            f"{top1['fine_tuned']:.3f} after {pruning.get('fine_tune_epochs', 0)} fine-tune epochs"
        )
    return line + ".\n"


def model_card(manifest: Manifest) -> str:
    """Return the Markdown model card of a model version."""
    m = manifest.metrics
    k, q, p = m["keras"], m["tflite"], m["parity"]
    t = manifest.training
    parent = manifest.parent_version or "none (pretrained from scratch)"
    return f"""# Model card: time-perception model {manifest.version}

- **What it does:** from the last {manifest.vocab["seq_len"]} activity spans and the present
  context, predicts the next activity category, whether the current activity ends within five
  minutes (and, where the model has the head, how many minutes until it ends), and the
  probability that each suggestion kind would be accepted now.
- **Architecture:** {encoder_name(t.get("model_config", {}))} encoder over (category, hashed
  app, span features) + context MLP, Keras 3; exported batch-1,
  {manifest.compression["quantization"]} ({manifest.size_bytes:,} bytes; every int8
  variant measured is in the manifest).
{_pruning_line(manifest.compression)}- **Parent version:** {parent}
- **Data:** {t.get("data", "n/a")}
- **Held-out quality ({m["held_out_examples"]} examples):** next category top-1
  {k["next_category_top1"]:.3f} (Keras) / {q["next_category_top1"]:.3f} (TFLite), MRR
  {k["next_category_mrr"]:.3f} / {q["next_category_mrr"]:.3f}; switch-soon accuracy
  {k["switch_soon_accuracy"]:.3f} / {q["switch_soon_accuracy"]:.3f}{_switch_baseline(q)};
  acceptance MAE {k.get("accept_mae", float("nan")):.3f} / {q.get("accept_mae", float("nan")):.3f}.
{_time_line(k, q)}- **Keras vs TFLite parity ({p["examples"]} inputs):** top-1 agreement
  {p["top1_agreement"]:.4f} strict, {p["top1_agreement_tie_aware"]:.4f} counting ties within
  {TIE_TOLERANCE} as agreeing; max |Δp| next category {p["next_category_max_abs_diff"]:.3f} (mean
  {p["next_category_mean_abs_diff"]:.4f}), acceptance {p["accept_max_abs_diff"]:.3f}.
- **Limits:** acceptance is learned from simulated people until the user's own feedback
  arrives; only the break kind has labels so far. Hashed app ids can collide (512 buckets).
  Not a medical or productivity judgement of the user.
- **Privacy:** trained on device, on synthetic people, or on the public traces named under
  Data; no window titles are model inputs.
"""
