"""The GUI event loop keeps ticking while a worker thread runs the real model in a loop."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("PySide6")

from desktop.store import Event  # noqa: E402
from desktop.ui.qt import QTimer  # noqa: E402
from edge_model import features  # noqa: E402
from edge_model.registry import SHIPPED_DIR  # noqa: E402
from edge_model.runtime import ModelRuntime  # noqa: E402

NOW = 1_794_301_200.0
MAX_LATENCY_S = 0.2  # generous: a behaviour bound, not a benchmark


def test_event_loop_stays_responsive_during_background_inference(qtbot):
    runtime = ModelRuntime(SHIPPED_DIR)
    spans = [
        Event(
            start=NOW - 3600 + 150 * i,
            duration=150,
            source="window",
            app=f"app{i % 5}",
            category="development",
        )
        for i in range(24)
    ]
    inputs = features.featurize(features.Timeline.from_spans(spans), features.Context(now=NOW))
    stop = threading.Event()
    invocations = 0

    def infer_forever() -> None:
        nonlocal invocations
        while not stop.is_set():
            runtime.predict(inputs)
            invocations += 1

    ticks: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    worker = threading.Thread(target=infer_forever, daemon=True)
    worker.start()
    try:
        timer.start()
        qtbot.wait(1000)
    finally:
        timer.stop()
        stop.set()
        worker.join(timeout=5)
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert invocations > 100, "the worker must really have been running inference"
    assert len(ticks) > 20
    assert max(gaps) < MAX_LATENCY_S, f"GUI stalled for {max(gaps) * 1000:.0f} ms"
