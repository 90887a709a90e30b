"""A first plan made from what the history shows: when this user works, focuses and breaks.

After a few days of history the app offers it (`time-sculptor plan propose`, the Plan tab);
the user accepts or edits it. Every proposed item says what it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop.plan import forecast as fc
from desktop.plan import items

MIN_DAYS = 3  # days with activity before a plan is proposed
ACTIVE_DAY_MIN = 60  # minutes at the computer that make a day count
FOCUS_MIN = 90
BREAK_MIN = 30
FOCUS_CATEGORIES = ("development", "office", "design")


@dataclass(frozen=True)
class Proposal:
    plan: items.Plan
    reasons: dict[str, str]  # item key -> what it was made from


def active_days(timeline: fc.Timeline, lo: int, hi: int) -> tuple[np.ndarray, list[int]]:
    """Return days [lo, hi) as (days, minutes) at-computer shares, and which of them count.

    A day counts when it has ACTIVE_DAY_MIN minutes at the computer (indexes from `lo`).
    """
    active = timeline.active[lo * fc.DAY_MIN : hi * fc.DAY_MIN].reshape(hi - lo, fc.DAY_MIN)
    return active, [d for d in range(hi - lo) if active[d].sum() >= ACTIVE_DAY_MIN]


def propose(timeline: fc.Timeline, before_day: int) -> Proposal | None:
    """Return a plan made from the days before `before_day`, or None with too little history."""
    first = timeline.first_minute
    if first is None:
        return None
    lo, hi = max(first // fc.DAY_MIN, before_day - fc.HISTORY_DAYS), before_day
    if hi <= lo:
        return None
    active, days = active_days(timeline, lo, hi)
    if len(days) < MIN_DAYS:
        return None
    weekdays = [(timeline.origin.weekday() + lo + d) % 7 for d in days]
    weeks = max(1.0, (hi - lo) / 7.0)
    work_days = tuple(sorted({w for w in weekdays if weekdays.count(w) >= min(2, weeks) * 0.5}))
    starts = [int(np.argmax(active[d] > 0)) for d in days]
    ends = [fc.DAY_MIN - int(np.argmax(active[d][::-1] > 0)) for d in days]
    day_start = int(np.percentile(starts, 25)) // fc.SLOT_MIN * fc.SLOT_MIN
    day_end = -(-int(np.percentile(ends, 75)) // fc.SLOT_MIN) * fc.SLOT_MIN
    if day_end - day_start < 2 * 60:
        return None
    settings = items.PlanSettings(work_days=work_days, work_hours=(day_start, day_end))
    chosen: list[items.Item] = []
    reasons: dict[str, str] = {}
    # Focus: the two hours with the most time in focus work (or any work at the computer).
    found = focus_hours(timeline, lo, hi, days, (day_start, day_end))
    if found is not None:
        focus = items.Item(
            name="Deep work",
            kind="habit",
            min_minutes=FOCUS_MIN,
            max_minutes=FOCUS_MIN,
            days=work_days or items.WEEKDAYS,
            window=(max(0, found.start - 30), min(fc.DAY_MIN, found.end + 30)),
            priority=1,
            categories=found.categories,
        )
        chosen.append(focus)
        reasons[focus.key] = found.describe()
    # A break away from the computer where the user already takes one around midday.
    midday = active[days][:, 11 * 60 : 15 * 60].mean(axis=0)
    away = 1.0 - midday
    breaks = np.convolve(away, np.ones(BREAK_MIN), mode="valid")
    if len(breaks) and breaks.max() / BREAK_MIN >= 0.5:
        start = 11 * 60 + int(np.argmax(breaks)) // fc.SLOT_MIN * fc.SLOT_MIN
        walk = items.Item(
            name="Lunch break",
            kind="habit",
            min_minutes=BREAK_MIN,
            max_minutes=BREAK_MIN,
            days=work_days or items.WEEKDAYS,
            window=(max(0, start - 30), min(fc.DAY_MIN, start + BREAK_MIN + 30)),
            priority=2,
            away=True,
        )
        chosen.append(walk)
        reasons[walk.key] = (
            f"you were away from the computer {100 * breaks.max() / BREAK_MIN:.0f}% of "
            f"{items.clock_span(start, start + BREAK_MIN)} on those days"
        )
    if not chosen:
        return None
    return Proposal(items.Plan(tuple(chosen), settings), reasons)


@dataclass(frozen=True)
class FocusHours:
    """The two hours of the day with the most time in focus work, and how much."""

    start: int  # minute of the day
    end: int
    share: float  # of the window's minutes spent in `categories` (or at the computer)
    categories: tuple[str, ...]  # the one or two focus categories used then; () = any work
    days: int  # days with activity it was read from

    def describe(self) -> str:
        what = " / ".join(self.categories) if self.categories else "work at the computer"
        return (
            f"you spent {100 * self.share:.0f}% of {items.clock_span(self.start, self.end)} "
            f"in {what} on the {self.days} days with activity"
        )


def focus_hours(
    timeline: fc.Timeline, lo: int, hi: int, days: list[int], bounds: tuple[int, int]
) -> FocusHours | None:
    """Return the best two focus hours inside `bounds` (minutes of the day) over `days`.

    `days` are indexes into the days [lo, hi) that count (enough activity). Focus work is time
    in FOCUS_CATEGORIES; a history without any counts all time at the computer.
    """
    active = timeline.active[lo * fc.DAY_MIN : hi * fc.DAY_MIN].reshape(hi - lo, fc.DAY_MIN)
    mask = timeline.category_mask(FOCUS_CATEGORIES)[lo * fc.DAY_MIN : hi * fc.DAY_MIN]
    focused = (active * mask.reshape(active.shape))[days]
    per_minute = focused.mean(axis=0) if focused.sum() > 0 else active[days].mean(axis=0)
    window = 2 * 60
    sums = np.convolve(per_minute, np.ones(window), mode="valid")
    grid = np.arange(bounds[0], max(bounds[0] + 1, bounds[1] - window + 1), fc.SLOT_MIN)
    grid = grid[grid < len(sums)]
    if not len(grid):
        return None
    best = int(grid[int(np.argmax(sums[grid]))])
    names = [n for n in FOCUS_CATEGORIES if n in timeline.names] if focused.sum() > 0 else []
    used = _top_categories(timeline, lo, hi, names, (best, best + window))
    share = float(sums[best] / window)
    return FocusHours(best, best + window, share, used, len(days))


def _top_categories(
    timeline: fc.Timeline, lo: int, hi: int, names: list[str], window: tuple[int, int]
) -> tuple[str, ...]:
    """Return the one or two focus categories the user spends the most of `window` in."""
    if not names:
        return ()
    active = timeline.active[lo * fc.DAY_MIN : hi * fc.DAY_MIN].reshape(hi - lo, fc.DAY_MIN)
    totals = {}
    for name in names:
        mask = timeline.category_mask([name])[lo * fc.DAY_MIN : hi * fc.DAY_MIN]
        inside = (active * mask.reshape(active.shape))[:, window[0] : window[1]]
        totals[name] = float(inside.sum())
    ranked = [name for name in sorted(totals, key=lambda n: -totals[n]) if totals[name] > 0]
    return tuple(ranked[:2])


def describe(proposal: Proposal) -> list[str]:
    """Return the proposal as lines: each item, and what it was made from."""
    settings = proposal.plan.settings
    lines = [
        f"Working hours {items.clock_span(settings.work_hours[0], settings.work_hours[1])} on "
        + ", ".join(items.DAY_NAMES[d].capitalize() for d in settings.work_days)
    ]
    for item in proposal.plan.items:
        lines.append(f"- {item.describe()}")
        lines.append(f"    from your history: {proposal.reasons[item.key]}")
    return lines
