"""The placement never breaks a hard rule, on any week (a property test over random weeks)."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.plan import forecast as fc
from desktop.plan import items, placement

ORIGIN = dt.date(2026, 11, 2)  # a Monday
TODAY = 28  # day index of the planned week's Monday


@st.composite
def weeks(draw):
    """A random history, calendar and plan."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    timeline = fc.Timeline(ORIGIN, TODAY + 8)
    for day in range(TODAY):
        for _ in range(int(rng.integers(0, 4))):
            start = day * fc.DAY_MIN + int(rng.integers(6 * 60, 22 * 60))
            timeline.add_active(start, start + int(rng.integers(10, 240)), "development")
    meetings = []
    for _ in range(draw(st.integers(0, 8))):
        day = TODAY + int(rng.integers(0, 7))
        start = int(rng.integers(8 * 60, 18 * 60)) // 15 * 15
        length = int(rng.integers(1, 8)) * 15
        timeline.add_meeting(day * fc.DAY_MIN + start, day * fc.DAY_MIN + start + length)
        meetings.append((day, start, start + length))
    entries = []
    for index in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            low = draw(st.sampled_from([30, 45, 60, 90]))
            entries.append(
                items.Item(
                    name=f"habit {index}",
                    kind="habit",
                    min_minutes=low,
                    max_minutes=low + draw(st.sampled_from([0, 30, 60])),
                    days=tuple(sorted(set(draw(st.lists(st.integers(0, 6), min_size=1))))),
                    window=draw(st.sampled_from([None, (7 * 60, 12 * 60), (17 * 60, 22 * 60)])),
                    priority=draw(st.integers(1, 3)),
                    per=draw(st.sampled_from(["day", "week"])),
                    times=draw(st.integers(1, 5)),
                    away=draw(st.booleans()),
                )
            )
        else:
            entries.append(
                items.Item(
                    name=f"task {index}",
                    kind="task",
                    min_minutes=60,
                    max_minutes=120,
                    total_minutes=draw(st.integers(1, 12)) * 60,
                    due=ORIGIN + dt.timedelta(days=TODAY + draw(st.integers(0, 6))),
                    priority=draw(st.integers(1, 3)),
                )
            )
    plan_settings = items.PlanSettings(
        daily_cap_minutes=draw(st.sampled_from([120, 240, 360])),
        buffer_minutes=draw(st.sampled_from([0, 10, 15, 30])),
    )
    now = TODAY * fc.DAY_MIN + draw(st.integers(0, 3 * fc.DAY_MIN))
    return timeline, items.Plan(tuple(entries), plan_settings), meetings, now


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks())
def test_no_placement_breaks_a_rule(week):
    timeline, plan, meetings, now = week
    forecast = fc.forecast(timeline, TODAY, 7)
    result = placement.place(plan, timeline, forecast, now, time_limit_s=0.5)
    blocks = result.blocks
    per_day: dict[int, int] = {}
    for block in blocks:
        item = plan.item(block.item)
        assert item is not None
        absolute = block.day * fc.DAY_MIN + block.start
        weekday = (ORIGIN + dt.timedelta(days=block.day)).weekday()
        # Never in the past or within the lead time.
        assert absolute >= now + placement.LEAD_MIN
        # Inside the item's window (or working hours) and on its days.
        window = item.window or plan.settings.work_hours
        assert window[0] <= block.start and block.start + block.minutes <= window[1]
        assert weekday in item.days
        if item.window is None:
            assert weekday in plan.settings.work_days
        # A length the item allows, on the quarter-hour grid.
        assert block.start % 15 == 0 and block.minutes % 15 == 0
        assert item.min_minutes <= block.minutes <= -(-item.max_minutes // 15) * 15
        # Tasks before their due date.
        if item.due is not None:
            assert ORIGIN + dt.timedelta(days=block.day) <= item.due
        # Never over a meeting.
        for day, start, end in meetings:
            assert not (
                day == block.day and start < block.start + block.minutes and block.start < end
            )
        per_day[block.day] = per_day.get(block.day, 0) + block.minutes
    # No two blocks (with the buffer after each) overlap.
    ordered = sorted(blocks, key=lambda b: (b.day, b.start))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if first.day == second.day:
            assert first.start + first.minutes + plan.settings.buffer_minutes <= second.start
    # The daily cap holds.
    assert all(minutes <= plan.settings.daily_cap_minutes for minutes in per_day.values())
    for item in plan.items:
        mine = [b for b in blocks if b.item == item.key]
        if item.kind == "task":
            assert sum(b.minutes for b in mine) <= item.total_minutes
        else:
            days = [b.day for b in mine]
            assert len(days) == len(set(days))  # at most one block a day
            if item.per == "week":
                assert len(mine) <= item.times


def test_the_solver_gives_the_contested_slot_to_the_item_that_needs_it_more():
    # Two items, one good hour: a first fit in list order would give it to the low priority one.
    timeline = fc.Timeline(ORIGIN, TODAY + 8)
    for day in range(TODAY):
        timeline.add_active(day * fc.DAY_MIN + 10 * 60, day * fc.DAY_MIN + 11 * 60)
    low = items.Item("Email", "habit", 60, 60, window=(10 * 60, 12 * 60), priority=3)
    high = items.Item("Deep work", "habit", 60, 60, window=(10 * 60, 11 * 60), priority=1)
    plan = items.Plan((low, high), items.PlanSettings(buffer_minutes=0))
    result = placement.place(plan, timeline, fc.forecast(timeline, TODAY, 7), TODAY * fc.DAY_MIN)
    monday = [b for b in result.blocks if b.day == TODAY]
    assert {(b.item, b.start) for b in monday} == {("deep-work", 600), ("email", 660)}


def test_a_task_that_cannot_fit_says_how_much_does():
    timeline = fc.Timeline(ORIGIN, TODAY + 8)
    due = ORIGIN + dt.timedelta(days=TODAY + 1)  # Tuesday
    report = items.Item("The report", "task", 60, 120, total_minutes=600, due=due)
    plan = items.Plan((report,), items.PlanSettings(daily_cap_minutes=240))
    result = placement.place(plan, timeline, fc.forecast(timeline, TODAY, 7), TODAY * fc.DAY_MIN)
    assert result.shortfalls == ["The report needs 10 h; 8 h fit before Tue 01 Dec"]


def test_twenty_items_are_placed_within_the_time_limit():
    timeline = fc.Timeline(ORIGIN, TODAY + 8)
    entries = tuple(
        items.Item(f"habit {i}", "habit", 30, 60, per="week", times=3) for i in range(20)
    )
    plan = items.Plan(entries, items.PlanSettings(daily_cap_minutes=480))
    started = time.perf_counter()
    result = placement.place(plan, timeline, fc.forecast(timeline, TODAY, 7), TODAY * fc.DAY_MIN)
    assert result.solution.status in ("optimal", "feasible") and result.blocks
    assert time.perf_counter() - started < 30  # a hang guard only; speed is benchmarked
