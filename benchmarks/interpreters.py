"""Which TFLite interpreter package can run our model here, and how fast (batch 1, one thread).

    python benchmarks/interpreters.py [--model DIR] [--runs 2000]

Prints one line per interpreter package: the load result, or median/p99 latency of one invoke.
Run it in a venv with each package to compare (see README, "TFLite runtime").
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge_model import features  # noqa: E402
from edge_model.runtime import INTERPRETER_MODULES  # noqa: E402


def measure(module_name: str, model_dir: Path, runs: int) -> dict:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    try:
        module = importlib.import_module(module_name)
        interpreter = module.Interpreter(model_path=str(model_dir / "model.tflite"), num_threads=1)
        interpreter.allocate_tensors()
    except Exception as exc:  # report why a package cannot serve, in one line
        return {"package": module_name, "ok": False, "error": str(exc).splitlines()[0][:160]}
    index = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    rng = np.random.default_rng(0)
    batch = features.empty_batch(1)
    batch["category_ids"][:] = rng.integers(1, 13, batch["category_ids"].shape)
    batch["app_ids"][:] = rng.integers(1, features.APP_BUCKETS, batch["app_ids"].shape)
    batch["span_features"][:] = rng.random(batch["span_features"].shape)
    batch["context"][:] = rng.random(batch["context"].shape)
    for name in features.INPUT_NAMES:
        interpreter.set_tensor(index[manifest["io"]["inputs"][name]], batch[name])
    for _ in range(50):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        interpreter.invoke()
        times.append((time.perf_counter_ns() - start) / 1000.0)
    times.sort()
    return {
        "package": module_name,
        "ok": True,
        "median_us": round(statistics.median(times), 1),
        "p99_us": round(times[int(0.99 * len(times)) - 1], 1),
        "numpy": np.__version__,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "edge_model" / "shipped"))
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, model {args.model}")
    for name in INTERPRETER_MODULES:
        print(json.dumps(measure(name, Path(args.model), args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
