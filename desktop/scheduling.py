"""APScheduler jobs: collect, suggest, personalize, look for new models and follow a watched
calendar file, in simulated time (the file-watching jobs in real time).

Every recurring job runs alone and coalesces late runs into one, with a misfire grace time, so
a suspend or a stalled loop neither floods (one tick, not a tick per missed minute) nor skips
(a late run within the grace still happens). A snoozed suggestion gets a one-off job at its
due time; the due time itself lives in the store (the last suggestion, snoozed, and when), so
after a restart `add_jobs` schedules it again and the suggestion is shown once, not twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler

from desktop.clock import Clock
from desktop.config import Config
from desktop.service import AppService

MIN_REAL_INTERVAL_S = 0.05
PERSONALIZE_CHECK_S = 3600.0  # simulated seconds between looks at "is the nightly step due?"
DUE_JOB_ID = "due"
CALENDAR_JOB_ID = "calendar"
PLAN_CHECK_S = 300.0  # simulated seconds between re-plans (a block notice comes 0-5 min early)
CALENDAR_CHECK_S = 30.0  # real seconds between looks at the watched .ics file (a stat)

log = logging.getLogger(__name__)


def real_interval(simulated_s: float, clock: Clock) -> float:
    """Return the wall-clock seconds between runs of a job meant to run every `simulated_s`."""
    return max(simulated_s / clock.rate, MIN_REAL_INTERVAL_S)


def poll_step(config: Config, clock: Clock) -> float:
    """Return the simulated seconds between two polls as the scheduler will actually run them."""
    return real_interval(config.poll_interval_s, clock) * clock.rate


def real_run_date(due_at: float, clock: Clock) -> datetime:
    """Return the wall-clock moment at which the injected clock reaches `due_at`."""
    return datetime.now().astimezone() + timedelta(
        seconds=max(0.0, (due_at - clock.now()) / clock.rate)
    )


def schedule_due(
    scheduler: BaseScheduler, service: AppService, clock: Clock, due_at: float
) -> None:
    """Add (or move) the one-off job that shows a snoozed suggestion at its due time."""
    scheduler.add_job(
        service.tick,
        "date",
        id=DUE_JOB_ID,
        name="show the snoozed suggestion",
        run_date=real_run_date(due_at, clock),
        replace_existing=True,
        # Late after a suspend: still run (the store says it is owed); the tick checks again.
        misfire_grace_time=24 * 3600,
        coalesce=True,
    )


def watched_calendar(config: Config) -> Path | None:
    """Return the .ics file the settings ask to watch (`calendar_ics_path`), or None."""
    value = config.calendar_ics_path.strip()
    return Path(value).expanduser() if value else None


def add_jobs(
    scheduler: BaseScheduler,
    service: AppService,
    config: Config,
    clock: Clock,
    *,
    calendar_path: Path | None = None,
    calendar_check_s: float = CALENDAR_CHECK_S,
) -> None:
    """Register the app's jobs; each runs alone and late runs collapse into one.

    `calendar_path` (else the `calendar_ics_path` setting) is a watched .ics file: re-imported
    whenever its modification time or size changes, first right away.
    """
    common = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(
        service.poll,
        "interval",
        id="collect",
        name="collect window and idle",
        seconds=real_interval(config.poll_interval_s, clock),
        misfire_grace_time=5,
        **common,
    )
    scheduler.add_job(
        service.tick,
        "interval",
        id="suggest",
        name="infer and suggest",
        seconds=real_interval(config.infer_interval_s, clock),
        misfire_grace_time=30,
        **common,
    )
    scheduler.add_job(
        service.plan_tick,
        "interval",
        id="plan",
        name="keep the plan in step and show block starts",
        seconds=real_interval(PLAN_CHECK_S, clock),
        misfire_grace_time=120,
        **common,
    )
    # Looking for a new model is about real files appearing, so it runs in real time.
    scheduler.add_job(
        service.refresh_model,
        "interval",
        id="models",
        name="pick up new model versions",
        seconds=min(
            config.model_check_interval_s, 5.0 if clock.rate > 1 else config.model_check_interval_s
        ),
        misfire_grace_time=60,
        **common,
    )
    # The nightly on-device personalization: checked hourly, runs once a local day.
    scheduler.add_job(
        service.maybe_personalize,
        "interval",
        id="personalize",
        name="refit the personal head on stored reactions",
        seconds=real_interval(PERSONALIZE_CHECK_S, clock),
        misfire_grace_time=3600,
        **common,
    )
    # A watched calendar is about a real file changing, so it is looked at in real time.
    calendar = calendar_path if calendar_path is not None else watched_calendar(config)
    if calendar is not None:
        scheduler.add_job(
            service.sync_calendar,
            "interval",
            args=[calendar],
            id=CALENDAR_JOB_ID,
            name="re-import the watched calendar when it changes",
            seconds=calendar_check_s,
            next_run_time=datetime.now().astimezone(),
            misfire_grace_time=300,
            **common,
        )
    service.on_due = lambda due_at: schedule_due(scheduler, service, clock, due_at)
    due = service.next_due_at()
    if due is not None:  # a snooze owed from before a restart
        schedule_due(scheduler, service, clock, due)
