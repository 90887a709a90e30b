"""macOS backend: the frontmost application via AppKit, its window title via the Quartz window
list, idle via Quartz event-source timing (pyobjc).

Two platform quirks shape it:

* ``NSWorkspace.frontmostApplication()`` is a cache that AppKit refreshes only when the
  *main* run loop turns; a collector polling from a worker thread (or a headless process)
  would see the first answer forever. The window server's list is always live, so its
  front-most normal window decides, and NSWorkspace is used when it agrees or when the window
  server has no window to offer (an app active without windows).
* Other apps' window titles (kCGWindowName) are only given to processes with the Screen
  Recording permission (macOS 10.15+). Without it titles are empty; the watcher says so once.

All calls go through the `appkit` and `quartz` objects given to the watcher (the pyobjc modules
by default, fakes in tests). Run alone: ``python -m desktop.collect.macos --count 5``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.collect import show
from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line

log = logging.getLogger(__name__)

# Constants as the SDK defines them, for when a pyobjc release lacks the name.
_ON_SCREEN_ONLY = 1 << 0  # kCGWindowListOptionOnScreenOnly
_EXCLUDE_DESKTOP = 1 << 4  # kCGWindowListExcludeDesktopElements
_NULL_WINDOW = 0  # kCGNullWindowID
_HID_SYSTEM_STATE = 1  # kCGEventSourceStateHIDSystemState
_ANY_INPUT = 0xFFFFFFFF  # kCGAnyInputEventType (~0)
NORMAL_LAYER = 0  # application windows; menus, the Dock and overlays sit on other layers

TITLES_NEED_PERMISSION = (
    "window titles are empty: macOS shows other apps' titles only to apps with the Screen "
    "Recording permission (System Settings > Privacy & Security > Screen Recording)"
)


def load_pyobjc() -> tuple[Any, Any]:
    """Return the (AppKit, Quartz) pyobjc modules; raises CollectorUnavailable elsewhere."""
    if sys.platform != "darwin":
        raise CollectorUnavailable(
            f"the macOS collector runs on macOS only (this is {sys.platform})"
        )
    try:
        import AppKit  # type: ignore[import-not-found]
        import Quartz  # type: ignore[import-not-found]
    except ImportError as exc:
        raise CollectorUnavailable(
            f"the macOS collector needs pyobjc ({one_line(exc)}): pip install "
            "pyobjc-framework-Cocoa pyobjc-framework-Quartz"
        ) from None
    return AppKit, Quartz


@dataclass(frozen=True)
class MacCapabilities:
    """What the watcher can see in this macOS session."""

    titles: bool | None  # Screen Recording granted; None until known

    def describe(self) -> str:
        """Return a one-line human summary for `doctor`."""
        if self.titles is False:
            titles = f"NO titles ({TITLES_NEED_PERMISSION})"
        elif self.titles is None:
            titles = "titles via CGWindowListCopyWindowInfo (permission not checked yet)"
        else:
            titles = "titles via CGWindowListCopyWindowInfo"
        return (
            "frontmost app via NSWorkspace, checked against the window server; "
            f"{titles}; idle via CGEventSourceSecondsSinceLastEventType"
        )


class MacWatcher:
    """WindowWatcher over AppKit and Quartz (the pyobjc modules by default)."""

    name = "macos"

    def __init__(self, appkit: Any = None, quartz: Any = None) -> None:
        if appkit is None or quartz is None:
            appkit, quartz = load_pyobjc()
        self._appkit = appkit
        self._quartz = quartz
        self._titles: bool | None = self._preflight()
        self._warned = False
        self.title_note = ""  # set once titles are known to be withheld

    # -- WindowWatcher ---------------------------------------------------------------------

    def active_window(self) -> WindowInfo | None:
        """Return the frontmost app's front window; None when no app is frontmost."""
        windows = self._windows()
        front = next((w for w in windows if _layer(w) == NORMAL_LAYER and _pid(w)), None)
        app = self._appkit.NSWorkspace.sharedWorkspace().frontmostApplication()
        if front is not None and (app is None or int(app.processIdentifier()) != _pid(front)):
            # NSWorkspace's answer may be stale (see the module docstring): trust the server.
            running = self._appkit.NSRunningApplication
            live = running.runningApplicationWithProcessIdentifier_(_pid(front))
            if live is not None:
                app = live
            else:
                return WindowInfo(
                    app=str(front.get("kCGWindowOwnerName") or ""),
                    title=self._title(front),
                    pid=_pid(front),
                )
        if app is None:
            return None
        pid = int(app.processIdentifier())
        window = next((w for w in windows if _layer(w) == NORMAL_LAYER and _pid(w) == pid), None)
        return WindowInfo(
            app=str(app.localizedName() or ""),
            title=self._title(window) if window is not None else "",
            pid=pid if pid > 0 else None,
            instance=str(app.bundleIdentifier() or ""),
        )

    def idle_seconds(self) -> float:
        """Return seconds since the last keyboard, mouse or trackpad event (HID system state)."""
        q = self._quartz
        seconds = q.CGEventSourceSecondsSinceLastEventType(
            getattr(q, "kCGEventSourceStateHIDSystemState", _HID_SYSTEM_STATE),
            getattr(q, "kCGAnyInputEventType", _ANY_INPUT),
        )
        return max(0.0, float(seconds))

    def close(self) -> None:
        """Nothing to release."""
        return None

    def capabilities(self) -> MacCapabilities:
        """Return whether window titles can be read."""
        return MacCapabilities(titles=self._titles)

    def __enter__(self) -> MacWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _preflight(self) -> bool | None:
        check = getattr(self._quartz, "CGPreflightScreenCaptureAccess", None)
        if check is None:  # before macOS 11 (pyobjc): find out from the first window
            return None
        try:
            return bool(check())
        except Exception:
            return None

    def _windows(self) -> list[Mapping[str, Any]]:
        q = self._quartz
        options = getattr(q, "kCGWindowListOptionOnScreenOnly", _ON_SCREEN_ONLY) | getattr(
            q, "kCGWindowListExcludeDesktopElements", _EXCLUDE_DESKTOP
        )
        listed = q.CGWindowListCopyWindowInfo(options, getattr(q, "kCGNullWindowID", _NULL_WINDOW))
        return list(listed or ())

    def _title(self, window: Mapping[str, Any]) -> str:
        title = window.get("kCGWindowName")
        if title is None:
            # The key is absent (not merely empty) when the permission is missing.
            if self._titles is None:
                self._titles = False
            self._say_titles_missing()
            return ""
        if self._titles is None:
            self._titles = True
        return str(title)

    def _say_titles_missing(self) -> None:
        if self._titles is False and not self._warned:
            self._warned = True
            self.title_note = TITLES_NEED_PERMISSION
            log.warning("macOS: %s", TITLES_NEED_PERMISSION)


def _layer(window: Mapping[str, Any]) -> int:
    return int(window.get("kCGWindowLayer", -1))


def _pid(window: Mapping[str, Any]) -> int:
    return int(window.get("kCGWindowOwnerPID") or 0)


def main(argv: list[str] | None = None) -> int:
    """Print the frontmost window and idle time once per interval; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m desktop.collect.macos", description="Show what the macOS collector sees."
    )
    parser.add_argument("--count", type=int, default=0, help="stop after N samples (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)

    def describe(watcher: Any) -> str:
        return str(watcher.capabilities().describe())

    return show.print_samples("macos", MacWatcher, describe, args.count, args.interval)


if __name__ == "__main__":
    sys.exit(main())
