"""When will the current activity end? Simple statistics, and a head over them (numpy only).

The network's switch-soon and time-to-switch heads learn mostly from synthetic people. On the
real traces' held-out moments they lose to a statistic of the recent window with no learning
at all — of the finished spans in the window that already lasted longer than the current one
has, how much longer they went on (`window_remaining`). The user's own stays in the current app
over the last two weeks (`AppStays`) say more still. So the app does not take the network's
timing at its word: a small head combines the network's two timing outputs with the window's
and the app's statistics (`rows`) — logistic for "ends within 5 minutes", linear in
log-minutes for "minutes until it ends". Its weights are pretrained across people
(`sculptor-train pretrain-timing-head`, shipped as `timing_head.json`) and personalized on the
device from the user's own timeline: every past moment is labelled by what happened next, so
no feedback is needed, and the personal fit is kept only where it predicts the user's newest
moments better than the prior.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_model import features, files

FORMAT_VERSION = 1
SHIPPED_PRIOR = Path(__file__).resolve().parent / "timing_head.json"
HORIZON_MIN = features.SWITCH_HORIZON_S / 60.0
MIN_SAME_CATEGORY = 3  # finished spans of the current category needed to use them alone
STAY_DAYS = 14  # the user's own stays in an app that count for it
MIN_STAYS = 3  # fewer stays of the app longer than the current one: no app statistic
FEATURES: tuple[str, ...] = (
    "network_switch_soon_logit",
    "network_log_minutes",
    "window_log_minutes",
    "window_says_soon",
    "window_share_ending_soon",
    "window_has_no_longer_span",
    "window_log_longer_spans",
    "log_elapsed_minutes",
    "app_log_minutes",
    "app_share_ending_soon",
    "app_log_longer_stays",
    "app_has_too_few_stays",
)
APP_FEATURES = 4  # the last four: from AppStays
MOMENTS_PER_HOUR = 12.0  # labelled moments per active hour, for the prior and on the device
L2 = 0.05  # pull of the personal fit toward the prior (per standardized weight)
MIN_MOMENTS = 200  # fewer labelled moments than this: the prior alone
HOLDOUT = 0.2  # newest share of the moments that decides whether the personal fit is kept
GATE_MIN_MOMENTS = 100  # moments a head in use has not seen, to compare a refit with it
GATE_MARGIN = 0.002  # what the head in use must win a part by to keep it


def window_statistics(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return, per moment, what the recent window alone says about the current activity's end.

    From the finished spans in the window (the network's own input) that already lasted longer
    than the current one has — those of the current category where at least three qualify,
    else those of any category: `remaining`, the median of how much longer they went on
    (minutes); `share_soon`, the share of them that ended within the switch-soon horizon;
    `longer`, how many there were. Where none did, the current activity is expected to last as
    long again as it has (at least half a minute) and `share_soon` is nan.
    """
    lengths = features.minutes_from_log(inputs["span_features"][:, :, 0])
    real = inputs["span_features"][:, :, 5] > 0.5
    elapsed = features.minutes_from_log(inputs["context"][:, 6])
    categories = inputs["category_ids"]
    size = len(elapsed)
    remaining = np.empty(size)
    share_soon = np.full(size, np.nan)
    longer_count = np.zeros(size)
    for row, e in enumerate(elapsed):
        positions = np.flatnonzero(real[row])
        if positions.size == 0:
            remaining[row] = max(e, 0.5)
            continue
        current, finished = positions[-1], positions[:-1]
        longer = finished[lengths[row, finished] > e]
        same = longer[categories[row, longer] == categories[row, current]]
        pool = same if same.size >= MIN_SAME_CATEGORY else longer
        longer_count[row] = pool.size
        if pool.size:
            left = lengths[row, pool] - e
            remaining[row] = float(np.median(left))
            share_soon[row] = float((left <= HORIZON_MIN).mean())
        else:
            remaining[row] = max(e, 0.5)
    return {
        "remaining": remaining,
        "share_soon": share_soon,
        "longer": longer_count,
        "elapsed": elapsed,
    }


def window_remaining(inputs: dict[str, np.ndarray]) -> np.ndarray:
    """Return the window baseline's minutes until the current activity ends, per moment."""
    return window_statistics(inputs)["remaining"]


