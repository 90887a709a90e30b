"""The app's jobs: coalesced, with grace times; a snoozed suggestion survives a restart once."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import numpy as np
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from desktop import importers, scheduling
from desktop.clock import AcceleratedClock, FakeClock
from desktop.config import Config
from desktop.service import AppService
from desktop.store import Event
from tests.helpers import log_suggestion

MONDAY_9AM = 1_794_301_200.0


def open_service(path, clock, seed=0):
    service = AppService(path, Config(), clock, rng=np.random.default_rng(seed))
    assert service.refresh_model()
    return service


def jobs_of(service, clock):
    scheduler = BackgroundScheduler()
    scheduling.add_jobs(scheduler, service, service.config, clock)
    return scheduler, {job.id: job for job in scheduler.get_jobs()}


def work(store, start, minutes):
    store.insert_events(
        Event(start=start + 300 * i, duration=300, source="window", app=app, category=cat)
        for i, (app, cat) in enumerate(
            [("code", "development"), ("firefox", "browsing")] * int(minutes / 10)
        )
    )


def test_every_recurring_job_coalesces_with_a_grace_time(tmp_path):
    clock = AcceleratedClock(MONDAY_9AM, rate=60)
    service = open_service(tmp_path, clock)
    try:
        _, jobs = jobs_of(service, clock)
        assert {"collect", "suggest", "models", "personalize"} <= set(jobs)
        for job in jobs.values():
            assert job.coalesce and job.max_instances == 1 and job.misfire_grace_time > 0
        # Intervals are simulated time over the clock's rate (tests run days in seconds).
        assert jobs["suggest"].trigger.interval.total_seconds() == pytest.approx(1.0)
        assert "due" not in jobs
    finally:
        service.close()


def test_a_snooze_survives_a_restart_and_is_shown_once(tmp_path):
    clock = FakeClock(MONDAY_9AM)
    service = open_service(tmp_path, clock)
    work(service.store, MONDAY_9AM - 3 * 3600, 180)
    sid = log_suggestion(service.store, clock.now(), score=0.8, propensity=0.7)
    scheduler, _ = jobs_of(service, clock)
    assert service.react(sid, "snoozed", snooze_minutes=20)
    due = MONDAY_9AM + 20 * 60
    assert service.next_due_at() == due
    assert scheduler.get_job(scheduling.DUE_JOB_ID) is not None  # scheduled by the reaction
    service.close()

    clock.set(due - 30)  # the app restarts shortly before the snooze ends
    service = open_service(tmp_path, clock)
    scheduler, jobs = jobs_of(service, clock)
    assert scheduling.DUE_JOB_ID in jobs  # not lost
    assert not service.tick().shown
    clock.set(due)
    decision = service.tick()
    assert decision.shown and decision.suggestion.kind == "break"
    service.close()

    clock.set(due + 60)  # and again: it is not shown a second time
    service = open_service(tmp_path, clock)
    _, jobs = jobs_of(service, clock)
    assert scheduling.DUE_JOB_ID not in jobs and service.next_due_at() is None
    assert not service.tick().shown
    assert [s.kind for s in service.store.suggestions()] == ["break", "break"]
    service.close()


def test_a_suspend_does_not_flood(tmp_path):
    clock = FakeClock(MONDAY_9AM)
    service = open_service(tmp_path, clock)
    try:
        work(service.store, MONDAY_9AM, 120)
        clock.set(MONDAY_9AM + 2 * 3600)
        service.tick()
        # The machine sleeps for six hours; on resume the user works on for two hours and
        # every missed tick fires at once (the worst case coalescing prevents).
        work(service.store, MONDAY_9AM + 8 * 3600, 120)
        clock.set(MONDAY_9AM + 10 * 3600)
        shown = sum(bool(d and d.shown) for d in (service.tick() for _ in range(120)))
        assert shown <= 1
    finally:
        service.close()


# --- the watched calendar: a real .ics file, the real scheduler, an injected clock ---

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:review@test
DTSTART:20261110T100000Z
DTEND:20261110T103000Z
SUMMARY:Review
END:VEVENT
BEGIN:VEVENT
UID:planning@test
DTSTART:20261111T140000Z
DTEND:20261111T150000Z
SUMMARY:Planning
END:VEVENT
BEGIN:VEVENT
UID:standup@test
DTSTART:20261110T083000Z
DURATION:PT15M
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Standup
END:VEVENT
END:VCALENDAR
"""


