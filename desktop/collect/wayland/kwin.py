"""KDE Plasma on Wayland: the focused window from a KWin script, idle from the screen locker.

A small KWin script, loaded through org.kde.KWin /Scripting, reports every activation (and
title change) back to a D-Bus object this process exports; idle comes from
org.freedesktop.ScreenSaver.GetSessionIdleTime (KDE's screen locker implements it). The
collector prefers ext-idle-notify-v1 (`wlroots.WaylandSession`) where KWin offers it: Plasma on
Wayland may refuse the ScreenSaver call.

Run alone to see what it sees: ``python -m desktop.collect.wayland.kwin --count 5``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line
from desktop.collect.sessionbus import BusError, SessionBus
from desktop.collect.wayland.watcher import (
    IdleSource,
    WaylandWatcher,
    open_session_bus,
    run_alone,
)

KWIN = "org.kde.KWin"
KWIN_SCRIPTING = "org.kde.kwin.Scripting"
KWIN_SCRIPT = "org.kde.kwin.Script"
FOCUS_PATH = "/org/timesculptor/Focus"
FOCUS_INTERFACE = "org.timesculptor.Focus"
SCREENSAVER = "org.freedesktop.ScreenSaver"
SCREENSAVER_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")


# KWin runs this inside the compositor. KWin 6 names the API windowActivated/activeWindow,
# KWin 5 clientActivated/activeClient. Title changes of the active window are reported too,
# so a browser switching tabs is seen without a focus change. Everything is sent as strings:
# callDBus marshals JS numbers as doubles, which would not match a fixed signature.
KWIN_SCRIPT_SOURCE = """\
// Time Sculptor: report the active window to the collector over D-Bus.
var TARGET = @TARGET@;
var current = null;

function report(w) {
    callDBus(TARGET.service, TARGET.path, TARGET.interface, TARGET.method,
             String(w && w.pid > 0 ? w.pid : 0),
             String((w && w.resourceClass) || ""),
             String((w && w.resourceName) || ""),
             String((w && w.caption) || ""));
}

function onCaptionChanged() { report(current); }

function activated(w) {
    if (current && current.captionChanged) {
        try { current.captionChanged.disconnect(onCaptionChanged); } catch (e) { }
    }
    current = w || null;
    if (current && current.captionChanged) { current.captionChanged.connect(onCaptionChanged); }
    report(current);
}

if (workspace.windowActivated) {
    workspace.windowActivated.connect(activated);
    activated(workspace.activeWindow);
} else {
    workspace.clientActivated.connect(activated);
    activated(workspace.activeClient);
}
"""


def kwin_script(service: str, path: str = FOCUS_PATH, interface: str = FOCUS_INTERFACE) -> str:
    """Return the KWin script's source, calling `Focus` on `service` at `path`."""
    target = {"service": service, "path": path, "interface": interface, "method": "Focus"}
    return KWIN_SCRIPT_SOURCE.replace("@TARGET@", json.dumps(target))


def parse_kwin_report(body: tuple[Any, ...]) -> WindowInfo | None:
    """Return the window the KWin script reported: (pid, resourceClass, resourceName, caption)."""
    values = [str(value) for value in body] + [""] * 4
    pid_text, app, instance, title = values[:4]
    if not app and not title:
        return None  # nothing active (desktop focused, or the last window closed)
    try:
        pid = int(float(pid_text))
    except ValueError:
        pid = 0
    return WindowInfo(app=app, title=title, pid=pid if pid > 0 else None, instance=instance)


