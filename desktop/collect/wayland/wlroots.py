"""Sway, Hyprland and other wlroots-style compositors: the Wayland protocol, their own IPC.

River, labwc, Wayfire and niri too: a Wayland connection of this process's own (`wlproto`)
reads the focused window from wlr-foreign-toplevel-management (the toplevel whose state holds
"activated") and idle from ext-idle-notify-v1 notifications. Where a compositor does not offer
the toplevel list, Sway's and Hyprland's own IPC clients (``swaymsg -t get_tree``,
``hyprctl activewindow -j``) are the fallback. KWin offers ext-idle-notify-v1 too, and the
collector prefers it there to org.freedesktop.ScreenSaver.

Run alone to see what it sees: ``python -m desktop.collect.wayland.wlroots --count 5``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line
from desktop.collect.wayland import wlproto
from desktop.collect.wayland.watcher import FocusSource, IdleSource, WaylandWatcher, run_alone

SUBPROCESS_TIMEOUT_S = 2.0

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


# -- Sway and Hyprland (their own IPC) ----------------------------------------------------------


def run_command(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """Return the finished IPC client process, its output captured as text."""
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, check=False
    )


class _CommandFocus:
    """A focus source that runs the compositor's own IPC client once per poll."""

    label = ""
    desktop = ""
    command: tuple[str, ...] = ()

    def __init__(self, run: Runner = run_command) -> None:
        self._run = run
        if shutil.which(self.command[0]) is None:
            raise CollectorUnavailable(
                f"{self.desktop} on Wayland: {self.command[0]} is not on PATH (it comes with "
                f"{self.desktop}; is this a {self.desktop} session?)"
            )
        self.active_window()  # fail now, with the compositor's own words, if IPC is broken

    def _output(self) -> str:
        try:
            done = self._run(list(self.command))
        except FileNotFoundError:
            raise CollectorUnavailable(
                f"{self.desktop} on Wayland: {self.command[0]} is not on PATH"
            ) from None
        except subprocess.TimeoutExpired:
            raise CollectorUnavailable(
                f"{self.desktop} on Wayland: {' '.join(self.command)} did not answer in "
                f"{SUBPROCESS_TIMEOUT_S:.0f}s"
            ) from None
        if done.returncode != 0:
            said = one_line(done.stderr or done.stdout)[:200] or "no output"
            raise CollectorUnavailable(
                f"{self.desktop} on Wayland: {' '.join(self.command)} failed "
                f"(exit {done.returncode}): {said}"
            )
        return done.stdout

    def _json(self, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise CollectorUnavailable(
                f"{self.desktop} on Wayland: unreadable output from {self.command[0]} "
                f"({one_line(exc)})"
            ) from None

    def active_window(self) -> WindowInfo | None:
        raise NotImplementedError

    def close(self) -> None:
        return None


def sway_focused(tree: Mapping[str, Any]) -> WindowInfo | None:
    """Return the focused window in a `swaymsg -t get_tree` tree, None if a workspace has it."""
    stack: list[Mapping[str, Any]] = [tree]
    while stack:
        node = stack.pop()
        if node.get("focused"):
            if node.get("type") not in ("con", "floating_con"):
                return None  # an empty workspace or an output holds the focus
            props = node.get("window_properties") or {}
            pid = node.get("pid")
            return WindowInfo(
                # Native Wayland clients have an app_id; XWayland ones only WM_CLASS.
                app=str(node.get("app_id") or props.get("class") or ""),
                title=str(node.get("name") or ""),
                pid=int(pid) if isinstance(pid, int) and pid > 0 else None,
                instance=str(props.get("instance") or ""),
            )
        stack.extend(node.get("nodes") or ())
        stack.extend(node.get("floating_nodes") or ())
    return None


class SwayFocus(_CommandFocus):
    """The focused window from sway's IPC (`swaymsg -t get_tree`)."""

    label = "swaymsg -t get_tree (sway IPC)"
    desktop = "Sway"
    command = ("swaymsg", "-t", "get_tree", "-r")

    def active_window(self) -> WindowInfo | None:
        tree = self._json(self._output())
        return sway_focused(tree) if isinstance(tree, dict) else None


def hyprland_window(data: Any) -> WindowInfo | None:
    """Return the window in `hyprctl activewindow -j` output; None for {} (nothing focused)."""
    if not isinstance(data, dict) or not (data.get("class") or data.get("title")):
        return None
    pid = data.get("pid")
    return WindowInfo(
        app=str(data.get("class") or data.get("initialClass") or ""),
        title=str(data.get("title") or ""),
        pid=int(pid) if isinstance(pid, int) and pid > 0 else None,
        instance=str(data.get("initialClass") or ""),
    )


class HyprlandFocus(_CommandFocus):
    """The focused window from Hyprland's IPC (`hyprctl activewindow -j`)."""

    label = "hyprctl activewindow -j (Hyprland IPC)"
    desktop = "Hyprland"
    command = ("hyprctl", "activewindow", "-j")

    def active_window(self) -> WindowInfo | None:
        text = self._output().strip()
        if not text or text == "Invalid":  # what some releases print with nothing focused
            return None
        return hyprland_window(self._json(text))


# -- the Wayland protocol itself ----------------------------------------------------------------

IDLE_NOTIFIER = "ext_idle_notifier_v1"
TOPLEVEL_MANAGER = "zwlr_foreign_toplevel_manager_v1"
# One notification a second after the last input: idle is then known to within the timer's
# latency (last input = idled time - timeout), fine enough for the activity meter's 1 Hz
# deltas and for the AFK threshold alike. Several timeouts may be given; the longest idle
# they imply wins.
IDLE_TIMEOUTS_MS: tuple[int, ...] = (1_000,)
TOPLEVEL_ACTIVATED = 2  # zwlr_foreign_toplevel_handle_v1.state
TOPLEVEL_FULLSCREEN = 3
WAYLAND_TIMEOUT_S = 2.0
TOPLEVEL_PROTOCOL = "wlr-foreign-toplevel-management"
IDLE_PROTOCOL = "ext-idle-notify-v1"


@dataclass
class _Toplevel:
    title: str = ""
    app_id: str = ""
    states: frozenset[int] = frozenset()
    activated_seq: int = 0  # when it last became activated (to pick one among several seats)
    pending: dict[str, Any] | None = None


class WaylandSession:
    """A Wayland connection of the collector's own, kept current by one reader thread.

    It binds what the compositor offers of ext_idle_notifier_v1 (idle notifications) and
    zwlr_foreign_toplevel_manager_v1 (the list of toplevels and which one is activated).
    Polls only read the state under a lock: they never wait on the compositor.
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        timeout_s: float = WAYLAND_TIMEOUT_S,
        idle_timeouts_ms: tuple[int, ...] = IDLE_TIMEOUTS_MS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._error: str | None = None
        self._toplevel_error: str | None = None
        self._stopping = False
        self._idle_timeout_s: dict[int, float] = {}
        self._idled_at: dict[int, float] = {}
        self._toplevels: dict[int, _Toplevel] = {}
        self._activations = 0
        self.idle_version = 0  # 0: no idle notifications
        self.has_toplevels = False
        self._conn = wlproto.Connection(wlproto.socket_path(environ), timeout_s)
        try:
            self._setup(idle_timeouts_ms)
        except BaseException:
            self._conn.close()
            raise
        self._thread = threading.Thread(target=self._read, name="wayland-events", daemon=True)
        self._thread.start()

    def _setup(self, idle_timeouts_ms: tuple[int, ...]) -> None:
        conn = self._conn
        conn.get_registry()
        seat = conn.find_global("wl_seat")
        notifier = conn.find_global(IDLE_NOTIFIER)
        if notifier is not None and seat is not None:
            seat_id = conn.bind(seat, 1)
            notifier_id = conn.bind(notifier, 2)
            self.idle_version = min(2, notifier.version)
            # Version 2's input-only notification ignores idle inhibitors (a video player's):
            # idle here means "no input"; the service decides what media playback means.
            request = (
                "get_input_idle_notification" if self.idle_version >= 2 else "get_idle_notification"
            )
            for timeout_ms in idle_timeouts_ms:
                notification = conn.new_object("ext_idle_notification_v1")
                conn.set_handler(notification, self._idle_handler(notification))
                self._idle_timeout_s[notification] = timeout_ms / 1000.0
                conn.request(notifier_id, request, notification, timeout_ms, seat_id)
        manager = conn.find_global(TOPLEVEL_MANAGER)
        if manager is not None:
            conn.bind(manager, 3, self._manager_event)
            self.has_toplevels = True
        # The compositor sends the toplevels that already exist right after the bind.
        conn.roundtrip()

    # events (reader thread) -------------------------------------------------------------------
    def _read(self) -> None:
        while not self._stopping:
            try:
                self._conn.dispatch(None)
            except Exception as exc:  # a bug in a handler must surface too, not end silently
                if not self._stopping:
                    text = one_line(exc)
                    if not isinstance(exc, wlproto.WaylandError):
                        text = f"{type(exc).__name__}: {text}"
                    with self._lock:
                        self._error = text
                return

    def _idle_handler(self, notification: int) -> wlproto.EventHandler:
        def handle(name: str, args: list[Any]) -> None:
            with self._lock:
                if name == "idled":
                    self._idled_at[notification] = self._clock()
                else:  # resumed
                    self._idled_at.pop(notification, None)

        return handle

    def _manager_event(self, name: str, args: list[Any]) -> None:
        if name == "toplevel":
            handle = int(args[0])
            with self._lock:
                self._toplevels[handle] = _Toplevel()
            self._conn.set_handler(
                handle, lambda event, values: self._toplevel(handle, event, values)
            )
        else:  # finished: the compositor will send no more toplevels
            with self._lock:
                self._toplevel_error = f"the compositor ended the {TOPLEVEL_PROTOCOL} list"

    def _toplevel(self, handle: int, name: str, args: list[Any]) -> None:
        destroy = False
        with self._lock:
            toplevel = self._toplevels.get(handle)
            if toplevel is None:
                return
            pending = toplevel.pending if toplevel.pending is not None else {}
            toplevel.pending = pending
            if name in ("title", "app_id"):
                pending[name] = str(args[0] or "")
            elif name == "state":
                raw = bytes(args[0])
                count = len(raw) // 4
                pending["states"] = frozenset(struct.unpack(f"={count}I", raw[: 4 * count]))
            elif name == "done":
                was_active = TOPLEVEL_ACTIVATED in toplevel.states
                toplevel.title = pending.get("title", toplevel.title)
                toplevel.app_id = pending.get("app_id", toplevel.app_id)
                toplevel.states = pending.get("states", toplevel.states)
                toplevel.pending = None
                if TOPLEVEL_ACTIVATED in toplevel.states and not was_active:
                    self._activations += 1
                    toplevel.activated_seq = self._activations
            elif name == "closed":
                del self._toplevels[handle]
                destroy = True
        if destroy:
            self._conn.destroy(handle)

    # polls ------------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise WaylandError if the connection has failed."""
        with self._lock:
            error = self._error
        if error is not None:
            raise wlproto.WaylandError(error)

    def idle_seconds(self) -> float:
        """Return seconds since the last input as the idle notifications imply; 0.0 if active."""
        self.check()
        with self._lock:
            if not self._idled_at:
                return 0.0
            now = self._clock()
            return max(
                0.0,
                max(now - at + self._idle_timeout_s[n] for n, at in self._idled_at.items()),
            )

    def active_window(self) -> WindowInfo | None:
        """Return the activated toplevel (the latest activated, if several seats have one)."""
        self.check()
        with self._lock:
            if self._toplevel_error is not None:
                raise wlproto.WaylandError(self._toplevel_error)
            active = [t for t in self._toplevels.values() if TOPLEVEL_ACTIVATED in t.states]
            if not active:
                return None
            top = max(active, key=lambda toplevel: toplevel.activated_seq)
            return WindowInfo(
                app=top.app_id,
                title=top.title,
                fullscreen=TOPLEVEL_FULLSCREEN in top.states,
            )

    def close(self) -> None:
        """Stop the reader thread and close the connection (idempotent)."""
        self._stopping = True
        self._conn.shutdown()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        self._conn.close()


class ToplevelFocus:
    """The focused window from wlr-foreign-toplevel-management, over the session's connection."""

    label = f"{TOPLEVEL_PROTOCOL} (Wayland protocol)"

    def __init__(self, session: WaylandSession, desktop: str) -> None:
        self._session = session
        self._desktop = desktop

    def active_window(self) -> WindowInfo | None:
        try:
            return self._session.active_window()
        except wlproto.WaylandError as exc:
            raise CollectorUnavailable(f"{self._desktop} on Wayland: {exc}") from None

    def close(self) -> None:
        return None  # the watcher closes the session


class IdleNotifyIdle:
    """Idle time from ext-idle-notify-v1 notifications, over the session's connection."""

    def __init__(self, session: WaylandSession, desktop: str) -> None:
        self._session = session
        self._desktop = desktop
        self.label = (
            f"{IDLE_PROTOCOL} (input only)"
            if session.idle_version >= 2
            else f"{IDLE_PROTOCOL} (version 1: idle inhibitors such as video players hold it)"
        )

    def idle_seconds(self) -> float:
        try:
            return self._session.idle_seconds()
        except wlproto.WaylandError as exc:
            raise CollectorUnavailable(f"{self._desktop} on Wayland: {exc}") from None


def open_wayland_session(
    environ: Mapping[str, str], timeout_s: float = WAYLAND_TIMEOUT_S
) -> tuple[WaylandSession | None, str]:
    """Return (session, "") or (None, why there is none) for this Wayland display."""
    try:
        return WaylandSession(environ, timeout_s), ""
    except wlproto.WaylandError as exc:
        return None, str(exc)


def open_wlroots_watcher(
    environ: Mapping[str, str] | None = None, run: Runner = run_command
) -> WaylandWatcher:
    """Return a watcher reading only the Wayland protocol (or Sway's/Hyprland's IPC for focus)."""
    env = os.environ if environ is None else environ
    label = env.get("XDG_CURRENT_DESKTOP", "").split(":")[0] or "Wayland compositor"
    session, no_session = open_wayland_session(env)
    try:
        focus: FocusSource
        if session is not None and session.has_toplevels:
            focus = ToplevelFocus(session, label)
        elif env.get("SWAYSOCK"):
            focus = SwayFocus(run)
        elif env.get("HYPRLAND_INSTANCE_SIGNATURE"):
            focus = HyprlandFocus(run)
        else:
            raise CollectorUnavailable(
                f"{label} on Wayland: no {TOPLEVEL_PROTOCOL}: "
                f"{no_session or 'the compositor does not offer it'}"
            )
        idle: IdleSource | None = None
        missing = ""
        if session is not None and session.idle_version:
            idle = IdleNotifyIdle(session, label)
        else:
            missing = f"no {IDLE_PROTOCOL}: {no_session or 'the compositor does not offer it'}"
    except BaseException:
        if session is not None:
            session.close()
        raise
    return WaylandWatcher(label, focus, idle, missing, session=session)


def main(argv: list[str] | None = None) -> int:
    """Print what the Wayland protocol (or the IPC) shows once per interval; return the status."""
    return run_alone(
        "desktop.collect.wayland.wlroots", "wayland.wlroots", open_wlroots_watcher, argv
    )


if __name__ == "__main__":
    sys.exit(main())
