"""`sculptor-train simulate --plan`: simulated people keep, partly keep or skip planned blocks.

Each simulated person has a rhythm of their own and a plan (habits, a task or two a week, a
calendar of meetings). Every simulated week, the same person on the same days (same seeds) is
run once per policy, each in its own data directory with a real `desktop.store.Store`:

- `learned`: the app's `desktop.plan.planner.Planner` as it ships, on a store that holds the
  person's activity from `PRE_WEEKS` weeks before week 1 on (and everything since);
- `first_fit`: a rules planner (`first_fit`): every item in priority order takes the first
  free slot of its window or the working hours, the way calendar planners place tasks; the
  same items, meetings, buffers, daily cap, due dates and re-planning of missed time;
- `unpersonalized`: the same `Planner` without the user's history: it plans from the calendar
  alone (no activity, so no forecast), while its blocks are measured from the same activity.

Time is a `FakeClock`. The planner refreshes at 05:00 every day and whenever a block ends (and
on a Skip); the person's activity enters the store as time passes (window spans with
categories; meetings as calendar spans from the moment they are booked), and how each block was
kept is measured by the planner itself (`Planner.measure_ended`, `Planner.review`).

The people (`make_people`, seeded): each starts from a persona of `training.synthetic` (its
role and main kind of work, usual start and end of the day, lunch, focus hours, distraction,
meeting load, weekend work, break rhythm) and gets a week of their own on top:

- per weekday, when they arrive and leave (the persona's hours moved by up to about an hour
  per weekday, Fridays shorter) and recurring absences: students 2-3 classes a weekday (their
  laptop is shut in class), others one afternoon or morning errand on about a third of their
  weekdays (school run, a course), each taking place 85% of the weeks;
- day to day: arrival and departure jitter (SD 20 and 25 minutes, late mornings and overtime
  one day in ten), a day off on 7% of weekdays, a day's energy (log-normal, SD 0.25), lunch
  away (30-60 minutes; some eat at the desk), short breaks after every 45-120 minutes at the
  computer, evening sessions by chance, meetings: recurring weekly ones (known weeks ahead)
  and ad hoc ones (booked 1-4 days or 1-4 hours ahead);
- energy through the day: 1.0 in their focus hours, 0.55 in the hour after lunch, 0.5 from
  half an hour before leaving on, 0.75 otherwise (times the day's energy). At the computer in
  working time their main kind of work takes a share of 0.2 + 0.5 x energy of the time, the
  rest is messages, browsing, other work and (more when tired) distractions; evenings are
  leisure.

How they react when a block starts (`react`):

- a meeting over the block (booked after the planner last looked): Skip;
- an at-computer block when they are elsewhere (away for half the block or more): missed,
  unless they come to the computer for it (10% x discipline);
- an at-computer block when they are there: followed with chance discipline x energy
  (discipline 0.7-0.95 per person): the block then goes to the item's category (a few glances
  elsewhere), until a longer absence of theirs begins (lunch, a class, home: 10 minutes of
  grace) or, one time in five, they stop early; not followed: Skip (40%) or ignored, and
  their usual activity goes on;
- an away block (exercise, lunch, a walk): kept by itself when they would be away anyway;
  otherwise they step away with chance discipline x 0.85 outside their working time, x 0.6
  inside it.

A task counts as done by its due date when the measured minutes of its blocks that ended by the
end of that day reach `DONE_AT` of its length. OUT.json per week and policy, summed over people:
planned minutes (blocks that reached their start, skipped ones included), kept minutes, their
ratio, tasks due that week and tasks done by their due date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import sys
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from desktop.clock import FakeClock
from desktop.plan import forecast as fc
from desktop.plan import items, placement
from desktop.plan.planner import HORIZON_DAYS, Planner, Refresh
from desktop.store import DB_NAME, Event, Store
from training.plan_eval import SOLVE_LIMIT_S
from training.synthetic import persons

POLICIES = ("learned", "first_fit", "unpersonalized")
TZ = dt.UTC
PRE_START = dt.date(2026, 1, 5)  # a Monday: the pre-history begins here
PRE_WEEKS = 4
MORNING_MIN = 5 * 60  # the daily refresh
DONE_AT = 0.9  # a task is done when its kept minutes reach this share of its length
DAY_MIN = 1440
AWAY = -1
# Activity codes of the per-minute day: an index into CATEGORIES, AWAY when not at the computer.
CATEGORIES = (
    "development",
    "communication",
    "meetings",
    "office",
    "browsing",
    "social",
    "entertainment",
    "games",
    "design",
)
CODE = {name: index for index, name in enumerate(CATEGORIES)}
STRUCTURAL_AWAY_MIN = 20  # an absence this long is lunch, a class or home, not a short break
GRACE_MIN = 10
FIELDS = ("planned_min", "kept_min", "kept_share", "tasks_due", "tasks_done_by_due")


# --- the people ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Weekday:
    """One weekday of a person's usual week."""

    works: bool
    arrive: float  # hour
    leave: float
    gaps: tuple[tuple[float, float], ...] = ()  # recurring absences (hours): classes, errands
    weekend_work: bool = False  # a day off on which they may still work a few hours


