"""The dispatcher picks the backend from the platform and the session; the report never raises."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest

from desktop.collect import CollectorUnavailable, backend_report, open_watcher
from desktop.collect import macos as mac
from desktop.collect import wayland as wl
from desktop.collect import windows as win
from tests.desktop.collect.fakebus import FakeService
from tests.desktop.collect.test_macos import FakeMac
from tests.desktop.collect.test_windows import FakeWin32


def _rows() -> dict[str, tuple[bool, str]]:
    return {name: (usable, detail) for name, usable, detail in backend_report()}


@pytest.fixture
def no_session(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_CURRENT_DESKTOP",
                 "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_windows_is_chosen_on_windows(monkeypatch: pytest.MonkeyPatch, no_session: None):
    fake = FakeWin32()
    fake.windows = {0x10: (77, "Notes")}
    fake.processes = {77: r"C:\Windows\notepad.exe"}
    fake.foreground = 0x10
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(win, "load_win32", lambda: (fake, fake, fake.last_error))
    watcher = open_watcher()
    assert watcher.name == "windows"
    assert watcher.active_window() is not None
    assert watcher.active_window().app == "notepad.exe"  # type: ignore[union-attr]
    rows = _rows()
    assert rows["windows"][0] and "GetLastInputInfo" in rows["windows"][1]
    assert rows["x11"] == (False, "not an X11 platform (Windows)")
    assert rows["wayland"][0] is False and rows["macos"] == (False, "not macOS (this is Windows)")


def test_macos_is_chosen_on_macos(monkeypatch: pytest.MonkeyPatch, no_session: None):
    fake = FakeMac()
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(mac, "load_pyobjc", lambda: (fake.appkit, fake.quartz))
    watcher = open_watcher()
    assert watcher.name == "macos"
    assert watcher.active_window() is not None
    rows = _rows()
    assert rows["macos"][0] and "CGEventSourceSecondsSinceLastEventType" in rows["macos"][1]
    assert [usable for usable, _ in rows.values()] == [False, False, False, True]


def test_macos_without_pyobjc_names_the_packages(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setitem(sys.modules, "AppKit", None)  # import fails as if not installed
    with pytest.raises(CollectorUnavailable) as caught:
        open_watcher()
    assert "pip install pyobjc-framework-Cocoa pyobjc-framework-Quartz" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_named_backends(no_session: None):
    with pytest.raises(CollectorUnavailable, match="unknown collector backend 'beos'"):
        open_watcher("beos")
    if sys.platform.startswith("linux"):
        with pytest.raises(CollectorUnavailable, match="runs on Windows only"):
            open_watcher("windows")
        with pytest.raises(CollectorUnavailable, match="WAYLAND_DISPLAY is not set"):
            open_watcher("wayland")


def test_report_never_raises(monkeypatch: pytest.MonkeyPatch, no_session: None):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")

    def broken(environ: Any = None) -> tuple[bool, str]:
        raise RuntimeError("compositor\nexploded")

    monkeypatch.setattr(wl, "wayland_report", broken)
    rows = _rows()
    assert rows["wayland"] == (False, "check failed: RuntimeError: compositor exploded")
    assert list(rows) == ["x11", "wayland", "windows", "macos"]


# -- Wayland vs X11 on Linux --------------------------------------------------------------------


def test_wayland_is_preferred_over_xwayland(
    services: Callable[..., FakeService], monkeypatch: pytest.MonkeyPatch
):
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux sessions")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("DISPLAY", ":99")  # XWayland: would only show X11 apps
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    shell = services("org.gnome.Shell")
    path, interface = wl.GNOME_FOCUS_OBJECTS[0]
    shell.returns(path, interface, "Get", "s", json.dumps({"wm_class": "org.gnome.Nautilus"}))
    watcher = open_watcher()
    try:
        assert watcher.name == "wayland"
        assert watcher.active_window().app == "org.gnome.Nautilus"  # type: ignore[union-attr]
        # Mutter's idle monitor is missing here: said, not hidden.
        detail = watcher.capabilities().describe()  # type: ignore[attr-defined]
        assert "idle unavailable" in detail
    finally:
        watcher.close()


@pytest.mark.x11
def test_xwayland_fallback_when_wayland_cannot_see(
    x_display: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "Wayfire")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with caplog.at_level(logging.WARNING, logger="desktop.collect"):
        watcher = open_watcher()
    try:
        assert watcher.name == "x11"
    finally:
        watcher.close()
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "Wayfire" in warning and "falling back to XWayland" in warning
    rows = _rows()
    assert rows["x11"][0] and rows["x11"][1].endswith("XWayland: only X11 apps are visible")
    assert rows["wayland"][0] is False and "Wayfire" in rows["wayland"][1]
