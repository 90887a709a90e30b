"""Block starts reach the user through the suggestion path, with Start / Move / Skip."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from desktop.clock import FakeClock
from desktop.config import Config
from desktop.plan import items, notices
from desktop.plan.planner import Planner
from desktop.service import AppService
from desktop.store import Event
from desktop.ui.notifications import labels

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)
HOUR = 3600.0


def at(day: int, hour: float) -> float:
    return (MONDAY + dt.timedelta(days=day, hours=hour)).timestamp()


@pytest.fixture
def app(tmp_path):
    """An app whose user codes on weekdays 14:00-17:00 and wants an hour of deep work a day."""
    clock = FakeClock(at(0, 6))
    service = AppService(tmp_path, Config(), clock)
    service.planner = Planner(service.store, tmp_path, clock, TZ)
    history = [
        Event(at(day, 14), 3 * HOUR, "window", "code", category="development")
        for day in range(-28, 0)
        if (MONDAY + dt.timedelta(days=day)).weekday() < 5
    ]
    service.store.insert_events(history)
    (tmp_path / items.PLAN_NAME).write_text(
        '[[habit]]\nname = "Deep work"\nminutes = 60\ndays = "weekdays"\n'
        'categories = ["development"]\n'
    )
    shown = []
    service.on_suggestion = shown.append
    service.plan_tick()
    yield service, clock, shown
    service.close()


def monday_block(service):
    return service.planner.blocks(at(0, 0), at(1, 0))[0]


def test_a_block_start_is_shown_once_a_few_minutes_before_it(app):
    service, clock, shown = app
    block = monday_block(service)
    assert shown == []  # hours before the block: nothing
    clock.set(block.start - 4 * 60)
    suggestion = service.plan_tick()
    assert suggestion is not None and shown == [suggestion]
    assert suggestion.kind == notices.BLOCK_KIND
    assert suggestion.text.startswith("Deep work: ") and "Start now?" in suggestion.text
    assert "you were at the computer" in suggestion.explanation
    clock.advance(60)
    assert service.plan_tick() is None  # once, not every tick
    assert labels(suggestion.kind)["accept"] == "Start"
    assert labels(suggestion.kind)["snooze"] == "Move"
    assert labels("break")["accept"] == "Accept"


def test_never_during_a_meeting(app):
    service, clock, shown = app
    block = monday_block(service)
    service.store.insert_events(
        [Event(block.start - 10 * 60, 9 * 60, "calendar", "calendar", category="meetings")]
    )
    clock.set(block.start - 4 * 60)
    assert service.plan_tick() is None  # the meeting runs until a minute before the block
    clock.set(block.start - 30)
    assert service.plan_tick() is not None


@pytest.mark.parametrize(
    ("outcome", "status"), [("accepted", "started"), ("dismissed", "skipped"), ("snoozed", "held")]
)
def test_start_skip_and_move_act_on_the_block(app, outcome, status):
    service, clock, _ = app
    block = monday_block(service)
    clock.set(block.start - 4 * 60)
    suggestion = service.plan_tick()
    service.react(suggestion.id, outcome)
    after = service.store.plan_block(block.id)
    assert after.status == status
    if outcome == "snoozed":
        assert after.start != block.start and after.start > clock.now()
        clock.advance(20 * 60)
        assert service.next_due_at() is None  # a moved block is not a snooze coming back


def test_the_plan_takes_the_place_of_the_focus_suggestion(app):
    service, _, _ = app
    assert service.engine.replaced_kinds == {"focus"}
    (service.planner.directory / items.PLAN_NAME).write_text(
        '[[habit]]\nname = "Walk"\nminutes = 30\naway = true\n'
    )
    service.planner.plan_file.check_every_s = 0.0
    service.plan_tick()
    assert service.engine.replaced_kinds == frozenset()


def test_no_block_notice_while_paused(app):
    service, clock, shown = app
    block = monday_block(service)
    clock.set(block.start - 4 * 60)
    service.pause(30)
    assert service.plan_tick() is None and shown == []
    service.resume()
    assert service.plan_tick() is not None
