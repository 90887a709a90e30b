"""What every window/idle collector backend provides: the WindowWatcher protocol and its data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WindowInfo:
    """The focused top-level window, as the collector sees it."""

    app: str  # application identity: WM_CLASS *class* part on X11 (e.g. "Firefox"); exe on Windows
    title: str  # window title (_NET_WM_NAME utf8, falling back to WM_NAME), "" if none
    pid: int | None = None  # _NET_WM_PID if set
    instance: str = ""  # WM_CLASS instance part on X11
    # The window covers the screen (slides, video, a game): suggestions hold.
    # X11: _NET_WM_STATE contains _NET_WM_STATE_FULLSCREEN; False where a backend cannot tell.
    fullscreen: bool = False


class CollectorUnavailable(RuntimeError):
    """Raised when a backend cannot run here; str(exc) is ONE line saying what is missing and what
    to install/do."""


def one_line(text: object) -> str:
    """Return str(text) with all whitespace runs (newlines included) collapsed to single spaces."""
    return " ".join(str(text).split())


class WindowWatcher(Protocol):
    """A source of 'which window has focus' and 'how long since the last input', polled at ~1 Hz."""

    name: str  # e.g. "x11"

    def active_window(self) -> WindowInfo | None:
        """Return the focused window, or None when no window is focused."""
        ...

    def idle_seconds(self) -> float:
        """Return the seconds since the last user input (keyboard or pointer)."""
        ...

    def close(self) -> None:
        """Release the backend's resources (display connection, handles)."""
        ...
