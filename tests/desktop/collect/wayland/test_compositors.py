"""The Wayland backend against a real private D-Bus (fake GNOME Shell, Mutter, KWin services), a
fake compositor speaking the Wayland wire protocol on a real socket (fakewayland.py), and fake
`swaymsg`/`hyprctl` executables that print recorded JSON."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop import cli
from desktop.collect import CollectorUnavailable, WindowInfo, backend_report, open_watcher
from desktop.collect import wayland as wl
from desktop.collect.sessionbus import SessionBus
from tests.desktop.collect.fakebus import (
    DBusFailure,
    FakeService,
    fake_executable,
    path_with,
)
from tests.desktop.collect.wayland.fakewayland import (
    ACTIVATED,
    DEFAULT_GLOBALS,
    FakeCompositor,
    Toplevel,
    wait_until,
    word,
)

REPO = Path(__file__).resolve().parents[4]
Start = Callable[..., FakeService]

GNOME_PATH, GNOME_IFACE = wl.GNOME_FOCUS_OBJECTS[0]
MUTTER = ("/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor", "GetIdletime")

# Recorded from the extension (README format), trimmed of geometry.
CALCULATOR = {
    "title": "Calculator",
    "wm_class": "org.gnome.Calculator",
    "wm_class_instance": "org.gnome.Calculator",
    "pid": 56643,
    "id": 2274918779,
    "focus": True,
    "in_current_workspace": True,
    "frame_type": 0,
    "window_type": 0,
    "layer": 2,
    "role": None,
}
FIREFOX = {**CALCULATOR, "title": "Mozilla Firefox — naïve café", "wm_class": "firefox",
           "wm_class_instance": "Navigator", "pid": 4242}  # fmt: skip


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Yield an empty XDG_RUNTIME_DIR (short: a socket path must fit in 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="ts-wl-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def compositor(runtime_dir: Path) -> Iterator[Callable[..., FakeCompositor]]:
    """Yield make(**options) -> a fake compositor listening at $XDG_RUNTIME_DIR/wayland-test."""
    made: list[FakeCompositor] = []

    def make(**options: object) -> FakeCompositor:
        fake = FakeCompositor(runtime_dir, **options)  # type: ignore[arg-type]
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def wayland_env(monkeypatch: pytest.MonkeyPatch, runtime_dir: Path) -> Callable[[str], None]:
    """Return set_desktop(XDG_CURRENT_DESKTOP) for a Wayland session without XWayland."""
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    for name in ("DISPLAY", "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE", "XDG_CURRENT_DESKTOP"):
        monkeypatch.delenv(name, raising=False)

    def set_desktop(desktop: str) -> None:
        monkeypatch.setenv("XDG_CURRENT_DESKTOP", desktop)

    return set_desktop


class Gnome:
    """Fake GNOME Shell (with the Focused Window D-Bus extension) and Mutter's idle monitor."""

    def __init__(self, services: Start, extension_path: str | None = GNOME_PATH,
                 interface: str = GNOME_IFACE) -> None:  # fmt: skip
        self.window: dict[str, object] = {}
        self.idle_ms = 0
        self.service = services("org.gnome.Shell", "org.gnome.Mutter.IdleMonitor")
        if extension_path is not None:
            self.service.on(extension_path, interface, "Get", self._get)
        self.service.on(*MUTTER, lambda body: ("t", (self.idle_ms,)))

    def _get(self, body: tuple[object, ...]) -> tuple[str, tuple[object, ...]]:
        return "s", (json.dumps(self.window),)


def test_gnome_focus_and_idle_over_dbus(services: Start, wayland_env: Callable[[str], None]):
    wayland_env("ubuntu:GNOME")
    gnome = Gnome(services)
    gnome.window = CALCULATOR
    watcher = open_watcher()
    try:
        assert watcher.name == "wayland"
        assert watcher.active_window() == WindowInfo(
            "org.gnome.Calculator", "Calculator", 56643, "org.gnome.Calculator"
        )
        gnome.window = FIREFOX
        assert watcher.active_window() == WindowInfo(
            "firefox", "Mozilla Firefox — naïve café", 4242, "Navigator"
        )
        gnome.window = {}  # the extension's answer when nothing has focus
        assert watcher.active_window() is None
        gnome.idle_ms = 93_500
        assert watcher.idle_seconds() == 93.5
    finally:
        watcher.close()


