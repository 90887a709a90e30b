"""The Wayland protocol client against a real compositor: headless sway with real foot windows.

Skipped where sway or foot is not installed (`apt-get install sway foot`). Sway refuses to run
as root, so under root the compositor and its clients run as `nobody`. What the collector reads
through wlr-foreign-toplevel-management is compared with what sway's own IPC says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.collect import WindowInfo
from desktop.collect import wayland as wl
from tests.desktop.collect.wayland.fakewayland import wait_until

# CI installs sway and foot (scripts/test.sh); there a missing compositor fails instead of skipping.
pytestmark = pytest.mark.skipif(
    (shutil.which("sway") is None or shutil.which("foot") is None) and not os.environ.get("CI"),
    reason="sway and foot are not installed (apt-get install sway foot)",
)


class Sway:
    """A headless sway in a runtime directory of its own."""

    def __init__(self, runtime: Path) -> None:
        self.runtime = runtime
        self._procs: list[subprocess.Popen[bytes]] = []
        config = runtime.parent / "config"
        config.write_text("output HEADLESS-1 resolution 800x600\n")
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(runtime.parent, "nobody")
            shutil.chown(runtime, "nobody")
            shutil.chown(config, "nobody")
            self._prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(runtime.parent),
            "XDG_RUNTIME_DIR": str(runtime),
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
        }
        self._start(["sway", "-c", str(config)], "sway.log")
        wait_until(lambda: self.display is not None and self.swaysock is not None, "sway's sockets",
                   timeout_s=15)  # fmt: skip
        self.env["WAYLAND_DISPLAY"] = str(self.display)

    @property
    def display(self) -> str | None:
        names = sorted(p.name for p in self.runtime.glob("wayland-*") if p.suffix != ".lock")
        return names[0] if names else None

    @property
    def swaysock(self) -> str | None:
        socks = sorted(self.runtime.glob("sway-ipc.*.sock"))
        return str(socks[0]) if socks else None

    def _start(self, command: list[str], log: str) -> None:
        with open(self.runtime.parent / log, "wb") as out:
            self._procs.append(
                subprocess.Popen(self._prefix + command, env=self.env, stdout=out, stderr=out)
            )

    def foot(self, app_id: str, title: str) -> None:
        """Open a foot window (running `sleep`, as `nobody` has no login shell)."""
        self._start(["foot", "-a", app_id, "-T", title, "sleep", "120"], f"{app_id}.log")
        wait_until(lambda: app_id in json.dumps(self.tree()), f"{app_id} to map", timeout_s=15)

    def msg(self, *command: str) -> str:
        done = subprocess.run(["swaymsg", "-s", str(self.swaysock), *command],
                              capture_output=True, text=True, timeout=10)  # fmt: skip
        assert done.returncode == 0, done.stderr or done.stdout
        return done.stdout

    def tree(self) -> dict[str, object]:
        return json.loads(self.msg("-t", "get_tree", "-r"))  # type: ignore[no-any-return]

    def close(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def sway() -> Iterator[Sway]:
    base = Path(tempfile.mkdtemp(prefix="ts-sway-"))
    runtime = base / "xdg"
    runtime.mkdir(mode=0o700)
    compositor = Sway(runtime)
    try:
        yield compositor
    finally:
        compositor.close()
        shutil.rmtree(base, ignore_errors=True)


def test_real_sway_toplevels_match_its_ipc(sway: Sway):
    sway.foot("first-foot", "first window")
    sway.foot("second-foot", "second window")
    environ = {
        "XDG_RUNTIME_DIR": str(sway.runtime),
        "WAYLAND_DISPLAY": str(sway.display),
        "SWAYSOCK": str(sway.swaysock),
        "XDG_CURRENT_DESKTOP": "sway",
        "PATH": "/nonexistent",  # no swaymsg: the protocol alone
    }
    with wl.open_wayland_watcher(environ) as watcher:
        assert "focus via wlr-foreign-toplevel-management" in watcher.capabilities().describe()
        ipc = wl.sway_focused(sway.tree())
        assert ipc is not None and ipc.app == "second-foot"
        assert watcher.active_window() == WindowInfo(ipc.app, ipc.title)

        sway.msg('[app_id="first-foot"] focus')
        wait_until(lambda: watcher.active_window() == WindowInfo("first-foot", "first window"),
                   "the focus change")  # fmt: skip
        sway.msg("fullscreen enable")
        wait_until(lambda: watcher.active_window() == WindowInfo(
            "first-foot", "first window", fullscreen=True), "fullscreen")  # fmt: skip
        sway.msg("fullscreen disable")
        sway.msg('[app_id="first-foot"] kill')
        wait_until(lambda: watcher.active_window() == WindowInfo("second-foot", "second window"),
                   "the other window to take the focus")  # fmt: skip
        started = time.monotonic()
        watcher.idle_seconds()
        assert time.monotonic() - started < 0.1
