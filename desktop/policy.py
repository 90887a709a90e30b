"""When a suggestion may appear at all, and which one: hard rules, a bandit and a personal head.

Qt-free and store-agnostic: everything here works on plain values and stored suggestions
(`desktop.records.SuggestionRecord`), so the engine, the simulator (training.simulate) and tests
drive it with an injected clock. Three layers, consulted in this order by desktop.engine:

1. `HardRules`: rules that never bend (quiet hours, meetings, full screen, screen sharing, what
   is still on screen, a pending snooze, the daily cap, gaps with back-off). Each returns a human
   reason that ends up in `Decision.reason`.
2. `PersonalHead`: a small numpy logistic head per suggestion kind, refitted nightly on the
   user's stored outcomes, that adjusts the model's acceptance score (the on-device
   personalization; the full fine-tune stays with `sculptor-train finetune`).
3. `ThompsonPolicy`: a contextual bandit over (kind, time-of-day bucket) that chooses to show one
   candidate or to hold, and returns the probability of its choice so that it can be logged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop.config import Config, parse_quiet_hours
from desktop.localtime import DAY_S, local_day, local_hour
from desktop.plan.notices import KINDS as PLAN_KINDS
from desktop.records import SuggestionRecord

NEGATIVE = ("dismissed", "ignored")
# The exploration temperature at which the bandit samples each arm from its posterior as it is
# (plain Thompson sampling): the shipped default of `Config.exploration_temperature`.
REFERENCE_TEMPERATURE = Config().exploration_temperature or 0.08
# Time-of-day buckets of the bandit's arms (local hours): morning, midday, afternoon, evening.
BUCKET_EDGES = (11.0, 14.0, 17.0)
BUCKET_NAMES = ("morning", "midday", "afternoon", "evening")
# Kinds tied to a moment in the world (a meeting, a distraction running now): they need only
# the short spacing after the previous suggestion, not the full minimum gap.
TIME_BOUND_KINDS = frozenset({"meeting_prep", "distraction"})
# Apps whose foreground presence means a call or a shared screen (titles are hashed by default,
# so the app name and the "meetings" category are what the policy can see).
CALL_APPS = re.compile(
    r"zoom|teams|skype|webex|gotomeeting|bluejeans|jitsi|whereby|facetime|ringcentral"
    r"|google meet|^obs(64|32|-studio)?(\.exe)?$",
    re.IGNORECASE,
)


# --- hard rules ----------------------------------------------------------------------------------


def in_hours(hour: float, window: tuple[float, float]) -> bool:
    """Return True when a local hour falls in [start, end), windows may wrap midnight."""
    start, end = window
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def is_call_app(app: str, category: str = "") -> bool:
    """Return True for a foreground app that is a call or screen share (by name or category)."""
    if category == "meetings":
        return True
    return bool(CALL_APPS.search(app.strip()))


@dataclass(frozen=True)
class Moment:
    """What the hard rules need to know about now."""

    now: float
    utc_offset_s: float = 0.0
    in_meeting: bool = False
    fullscreen: bool = False
    foreground_app: str = ""
    foreground_category: str = ""


@dataclass(frozen=True)
class SnoozeState:
    """The last suggestion was snoozed: it is due again at `due_at`."""

    record_id: int
    kind: str
    due_at: float


class HardRules:
    """Rules that never bend; each check returns None (allowed) or the human reason why not."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.quiet = parse_quiet_hours(config.quiet_hours)

    # rules about the moment, before any candidate or score ---------------------------------
    def moment_block(self, moment: Moment) -> str | None:
        """Return why nothing at all may be shown at this moment, or None."""
        hour = local_hour(moment.now, moment.utc_offset_s)
        if self.quiet is not None and in_hours(hour, self.quiet):
            return f"quiet hours ({self.config.quiet_hours})"
        if moment.in_meeting:
            return "in a calendar meeting"
        if self.config.respect_fullscreen and moment.fullscreen:
            return "a full-screen app is in front (presentation, video or game)"
        if self.config.respect_calls and is_call_app(
            moment.foreground_app, moment.foreground_category
        ):
            return f"a call or screen share is in front ({moment.foreground_app or 'meeting'})"
        return None

    # rules about the suggestion history ----------------------------------------------------
    def pending_snooze(
        self, records: Sequence[SuggestionRecord], snooze_minutes: dict[int, float]
    ) -> SnoozeState | None:
        """Return the snooze that is still owed: the most recent suggestion, when it was snoozed."""
        # A plan block's "Move" (and "Partly" at its end) is stored as snoozed, but the block
        # itself moved (or was answered): nothing is owed after it.
        if not records or records[-1].outcome != "snoozed" or records[-1].kind in PLAN_KINDS:
            return None
        last = records[-1]
        minutes = snooze_minutes.get(last.id) or self.config.default_snooze_min
        at = last.outcome_at if last.outcome_at is not None else last.created_at
        return SnoozeState(last.id, last.kind, at + 60.0 * minutes)

    def history_block(
        self, now: float, records: Sequence[SuggestionRecord], utc_offset_s: float
    ) -> str | None:
        """Return why no new suggestion may come now whatever its kind (on screen, spacing, cap)."""
        cfg = self.config
        if records:
            last = records[-1]
            if last.outcome is None and 0 <= now - last.created_at < cfg.expire_after_s:
                return "the previous suggestion is still on screen"
            answered = last.outcome_at if last.outcome_at is not None else last.created_at
            if now - answered < 60.0 * cfg.min_spacing_min:
                return (
                    f"never back to back: the previous one was answered "
                    f"{(now - answered) / 60:.0f} min ago (< {cfg.min_spacing_min:.0f})"
                )
        today = local_day(now, utc_offset_s)
        shown_today = sum(1 for r in records if local_day(r.created_at, utc_offset_s) == today)
        if shown_today >= cfg.daily_cap:
            return f"daily cap of {cfg.daily_cap} reached"
        return None

    def backoff_factor(self, kind: str, records: Sequence[SuggestionRecord]) -> float:
        """Return how many times the minimum gap a kind needs now (1 unless it keeps being refused).

        Every `backoff_after` consecutive dismissals or ignores of a kind double its gap, up to
        `backoff_max_factor`; an acceptance resets it; a snooze neither counts nor resets.
        """
        streak = 0
        for record in reversed(records):
            if record.kind != kind or record.outcome is None or record.outcome == "snoozed":
                continue
            if record.outcome == "accepted":
                break
            streak += 1
        if self.config.backoff_after <= 0:
            return 1.0
        doublings = streak // self.config.backoff_after
        return float(min(self.config.backoff_max_factor, 2.0**doublings))

    def kind_block(
        self,
        kind: str,
        now: float,
        records: Sequence[SuggestionRecord],
        taught: Lessons | None = None,
    ) -> str | None:
        """Return why this kind may not be shown now (minimum gap, backed off), or None.

        `taught`: what the user's "Not like this" answers changed ("too often" stretches the gap).
        """
        cfg = self.config
        if kind not in TIME_BOUND_KINDS and records:
            since = now - records[-1].created_at
            if since < 60.0 * cfg.min_gap_min:
                return f"last suggestion {since / 60:.0f} min ago (< {cfg.min_gap_min:.0f})"
        factor = self.backoff_factor(kind, records)
        told = taught.gap_factor(kind) if taught is not None else 1.0
        same = [r for r in records if r.kind == kind]
        if same:
            gap = cfg.min_gap_min * factor * told
            since = now - same[-1].created_at
            if since < 60.0 * gap:
                refused = "" if factor == 1.0 else f", backed off x{factor:g} after refusals"
                if told != 1.0:
                    refused += f", x{told:g} because you said it came too often"
                return f"last {kind} suggestion {since / 60:.0f} min ago (< {gap:.0f}{refused})"
        return None


