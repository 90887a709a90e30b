"""App switches: the moments a timeline's foreground app changed, and the network's beliefs there.

`sculptor-train evaluate` predicts the next app at each switch, the next-app head's prior
(`training.next_app.prior`) learns from them, and `training.real` cuts each real trace at a
share of its switches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge_model import features
from edge_model.categories import CATEGORIES
from edge_model.runtime import ModelRuntime


@dataclass
class Switch:
    """One moment when the foreground app changed."""

    at: float
    previous_app: str
    app: str
    category: str
    previous_category: str
    hour: int
    dwell_s: float  # how long the previous app had been in front


def switches_of(events: Sequence[Any], utc_offset_s: float = 0.0) -> list[Switch]:
    """Return the app switches of a chronological window-span list (repeats collapsed)."""
    result: list[Switch] = []
    spans = [e for e in events if e.source == "window" and e.app]
    entered = spans[0].start if spans else 0.0
    for before, after in zip(spans, spans[1:], strict=False):
        if after.app == before.app:
            continue
        hour = int(((after.start + utc_offset_s) % 86400) // 3600)
        result.append(
            Switch(
                after.start,
                before.app,
                after.app,
                after.category,
                before.category,
                hour,
                after.start - entered,
            )
        )
        entered = after.start
    return result


def switch_beliefs(
    switches: Sequence[Switch], events: Sequence[Any], runtime: ModelRuntime, utc_offset_s: float
) -> list[Callable[[str], float]]:
    """Return, per switch, the frozen network's probability of each category being next."""
    timeline = features.Timeline.from_spans(events)
    contexts = [features.Context(now=s.at, utc_offset_s=utc_offset_s) for s in switches]
    probs = runtime.run_batch(features.featurize_many(timeline, contexts))["next_category"]

    def belief(row: np.ndarray) -> Callable[[str], float]:
        return lambda c: float(row[CATEGORIES.index(c)]) if c in CATEGORIES else 0.0

    return [belief(row) for row in probs]
