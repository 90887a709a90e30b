"""The plan in the app: placed from stored history, measured from stored activity, re-planned."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import icalendar
import pytest

from desktop import importers
from desktop.clock import FakeClock
from desktop.plan import items
from desktop.plan.planner import Planner, outcome
from desktop.store import DB_NAME, Event, Store
from tests.helpers import DEEP_WORK_HABIT

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)  # the planned week
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
def history(tmp_path):
    """Four weeks of a person who writes code on weekdays 14:00-17:00 and mails 09:00-11:00."""
    store = Store(tmp_path / DB_NAME)
    spans = []
    for day in range(-28, 0):
        if (MONDAY + dt.timedelta(days=day)).weekday() >= 5:
            continue
        spans.append(Event(at(day, 9), 2 * HOUR, "window", "thunderbird", category="communication"))
        spans.append(Event(at(day, 14), 3 * HOUR, "window", "code", category="development"))
    store.insert_events(spans)
    (tmp_path / items.PLAN_NAME).write_text(PLAN)
    return store, tmp_path


def planner(store, directory, now):
    return Planner(store, directory, FakeClock(now), TZ)


def test_blocks_go_where_this_person_really_does_that_work(history):
    store, directory = history
    app = planner(store, directory, at(0, 6))
    result = app.refresh()
    assert result.placed == 5 and not result.shortfalls
    blocks = app.blocks(at(0, 0), at(7, 0))
    assert [app.local(b.start).weekday() for b in blocks] == [0, 1, 2, 3, 4]
    for block in blocks:
        local = app.local(block.start)
        assert local.hour >= 14 and app.local(block.end).hour <= 17  # inside the coding hours
        assert "100% of it in development" in block.why and "over the last 4 weeks" in block.why


def test_a_meeting_moves_the_block(history):
    store, directory = history
    store.insert_events([Event(at(1, 13.5), 3 * HOUR, "calendar", "calendar", category="meetings")])
    app = planner(store, directory, at(0, 6))
    app.refresh()
    [tuesday] = app.blocks(at(1, 0), at(2, 0))
    assert not (tuesday.start < at(1, 16.5) and at(1, 13.5) < tuesday.end)


def test_kept_share_is_measured_from_stored_activity_and_a_missed_block_is_replanned(history):
    store, directory = history
    app = planner(store, directory, at(0, 6))
    app.refresh()
    [monday] = app.blocks(at(0, 0), at(1, 0))
    # Monday: only 15 of the block's 60 minutes in the editor, the rest away.
    store.insert_events([Event(monday.start, 15 * 60, "window", "code", category="development")])
    app.clock.set(monday.end + 60)
    result = app.refresh()
    assert result.measured == 1
    measured = store.plan_block(monday.id)
    assert measured.kept_s == pytest.approx(15 * 60) and measured.kept_share == pytest.approx(0.25)
    assert outcome(measured, app.clock.now()) == "partly kept"
    # A block kept well stays counted; one kept below a quarter goes back to the week: the
    # habit looks for another slot. Here: time in another category does not count at all.
    app.clock.set(at(1, 6))
    app.refresh()
    [tuesday] = app.blocks(at(1, 0), at(2, 0))
    app.clock.set(tuesday.end + 60)
    app.refresh()
    assert outcome(store.plan_block(tuesday.id), app.clock.now()) == "missed"


def test_a_missed_weekly_habit_gets_another_slot(history):
    store, directory = history
    (directory / items.PLAN_NAME).write_text(
        '[[habit]]\nname = "Run"\nminutes = 45\nper = "week"\ntimes = 2\nwindow = "17:00-21:00"\n'
        "away = true\n"
    )
    app = planner(store, directory, at(0, 6))
    app.refresh()
    first, second = app.blocks(at(0, 0), at(7, 0))
    # The first run is missed: the person sat at the computer the whole time.
    store.insert_events([Event(first.start, first.end - first.start, "window", "code")])
    app.clock.set(first.end + 60)
    app.refresh()
    assert outcome(store.plan_block(first.id), app.clock.now()) == "missed"
    upcoming = [b for b in app.blocks(first.end, at(7, 0)) if b.start > first.end]
    assert len(upcoming) == 2  # the missed run is placed again, and the second still stands


def test_skip_replans_and_move_holds_where_the_user_put_it(history):
    store, directory = history
    app = planner(store, directory, at(0, 6))
    app.refresh()
    monday = app.blocks(at(0, 0), at(1, 0))[0]
    options = app.move_options(monday.id)
    assert len(options) == 3 and all(start != monday.start for start, _ in options)
    app.move(monday.id, options[0][0])
    app.refresh()
    moved = store.plan_block(monday.id)
    assert moved.status == "held" and moved.start == options[0][0]
    tuesday = app.blocks(at(1, 0), at(2, 0))[0]
    app.skip(tuesday.id)
    assert outcome(store.plan_block(tuesday.id), app.clock.now()) == "skipped"
    # The skipped time is not offered again: Tuesday's new block sits elsewhere.
    again = [b for b in app.blocks(at(1, 0), at(2, 0)) if b.id != tuesday.id]
    assert again and all(b.end <= tuesday.start or b.start >= tuesday.end for b in again)


def test_the_plan_survives_a_restart(history):
    store, directory = history
    app = planner(store, directory, at(0, 6))
    app.refresh()
    before = [(b.id, b.item, b.start, b.end, b.why) for b in app.blocks(at(0, 0), at(7, 0))]
    store.close()
    again = Store(directory / DB_NAME)
    restarted = planner(again, directory, at(0, 6.5))
    restarted.refresh()
    after = [(b.id, b.item, b.start, b.end, b.why) for b in restarted.blocks(at(0, 0), at(7, 0))]
    assert after == before  # same blocks, same ids: nothing moved without a reason


def test_the_ics_file_parses_and_round_trips_through_the_apps_own_import(history):
    store, directory = history
    app = planner(store, directory, at(0, 6))
    app.refresh()
    blocks = app.blocks(at(0, 0), at(7, 0))
    data = app.ics_path().read_bytes()
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["Deep work"] * 5
    assert app.ics_path().stat().st_mode & 0o777 == 0o600
    parsed = importers.parse_ics(data, "plan.ics", now=at(0, 6), local_tz=TZ)
    assert sorted((e.start, e.duration) for e in parsed.events) == [
        (b.start, b.end - b.start) for b in blocks
    ]


def test_review_counts_planned_and_kept_minutes(history):
    store, directory = history
    app = planner(store, directory, at(0, 6))
    app.refresh()
    for block in app.blocks(at(0, 0), at(2, 0)):
        store.insert_events([Event(block.start, 45 * 60, "window", "code", category="development")])
    app.clock.set(at(2, 0))
    app.refresh()
    [review] = app.review(at(0, 0), at(7, 0))
    assert (review.name, review.planned_min, review.kept_min) == ("Deep work", 120, 90)
    assert (review.blocks, review.kept, review.partly, review.missed) == (2, 2, 0, 0)  # 75% is kept


def test_export_delete_and_pause_cover_the_plan(history):
    from desktop import exporters

    store, directory = history
    app = planner(store, directory, at(0, 6))
    app.refresh()
    document = json.loads(exporters.export_text(store, "json"))
    assert set(document["plan"]["items"]) == {"deep-work"}
    assert len(document["plan"]["blocks"]) == 5
    assert document["plan"]["blocks"][0]["why"].startswith("you were at the computer")
    # Deleting a day removes its blocks; deleting everything removes the plan's record too.
    store.delete_range(at(0, 0), at(1, 0))
    assert app.blocks(at(0, 0), at(1, 0)) == []
    store.delete_all()
    assert app.blocks(at(0, 0), at(7, 0)) == [] and store.plan_items() == {}


def test_placement_learns_from_blocks_that_were_missed(history):
    """Where an item's blocks keep being missed, and kept elsewhere, the next ones go elsewhere."""
    store, directory = history
    # The person is at the computer 09:00-11:00 and 14:00-17:00 on weekdays: both look good.
    (directory / items.PLAN_NAME).write_text(
        '[[habit]]\nname = "Focus"\nminutes = 60\ndays = "weekdays"\nwindow = "09:00-17:00"\n'
    )
    # Three weeks of its blocks: missed every morning, kept every afternoon they were tried.
    for week in (-3, -2, -1):
        for day in range(5):
            hour = 9.25 if day < 3 else 14.25
            start = at(7 * week + day, hour)
            store.replace_planned_blocks(start - 60, [("focus", start, start + HOUR, "")], 0.0)
            [block] = store.plan_blocks(start, start + 1)
            store.record_block_outcome(block.id, 0.0 if hour < 12 else HOUR, float(hour > 12))
    app = planner(store, directory, at(0, 6))
    app.refresh()
    for block in app.blocks(at(0, 0), at(5, 0)):
        assert app.local(block.start).hour >= 12  # the afternoons, where it was kept
        assert "you kept 6 of your last 6 Focus blocks around this time" in block.why


def test_the_users_answer_counts_where_activity_cannot_see():
    from desktop.plan.planner import answered_share

    assert answered_share(0.9, "badly") == pytest.approx(0.25)  # busy, but it went badly
    assert answered_share(0.1, "well") == pytest.approx(0.75)  # away on a walk: kept
    assert answered_share(0.5, "partly") == 0.5 and answered_share(0.5, None) == 0.5