@dataclass
class AppStays:
    """The user's finished stays per app (when each ended, how long it lasted), oldest first."""

    ends: dict[str, list[float]] = field(default_factory=dict)
    lengths: dict[str, list[float]] = field(default_factory=dict)

    def add(self, app: str, end: float, seconds: float) -> None:
        """Record a finished stay; stays must come in the order they ended."""
        self.ends.setdefault(app, []).append(end)
        self.lengths.setdefault(app, []).append(seconds)

    def statistics(
        self, app: str, elapsed_s: float, now: float, fresh: Sequence[float] = ()
    ) -> np.ndarray:
        """Return the APP_FEATURES for a stay in `app` that has lasted `elapsed_s` so far.

        Of the app's stays that ended in the last STAY_DAYS (plus `fresh` lengths, stays not
        recorded yet) and lasted longer than this one has: the median minutes they went on
        for, the share that ended within the horizon, how many there were; with fewer than
        MIN_STAYS, "as long again" and a flag.
        """
        ends = self.ends.get(app, [])
        lo, hi = bisect_left(ends, now - STAY_DAYS * 86400.0), bisect_right(ends, now)
        lengths = np.asarray(self.lengths.get(app, [])[lo:hi] + list(fresh), dtype=np.float64)
        left = (lengths[lengths > elapsed_s] - elapsed_s) / 60.0
        if left.size < MIN_STAYS:
            return np.array([np.log1p(max(elapsed_s / 60.0, 0.5)), 0.5, np.log1p(left.size), 1.0])
        share = float((left <= HORIZON_MIN).mean())
        return np.array([np.log1p(float(np.median(left))), share, np.log1p(left.size), 0.0])

    def prune(self, before: float) -> None:
        """Forget stays that ended before `before` (older than any statistic looks)."""
        for app, ends in list(self.ends.items()):
            cut = bisect_left(ends, before)
            if cut:
                del ends[:cut]
                del self.lengths[app][:cut]


def rows(
    inputs: dict[str, np.ndarray],
    switch_soon: np.ndarray,
    minutes: np.ndarray | None,
    app_statistics: np.ndarray,
) -> np.ndarray:
    """Return the head's FEATURES per moment from the inputs and the network's timing outputs.

    `minutes` is the network's time-to-switch in minutes; None (a model made before that head)
    stands in the window's own estimate. `app_statistics` holds `AppStays.statistics` per row.
    """
    window = window_statistics(inputs)
    p = np.clip(np.asarray(switch_soon, np.float64).reshape(-1), 1e-4, 1 - 1e-4)
    network_minutes = window["remaining"] if minutes is None else np.asarray(minutes).reshape(-1)
    no_longer = np.isnan(window["share_soon"])
    window_rows = np.stack(
        [
            np.log(p / (1 - p)),
            np.log1p(np.maximum(network_minutes, 0.0)),
            np.log1p(window["remaining"]),
            (window["remaining"] <= HORIZON_MIN).astype(np.float64),
            np.where(no_longer, 0.5, window["share_soon"]),
            no_longer.astype(np.float64),
            np.log1p(window["longer"]),
            np.log1p(window["elapsed"]),
        ],
        axis=1,
    )
    return np.hstack(
        [window_rows, np.asarray(app_statistics, np.float64).reshape(-1, APP_FEATURES)]
    )


def _with_bias(z: np.ndarray) -> np.ndarray:
    return np.hstack([z, np.ones((len(z), 1))])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


