"""System context beside the focused window: power, CPU load, screen lock, media, and sleep.

`SystemMonitor.sample(now)` returns a `SystemState`. Each probe is chosen once, for this
platform and session, and each may be injected (tests fake the OS at that boundary):

* power and CPU load: psutil;
* screen locked: GNOME's org.gnome.ScreenSaver (or org.freedesktop.ScreenSaver, KDE) over the
  session D-Bus, else the X server's MIT-SCREEN-SAVER state, on Windows the input desktop
  (it is "Winlogon", not "Default", while locked), on macOS the session dictionary;
* media: an MPRIS player (org.mpris.MediaPlayer2.*) whose PlaybackStatus is "Playing" means the
  user is watching or listening, so a long idle is not "away";
* sleep: the difference between a clock that runs through suspend and one that does not
  (CLOCK_BOOTTIME vs CLOCK_MONOTONIC on Linux). A gap in polling is reported as a gap.

Run alone to see it: ``python -m desktop.collect.system --count 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from desktop.collect.sessionbus import BusError, SessionBus, open_session_bus

log = logging.getLogger(__name__)

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
MPRIS_PATH = "/org/mpris/MediaPlayer2"
MPRIS_PLAYER = "org.mpris.MediaPlayer2.Player"
GNOME_SCREENSAVER = ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver")
FREEDESKTOP_SCREENSAVER = (
    "org.freedesktop.ScreenSaver",
    "/org/freedesktop/ScreenSaver",
    "org.freedesktop.ScreenSaver",
)
# A nap shorter than this is clock noise (NTP slewing, a busy VM), not a suspend.
MIN_SLEEP_S = 2.0
DESKTOP_SWITCHDESKTOP = 0x0100
UOI_NAME = 2
_SCREENSAVER_ON = 1  # XScreenSaverInfo.state: Off 0, On 1, Cycle 2, Disabled 3

LockProbe = Callable[[], "bool | None"]
Clocks = Callable[[], "tuple[float, float]"]  # (awake seconds, elapsed seconds incl. sleep)


@dataclass(frozen=True)
class SystemState:
    """The machine's context at one sample; None means "cannot tell here"."""

    at: float  # the wall-clock time (epoch seconds) the sample was taken for
    on_battery: bool | None  # running on battery; None without a battery (desktops) or unknown
    battery_percent: float | None  # 0..100
    cpu_percent: float | None  # whole-machine CPU load since the previous sample, 0..100
    screen_locked: bool | None
    media_playing: bool  # an MPRIS player is Playing (Linux); False where none can be seen
    slept_s: float  # seconds the machine was suspended since the previous sample
    gap_s: float  # seconds since the previous sample that polling did not cover (0.0: none)

    @property
    def is_gap(self) -> bool:
        """Return True when the time since the previous sample must not count as activity."""
        return self.gap_s > 0.0


def suspended_seconds(
    previous: tuple[float, float] | None, current: tuple[float, float]
) -> tuple[float, float]:
    """Return (elapsed, slept) seconds between two (awake, elapsed) clock readings."""
    if previous is None:
        return 0.0, 0.0
    awake = current[0] - previous[0]
    elapsed = current[1] - previous[1]
    slept = elapsed - awake
    return max(0.0, elapsed), slept if slept >= MIN_SLEEP_S else 0.0


def default_clocks() -> Clocks:
    """Return a reader of (awake, elapsed-including-sleep) clocks for this platform."""
    if sys.platform.startswith("linux") and hasattr(time, "CLOCK_BOOTTIME"):
        boot = time.CLOCK_BOOTTIME
        return lambda: (time.clock_gettime(time.CLOCK_MONOTONIC), time.clock_gettime(boot))
    if sys.platform == "darwin" and hasattr(time, "CLOCK_UPTIME_RAW"):
        # macOS: UPTIME_RAW stops while asleep, MONOTONIC_RAW keeps counting.
        up, raw = time.CLOCK_UPTIME_RAW, time.CLOCK_MONOTONIC_RAW
        return lambda: (time.clock_gettime(up), time.clock_gettime(raw))
    if sys.platform == "win32":
        with contextlib.suppress(Exception):
            return _windows_clocks()
    # No sleep-free clock: every elapsed second counts as awake; long gaps still show as gaps.
    return lambda: (time.monotonic(), time.monotonic())


