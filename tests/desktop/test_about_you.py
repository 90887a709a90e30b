"""What the app has learned about its user, read from their own history, with the evidence."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from desktop import about_you
from desktop.clock import FakeClock
from desktop.plan import forecast as fc
from desktop.plan import items
from desktop.plan.planner import Planner
from desktop.store import DB_NAME, Event, Store
from tests.helpers import DEEP_WORK_HABIT, log_suggestion

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)
HOUR = 3600.0


def at(day: int, hour: float) -> float:
    return (MONDAY + dt.timedelta(days=day, hours=hour)).timestamp()


def person(store: Store, days: range, stretch_min: float = 50.0) -> None:
    """Mail from 08:00, code 14:00-16:00, documents after; a 10-minute break after each stretch."""
    spans = []
    for day in days:
        if (MONDAY + dt.timedelta(days=day)).weekday() >= 5:
            continue
        start = at(day, 8)
        while start < at(day, 18):
            hour = (start - at(day, 0)) / HOUR
            app, category = ("mail", "communication") if hour < 14 else ("code", "development")
            if hour >= 16:
                app, category = "docs", "office"
            spans.append(Event(start, stretch_min * 60, "window", app, category=category))
            start += (stretch_min + 10) * 60
    store.insert_events(spans)


def findings(store: Store, tmp_path, now: float) -> dict[str, about_you.Finding]:
    planner = Planner(store, tmp_path, FakeClock(now), TZ)
    timeline, today = planner.timeline(now)
    offset = TZ.utcoffset(dt.datetime.fromtimestamp(now)).total_seconds()
    found = about_you.findings(timeline, today, store.suggestions(since=now - 28 * 86400), offset)
    return {f.topic: f for f in found}


def test_focus_hours_and_breaks_come_from_the_users_own_days(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-14, 0))
    found = findings(store, tmp_path, at(0, 6))
    focus = found["focus"]
    # Code runs 14:00-16:00 (with two 10-minute breaks): the two best hours for focus work.
    assert focus.text == "Your best hours for focus: 14:00-16:00."
    assert "in development" in focus.evidence and "on the 10 days with activity" in focus.evidence
    breaks = found["breaks"]
    assert breaks.text.startswith("You usually step away after about 50 min at the computer")
    assert "over 10 days" in breaks.evidence


def test_a_longer_rhythm_is_read_as_longer(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-14, 0), stretch_min=110.0)
    breaks = findings(store, tmp_path, at(0, 6))["breaks"]
    assert "about 110 min" in breaks.text


def test_what_the_user_turns_down_and_takes(tmp_path):
    store = Store(tmp_path / DB_NAME)
    now = at(0, 12)
    for hour in range(1, 6):
        sid = log_suggestion(store, now - hour * HOUR, kind="meeting_prep")
        store.record_feedback(sid, "dismissed", now - hour * HOUR + 60)
        sid = log_suggestion(store, now - hour * HOUR - 600, kind="break")
        store.record_feedback(sid, "accepted" if hour != 3 else "ignored", now - hour * HOUR)
    found = findings(store, tmp_path, now)
    down = found["turned_down"]
    assert down.text.startswith("You turn down meeting preparation notices")
    assert down.evidence == (
        "In the last 28 days: 0 of 5 accepted, 5 dismissed, 0 let pass or snoozed."
    )
    assert found["welcome"].text == "You take most breaks: they keep their place."
    assert "4 of 5 accepted" in found["welcome"].evidence


def test_where_plan_blocks_are_kept_comes_from_how_they_went(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-14, 0))  # mail before 14:00, code 14:00-16:00
    (tmp_path / items.PLAN_NAME).write_text(DEEP_WORK_HABIT)
    now = at(0, 6)
    planner = Planner(store, tmp_path, FakeClock(now), TZ)
    rows = [("deep-work", at(d, h), at(d, h + 1), "") for d in (-7, -6, -5, -4) for h in (9, 14)]
    ids = store.replace_planned_blocks(at(-10, 0), rows, at(-10, 0))
    assert planner.measure_ended(now) == 8
    # The user said one morning block went well (a whiteboard session the computer cannot see).
    store.record_block_answer(ids[0], "well", at(-7, 10))
    outcomes = planner.outcomes(now, days=about_you.DAYS)
    offset = TZ.utcoffset(dt.datetime.fromtimestamp(now)).total_seconds()
    found = about_you.findings(*planner.timeline(now), [], offset, outcomes, planner.item_names())
    plan = next(f for f in found if f.topic == "plan")
    assert plan.text == (
        "You keep Deep work best in the afternoons, least in the mornings: "
        "I place its blocks where they went well."
    )
    assert plan.evidence.startswith(
        "In the last 28 days you kept 5 of 8 Deep work blocks (mornings 1 of 4, afternoons 4 of 4)."
    )
    # Without the answer the mornings read 0 of 4; with every morning answered "well" the
    # difference is gone and the finding says the blocks are kept wherever they are.
    for block_id in ids[2::2]:
        store.record_block_answer(block_id, "well", at(-4, 10))
    found = about_you.findings(
        *planner.timeline(now), [], offset, planner.outcomes(now, days=28), planner.item_names()
    )
    plan = next(f for f in found if f.topic == "plan")
    assert plan.text == "You keep most of your Deep work blocks, whenever they are."


def test_nothing_is_claimed_from_too_little_history(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-4, 0))  # Thursday and Friday: two days, twenty stretches
    sid = log_suggestion(store, at(0, 5), kind="focus")
    store.record_feedback(sid, "dismissed", at(0, 5) + 60)
    assert findings(store, tmp_path, at(0, 6)) == {}


def test_stretches_end_at_five_minutes_away():
    timeline = fc.Timeline(MONDAY.date(), 1)
    timeline.add_active(9 * 60, 9 * 60 + 30, "development")
    timeline.add_active(9 * 60 + 33, 10 * 60, "development")  # a 3-minute gap: same stretch
    timeline.add_active(10 * 60 + 6, 10 * 60 + 12, "development")  # a visit, not a stretch
    timeline.add_active(11 * 60, 11 * 60 + 45, "office")
    assert about_you.stretches(timeline, 0, 1) == pytest.approx([60.0, 45.0])


def test_plan_blocks_that_mostly_fail_point_to_the_plan_and_few_say_nothing():
    missed = {"mail": [(9 * 60, 0.1)] * 3 + [(15 * 60, 0.0)] * 2}
    (found,) = about_you.plan_findings(missed, {"mail": "Mail"})
    assert found.text.startswith("Most Mail blocks did not happen as planned")
    assert "(mornings 0 of 3, afternoons 0 of 2)" in found.evidence
    assert about_you.plan_findings({"mail": missed["mail"][:3]}, {"mail": "Mail"}) == []


def test_someone_who_takes_most_breaks_early_is_offered_suggestions_closer_together(tmp_path):
    store = Store(tmp_path / DB_NAME)
    person(store, range(-14, 0), stretch_min=25.0)
    now = at(0, 6)
    for day in range(-7, 0):
        sid = log_suggestion(store, at(day, 10.5), kind="break")
        store.record_feedback(sid, "dismissed" if day == -3 else "accepted", at(day, 10.5) + 60)
    planner = Planner(store, tmp_path, FakeClock(now), TZ)
    offset = TZ.utcoffset(dt.datetime.fromtimestamp(now)).total_seconds()
    suggestions = store.suggestions(since=now - 28 * 86400)

    def breaks(min_gap: float) -> about_you.Finding:
        found = about_you.findings(*planner.timeline(now), suggestions, offset, min_gap_min=min_gap)
        return next(f for f in found if f.topic == "breaks")

    offered = breaks(40.0)
    assert offered.offer == {"min_gap_min": 25.0} and offered.offer_label == "Suggest every 25 min"
    assert "suggestions could come every 25 min instead of 40" in offered.text
    # Taken up (or set so already): nothing more to offer. A longer rhythm is not offered one.
    assert breaks(25.0).offer is None
    assert breaks(32.0).offer is None  # the usual stretch is not 10 min shorter than the gap
