"""Placement as an optimization: choose blocks that maximize the expected kept minutes.

Every item offers candidate blocks (a day, a start on the quarter-hour grid, a length) with the
forecast's chance that the block is kept. A 0-1 program chooses among them: one binary per
candidate; hard rules are rows (no two blocks and their buffers share a quarter hour, busy
slots stay free, at most so many blocks a day and a week per habit, a task's remaining minutes,
a cap on planned minutes per day), and the objective is the kept minutes expected, weighted by
priority. A greedy first fit would take the best slot of the first item even when a second
item needs it more; the solver does not.

The solver is HiGHS (`highspy`, MIT). OR-Tools CP-SAT, the reference, found the same optimum
on every benchmarked week in the same time, but it crashes (SIGSEGV) in a process that has
imported TensorFlow, as training and its tests do, and with the pandas it imports it adds
about 110 MB to the app; `benchmarks/plan.py --solver both` compares them (docs/plan.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

SLOT_MIN = 15
SCALE = 1000  # objective units per weighted kept minute
BASE_VALUE = 0.02  # a block with no history behind it is still worth planning
STAY_BONUS = 0.01  # a block already in the plan stays unless another place is clearly better


@dataclass(frozen=True)
class Candidate:
    """One possible block: day offset in the horizon, start minute of that day, length."""

    day: int
    start: int  # minutes after midnight, a multiple of SLOT_MIN
    minutes: int
    value: float  # the forecast's expected kept share of the block, 0..1


@dataclass
class Need:
    """What one item asks of the horizon, and where it could go."""

    key: str
    weight: float
    candidates: list[Candidate]
    max_per_day: int = 1
    # Limits on the blocks per group of days: (days of the group, most blocks) — e.g. a
    # habit's calendar weeks. A task instead has `max_minutes` left to place.
    block_limits: list[tuple[frozenset[int], int]] = field(default_factory=list)
    max_minutes: int | None = None
    earlier_is_better: bool = False  # tasks: done sooner leaves room when a block is missed
    # Tasks: worth this much more (a share of its minutes' value) when all of it is placed.
    finish_bonus: float = 0.0


@dataclass(frozen=True)
class Chosen:
    key: str
    candidate: Candidate


@dataclass(frozen=True)
class Solution:
    chosen: list[Chosen]
    status: str  # "optimal" | "feasible" | "empty"
    objective: float
    wall_s: float


@dataclass
class Problem:
    """The 0-1 program: maximize sum(value * x) subject to rows sum(coef * x) <= bound.

    The first len(choices) columns are the candidate blocks; any after them are helpers (a
    task placed whole).
    """

    choices: list[tuple[Need, Candidate]] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    rows: list[tuple[list[int], list[int], int]] = field(default_factory=list)
    hinted: list[bool] = field(default_factory=list)
    helpers: list[Need] = field(default_factory=list)


def build(
    needs: list[Need],
    busy: np.ndarray,
    day_caps: list[int],
    buffer_min: int = 0,
    hint: list[Chosen] | None = None,
) -> Problem:
    """Return the program of a placement: one 0-1 choice per usable candidate, every rule a row."""
    problem = Problem()
    current = {(c.key, c.candidate.day, c.candidate.start, c.candidate.minutes) for c in hint or []}
    days, slots = busy.shape
    cover: dict[tuple[int, int], list[int]] = defaultdict(list)
    per_day_minutes: dict[int, list[int]] = defaultdict(list)
    buffer_slots = -(-buffer_min // SLOT_MIN)
    for need in needs:
        per_day: dict[int, list[int]] = defaultdict(list)
        mine: list[int] = []
        for candidate in need.candidates:
            first = candidate.start // SLOT_MIN
            last = first + -(-candidate.minutes // SLOT_MIN)
            if candidate.day >= days or busy[candidate.day, first : min(last, slots)].any():
                continue
            index = len(problem.choices)
            problem.choices.append((need, candidate))
            for slot in range(first, min(last + buffer_slots, slots)):
                cover[(candidate.day, slot)].append(index)
            per_day[candidate.day].append(index)
            per_day_minutes[candidate.day].append(index)
            mine.append(index)
            value = need.weight * candidate.minutes * (BASE_VALUE + candidate.value)
            where = (need.key, candidate.day, candidate.start, candidate.minutes)
            problem.hinted.append(where in current)
            if where in current:
                value *= 1.0 + STAY_BONUS  # nothing moves without a reason
            if need.earlier_is_better:
                value *= 1.0 + 0.02 * (days - candidate.day) / max(days, 1)
            problem.values.append(int(round(SCALE * value)))
        for indexes in per_day.values():
            problem.rows.append((indexes, [1] * len(indexes), need.max_per_day))
        for group, most in need.block_limits:
            inside = [i for d, indexes in per_day.items() if d in group for i in indexes]
            if inside:
                problem.rows.append((inside, [1] * len(inside), max(most, 0)))
        if need.max_minutes is not None and mine:
            minutes = [problem.choices[i][1].minutes for i in mine]
            problem.rows.append((mine, minutes, max(need.max_minutes, 0)))
            if need.finish_bonus > 0 and need.max_minutes > 0:
                problem.helpers.append(need)
    # A helper column per task: 1 only when its blocks add up to all of its minutes.
    for need in problem.helpers:
        column = len(problem.choices) + problem.helpers.index(need)
        mine = [i for i, (owner, _) in enumerate(problem.choices) if owner is need]
        assert need.max_minutes is not None
        minutes = [-problem.choices[i][1].minutes for i in mine]
        problem.rows.append(([*mine, column], [*minutes, need.max_minutes], 0))
        bonus = need.finish_bonus * need.weight * need.max_minutes * (BASE_VALUE + 0.5)
        problem.values.append(int(round(SCALE * bonus)))
        problem.hinted.append(False)
    for indexes in cover.values():
        if len(indexes) > 1:
            problem.rows.append((indexes, [1] * len(indexes), 1))
    for day, indexes in per_day_minutes.items():
        cap = day_caps[day] if day < len(day_caps) else 0
        minutes = [problem.choices[i][1].minutes for i in indexes]
        problem.rows.append((indexes, minutes, max(cap, 0)))
    return problem


def solve(
    needs: list[Need],
    busy: np.ndarray,
    day_caps: list[int],
    buffer_min: int = 0,
    time_limit_s: float = 0.8,
    hint: list[Chosen] | None = None,
) -> Solution:
    """Return the blocks that maximize the weighted expected kept minutes under every rule.

    `busy` is (days, slots) of quarter hours that must stay free (meetings, blocks already
    started); `day_caps` the minutes that may still be planned on each day; `hint` the current
    plan, which the solver starts from and which keeps its place where nothing is better.
    """
    problem = build(needs, busy, day_caps, buffer_min, hint)
    if not problem.choices:
        return Solution([], "empty", 0.0, 0.0)
    picked, status, objective, wall_s = solve_problem(problem, time_limit_s)
    chosen = [Chosen(problem.choices[i][0].key, problem.choices[i][1]) for i in picked]
    chosen.sort(key=lambda c: (c.candidate.day, c.candidate.start))
    return Solution(chosen, status, objective / SCALE, wall_s)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send what native code writes to stdout meanwhile to nowhere (Python's own stays)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all (a windowed app)
        yield
        return
    with open(os.devnull, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def solve_problem(problem: Problem, time_limit_s: float) -> tuple[list[int], str, float, float]:
    """Return (chosen indexes, status, objective, seconds) of a program, by HiGHS."""
    # Imported here: only placing a plan needs the solver.
    import highspy

    started = time.perf_counter()
    with _quiet_stdout():  # HiGHS prints its banner to the process's stdout when created
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("threads", 1)
    count = len(problem.values)
    lp = highspy.HighsLp()
    lp.num_col_ = count
    lp.num_row_ = len(problem.rows)
    lp.col_cost_ = np.asarray(problem.values, dtype=float)
    lp.col_lower_ = np.zeros(count)
    lp.col_upper_ = np.ones(count)
    lp.row_lower_ = np.full(len(problem.rows), -highspy.kHighsInf)
    lp.row_upper_ = np.asarray([bound for _, _, bound in problem.rows], dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize
    starts, index, value = [0], [], []
    for indexes, coefficients, _ in problem.rows:
        index += indexes
        value += coefficients
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * count
    h.passModel(lp)
    if any(problem.hinted):
        start = highspy.HighsSolution()
        start.col_value = [1.0 if hinted else 0.0 for hinted in problem.hinted]
        h.setSolution(start)
    h.run()
    wall_s = time.perf_counter() - started
    model_status = h.getModelStatus()
    solution = h.getSolution()
    if not solution.value_valid:
        return [], "empty", 0.0, wall_s
    ones = [i for i, v in enumerate(solution.col_value) if v > 0.5]
    objective = float(sum(problem.values[i] for i in ones))
    picked = [i for i in ones if i < len(problem.choices)]
    name = "optimal" if model_status == highspy.HighsModelStatus.kOptimal else "feasible"
    return picked, name, objective, wall_s
