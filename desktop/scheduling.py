"""APScheduler jobs: collect, suggest and look for new models, at intervals in simulated time."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler

from desktop.clock import Clock
from desktop.config import Config
from desktop.service import AppService

MIN_REAL_INTERVAL_S = 0.05


def real_interval(simulated_s: float, clock: Clock) -> float:
    """Return the wall-clock seconds between runs of a job meant to run every `simulated_s`."""
    return max(simulated_s / clock.rate, MIN_REAL_INTERVAL_S)


def poll_step(config: Config, clock: Clock) -> float:
    """Return the simulated seconds between two polls as the scheduler will actually run them."""
    return real_interval(config.poll_interval_s, clock) * clock.rate


def add_jobs(scheduler: BaseScheduler, service: AppService, config: Config, clock: Clock) -> None:
    """Register the app's recurring jobs; each runs alone and late runs collapse into one."""
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
