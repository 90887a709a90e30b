"""The X11 collector against a real X server (Xvfb + openbox), real windows and real input."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

if not sys.platform.startswith("linux"):
    # python-xlib is a dependency on Linux only; a missing one there should error, not skip.
    pytest.skip("the X11 collector is tested on Linux", allow_module_level=True)

from desktop.collect import CollectorUnavailable, WindowInfo, backend_report, open_watcher
from desktop.collect.x11 import X11Watcher
from tests.x11env import TestWindow, XServer, focus, poke_input, set_input_focus, spawn_window

pytestmark = pytest.mark.x11

REPO = Path(__file__).resolve().parents[3]

Spawn = Callable[..., TestWindow]


@pytest.fixture
def watcher(x_server: XServer) -> Iterator[X11Watcher]:
    w = X11Watcher(x_server.display)
    yield w
    w.close()


def _info(window: TestWindow, app: str, instance: str, title: str) -> WindowInfo:
    return WindowInfo(app=app, title=title, pid=window.pid, instance=instance)


def _set_root_active_window(display: str, window_id: int) -> None:
    from Xlib import Xatom
    from Xlib.display import Display

    d = Display(display)
    try:
        root = d.screen().root
        root.change_property(d.intern_atom("_NET_ACTIVE_WINDOW"), Xatom.WINDOW, 32, [window_id])
        d.sync()
    finally:
        d.close()


def test_active_window_follows_real_focus(x_server: XServer, x_windows: Spawn, watcher: X11Watcher):
    a = x_windows(("alpha", "AlphaApp"), "Alpha — first ✓")
    b = x_windows(("beta", "BetaApp"), "Beta window")
    c = x_windows(("gamma", "GammaApp"), "Gamma: naïve café")
    expected = {
        a.window_id: _info(a, "AlphaApp", "alpha", "Alpha — first ✓"),
        b.window_id: _info(b, "BetaApp", "beta", "Beta window"),
        c.window_id: _info(c, "GammaApp", "gamma", "Gamma: naïve café"),
    }
    assert len({a.pid, b.pid, c.pid}) == 3
    for window in (b, a, c, a):
        focus(x_server.display, window.window_id)
        assert watcher.active_window() == expected[window.window_id]


def test_polling_records_the_focus_sequence(x_server: XServer, x_windows: Spawn):
    windows = {
        name: x_windows((name.lower(), name), f"{name} title") for name in ("One", "Two", "Three")
    }
    sequence = ["Two", "One", "Three", "One", "Two"]
    focus(x_server.display, windows[sequence[0]].window_id)

    samples: list[str | None] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def poll() -> None:
        # The daemon's loop, at 5 Hz instead of 1 Hz; one watcher for the whole run.
        try:
            with X11Watcher(x_server.display) as w:
                while not stop.is_set():
                    info = w.active_window()
                    samples.append(info.app if info else None)
                    stop.wait(0.2)
        except BaseException as exc:
            errors.append(exc)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        for i, name in enumerate(sequence):
            if i:
                focus(x_server.display, windows[name].window_id)
            # Two samples begun after the WM switched: at least one saw this window only.
            seen = len(samples)
            deadline = time.monotonic() + 5
            while len(samples) < seen + 2 and time.monotonic() < deadline and poller.is_alive():
                time.sleep(0.02)
    finally:
        stop.set()
        poller.join(5)
    assert not errors
    collapsed = [app for i, app in enumerate(samples) if i == 0 or app != samples[i - 1]]
    assert collapsed == sequence


def test_idle_seconds_follow_real_input(x_server: XServer, watcher: X11Watcher):
    poke_input(x_server.display)
    assert watcher.idle_seconds() < 1.0
    time.sleep(1.5)
    idle = watcher.idle_seconds()
    assert 1.0 <= idle < 10.0
    poke_input(x_server.display)
    assert watcher.idle_seconds() < 1.0


def test_window_closed_while_focused(x_server: XServer, x_windows: Spawn, watcher: X11Watcher):
    stay = x_windows(("stay", "StayApp"), "stays")
    gone = x_windows(("gone", "GoneApp"), "goes away")
    focus(x_server.display, gone.window_id)
    assert watcher.active_window() == _info(gone, "GoneApp", "gone", "goes away")

    # Poll as fast as possible while the window's process dies and the server destroys it.
    closer = threading.Thread(target=gone.close)
    seen: list[WindowInfo | None] = []
    closer.start()
    while closer.is_alive():
        seen.append(watcher.active_window())
    closer.join()
    assert {info.app if info else None for info in seen} <= {"GoneApp", "StayApp", None}
    after = watcher.active_window()
    assert after is None or after == _info(stay, "StayApp", "stay", "stays")

    # The race made certain: the WM still names a window that no longer exists.
    before = watcher.active_window()
    _set_root_active_window(x_server.display, gone.window_id)
    try:
        assert watcher.active_window() is None
    finally:
        _set_root_active_window(x_server.display, stay.window_id if before else 0)


def test_no_such_display_is_one_clear_line():
    with pytest.raises(CollectorUnavailable) as caught:
        X11Watcher(display=":12345")
    message = str(caught.value)
    assert "\n" not in message
    assert ":12345" in message
    assert message.startswith("cannot open X display")


def test_no_display_set_is_one_clear_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(CollectorUnavailable, match="DISPLAY") as caught:
        X11Watcher()
    assert "\n" not in str(caught.value)


def test_backend_report_under_the_test_server(x_display: XServer):
    report = backend_report()
    assert [name for name, _, _ in report] == ["x11", "wayland", "windows", "macos"]
    rows = {name: (usable, detail) for name, usable, detail in report}
    usable, detail = rows["x11"]
    assert usable, detail
    assert x_display.display in detail
    assert "EWMH _NET_ACTIVE_WINDOW supported" in detail
    assert "Openbox" in detail
    assert "MIT-SCREEN-SAVER" in detail and "unavailable" not in detail
    assert not any(usable for name, (usable, _) in rows.items() if name != "x11")
    assert all("\n" not in detail for _, _, detail in report)


def test_backend_report_never_raises(x_display: XServer, monkeypatch: pytest.MonkeyPatch):
    def broken(self: X11Watcher) -> None:
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(X11Watcher, "capabilities", broken)
    rows = {name: (usable, detail) for name, usable, detail in backend_report()}
    assert rows["x11"] == (False, "check failed: ValueError: boom second line")


def test_open_watcher_refuses_wayland_only_and_other_platforms(monkeypatch: pytest.MonkeyPatch):
    # Hermetic: no session bus and no desktop hint, whatever the developer's own session has.
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_CURRENT_DESKTOP", "SWAYSOCK",
                 "HYPRLAND_INSTANCE_SIGNATURE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    with pytest.raises(CollectorUnavailable, match="Wayland") as caught:
        open_watcher()
    assert "\n" not in str(caught.value)
    with pytest.raises(CollectorUnavailable, match="unknown collector backend 'nope'"):
        open_watcher("nope")
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(CollectorUnavailable, match="Windows"):
        open_watcher()
    assert [usable for _, usable, _ in backend_report()] == [False] * 4


def test_open_watcher_picks_x11_from_display(x_display: XServer, x_windows: Spawn):
    window = x_windows(("picked", "PickedApp"), "picked")
    focus(x_display.display, window.window_id)
    watcher = open_watcher()
    try:
        assert watcher.name == "x11"
        assert watcher.active_window() == _info(window, "PickedApp", "picked", "picked")
    finally:
        watcher.close()


def test_without_ewmh_the_input_focus_is_walked_up(x_server_no_wm: XServer):
    display = x_server_no_wm.display
    with X11Watcher(display) as w:
        caps = w.capabilities()
        assert not caps.ewmh and "not supported" in caps.describe()
        assert w.active_window() is None  # Xvfb starts with focus PointerRoot
        # No _NET_WM_NAME and no _NET_WM_PID: title from WM_NAME (Latin-1 STRING), pid unknown.
        window = spawn_window(display, ("bare", "BareApp"), "Résumé", net_wm_name=False,
                              net_wm_pid=False)  # fmt: skip
        try:
            # Focus a toolkit-style child: the watcher must report its top-level client.
            set_input_focus(display, window.child_id)
            assert w.active_window() == WindowInfo("BareApp", "Résumé", None, "bare")
            set_input_focus(display, window.window_id)
            assert w.active_window() == WindowInfo("BareApp", "Résumé", None, "bare")
        finally:
            window.close()
        # The focus reverted to the root when its window died: no focused client.
        assert w.active_window() is None


def test_module_runs_alone(x_server: XServer, x_windows: Spawn):
    window = x_windows(("cli", "CliApp"), "cli title")
    focus(x_server.display, window.window_id)
    cmd = [sys.executable, "-m", "desktop.collect.x11", "--count", "2", "--interval", "0.2"]
    done = subprocess.run(
        cmd + ["--display", x_server.display],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and "EWMH" in lines[0]
    assert all("app='CliApp'" in line and "title='cli title'" in line for line in lines[1:])

    bad = subprocess.run(
        cmd + ["--display", ":12345"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert bad.returncode == 2
    assert bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1
