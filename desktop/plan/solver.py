"""Placement as an optimization: choose blocks that maximize the expected kept minutes.

Every item offers candidate blocks (a day, a start on the quarter-hour grid, a length) with the
forecast's chance that the block is kept. OR-Tools CP-SAT chooses among them: one boolean per
candidate; hard rules are constraints (no two blocks and their buffers share a quarter hour,
busy slots stay free, at most so many blocks a day and a week per habit, a task's remaining
minutes, a cap on planned minutes per day), and the objective is the kept minutes expected,
weighted by priority. A greedy first fit would take the best slot of the first item even when
a second item needs it more; the solver does not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

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
    # Imported here: the solver takes a quarter of a second to load, which every other command
    # of the app would pay for nothing.
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    current = {(c.key, c.candidate.day, c.candidate.start, c.candidate.minutes) for c in hint or []}
    days, slots = busy.shape
    variables: list[tuple[Need, Candidate, cp_model.IntVar]] = []
    cover: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    per_day_minutes: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    buffer_slots = -(-buffer_min // SLOT_MIN)
    objective = []
    for need in needs:
        per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        minutes_terms = []
        for index, candidate in enumerate(need.candidates):
            first = candidate.start // SLOT_MIN
            last = first + -(-candidate.minutes // SLOT_MIN)
            if candidate.day >= days or busy[candidate.day, first : min(last, slots)].any():
                continue
            var = model.new_bool_var(f"{need.key}:{index}")
            variables.append((need, candidate, var))
            for slot in range(first, min(last + buffer_slots, slots)):
                cover[(candidate.day, slot)].append(var)
            per_day[candidate.day].append(var)
            per_day_minutes[candidate.day].append((candidate.minutes, var))
            minutes_terms.append((candidate.minutes, var))
            value = need.weight * candidate.minutes * (BASE_VALUE + candidate.value)
            if (need.key, candidate.day, candidate.start, candidate.minutes) in current:
                value *= 1.0 + STAY_BONUS  # nothing moves without a reason
            if need.earlier_is_better:
                value *= 1.0 + 0.02 * (days - candidate.day) / max(days, 1)
            objective.append(int(round(SCALE * value)) * var)
        for day_vars in per_day.values():
            model.add(sum(day_vars) <= need.max_per_day)
        for group, most in need.block_limits:
            in_group = [v for d, vs in per_day.items() if d in group for v in vs]
            if in_group:
                model.add(sum(in_group) <= max(most, 0))
        if need.max_minutes is not None and minutes_terms:
            model.add(sum(m * v for m, v in minutes_terms) <= max(need.max_minutes, 0))
    for day_vars in cover.values():
        if len(day_vars) > 1:
            model.add_at_most_one(day_vars)
    for day, terms in per_day_minutes.items():
        cap = day_caps[day] if day < len(day_caps) else 0
        model.add(sum(m * v for m, v in terms) <= max(cap, 0))
    if not variables:
        return Solution([], "empty", 0.0, 0.0)
    model.maximize(sum(objective))
    if hint:
        for need, candidate, var in variables:
            where = (need.key, candidate.day, candidate.start, candidate.minutes)
            model.add_hint(var, where in current)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution([], "empty", 0.0, solver.wall_time)
    chosen = [
        Chosen(need.key, candidate)
        for need, candidate, var in variables
        if solver.boolean_value(var)
    ]
    chosen.sort(key=lambda c: (c.candidate.day, c.candidate.start))
    return Solution(
        chosen,
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        solver.objective_value / SCALE,
        solver.wall_time,
    )
