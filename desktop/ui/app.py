"""Starts the tray app: Qt event loop + APScheduler's QtScheduler, jobs off the GUI thread."""

from __future__ import annotations

import signal
from datetime import UTC, datetime

from apscheduler.schedulers.qt import QtScheduler

from desktop.clock import Clock
from desktop.config import Config
from desktop.scheduling import add_jobs
from desktop.service import AppService
from desktop.ui.tray import Bridge, TrayController, ensure_app


def status_line(service: AppService) -> str:
    """Return the one-line state shown in the tray menu."""
    status = service.status()
    if status.paused_until is not None and status.paused_until > service.clock.now():
        until = datetime.fromtimestamp(status.paused_until, UTC).strftime("%H:%M")
        return f"Paused until {until} UTC"
    model = status.model_version or "rules only"
    return f"Collecting · {status.events} spans · model {model}"


def run_tray(service: AppService, config: Config, clock: Clock) -> int:
    """Run the tray app until the user quits; return the exit code."""
    app = ensure_app()
    bridge = Bridge()
    tray = TrayController(
        react=service.react,
        pause=service.pause,
        resume=service.resume,
        status_text=lambda: status_line(service),
        expire_after_s=config.expire_after_s,
        quit_app=app.quit,
    )
    bridge.suggestion.connect(tray.show_suggestion)
    bridge.error.connect(tray.show_error)
    service.on_suggestion = bridge.suggestion.emit  # called on a job thread; delivered queued
    service.on_error = bridge.error.emit
    service.refresh_model()
    tray.refresh_status()
    scheduler = QtScheduler()
    add_jobs(scheduler, service, config, clock)
    scheduler.start()
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    try:
        return app.exec()
    finally:
        scheduler.shutdown(wait=True)
        service.close()
