"""GNOME on Wayland: the focused window from a Shell extension, idle from Mutter, over D-Bus.

Mutter offers ordinary clients neither the toplevel list nor idle notifications, so both come
from the session bus: the "Focused Window D-Bus" Shell extension (org.gnome.Shell,
/org/gnome/shell/extensions/FocusedWindow, ``Get`` returns JSON) and
org.gnome.Mutter.IdleMonitor.

Run alone to see what it sees: ``python -m desktop.collect.wayland.gnome --count 5``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line
from desktop.collect.sessionbus import BusError, SessionBus
from desktop.collect.wayland.watcher import (
    IdleSource,
    WaylandWatcher,
    open_session_bus,
    run_alone,
)

GNOME_EXTENSION = (
    "install the 'Focused Window D-Bus' extension "
    "(https://extensions.gnome.org/extension/5592/focused-window-d-bus/)"
)
GNOME_SHELL = "org.gnome.Shell"
# The extension exports at the lower-case path today; its early releases (and its README)
# used the capitalised one.
GNOME_FOCUS_OBJECTS = (
    ("/org/gnome/shell/extensions/FocusedWindow", "org.gnome.shell.extensions.FocusedWindow"),
    ("/org/gnome/Shell/Extensions/FocusedWindow", "org.gnome.Shell.Extensions.FocusedWindow"),
)
MUTTER_IDLE = ("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core")
MUTTER_IDLE_MISSING = "Mutter's IdleMonitor does not answer on the session D-Bus"


def parse_gnome_window(text: str) -> WindowInfo | None:
    """Return the window described by the extension's JSON; None for "{}" (nothing focused)."""
    data = json.loads(text) if text.strip() else {}
    if not isinstance(data, dict) or not data:
        return None
    pid = data.get("pid")
    return WindowInfo(
        # On Wayland Mutter reports the app id (e.g. "org.gnome.Calculator") as the class.
        app=str(data.get("wm_class") or ""),
        title=str(data.get("title") or ""),
        pid=int(pid) if isinstance(pid, int) and pid > 0 else None,
        instance=str(data.get("wm_class_instance") or ""),
    )


class GnomeFocus:
    """The focused window from the 'Focused Window D-Bus' GNOME Shell extension."""

    label = "the 'Focused Window D-Bus' GNOME Shell extension"

    def __init__(self, bus: SessionBus) -> None:
        self._bus = bus
        self._object: tuple[str, str] | None = None
        for path, interface in GNOME_FOCUS_OBJECTS:
            try:
                bus.call(GNOME_SHELL, path, interface, "Get")
            except BusError as exc:
                if exc.unknown:
                    continue
                raise CollectorUnavailable(f"GNOME on Wayland: {exc}") from None
            self._object = (path, interface)
            return
        raise CollectorUnavailable(f"GNOME on Wayland: {GNOME_EXTENSION}")

    def active_window(self) -> WindowInfo | None:
        assert self._object is not None
        path, interface = self._object
        try:
            (text,) = self._bus.call(GNOME_SHELL, path, interface, "Get")
            return parse_gnome_window(str(text))
        except BusError as exc:
            if exc.unknown:  # the user disabled the extension (or GNOME Shell restarted)
                raise CollectorUnavailable(f"GNOME on Wayland: {GNOME_EXTENSION}") from None
            raise CollectorUnavailable(f"GNOME on Wayland: {exc}") from None
        except (ValueError, TypeError) as exc:
            raise CollectorUnavailable(
                f"GNOME on Wayland: the Focused Window D-Bus extension sent unreadable JSON "
                f"({one_line(exc)})"
            ) from None

    def close(self) -> None:
        return None


class MutterIdle:
    """Idle time from Mutter's IdleMonitor (GNOME)."""

    label = "org.gnome.Mutter.IdleMonitor"

    def __init__(self, bus: SessionBus) -> None:
        self._bus = bus
        self.idle_seconds()  # raises BusError where Mutter does not answer

    def idle_seconds(self) -> float:
        service, path = MUTTER_IDLE
        try:
            (ms,) = self._bus.call(service, path, service, "GetIdletime")
        except BusError as exc:
            raise CollectorUnavailable(f"GNOME idle monitor: {exc}") from None
        return int(ms) / 1000.0


def open_gnome_watcher(environ: Mapping[str, str] | None = None) -> WaylandWatcher:
    """Return a watcher reading only GNOME's sources; raises CollectorUnavailable (one line)."""
    bus = open_session_bus(os.environ if environ is None else environ, "GNOME")
    try:
        focus = GnomeFocus(bus)
        idle: IdleSource | None = None
        missing = ""
        try:
            idle = MutterIdle(bus)
        except (BusError, CollectorUnavailable):
            missing = MUTTER_IDLE_MISSING
    except BaseException:
        bus.close()
        raise
    return WaylandWatcher("GNOME", focus, idle, missing, bus)


def main(argv: list[str] | None = None) -> int:
    """Print what GNOME's sources see once per interval; return the exit status."""
    return run_alone("desktop.collect.wayland.gnome", "wayland.gnome", open_gnome_watcher, argv)


if __name__ == "__main__":
    sys.exit(main())