@dataclass(frozen=True)
class Person:
    """A simulated person: their week, energy, calendar and what they want time for."""

    index: int
    name: str
    main: str  # main kind of work (a category)
    week: tuple[Weekday, ...]  # Monday first
    lunch: float  # hour
    lunch_at_desk: float
    focus: tuple[float, float]  # hours of the day with the most energy
    discipline: float  # chance of following a block when there and fresh
    distraction: float
    break_every_min: float
    evening_use: float
    weekend_use: float
    recurring: tuple[tuple[int, float, int], ...]  # (weekday, hour, minutes) weekly meetings
    adhoc_per_day: float
    habits: tuple[items.Item, ...]
    settings: items.PlanSettings
    task_categories: tuple[str, ...]
    apps: dict[str, tuple[str, ...]] = field(hash=False, compare=False, default_factory=dict)


def _round_quarter(hour: float) -> float:
    return round(hour * 4) / 4


def _habits(rng: np.random.Generator, main: str) -> tuple[items.Item, ...]:
    """Draw what a person wants time for (a deep-work habit, and some of the common others)."""
    low, high = (60, 120) if rng.random() < 0.6 else (90, 90)
    habits = [
        items.Item(
            "Deep work", "habit", low, high, days=items.WEEKDAYS, priority=1, categories=(main,)
        )
    ]
    if rng.random() < 0.5:
        habits.append(
            items.Item(
                "Messages", "habit", 30, 30, days=items.WEEKDAYS, priority=3,
                categories=("communication",),
            )
        )  # fmt: skip
    if rng.random() < 0.6:
        minutes = int(rng.choice([30, 45]))
        habits.append(
            items.Item(
                "Reading", "habit", minutes, minutes, days=items.WEEKDAYS, per="week", times=3,
                categories=("office",),
            )
        )  # fmt: skip
    if rng.random() < 0.7:
        window = (17 * 60, 21 * 60) if rng.random() < 0.75 else (6 * 60 + 30, 9 * 60)
        habits.append(
            items.Item(
                "Exercise", "habit", 45, 45, window=window, per="week", times=3, away=True,
            )
        )  # fmt: skip
    if rng.random() < 0.5:
        habits.append(
            items.Item(
                "Lunch", "habit", 45, 45, days=items.WEEKDAYS, window=(12 * 60, 14 * 60),
                away=True,
            )
        )  # fmt: skip
    return tuple(habits)


def _person(persona: persons.Persona, index: int, seed: int) -> Person:
    rng = np.random.default_rng([seed, index, 0x91A7])
    student = persons.is_student(persona.name)
    main = next((k for k in persona.apps if k in persons.WORK_KINDS), "office")
    start, end = persona.work_start_hour, persona.work_end_hour
    week = []
    for weekday in range(7):
        if weekday < 5:
            arrive = _round_quarter(float(np.clip(start + rng.normal(0, 0.4), 6.0, 14.0)))
            leave = _round_quarter(float(np.clip(end + rng.normal(0, 0.5), arrive + 4.0, 23.0)))
            if weekday == 4:
                leave -= _round_quarter(float(rng.uniform(0.0, 1.0)))
            gaps = []
            if student:
                for _ in range(int(rng.integers(2, 4))):
                    at = _round_quarter(float(rng.uniform(arrive, leave - 1.5)))
                    gaps.append((at, at + _round_quarter(float(rng.uniform(1.25, 2.0)))))
            elif rng.random() < 0.35:
                at = _round_quarter(float(rng.uniform(arrive + 1.0, leave - 1.5)))
                gaps.append((at, at + _round_quarter(float(rng.uniform(1.0, 2.5)))))
            week.append(Weekday(True, arrive, leave, tuple(sorted(gaps))))
        else:
            week.append(
                Weekday(False, 0.0, 0.0, weekend_work=persona.works_weekends and weekday == 5)
            )
    recurring = []
    for _ in range(int(round(persona.meeting_load * rng.uniform(0.4, 0.9)))):
        weekday = int(rng.integers(5))
        day = week[weekday]
        hour = round(rng.uniform(day.arrive + 0.5, max(day.arrive + 0.5, day.leave - 1.0)) * 2) / 2
        recurring.append((weekday, hour, int(rng.choice([30, 60]))))
    evening = rng.uniform(0.3, 0.8) if student else rng.uniform(0.0, 0.5) ** 1.3
    # What they write in plan.toml: half keep the default working hours, half write their own
    # usual day (rounded to whole hours).
    settings = items.PlanSettings()
    if rng.random() < 0.5:
        settings = replace(settings, work_hours=(int(start) * 60, min(24, math.ceil(end)) * 60))
    tasks = ("office",) if rng.random() < 0.5 or main == "office" else (main,)
    return Person(
        index=index,
        name=persona.name,
        main=main,
        week=tuple(week),
        lunch=persona.lunch_hour,
        lunch_at_desk=float(rng.uniform(0.0, 0.3)),
        focus=persona.focus_hours,
        discipline=float(rng.uniform(0.7, 0.95)),
        distraction=persona.distraction_propensity,
        break_every_min=persona.break_rhythm_minutes,
        evening_use=float(evening),
        weekend_use=float(rng.uniform(0.1, 0.75)),
        recurring=tuple(recurring),
        adhoc_per_day=max(0.0, persona.meeting_load - len(recurring) / 5.0) * 0.6,
        habits=_habits(rng, main),
        settings=settings,
        task_categories=tasks,
        apps=dict(persona.apps),
    )


