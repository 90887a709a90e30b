"""How long planning takes: a week with 20 items, and a re-plan after a missed block.

    python benchmarks/plan.py [--items 20] [--repeat 7] [--json OUT]

Builds a store with eight weeks of synthetic history (weekday work in three categories, some
evenings, a few meetings in the planned week) and a plan.toml with `--items` habits and tasks,
then measures, as medians over `--repeat` runs, on one core (CP-SAT with one worker):

- plan the week: `Planner.refresh` on a store with no blocks yet, everything a re-plan does
  (read the history, forecast, place, store the blocks, write plan.ics);
- re-plan after a miss: the first block of the week ends unkept and `Planner.refresh` runs
  again (measure it, give its time back, place the rest of the week with the current plan as
  the solver's hint);
- the solver alone (`Solution.wall_s`) inside the re-plan, and how many of the re-plans it
  proved optimal within its time limit (a re-plan starts from the current plan as its hint
  and gets 0.1 s; a week from scratch gets 0.8 s).

Goal: the week in under 1 s, the re-plan in under 200 ms. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
import zoneinfo
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from desktop.clock import FakeClock  # noqa: E402
from desktop.plan import items  # noqa: E402
from desktop.plan.planner import Planner  # noqa: E402
from desktop.store import DB_NAME, Event, Store  # noqa: E402

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)
CATEGORIES = ("development", "office", "communication")


def build(directory: Path, count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    store = Store(directory / DB_NAME)
    spans = []
    for day in range(-56, 0):
        date = MONDAY + dt.timedelta(days=day)
        if date.weekday() >= 5 and rng.random() < 0.7:
            continue
        moment = date + dt.timedelta(hours=8 + rng.random())
        end = date + dt.timedelta(hours=18 + rng.random() * 3)
        while moment < end:
            length = rng.uniform(5, 50) * 60
            category = rng.choice(CATEGORIES)
            spans.append(Event(moment.timestamp(), length, "window", "app", category=category))
            moment += dt.timedelta(seconds=length + rng.uniform(0, 15) * 60)
    for day in range(5):
        for _ in range(2):
            start = MONDAY + dt.timedelta(days=day, hours=rng.randint(9, 16))
            spans.append(
                Event(start.timestamp(), 3600, "calendar", "calendar", category="meetings")
            )
    store.insert_events(spans)
    store.close()
    entries = []
    for index in range(count):
        if index % 4 == 3:
            entries.append(
                items.Item(
                    f"Task {index}",
                    "task",
                    60,
                    120,
                    total_minutes=rng.choice([180, 240, 360]),
                    due=(MONDAY + dt.timedelta(days=rng.randint(2, 6))).date(),
                    categories=(rng.choice(CATEGORIES),),
                    priority=rng.randint(1, 3),
                )
            )
        else:
            entries.append(
                items.Item(
                    f"Habit {index}",
                    "habit",
                    rng.choice([30, 45, 60]),
                    rng.choice([60, 90]),
                    per="week",
                    times=rng.randint(1, 4),
                    categories=(rng.choice(CATEGORIES),),
                    priority=rng.randint(1, 3),
                )
            )
    plan = items.Plan(tuple(entries), items.PlanSettings(daily_cap_minutes=8 * 60))
    items.write_plan(directory / items.PLAN_NAME, plan)


def measure(count: int, repeat: int) -> dict[str, float]:
    weeks, replans, solver = [], [], []
    optimal = 0
    for run in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            directory = Path(folder)
            build(directory, count, seed=run)
            store = Store(directory / DB_NAME)
            now = (MONDAY + dt.timedelta(hours=6)).timestamp()
            planner = Planner(store, directory, FakeClock(now), TZ)
            started = time.perf_counter()
            result = planner.refresh()
            weeks.append(time.perf_counter() - started)
            assert result.placed > 0
            first = planner.blocks(now, now + 7 * 86400)[0]
            planner.clock.set(first.end + 60)  # nobody came: the block ends unkept
            started = time.perf_counter()
            planner.refresh()
            replans.append(time.perf_counter() - started)
            solution = planner.last_solution
            assert solution is not None
            solver.append(solution.wall_s)
            optimal += solution.status == "optimal"
            store.close()
    return {
        "items": count,
        "repeat": repeat,
        "plan_week_s_median": statistics.median(weeks),
        "replan_after_miss_s_median": statistics.median(replans),
        "replan_solver_s_median": statistics.median(solver),
        "replans_proven_optimal": optimal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    figures = measure(args.items, args.repeat)
    for key, value in figures.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
