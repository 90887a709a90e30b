"""The first run asks whether to record; the tray menu changes the answer; a knock raises."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.collect.base import WindowInfo  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.instance import KnockListener, knock  # noqa: E402
from desktop.service import AppService, read_consent  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui.qt import QDialog, Qt  # noqa: E402
from desktop.ui.tray import Bridge, TrayController  # noqa: E402

NOW = 1_764_000_000.0


class OneWindow:
    name = "fake"

    def active_window(self) -> WindowInfo:
        return WindowInfo(app="code", title="main.py")

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


@pytest.fixture
def clock():
    return FakeClock(NOW)


@pytest.fixture
def service(tmp_path, clock):
    svc = AppService(tmp_path / "data", Config(), clock, watcher=OneWindow(), require_consent=True)
    yield svc
    svc.close()


@pytest.fixture
def shell(service, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    settings = Settings(service.data_dir, autostart=Autostart(tmp_path / "autostart"))
    return ui_app.Shell(service, settings)


@pytest.fixture
def tray(qtbot, service, shell):
    controller = TrayController(
        react=service.react,
        pause=service.pause,
        resume=service.resume,
        status_text=lambda: ui_app.status_line(service),
        expire_after_s=60.0,
        quit_app=lambda: None,
        state=shell.state,
        recording=service.collecting,
        set_recording=shell.set_recording,
    )
    shell.tray = controller
    yield controller
    controller.close()


def polls(service, clock, count=3) -> int:
    """Poll `count` times a second apart; return how many spans the store holds."""
    for _ in range(count):
        clock.advance(1.0)
        service.poll()
    return service.store.event_count()


def test_nothing_is_recorded_until_yes_in_the_first_run_dialog(qtbot, service, shell, clock, tray):
    assert polls(service, clock) == 0
    tray.refresh_status()
    assert tray.status_action.text() == "Not recording until you say yes"
    assert not tray.record_action.isChecked() and tray.state == "paused"
    dialog = shell.open_first_run()
    qtbot.addWidget(dialog)
    assert (
        "Nothing is recorded until you say yes"
        in dialog.findChildren(type(dialog.import_result))[1].text()
    )
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert read_consent(service.store) == (True, NOW + 3.0)  # the clock of the answer
    assert shell.settings.ui_state().first_run_done
    assert polls(service, clock) == 1
    assert tray.record_action.isChecked() and tray.status_action.text() != (
        "Not recording until you say yes"
    )


def test_no_in_the_first_run_dialog_is_remembered_and_records_nothing(
    qtbot, service, shell, clock, tray
):
    dialog = shell.open_first_run()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.no_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected
    agreed, _ = read_consent(service.store)
    assert agreed is False and shell.settings.ui_state().first_run_done
    assert polls(service, clock) == 0
    assert tray.status_action.text() == "Not recording (you said no)"
    # The tray menu changes the answer: recording starts, and stops again.
    tray.record_action.trigger()
    assert read_consent(service.store)[0] is True and polls(service, clock) == 1
    tray.record_action.trigger()
    assert read_consent(service.store)[0] is False
    before = [s.duration for s in service.store.all_events()]
    assert polls(service, clock) == 1 and [s.duration for s in service.store.all_events()] == before


def test_closing_the_first_run_dialog_answers_nothing(qtbot, service, shell, clock):
    dialog = shell.open_first_run()
    qtbot.addWidget(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert read_consent(service.store) is None
    assert not shell.settings.ui_state().first_run_done
    assert polls(service, clock) == 0


def test_a_second_start_brings_the_dashboard_to_the_front(qtbot, service, shell):
    bridge = Bridge()
    bridge.show_dashboard.connect(shell.open_dashboard)
    listener = KnockListener(service.data_dir, bridge.show_dashboard.emit)
    assert listener.start()
    try:
        assert "dashboard" not in shell.windows
        assert knock(service.data_dir)
        qtbot.waitUntil(lambda: "dashboard" in shell.windows, timeout=5000)
        window = shell.windows["dashboard"]
        qtbot.addWidget(window)
        assert window.isVisible()
    finally:
        listener.close()
    assert not knock(service.data_dir)  # nobody listens any more