def make_people(count: int, seed: int) -> list[Person]:
    """Return `count` simulated people, deterministic for `seed`."""
    return [_person(p, i, seed) for i, p in enumerate(persons.make_personas(count, seed))]


def week_tasks(person: Person, week: int, monday: dt.date, seed: int) -> list[items.Item]:
    """Return the tasks a person takes on in a week (one or two, due Wednesday to Friday)."""
    rng = np.random.default_rng([seed, person.index, week, 0x7A5C])
    tasks = []
    for number in range(1, int(rng.integers(1, 3)) + 1):
        hours = float(rng.choice([3, 4, 5, 6]))
        due = monday + dt.timedelta(days=int(rng.integers(2, 5)))
        tasks.append(
            items.Item(
                f"Task {number} of week {week}",
                "task",
                60,
                120,
                priority=int(rng.choice([1, 2])),
                categories=person.task_categories,
                total_minutes=int(hours * 60),
                due=due,
            )
        )
    return tasks


def energy(person: Person, weekday: int, minute: float) -> float:
    """Return the person's usual energy at a minute of a weekday (before the day's own)."""
    hour = minute / 60.0
    day = person.week[weekday]
    if not day.works:
        return 0.5
    if person.focus[0] <= hour < person.focus[1]:
        return 1.0
    if 0.0 <= hour - person.lunch < 1.0:
        return 0.55
    if hour >= day.leave - 0.5 or hour < day.arrive:
        return 0.5
    return 0.75


# --- a day of activity -------------------------------------------------------------------------


@dataclass(frozen=True)
class Meeting:
    start: float  # epoch seconds
    end: float
    booked_at: float


@dataclass
class Day:
    """One day of a person: what they do each minute (AWAY or a category code), meetings."""

    date: dt.date
    codes: np.ndarray  # int8 (DAY_MIN,)
    meetings: list[Meeting]
    energy: float  # the day's own, times the usual curve
    works: bool


def _epoch(date: dt.date, minute: float) -> float:
    return dt.datetime.combine(date, dt.time(), TZ).timestamp() + minute * 60.0


def _draw(rng: np.random.Generator, table: dict[str, float]) -> int:
    names = list(table)
    weights = np.array([table[n] for n in names], float)
    return CODE[names[int(rng.choice(len(names), p=weights / weights.sum()))]]


def _work_mix(person: Person, level: float) -> dict[str, float]:
    other = "office" if person.main != "office" else "development"
    return {
        person.main: 0.2 + 0.5 * min(level, 1.2),
        "communication": 0.14,
        "browsing": 0.12,
        other: 0.08,
        "social": 0.35 * person.distraction * max(0.1, 1.3 - level),
        "entertainment": 0.2 * person.distraction * max(0.1, 1.3 - level),
    }


_LEISURE = {
    "browsing": 0.45,
    "entertainment": 0.25,
    "social": 0.15,
    "games": 0.1,
    "communication": 0.05,
}


