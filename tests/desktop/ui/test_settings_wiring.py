"""The settings and first-run dialogs wired to the running app (Shell) on a real store.

Export writes the real exporters' files, deletes ask first and reach the real SQLite store,
a saved Config governs the running service at once, the ActivityWatch offer imports through
desktop.importers all-or-nothing, and the nightly fine-tune runs `systemctl --user` through
an injected runner (the process boundary is the only fake).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import datetime

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.collect.base import WindowInfo  # noqa: E402
from desktop.config import Config, load_config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import FINETUNE_TIMER, Autostart, NightlyFinetune, Settings  # noqa: E402
from desktop.store import Event  # noqa: E402
from desktop.ui.app import Shell  # noqa: E402
from desktop.ui.first_run import FirstRunDialog  # noqa: E402
from desktop.ui.qt import QDateTime, Qt  # noqa: E402
from desktop.ui.settings_dialog import SettingsDialog  # noqa: E402

NOW = 1_794_301_200.0  # 2026-11-10 09:00 UTC
HOUR = 3600.0


class Watcher:
    name = "fake"

    def __init__(self, app: str) -> None:
        self.app = app

    def active_window(self) -> WindowInfo:
        return WindowInfo(app=self.app, title="a title")

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


@pytest.fixture
def service(tmp_path):
    svc = AppService(
        tmp_path / "data",
        Config(),
        FakeClock(NOW),
        rng=np.random.default_rng(0),
        watcher=Watcher("firefox"),
    )
    svc.store.insert_events(
        [
            Event(start=NOW - 5 * HOUR + i * HOUR, duration=600.0, source="window", app="code")
            for i in range(5)
        ]
    )
    yield svc
    svc.close()


@pytest.fixture
def shell(service, tmp_path):
    settings = Settings(service.data_dir, autostart=Autostart(tmp_path / "autostart"))
    return Shell(service, settings)


def settings_dialog(qtbot, shell, confirm=True, path=None, finetune=None):
    if finetune is not None:
        shell.settings.finetune = finetune
    answers = {"confirm": confirm, "asked": []}

    def ask(parent, title, question):
        answers["asked"].append(question)
        return answers["confirm"]

    window = SettingsDialog(
        shell.settings,
        export_data=shell.export_data,
        delete_data=shell.delete_all,
        delete_range=shell.delete_range,
        on_saved=shell.apply_config,
        confirm=ask,
        choose_path=lambda parent: path,
        now=lambda: NOW,
    )
    window.answers = answers
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_export_writes_the_exporters_file_readable_only_by_the_user(qtbot, shell, tmp_path, suffix):
    out = tmp_path / f"export.{suffix}"
    dialog = settings_dialog(qtbot, shell, path=str(out))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert dialog.message.text() == f"Exported 5 spans as {suffix.upper()} to {out}"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text()
    if suffix == "json":
        assert len(json.loads(text)["events"]) == 5
    else:
        assert len(text.strip().splitlines()) == 6  # header + 5 spans


def test_export_to_an_unwritable_place_is_one_line(qtbot, shell, tmp_path):
    dialog = settings_dialog(qtbot, shell, path=str(tmp_path / "missing" / "out.json"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert dialog.message.text().startswith("Export failed: ")
    assert "\n" not in dialog.message.text()


def test_delete_range_asks_then_deletes_only_that_range(qtbot, shell, service):
    dialog = settings_dialog(qtbot, shell, confirm=False)
    # The spans start at NOW-5h .. NOW-1h; delete [NOW-3h-5min, NOW-1h-5min): two of them.
    dialog.range_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 3 * HOUR - 300)))
    dialog.range_to.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 1 * HOUR - 300)))
    qtbot.mouseClick(dialog.delete_range_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert len(dialog.answers["asked"]) == 1
    assert service.store.event_count() == 5  # not confirmed: nothing deleted
    dialog.answers["confirm"] = True
    qtbot.mouseClick(dialog.delete_range_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert service.store.event_count() == 3
    assert dialog.message.text() == "Deleted 2 spans and 0 suggestions."
    starts = sorted(e.start for e in service.store.all_events())
    assert starts == [NOW - 5 * HOUR, NOW - 4 * HOUR, NOW - 1 * HOUR]


def test_delete_range_backwards_is_refused_without_asking(qtbot, shell, service):
    dialog = settings_dialog(qtbot, shell)
    dialog.range_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW)))
    dialog.range_to.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - HOUR)))
    qtbot.mouseClick(dialog.delete_range_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert dialog.answers["asked"] == []
    assert service.store.event_count() == 5
    assert dialog.message.text() == "Not deleted: the end must come after the start."


def test_delete_everything_asks_then_empties_the_store(qtbot, shell, service):
    dialog = settings_dialog(qtbot, shell, confirm=False)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert service.store.event_count() == 5
    dialog.answers["confirm"] = True
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert service.store.event_count() == 0
    assert dialog.message.text() == "All data deleted: 5 spans, 0 suggestions."


def test_saved_settings_govern_the_running_app_at_once(qtbot, shell, service):
    assert service.poll().app == "firefox"
    dialog = settings_dialog(qtbot, shell)
    qtbot.keyClicks(dialog.new_app, "Firefox")
    qtbot.keyClick(dialog.new_app, Qt.Key.Key_Return)
    dialog.quiet_start.setTime(dialog.quiet_start.time().fromString("06:00", "HH:mm"))
    dialog.quiet_end.setTime(dialog.quiet_end.time().fromString("12:00", "HH:mm"))
    dialog.daily_cap.setValue(3)
    dialog.save()
    assert load_config(shell.settings.data_dir).excluded_apps == ("Firefox",)
    # No restart: the next poll already records the app as excluded, and the engine's rules
    # (09:00 UTC here) already keep quiet.
    assert service.poll().app == "excluded"
    assert service.config.daily_cap == service.engine.config.daily_cap == 3
    decision = service.tick()
    assert decision is not None and decision.suggestion is None
    assert "quiet hours (06:00-12:00)" in str(decision)


def aw_export(tmp_path, events):
    path = tmp_path / "aw-export.json"
    document = {
        "buckets": {
            "aw-watcher-window_host": {
                "type": "currentwindow",
                "hostname": "host",
                "events": events,
            }
        }
    }
    path.write_text(json.dumps(document))
    return path


def first_run(qtbot, shell, path):
    dialog = FirstRunDialog(
        shell.settings,
        import_activitywatch=shell.import_activitywatch,
        choose_file=lambda parent: str(path),
        now=lambda: NOW,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    return dialog


def event(start: str, duration, app="code"):
    return {"timestamp": start, "duration": duration, "data": {"app": app, "title": "t"}}


def test_first_run_imports_an_activitywatch_export_into_the_store(qtbot, shell, service, tmp_path):
    path = aw_export(
        tmp_path,
        [
            event("2026-11-08T09:00:00+00:00", 600.0),
            event("2026-11-08T09:10:00+00:00", 300.0, app="firefox"),
        ],
    )
    dialog = first_run(qtbot, shell, path)
    assert dialog.import_result.text() == "Imported 2 spans."
    imported = [e for e in service.store.all_events() if e.start < NOW - 24 * HOUR]
    assert [(e.app, e.duration) for e in imported] == [("code", 600.0), ("firefox", 300.0)]
    assert imported[0].start == datetime.fromisoformat("2026-11-08T09:00:00+00:00").timestamp()
    # Importing the same file again adds nothing.
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_result.text() == "Imported 0 spans.", timeout=10_000)
    assert service.store.event_count() == 7


def test_a_bad_export_is_one_line_and_imports_nothing(qtbot, shell, service, tmp_path):
    path = aw_export(
        tmp_path,
        [event("2026-11-08T09:00:00+00:00", 600.0), event("2026-11-08T09:10:00+00:00", "long")],
    )
    dialog = first_run(qtbot, shell, path)
    message = dialog.import_result.text()
    assert message.startswith("Import failed: ") and "aw-export.json" in message
    assert "duration" in message and "\n" not in message
    assert service.store.event_count() == 5  # all or nothing: the good first event is not in
    missing = first_run(qtbot, shell, tmp_path / "nope.json")
    assert missing.import_result.text().startswith("Import failed: ")


class Systemctl:
    """Records `systemctl --user ...` command lines; answers like systemd would."""

    def __init__(self, enabled: bool = False, fail: str = "") -> None:
        self.enabled = enabled
        self.fail = fail
        self.commands: list[list[str]] = []

    def __call__(self, args):
        args = list(args)
        self.commands.append(args)
        assert args[:2] == ["systemctl", "--user"]
        verb = args[2]
        if self.fail and verb == self.fail:
            return subprocess.CompletedProcess(args, 1, "", "Failed to connect to bus: No medium\n")
        if verb == "is-enabled":
            return subprocess.CompletedProcess(args, 0 if self.enabled else 1, "", "")
        if verb == "enable":
            self.enabled = True
        if verb == "disable":
            self.enabled = False
        return subprocess.CompletedProcess(args, 0, "", "")


def finetune(tmp_path, runner, which=lambda name: "/usr/bin/systemctl"):
    return NightlyFinetune(unit_dir=tmp_path / "units", runner=runner, which=which)


def test_nightly_finetune_switches_the_systemd_user_timer(qtbot, shell, tmp_path):
    runner = Systemctl()
    dialog = settings_dialog(qtbot, shell, finetune=finetune(tmp_path, runner))
    qtbot.waitUntil(dialog.finetune.isEnabled, timeout=5000)
    assert not dialog.finetune.isChecked()
    qtbot.mouseClick(dialog.finetune, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "enabled" in dialog.message.text(), timeout=5000)
    assert runner.commands[-2:] == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", FINETUNE_TIMER],
    ]
    assert (tmp_path / "units" / FINETUNE_TIMER).is_file()
    assert (tmp_path / "units" / "time-sculptor-finetune.service").is_file()
    again = settings_dialog(qtbot, shell)
    qtbot.waitUntil(again.finetune.isEnabled, timeout=5000)
    assert again.finetune.isChecked()
    qtbot.mouseClick(again.finetune, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "disabled" in again.message.text(), timeout=5000)
    assert runner.commands[-1] == ["systemctl", "--user", "disable", "--now", FINETUNE_TIMER]
    assert not runner.enabled


def test_nightly_finetune_failure_is_one_line_and_unchecks(qtbot, shell, tmp_path):
    runner = Systemctl(fail="enable")
    dialog = settings_dialog(qtbot, shell, finetune=finetune(tmp_path, runner))
    qtbot.waitUntil(dialog.finetune.isEnabled, timeout=5000)
    qtbot.mouseClick(dialog.finetune, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "unchanged" in dialog.message.text(), timeout=5000)
    assert dialog.message.text() == (
        "Nightly fine-tune unchanged: nightly_finetune: systemctl --user enable --now "
        f"{FINETUNE_TIMER} failed: Failed to connect to bus: No medium"
    )
    assert not dialog.finetune.isChecked() and not runner.enabled


def test_without_systemctl_the_option_says_why(qtbot, shell, tmp_path):
    runner = Systemctl()
    dialog = settings_dialog(
        qtbot, shell, finetune=finetune(tmp_path, runner, which=lambda name: None)
    )
    qtbot.waitUntil(lambda: dialog.finetune.toolTip().startswith("systemctl not found"))
    assert not dialog.finetune.isEnabled()
    assert runner.commands == []


def test_the_running_app_opens_dialogs_with_every_data_action_wired(qtbot, shell):
    dialog = shell.open_settings()
    qtbot.addWidget(dialog)
    buttons = (dialog.export_button, dialog.delete_button, dialog.delete_range_button)
    assert all(button.isEnabled() for button in buttons)
    assert dialog.on_saved == shell.apply_config
    first = shell.open_first_run()
    qtbot.addWidget(first)
    assert first.import_button.isEnabled()


def test_delete_range_takes_the_suggestions_of_that_time_too(qtbot, shell, service):
    from tests.helpers import log_suggestion

    inside = log_suggestion(service.store, NOW - 1 * HOUR + 60)
    outside = log_suggestion(service.store, NOW - 4 * HOUR + 60)
    dialog = settings_dialog(qtbot, shell)
    dialog.range_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 1 * HOUR - 300)))
    dialog.range_to.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW)))
    qtbot.mouseClick(dialog.delete_range_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert dialog.message.text() == "Deleted 1 span and 1 suggestion."
    assert [r.id for r in service.store.suggestions()] == [outside] != [inside]
