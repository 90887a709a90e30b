"""Starts the tray app: Qt event loop + APScheduler's QtScheduler, jobs off the GUI thread."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.qt import QtScheduler

from desktop import about_you, engine, exporters, importers, instance, policy, reports
from desktop.clock import Clock
from desktop.config import Config
from desktop.models import RollbackRefused
from desktop.notify import platform_backend
from desktop.scheduling import add_jobs
from desktop.service import AppService, head_updates
from desktop.settings import NightlyFinetune, Settings, SettingsError
from desktop.store import DeleteResult
from desktop.ui import text
from desktop.ui.dashboard import DashboardWindow
from desktop.ui.first_run import FirstRunDialog
from desktop.ui.notifications import NotificationCenter
from desktop.ui.qt import QWidget
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.tray import Bridge, TrayController, ensure_app
from edge_model.manifest import ModelRefused


def local_utc_offset(at: float) -> float:
    """Return the system time zone's UTC offset in seconds at `at` (what the user's clock shows)."""
    offset = datetime.fromtimestamp(at, UTC).astimezone().utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def status_line(service: AppService, learning: bool = False) -> str:
    """Return the one-line state shown in the tray menu."""
    if not service.collecting():
        if service.consent is not None:  # the user said no
            return text.tr("Not recording (you said no)")
        return text.tr("Not recording until you say yes")
    status = service.status()
    now = service.clock.now()
    if status.paused_until is not None and status.paused_until > now:
        until = text.clock_time(status.paused_until, local_utc_offset(status.paused_until))
        return text.tr("Paused until {until}").format(until=until)
    state = text.state_label("learning" if learning else "collecting")
    if status.model_version is None:
        return text.tr("{state} · suggestions from simple rules").format(state=state)
    return text.tr("{state} · suggestions from the on-device model").format(state=state)


def _counts(result: DeleteResult) -> dict[str, str]:
    return {
        "spans": text.tr("%n span(s)", "", result.spans_deleted),
        "suggestions": text.tr("%n suggestion(s)", "", result.suggestions_deleted),
    }


class Shell:
    """Owns the windows the tray opens (one of each, re-used) and what they read."""

    def __init__(self, service: AppService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.windows: dict[str, QWidget] = {}
        self.tray: TrayController | None = None  # set by run_tray: expiry follows the Config

    # what the settings and first-run dialogs call --------------------------------------------
    def apply_config(self, config: Config) -> None:
        """Make a saved Config govern the running app now, not only at the next start."""
        self.service.apply_config(config)
        if self.tray is not None:
            self.tray.expire_after_ms = int(config.expire_after_s * 1000)
            if self.tray.notifications is not None:
                self.tray.notifications.expire_after_ms = max(1, self.tray.expire_after_ms)

    def export_data(self, path: str) -> str:
        """Write every span (JSON: and suggestion) to `path` (mode 0600); return a summary."""
        fmt = "csv" if path.lower().endswith(".csv") else "json"
        document = exporters.export_text(self.service.store, fmt)
        # The export holds the user's activity: readable by the user alone, like the database.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(document)
        spans = self.service.store.event_count()
        return text.tr("Exported %n span(s) as {fmt} to {path}", "", spans).format(
            fmt=fmt.upper(), path=path
        )

    def delete_range(self, start: float, end: float) -> str:
        """Delete spans and suggestions between two moments; return a summary."""
        result = self.service.delete_range(start, end)
        return text.tr("Deleted {spans} and {suggestions}.").format(**_counts(result))

    def delete_all(self) -> str:
        """Delete everything recorded; return a summary."""
        result = self.service.delete_all()
        return text.tr("All data deleted: {spans}, {suggestions}.").format(**_counts(result))

    def import_activitywatch(self, path: str) -> int:
        """Import an ActivityWatch export all-or-nothing; return how many spans were added."""
        service = self.service
        file = Path(path)
        parsed = importers.parse_file(file, "activitywatch", service.config, now=self.now())
        summary = importers.store_parsed(
            service.store, file, "activitywatch", parsed, service.config, service.categories.rules()
        )
        service.engine.invalidate()
        return summary.added

    def now(self) -> float:
        return self.service.clock.now()

    def learning(self) -> bool:
        return self.settings.ui_state().learning_mode

    def state(self) -> str:
        if not self.service.collecting():
            return "paused"  # not recording at all: the same grey icon as a pause
        return reports.app_state(self.now(), self.service.paused_until, self.learning())

    def glance_text(self) -> str:
        now = self.now()
        return text.glance_line(reports.glance(self.service.store, now, local_utc_offset(now)))

    def minutes_until_tomorrow(self) -> float:
        now = self.now()
        return reports.minutes_until_tomorrow(now, local_utc_offset(now))

    def load_dashboard(self, day: float, period: reports.PeriodKind = "day") -> reports.Dashboard:
        runtime = self.service.models.current
        return reports.dashboard(
            self.service.store,
            day,
            now=self.now(),
            manifest=runtime.manifest if runtime is not None else None,
            utc_offset_s=local_utc_offset(day),
            period=period,
        )

    def model_versions(self) -> reports.VersionList:
        models = self.service.models
        heads = reports.head_update_lines(
            head_updates(self.service.store), local_utc_offset(self.now())
        )
        return reports.model_versions(
            models.registry, self.service.store.model_history(), models.version, heads
        )

    def told(self) -> tuple[reports.Told, ...]:
        """Return what the user's "Not like this" answers changed, in plain words."""
        now = self.now()
        return reports.told(
            self.service.store.suggestions(since=now - policy.REASON_DAYS * 86400.0),
            now,
            local_utc_offset(now),
            self.service.config.min_gap_min,
            engine.forgotten_reasons(self.service.store),
        )

    def about_you(self) -> tuple[about_you.Finding, ...]:
        """Return what the app has learned about the user, in plain words with evidence."""
        now = self.now()
        planner = self.service.planner
        timeline, today = planner.timeline(now)
        return about_you.findings(
            timeline,
            today,
            self.service.store.suggestions(since=now - about_you.DAYS * 86400.0),
            local_utc_offset(now),
            planner.outcomes(now, days=about_you.DAYS),
            planner.item_names(),
            self.service.config.min_gap_min,
        )

    def take_offer(self, overrides: dict[str, float]) -> str:
        """Save and apply a setting the model page offered; return one line saying what changed."""
        try:
            config = self.settings.validate(overrides)
        except (SettingsError, ValueError) as exc:
            return text.tr("Not changed: {reason}").format(reason=exc)
        self.settings.save(config)
        self.apply_config(config)
        return text.tr(
            "Saved: at least {minutes:g} min between two suggestions now (Settings changes it)."
        ).format(minutes=config.min_gap_min)

    def forget_reasons(self, kind: str) -> str:
        """Stop counting what the user said about `kind`; return one line saying so."""
        engine.forget_reasons(self.service.store, kind, self.now())
        self.service.engine.invalidate()
        noun = reports.KIND_NOUNS.get(kind, kind)
        return text.tr("Forgotten: what you said about {noun}.").format(noun=noun)

    def roll_back_model(self) -> str:
        """Serve the version before the one in use again; return one line saying what happened."""
        try:
            return self.service.models.roll_back()
        except (RollbackRefused, ModelRefused, OSError) as exc:
            return str(exc)

    def _raise(self, window: QWidget) -> None:
        window.show()
        window.raise_()
        window.activateWindow()

    def open_dashboard(self) -> DashboardWindow:
        window = self.windows.get("dashboard")
        if not isinstance(window, DashboardWindow):
            window = DashboardWindow(
                self.load_dashboard,
                self.now,
                planner=self.service.planner,
                versions=self.model_versions,
                roll_back=self.roll_back_model,
                told=self.told,
                forget=self.forget_reasons,
                about=self.about_you,
                take_offer=self.take_offer,
            )
            self.windows["dashboard"] = window
        window.show_day(self.now())
        self._raise(window)
        return window

    def open_settings(self) -> SettingsDialog:
        window = self.windows.get("settings")
        if not isinstance(window, SettingsDialog) or not window.isVisible():
            window = SettingsDialog(
                self.settings,
                export_data=self.export_data,
                delete_data=self.delete_all,
                delete_range=self.delete_range,
                on_saved=self.apply_config,
                now=time.time,
            )
            self.windows["settings"] = window
        self._raise(window)
        return window

    def set_recording(self, agreed: bool) -> None:
        """Store the user's yes or no to recording, and show it in the tray."""
        self.service.set_consent(agreed)
        if self.tray is not None:
            self.tray.refresh_status()

    def open_first_run(self) -> FirstRunDialog:
        window = FirstRunDialog(
            self.settings,
            import_activitywatch=self.import_activitywatch,
            set_consent=self.set_recording,
            now=time.time,
        )
        self.windows["first_run"] = window
        self._raise(window)
        return window