def _fill(
    person: Person,
    codes: np.ndarray,
    present: np.ndarray,
    weekday: int,
    level: float,
    working: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Give every present minute a category, in runs of a few minutes."""
    minute = 0
    while minute < DAY_MIN:
        if not present[minute]:
            minute += 1
            continue
        length = max(1, int(rng.lognormal(math.log(9.0), 0.7)))
        if working[minute]:
            table = _work_mix(person, energy(person, weekday, minute) * level)
        else:
            table = _LEISURE
        code = _draw(rng, table)
        stop = min(DAY_MIN, minute + length)
        run = np.arange(minute, stop)
        codes[run[present[minute:stop]]] = code
        minute = stop


def _breaks(person: Person, present: np.ndarray, rng: np.random.Generator) -> None:
    """Take a short break after every so many minutes at the computer."""
    since, away = 0, 0
    due = person.break_every_min * rng.lognormal(0.0, 0.3)
    minute = 0
    while minute < DAY_MIN:
        if not present[minute]:
            away += 1
            if away >= 5:  # five minutes away already was a break
                since = 0
            minute += 1
            continue
        away = 0
        since += 1
        if since >= due:
            length = int(rng.uniform(5, 16))
            present[minute : minute + length] = False
            minute += length
            since, due = 0, person.break_every_min * rng.lognormal(0.0, 0.3)
            continue
        minute += 1


def _meetings(
    person: Person,
    date: dt.date,
    rhythm: Weekday,
    arrive: float,
    leave: float,
    blocked: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[int, int, float]]:
    """Return today's meetings as (first minute, last minute, booked at epoch)."""
    found: list[tuple[int, int, float]] = []

    def free(lo: int, hi: int) -> bool:
        return lo >= 0 and hi <= DAY_MIN and not blocked[lo:hi].any()

    for weekday, hour, minutes in person.recurring:
        lo = int(hour * 60)
        if weekday == date.weekday() and rng.random() < 0.9 and free(lo, lo + minutes):
            found.append((lo, lo + minutes, _epoch(date, lo) - 14 * 86400))
            blocked[lo : lo + minutes] = True
    for _ in range(int(rng.poisson(person.adhoc_per_day))):
        minutes = 30 if rng.random() < 0.6 else 60
        for _try in range(8):
            lo = int(math.floor(rng.uniform(arrive + 0.25, leave - minutes / 60.0) * 2) * 30)
            if free(lo, lo + minutes):
                ahead = (
                    rng.uniform(1, 5) * 86400 if rng.random() < 0.5 else rng.uniform(1, 4) * 3600
                )
                found.append((lo, lo + minutes, _epoch(date, lo) - ahead))
                blocked[lo : lo + minutes] = True
                break
    return found


def make_day(person: Person, date: dt.date, seed: int) -> Day:
    """Return what the person does on `date` when nothing is planned (same for every policy)."""
    rng = np.random.default_rng([seed, person.index, date.toordinal(), 0xDA7])
    weekday = date.weekday()
    rhythm = person.week[weekday]
    present = np.zeros(DAY_MIN, bool)
    working = np.zeros(DAY_MIN, bool)
    codes = np.full(DAY_MIN, AWAY, np.int8)
    level = float(np.clip(rng.lognormal(0.0, 0.25), 0.6, 1.4))
    meetings: list[tuple[int, int, float]] = []
    works = rhythm.works and rng.random() >= 0.07
    if works:
        arrive = rhythm.arrive + float(np.clip(rng.normal(0, 0.33), -0.75, 0.75))
        if rng.random() < 0.1:
            arrive += rng.uniform(0.25, 1.0)  # a late morning
        leave = rhythm.leave + float(np.clip(rng.normal(0, 0.42), -1.0, 1.0))
        if rng.random() < 0.1:
            leave += rng.uniform(0.5, 1.5)  # overtime
        lo, hi = int(arrive * 60), int(min(leave, 23.9) * 60)
        present[lo:hi] = True
        working[lo:hi] = True
        blocked = np.zeros(DAY_MIN, bool)
        lunch = int((person.lunch + float(np.clip(rng.normal(0, 0.2), -0.5, 0.5))) * 60)
        lunch_end = lunch + int(rng.uniform(30, 61))
        blocked[lunch:lunch_end] = True
        if rng.random() >= person.lunch_at_desk:
            present[lunch:lunch_end] = False
        else:
            working[lunch:lunch_end] = False  # eating at the desk: leisure
        for gap_lo, gap_hi in rhythm.gaps:
            if rng.random() < 0.85:
                present[int(gap_lo * 60) : int(gap_hi * 60)] = False
                blocked[int(gap_lo * 60) : int(gap_hi * 60)] = True
        blocked[:lo] = True
        blocked[hi:] = True
        _breaks(person, present, rng)
        meetings = _meetings(person, date, rhythm, arrive, leave, blocked, rng)
        if rng.random() < person.evening_use:
            begin = max(leave + 1.5, 19.5) + float(np.clip(rng.normal(0, 0.6), -1.5, 1.5))
            length = min(200.0, max(10.0, rng.lognormal(math.log(55.0), 0.7)))
            lo, hi = int(begin * 60), int(min(23.9, begin + length / 60.0) * 60)
            present[lo:hi] = True
    else:
        if rhythm.weekend_work and rng.random() < 0.6:
            begin = float(rng.uniform(9.5, 13.0))
            lo, hi = int(begin * 60), int((begin + rng.uniform(4.0, 7.0)) * 60)
            present[lo:hi] = True
            working[lo:hi] = True
            _breaks(person, present, rng)
        sessions = 0
        while sessions < 3 and rng.random() < (person.weekend_use if sessions == 0 else 0.35):
            sessions += 1
            begin = float(rng.uniform(9.5 + 4 * (sessions - 1), 21.0))
            length = min(180.0, max(8.0, rng.lognormal(math.log(45.0), 0.8)))
            lo, hi = int(begin * 60), int(min(23.9, begin + length / 60.0) * 60)
            present[lo:hi] |= ~working[lo:hi]
    _fill(person, codes, present, weekday, level, working, rng)
    for lo, hi, _booked in meetings:
        codes[lo:hi] = CODE["meetings"]
    return Day(
        date,
        codes,
        [Meeting(_epoch(date, lo), _epoch(date, hi), booked) for lo, hi, booked in meetings],
        level,
        works,
    )


def spans_of(day: Day, lo: int, hi: int, apps: dict[str, tuple[str, ...]]) -> list[Event]:
    """Return the window spans of minutes [lo, hi) of a day, one per run of one category."""
    events: list[Event] = []
    codes = day.codes[lo:hi]
    if not len(codes):
        return events
    edges = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [len(codes)]])
    for first, stop in zip(starts, stops, strict=True):
        code = int(codes[first])
        if code == AWAY:
            continue
        category = CATEGORIES[code]
        app = (apps.get(category) or (category,))[0]
        begin = _epoch(day.date, lo + int(first))
        events.append(Event(begin, (stop - first) * 60.0, "window", app, category=category))
    return events