def test_gnome_without_the_extension_names_it_in_one_line(
    services: Start, wayland_env: Callable[[str], None]
):
    wayland_env("GNOME")
    Gnome(services, extension_path=None)
    with pytest.raises(CollectorUnavailable) as caught:
        open_watcher()
    assert str(caught.value) == (
        "GNOME on Wayland: install the 'Focused Window D-Bus' extension "
        "(https://extensions.gnome.org/extension/5592/focused-window-d-bus/)"
    )
    rows = {name: (usable, detail) for name, usable, detail in backend_report()}
    assert rows["wayland"] == (False, str(caught.value))
    assert rows["x11"][0] is False and "Wayland session without XWayland" in rows["x11"][1]


def test_gnome_extension_at_its_old_path(services: Start, wayland_env: Callable[[str], None]):
    wayland_env("GNOME")
    path, interface = wl.GNOME_FOCUS_OBJECTS[1]
    gnome = Gnome(services, extension_path=path, interface=interface)
    gnome.window = CALCULATOR
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() is not None
        assert watcher.active_window().app == "org.gnome.Calculator"  # type: ignore[union-attr]


def test_gnome_extension_disabled_mid_session(services: Start, wayland_env: Callable[[str], None]):
    wayland_env("GNOME")
    gnome = Gnome(services)
    gnome.window = CALCULATOR
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() is not None

        def gone(body: tuple[object, ...]) -> tuple[str, tuple[object, ...]]:
            raise DBusFailure("org.freedesktop.DBus.Error.UnknownMethod", "No such interface")

        gnome.service.on(GNOME_PATH, GNOME_IFACE, "Get", gone)
        with pytest.raises(CollectorUnavailable, match="install the 'Focused Window D-Bus'"):
            watcher.active_window()


