"""The macOS backend's real code path, with AppKit and Quartz (pyobjc) faked at the boundary."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from desktop.collect import CollectorUnavailable, WindowInfo
from desktop.collect import macos as mac
from desktop.collect import system as system_module


class App:
    """An NSRunningApplication."""

    def __init__(self, pid: int, name: str, bundle: str | None) -> None:
        self.pid, self.name, self.bundle = pid, name, bundle

    def processIdentifier(self) -> int:
        return self.pid

    def localizedName(self) -> str:
        return self.name

    def bundleIdentifier(self) -> str | None:
        return self.bundle


SAFARI = App(501, "Safari", "com.apple.Safari")
MAIL = App(502, "Mail", "com.apple.mail")
TERMINAL = App(503, "Terminal", "com.apple.Terminal")


def _window(app: App, title: str | None, layer: int = 0) -> dict[str, Any]:
    window: dict[str, Any] = {
        "kCGWindowLayer": layer,
        "kCGWindowOwnerPID": app.pid,
        "kCGWindowOwnerName": app.name,
        "kCGWindowNumber": 1000 + app.pid,
    }
    if title is not None:  # without Screen Recording permission the key is absent
        window["kCGWindowName"] = title
    return window


class FakeMac:
    """AppKit and Quartz: a workspace (maybe stale), a window list, HID idle, a session."""

    def __init__(self) -> None:
        self.frontmost: App | None = SAFARI
        self.apps = {app.pid: app for app in (SAFARI, MAIL, TERMINAL)}
        self.windows: list[dict[str, Any]] = []
        self.idle = 0.0
        self.idle_args: tuple[int, int] | None = None
        self.preflight: bool | None = True
        self.session: dict[str, Any] | None = {"CGSSessionScreenIsLocked": False}
        workspace = self

        class NSWorkspace:
            @staticmethod
            def sharedWorkspace() -> Any:
                return type("W", (), {"frontmostApplication": lambda _: workspace.frontmost})()

        class NSRunningApplication:
            @staticmethod
            def runningApplicationWithProcessIdentifier_(pid: int) -> App | None:
                return workspace.apps.get(pid)

        self.appkit = type("AppKit", (), {})()
        self.appkit.NSWorkspace = NSWorkspace
        self.appkit.NSRunningApplication = NSRunningApplication
        self.quartz = type("Quartz", (), {})()
        self.quartz.CGWindowListCopyWindowInfo = self._list
        self.quartz.CGEventSourceSecondsSinceLastEventType = self._idle
        self.quartz.CGSessionCopyCurrentDictionary = lambda: self.session
        self.quartz.CGPreflightScreenCaptureAccess = lambda: self.preflight

    def _list(self, options: int, relative_to: int) -> list[dict[str, Any]]:
        assert options == (1 | 16) and relative_to == 0  # on screen, no desktop elements
        return list(self.windows)

    def _idle(self, state: int, event_type: int) -> float:
        self.idle_args = (state, event_type)
        return self.idle


@pytest.fixture
def fake() -> FakeMac:
    return FakeMac()


def test_frontmost_app_and_its_front_window(fake: FakeMac):
    fake.windows = [
        _window(SAFARI, "", layer=25),  # a status-bar item above everything
        _window(SAFARI, "Apple — Start"),
        _window(SAFARI, "Downloads"),
        _window(MAIL, "Inbox (12)"),
    ]
    watcher = mac.MacWatcher(fake.appkit, fake.quartz)
    assert watcher.active_window() == WindowInfo("Safari", "Apple — Start", 501, "com.apple.Safari")


def test_stale_nsworkspace_is_overruled_by_the_window_server(fake: FakeMac):
    # No main run loop turns in a headless collector: NSWorkspace keeps its first answer.
    fake.frontmost = SAFARI
    fake.windows = [_window(MAIL, "Inbox (12)"), _window(SAFARI, "Apple — Start")]
    watcher = mac.MacWatcher(fake.appkit, fake.quartz)
    assert watcher.active_window() == WindowInfo("Mail", "Inbox (12)", 502, "com.apple.mail")


def test_app_without_windows_is_still_the_frontmost(fake: FakeMac):
    fake.frontmost = TERMINAL  # active with its last window closed
    fake.windows = []
    watcher = mac.MacWatcher(fake.appkit, fake.quartz)
    assert watcher.active_window() == WindowInfo("Terminal", "", 503, "com.apple.Terminal")
    fake.frontmost = None
    assert watcher.active_window() is None


def test_missing_screen_recording_permission_is_said_once(
    fake: FakeMac, caplog: pytest.LogCaptureFixture
):
    fake.preflight = False
    fake.windows = [_window(MAIL, None)]
    fake.frontmost = MAIL
    watcher = mac.MacWatcher(fake.appkit, fake.quartz)
    with caplog.at_level(logging.WARNING, logger="desktop.collect.macos"):
        for _ in range(3):
            assert watcher.active_window() == WindowInfo("Mail", "", 502, "com.apple.mail")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Screen Recording" in warnings[0]
    assert "NO titles" in watcher.capabilities().describe()


def test_missing_permission_found_without_preflight(
    fake: FakeMac, caplog: pytest.LogCaptureFixture
):
    del fake.quartz.CGPreflightScreenCaptureAccess  # macOS 10.15's pyobjc has no preflight
    fake.windows = [_window(MAIL, None)]
    fake.frontmost = MAIL
    watcher = mac.MacWatcher(fake.appkit, fake.quartz)
    with caplog.at_level(logging.WARNING, logger="desktop.collect.macos"):
        watcher.active_window()
        watcher.active_window()
    assert sum("Screen Recording" in r.getMessage() for r in caplog.records) == 1
    assert watcher.title_note.startswith("window titles are empty")


def test_untitled_window_with_permission_is_no_warning(
    fake: FakeMac, caplog: pytest.LogCaptureFixture
):
    fake.windows = [_window(SAFARI, "")]
    watcher = mac.MacWatcher(fake.appkit, fake.quartz)
    with caplog.at_level(logging.WARNING, logger="desktop.collect.macos"):
        assert watcher.active_window() == WindowInfo("Safari", "", 501, "com.apple.Safari")
    assert not caplog.records and watcher.title_note == ""


def test_idle_from_the_hid_system_state(fake: FakeMac):
    fake.idle = 42.75
    assert mac.MacWatcher(fake.appkit, fake.quartz).idle_seconds() == 42.75
    # kCGEventSourceStateHIDSystemState, kCGAnyInputEventType (~0): real input only.
    assert fake.idle_args == (1, 0xFFFFFFFF)


def test_screen_lock_from_the_session_dictionary(fake: FakeMac):
    probe = system_module.macos_lock_probe(fake.quartz)
    assert probe() is False
    fake.session = {"CGSSessionScreenIsLocked": True}
    assert probe() is True
    fake.session = None  # no GUI session (ssh)
    assert probe() is None


def test_on_other_platforms_it_says_so():
    if sys.platform == "darwin":
        pytest.skip("this is macOS")
    with pytest.raises(CollectorUnavailable, match="runs on macOS only"):
        mac.MacWatcher()