def _fit_logistic(z: np.ndarray, y: np.ndarray, start: np.ndarray, l2: float) -> np.ndarray:
    """Newton's method for logistic regression with an L2 pull toward `start`."""
    w = start.copy()
    eye = np.eye(len(w))
    for _ in range(50):
        p = _sigmoid(z @ w)
        gradient = z.T @ (p - y) / len(y) + l2 * (w - start)
        hessian = (z * (p * (1 - p))[:, None]).T @ z / len(y) + l2 * eye
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def _fit_linear(z: np.ndarray, y: np.ndarray, start: np.ndarray, l2: float) -> np.ndarray:
    """Least absolute deviations (a conditional median) with an L2 pull toward `start`.

    Minutes left are heavy-tailed and judged by the typical factor off, a median: iteratively
    reweighted least squares, each residual weighted by 1 / |residual|.
    """
    eye = np.eye(z.shape[1])
    weights = np.ones(len(y))
    w = start
    for _ in range(30):
        zw = z * weights[:, None]
        w = np.linalg.solve(zw.T @ z / len(y) + l2 * eye, zw.T @ y / len(y) + l2 * start)
        weights = 1.0 / np.maximum(np.abs(y - z @ w), 0.05)
        weights /= weights.mean()
    return w


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Return the mean negative log-likelihood of 0/1 labels under probabilities p."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@dataclass
class TimingHead:
    """Logistic (ends within the horizon) and linear (log1p minutes left) over standardized rows."""

    mean: list[float]
    scale: list[float]
    switch: list[float]  # weights per feature, then the bias
    minutes: list[float]
    trained_on: dict[str, Any] = field(default_factory=dict)

    def _z(self, x: np.ndarray) -> np.ndarray:
        return _with_bias((x - np.asarray(self.mean)) / np.asarray(self.scale))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (P(the activity ends within the horizon), minutes until it ends) per row."""
        z = self._z(np.asarray(x, np.float64))
        p = _sigmoid(z @ np.asarray(self.switch))
        minutes = np.expm1(np.clip(z @ np.asarray(self.minutes), 0.0, 8.0))
        return p, minutes

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        soon: np.ndarray,
        minutes: np.ndarray,
        prior: TimingHead | None = None,
        l2: float = 1e-3,
    ) -> TimingHead:
        """Fit on rows with their labels (0/1, minutes); with a prior, pulled toward it."""
        x = np.asarray(x, np.float64)
        if prior is None:
            mean, scale = x.mean(0), x.std(0) + 1e-6
            start_s = start_m = np.zeros(x.shape[1] + 1)
        else:
            mean, scale = np.asarray(prior.mean), np.asarray(prior.scale)
            start_s, start_m = np.asarray(prior.switch), np.asarray(prior.minutes)
        z = _with_bias((x - mean) / scale)
        return cls(
            mean=[float(v) for v in mean],
            scale=[float(v) for v in scale],
            switch=[float(v) for v in _fit_logistic(z, np.asarray(soon, np.float64), start_s, l2)],
            minutes=[
                float(v) for v in _fit_linear(z, np.log1p(np.maximum(minutes, 0.0)), start_m, l2)
            ],
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "features": list(FEATURES),
                "mean": self.mean,
                "scale": self.scale,
                "switch": self.switch,
                "minutes": self.minutes,
                "trained_on": self.trained_on,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> TimingHead:
        """Parse a saved head; ValueError when it is not one this code can use."""
        try:
            data = json.loads(text)
            head = cls(
                mean=[float(v) for v in data["mean"]],
                scale=[float(v) for v in data["scale"]],
                switch=[float(v) for v in data["switch"]],
                minutes=[float(v) for v in data["minutes"]],
                trained_on=dict(data.get("trained_on", {})),
            )
            same = data.get("format_version") == FORMAT_VERSION
            same = same and tuple(data.get("features", ())) == FEATURES
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a timing head: {exc}") from exc
        sizes = {len(head.mean), len(head.scale), len(head.switch) - 1, len(head.minutes) - 1}
        if not same or sizes != {len(FEATURES)}:
            raise ValueError("a timing head of another format (features or version differ)")
        return head

    @classmethod
    def load(cls, path: Path) -> TimingHead | None:
        """Return the head saved at path, or None when there is none or it cannot be used."""
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, path: Path) -> Path:
        """Write the head as JSON (atomically); return its path."""
        # Learned from the user's timeline: private to the user (0600), like the database.
        return files.write_private(Path(path), (self.to_json() + "\n").encode("utf-8"))


def personalize(
    prior: TimingHead, x: np.ndarray, soon: np.ndarray, minutes: np.ndarray
) -> TimingHead:
    """Return the prior fitted on one user's labelled moments (oldest first), or the prior.

    Each part (switch-soon, minutes) is fitted on the older moments and kept only if it
    predicts the newest HOLDOUT of them better than the prior does; then refitted on all.
    """
    x, soon, minutes = np.asarray(x, np.float64), np.asarray(soon), np.asarray(minutes)
    if len(x) < MIN_MOMENTS:
        return TimingHead(
            prior.mean, prior.scale, prior.switch, prior.minutes, {"personal": "too few moments"}
        )
    cut = len(x) - max(1, int(round(HOLDOUT * len(x))))
    trial = TimingHead.fit(x[:cut], soon[:cut], minutes[:cut], prior, L2)
    whole = TimingHead.fit(x, soon, minutes, prior, L2)
    p_trial, m_trial = trial.predict(x[cut:])
    p_prior, m_prior = prior.predict(x[cut:])
    actual = np.log1p(np.maximum(minutes[cut:], 0.0))
    keep_switch = log_loss(p_trial, soon[cut:]) < log_loss(p_prior, soon[cut:])
    keep_minutes = np.mean((np.log1p(m_trial) - actual) ** 2) < np.mean(
        (np.log1p(m_prior) - actual) ** 2
    )
    return TimingHead(
        prior.mean,
        prior.scale,
        whole.switch if keep_switch else prior.switch,
        whole.minutes if keep_minutes else prior.minutes,
        {"moments": len(x), "switch": bool(keep_switch), "minutes": bool(keep_minutes)},
    )


def _part_scores(head: TimingHead, x: np.ndarray, soon: np.ndarray, minutes: np.ndarray):
    p, m = head.predict(x)
    actual = np.log1p(np.maximum(minutes, 0.0))
    return {
        "moments": float(len(x)),
        "switch_log_loss": log_loss(p, soon),
        "switch_brier": float(np.mean((p - soon) ** 2)),
        "minutes_sq_log_error": float(np.mean((np.log1p(m) - actual) ** 2)),
    }


def gate(
    prior: TimingHead,
    in_use: TimingHead | None,
    x: np.ndarray,
    soon: np.ndarray,
    minutes: np.ndarray,
    times: np.ndarray,
    now: float,
) -> tuple[TimingHead, dict[str, Any]]:
    """Refit the personal timing head; keep, part by part, the one in use where it does better.

    Judged on the moments neither saw: those after the head in use was fitted (its
    `trained_on["fitted_at"]`; `times` per row), against a trial refit (`personalize`) on the
    moments before them. The switch-soon part by log loss (calibration included), the minutes
    part by squared log error; a part of the head in use that is better by GATE_MARGIN stays,
    otherwise the refit's part (fitted on all moments) replaces it. With no head in use, or
    fewer than GATE_MIN_MOMENTS moments after it, the refit is installed. The head returned
    carries `fitted_at = now`.
    """
    x, soon, minutes = np.asarray(x, np.float64), np.asarray(soon), np.asarray(minutes)
    candidate = personalize(prior, x, soon, minutes)
    candidate.trained_on["fitted_at"] = now
    fitted_at = in_use.trained_on.get("fitted_at") if in_use is not None else None
    if in_use is None or not isinstance(fitted_at, int | float) or in_use.mean != prior.mean:
        return candidate, {
            "installed": True,
            "reason": "no personal head in use",
            "candidate": {},
            "in_use": {},
        }
    newer = np.asarray(times) > fitted_at
    if int(newer.sum()) < GATE_MIN_MOMENTS:
        why = f"{int(newer.sum())} moments since the head in use was fitted, too few to compare"
        return candidate, {"installed": True, "reason": why, "candidate": {}, "in_use": {}}
    older = ~newer
    trial = personalize(prior, x[older], soon[older], minutes[older])
    new = _part_scores(trial, x[newer], soon[newer], minutes[newer])
    old = _part_scores(in_use, x[newer], soon[newer], minutes[newer])
    keep_switch = old["switch_log_loss"] < new["switch_log_loss"] - GATE_MARGIN
    keep_minutes = old["minutes_sq_log_error"] < new["minutes_sq_log_error"] - GATE_MARGIN
    head = TimingHead(
        prior.mean,
        prior.scale,
        in_use.switch if keep_switch else candidate.switch,
        in_use.minutes if keep_minutes else candidate.minutes,
        candidate.trained_on | {"kept_switch": keep_switch, "kept_minutes": keep_minutes},
    )
    count = int(newer.sum())
    if keep_switch and keep_minutes:
        reason = f"the head in use predicted the {count} newest moments better"
    elif keep_switch or keep_minutes:
        kept = "switch-soon" if keep_switch else "minutes-left"
        reason = f"refitted, except the {kept} part: the one in use did better on {count} moments"
    else:
        reason = f"predicted the {count} newest moments as well as the head in use or better"
    installed = not (keep_switch and keep_minutes)
    return head, {"installed": installed, "reason": reason, "candidate": new, "in_use": old}


def moment_times(
    timeline: features.Timeline,
    rng: np.random.Generator,
    per_hour: float,
    since: float | None = None,
    until: float | None = None,
) -> list[tuple[int, float]]:
    """Return (span index, time) of moments spread uniformly over the active time, oldest first.

    The way the app meets the present: a poll at any time while the user is at the keyboard.
    Away spans, and the last span (its end is not known yet), give none.
    """
    n = len(timeline)
    if n < 2:
        return []
    lo = -np.inf if since is None else since
    hi = np.inf if until is None else until
    start = np.maximum(timeline.start[: n - 1], lo)
    end = np.minimum(timeline.end[: n - 1], hi)
    usable = np.maximum(end - start, 0.0) * ~timeline.away[: n - 1]
    total = float(usable.sum())
    count = int(total / 3600.0 * per_hour)
    if count == 0:
        return []
    spans = rng.choice(n - 1, size=count, p=usable / total)
    picks = [(int(i), float(start[i] + rng.random() * usable[i])) for i in spans]
    return sorted(picks, key=lambda pick: pick[1])


@dataclass
class Labelled:
    """Moments of a timeline with what happened next: the head's training and test material."""

    inputs: dict[str, np.ndarray]
    app_statistics: np.ndarray  # AppStays.statistics per moment, from the stays before it
    soon: np.ndarray  # 1.0 where the activity ended within the horizon
    minutes: np.ndarray  # minutes until it ended