def _windows_clocks() -> Clocks:
    from desktop.collect.windows import load_win32

    _, kernel32, _ = load_win32()

    def read() -> tuple[float, float]:
        unbiased = ctypes.c_uint64(0)  # 100 ns units, without time asleep
        kernel32.QueryUnbiasedInterruptTime(ctypes.byref(unbiased))
        return unbiased.value / 1e7, int(kernel32.GetTickCount64()) / 1000.0

    read()
    return read


# -- screen lock probes ------------------------------------------------------------------------


def dbus_lock_probe(bus: SessionBus) -> LockProbe | None:
    """Return a probe asking the desktop's screensaver service, or None if none answers."""
    for service, path, interface in (GNOME_SCREENSAVER, FREEDESKTOP_SCREENSAVER):
        try:
            bus.call(service, path, interface, "GetActive")
        except BusError:
            continue

        def probe(service: str = service, path: str = path, interface: str = interface) -> bool:
            (active,) = bus.call(service, path, interface, "GetActive")
            return bool(active)

        return probe
    return None


class X11ScreenSaverLock:
    """Screen locked = the X server's screen saver is on (blanked or locked, MIT-SCREEN-SAVER)."""

    def __init__(self, display: str | None = None) -> None:
        from Xlib.display import Display

        self._display = Display(display or os.environ.get("DISPLAY", ""))
        if not self._display.has_extension("MIT-SCREEN-SAVER"):
            self._display.close()
            raise RuntimeError("no MIT-SCREEN-SAVER extension")
        self._root = self._display.screen().root

    def __call__(self) -> bool | None:
        state = int(self._root.screensaver_query_info().state)
        if state == 3:  # ScreenSaverDisabled: the server will never blank, so it cannot say
            return None
        return state == _SCREENSAVER_ON

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._display.close()


def windows_lock_probe(user32: Any) -> LockProbe:
    """Return a probe: locked while the input desktop is not "Default" (or cannot be opened)."""

    def probe() -> bool | None:
        desktop = user32.OpenInputDesktop(0, False, DESKTOP_SWITCHDESKTOP)
        if not desktop:
            return True  # access denied: the secure (Winlogon) desktop has the input
        try:
            buffer = ctypes.create_unicode_buffer(256)
            needed = ctypes.c_uint32(0)
            size = ctypes.sizeof(buffer)
            if not user32.GetUserObjectInformationW(
                desktop, UOI_NAME, buffer, size, ctypes.byref(needed)
            ):
                return None
            return buffer.value.lower() != "default"
        finally:
            user32.CloseDesktop(desktop)

    return probe


def macos_lock_probe(quartz: Any) -> LockProbe:
    """Return a probe reading CGSSessionScreenIsLocked from the session dictionary."""

    def probe() -> bool | None:
        session = quartz.CGSessionCopyCurrentDictionary()
        if session is None:
            return None  # not in a GUI login session (ssh)
        return bool(session.get("CGSSessionScreenIsLocked", False))

    return probe


# -- media ------------------------------------------------------------------------------------


def mpris_playing(bus: SessionBus) -> bool:
    """Return True if any MPRIS player on the bus reports PlaybackStatus "Playing"."""
    for name in bus.list_names():
        if not name.startswith(MPRIS_PREFIX):
            continue
        try:
            status = bus.get_property(name, MPRIS_PATH, MPRIS_PLAYER, "PlaybackStatus")
        except BusError:
            continue  # a player quitting while we ask, or a broken one: not ours to report
        if status == "Playing":
            return True
    return False


# -- the monitor --------------------------------------------------------------------------------

_AUTO: Any = object()


