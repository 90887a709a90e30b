"""The next-app head: a pointer over the user's own apps, pretrained across people (numpy only).

Research kept in training: the app does not use it and the bundle does not carry it;
`sculptor-train evaluate` measures it and `sculptor-train pretrain-app-head` fits its prior.

A fixed global app list cannot serve new users or new apps, so the head never sees an app's
identity. At each moment it scores the apps the user has actually used (recent, frequent and
likely-next ones) from app-agnostic statistics of the user's own history — recency, first- to
third-order transitions (plain, decayed, conditioned on a short stay), hour of day, how long
ago the transition last happened, the candidate's typical stay, and the user's habits over
recency ranks (how often they go back to the last app, the one before it, ... — from this app,
after their previous choice, after a short stay, lately, and for this very app at this rank) —
plus the frozen TFLite network's belief in each candidate's category. A small MLP (a linear
skip plus one ReLU layer) turns those rows into scores; its weights are pretrained on many
people's histories (`sculptor-train pretrain-app-head`) and kept as JSON beside this module,
then personalized on one user's history in numpy: fine-tuned from the prior on the user's own
switches, with the number of epochs chosen on the user's latest switches (zero when
fine-tuning does not help, which is common for short histories).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

FORMAT_VERSION = 2  # 2: recency-rank habits, third-order transitions, typical stay
CANDIDATES = 30  # apps scored per switch (union of recent, frequent and likely-next apps)
SHORT_STAY_S = 15.0  # a stay this short is often an alt-tab through, then back
DECAY = 0.97  # per transition out of the same app, for the decayed Markov statistic
DEFAULT_PRIOR = Path(__file__).resolve().parent / "app_head.json"

FEATURES: tuple[str, ...] = (
    "inverse_mru_rank",
    "markov1",
    "markov2",
    "share_at_this_hour",
    "share_overall",
    "log_uses_in_last_50",
    "log_minutes_since_used",
    "is_mru_1",
    "is_mru_2",
    "is_mru_3",
    "markov1_decayed",
    "log_switches_since_this_transition",
    "reverse_transition",
    "markov1_given_stay_length",
    "log_uses_in_last_10",
    "short_stay_and_mru_1",
    "is_system_app",
    "current_is_system_and_mru_1",
    "was_before_current",
    "network_category_belief",
    "same_category_as_current",
    "category_transition",
    "short_stay_times_inverse_rank",
    "rank_given_current",
    "rank_given_previous_choice",
    "rank_given_stay_length",
    "markov3",
    "chosen_when_at_this_rank",
    "log_typical_stay",
    "rank_share_in_last_50",
    "rank_share_in_last_10",
)
RANK_CAP = 8  # recency ranks 1..7 are told apart; 8 stands for any later (or new) app


@dataclass
class SymbolHistory:
    """Online statistics of one symbol stream (app or category names) up to the current switch:
    what the baselines rank by (recency, first-order transitions, hour of day) and the counts
    every ranker here starts from."""

    last_used: dict[Hashable, float] = field(default_factory=dict)
    count: Counter[Hashable] = field(default_factory=Counter)
    transitions: dict[Hashable, Counter[Hashable]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    transitions2: dict[tuple, Counter[Hashable]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    by_hour: dict[int, Counter[Hashable]] = field(default_factory=lambda: defaultdict(Counter))
    recent: list[Hashable] = field(default_factory=list)  # the last 50 symbols chosen
    before: Hashable = None  # the symbol before the current one

    def observe_symbols(self, previous: Hashable, current: Hashable, at: float, hour: int) -> None:
        """Record the switch previous -> current at `at` (local hour `hour`)."""
        self.last_used[previous] = max(self.last_used.get(previous, at), at - 1e-3)
        self.last_used[current] = at
        self.count[current] += 1
        self.transitions[previous][current] += 1
        self.transitions2[(self.before, previous)][current] += 1
        self.by_hour[hour][current] += 1
        self.recent.append(current)
        del self.recent[:-50]
        self.before = previous

    def mru(self, exclude: Hashable | None = None) -> list[Hashable]:
        """Symbols most recently used first (the MRU baseline's ranking)."""
        ordered = sorted(self.last_used, key=lambda a: -self.last_used[a])
        return [a for a in ordered if a != exclude]

    def markov(self, current: Hashable, exclude: Hashable | None = None) -> list[Hashable]:
        """Symbols by how often they followed `current`, ties by recency (the Markov-1 baseline)."""
        after = self.transitions.get(current, Counter())
        order = {a: i for i, a in enumerate(self.mru(exclude))}
        return sorted(order, key=lambda a: (-after.get(a, 0), order[a]))

    def hourly(self, hour: int, exclude: Hashable | None = None) -> list[Hashable]:
        """Symbols by how often they were chosen at this hour, then overall (frequency-by-hour)."""
        at_hour = self.by_hour.get(hour, Counter())
        keys = [a for a in self.count if a != exclude]
        return sorted(keys, key=lambda a: (-at_hour.get(a, 0), -self.count[a], str(a)))


@dataclass
class AppHistory(SymbolHistory):
    """SymbolHistory of app names plus everything the pointer head's statistics need."""

    decayed: dict[Hashable, dict[Hashable, float]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    by_stay: dict[tuple[bool, Hashable], Counter[Hashable]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    last_transition: dict[tuple[Hashable, Hashable], int] = field(default_factory=dict)
    before2: Hashable = None  # the app before `before`
    switches: int = 0
    rank_from: dict[Hashable, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    rank_after: dict[int, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    rank_by_stay: dict[bool, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    last_rank: int = 0  # recency rank of the app chosen at the last switch (0: none yet)
    recent_ranks: list[int] = field(default_factory=list)  # of the last 50 choices
    transitions3: dict[tuple, Counter[Hashable]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    # (app, rank): times it sat at recency rank 1..7 when a choice was made. Never counted for
    # rank 8 (beyond the ranks), so chosen_when_at_this_rank is a rate for ranks 1..7 and, for
    # rank 8, a count of how often the app was fetched from far back (launched again). Kept on
    # purpose: as a rate over every app sitting beyond rank 7 it measured worse (leave-one-user-
    # out, seed 0: user_a +4.6 vs +5.5 points over MRU, user_d +2.4 vs +4.0).
    seen_at: Counter[tuple] = field(default_factory=Counter)
    chosen_at: Counter[tuple] = field(default_factory=Counter)  # (app, rank): times chosen there
    stay_log_sum: dict[Hashable, float] = field(default_factory=lambda: defaultdict(float))
    stay_n: Counter[Hashable] = field(default_factory=Counter)

    def observe(
        self, previous: Hashable, current: Hashable, at: float, hour: int, stay_s: float
    ) -> None:
        """Record the switch previous -> current at `at` after a stay of `stay_s` seconds."""
        # Recency-rank habits first, while the order is still the one the choice was made from.
        order = self.mru(previous)[: RANK_CAP - 1]
        rank = order.index(current) + 1 if current in order else RANK_CAP
        for r, a in enumerate(order, 1):
            self.seen_at[(a, r)] += 1
        self.chosen_at[(current, rank)] += 1
        self.rank_from[previous][rank] += 1
        self.rank_after[self.last_rank][rank] += 1
        self.rank_by_stay[stay_s < SHORT_STAY_S][rank] += 1
        self.last_rank = rank
        self.recent_ranks.append(rank)
        del self.recent_ranks[:-50]
        self.transitions3[(self.before2, self.before, previous)][current] += 1
        self.stay_log_sum[previous] += math.log1p(stay_s)
        self.stay_n[previous] += 1
        self.before2 = self.before
        out = self.decayed[previous]
        for key in out:
            out[key] *= DECAY
        out[current] = out.get(current, 0.0) + 1.0
        self.by_stay[(stay_s < SHORT_STAY_S, previous)][current] += 1
        self.last_transition[(previous, current)] = self.switches
        self.switches += 1
        self.observe_symbols(previous, current, at, hour)

    def candidates(self, current: Hashable) -> list[Hashable]:
        """Return the apps worth scoring after `current`: recent, likely-next and frequent."""
        return list(
            dict.fromkeys(
                self.mru(current)[:20]
                + self.markov(current, current)[:10]
                + [a for a, _ in self.count.most_common(10) if a != current]
            )
        )[:CANDIDATES]


@dataclass(frozen=True)
class Moment:
    """What the head knows at one switch, besides the history: where, when, what the network
    believes, and the category of every app seen so far."""

    current: Hashable
    at: float
    hour: int
    stay_s: float
    belief: Callable[[str], float]  # the network's probability of a category being next
    category_of: Callable[[Hashable], str]
    category_transition: Callable[[str], float]  # P(category | current category), smoothed


def candidate_rows(history: AppHistory, candidates: Sequence[Hashable], m: Moment) -> np.ndarray:
    """Return one row of FEATURES per candidate (apps only; never the app's identity)."""
    h = history
    rank_of = {a: i + 1 for i, a in enumerate(h.mru(m.current))}
    after = h.transitions.get(m.current, Counter())
    after2 = h.transitions2.get((h.before, m.current), Counter())
    at_hour = h.by_hour.get(m.hour, Counter())
    decayed = h.decayed.get(m.current, {})
    short = m.stay_s < SHORT_STAY_S
    by_stay = h.by_stay.get((short, m.current), Counter())
    totals = (
        sum(after.values()) + 1.0,
        sum(after2.values()) + 1.0,
        sum(at_hour.values()) + 1.0,
        max(sum(h.count.values()), 1),
        sum(decayed.values()) + 1.0,
        sum(by_stay.values()) + 1.0,
    )
    recent50, recent10 = Counter(h.recent), Counter(h.recent[-10:])
    from_here = h.rank_from.get(m.current, Counter())
    after_last = h.rank_after.get(h.last_rank, Counter())
    by_stay_rank = h.rank_by_stay.get(short, Counter())
    ranks50, ranks10 = Counter(h.recent_ranks), Counter(h.recent_ranks[-10:])
    n50, n10 = len(h.recent_ranks) + 1.0, len(h.recent_ranks[-10:]) + 1.0
    after3 = h.transitions3.get((h.before2, h.before, m.current), Counter())
    totals3 = (
        sum(from_here.values()) + 1.0,
        sum(after_last.values()) + 1.0,
        sum(by_stay_rank.values()) + 1.0,
        sum(after3.values()) + 1.0,
    )
    current_category = m.category_of(m.current)
    current_system = current_category == "system"
    rows = np.zeros((len(candidates), len(FEATURES)))
    for i, c in enumerate(candidates):
        rank = rank_of.get(c, 100)
        capped = min(rank, RANK_CAP)
        back = h.transitions.get(c, Counter())
        category = m.category_of(c)
        rows[i] = (
            1.0 / rank,
            (after.get(c, 0) + 0.1) / totals[0],
            (after2.get(c, 0) + 0.1) / totals[1],
            (at_hour.get(c, 0) + 0.1) / totals[2],
            h.count[c] / totals[3],
            math.log1p(recent50[c]),
            math.log1p(max(m.at - h.last_used.get(c, m.at), 0.0) / 60.0),
            float(rank == 1),
            float(rank == 2),
            float(rank == 3),
            (decayed.get(c, 0.0) + 0.1) / totals[4],
            math.log1p(h.switches - h.last_transition.get((m.current, c), h.switches - 1000)),
            (back.get(m.current, 0) + 0.1) / (sum(back.values()) + 1.0),
            (by_stay.get(c, 0) + 0.1) / totals[5],
            math.log1p(recent10[c]),
            float(short and rank == 1),
            float(category == "system"),
            float(current_system and rank == 1),
            float(h.before == c),
            m.belief(category),
            float(category == current_category),
            m.category_transition(category),
            float(short) / rank,
            (from_here.get(capped, 0) + 0.1) / totals3[0],
            (after_last.get(capped, 0) + 0.1) / totals3[1],
            (by_stay_rank.get(capped, 0) + 0.1) / totals3[2],
            (after3.get(c, 0) + 0.1) / totals3[3],
            (h.chosen_at.get((c, capped), 0) + 0.1) / (h.seen_at.get((c, capped), 0) + 1.0),
            h.stay_log_sum.get(c, 0.0) / h.stay_n[c] if h.stay_n[c] else 0.0,
            (ranks50.get(capped, 0) + 0.1) / n50,
            (ranks10.get(capped, 0) + 0.1) / n10,
        )
    return rows


@dataclass
class PointerHead:
    """Scores candidate rows: linear skip + one ReLU layer, over standardized features."""

    mean: np.ndarray
    scale: np.ndarray
    params: dict[str, np.ndarray]
    trained_on: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden(self) -> int:
        return int(self.params["v"].shape[0])

    def scores(self, rows: np.ndarray) -> np.ndarray:
        x = (rows - self.mean) / self.scale
        p = self.params
        return x @ p["u"] + np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["v"]

    def rank(self, candidates: Sequence[Hashable], rows: np.ndarray) -> list[Hashable]:
        """Return the candidates best first (stable for ties)."""
        return [candidates[i] for i in np.argsort(-self.scores(rows), kind="stable")]

    # -- persistence ------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "features": list(FEATURES),
                "mean": self.mean.tolist(),
                "scale": self.scale.tolist(),
                "params": {k: v.tolist() for k, v in self.params.items()},
                "trained_on": self.trained_on,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, source: str = "app head") -> PointerHead:
        """Parse a saved head; a head for other features is refused in one line."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT_VERSION or tuple(data["features"]) != FEATURES:
                raise ValueError(
                    f"it was made for another feature list (format {data.get('format')}, this "
                    f"code reads {FORMAT_VERSION}); retrain it (sculptor-train pretrain-app-head)"
                )
            head = cls(
                np.asarray(data["mean"], dtype=float),
                np.asarray(data["scale"], dtype=float),
                {k: np.asarray(v, dtype=float) for k, v in data["params"].items()},
                dict(data.get("trained_on", {})),
            )
            width = len(FEATURES)
            if head.mean.shape != (width,) or head.params["W1"].shape[0] != width:
                raise ValueError("its weights do not match the feature list")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{source}: cannot use it: {exc}") from None
        return head

    @classmethod
    def load(cls, path: Path = DEFAULT_PRIOR) -> PointerHead:
        return cls.from_json(path.read_text(encoding="utf-8"), str(path))


Example = tuple[np.ndarray, int]  # (candidate rows, index of the app the user went to)


def _padded(items: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = max(rows.shape[0] for rows, _ in items)
    x = np.zeros((len(items), k, len(FEATURES)))
    mask = np.zeros((len(items), k), dtype=bool)
    target = np.zeros((len(items), k))
    for i, (rows, answer) in enumerate(items):
        x[i, : len(rows)] = rows
        mask[i, : len(rows)] = True
        target[i, answer] = 1.0
    return x, mask, target


def fit(
    items: Sequence[Example],
    *,
    prior: PointerHead | None = None,
    hidden: int = 16,
    epochs: int = 300,
    learning_rate: float = 0.05,
    l2: float = 1e-3,
    seed: int = 0,
) -> PointerHead:
    """Fit the head by full-batch Adam on softmax cross-entropy over each switch's candidates.

    From scratch (standardizing with these items' statistics), or fine-tuned from `prior`
    (keeping its standardization, with the L2 penalty pulling towards the prior's weights).
    """
    if prior is not None:
        mean, scale = prior.mean, prior.scale
        params = {k: v.copy() for k, v in prior.params.items()}
    else:
        rng = np.random.default_rng(seed)
        width = len(FEATURES)
        params = {
            "u": np.zeros(width),
            "W1": rng.normal(0.0, 0.3, (width, hidden)),
            "b1": np.zeros(hidden),
            "v": rng.normal(0.0, 0.3, hidden),
        }
        params["u"][0] = 1.0  # start as most-recently-used, a sensible first guess
        mean, scale = np.zeros(width), np.ones(width)
    anchor = {k: (v.copy() if prior is not None else np.zeros_like(v)) for k, v in params.items()}
    if not items or epochs <= 0:
        return PointerHead(mean, scale, params, dict(prior.trained_on) if prior else {})
    x, mask, target = _padded(items)
    if prior is None:
        mean = x[mask].mean(0)
        scale = x[mask].std(0) + 1e-6
    x = np.where(mask[..., None], (x - mean) / scale, 0.0)
    moment1 = {k: np.zeros_like(v) for k, v in params.items()}
    moment2 = {k: np.zeros_like(v) for k, v in params.items()}
    for step in range(1, epochs + 1):
        z = x @ params["W1"] + params["b1"]
        a = np.maximum(z, 0.0)
        logits = np.where(mask, x @ params["u"] + a @ params["v"], -np.inf)
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        g = (probs - target) / len(items)
        ga = g[..., None] * params["v"] * (z > 0)
        grads = {
            "u": np.einsum("nk,nkf->f", g, x),
            "v": np.einsum("nk,nkh->h", g, a),
            "W1": np.einsum("nkh,nkf->fh", ga, x),
            "b1": ga.sum((0, 1)),
        }
        for k in params:
            grad = grads[k] + l2 * (params[k] - anchor[k])
            moment1[k] = 0.9 * moment1[k] + 0.1 * grad
            moment2[k] = 0.999 * moment2[k] + 0.001 * grad * grad
            step_size = learning_rate * (moment1[k] / (1 - 0.9**step))
            params[k] -= step_size / (np.sqrt(moment2[k] / (1 - 0.999**step)) + 1e-8)
    return PointerHead(mean, scale, params, dict(prior.trained_on) if prior else {})


def mrr(head: PointerHead, items: Sequence[Example]) -> float:
    """Mean reciprocal rank of the true app among each example's candidates."""
    if not items:
        return 0.0
    total = 0.0
    for rows, answer in items:
        scores = head.scores(rows)
        total += 1.0 / (1 + int(np.sum(scores > scores[answer])))
    return total / len(items)


FINE_TUNE_EPOCHS = (0, 25, 50, 100)


def personalize(
    prior: PointerHead, items: Sequence[Example], learning_rate: float = 0.01
) -> tuple[PointerHead, int]:
    """Fine-tune the prior on one user's chronological examples; return (head, epochs).

    The epoch count is chosen on the latest fifth of the user's own examples (fitted on the
    rest), then the head is fine-tuned on all of them with that count; 0 keeps the prior.
    """
    cut = int(len(items) * 0.8)
    fit_part, check_part = items[:cut], items[cut:]
    if len(check_part) < 20:
        return prior, 0
    best_epochs, best = 0, mrr(prior, check_part)
    for epochs in FINE_TUNE_EPOCHS[1:]:
        candidate = fit(fit_part, prior=prior, epochs=epochs, learning_rate=learning_rate)
        score = mrr(candidate, check_part)
        if score > best + 1e-9:
            best_epochs, best = epochs, score
    if best_epochs == 0:
        return prior, 0
    return fit(items, prior=prior, epochs=best_epochs, learning_rate=learning_rate), best_epochs


class SwitchLike(Protocol):
    """One moment the foreground app changed (training.evaluate.Switch has these fields)."""

    @property
    def at(self) -> float: ...
    @property
    def previous_app(self) -> str: ...
    @property
    def app(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def previous_category(self) -> str: ...
    @property
    def hour(self) -> int: ...
    @property
    def dwell_s(self) -> float: ...


def walk(
    switches: Sequence[SwitchLike], beliefs: Sequence[Callable[[str], float]]
) -> Iterator[tuple[AppHistory, list[Hashable], np.ndarray]]:
    """Yield (history before the switch, candidates, candidate rows) for each switch in order.

    The history is updated after each yield, so every row sees only what came before it.
    """
    history = AppHistory()
    app_category: dict[Hashable, str] = {}
    category_after: dict[str, Counter[str]] = defaultdict(Counter)
    for s, belief in zip(switches, beliefs, strict=True):
        app_category.setdefault(s.previous_app, s.previous_category)
        after = category_after[s.previous_category]
        total = sum(after.values()) + 1.0

        def transition(c: str, after: Counter[str] = after, total: float = total) -> float:
            return (after.get(c, 0) + 0.1) / total

        moment = Moment(
            current=s.previous_app,
            at=s.at,
            hour=s.hour,
            stay_s=s.dwell_s,
            belief=belief,
            category_of=lambda a: app_category.get(a, "unknown"),
            category_transition=transition,
        )
        candidates = history.candidates(s.previous_app)
        rows = (
            candidate_rows(history, candidates, moment)
            if candidates
            else np.zeros((0, len(FEATURES)))
        )
        yield history, candidates, rows
        history.observe(s.previous_app, s.app, s.at, s.hour, s.dwell_s)
        category_after[s.previous_category][s.category] += 1
        app_category[s.app] = s.category


def examples(
    switches: Sequence[SwitchLike], beliefs: Sequence[Callable[[str], float]]
) -> list[Example]:
    """Return the training examples of one history (switches whose app was a candidate)."""
    out: list[Example] = []
    for s, (_, candidates, rows) in zip(switches, walk(switches, beliefs), strict=True):
        if s.app in candidates:
            out.append((rows, candidates.index(s.app)))
    return out
