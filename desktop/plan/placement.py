"""From items and a forecast to blocks: candidates, the solver's call, shortfalls, "why here".

Pure functions over a `Timeline` (no store, no clock): the app's planner and the evaluation
on recorded traces call the same code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from desktop.plan import forecast as fc
from desktop.plan import items, solver
from desktop.plan.items import Item, Plan

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LEAD_MIN = 5  # a block can be moved until five minutes before it starts
TOP_PER_DAY = 6  # candidates kept per item, day and length (the solver chooses among them)
CATEGORY_WEIGHT = 0.5  # how much "where this user does this kind of work" shapes the value
KEPT_AT = 0.75  # a block is kept when at least this share of it went to its item
PARTLY_AT = 0.25  # partly kept from here on; below it, missed
NEAR_MIN = 90  # past blocks starting this close to a candidate tell how it will go
OUTCOME_PRIOR = 2.0  # pseudo-blocks behind the item's overall rate when few blocks are near
FINISH_BONUS = 0.3  # a task placed whole before its due date is worth this much more

# How past blocks of each item went: item key -> (start minute of the day, kept share).
Outcomes = dict[str, list[tuple[int, float]]]


def outcome_factor(history: list[tuple[int, float]], start: int) -> tuple[float, int, int]:
    """Return how blocks near `start` were kept against the item's usual, and (kept, near).

    The factor multiplies a candidate's value: 1 without history, below 1 where this item's
    blocks were missed more than elsewhere, above where they were kept more.
    """
    near = [k for s, k in history if abs(s - start) <= NEAR_MIN]
    kept = sum(1 for k in near if k >= KEPT_AT)
    overall = float(np.mean([k for _, k in history])) if history else 0.0
    if overall < 1e-3:  # nothing kept anywhere (or no history): no time is known to be better
        return 1.0, kept, len(near)
    # Near blocks' rate, pulled toward the item's overall rate: with every block near, or none,
    # the factor is 1; it moves only where this time went differently from the others.
    local = (sum(near) + OUTCOME_PRIOR * overall) / (len(near) + OUTCOME_PRIOR)
    return float(np.clip(local / overall, 0.25, 2.0)), kept, len(near)


@dataclass(frozen=True)
class Held:
    """A block that can no longer move (started, ended, or within the lead time)."""

    item: str
    day: int  # timeline day index
    start: int  # minute of the day
    minutes: int
    kept_minutes: float | None = None  # measured, once it ended


@dataclass(frozen=True)
class Placed:
    item: str
    day: int  # timeline day index
    start: int  # minute of the day
    minutes: int
    value: float  # the forecast's expected kept share
    why: str


@dataclass(frozen=True)
class Placement:
    blocks: list[Placed]
    shortfalls: list[str]
    solution: solver.Solution


def _calendar_week(timeline: fc.Timeline, day: int) -> int:
    return (timeline.origin + dt.timedelta(days=day)).isocalendar()[1]


def category_share(timeline: fc.Timeline, item: Item, before_day: int) -> np.ndarray:
    """Return per slot of the day the share of at-computer time in the item's categories."""
    first = (timeline.first_minute or 0) // fc.DAY_MIN
    lo, hi = max(first, before_day - fc.HISTORY_DAYS), before_day
    if not item.categories or hi <= lo:
        return np.ones(fc.SLOTS)
    active = timeline.active[lo * fc.DAY_MIN : hi * fc.DAY_MIN].reshape(-1, fc.SLOTS, fc.SLOT_MIN)
    mask = timeline.category_mask(item.categories)[lo * fc.DAY_MIN : hi * fc.DAY_MIN]
    inside = (active * mask.reshape(active.shape)).sum(axis=(0, 2))
    total = active.sum(axis=(0, 2))
    overall = inside.sum() / max(total.sum(), 1.0)
    return (inside + 4 * fc.SLOT_MIN * overall) / (total + 4 * fc.SLOT_MIN)


def _slot_values(item: Item, active: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Return each quarter hour's expected kept share for the item (a block's is their mean)."""
    if item.away:
        return 1.0 - active
    return active * ((1.0 - CATEGORY_WEIGHT) + CATEGORY_WEIGHT * share)


def _grid(minutes: int) -> int:
    return max(fc.SLOT_MIN, -(-minutes // fc.SLOT_MIN) * fc.SLOT_MIN)


def _lengths(item: Item, remaining: int | None = None) -> list[int]:
    """Return the block lengths to try: shortest, middle, longest, and a task's last piece."""
    low, high = _grid(item.min_minutes), _grid(max(item.min_minutes, item.max_minutes))
    middle = (low + high) // 2 // fc.SLOT_MIN * fc.SLOT_MIN
    lengths = {low, middle, high}
    if remaining is not None and 0 < remaining < low:
        lengths.add(_grid(remaining))  # what is left of a task is shorter than its blocks
    return sorted(lengths)


