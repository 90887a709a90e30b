"""What a desktop needs for the tray app, checked without starting Qt in this process.

- Qt's system libraries: Qt aborts the whole process (exit 134) when its platform plugin cannot
  load, e.g. without libxcb-cursor0. The plugin's linked libraries are read with `ldd` first,
  so `run` and `doctor` can name the missing one and its package instead.
- The system tray and Qt's platform are probed in a child process (`time-sculptor
  _probe-desktop`), so that even an abort there leaves `doctor` standing.
- The notification server (org.freedesktop.Notifications) and whether it supports actions.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROBE_COMMAND = "_probe-desktop"
# Libraries Qt's xcb plugin needs that a minimal desktop install may lack, by Debian package.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_UNREADABLE = re.compile(r"error while loading shared libraries: (?:\S*/)?([^/:\s]+): (.+)$")


def debian_package(library: str) -> str:
    """Return the Debian/Ubuntu package that ships a shared library (by its soname)."""
    if library in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[library]
    match = re.match(r"^(lib[\w.+-]*?)\.so\.(\d+)", library)
    if not match:
        return library
    name, major = match.group(1).lower(), match.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def _plugin_dirs() -> list[Path]:
    """Return where Qt looks for its platform plugins: the override first, then PySide6's."""
    dirs = []
    override = os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if override:
        dirs.append(Path(override))
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        dirs.append(Path(location) / "Qt" / "plugins" / "platforms")
    return [d for d in dirs if d.is_dir()]


def qt_platforms(environ: dict[str, str] | None = None) -> list[str]:
    """Return the Qt platform plugins Qt would try on this session, in its order."""
    env = os.environ if environ is None else environ
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [name.split(":")[0] for name in chosen.split(";") if name.strip()]
    names = []
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        names.append("wayland")
    if env.get("DISPLAY"):
        names.append("xcb")
    return names


def missing_libraries(plugin: Path) -> list[str]:
    """Return the shared libraries a plugin needs that the system cannot load (via ldd)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        result = subprocess.run(
            [ldd, str(plugin)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    output = result.stdout + result.stderr
    missing = _NOT_FOUND.findall(output)
    missing += [m.group(1) for m in map(_UNREADABLE.search, output.splitlines()) if m]
    return list(dict.fromkeys(missing))


@dataclass(frozen=True)
class QtLibraries:
    """What Qt's platform plugin for this session needs and lacks."""

    platform: str
    plugin: Path | None
    missing: tuple[str, ...]

    def line(self) -> str:
        """Return one line naming what is missing and the packages that bring it."""
        if self.plugin is None:
            return f"Qt has no {self.platform!r} platform plugin here"
        packages = " ".join(dict.fromkeys(debian_package(lib) for lib in self.missing))
        return (
            f"Qt's {self.platform} platform cannot load: {', '.join(self.missing)} "
            f"{'is' if len(self.missing) == 1 else 'are'} missing "
            f"(Debian/Ubuntu: sudo apt install {packages})"
        )


def qt_library_check(environ: dict[str, str] | None = None) -> list[QtLibraries]:
    """Return, for each platform Qt would try here, its plugin and the libraries it lacks."""
    if not sys.platform.startswith("linux"):
        return []
    dirs = _plugin_dirs()
    checks = []
    for platform in qt_platforms(environ):
        plugins = [d / f"libq{platform}.so" for d in dirs if (d / f"libq{platform}.so").is_file()]
        if not plugins:
            checks.append(QtLibraries(platform, None, ()))
            continue
        # Qt falls back from the override folder to its own: one good plugin is enough.
        results = [QtLibraries(platform, p, tuple(missing_libraries(p))) for p in plugins]
        checks.append(next((r for r in results if not r.missing), results[-1]))
    return checks


def qt_problem(environ: dict[str, str] | None = None) -> str | None:
    """Return one line when no platform Qt would try here can load (Qt would abort), else None."""
    checks = qt_library_check(environ)
    if not checks or any(c.plugin is not None and not c.missing for c in checks):
        return None
    broken = next((c for c in checks if c.missing), checks[0])
    return broken.line()


def tray_hint(environ: dict[str, str] | None = None) -> str:
    """Return how to get a system tray on this desktop, in one sentence."""
    env = os.environ if environ is None else environ
    desktop = env.get("XDG_CURRENT_DESKTOP", "")
    if "gnome" in desktop.lower() or "ubuntu" in desktop.lower():
        return (
            "GNOME shows tray icons only with the AppIndicator extension: install "
            "gnome-shell-extension-appindicator (Debian/Ubuntu/Fedora; Arch: "
            "gnome-shell-extension-appindicator), then enable it in Extensions and log in again"
        )
    where = f" ({desktop})" if desktop else ""
    return (
        f"this desktop{where} shows no system tray: add a tray or notification-area applet to "
        "its panel, or run a stand-alone tray such as stalonetray"
    )


def self_command() -> list[str]:
    """Return the command that runs this app again (the frozen bundle or the module)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "desktop"]


@dataclass(frozen=True)
class DesktopProbe:
    """What a child Qt process saw: its platform and whether a tray exists; or why it failed."""

    platform: str | None
    tray: bool | None
    error: str | None = None


def probe_desktop(timeout_s: float = 20.0) -> DesktopProbe:
    """Start Qt in a child process and return what it saw (an abort there is a finding)."""
    try:
        result = subprocess.run(
            [*self_command(), PROBE_COMMAND],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return DesktopProbe(None, None, f"Qt did not start within {timeout_s:.0f} s")
    except OSError as exc:
        return DesktopProbe(None, None, str(exc))
    for line in reversed(result.stdout.splitlines()):
        try:
            seen = json.loads(line)
        except ValueError:
            continue
        return DesktopProbe(seen.get("platform"), seen.get("tray"))
    last = next(
        (x.strip() for x in reversed(result.stderr.splitlines()) if x.strip()),
        "no output",
    )
    return DesktopProbe(None, None, f"Qt failed to start (exit {result.returncode}): {last}")


def notification_report() -> tuple[bool, str]:
    """Return (usable with actions, one line) for this session's notification server."""
    if not sys.platform.startswith(("linux", "freebsd")):
        return True, "the platform's own notification centre"
    from desktop.notify.base import NotifyUnavailable
    from desktop.notify.freedesktop import FreedesktopBackend

    backend = FreedesktopBackend()
    try:
        backend.start(lambda response: None)
    except NotifyUnavailable as exc:
        if backend.capabilities:  # a server that answered but has no buttons
            return False, (
                "the server shows no buttons (no 'actions' capability): suggestions open the "
                "app's own small window instead"
            )
        return False, f"none ({exc}): suggestions open the app's own small window instead"
    server = backend.server or "a notification server"
    backend.stop()
    return True, f"{server}, with buttons (actions)"