def test_gnome_report_and_module_run_alone(
    services: Start, wayland_env: Callable[[str], None], session_bus: str
):
    wayland_env("GNOME")
    gnome = Gnome(services)
    gnome.window = FIREFOX
    gnome.idle_ms = 2500
    rows = {name: (usable, detail) for name, usable, detail in backend_report()}
    usable, detail = rows["wayland"]
    assert usable, detail
    assert "GNOME on Wayland" in detail and "Focused Window D-Bus" in detail
    assert "idle via org.gnome.Mutter.IdleMonitor" in detail
    done = subprocess.run(
        [sys.executable, "-m", "desktop.collect.wayland", "--count", "2", "--interval", "0.1"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and "GNOME on Wayland" in lines[0]
    assert all("app='firefox'" in line and "idle     2.5s" in line for line in lines[1:])


# -- KDE Plasma -------------------------------------------------------------------------------


class KWin:
    """Fake KWin: loads scripts and, on run, calls the D-Bus target the script names, as the
    real script's `activated(workspace.activeWindow)` does on start."""

    def __init__(self, services: Start, session_bus: str, kwin5: bool = False) -> None:
        self.service = services("org.kde.KWin", "org.freedesktop.ScreenSaver")
        self.client = SessionBus(session_bus)
        self.loaded: dict[str, str] = {}
        self.script_text = ""
        self.active = ("4242", "org.kde.konsole", "konsole", "~ : bash — Konsole")
        self.idle_ms = 0
        scripting = ("/Scripting", "org.kde.kwin.Scripting")
        self.service.on(*scripting, "loadScript", self._load)
        self.service.on(*scripting, "unloadScript", self._unload)
        run_path = "/7" if kwin5 else "/Scripting/Script7"
        self.service.on(run_path, "org.kde.kwin.Script", "run", self._run)
        self.service.on("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver",
                        "GetSessionIdleTime", lambda body: ("u", (self.idle_ms,)))  # fmt: skip

    def _load(self, body: tuple[object, ...]) -> tuple[str, tuple[object, ...]]:
        path, plugin = str(body[0]), str(body[1])
        self.loaded[plugin] = path
        self.script_text = Path(path).read_text()
        return "i", (7,)

    def _unload(self, body: tuple[object, ...]) -> tuple[str, tuple[object, ...]]:
        return "b", (self.loaded.pop(str(body[0]), None) is not None,)

    def target(self) -> dict[str, str]:
        match = re.search(r"^var TARGET = (\{.*\});$", self.script_text, re.MULTILINE)
        assert match, self.script_text
        return json.loads(match.group(1))

    def activate(self, *window: str) -> None:
        """What the script does on windowActivated: call the collector's method."""
        t = self.target()
        self.client.call(t["service"], t["path"], t["interface"], t["method"], "ssss", window)

    def _run(self, body: tuple[object, ...]) -> tuple[None, tuple[object, ...]]:
        self.activate(*self.active)
        return None, ()


@pytest.mark.parametrize("kwin5", [False, True], ids=["kwin6", "kwin5"])
def test_kde_kwin_script_reports_focus(
    services: Start, wayland_env: Callable[[str], None], session_bus: str, kwin5: bool
):
    wayland_env("KDE")
    kwin = KWin(services, session_bus, kwin5=kwin5)
    kwin.idle_ms = 12_000
    watcher = open_watcher()
    try:
        assert watcher.name == "wayland"
        [(plugin, script_path)] = kwin.loaded.items()
        assert plugin.startswith("time-sculptor-focus-") and Path(script_path).exists()
        # Reported by the script as soon as KWin ran it, before any focus change.
        assert watcher.active_window() == WindowInfo(
            "org.kde.konsole", "~ : bash — Konsole", 4242, "konsole"
        )
        kwin.activate("777", "firefox", "navigator", "Mozilla Firefox")
        assert watcher.active_window() == WindowInfo("firefox", "Mozilla Firefox", 777, "navigator")
        kwin.activate("0", "", "", "")  # the desktop got the focus
        assert watcher.active_window() is None
        assert watcher.idle_seconds() == 12.0
        assert "KDE Plasma on Wayland; focus via a KWin script" in (
            watcher.capabilities().describe()  # type: ignore[attr-defined]
        )
    finally:
        watcher.close()
    assert kwin.loaded == {}, "the script must be unloaded on close"
    assert not Path(script_path).exists()


def test_kde_without_kwin_is_one_line(services: Start, wayland_env: Callable[[str], None]):
    wayland_env("KDE")
    with pytest.raises(CollectorUnavailable, match="^KDE Plasma on Wayland: KWin is not on"):
        open_watcher()


def _node_run(script: Path, api: str) -> dict[str, object]:
    harness = Path(__file__).with_name("kwin_harness.js")
    done = subprocess.run(
        ["node", str(harness), str(script), api], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("api", ["6", "5"])
def test_kwin_script_itself_under_node(tmp_path: Path, api: str):
    # The real script text, run with a stand-in `workspace` and `callDBus` (KWin 6 and 5 APIs).
    script = tmp_path / "focus.js"
    script.write_text(wl.kwin_script(":1.99"))
    result = _node_run(script, api)
    target = [":1.99", wl.FOCUS_PATH, wl.FOCUS_INTERFACE, "Focus"]
    assert result["calls"] == [
        target + ["11", "org.kde.konsole", "konsole", "~ : bash"],  # at start: the active one
        target + ["22", "firefox", "Navigator", "Firefox"],  # activated
        target + ["22", "firefox", "Navigator", "Firefox — new tab"],  # its title changed
        target + ["0", "", "", ""],  # nothing active
    ]
    assert result["konsoleCaptionListeners"] == 0  # no reports from a window no longer active


# -- Sway and Hyprland --------------------------------------------------------------------------


def _sway_tree(focused: str) -> dict[str, object]:
    """A `swaymsg -t get_tree` answer: one output, a tiled Wayland app and a floating X11 app."""
    foot = {"id": 5, "type": "con", "name": "~/src — foot", "app_id": "foot", "pid": 901,
            "focused": focused == "foot", "nodes": [], "floating_nodes": []}  # fmt: skip
    gimp = {"id": 6, "type": "floating_con", "name": "GNU Image Manipulation Program",
            "app_id": None, "pid": 902, "focused": focused == "gimp",
            "window_properties": {"class": "Gimp-2.10", "instance": "gimp-2.10",
                                  "title": "GNU Image Manipulation Program"},
            "nodes": [], "floating_nodes": []}  # fmt: skip
    workspace = {"id": 4, "type": "workspace", "name": "1", "focused": focused == "workspace",
                 "nodes": [foot], "floating_nodes": [gimp]}  # fmt: skip
    scratch = {"id": 2, "type": "output", "name": "__i3", "focused": False,
               "nodes": [{"id": 3, "type": "workspace", "name": "__i3_scratch", "focused": False,
                          "nodes": [], "floating_nodes": []}]}  # fmt: skip
    output = {"id": 1, "type": "output", "name": "eDP-1", "focused": False, "nodes": [workspace]}
    return {"id": 0, "type": "root", "name": "root", "focused": False, "nodes": [scratch, output]}


def test_sway_via_swaymsg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          wayland_env: Callable[[str], None]):  # fmt: skip
    wayland_env("sway")
    monkeypatch.setenv("SWAYSOCK", "/run/user/1000/sway-ipc.1000.1.sock")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    answer = tmp_path / "tree.json"
    answer.write_text(json.dumps(_sway_tree("foot")))
    fake_executable(tmp_path, "swaymsg", answer)
    monkeypatch.setenv("PATH", path_with(tmp_path))
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() == WindowInfo("foot", "~/src — foot", 901, "")
        answer.write_text(json.dumps(_sway_tree("gimp")))  # focus moved to the XWayland window
        assert watcher.active_window() == WindowInfo(
            "Gimp-2.10", "GNU Image Manipulation Program", 902, "gimp-2.10"
        )
        answer.write_text(json.dumps(_sway_tree("workspace")))  # an empty spot has the focus
        assert watcher.active_window() is None
        assert watcher.idle_seconds() == 0.0
        detail = watcher.capabilities().describe()
        assert detail.startswith("Sway on Wayland; focus via swaymsg -t get_tree")
        missing = "idle unavailable (no Wayland connection for ext-idle-notify-v1: cannot connect"
        assert missing in detail


def test_sway_ipc_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      wayland_env: Callable[[str], None],
                                      runtime_dir: Path):  # fmt: skip
    wayland_env("sway")
    monkeypatch.setenv("SWAYSOCK", "/nonexistent.sock")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    empty = tmp_path / "empty"
    empty.write_text("")
    fake_executable(tmp_path, "swaymsg", empty, exit_code=1,
                    stderr="Unable to connect to /nonexistent.sock")  # fmt: skip
    monkeypatch.setenv("PATH", path_with(tmp_path))
    with pytest.raises(CollectorUnavailable) as caught:
        open_watcher()
    assert str(caught.value) == (
        "Sway on Wayland: swaymsg -t get_tree -r failed (exit 1): "
        "Unable to connect to /nonexistent.sock; and no wlr-foreign-toplevel-management: cannot "
        f"connect to the Wayland socket {runtime_dir}/wayland-test: No such file or directory"
    )


def test_hyprland_via_hyprctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              wayland_env: Callable[[str], None]):  # fmt: skip
    wayland_env("Hyprland")
    monkeypatch.setenv("HYPRLAND_INSTANCE_SIGNATURE", "v0.41_1718000000_abc")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    answer = tmp_path / "active.json"
    # Recorded shape of `hyprctl activewindow -j`.
    answer.write_text(json.dumps({
        "address": "0x5a3c1e0", "mapped": True, "hidden": False, "at": [10, 40],
        "size": [1900, 1030], "workspace": {"id": 2, "name": "2"}, "floating": False,
        "monitor": 0, "class": "org.telegram.desktop", "title": "Telegram (3)",
        "initialClass": "org.telegram.desktop", "initialTitle": "Telegram", "pid": 3131,
        "xwayland": False, "pinned": False, "fullscreen": False,
    }))  # fmt: skip
    fake_executable(tmp_path, "hyprctl", answer)
    monkeypatch.setenv("PATH", path_with(tmp_path))
    watcher = open_watcher()
    try:
        assert watcher.active_window() == WindowInfo(
            "org.telegram.desktop", "Telegram (3)", 3131, "org.telegram.desktop"
        )
        answer.write_text("{}")  # nothing focused
        assert watcher.active_window() is None
    finally:
        watcher.close()


