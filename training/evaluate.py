"""`sculptor-train evaluate`: next-app and next-category prediction on one user's history.

The timeline's app switches are split in time: the first `split` personalizes, the rest is
predicted one switch at a time, each prediction seeing only what came before it. Baselines
run in the same pass on the same switches: most-recently-used, first-order Markov, and
frequency by hour of day.

The model's side is the on-device personalization path (no TensorFlow): the frozen `.tflite`
model gives, for each moment, its time-perception state and next-category probabilities; a
small candidate ranker fitted in numpy on the personalization split scores the user's own
apps from app-agnostic features (recency, Markov and hour statistics, the model's belief in
the app's category), modulated by the state. New users and never-seen apps need no retraining.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_model import features
from edge_model.categories import CATEGORIES
from edge_model.runtime import ModelRuntime

CANDIDATES = 30  # apps the ranker scores per switch (union of recent, frequent, likely next)
RANK_FEATURES = 8


@dataclass
class Switch:
    """One moment when the foreground app changed."""

    at: float
    previous_app: str
    app: str
    category: str
    previous_category: str
    hour: int


def switches_of(events: Sequence[Any], utc_offset_s: float = 0.0) -> list[Switch]:
    """Return the app switches of a chronological window-span list (repeats collapsed)."""
    result = []
    spans = [e for e in events if e.source == "window" and e.app]
    for before, after in zip(spans, spans[1:], strict=False):
        if after.app == before.app:
            continue
        hour = int(((after.start + utc_offset_s) % 86400) // 3600)
        result.append(
            Switch(after.start, before.app, after.app, after.category, before.category, hour)
        )
    return result


@dataclass
class History:
    """Online statistics of everything before the current switch (what every predictor sees)."""

    last_used: dict[str, float] = field(default_factory=dict)
    count: Counter[str] = field(default_factory=Counter)
    transitions: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_hour: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    recent: list[str] = field(default_factory=list)

    def observe(self, previous: str, current: str, at: float, hour: int) -> None:
        self.last_used[previous] = max(self.last_used.get(previous, at), at)
        self.last_used[current] = at
        self.count[current] += 1
        self.transitions[previous][current] += 1
        self.by_hour[hour][current] += 1
        self.recent.append(current)
        del self.recent[:-50]

    def mru(self, exclude: str | None) -> list[str]:
        ordered = sorted(self.last_used, key=lambda a: -self.last_used[a])
        return [a for a in ordered if a != exclude]

    def markov(self, current: str, exclude: str | None) -> list[str]:
        after = self.transitions.get(current, Counter())
        order = {a: i for i, a in enumerate(self.mru(exclude))}
        return sorted(order, key=lambda a: (-after.get(a, 0), order[a]))

    def hourly(self, hour: int, exclude: str | None) -> list[str]:
        at_hour = self.by_hour.get(hour, Counter())
        keys = [a for a in self.count if a != exclude]
        return sorted(keys, key=lambda a: (-at_hour.get(a, 0), -self.count[a], a))


def _score(rankings: list[int | None]) -> dict[str, float]:
    """Return top-1, top-3 and MRR from 1-based ranks (None: the answer was not ranked)."""
    n = max(len(rankings), 1)
    return {
        "top1": sum(r == 1 for r in rankings) / n,
        "top3": sum(r is not None and r <= 3 for r in rankings) / n,
        "mrr": sum(1.0 / r for r in rankings if r) / n,
    }


def _rank(order: Sequence[str], answer: str) -> int | None:
    try:
        return list(order).index(answer) + 1
    except ValueError:
        return None


class Ranker:
    """A softmax over candidates: score = f·(w + U s), f app-agnostic features, s model state."""

    def __init__(self, state_dim: int, l2: float = 1e-3, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w = np.zeros(RANK_FEATURES)
        self.w[0] = 1.0  # start as most-recently-used: a sensible prior before any fitting
        self.u = rng.normal(0.0, 0.01, (RANK_FEATURES, state_dim))
        self.l2 = l2
        self.mean = np.zeros(RANK_FEATURES)
        self.scale = np.ones(RANK_FEATURES)

    def scores(self, feats: np.ndarray, state: np.ndarray) -> np.ndarray:
        normed = (feats - self.mean) / self.scale
        return normed @ (self.w + self.u @ state)

    def fit(
        self, items: list[tuple[np.ndarray, np.ndarray, int]], epochs: int = 300, lr: float = 0.05
    ) -> None:
        """Fit on (candidate features, state, index of the true candidate) with Adam."""
        if not items:
            return
        stacked = np.concatenate([f for f, _, _ in items])
        self.mean, self.scale = stacked.mean(0), stacked.std(0) + 1e-6
        params = [self.w, self.u]
        moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        for step in range(1, epochs + 1):
            grad_w = self.l2 * self.w
            grad_u = self.l2 * self.u
            for feats, state, target in items:
                normed = (feats - self.mean) / self.scale
                logits = normed @ (self.w + self.u @ state)
                probs = np.exp(logits - logits.max())
                probs /= probs.sum()
                probs[target] -= 1.0
                g = normed.T @ probs / len(items)
                grad_w += g
                grad_u += np.outer(g, state)
            for p, g, (m, v) in zip(params, (grad_w, grad_u), moments, strict=True):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)


def candidate_features(
    history: History, switch: Switch, app_category: dict[str, str], category_probs: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Return the candidate apps for a switch and their features (rows of RANK_FEATURES)."""
    current = switch.previous_app
    recency = history.mru(current)
    markov = history.markov(current, current)
    candidates = list(
        dict.fromkeys(
            recency[:20]
            + markov[:10]
            + [a for a, _ in history.count.most_common(10) if a != current]
        )
    )[:CANDIDATES]
    after = history.transitions.get(current, Counter())
    after_total = sum(after.values())
    at_hour = history.by_hour.get(switch.hour, Counter())
    hour_total = sum(at_hour.values())
    total = sum(history.count.values())
    recent = Counter(history.recent)
    rank_of = {a: i + 1 for i, a in enumerate(recency)}
    rows = np.zeros((len(candidates), RANK_FEATURES))
    for i, app in enumerate(candidates):
        category = app_category.get(app, "unknown")
        rows[i] = (
            1.0 / rank_of.get(app, 100),
            (after.get(app, 0) + 0.1) / (after_total + 1.0),
            (at_hour.get(app, 0) + 0.1) / (hour_total + 1.0),
            history.count[app] / max(total, 1),
            math.log1p(recent[app]),
            math.log1p(max(switch.at - history.last_used.get(app, switch.at), 0.0) / 60.0),
            float(category_probs[CATEGORIES.index(category)]) if category in CATEGORIES else 0.0,
            float(category == switch.previous_category),
        )
    return candidates, rows


