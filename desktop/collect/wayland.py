"""Linux Wayland backend: each compositor's own way of naming the focused window, and idle time.

Wayland deliberately hides other clients' windows, so there is no one protocol to ask:

* GNOME: the "Focused Window D-Bus" Shell extension (org.gnome.Shell,
  /org/gnome/shell/extensions/FocusedWindow, ``Get`` returns JSON); idle from Mutter's
  org.gnome.Mutter.IdleMonitor.
* KDE Plasma: a small KWin script, loaded through org.kde.KWin /Scripting, reports every
  activation (and title change) back to a D-Bus object this process exports; idle from
  org.freedesktop.ScreenSaver.GetSessionIdleTime (KDE's screen locker implements it).
* Sway, Hyprland and other wlroots-style compositors (river, labwc, Wayfire, niri): the
  Wayland protocol itself, through a connection of this process's own (`wlproto`): the
  focused window from wlr-foreign-toplevel-management (the toplevel whose state holds
  "activated"), idle from ext-idle-notify-v1 notifications. Where a compositor does not offer
  the toplevel list, Sway's and Hyprland's own IPC CLIs (``swaymsg -t get_tree``,
  ``hyprctl activewindow -j``) are the fallback. KWin offers ext-idle-notify-v1 too, and it is
  preferred there to org.freedesktop.ScreenSaver, which Plasma on Wayland may refuse.

Run alone to see what it sees: ``python -m desktop.collect.wayland --count 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from desktop.collect import show, wlproto
from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line
from desktop.collect.sessionbus import BusError, SessionBus

log = logging.getLogger(__name__)

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
SCREENSAVER = "org.freedesktop.ScreenSaver"
SCREENSAVER_PATHS = ("/org/freedesktop/ScreenSaver", "/ScreenSaver")
KWIN = "org.kde.KWin"
KWIN_SCRIPTING = "org.kde.kwin.Scripting"
KWIN_SCRIPT = "org.kde.kwin.Script"
FOCUS_PATH = "/org/timesculptor/Focus"
FOCUS_INTERFACE = "org.timesculptor.Focus"
SUBPROCESS_TIMEOUT_S = 2.0

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


class FocusSource(Protocol):
    """One compositor-specific way of reading the focused window."""

    label: str

    def active_window(self) -> WindowInfo | None: ...

    def close(self) -> None: ...


class IdleSource(Protocol):
    """One way of reading the seconds since the last input."""

    label: str

    def idle_seconds(self) -> float: ...


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
        session: WaylandSession | None = None,
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


# -- GNOME ---------------------------------------------------------------------------------


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


# -- KDE Plasma (KWin script) ----------------------------------------------------------------

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

    @property
    def has_reported(self) -> bool:
        """Return True once KWin's script has reported at least once."""
        return self._reported.is_set()

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


# -- Sway and Hyprland (their own IPC) ----------------------------------------------------------


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, check=False
    )


class _CommandFocus:
    """A focus source that runs the compositor's own IPC client once per poll."""

    label = ""
    desktop = ""
    command: tuple[str, ...] = ()

    def __init__(self, run: Runner = _run) -> None:
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


# -- the Wayland protocol itself (wlroots-style compositors, KWin) ------------------------------

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


# -- choosing ---------------------------------------------------------------------------------


def detect_desktop(environ: Mapping[str, str]) -> str:
    """Return "sway", "hyprland", "gnome", "kde" or "" from the session's environment."""
    if environ.get("SWAYSOCK"):
        return "sway"
    if environ.get("HYPRLAND_INSTANCE_SIGNATURE"):
        return "hyprland"
    tokens = {t.strip().lower() for t in environ.get("XDG_CURRENT_DESKTOP", "").split(":")}
    if "gnome" in tokens:  # also "ubuntu:GNOME", "pop:GNOME"
        return "gnome"
    if "kde" in tokens:
        return "kde"
    if "sway" in tokens:
        return "sway"
    if "hyprland" in tokens:
        return "hyprland"
    return ""


DESKTOP_LABELS = {"sway": "Sway", "hyprland": "Hyprland", "gnome": "GNOME", "kde": "KDE Plasma"}


def _idle_source(
    bus: SessionBus | None,
    desktop: str,
    label: str,
    session: WaylandSession | None,
    no_session: str,
) -> tuple[IdleSource | None, str]:
    candidates: list[Callable[[], IdleSource]] = []
    if bus is not None and desktop in ("gnome", ""):
        candidates.append(lambda: MutterIdle(bus))
    if session is not None and session.idle_version:
        candidates.append(lambda: IdleNotifyIdle(session, label))
    if bus is not None:
        candidates.append(lambda: ScreenSaverIdle(bus))
    for make in candidates:
        try:
            return make(), ""
        except (BusError, CollectorUnavailable):
            continue
    if desktop == "gnome":
        return None, "Mutter's IdleMonitor does not answer on the session D-Bus"
    if session is None:
        why = f"no Wayland connection for {IDLE_PROTOCOL}: {no_session}"
    else:
        why = (
            f"the compositor does not offer {IDLE_PROTOCOL}: update it (Sway 1.8+, a current "
            "Hyprland, KDE Plasma 6 have it)"
        )
    if bus is None:
        return None, f"{why}; and no session D-Bus"
    return None, f"{why}; and org.freedesktop.ScreenSaver does not answer"


