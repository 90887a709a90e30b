"""The Plan tab's week grid, review and item form, computed from a real store and plan.toml."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from desktop.clock import FakeClock
from desktop.plan import items, views
from desktop.plan.planner import Planner
from desktop.store import DB_NAME, Event, Store
from tests.helpers import DEEP_WORK_HABIT

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)
HOUR = 3600.0

PLAN = (
    """
[plan]
daily_cap = "6h"
buffer = "10m"
"""
    + DEEP_WORK_HABIT
)


def at(day: int, hour: float) -> float:
    return (MONDAY + dt.timedelta(days=day, hours=hour)).timestamp()


@pytest.fixture
def planner(tmp_path):
    """Four weeks of a person who writes code on weekdays 14:00-17:00, and a deep-work habit."""
    store = Store(tmp_path / DB_NAME)
    spans = []
    for day in range(-28, 0):
        if (MONDAY + dt.timedelta(days=day)).weekday() < 5:
            spans.append(Event(at(day, 14), 3 * HOUR, "window", "code", category="development"))
    store.insert_events(spans)
    (tmp_path / items.PLAN_NAME).write_text(PLAN)
    app = Planner(store, tmp_path, FakeClock(at(0, 6)), TZ)
    app.plan_file.check_every_s = 0.0
    yield app
    store.close()


def worked(planner: Planner, block, minutes: float) -> None:
    """Record `minutes` in the editor from the block's start."""
    planner.store.insert_events(
        [Event(block.start, minutes * 60, "window", "code", category="development")]
    )


def test_each_block_is_drawn_in_the_state_it_ended_in(planner):
    planner.refresh()
    monday, tuesday, wednesday = planner.blocks(at(0, 0), at(3, 0))
    worked(planner, monday, 60)  # kept
    worked(planner, tuesday, 30)  # partly kept
    # Wednesday: nothing at the computer (missed); Thursday: skipped ahead of time.
    planner.clock.set(wednesday.end + 60)
    planner.refresh()
    [thursday] = planner.blocks(at(3, 0), at(4, 0))
    planner.skip(thursday.id)
    [friday] = planner.blocks(at(4, 0), at(5, 0))
    grid = views.week(planner, MONDAY.date(), planner.clock.now())
    states = {block.id: block.state for block in grid.blocks}
    assert states[monday.id] == "kept"
    assert states[tuesday.id] == "partly kept"
    assert states[wednesday.id] == "missed"
    assert states[thursday.id] == "skipped"
    assert states[friday.id] == "planned"
    shown = grid.block(tuesday.id)
    assert (shown.day, shown.name, shown.kept_share) == (1, "Deep work", pytest.approx(0.5))
    assert shown.state_line == "partly kept: 50% of the block went to it"
    assert "Why here: you were at the computer" in shown.details("Tue")
    assert grid.today == 2 and not grid.empty
    assert [row.name for row in grid.items] == ["Deep work"]


def test_buttons_follow_the_block(planner):
    planner.refresh()
    monday, tuesday = planner.blocks(at(0, 0), at(2, 0))
    planner.clock.set(monday.end + 60)
    planner.refresh()
    grid = views.week(planner, MONDAY.date(), planner.clock.now())
    assert grid.block(monday.id).actions == {"answer"}  # ended: only "how did it go"
    assert grid.block(tuesday.id).actions == {"start", "move", "skip"}
    planner.start(tuesday.id)
    grid = views.week(planner, MONDAY.date(), planner.clock.now())
    assert grid.block(tuesday.id).actions == {"skip"}
    planner.skip(tuesday.id)
    grid = views.week(planner, MONDAY.date(), planner.clock.now())
    assert grid.block(tuesday.id).actions == frozenset()


def test_overlapping_blocks_stand_side_by_side(planner):
    planner.refresh()
    monday, tuesday = planner.blocks(at(0, 0), at(2, 0))
    # The user skips Tuesday's block; a block of the same hour is placed there again.
    planner.store.set_block_status(tuesday.id, "skipped")
    planner.store.replace_planned_blocks(
        at(0, 7),
        [
            ("deep-work", tuesday.start + 1800, tuesday.end + 1800, ""),
            ("deep-work", tuesday.end + 3600, tuesday.end + 7200, ""),  # after both: alone
        ],
        at(0, 6),
    )
    grid = views.week(planner, MONDAY.date(), at(0, 6))
    assert [(b.day, b.lane, b.lanes) for b in grid.blocks] == [(1, 0, 2), (1, 1, 2), (1, 0, 1)]


def test_meetings_stand_beside_the_blocks_in_their_calendar_kind(planner):
    planner.store.insert_events(
        [
            Event(at(1, 10), HOUR, "calendar", "calendar", "Standup", category="meetings"),
            Event(at(3, 23), 2 * HOUR, "calendar", "calendar", "Night train", category="unknown"),
        ]
    )
    grid = views.week(planner, MONDAY.date(), at(0, 6))
    # Titles are kept hashed unless the user opted in: the grid never shows a hash.
    assert grid.meetings == (
        views.MeetingView(1, 10 * 60, 11 * 60, "meeting", ""),
        views.MeetingView(3, 23 * 60, 24 * 60, "event", ""),
        views.MeetingView(4, 0, 60, "event", ""),
    )
    assert grid.empty is False and grid.today == 0


def test_a_plan_without_items_says_what_to_do(planner):
    (planner.directory / items.PLAN_NAME).write_text("[plan]\n")
    grid = views.week(planner, MONDAY.date(), at(0, 6))
    assert grid.empty and grid.blocks == ()
    assert "Add a habit" in views.empty_text()