def evaluate(
    events: Sequence[Any], model_dir: Path, split: float = 0.7, utc_offset_s: float = 0.0
) -> dict[str, Any]:
    """Return the evaluation contract for one user's chronological spans."""
    switches = switches_of(events, utc_offset_s)
    if len(switches) < 20:
        raise ValueError(f"only {len(switches)} app switches: too few to evaluate")
    cut = int(len(switches) * split)
    runtime = ModelRuntime(model_dir)
    timeline = features.Timeline.from_spans(events)
    contexts = [features.Context(now=s.at, utc_offset_s=utc_offset_s) for s in switches]
    outputs = runtime.run_batch(features.featurize_many(timeline, contexts))
    states, category_probs = outputs["state"], outputs["next_category"]

    history, category_history = History(), History()
    app_category: dict[str, str] = {}
    train_items: list[tuple[np.ndarray, np.ndarray, int]] = []
    test_moments: list[tuple[int, list[str], np.ndarray]] = []
    app_ranks: dict[str, list[int | None]] = {"mru": [], "markov1": [], "frequency_by_hour": []}
    cat_ranks: dict[str, list[int | None]] = {k: [] for k in app_ranks} | {"model": []}
    for index, switch in enumerate(switches):
        app_category.setdefault(switch.previous_app, switch.previous_category)
        if index >= cut:
            app_ranks["mru"].append(_rank(history.mru(switch.previous_app), switch.app))
            app_ranks["markov1"].append(
                _rank(history.markov(switch.previous_app, switch.previous_app), switch.app)
            )
            app_ranks["frequency_by_hour"].append(
                _rank(history.hourly(switch.hour, switch.previous_app), switch.app)
            )
            cat_ranks["mru"].append(_rank(category_history.mru(None), switch.category))
            cat_ranks["markov1"].append(
                _rank(category_history.markov(switch.previous_category, None), switch.category)
            )
            cat_ranks["frequency_by_hour"].append(
                _rank(category_history.hourly(switch.hour, None), switch.category)
            )
            order = [CATEGORIES[i] for i in np.argsort(-category_probs[index])]
            cat_ranks["model"].append(_rank(order, switch.category))
        if history.count:
            candidates, rows = candidate_features(
                history, switch, app_category, category_probs[index]
            )
            if index < cut:
                if switch.app in candidates:
                    train_items.append((rows, states[index], candidates.index(switch.app)))
            else:
                test_moments.append((len(app_ranks["mru"]) - 1, candidates, rows))
        elif index >= cut:
            test_moments.append((len(app_ranks["mru"]) - 1, [], np.zeros((0, RANK_FEATURES))))
        history.observe(switch.previous_app, switch.app, switch.at, switch.hour)
        category_history.observe(switch.previous_category, switch.category, switch.at, switch.hour)
        app_category[switch.app] = switch.category

    ranker = Ranker(states.shape[1])
    ranker.fit(train_items)
    model_ranks: list[int | None] = [None] * len(app_ranks["mru"])
    offset = cut
    for position, candidates, rows in test_moments:
        if not candidates:
            continue
        scores = ranker.scores(rows, states[offset + position])
        order = [candidates[i] for i in np.argsort(-scores)]
        model_ranks[position] = _rank(order, switches[offset + position].app)
    return {
        "n_train": cut,
        "n_test": len(switches) - cut,
        "model": _score(model_ranks),
        "baselines": {name: _score(r) for name, r in app_ranks.items()},
        "category": {
            "model": _score(cat_ranks.pop("model")),
            "baselines": {name: _score(r) for name, r in cat_ranks.items()},
        },
        "model_version": runtime.version,
    }
