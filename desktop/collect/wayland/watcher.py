"""What every Wayland focus and idle source provides, and the watcher that joins one of each.

Each compositor family has its own module (`gnome`, `kwin`, `wlroots`); `detect` picks the
sources for this session. A new family adds a module whose classes follow `FocusSource` and
`IdleSource`, and a branch in `detect.open_wayland_watcher`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from desktop.collect import show
from desktop.collect.base import CollectorUnavailable, WindowInfo
from desktop.collect.sessionbus import BusError, SessionBus


class FocusSource(Protocol):
    """One compositor-specific way of reading the focused window."""

    label: str

    def active_window(self) -> WindowInfo | None: ...

    def close(self) -> None: ...


class IdleSource(Protocol):
    """One way of reading the seconds since the last input."""

    label: str

    def idle_seconds(self) -> float: ...


class Closeable(Protocol):
    """A connection the watcher owns and closes with itself (the Wayland session)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class WaylandCapabilities:
    """What this Wayland session offers the watcher."""

    desktop: str  # "GNOME", "KDE Plasma", "Sway", "Hyprland"
    focus: str  # how the focused window is read
    idle: str  # how idle time is read, or why it is not

    def describe(self) -> str:
        """Return a one-line human summary for `doctor`."""
        return f"{self.desktop} on Wayland; focus via {self.focus}; {self.idle}"


class WaylandWatcher:
    """WindowWatcher for a Wayland session: one focus source and (maybe) one idle source."""

    name = "wayland"

    def __init__(
        self,
        desktop: str,
        focus: FocusSource,
        idle: IdleSource | None,
        idle_missing: str = "",
        bus: SessionBus | None = None,
        session: Closeable | None = None,
    ) -> None:
        self.desktop = desktop
        self._focus = focus
        self._idle = idle
        self._idle_missing = idle_missing
        self._bus = bus
        self._session = session

    def active_window(self) -> WindowInfo | None:
        """Return the focused window, or None when none is focused."""
        return self._focus.active_window()

    def idle_seconds(self) -> float:
        """Return seconds since the last input; 0.0 where the compositor cannot say."""
        if self._idle is None:
            return 0.0
        return self._idle.idle_seconds()

    def capabilities(self) -> WaylandCapabilities:
        """Return how focus and idle are read in this session."""
        if self._idle is not None:
            idle = f"idle via {self._idle.label}"
        else:
            idle = f"idle unavailable ({self._idle_missing}; idle reads 0, away time is not seen)"
        return WaylandCapabilities(self.desktop, self._focus.label, idle)

    def close(self) -> None:
        """Release the focus source, the Wayland and the bus connections (idempotent)."""
        self._focus.close()
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._bus is not None:
            self._bus.close()
            self._bus = None

    def __enter__(self) -> WaylandWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session_bus(environ: Mapping[str, str], desktop: str) -> SessionBus:
    """Return the session bus the environment names; raises CollectorUnavailable (one line)."""
    try:
        return SessionBus(environ.get("DBUS_SESSION_BUS_ADDRESS") or None)
    except BusError as exc:
        raise CollectorUnavailable(f"{desktop} on Wayland: {exc}") from None


def run_alone(
    module: str, prefix: str, open_watcher: Callable[[], WaylandWatcher], argv: list[str] | None
) -> int:
    """Print the focused window and idle time once per interval; return the exit status."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}",
        description="Show what the Wayland collector sees.",
    )
    parser.add_argument("--count", type=int, default=0, help="stop after N samples (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)

    def describe(watcher: Any) -> str:
        return str(watcher.capabilities().describe())

    return show.print_samples(prefix, open_watcher, describe, args.count, args.interval)
