"""`sculptor-train bench` writes the figures other tools read, in the agreed shape."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")

from training.cli import main as train_main  # noqa: E402

pytestmark = pytest.mark.tensorflow
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
    assert train_main(["bench", "--json", str(out), "--examples", "300", "--runs", "200"]) == 0
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
    table = capsys.readouterr().out
    assert "tflite_int8" in table and "p99 ms" in table