def test_unknown_wayland_desktop_is_one_line(session_bus: str, wayland_env: Callable[[str], None]):
    wayland_env("Wayfire")
    with pytest.raises(CollectorUnavailable) as caught:
        open_watcher()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Wayland session (wayland-test, desktop 'Wayfire')")
    assert "GNOME" in message and "KDE Plasma" in message and "Sway" in message


# -- Sway, Hyprland and others over the Wayland protocol ------------------------------------------

FOOT = Toplevel("foot", "~/src — foot", (ACTIVATED,))
Compositor = Callable[..., FakeCompositor]


def _no_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH without swaymsg/hyprctl, and no session D-Bus: only the Wayland socket answers."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


def test_sway_over_the_wayland_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        wayland_env: Callable[[str], None],
                                        compositor: Compositor,
                                        capsys: pytest.CaptureFixture[str]):  # fmt: skip
    wayland_env("sway")
    monkeypatch.setenv("SWAYSOCK", "/run/user/1000/sway-ipc.1000.1.sock")
    _no_commands(tmp_path, monkeypatch)
    fake = compositor(toplevels=[FOOT, Toplevel("firefox", "Mozilla Firefox")])
    watcher = open_watcher()
    try:
        assert watcher.active_window() == WindowInfo("foot", "~/src — foot")
        fake.update(fake.handle_of("foot"), states=[])
        fake.update(fake.handle_of("firefox"), states=[ACTIVATED])
        wait_until(lambda: watcher.active_window() == WindowInfo("firefox", "Mozilla Firefox"),
                   "the focus change")  # fmt: skip
        assert watcher.idle_seconds() == 0.0
        fake.idled()
        wait_until(lambda: watcher.idle_seconds() >= 1.0, "idle to grow after idled")
        fake.resumed()
        wait_until(lambda: watcher.idle_seconds() == 0.0, "idle to drop after resumed")
        assert watcher.capabilities().describe() == (  # type: ignore[attr-defined]
            "Sway on Wayland; focus via wlr-foreign-toplevel-management (Wayland protocol); "
            "idle via ext-idle-notify-v1 (input only)"
        )
    finally:
        watcher.close()
    wait_until(fake.client.closed.is_set, "the watcher to hang up")
    rows = {name: (usable, detail) for name, usable, detail in backend_report()}
    assert rows["wayland"] == (True, (
        "Sway on Wayland; focus via wlr-foreign-toplevel-management (Wayland protocol); "
        "idle via ext-idle-notify-v1 (input only)"))  # fmt: skip
    capsys.readouterr()
    cli.main(["--data-dir", str(tmp_path / "data"), "doctor"])
    assert (
        "collector    : wayland  ok   Sway on Wayland; focus via wlr-foreign-toplevel-management"
        in capsys.readouterr().out
    )