def _command_focus(
    make: Callable[[Runner], FocusSource], run: Runner, label: str, no_toplevels: str
) -> FocusSource:
    try:
        return make(run)
    except CollectorUnavailable as exc:
        raise CollectorUnavailable(f"{exc}; and no {TOPLEVEL_PROTOCOL}: {no_toplevels}") from None


def open_wayland_watcher(
    environ: Mapping[str, str] | None = None,
    run: Runner = _run,
    timeout_s: float = WAYLAND_TIMEOUT_S,
) -> WaylandWatcher:
    """Return a watcher for this Wayland session; raises CollectorUnavailable (one line)."""
    env = os.environ if environ is None else environ
    display = env.get("WAYLAND_DISPLAY", "")
    if not display:
        raise CollectorUnavailable("not a Wayland session: WAYLAND_DISPLAY is not set")
    desktop = detect_desktop(env)
    bus: SessionBus | None = None
    session: WaylandSession | None = None
    try:
        bus = SessionBus(env.get("DBUS_SESSION_BUS_ADDRESS") or None)
    except BusError as exc:
        if desktop in ("gnome", "kde"):
            raise CollectorUnavailable(f"{DESKTOP_LABELS[desktop]} on Wayland: {exc}") from None
    try:
        if not desktop and bus is not None:
            # No hint in the environment (a bare `ssh -X` or a custom session): ask the bus.
            with contextlib.suppress(BusError):
                if bus.has_owner(GNOME_SHELL):
                    desktop = "gnome"
                elif bus.has_owner(KWIN):
                    desktop = "kde"
        no_session = ""
        if desktop != "gnome":  # Mutter offers neither protocol to ordinary clients
            session, no_session = open_wayland_session(env, timeout_s)
        no_toplevels = no_session or "the compositor does not offer it"
        seen = env.get("XDG_CURRENT_DESKTOP", "")
        label = DESKTOP_LABELS.get(desktop) or seen.split(":")[0] or "Wayland compositor"
        focus: FocusSource
        if desktop in ("sway", "hyprland", "") and session is not None and session.has_toplevels:
            focus = ToplevelFocus(session, label)
        elif desktop == "sway":
            focus = _command_focus(SwayFocus, run, label, no_toplevels)
        elif desktop == "hyprland":
            focus = _command_focus(HyprlandFocus, run, label, no_toplevels)
        elif desktop == "gnome" and bus is not None:
            focus = GnomeFocus(bus)
        elif desktop == "kde" and bus is not None:
            if not _has_owner(bus, KWIN):
                raise CollectorUnavailable("KDE Plasma on Wayland: KWin is not on the session bus")
            focus = KWinFocus(bus)
        else:
            raise CollectorUnavailable(
                f"Wayland session ({display}, desktop {seen or 'unknown'!r}): no way to see the "
                "focused window here; supported are GNOME (with the 'Focused Window D-Bus' "
                f"extension), KDE Plasma, Sway, Hyprland and compositors offering "
                f"{TOPLEVEL_PROTOCOL} (river, labwc, Wayfire, niri; here: {no_toplevels})"
            )
        idle, missing = _idle_source(bus, desktop, label, session, no_session)
        uses_session = isinstance(focus, ToplevelFocus) or isinstance(idle, IdleNotifyIdle)
        if session is not None and not uses_session:
            session.close()
            session = None
    except BaseException:
        if session is not None:
            session.close()
        if bus is not None:
            bus.close()
        raise
    return WaylandWatcher(label, focus, idle, missing, bus, session)


def _has_owner(bus: SessionBus, name: str) -> bool:
    try:
        return bus.has_owner(name)
    except BusError:
        return False


def wayland_report(environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Return (usable, one-line detail) for `doctor`; opens and closes a watcher."""
    try:
        watcher = open_wayland_watcher(environ)
    except CollectorUnavailable as exc:
        return False, one_line(exc)
    try:
        return True, watcher.capabilities().describe()
    finally:
        watcher.close()


# -- run alone --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Print the focused window and idle time once per interval; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m desktop.collect.wayland",
        description="Show what the Wayland collector sees.",
    )
    parser.add_argument("--count", type=int, default=0, help="stop after N samples (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)

    def describe(watcher: Any) -> str:
        return str(watcher.capabilities().describe())

    return show.print_samples("wayland", open_wayland_watcher, describe, args.count, args.interval)


if __name__ == "__main__":
    sys.exit(main())
