"""`sculptor-train simulate --plan`: the JSON contract, people who can fail a plan, first fit."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from desktop.plan import forecast as fc
from desktop.plan import items, placement
from training import cli, plan_simulate


def morning_person(habit: items.Item) -> plan_simulate.Person:
    """Someone at the computer 07:00-12:00 on weekdays and never in the afternoon or evening."""
    workday = plan_simulate.Weekday(True, 7.0, 12.0)
    weekend = plan_simulate.Weekday(False, 0.0, 0.0)
    return plan_simulate.Person(
        index=0,
        name="morning",
        main="development",
        week=(workday,) * 5 + (weekend,) * 2,
        lunch=12.5,
        lunch_at_desk=0.0,
        focus=(8.0, 11.0),
        discipline=0.8,
        distraction=0.1,
        break_every_min=90.0,
        evening_use=0.0,
        weekend_use=0.0,
        recurring=(),
        adhoc_per_day=0.0,
        habits=(habit,),
        settings=items.PlanSettings(),
        task_categories=("development",),
    )


def focus_habit(window: tuple[int, int]) -> items.Item:
    return items.Item(
        "Focus", "habit", 90, 90, days=items.WEEKDAYS, window=window, categories=("development",)
    )


@pytest.mark.slow  # simulated weeks: the full run keeps it, --fast skips it
def test_the_contract(tmp_path):
    out = tmp_path / "out.json"
    argv = ["simulate", "--plan", "--users", "2", "--weeks", "2", "--jobs", "1"]
    assert cli.main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert list(result) == ["weeks"]
    assert [week["week"] for week in result["weeks"]] == [1, 2]
    for week in result["weeks"]:
        assert set(week["policies"]) == {"learned", "first_fit", "unpersonalized"}
        for figures in week["policies"].values():
            assert set(figures) == set(plan_simulate.FIELDS)
            assert figures["planned_min"] > 0
            assert 0 <= figures["kept_min"] <= figures["planned_min"]
            share = figures["kept_min"] / figures["planned_min"]
            assert abs(figures["kept_share"] - share) < 0.002
            assert 0 <= figures["tasks_done_by_due"] <= figures["tasks_due"]
            assert figures["tasks_due"] >= 2  # each person takes on a task or two a week


def test_afternoon_blocks_of_a_morning_person_are_missed():
    afternoon = morning_person(focus_habit((13 * 60, 17 * 60)))
    log: list = []
    [week] = plan_simulate.run_person(
        afternoon, "learned", 1, seed=3, pre_weeks=2, tasks=False, log=log
    )
    assert week["planned_min"] >= 5 * 90  # every weekday got a block (and missed ones again)
    assert all(13 <= int(when.split()[2][:2]) < 17 for _, when, *_ in log)
    assert week["kept_share"] < 0.25
    morning = morning_person(focus_habit((8 * 60, 11 * 60)))
    [week] = plan_simulate.run_person(morning, "learned", 1, seed=3, pre_weeks=2, tasks=False)
    assert week["kept_share"] > 0.6


def test_a_meeting_booked_over_a_block_makes_the_person_skip_it():
    person = morning_person(focus_habit((8 * 60, 11 * 60)))
    date = dt.date(2026, 2, 2)
    day = plan_simulate.make_day(person, date, seed=0)
    start = plan_simulate._epoch(date, 9 * 60)
    day.meetings.append(plan_simulate.Meeting(start, start + 1800, booked_at=start - 3600))
    rng = np.random.default_rng(0)
    assert plan_simulate.react(person, day, focus_habit((480, 660)), 8 * 60, 10 * 60, rng) == (
        "skip"
    )


def test_first_fit_takes_the_first_free_slots_by_priority():
    monday = dt.date(2026, 2, 2)
    timeline = fc.Timeline(monday, 8)
    timeline.add_meeting(9 * 60, 10 * 60)  # Monday 09:00-10:00
    low = items.Item("Reading", "habit", 30, 30, days=items.WEEKDAYS, priority=3)
    high = items.Item("Deep work", "habit", 60, 60, days=items.WEEKDAYS, priority=1)
    plan = items.Plan((low, high), items.PlanSettings(buffer_minutes=10))
    blocks = plan_simulate.first_fit(plan, timeline, 0, 0, [])
    monday_blocks = sorted((b.start, b.item, b.minutes) for b in blocks if b.day == 0)
    # Deep work first at 08:00; Reading cannot start before 09:15 (the buffer) nor in the
    # meeting, so it takes 10:00.
    assert monday_blocks == [(8 * 60, "deep-work", 60), (10 * 60, "reading", 30)]
    held = [placement.Held("deep-work", 0, 8 * 60, 60, kept_minutes=60.0)]
    later = plan_simulate.first_fit(plan, timeline, 0, 11 * 60, held)
    assert not [b for b in later if b.day == 0 and b.item == "deep-work"]
    assert [(b.start, b.item) for b in later if b.day == 0] == [(11 * 60 + 15, "reading")]
    skipped = [placement.Held("deep-work", 0, 8 * 60, 60)]  # the user skipped 08:00
    again = plan_simulate.first_fit(plan, timeline, 0, 0, [], skipped)
    assert sorted((b.start, b.item) for b in again if b.day == 0) == [
        (10 * 60, "deep-work"),
        (11 * 60 + 15, "reading"),
    ]


def test_bad_numbers_are_one_line(capsys):
    assert cli.main(["simulate", "--plan", "--users", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--users" in err