# --- what the user said ("Not like this") --------------------------------------------------------

REASON_DAYS = 30.0  # reasons given in the last month count
TOO_OFTEN_STEP = 1.5  # each "too often" stretches that kind's minimum gap by half
TOO_OFTEN_MAX = 4.0
NOT_USEFUL_STEP = 0.7  # each "not useful" lowers that kind's chance everywhere
OFFER_OFF_AFTER = 3  # ... and after this many, the model page offers to switch the kind off
BAD_MOMENT_STEP = 0.6  # each "bad moment" lowers that kind in that part of the day


@dataclass(frozen=True)
class Lessons:
    """What the user's "Not like this" answers of the last month changed, per kind."""

    too_often: dict[str, int] = field(default_factory=dict)
    not_useful: dict[str, int] = field(default_factory=dict)
    bad_moment: dict[tuple[str, int], int] = field(default_factory=dict)  # (kind, bucket)

    def gap_factor(self, kind: str) -> float:
        """Return how many times its usual minimum gap a kind now waits."""
        return float(min(TOO_OFTEN_MAX, TOO_OFTEN_STEP ** self.too_often.get(kind, 0)))

    def prior_factor(self, kind: str) -> float:
        return float(NOT_USEFUL_STEP ** self.not_useful.get(kind, 0))

    def timing_factor(self, kind: str, bucket: int) -> float:
        return float(BAD_MOMENT_STEP ** self.bad_moment.get((kind, bucket), 0))

    def offer_off(self, kind: str) -> bool:
        return self.not_useful.get(kind, 0) >= OFFER_OFF_AFTER


