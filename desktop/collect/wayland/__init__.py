"""Linux Wayland backend: each compositor's own way of naming the focused window, and idle time.

Wayland deliberately hides other clients' windows, so there is no one protocol to ask. One
module per compositor family, each runnable alone to print what it sees:

* `gnome`: the 'Focused Window D-Bus' Shell extension; idle from Mutter's IdleMonitor.
* `kwin`: a KWin script reporting over D-Bus; idle from org.freedesktop.ScreenSaver.
* `wlroots`: Sway, Hyprland, river, labwc, Wayfire, niri through the Wayland protocol itself
  (`wlproto`: wlr-foreign-toplevel-management, ext-idle-notify-v1), with Sway's and Hyprland's
  IPC clients as the fallback.
* `detect`: which desktop this is and which sources to read (``python -m
  desktop.collect.wayland`` runs it); `watcher`: the source Protocols and the watcher.

The names below load their module on first use, so that running one module alone
(``python -m desktop.collect.wayland.gnome``) does not import it twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop.collect.wayland.detect import open_wayland_watcher, wayland_report
    from desktop.collect.wayland.gnome import GNOME_FOCUS_OBJECTS
    from desktop.collect.wayland.kwin import FOCUS_INTERFACE, FOCUS_PATH, kwin_script
    from desktop.collect.wayland.watcher import FocusSource, IdleSource, WaylandWatcher
    from desktop.collect.wayland.wlroots import (
        IdleNotifyIdle,
        ToplevelFocus,
        WaylandSession,
        sway_focused,
    )

_HOMES = {
    "open_wayland_watcher": "detect",
    "wayland_report": "detect",
    "GNOME_FOCUS_OBJECTS": "gnome",
    "FOCUS_INTERFACE": "kwin",
    "FOCUS_PATH": "kwin",
    "kwin_script": "kwin",
    "FocusSource": "watcher",
    "IdleSource": "watcher",
    "WaylandWatcher": "watcher",
    "IdleNotifyIdle": "wlroots",
    "ToplevelFocus": "wlroots",
    "WaylandSession": "wlroots",
    "sway_focused": "wlroots",
}

__all__ = [
    "FOCUS_INTERFACE",
    "FOCUS_PATH",
    "GNOME_FOCUS_OBJECTS",
    "FocusSource",
    "IdleNotifyIdle",
    "IdleSource",
    "ToplevelFocus",
    "WaylandSession",
    "WaylandWatcher",
    "kwin_script",
    "open_wayland_watcher",
    "sway_focused",
    "wayland_report",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
