"""How long planning takes: a week with 20 items, and a re-plan after a missed block.

    python benchmarks/plan.py [--items 20] [--repeat 7] [--compare-cpsat] [--json OUT]

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

With `--compare-cpsat` every program the app's solver (HiGHS) was given is solved again by
OR-Tools CP-SAT (the reference; `pip install ortools`, in this process alone: CP-SAT crashes in
a process that has imported TensorFlow), with the same time limit: the objectives (weighted
expected kept minutes) and solver times side by side.

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
from desktop.plan import items, solver  # noqa: E402
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


def _cpsat(problem: solver.Problem, time_limit_s: float) -> tuple[float, float, str]:
    """Return (objective, seconds, status) of the same program by OR-Tools CP-SAT."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(problem.values))]
    for indexes, coefficients, bound in problem.rows:
        model.add(sum(c * x[i] for i, c in zip(indexes, coefficients, strict=True)) <= bound)
    model.maximize(sum(v * var for v, var in zip(problem.values, x, strict=True)))
    for var, hinted in zip(x, problem.hinted, strict=True):
        model.add_hint(var, hinted)
    engine = cp_model.CpSolver()
    engine.parameters.max_time_in_seconds = time_limit_s
    engine.parameters.num_workers = 1
    status = engine.solve(model)
    name = "optimal" if status == cp_model.OPTIMAL else "feasible"
    return engine.objective_value, engine.wall_time, name


def measure(count: int, repeat: int, compare: bool) -> dict[str, float | int]:
    weeks, replans, solver_s, optimal = [], [], [], 0
    programs: list[tuple[solver.Problem, float]] = []
    build_program = solver.build

    def recording(*args, **kwargs):
        program = build_program(*args, **kwargs)
        programs.append((program, 0.8 if not any(program.hinted) else 0.1))
        return program

    solver.build = recording  # type: ignore[assignment]
    try:
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
                solver_s.append(solution.wall_s)
                optimal += solution.status == "optimal"
                store.close()
    finally:
        solver.build = build_program  # type: ignore[assignment]
    figures: dict[str, float | int] = {
        "items": count,
        "repeat": repeat,
        "plan_week_s_median": statistics.median(weeks),
        "replan_after_miss_s_median": statistics.median(replans),
        "replan_solver_s_median": statistics.median(solver_s),
        "replans_proven_optimal": optimal,
    }
    if compare:
        highs = [solver.solve_problem(p, limit) for p, limit in programs]
        cpsat = [_cpsat(p, limit) for p, limit in programs]
        figures["programs_compared"] = len(programs)
        figures["highs_objective_mean"] = statistics.fmean(h[2] for h in highs)
        figures["cpsat_objective_mean"] = statistics.fmean(c[0] for c in cpsat)
        figures["highs_solver_s_median"] = statistics.median(h[3] for h in highs)
        figures["cpsat_solver_s_median"] = statistics.median(c[1] for c in cpsat)
        figures["programs_where_highs_is_worse"] = sum(
            h[2] < c[0] - 1e-6 for h, c in zip(highs, cpsat, strict=True)
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--compare-cpsat",
        action="store_true",
        help="also solve every program with OR-Tools CP-SAT (pip install ortools)",
    )
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    figures = measure(args.items, args.repeat, args.compare_cpsat)
    for key, value in figures.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
