"""`sculptor-train bench` writes the figures other tools read, in the agreed shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")

from training.cli import main as train_main  # noqa: E402

pytestmark = pytest.mark.tensorflow
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FIELDS = {
    "size_bytes": int,
    "sparsity": float,
    "top1": float,
    "mrr": float,
    "agreement_with_float": float,
    "latency_ms_p50": float,
    "latency_ms_p99": float,
}


def test_bench_measures_every_variant_in_one_run(tmp_path, capsys):
    out = tmp_path / "bench.json"
    args = ["bench", "--json", str(out), "--examples", "300", "--runs", "200"]
    assert train_main([*args, "--real-per-trace", "40", "--data", str(DATA)]) == 0
    result = json.loads(out.read_text())
    variants = result["variants"]
    assert set(variants) == {"keras_float32", "tflite_float32", "tflite_dynamic", "tflite_int8"}
    for name, figures in variants.items():
        for field, kind in FIELDS.items():
            assert isinstance(figures[field], kind), (name, field)
        assert 0 < figures["top1"] <= figures["mrr"] <= 1
        assert figures["latency_ms_p50"] <= figures["latency_ms_p99"]
    assert variants["tflite_float32"]["agreement_with_float"] == pytest.approx(1.0, abs=0.01)
    assert variants["tflite_dynamic"]["size_bytes"] < variants["tflite_float32"]["size_bytes"]
    assert all(v["latency_ms_p50"] > 0 for v in variants.values())  # measured, not asserted
    # Quantization shrinks the weights about four times; the rest of the file is the graph.
    weights = {name: variants[f"tflite_{name}"]["weight_bytes"] for name in ("float32", "int8")}
    assert 0.2 < weights["int8"] / weights["float32"] < 0.35, weights
    assert weights["float32"] < variants["tflite_float32"]["size_bytes"]
    # Full int8 with one weight scale per tensor is measured beside the four: smaller still.
    per_tensor = result["extra_variants"]["tflite_int8_per_tensor"]
    assert per_tensor["size_bytes"] < variants["tflite_int8"]["size_bytes"]
    # The fixed evaluation set mixes real traces and synthetic people, scored apart too.
    here = (DATA / "desktop-windows" / "user_a.csv").exists()  # ../shared/data may be absent
    assert "real traces" in result["evaluation_set"]
    for figures in variants.values():
        assert set(figures["by_source"]) == ({"real", "synthetic"} if here else {"synthetic"})
        assert all(0 < s["top1"] <= s["mrr"] <= 1 for s in figures["by_source"].values())
    assert result["evaluation_examples"] > 300 or not here  # 300 synthetic + the real moments
    # Every head of the float model beside the recent window's statistic, per source too.
    heads = result["heads"]
    assert set(heads) == ({"all", "real", "synthetic"} if here else {"all", "synthetic"})
    for figures in heads.values():
        assert 0 < figures["switch_soon_baseline_accuracy"] <= 1
        assert figures["time_to_switch_baseline_median_factor"] >= 1
    table = capsys.readouterr().out
    assert "tflite_int8_per_tensor" in table and "p99 ms" in table and "top-1 real" in table
    assert "switch-soon acc" in table