def test_sway_run_alone_prints_what_the_protocol_says(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      wayland_env: Callable[[str], None],
                                                      compositor: Compositor):  # fmt: skip
    wayland_env("sway")
    monkeypatch.setenv("SWAYSOCK", "/run/user/1000/sway-ipc.1000.1.sock")
    _no_commands(tmp_path, monkeypatch)
    compositor(toplevels=[FOOT])
    done = subprocess.run(
        [sys.executable, "-m", "desktop.collect.wayland", "--count", "2", "--interval", "0.1"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and "focus via wlr-foreign-toplevel-management" in lines[0]
    assert all("app='foot'" in line and "title='~/src — foot'" in line for line in lines[1:])


def test_compositor_without_idle_notify_says_what_to_do(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       wayland_env: Callable[[str], None],
                                                       compositor: Compositor):  # fmt: skip
    wayland_env("Hyprland")
    monkeypatch.setenv("HYPRLAND_INSTANCE_SIGNATURE", "v0.41_1718000000_abc")
    _no_commands(tmp_path, monkeypatch)
    compositor(
        globals_=[g for g in DEFAULT_GLOBALS if g[0] != "ext_idle_notifier_v1"], toplevels=[FOOT]
    )
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() == WindowInfo("foot", "~/src — foot")
        assert watcher.idle_seconds() == 0.0
        assert watcher.capabilities().describe() == (
            "Hyprland on Wayland; focus via wlr-foreign-toplevel-management (Wayland protocol); "
            "idle unavailable (the compositor does not offer ext-idle-notify-v1: update it "
            "(Sway 1.8+, a current Hyprland, KDE Plasma 6 have it); and no session D-Bus; idle "
            "reads 0, away time is not seen)"
        )


def test_compositor_with_neither_protocol_falls_back_to_swaymsg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wayland_env: Callable[[str], None],
    compositor: Compositor,
):  # fmt: skip
    wayland_env("sway")
    monkeypatch.setenv("SWAYSOCK", "/run/user/1000/sway-ipc.1000.1.sock")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    fake = compositor(globals_=[("wl_compositor", 6), ("wl_seat", 9)])
    answer = tmp_path / "tree.json"
    answer.write_text(json.dumps(_sway_tree("foot")))
    fake_executable(tmp_path, "swaymsg", answer)
    monkeypatch.setenv("PATH", path_with(tmp_path))
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() == WindowInfo("foot", "~/src — foot", 901, "")
        detail = watcher.capabilities().describe()
        assert detail.startswith("Sway on Wayland; focus via swaymsg -t get_tree")
        assert "idle unavailable (the compositor does not offer ext-idle-notify-v1" in detail
    # The unused Wayland connection is not kept open.
    wait_until(lambda: all(client.closed.is_set() for client in fake.clients), "hang-up")


def test_neither_protocol_nor_cli_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              wayland_env: Callable[[str], None],
                                              compositor: Compositor):  # fmt: skip
    wayland_env("Hyprland")
    monkeypatch.setenv("HYPRLAND_INSTANCE_SIGNATURE", "v0.41_1718000000_abc")
    _no_commands(tmp_path, monkeypatch)
    compositor(globals_=[("wl_compositor", 6), ("wl_seat", 9)])
    with pytest.raises(CollectorUnavailable) as caught:
        open_watcher()
    assert str(caught.value) == (
        "Hyprland on Wayland: hyprctl is not on PATH (it comes with Hyprland; is this a Hyprland "
        "session?); and no wlr-foreign-toplevel-management: the compositor does not offer it"
    )


