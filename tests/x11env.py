"""A real X session for tests: Xvfb + openbox, client windows in separate processes, real input.

Also runnable as a script (``python tests/x11env.py window --display :N ...``): that is how
`spawn_window` starts each test window in a process of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_TIMEOUT_S = 10.0
_POLL_S = 0.01

# Deterministic focus behaviour whatever the developer's own ~/.config/openbox says.
_OPENBOX_RC = """<?xml version="1.0" encoding="UTF-8"?>
<openbox_config xmlns="http://openbox.org/3.4/rc">
  <focus><focusNew>yes</focusNew><followMouse>no</followMouse></focus>
  <desktops><number>1</number></desktops>
</openbox_config>
"""


def x_available() -> str | None:
    """Return why a real X session cannot be run here, or None if it can."""
    missing = [tool for tool in ("Xvfb", "openbox", "xdotool") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not on PATH (apt-get install xvfb openbox xdotool)"
    try:
        import Xlib  # noqa: F401
    except ImportError:
        return "python-xlib is not installed (pip install python-xlib)"
    return None


@contextlib.contextmanager
def _connect(display: str) -> Iterator[Any]:
    from Xlib.display import Display

    d = Display(display)
    try:
        yield d
    finally:
        d.close()


def _wait_until(what: str, check: Callable[[], bool], timeout: float = _TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(_POLL_S)


def _root_windows(d: Any, name: str) -> list[int]:
    from Xlib import Xatom

    prop = d.screen().root.get_full_property(d.intern_atom(name), Xatom.WINDOW)
    return [int(w) for w in prop.value] if prop is not None else []


def _stop(proc: subprocess.Popen[Any] | None, timeout: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class XServer:
    """Context manager running Xvfb (on a free display) and, unless wm=False, openbox on it."""

    def __init__(self, wm: bool = True, screen: str = "1280x800x24") -> None:
        self.wm = wm
        self.screen = screen
        self.display = ""
        self.env: dict[str, str] = {}
        self._xvfb: subprocess.Popen[bytes] | None = None
        self._openbox: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> XServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start Xvfb, wait until it accepts connections, then start the WM and wait for it."""
        self._tmp = tempfile.TemporaryDirectory(prefix="ts-x11-")
        tmp = Path(self._tmp.name)
        # -displayfd makes Xvfb pick a free display itself and report it once it accepts
        # connections: no race with other servers (or other test runs) choosing the same :N.
        read_fd, write_fd = os.pipe()
        try:
            self._xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", self.screen]
                + ["-nolisten", "tcp", "-noreset"],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=(tmp / "xvfb.log").open("wb"),
                start_new_session=True,  # a ^C in the test run must not hit the server first
            )
        finally:
            os.close(write_fd)
        try:
            number = self._read_display_number(read_fd, tmp / "xvfb.log")
        finally:
            os.close(read_fd)
        self.display = f":{number}"
        self.env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        self.env["DISPLAY"] = self.display
        with _connect(self.display):
            pass
        if self.wm:
            self._start_openbox(tmp)

    def _read_display_number(self, fd: int, log: Path) -> int:
        assert self._xvfb is not None
        data = b""
        deadline = time.monotonic() + _TIMEOUT_S
        while not data.endswith(b"\n"):
            if self._xvfb.poll() is not None:
                raise RuntimeError(f"Xvfb exited ({self._xvfb.returncode}): {_tail(log)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"Xvfb did not report a display: {_tail(log)}")
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 64)
                if not chunk:
                    continue  # closed; poll() above reports the exit
                data += chunk
        return int(data.strip())

    def _start_openbox(self, tmp: Path) -> None:
        rc = tmp / "rc.xml"
        rc.write_text(_OPENBOX_RC)
        log = tmp / "openbox.log"
        env = {**self.env, "XDG_CONFIG_HOME": str(tmp / "config")}
        self._openbox = subprocess.Popen(
            ["openbox", "--sm-disable", "--config-file", str(rc)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            start_new_session=True,
        )
        openbox = self._openbox
        with _connect(self.display) as d:

            def wm_ready() -> bool:
                if openbox.poll() is not None:
                    raise RuntimeError(f"openbox exited ({openbox.returncode}): {_tail(log)}")
                return bool(_root_windows(d, "_NET_SUPPORTING_WM_CHECK"))

            _wait_until("openbox to set _NET_SUPPORTING_WM_CHECK", wm_ready)

    def stop(self) -> None:
        """Terminate the WM, then the server (idempotent)."""
        _stop(self._openbox)
        _stop(self._xvfb)
        self._openbox = self._xvfb = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _tail(path: Path, limit: int = 400) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return "(no log)"
    return " | ".join(text[-limit:].splitlines()) or "(empty log)"


class TestWindow:
    """A real top-level window owned by a separate process; `close()` ends that process."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, display: str, proc: subprocess.Popen[bytes], window_id: int, child_id: int):
        self.display = display
        self.window_id = window_id
        self.child_id = child_id  # an input-only subwindow, for focus-walk tests
        self.pid = proc.pid
        self._proc = proc

    def close(self, wait: bool = True) -> None:
        """End the owning process; with wait, return once the server has destroyed the window."""
        _stop(self._proc)
        if wait:
            from Xlib import error as xerror

            with _connect(self.display) as d:
                window = d.create_resource_object("window", self.window_id)

                def gone() -> bool:
                    try:
                        window.get_attributes()
                    except xerror.BadWindow:
                        return True
                    return False

                _wait_until(f"window {self.window_id:#x} to be destroyed", gone)

    def __repr__(self) -> str:
        return f"TestWindow({self.window_id:#x}, pid={self.pid})"


def spawn_window(
    display: str,
    wm_class: tuple[str, str] = ("instance", "Class"),
    title: str = "test window",
    *,
    net_wm_name: bool = True,
    net_wm_pid: bool = True,
) -> TestWindow:
    """Start a process owning one mapped top-level window; return once the WM manages it."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "window", "--display", display]
    cmd += ["--instance", wm_class[0], "--class", wm_class[1], "--title", title]
    if not net_wm_name:
        cmd.append("--no-net-wm-name")
    if not net_wm_pid:
        cmd.append("--no-net-wm-pid")
    env = {**os.environ, "DISPLAY": display}
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        line = _read_line(proc)
        window_id, child_id = (int(x) for x in line.split())
        with _connect(display) as d:
            from Xlib import X

            window = d.create_resource_object("window", window_id)
            managed = bool(_root_windows(d, "_NET_SUPPORTING_WM_CHECK"))

            def ready() -> bool:
                if window.get_attributes().map_state != X.IsViewable:
                    return False
                return not managed or window_id in _root_windows(d, "_NET_CLIENT_LIST")

            _wait_until(f"window {window_id:#x} to be mapped and managed", ready)
    except BaseException:
        _stop(proc)
        raise
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()
    return TestWindow(display, proc, window_id, child_id)


def _read_line(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stdout is not None and proc.stderr is not None
    fd = proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + _TIMEOUT_S
    while not data.endswith(b"\n"):
        if time.monotonic() > deadline:
            raise TimeoutError("test window process did not report its window id")
        ready, _, _ = select.select([fd], [], [], 0.1)
        chunk = os.read(fd, 256) if ready else b""
        if ready and not chunk:
            proc.wait(5)
            err = proc.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"test window process exited ({proc.returncode}): {err}")
        data += chunk
    return data.decode()


def focus(display: str, window_id: int, timeout: float = _TIMEOUT_S) -> None:
    """Activate the window through the WM (as a pager would); return once the WM reports it."""
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(
        ["xdotool", "windowactivate", "--sync", str(window_id)],
        env=env,
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    with _connect(display) as d:
        _wait_until(
            f"_NET_ACTIVE_WINDOW to become {window_id:#x}",
            lambda: _root_windows(d, "_NET_ACTIVE_WINDOW")[:1] == [window_id],
            timeout,
        )


def set_input_focus(display: str, window_id: int) -> None:
    """Give the X input focus to a window directly (what focus means without an EWMH WM)."""
    from Xlib import X

    with _connect(display) as d:
        d.set_input_focus(window_id, X.RevertToParent, X.CurrentTime)
        d.sync()


def poke_input(display: str) -> None:
    """Send real (XTEST) pointer motion so the server's idle time restarts from zero."""
    env = {**os.environ, "DISPLAY": display}
    # Move away and back: a "move" to where the pointer already is is no input at all.
    subprocess.run(
        ["xdotool", "mousemove_relative", "1", "1", "mousemove_relative", "--", "-1", "-1"],
        env=env,
        check=True,
        capture_output=True,
        timeout=_TIMEOUT_S,
    )


# -- the test window process -------------------------------------------------------------------


def _window_main(args: argparse.Namespace) -> int:
    from Xlib import X, Xatom, Xutil
    from Xlib.display import Display

    d = Display(args.display)
    screen = d.screen()
    window = screen.root.create_window(
        20, 20, 320, 200, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=screen.white_pixel, event_mask=X.StructureNotifyMask,
    )  # fmt: skip
    window.set_wm_class(args.instance, args.cls)
    # WM_NAME is ICCCM STRING (Latin-1); _NET_WM_NAME carries the full UTF-8 title.
    window.change_property(Xatom.WM_NAME, Xatom.STRING, 8, args.title.encode("latin-1", "replace"))
    if args.net_wm_name:
        utf8 = d.intern_atom("UTF8_STRING")
        window.change_property(d.intern_atom("_NET_WM_NAME"), utf8, 8, args.title.encode())
    if args.net_wm_pid:
        window.change_property(d.intern_atom("_NET_WM_PID"), Xatom.CARDINAL, 32, [os.getpid()])
    window.set_wm_hints(flags=Xutil.InputHint, input=1)
    # A focusable child, as toolkits use: the no-EWMH fallback must walk up from it.
    child = window.create_window(
        0, 0, 100, 100, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=screen.black_pixel,
    )  # fmt: skip
    child.map()
    window.map()
    while True:
        event = d.next_event()
        if event.type == X.MapNotify and event.window.id == window.id:
            break
    sys.stdout.write(f"{window.id} {child.id}\n")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:  # keep the connection (and so the window) alive until terminated
        d.next_event()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the helper process; returns the exit status."""
    parser = argparse.ArgumentParser(prog="x11env")
    sub = parser.add_subparsers(dest="command", required=True)
    win = sub.add_parser("window", help="own one top-level window until terminated")
    win.add_argument("--display", required=True)
    win.add_argument("--instance", required=True)
    win.add_argument("--class", dest="cls", required=True)
    win.add_argument("--title", default="")
    win.add_argument("--no-net-wm-name", dest="net_wm_name", action="store_false")
    win.add_argument("--no-net-wm-pid", dest="net_wm_pid", action="store_false")
    args = parser.parse_args(argv)
    return _window_main(args)


if __name__ == "__main__":
    sys.exit(main())
