"""Which window has focus and how long the user has been idle, per desktop platform.

Backends are imported lazily so that a platform's dependencies (python-xlib on Linux) are only
needed where that backend runs.
"""

from __future__ import annotations

import os
import sys

from desktop.collect.base import CollectorUnavailable, WindowInfo, WindowWatcher, one_line

__all__ = [
    "BACKENDS",
    "CollectorUnavailable",
    "WindowInfo",
    "WindowWatcher",
    "backend_report",
    "open_watcher",
]

BACKENDS: tuple[str, ...] = ("x11", "wayland", "windows", "macos")

_LATER = "not implemented yet (comes in a later release)"


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


def open_watcher(backend: str | None = None) -> WindowWatcher:
    """Return a watcher for this session (or the named backend); raises CollectorUnavailable."""
    if backend is not None:
        if backend == "x11":
            return _open_x11()
        if backend in BACKENDS:
            raise CollectorUnavailable(f"the {backend} collector is {_LATER}")
        raise CollectorUnavailable(
            f"unknown collector backend {backend!r} (known: {', '.join(BACKENDS)})"
        )
    if not _is_x11_platform():
        raise CollectorUnavailable(
            f"no collector for {_platform_label()} yet: the {_platform_label()} backend is {_LATER}"
        )
    display = os.environ.get("DISPLAY")
    wayland = os.environ.get("WAYLAND_DISPLAY")
    if display:
        # Also under Wayland with XWayland; only X11 apps are visible then (doctor says so).
        return _open_x11()
    if wayland:
        raise CollectorUnavailable(
            f"Wayland session (WAYLAND_DISPLAY={wayland}, DISPLAY unset): the Wayland collector is "
            f"{_LATER}; log into an X11 (Xorg) session to use Time Sculptor for now"
        )
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
    wayland = os.environ.get("WAYLAND_DISPLAY")
    if wayland:
        return False, f"Wayland session ({wayland}) detected; the Wayland collector is {_LATER}"
    return False, f"not a Wayland session (WAYLAND_DISPLAY unset); the collector is {_LATER}"


def _native_report(label: str, platform: str) -> tuple[bool, str]:
    here = "" if sys.platform == platform else f"; this is {_platform_label()}"
    return False, f"the {label} collector is {_LATER}{here}"


def backend_report() -> list[tuple[str, bool, str]]:
    """Return (backend, usable here, one-line detail) for every known backend; never raises."""
    checks = {
        "x11": _x11_report,
        "wayland": _wayland_report,
        "windows": lambda: _native_report("Windows", "win32"),
        "macos": lambda: _native_report("macOS", "darwin"),
    }
    report: list[tuple[str, bool, str]] = []
    for name in BACKENDS:
        try:
            usable, detail = checks[name]()
        except Exception as exc:  # doctor must always print a report
            usable, detail = False, f"check failed: {type(exc).__name__}: {one_line(exc)}"
        report.append((name, usable, one_line(detail)))
    return report
