"""The on-device runtime: one TFLite interpreter per model, reused, safe to call from any thread.

Interpreter packages, in order of preference (measured, see README "TFLite runtime"):
ai-edge-litert (LiteRT, maintained, numpy 2, runs TF 2.21's op versions), then the legacy
tflite-runtime (numpy 1.x only, cannot run newer op versions). TensorFlow's own
`tf.lite.Interpreter` is deliberately not a fallback: the desktop app never imports TensorFlow.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_model.features import (
    INPUT_NAMES,
    OPTIONAL_OUTPUTS,
    OUTPUT_NAMES,
    SPEC_VERSION,
    TIME_TO_SWITCH_SCALE,
)
from edge_model.manifest import Manifest, ModelRefused, verify_model
from edge_model.native_log import without_native_info

INTERPRETER_MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter")


def load_interpreter_class() -> tuple[str, Any]:
    """Return (module name, Interpreter class) of the first interpreter package that works."""
    errors = []
    for name in INTERPRETER_MODULES:
        try:
            module = importlib.import_module(name)
            return name.split(".")[0], module.Interpreter
        except Exception as exc:  # ImportError, or a numpy ABI error inside the package
            errors.append(f"{name}: {exc}")
    raise ModelRefused("no TFLite interpreter available (" + "; ".join(errors) + ")")


@dataclass(frozen=True)
class Prediction:
    """The model's heads for one moment."""

    next_category: np.ndarray  # probabilities over edge_model.categories.CATEGORIES
    switch_soon: float  # P(current activity ends within SWITCH_HORIZON_S)
    accept: np.ndarray  # P(accepted) per edge_model.features.SUGGESTION_KINDS
    state: np.ndarray  # the time-perception vector
    # Minutes until the current activity ends; None for models made before the head existed.
    time_to_switch_minutes: float | None = None


class ModelRuntime:
    """A verified `.tflite` model with its interpreter, ready for batch-1 invocations."""

    def __init__(self, model_dir: Path, num_threads: int = 1) -> None:
        self.path = Path(model_dir)
        # The interpreter gets the very bytes that were verified: the file cannot change
        # between the check and the load.
        self.manifest: Manifest
        self.manifest, content = verify_model(self.path, SPEC_VERSION)
        self.backend, interpreter_class = load_interpreter_class()
        try:
            self._content = content  # the interpreter reads from this buffer
            with without_native_info():  # its "INFO: Created ... delegate" line on every command
                self._interpreter = interpreter_class(
                    model_content=content, num_threads=num_threads
                )
                self._interpreter.allocate_tensors()
        except Exception as exc:  # the interpreter's own parse errors are RuntimeError/ValueError
            raise ModelRefused(
                f"model {self.manifest.version}: interpreter refused it ({exc})"
            ) from None
        by_name = {d["name"]: d for d in self._interpreter.get_input_details()}
        by_name |= {d["name"]: d for d in self._interpreter.get_output_details()}
        try:
            self._inputs = {
                name: by_name[self.manifest.io["inputs"][name]]["index"] for name in INPUT_NAMES
            }
            declared = self.manifest.io["outputs"]
            self._outputs = {
                name: by_name[declared[name]]["index"]
                for name in OUTPUT_NAMES
                if name in declared or name not in OPTIONAL_OUTPUTS
            }
        except KeyError as exc:
            raise ModelRefused(
                f"model {self.manifest.version}: tensor {exc} of the manifest is not in the file"
            ) from None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.manifest.version

    def run(self, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return the raw output arrays for a batch of one."""
        with self._lock:
            for name, index in self._inputs.items():
                self._interpreter.set_tensor(index, features[name])
            self._interpreter.invoke()
            return {
                name: self._interpreter.get_tensor(i).copy() for name, i in self._outputs.items()
            }

    def run_batch(self, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return outputs for a batch of any size (invoked one example at a time)."""
        size = next(iter(features.values())).shape[0]
        rows = [self.run({k: v[i : i + 1] for k, v in features.items()}) for i in range(size)]
        return {name: np.concatenate([r[name] for r in rows]) for name in self._outputs}

    def predict(self, features: dict[str, np.ndarray]) -> Prediction:
        """Return the heads for one moment."""
        out = self.run(features)
        minutes = None
        if "time_to_switch" in out:
            minutes = float(
                np.expm1(TIME_TO_SWITCH_SCALE * max(float(out["time_to_switch"][0, 0]), 0))
            )
        return Prediction(
            next_category=out["next_category"][0],
            switch_soon=float(out["switch_soon"][0, 0]),
            accept=out["accept"][0],
            state=out["state"][0],
            time_to_switch_minutes=minutes,
        )
