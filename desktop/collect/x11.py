"""Linux/BSD X11 backend: focused window via EWMH (or the input focus), idle via MIT-SCREEN-SAVER.

Run alone to see what it sees: ``python -m desktop.collect.x11 --count 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from dataclasses import dataclass
from typing import Any

from Xlib import X, Xatom
from Xlib import error as xerror
from Xlib.display import Display

from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line
from desktop.collect.show import print_samples

# Enough for almost every WM_CLASS/title in one round trip (units of 4 bytes);
# get_full_property fetches the rest when a value is longer.
_SIZEHINT = 64
# A focused window is never nested this deep; the cap only guards against a broken tree.
_MAX_TREE_DEPTH = 32


@dataclass(frozen=True)
class X11Capabilities:
    """What this X server and window manager offer the watcher."""

    display: str
    ewmh: bool  # the WM advertises _NET_ACTIVE_WINDOW in _NET_SUPPORTED
    wm_name: str  # from _NET_SUPPORTING_WM_CHECK, "" if no EWMH WM runs
    idle: bool  # MIT-SCREEN-SAVER extension present

    def describe(self) -> str:
        """Return a one-line human summary for `doctor`."""
        if self.ewmh:
            wm = f" (WM: {self.wm_name})" if self.wm_name else ""
            focus = f"EWMH _NET_ACTIVE_WINDOW supported{wm}"
        else:
            focus = "EWMH _NET_ACTIVE_WINDOW not supported, falling back to the X input focus"
        idle = (
            "idle via MIT-SCREEN-SAVER"
            if self.idle
            else "idle unavailable (no MIT-SCREEN-SAVER extension; idle reads 0)"
        )
        return f"display {self.display}; {focus}; {idle}"


class X11Watcher:
    """WindowWatcher over one X display connection, kept open for the watcher's lifetime."""

    name = "x11"

    def __init__(self, display: str | None = None) -> None:
        self._display_name = display or os.environ.get("DISPLAY", "")
        if not self._display_name:
            raise CollectorUnavailable(
                "no X display: DISPLAY is not set; run inside an X11 session or pass a display "
                "such as ':0'"
            )
        try:
            # python-xlib prints xauth warnings on *stdout* (which our CLI output uses).
            with contextlib.redirect_stdout(io.StringIO()):
                self._d = Display(self._display_name)
        except (
            xerror.DisplayError,
            xerror.ConnectionClosedError,
            xerror.XauthError,
            OSError,
        ) as exc:
            raise CollectorUnavailable(
                f"cannot open X display {self._display_name!r}: {one_line(exc)}; is an X server "
                "running there, and may this user connect to it (xauth)?"
            ) from None
        self._closed = False
        # Errors from requests without replies would otherwise be printed to stderr; we send
        # none on purpose, and the reply requests raise, which is handled where they are made.
        self._d.set_error_handler(_ignore_error)
        self._root = self._d.screen().root
        self._idle_ok = self._d.has_extension("MIT-SCREEN-SAVER")
        atom = self._d.intern_atom
        self._NET_ACTIVE_WINDOW = atom("_NET_ACTIVE_WINDOW")
        self._NET_WM_NAME = atom("_NET_WM_NAME")
        self._NET_WM_PID = atom("_NET_WM_PID")
        self._NET_WM_STATE = atom("_NET_WM_STATE")
        self._NET_WM_STATE_FULLSCREEN = atom("_NET_WM_STATE_FULLSCREEN")
        self._NET_SUPPORTED = atom("_NET_SUPPORTED")
        self._NET_SUPPORTING_WM_CHECK = atom("_NET_SUPPORTING_WM_CHECK")
        self._UTF8_STRING = atom("UTF8_STRING")

    # -- WindowWatcher ---------------------------------------------------------------------

    def active_window(self) -> WindowInfo | None:
        """Return the focused top-level window, or None if none is focused (or it just vanished)."""
        try:
            wid = self._active_window_id()
            return None if wid is None else self._describe(wid)
        except xerror.XError:
            # BadWindow & co.: the window was destroyed between two of our requests.
            return None
        except xerror.ConnectionClosedError as exc:
            raise self._lost(exc) from None

    def idle_seconds(self) -> float:
        """Return seconds since the last keyboard/pointer input; 0.0 if the server cannot say."""
        if not self._idle_ok:
            return 0.0
        try:
            return self._root.screensaver_query_info().idle / 1000.0
        except xerror.ConnectionClosedError as exc:
            raise self._lost(exc) from None

    def close(self) -> None:
        """Close the display connection (idempotent)."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._d.close()

    # -- extras ------------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        """Return the display this watcher is connected to, e.g. ':0'."""
        return self._display_name

    def capabilities(self) -> X11Capabilities:
        """Return what the server and window manager support right now (the WM may change)."""
        ewmh = False
        wm_name = ""
        try:
            supported = self._root.get_full_property(self._NET_SUPPORTED, Xatom.ATOM)
            if supported is not None:
                ewmh = self._NET_ACTIVE_WINDOW in supported.value
            check = self._root.get_property(self._NET_SUPPORTING_WM_CHECK, Xatom.WINDOW, 0, 1)
            if check is not None and len(check.value):
                wm = self._d.create_resource_object("window", int(check.value[0]))
                wm_name = self._text(wm, self._NET_WM_NAME)
        except xerror.XError:
            pass  # a stale check window: the WM went away; what we read so far stands
        return X11Capabilities(self._display_name, ewmh, wm_name, self._idle_ok)

    def __enter__(self) -> X11Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _active_window_id(self) -> int | None:
        prop = self._root.get_property(self._NET_ACTIVE_WINDOW, Xatom.WINDOW, 0, 1)
        if prop is not None and prop.format == 32 and len(prop.value):
            # EWMH: the WM names the client window; 0 means nothing is focused.
            return int(prop.value[0]) or None
        return self._focused_client_id()

    def _focused_client_id(self) -> int | None:
        """Return the top-level client owning the input focus (no EWMH WM running)."""
        focus = self._d.get_input_focus().focus
        if isinstance(focus, int):  # X.NONE or X.PointerRoot: no window holds the focus
            return None
        # Toolkits often focus a child of the client window: walk up to the one with WM_CLASS.
        window: Any = focus
        for _ in range(_MAX_TREE_DEPTH):
            if window.id == self._root.id:
                break
            if self._has_class(window):
                return int(window.id)
            parent = window.query_tree().parent
            if isinstance(parent, int):
                break
            window = parent
        # A reparenting WM without EWMH may focus its frame: the client is just below it.
        return self._client_below(focus, depth=2)

    def _client_below(self, window: Any, depth: int) -> int | None:
        if depth <= 0 or window.id == self._root.id:
            return None
        for child in window.query_tree().children:
            if self._has_class(child):
                return int(child.id)
        for child in window.query_tree().children:
            found = self._client_below(child, depth - 1)
            if found is not None:
                return found
        return None

    def _has_class(self, window: Any) -> bool:
        return window.get_property(Xatom.WM_CLASS, X.AnyPropertyType, 0, 1) is not None

    def _describe(self, wid: int) -> WindowInfo:
        window = self._d.create_resource_object("window", wid)
        instance, app = self._wm_class(window)
        title = self._text(window, self._NET_WM_NAME) or self._text(window, Xatom.WM_NAME)
        pid_prop = window.get_property(self._NET_WM_PID, Xatom.CARDINAL, 0, 1)
        pid = int(pid_prop.value[0]) if pid_prop is not None and len(pid_prop.value) else None
        return WindowInfo(
            app=app,
            title=title,
            pid=pid or None,
            instance=instance,
            fullscreen=self._is_fullscreen(window),
        )

    def _is_fullscreen(self, window: Any) -> bool:
        """Return True when the window's EWMH state says full screen (presentation, video, game)."""
        state = window.get_full_property(self._NET_WM_STATE, Xatom.ATOM)
        return state is not None and self._NET_WM_STATE_FULLSCREEN in state.value

    def _wm_class(self, window: Any) -> tuple[str, str]:
        prop = window.get_full_property(Xatom.WM_CLASS, X.AnyPropertyType, _SIZEHINT)
        if prop is None or prop.format != 8:
            return "", ""
        # "instance\0Class\0"; some clients omit the trailing NUL or the class part.
        parts = _decode(bytes(prop.value), prop.property_type, self._UTF8_STRING).split("\0")
        return parts[0], parts[1] if len(parts) > 1 else ""

    def _text(self, window: Any, atom: int) -> str:
        prop = window.get_full_property(atom, X.AnyPropertyType, _SIZEHINT)
        if prop is None or prop.format != 8:
            return ""
        return _decode(bytes(prop.value), prop.property_type, self._UTF8_STRING).rstrip("\0")

    def _lost(self, exc: BaseException) -> CollectorUnavailable:
        return CollectorUnavailable(
            f"lost the connection to X display {self._display_name!r}: {one_line(exc)}"
        )


def _decode(raw: bytes, prop_type: int, utf8_atom: int) -> str:
    """Return text from an 8-bit property: UTF8_STRING as UTF-8, STRING as Latin-1 (ICCCM)."""
    if prop_type == Xatom.STRING:
        return raw.decode("latin-1")
    # UTF8_STRING, and best effort for COMPOUND_TEXT, which is ASCII-compatible.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8" if prop_type == utf8_atom else "latin-1", errors="replace")


def _ignore_error(err: object, request: object) -> None:
    return None


def main(argv: list[str] | None = None) -> int:
    """Print the focused window and idle time once per interval; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m desktop.collect.x11", description="Show what the X11 collector sees."
    )
    parser.add_argument("--display", help="X display to watch (default: $DISPLAY)")
    parser.add_argument("--count", type=int, default=0, help="stop after N samples (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)
    return print_samples(
        "x11",
        lambda: X11Watcher(args.display),
        lambda watcher: watcher.capabilities().describe(),  # type: ignore[attr-defined]
        args.count,
        args.interval,
    )


if __name__ == "__main__":
    sys.exit(main())
