"""`sculptor-train evaluate`: next-app and next-category prediction on one user's history.

The timeline's app switches are split in time: the first `split` personalizes, the rest is
predicted one switch at a time, each prediction seeing only what came before it. Baselines
run in the same pass on the same switches: most-recently-used, first-order Markov, and
frequency by hour of day, each updated online exactly like the model's own statistics.

The model's side is the on-device personalization path (no TensorFlow): the frozen `.tflite`
model gives, for each moment, its next-category probabilities; a small softmax ranker fitted
in numpy on the personalization split scores the user's own apps (and categories) from
app-agnostic features — recency, Markov and hour-of-day statistics, and the model's belief
in each candidate's category. New users and never-seen apps need no retraining.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_model import timing
from edge_model.runtime import ModelRuntime
from training.next_app import head as app_head
from training.switches import switch_beliefs, switches_of
from training.timing_prior import evaluate_timing

SHORT_DWELL_S = 15.0  # a stay this short is often an alt-tab through, then back
NETWORK_COLUMN = 7  # in the category rows: the network's probability of the candidate category
SYSTEM_CATEGORY = "system"  # edge_model.categories: the OS shell, settings, lock screen, ...


class History(app_head.SymbolHistory):
    """SymbolHistory with the per-candidate statistics the category ranker scores."""

    def features(
        self,
        candidates: Sequence[Hashable],
        current: Hashable,
        at: float,
        hour: int,
    ) -> np.ndarray:
        """Return per-candidate statistics: recency, Markov-1/2, hour, frequency, staleness."""
        rank_of = {a: i + 1 for i, a in enumerate(self.mru())}
        after = self.transitions.get(current, Counter())
        after2 = self.transitions2.get((self.before, current), Counter())
        at_hour = self.by_hour.get(hour, Counter())
        totals = (
            sum(after.values()),
            sum(after2.values()),
            sum(at_hour.values()),
            sum(self.count.values()),
        )
        recent = Counter(self.recent)
        rows = np.zeros((len(candidates), 7))
        for i, c in enumerate(candidates):
            rows[i] = (
                1.0 / rank_of.get(c, 100),
                (after.get(c, 0) + 0.1) / (totals[0] + 1.0),
                (after2.get(c, 0) + 0.1) / (totals[1] + 1.0),
                (at_hour.get(c, 0) + 0.1) / (totals[2] + 1.0),
                self.count[c] / max(totals[3], 1),
                math.log1p(recent[c]),
                math.log1p(max(at - self.last_used.get(c, at), 0.0) / 60.0),
            )
        return rows


def _score(rankings: list[int | None]) -> dict[str, float]:
    """Return top-1, top-3 and MRR from 1-based ranks (None: the answer was not ranked)."""
    n = max(len(rankings), 1)
    return {
        "top1": sum(r == 1 for r in rankings) / n,
        "top3": sum(r is not None and r <= 3 for r in rankings) / n,
        "mrr": sum(1.0 / r for r in rankings if r) / n,
    }


def _rank(order: Sequence[Hashable], answer: Hashable) -> int | None:
    try:
        return list(order).index(answer) + 1
    except ValueError:
        return None


def _baseline_ranks(
    into: dict[str, list[int | None]],
    history: app_head.SymbolHistory,
    current: Hashable,
    hour: int,
    answer: Hashable,
    exclude: Hashable | None,
) -> None:
    """Append where each baseline ranks `answer` after `current` (None: not ranked)."""
    into["mru"].append(_rank(history.mru(exclude), answer))
    into["markov1"].append(_rank(history.markov(current, exclude), answer))
    into["frequency_by_hour"].append(_rank(history.hourly(hour, exclude), answer))


class Ranker:
    """A linear softmax over a varying set of candidates, fitted full-batch with Adam."""

    def __init__(self, l2: float = 1e-3) -> None:
        self.l2 = l2
        self.w: np.ndarray | None = None
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def scores(self, rows: np.ndarray) -> np.ndarray:
        assert self.w is not None and self.mean is not None and self.scale is not None
        return ((rows - self.mean) / self.scale) @ self.w

    def fit(
        self, items: list[tuple[np.ndarray, int]], epochs: int = 400, lr: float = 0.05
    ) -> Ranker:
        """Fit on (candidate feature rows, index of the true candidate); return self."""
        width = items[0][0].shape[1] if items else 1
        self.w = np.zeros(width)
        self.w[0] = 1.0  # start as most-recently-used, a sensible prior
        if not items:
            self.mean, self.scale = np.zeros(width), np.ones(width)
            return self
        k = max(rows.shape[0] for rows, _ in items)
        x = np.zeros((len(items), k, width))
        mask = np.zeros((len(items), k), dtype=bool)
        target = np.zeros((len(items), k))
        for i, (rows, answer) in enumerate(items):
            x[i, : len(rows)] = rows
            mask[i, : len(rows)] = True
            target[i, answer] = 1.0
        self.mean = x[mask].mean(0)
        self.scale = x[mask].std(0) + 1e-6
        x = np.where(mask[..., None], (x - self.mean) / self.scale, 0.0)
        m, v = np.zeros(width), np.zeros(width)
        for step in range(1, epochs + 1):
            logits = np.where(mask, x @ self.w, -np.inf)
            probs = np.exp(logits - logits.max(1, keepdims=True))
            probs /= probs.sum(1, keepdims=True)
            grad = np.einsum("nk,nkf->f", probs - target, x) / len(items) + self.l2 * self.w
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad * grad
            self.w -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        return self


@dataclass
class _Task:
    """Next category: its statistics, baselines and ranker data. The current category stays a
    candidate (people often switch apps within one category), unlike the current app."""

    history: History = field(default_factory=History)
    baselines: dict[str, list[int | None]] = field(
        default_factory=lambda: {"mru": [], "markov1": [], "frequency_by_hour": []}
    )
    train: list[tuple[np.ndarray, int]] = field(default_factory=list)
    test: list[tuple[list[Hashable], np.ndarray, Hashable]] = field(default_factory=list)

    def baseline_ranks(self, current: Hashable, hour: int, answer: Hashable) -> None:
        _baseline_ranks(self.baselines, self.history, current, hour, answer, None)

    def model_scores(self, drop: int | None = None) -> dict[str, float]:
        """Fit on the personalization split, score the rest; `drop` removes one feature column
        (the ablation that shows what the network's belief adds)."""

        def keep(rows: np.ndarray) -> np.ndarray:
            return rows if drop is None else np.delete(rows, drop, axis=1)

        ranker = Ranker().fit([(keep(rows), answer) for rows, answer in self.train])
        ranks: list[int | None] = []
        for candidates, rows, answer in self.test:
            if not candidates:
                ranks.append(None)
                continue
            scores = ranker.scores(keep(rows))
            order = [candidates[i] for i in np.argsort(-scores, kind="stable")]
            ranks.append(_rank(order, answer))
        return _score(ranks)


def _head_ranks(
    head: app_head.PointerHead, test: Sequence[tuple[list[Hashable], np.ndarray, Hashable]]
) -> list[int | None]:
    return [
        _rank(head.rank(candidates, rows), answer) if candidates else None
        for candidates, rows, answer in test
    ]


def _ranks(
    head: app_head.PointerHead, test: Sequence[tuple[list[Hashable], np.ndarray, Hashable]]
) -> dict[str, float]:
    return _score(_head_ranks(head, test))


def by_target(
    ranks: dict[str, list[int | None]], into_system: Sequence[bool]
) -> dict[str, dict[str, Any]]:
    """Split each ranker's next-app scores by where the switch went: into a system process
    (category "system": the OS shell, settings, lock screen, volume mixer, sign-in brokers) or
    to another app.

    Where the model loses to most-recently-used on the desktop traces is almost all in the
    first group (README: evaluation), so the contract's one figure is shown split too.
    """
    groups = {"into_system": [bool(x) for x in into_system]}
    groups["between_apps"] = [not x for x in groups["into_system"]]
    return {
        group: {
            "n": sum(chosen),
            **{
                name: _score([r for r, keep in zip(order, chosen, strict=True) if keep])
                for name, order in ranks.items()
            },
        }
        for group, chosen in groups.items()
    }


def evaluate(
    events: Sequence[Any],
    model_dir: Path,
    split: float = 0.7,
    utc_offset_s: float = 0.0,
    prior_path: Path | None = app_head.DEFAULT_PRIOR,
    timing_prior_path: Path | None = timing.SHIPPED_PRIOR,
) -> dict[str, Any]:
    """Return the evaluation contract for one user's chronological spans.

    Next app: the pointer head (`prior_path`; None or a missing file: fitted from
    scratch on the personalization split) fine-tuned on the first `split` of the switches.
    Also, under "timing", when the current activity ends (`training.timing_prior.evaluate_timing`):
    the timing head from `timing_prior_path` (None: fitted from scratch) personalized on the
    moments before the same cut, against the network alone and the window baseline.
    """
    switches = switches_of(events, utc_offset_s)
    if len(switches) < 20:
        raise ValueError(f"only {len(switches)} app switches: too few to evaluate")
    cut = int(len(switches) * split)
    runtime = ModelRuntime(model_dir)
    beliefs = switch_beliefs(switches, events, runtime, utc_offset_s)

    # Next app: the pointer head over the user's own apps, baselines from the same history.
    app_baselines: dict[str, list[int | None]] = {"mru": [], "markov1": [], "frequency_by_hour": []}
    train: list[app_head.Example] = []
    test: list[tuple[list[Hashable], np.ndarray, Hashable]] = []
    into_system: list[bool] = []
    walked = app_head.walk(switches, beliefs)
    for index, (s, (history, candidates, rows)) in enumerate(zip(switches, walked, strict=True)):
        if index < cut:
            if s.app in candidates:
                train.append((rows, candidates.index(s.app)))
            continue
        _baseline_ranks(app_baselines, history, s.previous_app, s.hour, s.app, s.previous_app)
        test.append((candidates, rows, s.app))
        into_system.append(s.category == SYSTEM_CATEGORY)
    if prior_path is not None and prior_path.exists():
        prior = app_head.PointerHead.load(prior_path)
        head, epochs = app_head.personalize(prior, train)
    else:
        prior, epochs = None, -1
        head = app_head.fit(train)
    model_ranks = _head_ranks(head, test)
    belief_column = app_head.FEATURES.index("network_category_belief")
    no_network = app_head.PointerHead(
        head.mean, head.scale, head.params, head.trained_on
    )  # the same head with the network's belief held at its average
    held = [(c, r.copy(), a) for c, r, a in test]
    for _, rows, _ in held:
        rows[:, belief_column] = head.mean[belief_column]

    # Next category: every category seen so far, scored by a linear softmax ranker.
    cats = _Task()
    for index, (s, belief) in enumerate(zip(switches, beliefs, strict=True)):
        if index >= cut:
            cats.baseline_ranks(s.previous_category, s.hour, s.category)
        short = float(s.dwell_s < SHORT_DWELL_S)
        cat_candidates: list[Hashable] = list(cats.history.count)
        if cat_candidates:
            cstats = cats.history.features(cat_candidates, s.previous_category, s.at, s.hour)
            cextra = np.array(
                [
                    (
                        belief(str(c)),
                        float(c == s.previous_category),
                        short * float(c == s.previous_category),
                    )
                    for c in cat_candidates
                ]
            )
            crows = np.hstack([cstats, cextra])
        else:
            crows = np.zeros((0, 10))
        if index < cut:
            if s.category in cat_candidates:
                cats.train.append((crows, cat_candidates.index(s.category)))
        else:
            cats.test.append((cat_candidates, crows, s.category))
        cats.history.observe_symbols(s.previous_category, s.category, s.at, s.hour)
    return {
        "n_train": cut,
        "n_test": len(switches) - cut,
        "model": _score(model_ranks),
        "baselines": {name: _score(r) for name, r in app_baselines.items()},
        # The same next-app figures split by where the switch went (not part of the contract).
        "by_target": by_target({"model": model_ranks} | app_baselines, into_system),
        "category": {
            "model": cats.model_scores(),
            "baselines": {name: _score(r) for name, r in cats.baselines.items()},
        },
        "model_version": runtime.version,
        "app_head": {
            "prior": str(prior_path) if prior is not None else None,
            "prior_trained_on": prior.trained_on if prior is not None else None,
            "fine_tune_epochs": epochs,
            # The pretrained head alone, before any personalization on this user.
            "prior_only": _ranks(prior, test) if prior is not None else None,
        },
        # What the frozen network adds: the same heads with its category belief held constant.
        "ablation_without_network": {
            "model": _ranks(no_network, held),
            "category": cats.model_scores(drop=NETWORK_COLUMN),
        },
        "timing": evaluate_timing(
            list(events),
            runtime,
            switches[cut].at,
            timing.TimingHead.load(timing_prior_path) if timing_prior_path is not None else None,
        )
        | {"prior": str(timing_prior_path) if timing_prior_path is not None else None},
    }