def write_calendar(path, text, version):
    path.write_text(text.replace("\n", "\r\n"))
    # Each version with its own modification time, as a calendar app's export would have
    # (a move can keep the size: 10:00 -> 11:00).
    os.utime(path, ns=(version * 10**9, 1_700_000_000 * 10**9 + version * 10**9))


def eventually(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the calendar job did not get there in time"
        time.sleep(0.02)


def meetings(service):
    return [
        (datetime.fromtimestamp(e.start, UTC).strftime("%a %H:%M"), e.duration / 60, e.id)
        for e in service.store.all_events()  # oldest first
        if e.source == "calendar"
    ]


def test_a_watched_calendar_follows_its_file(tmp_path):
    path = tmp_path / "calendar.ics"
    write_calendar(path, CALENDAR, 1)
    clock = FakeClock(MONDAY_9AM)
    service = AppService(tmp_path / "data", Config(), clock, rng=np.random.default_rng(0))
    errors = []
    service.on_error = errors.append
    scheduler = BackgroundScheduler()
    scheduling.add_jobs(scheduler, service, service.config, clock, calendar_path=path,
                        calendar_check_s=0.05)  # fmt: skip
    scheduler.start()
    try:
        eventually(lambda: len(meetings(service)) == 5)
        first = meetings(service)
        assert [m[:2] for m in first] == [
            ("Tue 08:30", 15), ("Tue 10:00", 30), ("Wed 08:30", 15), ("Wed 14:00", 60),
            ("Thu 08:30", 15),
        ]  # fmt: skip

        # Unchanged: looked at many times, nothing rewritten (the same rows, the same ids).
        time.sleep(0.5)
        assert meetings(service) == first

        # Review cancelled, planning moved to Thursday 15:00: both follow, the rest stays put.
        moved = CALENDAR.replace("SUMMARY:Review", "SUMMARY:Review\nSTATUS:CANCELLED").replace(
            "DTSTART:20261111T140000Z\nDTEND:20261111T150000Z",
            "DTSTART:20261112T150000Z\nDTEND:20261112T160000Z",
        )
        write_calendar(path, moved, 2)
        eventually(lambda: "Thu 15:00" in [m[0] for m in meetings(service)])
        second = meetings(service)
        assert [m[:2] for m in second] == [
            ("Tue 08:30", 15), ("Wed 08:30", 15), ("Thu 08:30", 15), ("Thu 15:00", 60),
        ]  # fmt: skip
        standups = {m[2] for m in first if m[1] == 15}
        assert standups == {m[2] for m in second if m[1] == 15}  # untouched rows

        # A half-written export: one line naming the file, and the meetings stay.
        write_calendar(path, moved[: moved.index("UID:standup")], 3)
        eventually(lambda: errors)
        [message] = errors
        assert message.startswith(f"{path}: end of file: ") and "\n" not in message
        assert message.endswith("keeping the meetings imported before")
        time.sleep(0.3)
        assert meetings(service) == second and errors == [message]  # said once

        # Repaired: followed again.
        write_calendar(path, CALENDAR, 4)
        eventually(lambda: [m[:2] for m in meetings(service)] == [m[:2] for m in first])
    finally:
        scheduler.shutdown(wait=True)
        service.close()


def test_a_watched_calendar_leaves_other_imports_alone_and_survives_a_missing_file(tmp_path):
    path = tmp_path / "calendar.ics"
    write_calendar(path, CALENDAR, 1)
    clock = FakeClock(MONDAY_9AM)
    service = open_service(tmp_path / "data", clock)
    errors = []
    service.on_error = errors.append
    try:
        importers.import_file(service.store, path, "ics", Config(), now=MONDAY_9AM)
        result = service.sync_calendar(path)
        assert (result.added, result.removed, result.unchanged) == (5, 0, 0)
        assert service.sync_calendar(path) is None  # unchanged: not even read
        path.unlink()
        assert service.sync_calendar(path) is None
        assert errors == [
            f"{path}: cannot read the watched calendar (No such file or directory);"
            " keeping the meetings imported from it"
        ]
        write_calendar(
            path, CALENDAR.replace("RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=DAILY;COUNT=1"), 2
        )
        result = service.sync_calendar(path)
        assert (result.added, result.removed, result.unchanged) == (0, 2, 3)
        # The one-off import of the same file keeps all five; the watched copy now has three.
        assert len(meetings(service)) == 5 + 3
        clock.advance(86_400)  # a day on, unchanged: read again (the window moved), no change
        result = service.sync_calendar(path)
        assert (result.added, result.removed, result.unchanged) == (0, 0, 3)
    finally:
        service.close()
