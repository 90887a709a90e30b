"""plan.toml: what the user writes is what the planner gets; a bad entry is one line."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop.plan import items

TODAY = dt.date(2026, 12, 2)  # a Wednesday

PLAN = """
[plan]
work_hours = "09:00-17:30"
daily_cap = "5h"
buffer = "15m"

[[habit]]
name = "Deep work"
minutes = "2h"
days = "weekdays"
window = "08:00-13:00"
categories = ["development", "office"]
priority = 1

[[habit]]
name = "Exercise"
minutes = 45
per = "week"
times = 3
window = "17:00-21:00"
away = true

[[task]]
name = "Write the report"
hours = 6
due = "fri"
chunk = "1h-2h"
"""


def test_a_plan_file_reads_into_items_and_settings():
    plan = items.parse_plan(PLAN, "plan.toml", TODAY)
    deep, exercise, report = plan.items
    assert plan.settings.work_hours == (9 * 60, 17 * 60 + 30)
    assert plan.settings.daily_cap_minutes == 300 and plan.settings.buffer_minutes == 15
    assert (deep.min_minutes, deep.days, deep.window, deep.priority) == (
        120,
        (0, 1, 2, 3, 4),
        (480, 780),
        1,
    )
    assert deep.counts("development") and not deep.counts("social")
    assert exercise.per_week == 3 and exercise.away
    assert report.kind == "task" and report.total_minutes == 360
    assert (report.min_minutes, report.max_minutes) == (60, 120)
    assert report.due == dt.date(2026, 12, 4)  # the coming Friday


def test_written_plan_reads_back_the_same(tmp_path):
    plan = items.parse_plan(PLAN, "plan.toml", TODAY)
    path = tmp_path / "plan.toml"
    items.write_plan(path, plan)
    assert items.read_plan_file(path, TODAY) == plan
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[[habit]]\nname = "x"\nminutes = 1e400', "not between"),
        ('[[habit]]\nname = "x"\nminutes = 30\nwindow = "13:00-12:00"', "end after it starts"),
        ('[[habit]]\nname = "x"\nminutes = 30\ndays = ["mon", "funday"]', "not a day"),
        ('[[habit]]\nname = "x"\nminutes = 30\ncategories = ["napping"]', "unknown category"),
        ('[[habit]]\nname = "x"\nminutes = 90\nwindow = "12:00-13:00"', "does not fit"),
        ('[[task]]\nname = "x"\nhours = 3\ndue = "someday"', "expected a date"),
        ("[[habit]]\nminutes = 30", "needs a name"),
        ('[[habit]]\nname = "x"\nminutes = 30\ncolour = "red"', "unknown key 'colour'"),
        ('[[habit]]\nname = "A b"\nminutes = 30\n[[habit]]\nname = "a-B"\nminutes = 30', "two"),
        ("[plan\n", "not valid TOML"),
    ],
)
def test_a_bad_entry_is_one_line_naming_file_entry_and_reason(text, reason):
    with pytest.raises(items.PlanError) as caught:
        items.parse_plan(text, "/home/u/plan.toml", TODAY)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("/home/u/plan.toml")
    assert reason in message


def test_a_bad_edit_keeps_the_previous_plan(tmp_path):
    path = tmp_path / items.PLAN_NAME
    path.write_text(PLAN)
    plan_file = items.PlanFile(tmp_path, check_every_s=0.0)
    good = plan_file.plan(TODAY)
    assert len(good.items) == 3 and plan_file.error is None
    path.write_text(PLAN + "\n[[habit]]\nname = 'Broken'\n")  # no length
    assert plan_file.plan(TODAY) == good
    assert plan_file.error and "keeping the previous plan" in plan_file.error


def test_hostile_plan_files_are_refused(tmp_path):
    (tmp_path / "huge").write_bytes(b"#" * (items.MAX_PLAN_BYTES + 10))
    with pytest.raises(items.PlanError, match="larger than"):
        items.read_plan_file(tmp_path / "huge", TODAY)
    (tmp_path / "dir").mkdir()
    with pytest.raises(items.PlanError, match="not a regular file"):
        items.read_plan_file(tmp_path / "dir", TODAY)
