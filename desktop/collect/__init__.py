"""Which window has focus and how long the user has been idle, per desktop platform.

Backends are imported lazily so that a platform's dependencies (python-xlib on Linux, pyobjc on
macOS, jeepney for D-Bus) are only needed where that backend runs. `open_watcher` picks one from
the platform and the session (Windows, macOS, Wayland, X11); `backend_report` says, for every
backend, what works here and what is missing.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from desktop.collect.activity import ActivityMeter, MinuteTally, active_seconds_per_minute
from desktop.collect.base import CollectorUnavailable, WindowInfo, WindowWatcher, one_line
from desktop.collect.system import SystemMonitor, SystemState

__all__ = [
    "BACKENDS",
    "ActivityMeter",
    "CollectorUnavailable",
    "MinuteTally",
    "SystemMonitor",
    "SystemState",
    "WindowInfo",
    "WindowWatcher",
    "active_seconds_per_minute",
    "backend_report",
    "open_watcher",
]

log = logging.getLogger(__name__)

BACKENDS: tuple[str, ...] = ("x11", "wayland", "windows", "macos")


def _platform_label() -> str:
    if sys.platform == "win32":
        return "Windows"
    if sys.platform == "darwin":
        return "macOS"
    return sys.platform


def _is_x11_platform() -> bool:
    # X11 desktops: Linux and the BSDs; not Windows or macOS (XQuartz is not a desktop session).
    return sys.platform not in ("win32", "darwin", "cygwin")


def _open_x11() -> WindowWatcher:
    try:
        from desktop.collect.x11 import X11Watcher
    except ImportError as exc:
        raise CollectorUnavailable(
            f"the X11 collector needs python-xlib ({one_line(exc)}): "
            "pip install 'python-xlib>=0.33'"
        ) from None
    return X11Watcher()


def _open_wayland() -> WindowWatcher:
    from desktop.collect.wayland import open_wayland_watcher

    return open_wayland_watcher()


def _open_windows() -> WindowWatcher:
    from desktop.collect.windows import WindowsWatcher

    return WindowsWatcher()


def _open_macos() -> WindowWatcher:
    from desktop.collect.macos import MacWatcher

    return MacWatcher()


_OPENERS: dict[str, Callable[[], WindowWatcher]] = {
    "x11": _open_x11,
    "wayland": _open_wayland,
    "windows": _open_windows,
    "macos": _open_macos,
}


def open_watcher(backend: str | None = None) -> WindowWatcher:
    """Return a watcher for this session (or the named backend); raises CollectorUnavailable."""
    if backend is not None:
        if backend in _OPENERS:
            return _OPENERS[backend]()
        raise CollectorUnavailable(
            f"unknown collector backend {backend!r} (known: {', '.join(BACKENDS)})"
        )
    if sys.platform == "win32":
        return _open_windows()
    if sys.platform == "darwin":
        return _open_macos()
    if not _is_x11_platform():
        raise CollectorUnavailable(f"no collector for {_platform_label()}")
    display = os.environ.get("DISPLAY")
    if os.environ.get("WAYLAND_DISPLAY"):
        try:
            return _open_wayland()
        except CollectorUnavailable as exc:
            if not display:
                raise
            # XWayland still shows X11 apps: better than nothing, and doctor says what to add.
            log.warning("%s; falling back to XWayland, where only X11 apps are visible", exc)
    if display:
        return _open_x11()
    raise CollectorUnavailable(
        "no graphical session: neither DISPLAY nor WAYLAND_DISPLAY is set; run inside your desktop "
        "session (or set DISPLAY, e.g. DISPLAY=:0)"
    )


def _x11_report() -> tuple[bool, str]:
    if not _is_x11_platform():
        return False, f"not an X11 platform ({_platform_label()})"
    if not os.environ.get("DISPLAY"):
        hint = " (Wayland session without XWayland?)" if os.environ.get("WAYLAND_DISPLAY") else ""
        return False, f"DISPLAY is not set: no X11 session{hint}"
    try:
        from desktop.collect.x11 import X11Watcher
    except ImportError as exc:
        return False, f"python-xlib missing ({one_line(exc)}): pip install 'python-xlib>=0.33'"
    try:
        watcher = X11Watcher()
    except CollectorUnavailable as exc:
        return False, one_line(exc)
    try:
        detail = watcher.capabilities().describe()
    finally:
        watcher.close()
    if os.environ.get("WAYLAND_DISPLAY"):
        detail += "; XWayland: only X11 apps are visible"
    return True, detail


def _wayland_report() -> tuple[bool, str]:
    if not _is_x11_platform():
        return False, f"not a Linux/BSD desktop ({_platform_label()})"
    if not os.environ.get("WAYLAND_DISPLAY"):
        return False, "not a Wayland session (WAYLAND_DISPLAY is not set)"
    from desktop.collect.wayland import wayland_report

    return wayland_report()


def _native_report(label: str, platform: str, backend: str) -> tuple[bool, str]:
    if sys.platform != platform:
        return False, f"not {label} (this is {_platform_label()})"
    try:
        watcher = _OPENERS[backend]()
    except CollectorUnavailable as exc:
        return False, one_line(exc)
    try:
        capabilities = getattr(watcher, "capabilities", None)
        return True, capabilities().describe() if capabilities else f"{label} collector ready"
    finally:
        watcher.close()


def backend_report() -> list[tuple[str, bool, str]]:
    """Return (backend, usable here, one-line detail) for every known backend; never raises."""
    checks = {
        "x11": _x11_report,
        "wayland": _wayland_report,
        "windows": lambda: _native_report("Windows", "win32", "windows"),
        "macos": lambda: _native_report("macOS", "darwin", "macos"),
    }
    report: list[tuple[str, bool, str]] = []
    for name in BACKENDS:
        try:
            usable, detail = checks[name]()
        except Exception as exc:  # doctor must always print a report
            usable, detail = False, f"check failed: {type(exc).__name__}: {one_line(exc)}"
        report.append((name, usable, one_line(detail)))
    return report
