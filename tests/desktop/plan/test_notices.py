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


def start_block(service, clock):
    """Show Monday's block start and press Start; return the block."""
    block = monday_block(service)
    clock.set(block.start - 4 * 60)
    service.react(service.plan_tick().id, "accepted")
    return block


@pytest.mark.parametrize(
    ("outcome", "answer", "counted"),
    [("accepted", "well", 0.75), ("snoozed", "partly", 0.5), ("dismissed", "badly", 0.25)],
)
def test_a_started_block_asks_how_it_went_once_at_its_end(app, outcome, answer, counted):
    service, clock, shown = app
    block = start_block(service, clock)
    # The user codes for half the block: measured 50%.
    service.store.insert_events(
        [Event(block.start, 30 * 60, "window", "code", category="development")]
    )
    clock.set(block.end - 60)
    assert service.plan_tick() is None  # not before it is over
    clock.set(block.end + 60)
    question = service.plan_tick()
    assert question is not None and question.kind == notices.END_KIND
    assert question.text.endswith("is over: 30 of 60 min in development. How did it go?"), (
        question.text
    )
    assert labels(question.kind)["accept"] == "Went well"
    assert labels(question.kind)["dismiss"] == "Not really"
    clock.advance(5 * 60)
    assert service.plan_tick() is None  # asked once
    service.react(question.id, outcome)
    assert service.store.plan_block(block.id).answer == answer
    assert service.next_due_at() is None  # "Partly" is an answer, not a snooze
    # The planner learns from the answer: the measured half is moved into the answer's band.
    ((_, share),) = service.planner.outcomes(clock.now())[block.item]
    assert share == pytest.approx(counted)


def test_no_question_after_a_block_the_user_did_not_start(app):
    service, clock, _ = app
    block = monday_block(service)
    clock.set(block.start - 4 * 60)
    service.plan_tick()  # shown, not answered
    clock.set(block.end + 60)
    assert service.plan_tick() is None


def test_no_question_once_it_is_answered_in_the_plan_tab_or_too_late(app):
    service, clock, _ = app
    block = start_block(service, clock)
    clock.set(block.end + 16 * 60)
    assert service.plan_tick() is None  # more than fifteen minutes after the end
    clock.set(block.end + 60)
    service.planner.answer(block.id, "well")
    assert service.plan_tick() is None