def lessons(
    records: Sequence[SuggestionRecord],
    now: float,
    utc_offset_s: float,
    forgotten: dict[str, float] | None = None,
) -> Lessons:
    """Return what the reasons given in the last month teach; `forgotten` kinds start afresh.

    `forgotten` maps a kind to the moment the user asked the app to forget what they had said
    about it: reasons given before then no longer count (undo).
    """
    too_often: dict[str, int] = {}
    not_useful: dict[str, int] = {}
    bad_moment: dict[tuple[str, int], int] = {}
    since = now - REASON_DAYS * DAY_S
    for record in records:
        if record.reason is None or record.created_at < since:
            continue
        if record.created_at < (forgotten or {}).get(record.kind, -math.inf):
            continue
        if record.reason == "too_frequent":
            too_often[record.kind] = too_often.get(record.kind, 0) + 1
        elif record.reason == "not_useful":
            not_useful[record.kind] = not_useful.get(record.kind, 0) + 1
        elif record.reason == "bad_moment":
            bucket = time_bucket(local_hour(record.created_at, utc_offset_s))
            key = (record.kind, bucket)
            bad_moment[key] = bad_moment.get(key, 0) + 1
    return Lessons(too_often, not_useful, bad_moment)


# --- the personal head ---------------------------------------------------------------------------

HEAD_NAME = "personal_head.json"
HEAD_MIN_OUTCOMES = 8
HEAD_L2 = 20.0
MAX_IPW = 10.0
HEAD_HOLDOUT = 1.0 / 3.0  # the newest share of a kind's outcomes that validates its head
HEAD_MIN_GAIN = 0.02  # nats per outcome the head must gain on them over the prior alone
# What the head looks at, from the featurizer's context vector (edge_model.features._one), each
# centred and scaled to about unit spread over a working day, so one L2 penalty means the same
# for each: (name, context index, centre, scale). Minutes without a break and minutes since the
# last suggestion are where people differ most (break rhythm, tolerance for interruptions), the
# time of day is where their good and bad hours are. Left out on purpose: the weekday (two weeks
# of outcomes hold two of each, so its weights fitted noise and the head did worse than the
# model on the following week, measured on simulated users), idle and battery (nearly constant).
HEAD_FEATURES = (
    ("minutes_active", 5, 0.7, 0.25),
    ("minutes_in_activity", 6, 0.15, 0.15),
    ("since_suggestion", 8, 0.9, 0.3),
    ("hour_sin", 0, -0.3, 0.5),
    ("hour_cos", 1, -0.7, 0.3),
)