def test_garbage_from_the_compositor_while_opening_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wayland_env: Callable[[str], None],
    compositor: Compositor,
):  # fmt: skip
    wayland_env("sway")
    monkeypatch.setenv("SWAYSOCK", "/run/user/1000/sway-ipc.1000.1.sock")
    _no_commands(tmp_path, monkeypatch)
    compositor(on_get_registry=word(2) + word(4 << 16))
    with pytest.raises(CollectorUnavailable) as caught:
        wl.open_wayland_watcher(timeout_s=1.0)
    assert str(caught.value) == (
        "Sway on Wayland: swaymsg is not on PATH (it comes with Sway; is this a Sway session?); "
        "and no wlr-foreign-toplevel-management: malformed message header (size 4, object 2)"
    )


def test_other_wlroots_compositor_by_its_protocol(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  wayland_env: Callable[[str], None],
                                                  compositor: Compositor):  # fmt: skip
    wayland_env("Wayfire")
    _no_commands(tmp_path, monkeypatch)
    compositor(toplevels=[FOOT])
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() == WindowInfo("foot", "~/src — foot")
        assert (
            watcher.capabilities()
            .describe()
            .startswith("Wayfire on Wayland; focus via wlr-foreign-toplevel-management")
        )


def test_kde_prefers_idle_notify_to_the_screensaver(
    services: Start, wayland_env: Callable[[str], None], session_bus: str,
    compositor: Compositor,
):  # fmt: skip
    wayland_env("KDE")
    kwin = KWin(services, session_bus)
    kwin.idle_ms = 12_000  # what the ScreenSaver would say; the Wayland protocol wins
    fake = compositor(globals_=[("wl_seat", 9), ("ext_idle_notifier_v1", 2)])
    with wl.open_wayland_watcher() as watcher:
        assert watcher.active_window() == WindowInfo(
            "org.kde.konsole", "~ : bash — Konsole", 4242, "konsole"
        )
        assert watcher.idle_seconds() == 0.0
        fake.idled()
        wait_until(lambda: watcher.idle_seconds() >= 1.0, "idled")
        detail = watcher.capabilities().describe()
        assert detail.endswith("idle via ext-idle-notify-v1 (input only)")


