"""How well planned blocks are kept on a recorded trace: the planner against simple rules.

`sculptor-train evaluate-plan --events FILE.csv [--split 0.7] [--tz ZONE] --json OUT.json`.

The trace is one user's foreground-app history in the CSV import format (`timestamp,app`).
Timestamps ending in Z are UTC and are converted to the zone; others are local already. A
minute counts as at the computer when a span covers it, a span running from one row's time to
the next row's and counting for at most 15 minutes.

The task, for every whole calendar week (Monday 00:00 to the next Monday) that starts at or
after the cut (at `split` of the timeline's length, by time) and ends before the last row: a
habit "focus at the computer, 5 x 60 min a week, at most one block a day, between 07:00 and
23:00". The planner (the app's own: forecast, solver placement, re-planning) decides every
quarter hour with only the rows before that moment; a block may move until five minutes
before it starts. Kept is the share of block minutes at the computer. Baselines on the same
weeks, from the history before each week: `fixed_9` Monday-Friday 09:00; `hour_of_day` the
history's most active hour on its five most active weekdays; `hour_of_week` its most active
(weekday, hour) pairs on distinct weekdays; `oracle` the best five (day, hour) of each week in
hindsight.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.plan import forecast as fc
from desktop.plan import placement
from desktop.plan.items import Item, Plan, PlanSettings

SPAN_CAP_S = 15 * 60
BLOCK_MIN = 60
BLOCKS_PER_WEEK = 5
WINDOW = (7 * 60, 23 * 60)
MAX_ROWS = 5_000_000
# The app gives a re-plan 0.1 s of solver time and a week from scratch 0.8 s: on a busy machine a
# solve stopped by the clock leaves a different plan, run to run. The evaluations (this one and
# `simulate --plan`) let every solve reach its optimum (each took at most 0.33 s with other work
# running), so their figures are the same on any machine, at any load.
SOLVE_LIMIT_S = 30.0


class TraceError(ValueError):
    """A trace that cannot be evaluated, in one line."""


def focus_plan() -> Plan:
    """Return the evaluated habit as a plan: 5 x 60 min a week, 07:00-23:00, any app."""
    habit = Item(
        name="Focus",
        kind="habit",
        min_minutes=BLOCK_MIN,
        max_minutes=BLOCK_MIN,
        window=WINDOW,
        per="week",
        times=BLOCKS_PER_WEEK,
    )
    settings = PlanSettings(
        work_days=tuple(range(7)), work_hours=WINDOW, daily_cap_minutes=24 * 60, buffer_minutes=0
    )
    return Plan((habit,), settings)


def read_trace(path: Path, tz: dt.tzinfo) -> list[dt.datetime]:
    """Return the rows' local wall-clock times (naive), in order; TraceError when unreadable."""
    return [moment for moment, _ in read_rows(path, tz)]


def read_rows(path: Path, tz: dt.tzinfo) -> list[tuple[dt.datetime, str]]:
    """Return the rows' (local wall-clock time, app), in time order; TraceError when unreadable."""
    rows: list[tuple[dt.datetime, str]] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "timestamp" not in reader.fieldnames:
                raise TraceError(f"{path}: expected a CSV with a timestamp column")
            for line, row in enumerate(reader, 2):
                if line > MAX_ROWS:
                    raise TraceError(f"{path}: more than {MAX_ROWS} rows")
                text = (row.get("timestamp") or "").strip()
                try:
                    if text.endswith("Z"):
                        moment = dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC)
                        moment = moment.astimezone(tz).replace(tzinfo=None)
                    else:
                        moment = dt.datetime.fromisoformat(text)
                        if moment.tzinfo is not None:
                            moment = moment.astimezone(tz).replace(tzinfo=None)
                except ValueError:
                    raise TraceError(f"{path}, line {line}: {text!r} is not a timestamp") from None
                rows.append((moment, (row.get("app") or "").strip()))
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path}: cannot read: {exc}") from None
    if len(rows) < 2:
        raise TraceError(f"{path}: fewer than two rows")
    rows.sort(key=lambda row: row[0])  # stable: rows at the same moment keep the file's order
    return rows


def timeline_of(times: list[dt.datetime]) -> fc.Timeline:
    """Return the trace's timeline: each row's span lasts until the next row, at most 15 min."""
    origin = times[0].date() - dt.timedelta(days=times[0].weekday())  # a Monday
    days = (times[-1].date() - origin).days + 2
    timeline = fc.Timeline(origin, days)
    for this, following in zip(times, times[1:], strict=False):
        seconds = min((following - this).total_seconds(), SPAN_CAP_S)
        start = timeline.minute_of(this)
        timeline.add_active(start, start + seconds / 60.0)
    return timeline


@dataclass(frozen=True)
class Block:
    day: int  # timeline day index
    start: int  # minute of the day
    decided_at: int  # timeline minute


def kept_share(timeline: fc.Timeline, blocks: list[Block]) -> float:
    """Return the share of block minutes at the computer."""
    if not blocks:
        return 0.0
    minutes = [
        timeline.active[b.day * fc.DAY_MIN + b.start : b.day * fc.DAY_MIN + b.start + BLOCK_MIN]
        for b in blocks
    ]
    return float(np.concatenate(minutes).mean())