class KWinFocus:
    """The active window as a KWin script reports it to an object this process exports."""

    label = "a KWin script reporting over D-Bus"

    def __init__(self, bus: SessionBus, first_report_s: float = 1.0) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self._bus = bus
        self._lock = threading.Lock()
        self._window: WindowInfo | None = None
        self._reported = threading.Event()
        self._stop = threading.Event()
        self._plugin = f"time-sculptor-focus-{os.getpid()}"
        self._script: Path | None = None
        self._loaded = False
        try:
            # A connection of its own: the thread below blocks on it receiving KWin's calls.
            self._receiver: Any = open_dbus_connection(bus=bus.address)
        except (OSError, ValueError, TimeoutError) as exc:
            raise CollectorUnavailable(
                f"KDE Plasma on Wayland: cannot open a D-Bus connection: {one_line(exc)}"
            ) from None
        self._thread = threading.Thread(target=self._serve, name="kwin-focus", daemon=True)
        self._thread.start()
        try:
            self._load(str(self._receiver.unique_name))
        except BaseException:
            self.close()
            raise
        self._reported.wait(first_report_s)

    def _load(self, service: str) -> None:
        handle, name = tempfile.mkstemp(prefix="time-sculptor-kwin-", suffix=".js")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(kwin_script(service))
        self._script = Path(name)
        # A script of ours left over from a crash in this pid's namesake would block loading.
        with contextlib.suppress(BusError):
            self._bus.call(KWIN, "/Scripting", KWIN_SCRIPTING, "unloadScript", "s", (self._plugin,))
        try:
            (script_id,) = self._bus.call(
                KWIN, "/Scripting", KWIN_SCRIPTING, "loadScript", "ss", (name, self._plugin)
            )
        except BusError as exc:
            raise CollectorUnavailable(
                f"KDE Plasma on Wayland: KWin scripting is not available ({exc})"
            ) from None
        if int(script_id) < 0:
            raise CollectorUnavailable(
                "KDE Plasma on Wayland: KWin refused to load the focus script (is scripting "
                "disabled by the administrator?)"
            )
        self._loaded = True
        # KWin 6 exports loaded scripts at /Scripting/Script<id>, KWin 5 at /<id>.
        error: BusError | None = None
        for path in (f"/Scripting/Script{script_id}", f"/{script_id}"):
            try:
                self._bus.call(KWIN, path, KWIN_SCRIPT, "run")
                return
            except BusError as exc:
                error = exc
        raise CollectorUnavailable(f"KDE Plasma on Wayland: KWin did not run the script ({error})")

    def _serve(self) -> None:
        from jeepney import MessageFlag, MessageType, new_error, new_method_return
        from jeepney.low_level import HeaderFields

        while not self._stop.is_set():
            try:
                message = self._receiver.receive(timeout=0.2)
            except TimeoutError:
                continue
            except (OSError, ValueError):
                return  # connection closed (close() or the bus went away)
            header = message.header
            if header.message_type != MessageType.method_call:
                continue
            fields = header.fields
            known = (
                fields.get(HeaderFields.path) == FOCUS_PATH
                and fields.get(HeaderFields.member) == "Focus"
            )
            if known:
                window = parse_kwin_report(tuple(message.body))
                with self._lock:
                    self._window = window
                self._reported.set()
                reply = new_method_return(message)
            else:
                reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod")
            if not header.flags & MessageFlag.no_reply_expected:
                with contextlib.suppress(OSError, ValueError):
                    self._receiver.send(reply)

    def active_window(self) -> WindowInfo | None:
        if not self._thread.is_alive() and not self._stop.is_set():
            raise CollectorUnavailable("KDE Plasma on Wayland: lost the session D-Bus connection")
        with self._lock:
            return self._window

    def close(self) -> None:
        if self._loaded:
            self._loaded = False
            with contextlib.suppress(BusError):
                self._bus.call(
                    KWIN, "/Scripting", KWIN_SCRIPTING, "unloadScript", "s", (self._plugin,)
                )
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        with contextlib.suppress(OSError):
            self._receiver.close()
        if self._script is not None:
            with contextlib.suppress(OSError):
                self._script.unlink()
            self._script = None


class ScreenSaverIdle:
    """Idle time from org.freedesktop.ScreenSaver.GetSessionIdleTime (KDE's screen locker)."""

    label = "org.freedesktop.ScreenSaver"

    def __init__(self, bus: SessionBus) -> None:
        self._bus = bus
        error: BusError | None = None
        for path in SCREENSAVER_PATHS:
            try:
                self._bus.call(SCREENSAVER, path, SCREENSAVER, "GetSessionIdleTime")
            except BusError as exc:
                error = exc
                continue
            self._path = path
            return
        assert error is not None
        raise error

    def idle_seconds(self) -> float:
        try:
            (ms,) = self._bus.call(SCREENSAVER, self._path, SCREENSAVER, "GetSessionIdleTime")
        except BusError as exc:
            raise CollectorUnavailable(f"session idle time: {exc}") from None
        return int(ms) / 1000.0


def kwin_on_bus(bus: SessionBus) -> bool:
    """Return True when KWin owns its name on the session bus."""
    try:
        return bus.has_owner(KWIN)
    except BusError:
        return False


def open_kwin_watcher(environ: Mapping[str, str] | None = None) -> WaylandWatcher:
    """Return a watcher reading only KWin's script and the ScreenSaver's idle time."""
    bus = open_session_bus(os.environ if environ is None else environ, "KDE Plasma")
    try:
        if not kwin_on_bus(bus):
            raise CollectorUnavailable("KDE Plasma on Wayland: KWin is not on the session bus")
        focus = KWinFocus(bus)
        idle: IdleSource | None = None
        missing = ""
        try:
            idle = ScreenSaverIdle(bus)
        except BusError:
            missing = "org.freedesktop.ScreenSaver does not answer"
    except BaseException:
        bus.close()
        raise
    return WaylandWatcher("KDE Plasma", focus, idle, missing, bus)


def main(argv: list[str] | None = None) -> int:
    """Print what KWin's script and the screen locker see once per interval; return the status."""
    return run_alone("desktop.collect.wayland.kwin", "wayland.kwin", open_kwin_watcher, argv)


if __name__ == "__main__":
    sys.exit(main())