# -- each compositor family's module, run alone -------------------------------------------------


def _run_alone(module: str) -> list[str]:
    """Run `python -m <module>` for two samples; return its lines (it must say nothing else)."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--count", "2", "--interval", "0.1"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "found in sys.modules" warning: the module is imported once
    return done.stdout.splitlines()


def test_gnome_module_run_alone(services: Start, wayland_env: Callable[[str], None]):
    wayland_env("GNOME")
    gnome = Gnome(services)
    gnome.window = FIREFOX
    gnome.idle_ms = 2500
    lines = _run_alone("desktop.collect.wayland.gnome")
    assert lines[0] == (
        "wayland.gnome: GNOME on Wayland; focus via the 'Focused Window D-Bus' GNOME Shell "
        "extension; idle via org.gnome.Mutter.IdleMonitor"
    )
    assert len(lines) == 3
    assert all("app='firefox'" in line and "idle     2.5s" in line for line in lines[1:])


def test_kwin_module_run_alone(
    services: Start, wayland_env: Callable[[str], None], session_bus: str
):
    wayland_env("KDE")
    kwin = KWin(services, session_bus)
    kwin.idle_ms = 12_000
    lines = _run_alone("desktop.collect.wayland.kwin")
    assert lines[0] == (
        "wayland.kwin: KDE Plasma on Wayland; focus via a KWin script reporting over D-Bus; "
        "idle via org.freedesktop.ScreenSaver"
    )
    assert len(lines) == 3
    assert all("app='org.kde.konsole'" in line and "idle    12.0s" in line for line in lines[1:])
    assert kwin.loaded == {}, "the script must be unloaded when the run ends"


def test_kwin_module_run_alone_without_kwin_is_one_line(
    services: Start, wayland_env: Callable[[str], None]
):
    wayland_env("KDE")
    done = subprocess.run(
        [sys.executable, "-m", "desktop.collect.wayland.kwin", "--count", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "wayland.kwin: KDE Plasma on Wayland: KWin is not on the session bus\n"


def test_wlroots_module_run_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  wayland_env: Callable[[str], None],
                                  compositor: Compositor):  # fmt: skip
    wayland_env("river")
    _no_commands(tmp_path, monkeypatch)
    compositor(toplevels=[FOOT])
    lines = _run_alone("desktop.collect.wayland.wlroots")
    assert lines[0] == (
        "wayland.wlroots: river on Wayland; focus via wlr-foreign-toplevel-management (Wayland "
        "protocol); idle via ext-idle-notify-v1 (input only)"
    )
    assert len(lines) == 3
    assert all("app='foot'" in line and "title='~/src — foot'" in line for line in lines[1:])
