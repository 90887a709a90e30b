"""Training examples: moments sampled from span timelines, featurized by the one featurizer.

Labels per moment: the category of the next activity, whether the current one ends within
`SWITCH_HORIZON_S`, how long until it ends (log minutes, `time_to_switch`), and, where known,
whether a suggestion of each kind would be accepted (-1 = unknown; the loss masks it). Logged
suggestions from the store add acceptance labels weighted by inverse propensity, so learning
from the policy's own choices stays unbiased.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge_model import features
from edge_model.categories import CATEGORIES, CATEGORY_INDEX, WORK_CATEGORIES

AWAY_ID = CATEGORY_INDEX["away"]
MAX_IPW = 10.0


@dataclass
class Examples:
    """Model inputs, per-head targets and per-example weights."""

    inputs: dict[str, np.ndarray]
    targets: dict[str, np.ndarray]
    weights: np.ndarray

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def empty(cls) -> Examples:
        return cls(features.empty_batch(0), _empty_targets(0), np.zeros(0, np.float32))

    @classmethod
    def concat(cls, parts: Sequence[Examples]) -> Examples:
        parts = [p for p in parts if len(p)] or [cls.empty()]
        return cls(
            {k: np.concatenate([p.inputs[k] for p in parts]) for k in parts[0].inputs},
            {k: np.concatenate([p.targets[k] for p in parts]) for k in parts[0].targets},
            np.concatenate([p.weights for p in parts]),
        )

    def take(self, index: np.ndarray) -> Examples:
        return Examples(
            {k: v[index] for k, v in self.inputs.items()},
            {k: v[index] for k, v in self.targets.items()},
            self.weights[index],
        )

    def split(self, fraction: float, rng: np.random.Generator) -> tuple[Examples, Examples]:
        """Return (train, held-out) after a seeded shuffle."""
        order = rng.permutation(len(self))
        cut = int(round(len(self) * fraction))
        return self.take(order[:cut]), self.take(order[cut:])


def _empty_targets(size: int) -> dict[str, np.ndarray]:
    return {
        "next_category": np.zeros((size,), np.int32),
        "switch_soon": np.zeros((size, 1), np.float32),
        "accept": np.full((size, len(features.SUGGESTION_KINDS)), -1.0, np.float32),
        "time_to_switch": np.full((size, 1), -1.0, np.float32),  # -1: unknown (masked)
    }


def time_to_switch_target(seconds: float) -> float:
    """Return the time_to_switch label: log1p(minutes until the activity ends) / scale."""
    return float(np.log1p(max(seconds, 0.0) / 60.0) / features.TIME_TO_SWITCH_SCALE)


AcceptanceLabel = Callable[..., float]


def _moment_times(
    timeline: features.Timeline, rng: np.random.Generator, per_hour: float
) -> list[tuple[int, float]]:
    """Return (span index, time) pairs: time-uniform moments plus moments just after switches."""
    n = len(timeline)
    if n < 2:
        return []
    durations = np.maximum(timeline.end[: n - 1] - timeline.start[: n - 1], 0.0)
    total_h = durations.sum() / 3600.0
    picks: list[tuple[int, float]] = []
    count = int(total_h * per_hour)
    if count and durations.sum() > 0:
        spans = rng.choice(n - 1, size=count, p=durations / durations.sum())
        for i in spans:
            picks.append((int(i), float(timeline.start[i] + rng.random() * durations[i])))
    switch_count = min(n - 1, count)
    for i in rng.choice(n - 1, size=switch_count, replace=False):
        picks.append((int(i), float(timeline.start[i] + min(5.0, durations[i] / 2))))
    return picks


def examples_from_spans(
    spans: Iterable[Any],
    rng: np.random.Generator,
    *,
    per_hour: float = 4.0,
    acceptance: AcceptanceLabel | None = None,
    utc_offset_s: float = 0.0,
    since: float | None = None,
    until: float | None = None,
) -> Examples:
    """Return examples for moments of one person's timeline (those in [`since`, `until`)).

    `acceptance(minutes_active=, hour=, weekday=, in_flow=, minutes_since_last_suggestion=,
    in_meeting=)` labels the break head (a simulated person's probability); None leaves it unknown.
    """
    spans = list(spans)
    timeline = features.Timeline.from_spans(spans)
    meetings = np.array(
        sorted((s.start, s.start + s.duration) for s in spans if s.source == "calendar")
    ).reshape(-1, 2)
    moments = _moment_times(timeline, rng, per_hour)
    if since is not None:
        moments = [(i, t) for i, t in moments if t >= since]
    if until is not None:
        moments = [(i, t) for i, t in moments if t < until]
    if not moments:
        return Examples.empty()
    contexts = []
    targets = _empty_targets(len(moments))
    for row, (i, t) in enumerate(moments):
        gap = timeline.start[i + 1] - timeline.end[i]
        targets["next_category"][row] = (
            AWAY_ID if gap >= features.BREAK_MINUTES * 60 else (timeline.category[i + 1])
        )
        targets["switch_soon"][row, 0] = float(timeline.end[i] - t <= features.SWITCH_HORIZON_S)
        targets["time_to_switch"][row, 0] = time_to_switch_target(timeline.end[i] - t)
        in_meeting = bool(((meetings[:, 0] <= t) & (meetings[:, 1] > t)).any())
        since_suggestion = float(rng.choice([24 * 60.0, rng.uniform(5.0, 300.0)]))
        idle = float(t - timeline.start[i]) if timeline.away[i] else 0.0
        context = features.Context(
            now=t,
            utc_offset_s=utc_offset_s,
            idle_seconds=idle,
            in_meeting=in_meeting,
            minutes_since_suggestion=since_suggestion,
        )
        contexts.append(context)
        if acceptance is not None and not timeline.away[i]:
            local = t + utc_offset_s
            hour = (local % 86400.0) / 3600.0
            weekday = int(((local // 86400.0) + 3) % 7)
            category = CATEGORIES[int(timeline.category[i])]
            targets["accept"][row, 0] = acceptance(
                minutes_active=features.minutes_active_without_break(timeline, t, i + 1),
                hour=hour,
                weekday=weekday,
                in_flow=category in WORK_CATEGORIES and t - timeline.start[i] >= 600.0,
                minutes_since_last_suggestion=since_suggestion,
                in_meeting=in_meeting,
            )
    inputs = features.featurize_many(timeline, contexts)
    return Examples(inputs, targets, np.ones(len(moments), np.float32))


def representative_inputs(
    examples: Examples, count: int, rng: np.random.Generator, short_fraction: float = 0.1
) -> dict[str, np.ndarray]:
    """Return `count` inputs to calibrate full-int8 quantization with, short histories included.

    A new user's first moments have only a few real spans (the rest is padding). Such moments
    are rare in a corpus of whole weeks, and a calibration set without them gave int8 ranges
    that clipped them: measured on a Transformer, acceptance max |Δ| 0.16 with 200 examples,
    0.045 with 1,000. So a `short_fraction` of the rows keep only their last 1-8 spans.
    """
    index = rng.choice(len(examples), size=min(count, len(examples)), replace=False)
    inputs = {k: v.copy() for k, v in examples.take(index).inputs.items()}
    short = rng.random(len(index)) < short_fraction
    for row in np.flatnonzero(short):
        cut = features.SEQ_LEN - int(rng.integers(1, 9))
        for name in ("category_ids", "app_ids", "span_features"):
            inputs[name][row, :cut] = 0
    return inputs


OUTCOME_LABEL = {"accepted": 1.0, "dismissed": 0.0, "ignored": 0.0, "snoozed": 0.0}


def examples_from_feedback(records: Iterable[Any], spans: Sequence[Any]) -> Examples:
    """Return examples from logged suggestions with outcomes, weighted by 1 / propensity."""
    # Plan block notices carry no model features: only the engine's kinds teach its head.
    records = [
        r
        for r in records
        if r.outcome in OUTCOME_LABEL and r.features and r.kind in features.SUGGESTION_KINDS
    ]
    if not records:
        return Examples.empty()
    timeline = features.Timeline.from_spans(spans)
    batch = features.empty_batch(len(records))
    targets = _empty_targets(len(records))
    weights = np.ones(len(records), np.float32)
    for row, record in enumerate(records):
        logged = features.features_from_json(record.features)
        for name in features.INPUT_NAMES:
            batch[name][row] = logged[name][0]
        kind = features.SUGGESTION_KINDS.index(record.kind)
        targets["accept"][row, kind] = OUTCOME_LABEL[record.outcome]
        i = timeline.index_at(record.created_at) - 1
        if 0 <= i < len(timeline) - 1:
            targets["next_category"][row] = timeline.category[i + 1]
            targets["switch_soon"][row, 0] = float(
                timeline.end[i] - record.created_at <= features.SWITCH_HORIZON_S
            )
            targets["time_to_switch"][row, 0] = time_to_switch_target(
                timeline.end[i] - record.created_at
            )
        weights[row] = min(1.0 / max(record.propensity, 1e-3), MAX_IPW)
    return Examples(batch, targets, weights)


def held_out_cut(
    spans: Iterable[Any], answered_at: Sequence[float], share: float, min_answers: int
) -> float:
    """Return the moment from which the user's newest data is held out from a fine-tune.

    With at least twice `min_answers` answered suggestions, the newest `share` of them (at
    least `min_answers`) are held out; with fewer, the newest `share` of the active time.
    """
    times = sorted(answered_at)
    if len(times) >= 2 * min_answers:
        return float(times[len(times) - max(min_answers, int(round(share * len(times))))])
    active = sorted((s.start, s.duration) for s in spans if s.source != "calendar")
    if not active:
        return float("inf")
    durations = np.array([max(d, 0.0) for _, d in active])
    done = np.cumsum(durations)
    index = int(np.searchsorted(done, (1.0 - share) * done[-1]))
    return float(active[min(index, len(active) - 1)][0])


def with_replay(
    user: Examples, corpus: Examples, per_user_example: float, rng: np.random.Generator
) -> Examples:
    """Return the user's examples plus a seeded sample of the pretraining corpus.

    `per_user_example` corpus moments join per user moment (0: none), so that a few weeks of
    one person's data cannot make the model forget what it learned from everyone else.
    """
    count = int(round(per_user_example * len(user)))
    if count <= 0 or not len(corpus):
        return user
    index = rng.choice(len(corpus), size=count, replace=count > len(corpus))
    return Examples.concat([user, corpus.take(index)])