# --- reacting to a block ---------------------------------------------------------------------


def react(
    person: Person,
    day: Day,
    item: items.Item | None,
    first: int,
    last: int,
    rng: np.random.Generator,
) -> str:
    """Decide what the person does with a block of minutes [first, last) of `day`.

    Returns "skip" (they press Skip), "follow" (the day's minutes now show the block kept),
    "away" (an away block they keep by being away anyway), "missed" (they are elsewhere) or
    "ignore" (they carry on as usual).
    """
    start, end = _epoch(day.date, first), _epoch(day.date, last)
    if any(m.start < end and m.end > start and m.booked_at <= start for m in day.meetings):
        return "skip"
    block = day.codes[first:last]
    there = float((block != AWAY).mean())
    weekday = day.date.weekday()
    rhythm = person.week[weekday]
    meeting = block == CODE["meetings"]
    if item is not None and item.away:
        if there <= 0.25:
            return "away"
        working = day.works and rhythm.arrive <= first / 60.0 < rhythm.leave
        if rng.random() < person.discipline * (0.6 if working else 0.85):
            block[~meeting] = AWAY
            return "follow"
        return "skip" if rng.random() < 0.4 else "ignore"
    category = CODE[item.categories[0]] if item is not None and item.categories else None
    category = CODE[person.main] if category is None else category
    if there < 0.5:
        if rng.random() < 0.1 * person.discipline:
            _keep(block, category, len(block), rng)
            return "follow"
        return "missed"
    level = energy(person, weekday, first) * day.energy
    if rng.random() >= min(0.95, person.discipline * level):
        return "skip" if rng.random() < 0.4 else "ignore"
    stop = len(block)
    away_run = 0
    for index, code in enumerate(block):
        away_run = away_run + 1 if code == AWAY else 0
        if away_run >= STRUCTURAL_AWAY_MIN:
            stop = min(stop, index - away_run + 1 + GRACE_MIN)
            break
    if rng.random() < 0.2:
        stop = min(stop, int(len(block) * rng.uniform(0.4, 0.9)))
    _keep(block, category, stop, rng)
    return "follow"


def _keep(block: np.ndarray, category: int, stop: int, rng: np.random.Generator) -> None:
    """Spend the first `stop` minutes of the block in `category`, with a few glances away."""
    for index in range(stop):
        if block[index] == CODE["meetings"]:
            continue
        if rng.random() < 0.07:
            block[index] = CODE["communication"] if rng.random() < 0.5 else CODE["browsing"]
        else:
            block[index] = category


# --- planners ----------------------------------------------------------------------------------


class CalendarOnlyPlanner(Planner):
    """The app's planner when it may not use the user's activity: it plans from the calendar."""

    def timeline(self, now: float) -> tuple[fc.Timeline, int]:
        today = self.local(now).date()
        origin = today - dt.timedelta(days=fc.HISTORY_DAYS)
        days = fc.HISTORY_DAYS + HORIZON_DAYS + 1
        lo, hi = self.epoch(origin, 0), self.epoch(origin + dt.timedelta(days=days), 0)
        spans = [
            (start, end, "calendar", category)
            for start, end, category in self.store.clipped_spans(lo, hi, ("calendar",))
        ]
        return fc.timeline_from_spans(spans, origin, days, self.tz), fc.HISTORY_DAYS


class FirstFitPlanner(CalendarOnlyPlanner):
    """A rules planner: each item, by priority, takes the first free slot (see `first_fit`)."""

    def refresh(self, now: float | None = None) -> Refresh:
        with self._lock:
            now = self.clock.now() if now is None else now
            plan = self.plan()
            self.store.sync_plan_items(items.specs(plan.items), now)
            measured = self.measure_ended(now)
            timeline, today = self.timeline(now)
            now_minute = int(timeline.minute_of(self.local(now).replace(tzinfo=None)))
            lead_end = now + placement.LEAD_MIN * 60
            held, _hint, *skipped = self._held(timeline, now, lead_end)
            avoid = skipped[0] if skipped else []
            rows = []
            for block in first_fit(plan, timeline, today, now_minute, held, avoid):
                day = timeline.origin + dt.timedelta(days=block.day)
                start = self.epoch(day, block.start)
                rows.append((block.item, start, start + block.minutes * 60, block.why))
            self.store.replace_planned_blocks(lead_end, rows, now)
            return Refresh(len(rows), measured, [], self.plan_file.error)


