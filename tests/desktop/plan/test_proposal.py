"""A first plan proposed from the history: where this user focuses and takes their break."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from desktop.clock import FakeClock
from desktop.plan import items
from desktop.plan.cli import register
from desktop.plan.planner import Planner
from desktop.store import DB_NAME, Event, Store

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)
HOUR = 3600.0


def at(day: int, hour: float) -> float:
    return (MONDAY + dt.timedelta(days=day, hours=hour)).timestamp()


def person(store: Store, days: range) -> None:
    """Mail 08:30-10:00, code 10:00-12:30, away 12:30-13:30, documents 13:30-17:00."""
    spans = []
    for day in days:
        if (MONDAY + dt.timedelta(days=day)).weekday() >= 5:
            continue
        spans.append(Event(at(day, 8.5), 1.5 * HOUR, "window", "mail", category="communication"))
        spans.append(Event(at(day, 10), 2.5 * HOUR, "window", "code", category="development"))
        spans.append(Event(at(day, 13.5), 3.5 * HOUR, "window", "docs", category="office"))
    store.insert_events(spans)


def test_the_proposal_follows_the_history(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-14, 0))
    planner = Planner(store, tmp_path, FakeClock(at(0, 6)), TZ)
    offer = planner.propose()
    assert offer is not None
    settings = offer.plan.settings
    assert settings.work_days == (0, 1, 2, 3, 4)
    assert settings.work_hours[0] == 8 * 60 + 30 and settings.work_hours[1] == 17 * 60
    focus, lunch = offer.plan.items
    assert focus.categories[0] == "development"
    assert focus.window is not None and focus.window[0] <= 10 * 60 and focus.window[1] >= 12 * 60
    assert lunch.away and lunch.window is not None
    assert lunch.window[0] <= 12 * 60 + 30 and lunch.window[1] >= 13 * 60 + 30
    assert "12:30-13:00" in offer.reasons[lunch.key] or "13:00-13:30" in offer.reasons[lunch.key]
    # The proposal places like any plan: the focus block lands in the coding hours.
    planner.plan_file.save(offer.plan)
    planner.refresh()
    monday = [b for b in planner.blocks(at(0, 0), at(1, 0)) if b.item == focus.key]
    assert monday and 10 <= planner.local(monday[0].start).hour < 12


def test_no_proposal_before_three_days(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-2, 0))
    assert Planner(store, tmp_path, FakeClock(at(0, 6)), TZ).propose() is None


def test_propose_on_the_cli_writes_the_plan_only_when_asked(tmp_path, capsys):
    import argparse

    store = Store(tmp_path / DB_NAME)
    person(store, range(-14, 0))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"), lambda args: (store, tmp_path))
    now = ["plan", "--now", (MONDAY + dt.timedelta(hours=6)).isoformat()]
    args = parser.parse_args([*now, "propose"])
    assert args.func(args) == 0
    assert "Deep work" in capsys.readouterr().out
    assert not (tmp_path / items.PLAN_NAME).exists()
    args = parser.parse_args([*now, "propose", "--accept"])
    assert args.func(args) == 0
    assert len(items.read_plan_file(tmp_path / items.PLAN_NAME, MONDAY.date()).items) == 2
    args = parser.parse_args([*now, "propose", "--accept"])
    assert args.func(args) == 2  # an existing plan is never replaced without --replace
