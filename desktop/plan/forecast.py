"""What the user will be doing in each quarter hour of the coming days, from their own history.

History becomes a `Timeline`: per local wall-clock minute, the share of it spent at the
computer, the category then, and whether a meeting ran. The forecast of a slot is the user's
own share at that weekday and quarter hour, recent weeks weighing more (a half-life of two
weeks), pulled toward the same quarter hour of similar days (weekdays or weekend) when the
weekday itself has little history. The present moves it: how far the last half hour ran ahead
of or behind the forecast carries into the coming hours by as much as it did in this user's
own history (a regression per lead time, fitted on their past days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

DAY_MIN = 1440
SLOT_MIN = 15
SLOTS = DAY_MIN // SLOT_MIN
HALF_LIFE_DAYS = 14.0
PRIOR_DAYS = 2.0  # pseudo-days of the broader mean behind each narrower one
RECENT_MIN = 30  # the present: the last half hour
MAX_LEAD_SLOTS = 4 * 8  # the present carries at most eight hours ahead
HISTORY_DAYS = 8 * 7
EDGE = 0.02  # forecasts are kept within [2%, 98%]: nobody is certainly there or away
MAX_LIFT = 8.0


@dataclass
class Timeline:
    """Per local wall-clock minute from `origin`: at the computer or not, category, meetings."""

    origin: dt.date
    days: int
    active: np.ndarray = field(init=False)  # float32 (days * 1440): 1 at the computer
    category: np.ndarray = field(init=False)  # int16: index into `names`, -1 none
    meeting: np.ndarray = field(init=False)  # bool
    names: list[str] = field(default_factory=list)
    first_minute: int | None = None  # the first minute with any activity recorded

    def __post_init__(self) -> None:
        size = self.days * DAY_MIN
        self.active = np.zeros(size, np.float32)
        self.category = np.full(size, -1, np.int16)
        self.meeting = np.zeros(size, bool)

    def minute_of(self, moment: dt.datetime) -> float:
        """Return the wall-clock minute index of a naive local datetime (may be fractional)."""
        delta = moment.date() - self.origin
        return delta.days * DAY_MIN + moment.hour * 60 + moment.minute + moment.second / 60.0

    def when(self, minute: int) -> dt.datetime:
        """Return the naive local datetime of a minute index."""
        return dt.datetime.combine(self.origin, dt.time()) + dt.timedelta(minutes=minute)

    def add_active(self, start: float, end: float, category: str = "") -> None:
        """Mark [start, end) minutes (fractional) as time at the computer in `category`."""
        lo, hi = max(start, 0.0), min(end, self.days * DAY_MIN)
        if hi <= lo:
            return
        # A minute counts as at the computer when a span covers any of it.
        first, last = int(lo), int(np.ceil(hi))
        self.active[first:last] = 1.0
        if category:
            if category not in self.names:
                self.names.append(category)
            self.category[first:last] = self.names.index(category)
        if self.first_minute is None or first < self.first_minute:
            self.first_minute = first

    def add_meeting(self, start: float, end: float) -> None:
        lo, hi = max(int(start), 0), min(int(np.ceil(end)), self.days * DAY_MIN)
        if hi > lo:
            self.meeting[lo:hi] = True

    def category_mask(self, categories: Iterable[str]) -> np.ndarray:
        """Return per minute whether the category then is one of `categories`."""
        indexes = [self.names.index(name) for name in categories if name in self.names]
        if not indexes:
            return np.zeros(self.days * DAY_MIN, bool)
        return np.isin(self.category, np.asarray(indexes, np.int16))


def timeline_from_spans(
    spans: Iterable[tuple[float, float, str, str]],
    origin: dt.date,
    days: int,
    tz: dt.tzinfo | None,
) -> Timeline:
    """Return the timeline of (start, end, source, category) epoch spans in zone `tz`.

    Sources: "window"/"import" are time at the computer, "calendar" a meeting; "afk" and
    "system" add nothing (away is the absence of activity).
    """
    timeline = Timeline(origin, days)
    for start, end, source, category in spans:
        lo = timeline.minute_of(dt.datetime.fromtimestamp(start, tz).replace(tzinfo=None))
        hi = lo + (end - start) / 60.0
        if source == "calendar":
            timeline.add_meeting(lo, hi)
        elif source in ("window", "import") and category not in ("away", "excluded"):
            timeline.add_active(lo, hi, category)
    return timeline


def _slot_shares(values: np.ndarray, day_lo: int, day_hi: int) -> np.ndarray:
    """Return (days, SLOTS) mean of minute values per quarter hour of days [day_lo, day_hi)."""
    chunk = values[day_lo * DAY_MIN : day_hi * DAY_MIN]
    return chunk.reshape(day_hi - day_lo, SLOTS, SLOT_MIN).mean(axis=2)


def profile(
    timeline: Timeline, day: int, known_before: int, history_days: int = HISTORY_DAYS
) -> tuple[np.ndarray, float]:
    """Return (share at the computer per slot, support) of `day` from the days before another.

    Only days before `known_before` (and since the first recorded activity: before it nothing
    is known, which is not the same as being away) count. Support is the weighted number of
    days of the same weekday behind the figure.
    """
    first_day = (timeline.first_minute or 0) // DAY_MIN
    end = min(known_before, day, timeline.days)
    lo = max(first_day, end - history_days)
    if lo >= end:
        return np.zeros(SLOTS), 0.0
    shares = _slot_shares(timeline.active, lo, end)
    indexes = np.arange(lo, end)
    weights = 0.5 ** ((day - indexes) / HALF_LIFE_DAYS)
    weekday = (timeline.origin.weekday() + day) % 7
    weekdays = (timeline.origin.weekday() + indexes) % 7
    # Empirical Bayes in three steps: all days, then days of the same kind (weekdays or
    # weekend), then the weekday itself, each pulled toward the one before by PRIOR_DAYS.
    all_mean = (shares * weights[:, None]).sum(0) / weights.sum()
    similar = weights * ((weekdays >= 5) == (weekday >= 5))
    similar_mean = ((shares * similar[:, None]).sum(0) + PRIOR_DAYS * all_mean) / (
        similar.sum() + PRIOR_DAYS
    )
    same = weights * (weekdays == weekday)
    support = float(same.sum())
    mean = ((shares * same[:, None]).sum(0) + PRIOR_DAYS * similar_mean) / (support + PRIOR_DAYS)
    # Neighbouring quarter hours share evidence: habits drift by a few minutes day to day.
    padded = np.concatenate([mean[:1], mean, mean[-1:]])
    mean = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
    return mean, support


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EDGE, 1.0 - EDGE)
    return np.log(p / (1.0 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _lift(timeline: Timeline, day_lo: int, day_hi: int, profiles: np.ndarray) -> np.ndarray:
    """Return, per lead slot, how strongly the present's residual moves that slot's odds.

    A logistic regression per lead with the forecast as offset: P(slot) = sigmoid(logit(forecast)
    + lift * residual of the last half hour), fitted by Newton's method on the past days. In
    odds, a short visit at an hour the user is rarely there moves the forecast less than the
    same visit at an hour they often are; a straight line would lift both by the same amount.
    """
    lifts = np.zeros(MAX_LEAD_SLOTS)
    if day_hi - day_lo < 3:
        return lifts
    actual = _slot_shares(timeline.active, day_lo, day_hi).reshape(-1)
    expected = profiles.reshape(-1)
    residual = actual - expected
    # The present's residual over the last half hour: the mean of the last two slots.
    recent = np.convolve(residual, np.ones(2) / 2.0, mode="full")[: len(residual)]
    offset = _logit(expected)
    for lead in range(MAX_LEAD_SLOTS):
        x = recent[: len(residual) - lead - 1]
        y, base = actual[lead + 1 :], offset[lead + 1 :]
        if float((x * x).sum()) < 1e-9:
            continue
        beta = 0.0
        for _ in range(8):
            p = _sigmoid(base + beta * x)
            gradient = float((x * (y - p)).sum())
            curvature = float((x * x * p * (1.0 - p)).sum()) + 1e-6
            beta = float(np.clip(beta + gradient / curvature, 0.0, MAX_LIFT))
        lifts[lead] = beta
    return lifts


@dataclass
class Forecast:
    """Per slot of `days` days from day `first_day`: the chance of being at the computer."""

    timeline: Timeline
    first_day: int  # day index in the timeline
    days: int
    active: np.ndarray  # (days, SLOTS), from the history before `first_day` alone
    support: np.ndarray  # (days,) weighted days of the same weekday behind each day
    lift: np.ndarray  # (MAX_LEAD_SLOTS,) how strongly the present moves each coming slot's odds
    history_days: int  # days of history behind the forecast

    def slot_of(self, minute: int) -> tuple[int, int]:
        """Return (day offset in the horizon, slot) of a timeline minute."""
        return divmod(minute // SLOT_MIN - self.first_day * SLOTS, SLOTS)

    def conditioned(self, now_minute: int) -> np.ndarray:
        """Return `active` moved by the last half hour before `now_minute` (later slots only)."""
        result = self.active.copy()
        recent = self.recent_residual(now_minute)
        if recent is None:
            return result
        first = -(-now_minute // SLOT_MIN)  # the first slot that starts at or after now
        for lead in range(MAX_LEAD_SLOTS):
            day, slot = divmod(first + lead - self.first_day * SLOTS, SLOTS)
            if not 0 <= day < self.days:
                break
            odds = _logit(np.asarray(result[day, slot])) + self.lift[lead] * recent
            result[day, slot] = float(_sigmoid(odds))
        return result

    def recent_residual(self, now_minute: int) -> float | None:
        """Return how far the last half hour ran ahead (+) or behind (-) the forecast."""
        lo = now_minute - RECENT_MIN
        first = self.timeline.first_minute
        if first is None or lo < first or lo < self.first_day * DAY_MIN:
            return None
        seen = float(self.timeline.active[lo:now_minute].mean())
        expected = [self.active[self.slot_of(m)] for m in range(lo, now_minute, SLOT_MIN)]
        return seen - float(np.mean(expected))


def forecast(
    timeline: Timeline, first_day: int, days: int, history_days: int = HISTORY_DAYS
) -> Forecast:
    """Return the forecast of `days` days from day `first_day`, from the history before it."""
    active = np.zeros((days, SLOTS))
    support = np.zeros(days)
    for offset in range(days):
        active[offset], support[offset] = profile(
            timeline, first_day + offset, first_day, history_days
        )
    first_recorded = (timeline.first_minute or 0) // DAY_MIN
    lo = max(first_recorded, first_day - history_days)
    lift = np.zeros(MAX_LEAD_SLOTS)
    if first_day - lo >= 3:
        past = np.array([profile(timeline, d, d, history_days)[0] for d in range(lo, first_day)])
        lift = _lift(timeline, lo, first_day, past)
    return Forecast(timeline, first_day, days, active, support, lift, max(0, first_day - lo))