def run_tray(service: AppService, config: Config, clock: Clock) -> int:
    """Run the tray app until the user quits; return the exit code."""
    app = ensure_app()
    bridge = Bridge()
    settings = Settings(service.data_dir, finetune=NightlyFinetune(data_dir=service.data_dir))
    shell = Shell(service, settings)
    backend = platform_backend()
    notifications = (
        NotificationCenter(backend, int(config.expire_after_s * 1000))
        if backend is not None
        else None
    )
    tray = TrayController(
        react=service.react,
        pause=service.pause,
        resume=service.resume,
        status_text=lambda: status_line(service, shell.learning()),
        expire_after_s=config.expire_after_s,
        quit_app=app.quit,
        state=shell.state,
        glance_text=shell.glance_text,
        minutes_until_tomorrow=shell.minutes_until_tomorrow,
        open_dashboard=shell.open_dashboard,
        open_settings=shell.open_settings,
        notifications=notifications,
        recording=service.collecting,
        set_recording=shell.set_recording,
    )
    shell.tray = tray
    if tray.tray is None:  # nothing on screen and no way to quit: the dashboard stands in
        from desktop.doctor import tray_hint

        print(
            f"time-sculptor: no system tray here, so the dashboard window stands in for it "
            f"(closing it quits); {tray_hint()}",
            flush=True,
        )
        app.setQuitOnLastWindowClosed(True)
    # A second `time-sculptor run` on this data knocks here; the dashboard comes to the front.
    bridge.show_dashboard.connect(shell.open_dashboard)
    knocks = instance.KnockListener(service.data_dir, bridge.show_dashboard.emit)
    knocks.start()
    if notifications is not None:
        notifications.start()  # connects off the GUI thread; the popup stands in meanwhile
    bridge.suggestion.connect(tray.show_suggestion)
    bridge.error.connect(tray.show_error)
    service.on_suggestion = bridge.suggestion.emit  # called on a job thread; delivered queued
    service.on_error = bridge.error.emit
    service.refresh_model()
    tray.refresh_status()
    if not settings.ui_state().first_run_done or service.consent is None:
        shell.open_first_run()  # recording starts only with the user's yes
    if tray.tray is None:
        shell.open_dashboard()
    scheduler = QtScheduler()
    add_jobs(scheduler, service, config, clock)
    scheduler.start()
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    try:
        return app.exec()
    finally:
        knocks.close()
        scheduler.shutdown(wait=True)
        tray.close()
        if notifications is not None:
            notifications.close()
        service.close()