def labelled_moments(
    spans: Sequence[features.SpanLike],
    moments: Sequence[tuple[int, float]],
    utc_offset_s: float = 0.0,
) -> Labelled:
    """Return the moments (from `moment_times` on these spans' timeline) with their labels.

    Each moment's app statistics see only the stays that ended before it.
    """
    rows_ = sorted(
        (s for s in spans if s.source != "calendar" and s.duration >= 0), key=lambda s: s.start
    )
    timeline = features.Timeline.from_spans(rows_)
    inputs = features.featurize_many(
        timeline, [features.Context(now=t, utc_offset_s=utc_offset_s) for _, t in moments]
    )
    stays = AppStays()
    order = np.argsort(timeline.end, kind="stable")
    added = 0
    app_statistics = np.empty((len(moments), APP_FEATURES))
    for row, (i, t) in enumerate(moments):
        while added < len(order) and timeline.end[order[added]] <= t:
            j = order[added]
            if not timeline.away[j]:
                stays.add(rows_[j].app, float(timeline.end[j]), float(rows_[j].duration))
            added += 1
        app_statistics[row] = stays.statistics(rows_[i].app, t - timeline.start[i], t)
    left = np.array([(timeline.end[i] - t) / 60.0 for i, t in moments], dtype=np.float64)
    return Labelled(inputs, app_statistics, (left <= HORIZON_MIN).astype(np.float64), left)


