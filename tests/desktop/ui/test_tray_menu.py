"""The tray menu's state, glance line, pauses and entries, and "Not like this" with a reason."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop import reports  # noqa: E402
from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.store import Event  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui.qt import QApplication, Qt  # noqa: E402
from desktop.ui.tray import STATE_COLORS, TrayController  # noqa: E402
from tests.desktop.ui.test_tray import NOW, logged_suggestion  # noqa: E402


@pytest.fixture
def service(tmp_path):
    svc = AppService(tmp_path / "data", Config(), FakeClock(NOW), rng=np.random.default_rng(0))
    svc.refresh_model()
    yield svc
    svc.close()


@pytest.fixture
def shell(service, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    settings = Settings(service.data_dir, autostart=Autostart(tmp_path / "autostart"))
    return ui_app.Shell(service, settings)


class ReasonAdapter:
    """Stands in for AppService.react until it takes `reason`: stores the outcome, keeps why."""

    def __init__(self, service: AppService) -> None:
        self.service = service
        self.reasons: dict[int, str | None] = {}

    def __call__(
        self, suggestion_id: int, outcome: str, snooze: float | None, reason: str | None = None
    ) -> bool:
        self.reasons[suggestion_id] = reason
        return self.service.react(suggestion_id, outcome, snooze)


@pytest.fixture
def opened():
    return []


@pytest.fixture
def tray(qtbot, service, shell, opened):
    return TrayController(
        react=ReasonAdapter(service),
        pause=service.pause,
        resume=service.resume,
        status_text=lambda: ui_app.status_line(service, shell.learning()),
        expire_after_s=120,
        quit_app=lambda: opened.append("quit"),
        state=shell.state,
        glance_text=shell.glance_text,
        minutes_until_tomorrow=shell.minutes_until_tomorrow,
        open_dashboard=lambda: opened.append("dashboard"),
        open_settings=lambda: opened.append("settings"),
    )


def test_menu_shows_state_and_today_at_a_glance(tray, service):
    start = reports.day_start(NOW)
    service.store.insert_events(
        [
            Event(
                start=start + 60, duration=3000, source="window", app="code", category="development"
            ),
            Event(start=start + 3060, duration=600, source="afk", category="away"),
            Event(
                start=start + 3660,
                duration=600,
                source="window",
                app="code",
                category="development",
            ),
        ]
    )
    logged_suggestion(service)
    tray.refresh_status()
    assert tray.status_action.text() == "Collecting · suggestions from the on-device model"
    assert tray.glance_action.text() == "Today: 1 h 00 min active · 1 break · 1 suggestion"
    assert tray.state == "collecting"


def test_state_follows_pause_and_learning_and_recolours_the_icon(tray, service, shell):
    tray.refresh_status()
    assert tray.state == "collecting" and not tray.resume_action.isEnabled()
    shell.settings.set_learning_mode(True, now=NOW)
    tray.refresh_status()
    assert tray.state == "learning" and tray.status_action.text().startswith("Learning")
    tray.action("Pause for 1 hour").trigger()
    assert tray.state == "paused" and tray.resume_action.isEnabled()
    image = tray.icon().pixmap(32, 32).toImage()
    colours = {image.pixelColor(x, y).name() for x in range(32) for y in range(32)}
    assert STATE_COLORS["paused"] in colours and STATE_COLORS["collecting"] not in colours
    tray.action("Resume").trigger()
    assert service.paused_until is None and tray.state == "learning"


def test_pause_until_tomorrow_pauses_to_midnight(tray, service):
    tray.action("Pause until tomorrow").trigger()
    assert service.paused_until == pytest.approx(reports.day_start(NOW) + 86_400)
    assert tray.status_action.text() == "Paused until 00:00"


def test_dashboard_settings_and_quit_entries_call_their_handlers(tray, opened):
    for label in ("Open dashboard…", "Settings…", "Quit"):
        tray.action(label).trigger()
    assert opened == ["dashboard", "settings", "quit"]
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    mnemonics = [t for t in texts if "&" in t]
    assert {"Open &dashboard…", "Pause until &tomorrow", "&Resume", "&Settings…", "&Quit"} <= set(
        mnemonics
    )


def test_not_like_this_is_a_dismissal_with_its_reason(qtbot, tray, service):
    suggestion = logged_suggestion(service)
    popup = tray.show_suggestion(suggestion)
    qtbot.addWidget(popup)
    actions = popup.not_like_this_button.menu().actions()
    assert [a.text() for a in actions] == ["Bad moment", "Too frequent", "Not useful"]
    actions[1].trigger()
    [record] = service.store.suggestions()
    assert record.outcome == "dismissed"
    assert tray.react.reasons == {suggestion.id: "too_frequent"}
    assert not popup.isVisible() and suggestion.id not in tray.popups


def test_plain_answers_keep_the_three_argument_react(qtbot, service):
    calls = []
    tray = TrayController(
        react=lambda *args: calls.append(args),
        pause=service.pause,
        resume=service.resume,
        status_text=lambda: "",
        expire_after_s=120,
        quit_app=lambda: None,
    )
    popup = tray.show_suggestion(logged_suggestion(service))
    qtbot.addWidget(popup)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)  # Escape dismisses
    assert calls == [(popup.suggestion.id, "dismissed", None)]
    assert [a.text() for a in popup.snooze_button.menu().actions()] == [
        "5 minutes",
        "10 minutes",
        "30 minutes",
    ]
    QApplication.processEvents()


def test_shell_opens_one_settings_dialog_and_the_first_run(qtbot, shell):
    dialog = shell.open_settings()
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and shell.open_settings() is dialog
    assert dialog.data_location.text() == str(shell.settings.data_dir)
    first = shell.open_first_run()
    qtbot.addWidget(first)
    qtbot.mouseClick(first.start_button, Qt.MouseButton.LeftButton)
    assert shell.settings.ui_state().first_run_done and shell.learning()
