"""The app's jobs: coalesced, with grace times; a snoozed suggestion survives a restart once."""

from __future__ import annotations

import numpy as np
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from desktop import scheduling
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