def labelled_rows(
    spans: Sequence[features.SpanLike],
    runtime: Any,
    rng: np.random.Generator,
    since: float | None = None,
    until: float | None = None,
    utc_offset_s: float = 0.0,
    per_hour: float = MOMENTS_PER_HOUR,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (head rows, ends soon 0/1, minutes left, time) of moments in [since, until).

    The time is each moment's, in Unix seconds, oldest first (the nightly gate compares heads on
    the moments after the one in use was fitted). The network (`runtime`, anything with the
    ModelRuntime `predict`) runs one moment at a time, as on the device: the prior's fit,
    `evaluate` and the nightly step all read rows this way.
    """
    timeline = features.Timeline.from_spans(spans)
    moments = moment_times(timeline, rng, per_hour, since, until)
    found = labelled_moments(spans, moments, utc_offset_s)
    size = found.soon.shape[0]
    soon = np.empty(size)
    minutes: np.ndarray | None = np.empty(size)
    for row in range(size):
        prediction = runtime.predict({k: v[row : row + 1] for k, v in found.inputs.items()})
        soon[row] = prediction.switch_soon
        if prediction.time_to_switch_minutes is None:
            minutes = None
        elif minutes is not None:
            minutes[row] = prediction.time_to_switch_minutes
    times = np.array([t for _, t in moments], dtype=np.float64)
    return rows(found.inputs, soon, minutes, found.app_statistics), found.soon, found.minutes, times


def minute_errors(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Return the median absolute error and the typical factor off of minutes-left guesses.

    Minutes are heavy-tailed: medians, and the factor as exp(median |log1p error|).
    """
    return {
        "median_abs_error_minutes": float(np.median(np.abs(predicted - actual))),
        "median_factor": float(np.exp(np.median(np.abs(np.log1p(predicted) - np.log1p(actual))))),
    }