def head_features(context: np.ndarray) -> np.ndarray:
    """Return the personal head's inputs (HEAD_FEATURES, scaled) from context vector(s)."""
    x = np.asarray(context, dtype=np.float64)
    index = [i for _, i, _, _ in HEAD_FEATURES]
    centre = np.array([c for _, _, c, _ in HEAD_FEATURES])
    scale = np.array([s for _, _, _, s in HEAD_FEATURES])
    return (x[..., index] - centre) / scale


def _logit(p: float | np.ndarray) -> Any:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


@dataclass
class PersonalHead:
    """Per-kind logistic adjustment of the model's acceptance score, fitted on-device.

    p = sigmoid(logit(prior) + w . f(context) + b), with f the scaled HEAD_FEATURES of the 11
    logged context features of the featurizer. Fitted by L2-regularised, inverse-propensity-
    weighted logistic regression (IPW, weights capped at 10), so it estimates acceptance under
    the context distribution of all moments, not only of the ones the policy chose to show.
    Strong L2 keeps it near the identity (w = 0, b = 0) until the user's own outcomes say
    otherwise, and a kind's head is kept only when it predicts that kind's newest outcomes
    better than the prior alone (`fit`), so a head fitted to noise does not hurt.
    """

    weights: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fitted_at: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why it stays the identity

    def adjust(self, kind: str, prior: float, context: np.ndarray) -> float:
        """Return the personalised acceptance probability for a kind given the model's prior."""
        w = self.weights.get(kind)
        if not w or len(w) != len(HEAD_FEATURES) + 1:
            return prior  # none yet, or one saved by an older version: the identity
        x = head_features(context)
        z = _logit(prior) + float(np.dot(w[:-1], x)) + w[-1]
        return float(_sigmoid(z))

    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[str, float, np.ndarray, float, float]],
        now: float = 0.0,
    ) -> PersonalHead:
        """Fit from (kind, prior score, context vector, label 0/1, propensity) per outcome.

        Examples come oldest first. A kind's head is kept only when, fitted on its older
        outcomes, it predicts the newest HEAD_HOLDOUT of them better than the prior alone;
        otherwise the kind stays at the identity (the head must do no harm).
        """
        by_kind: dict[str, list[tuple[float, np.ndarray, float, float]]] = {}
        for kind, prior, context, label, propensity in examples:
            by_kind.setdefault(kind, []).append((prior, np.asarray(context), label, propensity))
        head = cls(fitted_at=now)
        for kind, rows in by_kind.items():
            head.counts[kind] = len(rows)
            if len(rows) < HEAD_MIN_OUTCOMES:
                continue
            cut = len(rows) - max(1, int(round(HEAD_HOLDOUT * len(rows))))
            trial = _fit_rows(rows[:cut])
            held = rows[cut:]
            if _log_loss(trial, held) >= _log_loss(None, held) - HEAD_MIN_GAIN:
                head.skipped[kind] = "did not predict your newest outcomes better than the model"
                continue
            head.weights[kind] = [float(v) for v in _fit_rows(rows)]
        return head

    def save(self, directory: Path) -> Path:
        """Write the head as JSON into the data dir (atomically, mode 0600); return its path."""
        from edge_model import files  # learned from the user's answers: private, like the db

        text = json.dumps(
            {
                "fitted_at": self.fitted_at,
                "counts": self.counts,
                "weights": self.weights,
                "skipped": self.skipped,
            },
            indent=1,
        )
        return files.write_private(Path(directory) / HEAD_NAME, text.encode("utf-8"))

    @classmethod
    def load(cls, directory: Path) -> PersonalHead | None:
        """Return the saved head, or None when there is none (or it cannot be read)."""
        path = Path(directory) / HEAD_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                weights={k: [float(x) for x in v] for k, v in data["weights"].items()},
                counts={k: int(v) for k, v in data.get("counts", {}).items()},
                fitted_at=float(data.get("fitted_at", 0.0)),
                skipped={k: str(v) for k, v in data.get("skipped", {}).items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


GATE_MIN_ANSWERS = 10  # answers a head in use has not seen, to compare a refit with it
GATE_HOLDOUT = 1.0 / 3.0  # with no head in use: the newest share of the answers (>= the above)


@dataclass(frozen=True)
class HeadUpdate:
    """What a nightly refit of a head did: the head now in use and the comparison behind it."""

    installed: bool  # the refitted head replaced the one in use
    reason: str
    candidate: dict[str, float]  # the refit's figures on the newest answers
    in_use: dict[str, float]  # the figures of the head that was in use, on the same answers

    def record(self, part: str, at: float) -> dict[str, Any]:
        return {
            "at": at,
            "part": part,
            "installed": self.installed,
            "reason": self.reason,
            "candidate": self.candidate,
            "in_use": self.in_use,
        }


def _scores(
    head: PersonalHead | None, rows: Sequence[tuple[str, float, np.ndarray, float, float]]
) -> dict[str, float]:
    """Return log loss and Brier score of a head's acceptance on answers (None: the model's)."""
    p = np.array(
        [
            head.adjust(kind, prior, context) if head else prior
            for kind, prior, context, _, _ in rows
        ]
    )
    p = np.clip(p, 1e-4, 1 - 1e-4)
    y = np.array([row[3] for row in rows])
    return {
        "answers": float(len(rows)),
        "accept_log_loss": _mean_log_loss(p, y),
        "accept_brier": float(np.mean((p - y) ** 2)),
    }


def gate_head(
    in_use: PersonalHead | None,
    examples: Sequence[tuple[str, float, np.ndarray, float, float]],
    now: float,
    times: Sequence[float] | None = None,
) -> tuple[PersonalHead | None, HeadUpdate]:
    """Refit the personal head and install it only if the one in use does not predict better.

    Judged on answers neither head saw: those given after the head in use was fitted
    (`times`, one per example, oldest first), against a trial refit made from the answers
    before them. A head in use with fewer than GATE_MIN_ANSWERS answers after it has too little
    new evidence against it: the refit is installed. With no head in use the refit is judged
    against the model's own scores on the newest GATE_HOLDOUT of the answers. Measured: log
    loss (which punishes overconfidence) and the Brier score; the head in use stays only if its
    log loss is lower by HEAD_MIN_GAIN or more.
    """
    candidate = PersonalHead.fit(examples, now=now)
    rows = list(examples)
    if in_use is None:
        held = max(GATE_MIN_ANSWERS, int(round(GATE_HOLDOUT * len(rows))))
        if len(rows) < 2 * GATE_MIN_ANSWERS:
            return candidate, HeadUpdate(True, f"first head, from {len(rows)} answers", {}, {})
        older, newer = rows[:-held], rows[-held:]
    else:
        if times is None or len(times) != len(rows):
            raise ValueError("gate_head needs the time of every answer to compare heads")
        older = [r for r, t in zip(rows, times, strict=True) if t <= in_use.fitted_at]
        newer = [r for r, t in zip(rows, times, strict=True) if t > in_use.fitted_at]
        if len(newer) < GATE_MIN_ANSWERS:
            reason = (
                f"{len(newer)} answers since the head in use was fitted, too few to compare: "
                "refitted"
            )
            return candidate, HeadUpdate(True, reason, {}, {})
    trial = PersonalHead.fit(older, now=now)
    new, old = _scores(trial, newer), _scores(in_use, newer)
    kept = "the head in use" if in_use is not None else "the model alone"
    if old["accept_log_loss"] < new["accept_log_loss"] - HEAD_MIN_GAIN:
        reason = (
            f"{kept} predicted your {len(newer)} newest answers better "
            f"(log loss {old['accept_log_loss']:.3f} vs {new['accept_log_loss']:.3f})"
        )
        return in_use, HeadUpdate(False, reason, new, old)
    reason = (
        f"predicted your {len(newer)} newest answers as well as {kept} or better "
        f"(log loss {new['accept_log_loss']:.3f} vs {old['accept_log_loss']:.3f})"
    )
    return candidate, HeadUpdate(True, reason, new, old)


def _fit_rows(rows: Sequence[tuple[float, np.ndarray, float, float]]) -> np.ndarray:
    """Return the weights (HEAD_FEATURES, then the bias) of one kind's head on its outcomes."""
    offset = _logit(np.array([r[0] for r in rows]))
    x = head_features(np.stack([r[1] for r in rows]))
    x = np.concatenate([x, np.ones((len(rows), 1))], axis=1)
    y = np.array([r[2] for r in rows])
    sw = np.minimum(1.0 / np.maximum([r[3] for r in rows], 1e-3), MAX_IPW)
    w = np.zeros(x.shape[1])
    for _ in range(25):  # Newton steps on a convex, small problem
        p = _sigmoid(offset + x @ w)
        grad = x.T @ (sw * (p - y)) + HEAD_L2 * w
        hess = (x.T * (sw * p * (1 - p))) @ x + HEAD_L2 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def _log_loss(
    weights: np.ndarray | None, rows: Sequence[tuple[float, np.ndarray, float, float]]
) -> float:
    """Return the mean log loss on outcomes of the prior adjusted by `weights` (None: prior)."""
    z = _logit(np.array([r[0] for r in rows]))
    if weights is not None:
        z = z + head_features(np.stack([r[1] for r in rows])) @ weights[:-1] + weights[-1]
    return _mean_log_loss(_sigmoid(z), np.array([r[2] for r in rows]))


def _mean_log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Return the mean log loss of probabilities `p` (kept within [1e-4, 1 - 1e-4]) on 0/1 `y`."""
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# --- the bandit ----------------------------------------------------------------------------------


def time_bucket(hour: float) -> int:
    """Return the index of the time-of-day bucket of a local hour."""
    return sum(hour >= edge for edge in BUCKET_EDGES)


@dataclass(frozen=True)
class Arm:
    """One candidate offered to the bandit at this tick."""

    kind: str
    prior: float  # acceptance probability before this arm's outcomes (model + personal head)
    timing: float  # 0..1 multiplier: 1 at a natural break, lower mid-flow


@dataclass(frozen=True)
class Choice:
    """What the bandit did: the shown kind (or None to hold) and the probabilities it had."""

    kind: str | None
    propensity: float  # probability of the action taken (show `kind`, or hold)
    show_probabilities: dict[str, float]
    posterior_means: dict[str, float]


class ThompsonPolicy:
    """Thompson sampling over (kind, time-of-day bucket) arms with a "hold" action.

    Each arm's acceptance at this moment is sigmoid(logit(p) + delta): p is the moment's prior
    (the model's acceptance score, or the kind's stated prior, adjusted by the personal head)
    and delta the arm's correction, with a Gaussian posterior (Laplace approximation) fitted
    on the user's stored outcomes of that kind in that bucket, each against the prior it was
    shown with: prior N(0, 4 / prior_strength); accepted = 1, dismissed, ignored and snoozed =
    0, as the acceptance the prior predicts is labelled (the network's head, the personal head
    and the offline IPW labels alike): counting a snooze as half an acceptance biased every
    arm's correction upward by half its snooze rate, so the policy showed more at the margin
    than its answers bore out. So the moment's context keeps its say (a Beta
    posterior per arm would pool good and bad moments of an arm into one rate) and the user's
    reactions move each arm up or down. One draw of delta per arm, times the arm's timing
    factor (1 at a natural break); the best arm is shown when it beats `break_threshold` (the
    value of not interrupting), else the policy holds.

    `exploration_temperature` scales the spread of the draws: at its default
    (REFERENCE_TEMPERATURE) they come from the posterior as it is; at 0 every draw is the
    posterior mean, so the policy is greedy and deterministic (each action's probability is 0
    or 1, and the floor does not apply); above the default the draws are wider, so arms under
    the threshold are tried more often and arms over it held more often.

    The policy has no closed form for the probability of its action, so it is estimated by
    Monte Carlo (`draws` joint draws), and the action itself is then drawn from that estimate:
    the logged propensity is exactly the probability with which the logged action was taken.
    Kinds whose estimated probability is below `floor` are never shown (evaluated every
    minute, a 1% chance still adds up to stray suggestions). Offline learning
    (training.dataset.examples_from_feedback) weights each logged outcome by 1 / propensity:
    the inverse-propensity (IPW) estimator, unbiased because every logged propensity is > 0
    and is the true probability of the logged action; not doubly robust (no outcome model is
    subtracted), which is simpler and fine at its weight cap (10).
    """

    def __init__(
        self,
        config: Config,
        rng: np.random.Generator,
        *,
        draws: int = 4000,
        floor: float = 0.05,
    ) -> None:
        self.config = config
        self.rng = rng
        self.draws = draws
        self.floor = floor

    @property
    def prior_sd(self) -> float:
        return 2.0 / math.sqrt(max(self.config.prior_strength, 1e-3))

    @property
    def spread(self) -> float:
        """Return the factor on the posterior sd of the draws (1 at the default temperature)."""
        return max(0.0, float(self.config.exploration_temperature)) / REFERENCE_TEMPERATURE

    def posteriors(
        self, outcomes: Iterable[tuple[str, float, float, str]], utc_offset_s: float
    ) -> dict[tuple[str, int], tuple[float, float]]:
        """Return (mean, sd) of each arm's log-odds correction from (kind, at, prior, outcome)."""
        by_arm: dict[tuple[str, int], list[tuple[float, float]]] = {}
        for kind, at, prior, outcome in outcomes:
            label = 1.0 if outcome == "accepted" else 0.0
            key = (kind, time_bucket(local_hour(at, utc_offset_s)))
            by_arm.setdefault(key, []).append((float(_logit(prior)), label))
        result = {}
        precision0 = 1.0 / self.prior_sd**2
        for key, rows in by_arm.items():
            logits = np.array([r[0] for r in rows])
            labels = np.array([r[1] for r in rows])
            delta = 0.0
            hess = precision0
            for _ in range(20):
                p = _sigmoid(logits + delta)
                grad = float(np.sum(labels - p)) - precision0 * delta
                hess = float(np.sum(p * (1 - p))) + precision0
                step = grad / hess
                delta += step
                if abs(step) < 1e-6:
                    break
            result[key] = (delta, 1.0 / math.sqrt(hess))
        return result

    def probabilities(
        self,
        arms: Sequence[Arm],
        bucket: int,
        posteriors: dict[tuple[str, int], tuple[float, float]],
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Return the Monte Carlo probability of showing each arm (after the floor) and means."""
        if not arms:
            return {}, {}
        params = [
            posteriors.get((arm.kind, bucket), (0.0, self.prior_sd))
            if self.config.learning
            else (0.0, self.prior_sd)
            for arm in arms
        ]
        mean = np.array([p[0] for p in params])
        sd = np.array([p[1] for p in params])
        base = np.array([_logit(min(0.98, max(0.02, arm.prior))) for arm in arms])
        timing = np.array([arm.timing for arm in arms])
        spread = self.spread
        if spread == 0.0:
            draws = mean[np.newaxis, :]  # greedy: one "draw", the posterior mean
        else:
            draws = mean + spread * sd * self.rng.standard_normal((self.draws, len(arms)))
        theta = _sigmoid(base + draws) * timing
        best = np.argmax(theta, axis=1)
        show = theta[np.arange(len(theta)), best] >= self.config.break_threshold
        floor = self.floor if spread > 0.0 else 0.0
        probs = {}
        for i, arm in enumerate(arms):
            p = float(np.mean(show & (best == i)))
            probs[arm.kind] = p if p >= floor else 0.0
        means = {
            arm.kind: float(_sigmoid(b + m)) for arm, b, m in zip(arms, base, mean, strict=True)
        }
        return probs, means

    def choose(
        self,
        arms: Sequence[Arm],
        hour: float,
        posteriors: dict[tuple[str, int], tuple[float, float]],
    ) -> Choice:
        """Draw the action for this tick: show one arm's kind, or hold."""
        probs, means = self.probabilities(arms, time_bucket(hour), posteriors)
        u = float(self.rng.random())
        acc = 0.0
        for kind, p in probs.items():
            acc += p
            if p > 0 and u < acc:
                return Choice(kind, p, probs, means)
        return Choice(None, max(0.0, 1.0 - acc), probs, means)
