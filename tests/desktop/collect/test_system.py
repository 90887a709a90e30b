"""System context: sleep and polling gaps, power, CPU, screen lock (D-Bus, X11) and MPRIS media."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.collect import SystemMonitor, SystemState
from desktop.collect import system as system_module
from desktop.collect.sessionbus import SessionBus
from tests.desktop.collect.fakebus import DBusFailure, FakeService

REPO = Path(__file__).resolve().parents[3]
Start = Callable[..., FakeService]


class Clocks:
    """(awake, elapsed) clocks the test advances: awake stops while 'suspended'."""

    def __init__(self) -> None:
        self.awake = 1000.0
        self.elapsed = 5000.0

    def run(self, seconds: float) -> None:
        self.awake += seconds
        self.elapsed += seconds

    def suspend(self, seconds: float) -> None:
        self.elapsed += seconds

    def __call__(self) -> tuple[float, float]:
        return self.awake, self.elapsed


class Battery:
    def __init__(self, percent: float, plugged: bool | None) -> None:
        self.percent, self.power_plugged, self.secsleft = percent, plugged, -1


class FakePsutil:
    def __init__(self) -> None:
        self.battery: Battery | None = Battery(80.0, True)
        self.cpu = [0.0]

    def sensors_battery(self) -> Battery | None:
        return self.battery

    def cpu_percent(self, interval: float | None = None) -> float:
        assert interval is None, "must never block the poll"
        return self.cpu.pop(0) if len(self.cpu) > 1 else self.cpu[0]


def _monitor(clocks: Clocks | None = None, psutil: Any = None, **kw: Any) -> SystemMonitor:
    return SystemMonitor(
        psutil_module=psutil or FakePsutil(),
        bus=kw.pop("bus", None),
        lock_probe=kw.pop("lock_probe", None),
        clocks=clocks or Clocks(),
        **kw,
    )


def test_regular_polling_is_no_gap():
    clocks = Clocks()
    monitor = _monitor(clocks)
    first = monitor.sample(100.0)
    assert first.gap_s == 0.0 and first.slept_s == 0.0 and not first.is_gap
    for n in range(5):
        clocks.run(1.0)
        state = monitor.sample(101.0 + n)
        assert not state.is_gap and state.slept_s == 0.0


def test_suspend_is_reported_as_a_gap_not_activity():
    clocks = Clocks()
    monitor = _monitor(clocks)
    monitor.sample(100.0)
    clocks.run(0.4)
    clocks.suspend(3600.0)  # the lid was closed for an hour
    clocks.run(0.6)
    state = monitor.sample(3701.0)
    assert state.slept_s == pytest.approx(3600.0)
    assert state.is_gap and state.gap_s == pytest.approx(3601.0)
    clocks.run(1.0)
    assert not monitor.sample(3702.0).is_gap  # polling resumed: back to normal


def test_stalled_polling_without_sleep_is_a_gap():
    clocks = Clocks()
    monitor = _monitor(clocks, max_gap_s=10.0)
    monitor.sample(0.0)
    clocks.run(30.0)  # the loop did not run for 30 s (a debugger, a swapping machine)
    state = monitor.sample(30.0)
    assert state.slept_s == 0.0 and state.gap_s == pytest.approx(30.0)


def test_clock_noise_is_not_sleep():
    clocks = Clocks()
    monitor = _monitor(clocks)
    monitor.sample(0.0)
    clocks.run(1.0)
    clocks.suspend(0.3)  # a VM pause or clock slewing, far below any real suspend
    assert not monitor.sample(1.0).is_gap


def test_real_linux_clocks_agree_while_awake():
    if not sys.platform.startswith("linux"):
        pytest.skip("CLOCK_BOOTTIME is Linux's")
    read = system_module.default_clocks()
    before = read()
    time.sleep(0.05)
    after = read()
    elapsed, slept = system_module.suspended_seconds(before, after)
    assert 0.04 < elapsed < 1.0 and slept == 0.0


def test_power_and_cpu():
    psutil = FakePsutil()
    psutil.cpu = [0.0, 37.5]  # the first, meaningless reading is taken at construction
    monitor = _monitor(psutil=psutil)
    state = monitor.sample(0.0)
    assert (state.on_battery, state.battery_percent, state.cpu_percent) == (False, 80.0, 37.5)
    psutil.battery = Battery(41.0, False)  # unplugged
    assert (monitor.sample(1.0).on_battery, monitor.sample(1.0).battery_percent) == (True, 41.0)
    psutil.battery = Battery(50.0, None)  # the OS cannot tell
    assert monitor.sample(2.0).on_battery is None
    psutil.battery = None  # a desktop without a battery
    assert (monitor.sample(3.0).on_battery, monitor.sample(3.0).battery_percent) == (None, None)


def test_without_psutil_and_with_failing_probes_it_still_samples():
    def broken() -> bool:
        raise OSError("service went away")

    monitor = SystemMonitor(psutil_module=None, bus=None, lock_probe=broken, clocks=Clocks())
    state = monitor.sample(5.0)
    assert state == SystemState(5.0, None, None, None, None, False, 0.0, 0.0)


# -- D-Bus: screen lock (GNOME) and MPRIS media --------------------------------------------


def test_gnome_screen_lock_over_dbus(services: Start, session_bus: str):
    locked = {"value": False}
    shell = services("org.gnome.ScreenSaver")
    _, path, interface = system_module.GNOME_SCREENSAVER
    shell.on(path, interface, "GetActive", lambda body: ("b", (locked["value"],)))
    bus = SessionBus(session_bus)
    try:
        probe = system_module.dbus_lock_probe(bus)
        assert probe is not None
        monitor = _monitor(bus=bus, lock_probe=probe)
        assert monitor.sample(0.0).screen_locked is False
        locked["value"] = True
        assert monitor.sample(1.0).screen_locked is True
    finally:
        bus.close()


def test_no_screensaver_service_means_no_dbus_probe(session_bus: str):
    bus = SessionBus(session_bus)
    try:
        assert system_module.dbus_lock_probe(bus) is None
    finally:
        bus.close()


def _player(services: Start, name: str, status: str) -> FakeService:
    player = services(f"org.mpris.MediaPlayer2.{name}")
    key = (system_module.MPRIS_PATH, system_module.MPRIS_PLAYER, "PlaybackStatus")
    player.properties[key] = ("s", status)
    return player


def _set_status(player: FakeService, status: str) -> None:
    key = (system_module.MPRIS_PATH, system_module.MPRIS_PLAYER, "PlaybackStatus")
    player.properties[key] = ("s", status)


def test_media_playing_from_mpris(services: Start, session_bus: str):
    spotify = _player(services, "spotify", "Paused")
    firefox = _player(services, "firefox.instance_1_23", "Stopped")
    broken = services("org.mpris.MediaPlayer2.broken")  # owns the name, answers nothing
    broken.on("/", "x.y", "Nothing", lambda body: (None, ()))
    services("org.example.NotAPlayer")
    with SystemMonitor(psutil_module=None, lock_probe=None, clocks=Clocks()) as monitor:
        assert monitor.media_playing() is False
        _set_status(firefox, "Playing")  # a video in the browser
        assert monitor.media_playing() is True
        assert monitor.sample(0.0).media_playing is True
        _set_status(firefox, "Paused")
        assert monitor.media_playing() is False
        _set_status(spotify, "Playing")
        assert monitor.media_playing() is True


def test_player_vanishing_mid_query_is_not_playing(services: Start, session_bus: str):
    player = _player(services, "vlc", "Playing")

    def gone(body: tuple[object, ...]) -> tuple[str, tuple[object, ...]]:
        raise DBusFailure("org.freedesktop.DBus.Error.ServiceUnknown", "vlc quit")

    player.on(system_module.MPRIS_PATH, "org.freedesktop.DBus.Properties", "Get", gone)
    with SystemMonitor(psutil_module=None, lock_probe=None, clocks=Clocks()) as monitor:
        assert monitor.media_playing() is False


def test_without_a_session_bus_media_is_not_playing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    with SystemMonitor(psutil_module=None, clocks=Clocks()) as monitor:
        state = monitor.sample(0.0)
        assert state.media_playing is False and state.screen_locked is None


# -- X11: the screen saver state on a real X server -------------------------------------------


@pytest.mark.x11
def test_x11_screen_saver_state_is_the_lock(x_display: Any, monkeypatch: pytest.MonkeyPatch):
    from Xlib import X
    from Xlib.display import Display

    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monitor = SystemMonitor(psutil_module=None, clocks=Clocks())  # picks the X11 probe itself
    d = Display(x_display.display)
    try:
        d.force_screen_saver(X.ScreenSaverReset)
        d.sync()
        assert monitor.sample(0.0).screen_locked is False
        d.force_screen_saver(X.ScreenSaverActive)  # what a locker does when it locks
        d.sync()
        assert monitor.sample(1.0).screen_locked is True
        d.force_screen_saver(X.ScreenSaverReset)
        d.sync()
        assert monitor.sample(2.0).screen_locked is False
    finally:
        d.close()
        monitor.close()


def test_module_runs_alone(monkeypatch: pytest.MonkeyPatch):
    done = subprocess.run(
        [sys.executable, "-m", "desktop.collect.system", "--count", "2", "--interval", "0.05"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all("on_battery=" in line and "gap_s=" in line for line in lines)