def candidates(
    item: Item,
    plan: Plan,
    timeline: fc.Timeline,
    forecast: fc.Forecast,
    active: np.ndarray,
    earliest: int,
    blocked: np.ndarray,
    current: frozenset[tuple[int, int, int]] = frozenset(),
    history: list[tuple[int, float]] | None = None,
    remaining: int | None = None,
) -> list[solver.Candidate]:
    """Return the item's best candidate blocks in the horizon, starting at or after `earliest`.

    `active` is the (conditioned) forecast, `blocked` (days, slots) the quarter hours no block
    may use (meetings). Each day keeps its TOP_PER_DAY best starts for each length, and the
    item's blocks in the `current` plan ((day offset, start, minutes)) wherever they still fit.
    """
    settings = plan.settings
    share = category_share(timeline, item, forecast.first_day)
    found: list[solver.Candidate] = []
    for offset in range(forecast.days):
        day = forecast.first_day + offset
        date = timeline.origin + dt.timedelta(days=day)
        if date.weekday() not in item.days:
            continue
        if item.window is None and date.weekday() not in settings.work_days:
            continue
        if item.due is not None and date > item.due:
            continue
        window = item.window or settings.work_hours
        values = np.concatenate([[0.0], np.cumsum(_slot_values(item, active[offset], share))])
        busy = np.concatenate([[0], np.cumsum(blocked[offset])])
        lowest = max(-(-window[0] // fc.SLOT_MIN), -(-(earliest - day * fc.DAY_MIN) // fc.SLOT_MIN))
        for minutes in _lengths(item, remaining):
            slots = minutes // fc.SLOT_MIN
            first = np.arange(lowest, (window[1] - minutes) // fc.SLOT_MIN + 1)
            if len(first) == 0:
                continue
            free = busy[first + slots] == busy[first]
            means = (values[first + slots] - values[first]) / slots
            options = [
                solver.Candidate(
                    offset,
                    int(f) * fc.SLOT_MIN,
                    minutes,
                    float(v) * outcome_factor(history or [], int(f) * fc.SLOT_MIN)[0],
                )
                for f, v in zip(first[free], means[free], strict=True)
            ]
            kept = _spread(options, minutes)
            kept += [c for c in options if (offset, c.start, minutes) in current and c not in kept]
            found += kept
    return found


def _spread(options: list[solver.Candidate], minutes: int) -> list[solver.Candidate]:
    """Return the TOP_PER_DAY best starts, spread out: equally good neighbours all overlap."""
    options = sorted(options, key=lambda c: (-c.value, c.start))
    chosen: list[solver.Candidate] = []
    for candidate in options:
        if all(abs(candidate.start - other.start) >= minutes // 2 for other in chosen):
            chosen.append(candidate)
            if len(chosen) == TOP_PER_DAY:
                return chosen
    rest = [c for c in options if c not in chosen]
    return chosen + rest[: TOP_PER_DAY - len(chosen)]


def needs_for(
    plan: Plan,
    timeline: fc.Timeline,
    forecast: fc.Forecast,
    active: np.ndarray,
    earliest: int,
    blocked: np.ndarray,
    held: list[Held],
    current: list[solver.Chosen] | None = None,
    outcomes: Outcomes | None = None,
) -> list[solver.Need]:
    """Return what each item still asks of the horizon, given the blocks already held."""
    needs = []
    horizon = range(forecast.first_day, forecast.first_day + forecast.days)
    weeks: dict[int, set[int]] = {}
    for day in horizon:
        weeks.setdefault(_calendar_week(timeline, day), set()).add(day - forecast.first_day)
    for item in plan.items:
        mine = [h for h in held if h.item == item.key]
        mine_now = frozenset(
            (c.candidate.day, c.candidate.start, c.candidate.minutes)
            for c in current or []
            if c.key == item.key
        )
        history = (outcomes or {}).get(item.key, [])
        remaining = None
        if item.kind == "task":
            done = sum(h.kept_minutes if h.kept_minutes is not None else h.minutes for h in mine)
            remaining = max(0, int(item.total_minutes - done))
        options = candidates(
            item, plan, timeline, forecast, active, earliest, blocked, mine_now, history, remaining
        )
        if item.kind == "habit":
            held_days = {h.day - forecast.first_day for h in mine}
            options = [c for c in options if c.day not in held_days]
        need = solver.Need(item.key, weight=float(4 - item.priority), candidates=options)
        if remaining is not None:
            # The last piece may run up to a quarter hour over what is left (the grid).
            need.max_minutes = _grid(remaining) if remaining else 0
            need.earlier_is_better = True
            need.max_per_day = 2
            need.finish_bonus = FINISH_BONUS
        elif item.per == "week":
            for week, days in weeks.items():
                already = sum(1 for h in mine if _calendar_week(timeline, h.day) == week)
                need.block_limits.append((frozenset(days), item.times - already))
        needs.append(need)
    return needs


def place(
    plan: Plan,
    timeline: fc.Timeline,
    forecast: fc.Forecast,
    now_minute: int,
    held: list[Held] | None = None,
    time_limit_s: float = 0.8,
    hint: list[Placed] | None = None,
    avoid: list[Held] | None = None,
    outcomes: Outcomes | None = None,
) -> Placement:
    """Return the blocks for the horizon that maximize the expected kept minutes.

    `avoid` are blocks the user skipped: their time is not offered again. `outcomes` say how
    each item's past blocks went: where they were missed, a new block is worth less.
    """
    held = held or []
    active = forecast.conditioned(now_minute)
    first_minute = forecast.first_day * fc.DAY_MIN
    horizon = slice(first_minute, first_minute + forecast.days * fc.DAY_MIN)
    meetings = np.asarray(
        timeline.meeting[horizon].reshape(forecast.days, fc.SLOTS, fc.SLOT_MIN).any(axis=2), bool
    )
    busy = meetings.copy()
    for block in [*held, *(avoid or [])]:
        offset = block.day - forecast.first_day
        if 0 <= offset < forecast.days:
            first = block.start // fc.SLOT_MIN
            buffer = -(-plan.settings.buffer_minutes // fc.SLOT_MIN)
            busy[offset, first : first + -(-block.minutes // fc.SLOT_MIN) + buffer] = True
    caps = []
    for offset in range(forecast.days):
        used = sum(b.minutes for b in held if b.day == forecast.first_day + offset)
        caps.append(plan.settings.daily_cap_minutes - used)
    earliest = now_minute + LEAD_MIN
    solver_hint = [
        solver.Chosen(
            p.item, solver.Candidate(p.day - forecast.first_day, p.start, p.minutes, p.value)
        )
        for p in hint or []
    ]
    needs = needs_for(
        plan, timeline, forecast, active, earliest, meetings, held, solver_hint, outcomes
    )
    solution = solver.solve(
        needs, busy, caps, plan.settings.buffer_minutes, time_limit_s, solver_hint
    )
    blocks = [
        Placed(
            c.key,
            forecast.first_day + c.candidate.day,
            c.candidate.start,
            c.candidate.minutes,
            c.candidate.value,
            why_here(
                plan.item(c.key),
                timeline,
                forecast,
                c.candidate,
                meetings,
                (outcomes or {}).get(c.key, []),
            ),
        )
        for c in solution.chosen
    ]
    return Placement(
        blocks, shortfalls(plan, timeline, forecast, blocks, held, now_minute), solution
    )


def shortfalls(
    plan: Plan,
    timeline: fc.Timeline,
    forecast: fc.Forecast,
    blocks: list[Placed],
    held: list[Held],
    now_minute: int | None = None,
) -> list[str]:
    """Return a line for each item that does not get all it asks for in the horizon.

    A daily habit asks for the days of this week still ahead (today while its window is open).
    """
    lines = []
    for item in plan.items:
        placed = [b for b in blocks if b.item == item.key]
        mine = [h for h in held if h.item == item.key]
        if item.kind == "task":
            done = sum(h.kept_minutes if h.kept_minutes is not None else h.minutes for h in mine)
            left = item.total_minutes - done
            fit = sum(b.minutes for b in placed)
            if fit < left:
                due = f" before {item.due:%a %d %b}" if item.due else " this week"
                lines.append(f"{item.name} needs {_hours(left)}; {_hours(fit)} fit{due}")
        else:
            start = timeline.origin + dt.timedelta(days=forecast.first_day)
            days = [start + dt.timedelta(days=k) for k in range(forecast.days)]
            week_days = [d for d in days if d.isocalendar()[1] == start.isocalendar()[1]]
            window_end = (item.window or plan.settings.work_hours)[1]
            today_open = now_minute is None or now_minute % fc.DAY_MIN < window_end
            ahead = [d for d in week_days if d > start or today_open]
            wanted = (
                sum(1 for d in ahead if d.weekday() in item.days)
                if item.per == "day"
                else item.times
            )
            first_week = [
                b for b in placed if _calendar_week(timeline, b.day) == days[0].isocalendar()[1]
            ]
            already = [
                h for h in mine if _calendar_week(timeline, h.day) == days[0].isocalendar()[1]
            ]
            got = len(first_week) + len(already)
            if got < wanted:
                lines.append(f"{item.name}: {got} of {wanted} blocks fit this week")
    return lines


def _hours(minutes: float) -> str:
    hours = minutes / 60.0
    return f"{hours:.0f} h" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f} h"


def why_here(
    item: Item | None,
    timeline: fc.Timeline,
    forecast: fc.Forecast,
    candidate: solver.Candidate,
    meetings: np.ndarray,
    history: list[tuple[int, float]] | None = None,
) -> str:
    """Return why a block sits where it does, from the user's own history of that weekday."""
    day = forecast.first_day + candidate.day
    weekday = (timeline.origin + dt.timedelta(days=day)).weekday()
    name = WEEKDAY_NAMES[weekday]
    lo, hi = candidate.start, candidate.start + candidate.minutes
    past = []
    if timeline.first_minute is not None:
        earliest = max(timeline.first_minute // fc.DAY_MIN, forecast.first_day - fc.HISTORY_DAYS)
        past = [
            d
            for d in range(earliest, forecast.first_day)
            if (timeline.origin + dt.timedelta(days=d)).weekday() == weekday
        ]
    earliest_day = (timeline.first_minute or 0) // fc.DAY_MIN
    if not past and timeline.first_minute is not None and earliest_day < forecast.first_day:
        # No such weekday recorded yet: say what the other days show (the forecast uses them).
        earliest = max(timeline.first_minute // fc.DAY_MIN, forecast.first_day - fc.HISTORY_DAYS)
        other = range(earliest, forecast.first_day)
        minutes = np.concatenate(
            [timeline.active[d * fc.DAY_MIN + lo : d * fc.DAY_MIN + hi] for d in other]
        )
        share = float(minutes.mean()) if len(minutes) else 0.0
        shown = 1.0 - share if item is not None and item.away else share
        where = "away from the computer" if item is not None and item.away else "at the computer"
        text = (
            f"no {name} recorded yet; on the {len(other)} day"
            + ("s" if len(other) != 1 else "")
            + f" recorded you were {where} {100 * shown:.0f}% of {items.clock_span(lo, hi)}"
        )
    elif not past:
        text = "no history yet; placed in the hours you asked for"
    else:
        minutes = np.concatenate(
            [timeline.active[d * fc.DAY_MIN + lo : d * fc.DAY_MIN + hi] for d in past]
        )
        share = float(minutes.mean())
        span = (
            f"{items.clock_span(lo, hi)} last {name}"
            if len(past) == 1
            else f"{name}s {items.clock_span(lo, hi)} over the last {len(past)} weeks"
        )
        if item is not None and item.away:
            text = f"you were away from the computer {100 * (1 - share):.0f}% of {span}"
        else:
            text = f"you were at the computer {100 * share:.0f}% of {span}"
        if item is not None and item.categories and share > 0:
            mask = timeline.category_mask(item.categories)
            inside = np.concatenate([mask[d * fc.DAY_MIN + lo : d * fc.DAY_MIN + hi] for d in past])
            used = float(inside[minutes > 0].mean())
            text += f", {100 * used:.0f}% of it in {' / '.join(item.categories)}"
    _, kept, near = outcome_factor(history or [], lo)
    if near >= 2 and item is not None:
        text += f"; you kept {kept} of your last {near} {item.name} blocks around this time"
    first, last = lo // fc.SLOT_MIN, -(-hi // fc.SLOT_MIN)
    clash = meetings[candidate.day, max(0, first - 2) : last + 2].any()
    return text + ("; a meeting close by" if clash else "; no meetings")