def plan_week(timeline: fc.Timeline, monday: int) -> list[Block]:
    """Return the planner's blocks of a week, deciding every quarter hour with the past only."""
    plan = focus_plan()
    held: list[placement.Held] = []
    decided: list[Block] = []
    tentative: list[placement.Placed] = []
    for offset in range(7):
        day = monday + offset
        # Each day's forecast is made from the history before that day.
        forecast = fc.forecast(timeline, day, 7 - offset)
        for start in range(WINDOW[0], WINDOW[1] - BLOCK_MIN + 1, fc.SLOT_MIN):
            now = day * fc.DAY_MIN + start - placement.LEAD_MIN
            if len(held) >= BLOCKS_PER_WEEK or any(h.day == day for h in held):
                break
            result = placement.place(
                plan, timeline, forecast, now, held, SOLVE_LIMIT_S, hint=tentative
            )
            tentative = result.blocks
            for block in result.blocks:
                if block.day == day and block.start == start:
                    held.append(placement.Held(block.item, day, start, BLOCK_MIN))
                    decided.append(Block(day, start, now))
    return decided


def _minutes_by_hour(timeline: fc.Timeline, lo_day: int, hi_day: int) -> np.ndarray:
    """Return (7, 24) at-computer minutes by weekday and hour over days [lo_day, hi_day)."""
    totals = np.zeros((7, 24))
    first = (timeline.first_minute or 0) // fc.DAY_MIN
    for day in range(max(lo_day, first), hi_day):
        weekday = (timeline.origin.weekday() + day) % 7
        minutes = timeline.active[day * fc.DAY_MIN : (day + 1) * fc.DAY_MIN]
        totals[weekday] += minutes.reshape(24, 60).sum(axis=1)
    return totals


def _in_window(hour: int) -> bool:
    return WINDOW[0] <= hour * 60 and hour * 60 + BLOCK_MIN <= WINDOW[1]


def baselines(timeline: fc.Timeline, monday: int, history_from: int) -> dict[str, list[Block]]:
    """Return each baseline's blocks of the week that starts on day `monday`."""
    decided = monday * fc.DAY_MIN
    totals = _minutes_by_hour(timeline, history_from, monday)
    hours = [h for h in range(24) if _in_window(h)]
    fixed = [Block(monday + d, 9 * 60, decided) for d in range(5)]
    best_hour = max(hours, key=lambda h: (totals[:, h].sum(), -h))
    best_days = sorted(range(7), key=lambda d: (-totals[d].sum(), d))[:BLOCKS_PER_WEEK]
    by_day = [Block(monday + d, best_hour * 60, decided) for d in sorted(best_days)]
    pairs = sorted(((totals[d, h], -d, -h) for d in range(7) for h in hours), reverse=True)
    by_week: list[Block] = []
    for _, minus_day, minus_hour in pairs:
        if len(by_week) == BLOCKS_PER_WEEK:
            break
        if all(b.day != monday - minus_day for b in by_week):
            by_week.append(Block(monday - minus_day, -minus_hour * 60, decided))
    week = _minutes_by_hour(timeline, monday, monday + 7)
    best = [(max(week[d, h] for h in hours), d) for d in range(7)]
    oracle = []
    for _, d in sorted(best, key=lambda pair: (-pair[0], pair[1]))[:BLOCKS_PER_WEEK]:
        hour = max(hours, key=lambda h: (week[d, h], -h))
        oracle.append(Block(monday + d, hour * 60, decided))
    return {
        "fixed_9": fixed,
        "hour_of_day": by_day,
        "hour_of_week": sorted(by_week, key=lambda b: b.day),
        "oracle": sorted(oracle, key=lambda b: b.day),
    }


def evaluate(times: list[dt.datetime], split: float = 0.7) -> dict:
    """Return the evaluate-plan JSON of a trace's local row times."""
    if not 0.0 < split < 1.0:
        raise TraceError(f"--split must be between 0 and 1, not {split}")
    timeline = timeline_of(times)
    cut = times[0] + (times[-1] - times[0]) * split
    last = times[-1]
    first_monday = cut.date() + dt.timedelta(days=(7 - cut.date().weekday()) % 7)
    if dt.datetime.combine(first_monday, dt.time()) < cut:
        first_monday += dt.timedelta(days=7)
    mondays = []
    monday = first_monday
    while dt.datetime.combine(monday + dt.timedelta(days=7), dt.time()) < last:
        mondays.append((monday - timeline.origin).days)
        monday += dt.timedelta(days=7)
    policies: dict[str, list[Block]] = {
        "planner": [],
        "fixed_9": [],
        "hour_of_day": [],
        "hour_of_week": [],
        "oracle": [],
    }
    history_from = (timeline.first_minute or 0) // fc.DAY_MIN
    for day in mondays:
        policies["planner"] += plan_week(timeline, day)
        for name, blocks in baselines(timeline, day, history_from).items():
            policies[name] += blocks

    def stamp(minute: int) -> str:
        return timeline.when(minute).strftime("%Y-%m-%dT%H:%M")

    return {
        "weeks": len(mondays),
        "blocks": [
            {
                "start": stamp(b.day * fc.DAY_MIN + b.start),
                "minutes": BLOCK_MIN,
                "decided_at": stamp(b.decided_at),
            }
            for b in policies["planner"]
        ],
        "kept": {name: round(kept_share(timeline, blocks), 4) for name, blocks in policies.items()},
    }


def local_zone(name: str | None) -> dt.tzinfo:
    """Return the zone `name`, or the machine's own zone when none is given."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise TraceError(f"--tz {name!r}: not a time zone (e.g. Europe/Berlin)") from None
    zone = dt.datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def run(events: Path, split: float, tz_name: str | None, out: Path | None) -> dict:
    """Evaluate a trace file and write the JSON (when `out` is given); return it."""
    result = evaluate(read_trace(events, local_zone(tz_name)), split)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result