def first_fit(
    plan: items.Plan,
    timeline: fc.Timeline,
    first_day: int,
    now_minute: int,
    held: list[placement.Held],
    avoid: Sequence[placement.Held] = (),
) -> list[placement.Placed]:
    """Return blocks placed first-fit: items by priority, each at its earliest free slots.

    The same hard rules as the app's placement: the item's days, window (or the working hours
    and days), due date, length on the quarter-hour grid, no meeting, the buffer after each
    block, at most one block of a habit a day (two of a task), a weekly habit's count, a task's
    remaining minutes, the daily cap, nothing before the lead time, and no slot the user
    skipped (`avoid`).
    """
    settings = plan.settings
    days = HORIZON_DAYS
    slots = fc.SLOTS
    horizon = slice(first_day * fc.DAY_MIN, (first_day + days) * fc.DAY_MIN)
    busy = np.asarray(timeline.meeting[horizon].reshape(days, slots, fc.SLOT_MIN).any(axis=2))
    taken = np.zeros((days, slots), bool)
    buffer = -(-settings.buffer_minutes // fc.SLOT_MIN)
    used = [0] * days
    for block in [*held, *avoid]:
        offset = block.day - first_day
        if 0 <= offset < days:
            first = block.start // fc.SLOT_MIN
            busy[offset, first : first + -(-block.minutes // fc.SLOT_MIN) + buffer] = True
    for block in held:
        if 0 <= block.day - first_day < days:
            used[block.day - first_day] += block.minutes
    earliest = now_minute + placement.LEAD_MIN
    placed: list[placement.Placed] = []
    order = sorted(enumerate(plan.items), key=lambda pair: (pair[1].priority, pair[0]))
    for _index, item in order:
        mine = [h for h in held if h.item == item.key]
        remaining = item.total_minutes - sum(
            h.kept_minutes if h.kept_minutes is not None else h.minutes for h in mine
        )
        per_week: dict[int, int] = {}
        for h in mine:
            week = (timeline.origin + dt.timedelta(days=h.day)).isocalendar()[1]
            per_week[week] = per_week.get(week, 0) + 1
        held_days = {h.day - first_day for h in mine}
        lengths = sorted(_lengths(item), reverse=True)
        for offset in range(days):
            date = timeline.origin + dt.timedelta(days=first_day + offset)
            week = date.isocalendar()[1]
            if date.weekday() not in item.days or offset in held_days:
                continue
            if item.window is None and date.weekday() not in settings.work_days:
                continue
            if item.due is not None and date > item.due:
                continue
            window = item.window or settings.work_hours
            most = 2 if item.kind == "task" else 1
            count = 0
            while count < most:
                if item.kind == "task":
                    fitting = [m for m in lengths if m <= remaining]
                elif item.per == "week" and per_week.get(week, 0) >= item.times:
                    fitting = []
                else:
                    fitting = lengths[:1]
                if not fitting:
                    break
                minutes = fitting[0]
                spot = _first_free(
                    busy[offset], taken[offset], window, minutes, buffer,
                    (first_day + offset) * fc.DAY_MIN, earliest,
                )  # fmt: skip
                if spot is None or used[offset] + minutes > settings.daily_cap_minutes:
                    break
                first = spot // fc.SLOT_MIN
                taken[offset, first : first + minutes // fc.SLOT_MIN + buffer] = True
                used[offset] += minutes
                remaining -= minutes
                per_week[week] = per_week.get(week, 0) + 1
                count += 1
                placed.append(
                    placement.Placed(
                        item.key, first_day + offset, spot, minutes, 0.0, "first free slot"
                    )
                )
    return placed


def _lengths(item: items.Item) -> list[int]:
    low = max(fc.SLOT_MIN, -(-item.min_minutes // fc.SLOT_MIN) * fc.SLOT_MIN)
    high = max(low, -(-item.max_minutes // fc.SLOT_MIN) * fc.SLOT_MIN)
    return sorted({low, (low + high) // 2 // fc.SLOT_MIN * fc.SLOT_MIN, high})


def _first_free(
    busy: np.ndarray,
    taken: np.ndarray,
    window: tuple[int, int],
    minutes: int,
    buffer: int,
    day_minute: int,
    earliest: int,
) -> int | None:
    length = minutes // fc.SLOT_MIN
    for start in range(window[0], window[1] - minutes + 1, fc.SLOT_MIN):
        if day_minute + start < earliest:
            continue
        first = start // fc.SLOT_MIN
        if busy[first : first + length].any() or taken[first : first + length + buffer].any():
            continue
        return start
    return None


# --- running a person ------------------------------------------------------------------------


class _Feed:
    """The person's activity and calendar, written into the store as simulated time passes."""

    def __init__(self, person: Person, store: Store, seed: int) -> None:
        self.person = person
        self.store = store
        self.seed = seed
        self.days: dict[dt.date, Day] = {}
        self.cursor: float | None = None
        self.booked: set[tuple[float, float]] = set()

    def day(self, date: dt.date) -> Day:
        if date not in self.days:
            self.days[date] = make_day(self.person, date, self.seed)
        return self.days[date]

    def meetings_until(self, moment: float, dates: Iterable[dt.date]) -> None:
        """Put the meetings of `dates` that are booked by `moment` into the calendar."""
        events = []
        for date in dates:
            for meeting in self.day(date).meetings:
                key = (meeting.start, meeting.end)
                if meeting.booked_at <= moment and key not in self.booked:
                    self.booked.add(key)
                    events.append(
                        Event(
                            meeting.start,
                            meeting.end - meeting.start,
                            "calendar",
                            "calendar",
                            category="meetings",
                        )
                    )
        if events:
            self.store.insert_events(events)

    def advance(self, moment: float) -> None:
        """Write the activity from the cursor up to `moment`, and the meetings booked by then."""
        first = dt.datetime.fromtimestamp(moment if self.cursor is None else self.cursor, TZ)
        if self.cursor is None:
            self.cursor = moment
        events: list[Event] = []
        while self.cursor < moment:
            date = dt.datetime.fromtimestamp(self.cursor, TZ).date()
            upto = min(moment, _epoch(date, DAY_MIN))
            lo = int(round((self.cursor - _epoch(date, 0)) / 60.0))
            hi = int(round((upto - _epoch(date, 0)) / 60.0))
            events += spans_of(self.day(date), lo, hi, self.person.apps)
            self.cursor = upto
        if events:
            self.store.insert_events(events)
        last = dt.datetime.fromtimestamp(moment, TZ).date() + dt.timedelta(days=8)
        dates = [first.date() + dt.timedelta(days=k) for k in range((last - first.date()).days + 1)]
        self.meetings_until(moment, dates)


def _planner(policy: str, store: Store, directory: Path, clock: FakeClock) -> Planner:
    # Every solve reaches its optimum, as in evaluate-plan: the same figures at any load.
    limits = {"time_limit_s": SOLVE_LIMIT_S, "replan_time_limit_s": SOLVE_LIMIT_S}
    if policy == "learned":
        return Planner(store, directory, clock, TZ, **limits)
    if policy == "first_fit":
        return FirstFitPlanner(store, directory, clock, TZ, **limits)
    if policy == "unpersonalized":
        return CalendarOnlyPlanner(store, directory, clock, TZ, **limits)
    raise ValueError(f"unknown policy {policy!r}; expected one of {POLICIES}")


def run_person(
    person: Person,
    policy: str,
    weeks: int,
    seed: int,
    *,
    pre_weeks: int = PRE_WEEKS,
    tasks: bool = True,
    log: list[tuple[str, str, float, str, float | None]] | None = None,
) -> list[dict[str, float]]:
    """Return the figures of each simulated week of one person under one policy.

    `log`, when given, receives (item, local start, minutes, reaction, kept share) per block.
    """
    first_monday = PRE_START + dt.timedelta(weeks=pre_weeks)
    with tempfile.TemporaryDirectory(prefix="plan-sim-") as folder:
        directory = Path(folder)
        store = Store(directory / DB_NAME)
        clock = FakeClock(_epoch(first_monday, 0))
        feed = _Feed(person, store, seed)
        if policy == "learned" and pre_weeks:
            feed.cursor = _epoch(PRE_START, 0)
        feed.advance(_epoch(first_monday, 0))
        planner = _planner(policy, store, directory, clock)
        figures = []
        reactions_all: dict[int, str] = {}
        for week in range(1, weeks + 1):
            monday = first_monday + dt.timedelta(weeks=week - 1)
            tasks_now = week_tasks(person, week, monday, seed) if tasks else []
            plan = items.Plan((*person.habits, *tasks_now), person.settings)
            planner.plan_file.save(plan)
            for offset in range(7):
                date = monday + dt.timedelta(days=offset)
                reactions_all.update(_run_day(person, planner, feed, clock, date, seed))
            end = _epoch(monday + dt.timedelta(days=7), 0)
            feed.advance(end)
            clock.set(end)
            planner.measure_ended(end)
            if log is not None:
                for block in planner.blocks(_epoch(monday, 0), end):
                    when = dt.datetime.fromtimestamp(block.start, TZ).strftime("%a %d %H:%M")
                    reaction = reactions_all.get(block.id, "-")
                    log.append((block.item, when, block.minutes, reaction, block.kept_share))
            figures.append(_week_figures(planner, store, tasks_now, _epoch(monday, 0), end))
        store.close()
    return figures


def _run_day(
    person: Person, planner: Planner, feed: _Feed, clock: FakeClock, date: dt.date, seed: int
) -> dict[int, str]:
    """Run one day from its morning refresh on; return each block's reaction by block id."""
    reactions: dict[int, str] = {}
    morning = _epoch(date, MORNING_MIN)
    tomorrow = morning + 86400.0
    feed.advance(morning)
    clock.set(morning)
    planner.refresh()
    now = morning
    plan = planner.plan()
    while True:
        coming = [
            b
            for b in planner.blocks(now, tomorrow)
            if b.status == "planned" and b.start >= now and b.start < tomorrow
        ]
        if not coming:
            return reactions
        block = coming[0]
        feed.advance(block.start)
        clock.set(block.start)
        now = block.start
        local = dt.datetime.fromtimestamp(block.start, TZ)
        day = feed.day(local.date())
        first = local.hour * 60 + local.minute
        last = first + int(round((block.end - block.start) / 60.0))
        rng = np.random.default_rng(
            [seed, person.index, int(block.start), zlib.crc32(block.item.encode())]
        )
        reaction = react(person, day, plan.item(block.item), first, min(last, DAY_MIN), rng)
        reactions[block.id] = reaction
        if reaction == "skip":
            planner.skip(block.id)
            continue
        if reaction == "follow":
            planner.start(block.id)
        feed.advance(block.end)
        clock.set(block.end)
        now = block.end
        planner.refresh()


def _week_figures(
    planner: Planner, store: Store, tasks: Sequence[items.Item], start: float, end: float
) -> dict[str, float]:
    review = planner.review(start, end)
    planned = sum(row.planned_min for row in review)
    kept = sum(row.kept_min for row in review)
    done = 0
    for task in tasks:
        assert task.due is not None
        due_end = _epoch(task.due + dt.timedelta(days=1), 0)
        blocks = store.plan_blocks(start, due_end, item=task.key)
        minutes = sum((b.kept_s or 0.0) / 60.0 for b in blocks if b.end <= due_end)
        done += minutes >= DONE_AT * task.total_minutes
    return {
        "planned_min": round(planned, 1),
        "kept_min": round(kept, 1),
        "kept_share": round(kept / planned, 3) if planned else 0.0,
        "tasks_due": len(tasks),
        "tasks_done_by_due": done,
    }


def _job(args: tuple[Person, str, int, int]) -> tuple[int, str, list[dict[str, float]]]:
    person, policy, weeks, seed = args
    return person.index, policy, run_person(person, policy, weeks, seed)


def simulate(
    users: int,
    weeks: int,
    seed: int = 0,
    *,
    jobs: int = 1,
    people: Sequence[Person] | None = None,
    policies: Sequence[str] = POLICIES,
) -> dict[str, Any]:
    """Return {"weeks": [{"week": n, "policies": {policy: figures}}]} summed over people."""
    people = list(people) if people is not None else make_people(users, seed)
    work = [(person, policy, weeks, seed) for person in people for policy in policies]
    if jobs > 1 and len(work) > 1:
        with multiprocessing.get_context("spawn").Pool(min(jobs, len(work))) as pool:
            results = pool.map(_job, work)
    else:
        results = [_job(w) for w in work]
    out = []
    for week in range(weeks):
        figures = {}
        for policy in policies:
            rows = [r[week] for _index, name, r in results if name == policy]
            planned = sum(r["planned_min"] for r in rows)
            kept = sum(r["kept_min"] for r in rows)
            figures[policy] = {
                "planned_min": round(planned, 1),
                "kept_min": round(kept, 1),
                "kept_share": round(kept / planned, 3) if planned else 0.0,
                "tasks_due": int(sum(r["tasks_due"] for r in rows)),
                "tasks_done_by_due": int(sum(r["tasks_done_by_due"] for r in rows)),
            }
        out.append({"week": week + 1, "policies": figures})
    return {"weeks": out}


def table(result: dict[str, Any]) -> str:
    """Return the per-week figures as a Markdown table."""
    lines = [
        "| week | policy | planned min | kept min | kept share | tasks due | done by due |",
        "|---|---|---|---|---|---|---|",
    ]
    for week in result["weeks"]:
        for name, p in week["policies"].items():
            lines.append(
                f"| {week['week']} | {name} | {p['planned_min']:.0f} | {p['kept_min']:.0f} "
                f"| {p['kept_share']:.3f} | {p['tasks_due']} | {p['tasks_done_by_due']} |"
            )
    return "\n".join(lines)


def cmd_simulate_plan(args: argparse.Namespace) -> int:
    """Run `simulate --plan`: print the table, write OUT.json."""
    if getattr(args, "policy", None):
        print(
            "sculptor-train simulate: --policy chooses among the suggestion policies; "
            f"with --plan all of {', '.join(POLICIES)} run",
            file=sys.stderr,
        )
        return 2
    if args.users < 1 or args.weeks < 1:
        print("sculptor-train simulate: --users and --weeks must be at least 1", file=sys.stderr)
        return 2
    result = simulate(args.users, args.weeks, args.seed, jobs=args.jobs)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def extend(parser: argparse.ArgumentParser) -> None:
    """Give `sculptor-train simulate` its --plan flag; without it the command is unchanged."""
    parser.add_argument(
        "--plan",
        action="store_true",
        help="simulated people keep or skip planned blocks: the planner vs first fit "
        "vs the planner without their history",
    )
    suggestions = parser.get_default("func")

    def command(args: argparse.Namespace) -> int:
        if args.plan:
            return cmd_simulate_plan(args)
        return int(suggestions(args))

    parser.set_defaults(func=command)