class SystemMonitor:
    """Samples the system context; every probe is injectable, and each failure reads None."""

    def __init__(
        self,
        *,
        max_gap_s: float = 10.0,
        psutil_module: Any = _AUTO,
        bus: SessionBus | None = _AUTO,
        lock_probe: LockProbe | None = _AUTO,
        clocks: Clocks | None = None,
    ) -> None:
        self.max_gap_s = max_gap_s
        self._own: list[Any] = []  # what close() must release
        if psutil_module is _AUTO:
            try:
                psutil_module = importlib.import_module("psutil")
            except Exception:  # not installed, or no build for this platform
                psutil_module = None
        self._psutil = psutil_module
        if bus is _AUTO:
            bus = open_session_bus() if sys.platform not in ("win32", "darwin") else None
            if bus is not None:
                self._own.append(bus)
        self._bus = bus
        if lock_probe is _AUTO:
            lock_probe = self._default_lock_probe()
        self._lock_probe = lock_probe
        self._clocks = clocks or default_clocks()
        self._previous_clocks: tuple[float, float] | None = None
        if self._psutil is not None:
            with contextlib.suppress(Exception):
                self._psutil.cpu_percent(interval=None)  # the first reading is meaningless

    def _default_lock_probe(self) -> LockProbe | None:
        try:
            if sys.platform == "win32":
                from desktop.collect.windows import load_win32

                return windows_lock_probe(load_win32()[0])
            if sys.platform == "darwin":
                from desktop.collect.macos import load_pyobjc

                return macos_lock_probe(load_pyobjc()[1])
            if self._bus is not None:
                probe = dbus_lock_probe(self._bus)
                if probe is not None:
                    return probe
            if os.environ.get("DISPLAY"):
                x11 = X11ScreenSaverLock()
                self._own.append(x11)
                return x11
        except Exception as exc:  # an optional signal: say why once, carry on without it
            log.info("screen lock state unavailable: %s", exc)
        return None

    def sample(self, now: float) -> SystemState:
        """Return the system's state at wall-clock `now`, relative to the previous sample."""
        clocks = self._clocks()
        elapsed, slept = suspended_seconds(self._previous_clocks, clocks)
        self._previous_clocks = clocks
        gap = elapsed if (slept > 0.0 or elapsed > self.max_gap_s) else 0.0
        on_battery, percent = self._battery()
        return SystemState(
            at=now,
            on_battery=on_battery,
            battery_percent=percent,
            cpu_percent=self._cpu(),
            screen_locked=self.screen_locked(),
            media_playing=self.media_playing(),
            slept_s=slept,
            gap_s=gap,
        )

    def media_playing(self) -> bool:
        """Return True while a media player reports it is playing (so idle is not away)."""
        if self._bus is None:
            return False
        try:
            return mpris_playing(self._bus)
        except BusError:
            return False

    def screen_locked(self) -> bool | None:
        """Return True/False for the screen lock, None when this session cannot tell."""
        if self._lock_probe is None:
            return None
        try:
            return self._lock_probe()
        except Exception:  # a probe's service went away; the next sample asks again
            return None

    def _battery(self) -> tuple[bool | None, float | None]:
        if self._psutil is None:
            return None, None
        try:
            battery = self._psutil.sensors_battery()
        except Exception:
            return None, None
        if battery is None:
            return None, None  # no battery: a desktop, or a VM
        plugged = battery.power_plugged
        return (None if plugged is None else not plugged), float(battery.percent)

    def _cpu(self) -> float | None:
        if self._psutil is None:
            return None
        try:
            return float(self._psutil.cpu_percent(interval=None))
        except Exception:
            return None

    def close(self) -> None:
        """Release the connections this monitor opened itself (idempotent)."""
        while self._own:
            with contextlib.suppress(Exception):
                self._own.pop().close()

    def __enter__(self) -> SystemMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """Print the system state once per interval; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m desktop.collect.system", description="Show the system context."
    )
    parser.add_argument("--count", type=int, default=0, help="stop after N samples (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)
    with SystemMonitor() as monitor:
        n = 0
        try:
            while args.count <= 0 or n < args.count:
                if n:
                    time.sleep(args.interval)
                state = asdict(monitor.sample(time.time()))
                print(" ".join(f"{key}={value}" for key, value in state.items()), flush=True)
                n += 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