def test_review_counts_planned_against_kept_and_the_weeks_before(planner):
    # The week before: placed on its Monday and measured against the history (14-17 coding).
    planner.clock.set(at(-7, 6))
    planner.refresh()
    planner.clock.set(at(0, 6))
    planner.refresh()
    before = views.review(planner, (MONDAY - dt.timedelta(days=7)).date())
    assert [row.name for row in before.rows] == ["Deep work"]
    assert before.rows[0].planned_min == pytest.approx(300)
    assert before.rows[0].kept_min == pytest.approx(300)
    # This week: two full hours, a half and two missed ones.
    this_week = planner.blocks(at(0, 0), at(5, 0))
    assert len(this_week) == 5
    for block, minutes in zip(this_week, (60, 60, 30, 0, 0), strict=True):
        worked(planner, block, minutes)
    planner.clock.set(at(5, 12))
    planner.refresh()
    result = views.review(planner, MONDAY.date())
    [row] = result.rows
    assert (row.blocks, row.kept, row.partly, row.missed) == (5, 2, 1, 2)
    assert row.planned_min == pytest.approx(300) and row.kept_min == pytest.approx(150)
    assert row.line == "of 5 h of deep work planned, 2.5 h kept"
    assert result.line == "Of 5 h planned, 2.5 h kept (50%)."
    assert [week.monday for week in result.trend] == [
        (MONDAY - dt.timedelta(days=7 * back)).date() for back in (3, 2, 1, 0)
    ]
    assert [round(week.share, 2) for week in result.trend] == [0.0, 0.0, 1.0, 0.5]
    assert result.trend[0].value_text == "nothing planned"
    assert result.trend[-1].value_text == "50% kept (2.5 h of 5 h)"


def test_an_empty_review_says_so(planner):
    result = views.review(planner, MONDAY.date())
    assert result.rows == () and result.line == "No planned block has ended in this week yet."


# the add/edit form ----------------------------------------------------------------------------
TODAY = MONDAY.date()


def test_forms_become_the_same_items_plan_toml_gives():
    habit = views.ItemForm(
        name="Exercise",
        length="45",
        per="week",
        times=3,
        days=items.ALL_DAYS,
        window="17:00-21:00",
        away=True,
        categories=("office",),  # ignored while away is ticked
    )
    made = views.item_from_form(habit, TODAY)
    written = items.parse_plan(
        '[[habit]]\nname = "Exercise"\nminutes = 45\nper = "week"\ntimes = 3\n'
        'window = "17:00-21:00"\naway = true\n',
        "plan.toml",
        TODAY,
    ).items[0]
    assert made == written
    task = views.ItemForm(
        name="Write the report", kind="task", length="6h", chunk="60-120", due="fri"
    )
    report = views.item_from_form(task, TODAY)
    assert (report.total_minutes, report.min_minutes, report.max_minutes) == (360, 60, 120)
    assert report.due == dt.date(2026, 12, 4)
    for item in (made, report):
        assert views.item_from_form(views.form_from_item(item), TODAY) == item


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            views.ItemForm(name="Lunch", window="14:00-12:00"),
            "habit (Lunch): window: '14:00-12:00' must end after it starts on the same day",
        ),
        (
            views.ItemForm(name="Read", length="half an hour"),
            "habit (Read): minutes: expected minutes or a duration like 1h30m, not 'half an hour'",
        ),
        (
            views.ItemForm(name="Report", kind="task", length="6h", due="someday"),
            "task (Report): due: expected a date YYYY-MM-DD or a weekday, not 'someday'",
        ),
        (views.ItemForm(name=""), "habit: every entry needs a name (up to 80 characters)"),
        (views.ItemForm(name="Walk", days=()), "habit (Walk): pick at least one day"),
    ],
)
def test_a_bad_form_is_one_line_naming_the_field(form, message):
    with pytest.raises(items.PlanError) as error:
        views.item_from_form(form, TODAY)
    assert str(error.value) == message


def test_saving_adds_edits_in_place_and_removes(planner):
    path = planner.directory / items.PLAN_NAME
    read = views.item_from_form(views.ItemForm(name="Read", length="30", days=(5, 6)), TODAY)
    views.save_item(planner, read)
    assert [i.name for i in items.read_plan_file(path, TODAY).items] == ["Deep work", "Read"]
    with pytest.raises(items.PlanError, match="already an item named 'Read'"):
        views.save_item(planner, read)
    # Renaming "Deep work" keeps its place in the file.
    focus = views.item_from_form(views.ItemForm(name="Focus", length="90"), TODAY)
    views.save_item(planner, focus, replacing="deep-work")
    assert [i.name for i in items.read_plan_file(path, TODAY).items] == ["Focus", "Read"]
    with pytest.raises(items.PlanError, match="already an item named 'Read'"):
        views.save_item(planner, read, replacing="focus")
    views.remove_item(planner, "focus")
    assert [i.name for i in items.read_plan_file(path, TODAY).items] == ["Read"]


def test_a_broken_plan_toml_is_not_overwritten(planner):
    path = planner.directory / items.PLAN_NAME
    planner.plan()
    path.write_text(PLAN + "\n[[habit]]\nname = 'Oops'\n")  # no length
    read = views.item_from_form(views.ItemForm(name="Read", length="30"), TODAY)
    with pytest.raises(items.PlanError, match="fix plan.toml first: .*how long"):
        views.save_item(planner, read)
    with pytest.raises(items.PlanError, match="fix plan.toml first"):
        views.remove_item(planner, "deep-work")
    assert "Oops" in path.read_text()


def test_hours_read_the_way_people_say_them():
    assert [views.say_hours(m) for m in (45, 60, 450, 600, 135)] == [
        "45 min",
        "1 h",
        "7.5 h",
        "10 h",
        "2 h 15 min",
    ]
