"""A private D-Bus daemon for tests, and fake services exported on it with jeepney.

The code under test talks to a real dbus-daemon over a real socket; only the services on the
other side (GNOME Shell, Mutter, KWin, MPRIS players) are stand-ins that answer the same
interfaces.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jeepney import MessageFlag, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.low_level import HeaderFields

# No <servicedir>: nothing of the host's is ever activated on this bus.
_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

PROPERTIES = "org.freedesktop.DBus.Properties"
Handler = Callable[[tuple[Any, ...]], tuple[str | None, tuple[Any, ...]]]


def dbus_available() -> str | None:
    """Return why a private bus cannot be started here, or None if it can."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon not on PATH (apt-get install dbus-daemon)"
    return None


class PrivateBus:
    """A dbus-daemon of the test's own, on a socket in a temporary directory."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ts-dbus-")
        config = Path(self._tmp.name) / "bus.conf"
        config.write_text(_CONFIG.format(dir=self._tmp.name))
        self._proc = subprocess.Popen(
            ["dbus-daemon", "--nofork", "--print-address", "--config-file", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], 10)
        if not ready:
            self.close()
            raise TimeoutError("dbus-daemon did not print its address")
        self.address = self._proc.stdout.readline().decode().strip()
        if not self.address:
            err = self._proc.stderr.read().decode() if self._proc.stderr else ""
            self.close()
            raise RuntimeError(f"dbus-daemon failed: {err}")

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(5)
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        self._tmp.cleanup()


class DBusFailure(Exception):
    """Raised by a handler to answer with a D-Bus error of this name."""

    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(text)
        self.name = name
        self.text = text


class FakeService:
    """Owns bus names and answers calls from `handlers[(path, interface, member)]` in a thread.

    Properties are served from `properties[(path, interface, name)] = (signature, value)`.
    Every call is recorded in `calls` as (path, interface, member, body).
    """

    def __init__(self, address: str, *names: str) -> None:
        self.address = address
        self.handlers: dict[tuple[str, str, str], Handler] = {}
        self.properties: dict[tuple[str, str, str], tuple[str, Any]] = {}
        self.calls: list[tuple[str, str, str, tuple[Any, ...]]] = []
        self._conn = open_dbus_connection(bus=address)
        for name in names:
            reply = self._conn.send_and_get_reply(message_bus.RequestName(name, 4), timeout=5)
            assert reply.body == (1,), f"could not own {name}: {reply.body}"
        self.unique_name = self._conn.unique_name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def on(self, path: str, interface: str, member: str, handler: Handler) -> None:
        self.handlers[(path, interface, member)] = handler

    def returns(self, path: str, interface: str, member: str, signature: str | None,
                *values: Any) -> None:  # fmt: skip
        self.on(path, interface, member, lambda body: (signature, values))

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            except (OSError, ValueError):
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            fields = msg.header.fields
            path = fields.get(HeaderFields.path, "")
            interface = fields.get(HeaderFields.interface, "")
            member = fields.get(HeaderFields.member, "")
            body = tuple(msg.body)
            self.calls.append((path, interface, member, body))
            try:
                if interface == PROPERTIES and member == "Get" and (path, PROPERTIES, "Get") \
                        not in self.handlers:  # fmt: skip
                    key = (path, body[0], body[1])
                    if key not in self.properties:
                        raise DBusFailure("org.freedesktop.DBus.Error.UnknownProperty", str(key))
                    reply = new_method_return(msg, "v", (self.properties[key],))
                else:
                    handler = self.handlers.get((path, interface, member))
                    if handler is None:
                        raise DBusFailure("org.freedesktop.DBus.Error.UnknownObject", path)
                    signature, values = handler(body)
                    reply = new_method_return(msg, signature, values)
            except DBusFailure as failure:
                args = ("s", (failure.text,)) if failure.text else (None, ())
                reply = new_error(msg, failure.name, *args)
            except Exception as exc:  # a broken fake must fail the test, not hang it
                reply = new_error(msg, "org.timesculptor.Test.Error", "s", (repr(exc),))
            if not msg.header.flags & MessageFlag.no_reply_expected:
                with contextlib.suppress(OSError):
                    self._conn.send(reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until check() is true; raise TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.01)


def fake_executable(directory: Path, name: str, stdout_file: Path, exit_code: int = 0,
                    stderr: str = "") -> Path:  # fmt: skip
    """Write an executable `name` that prints `stdout_file` (read at each run) and exits."""
    script = directory / name
    script.write_text(
        "#!/bin/sh\n"
        f"cat '{stdout_file}'\n"
        + (f"echo '{stderr}' >&2\n" if stderr else "")
        + f"exit {exit_code}\n"
    )
    script.chmod(0o755)
    return script


def path_with(directory: Path) -> str:
    """Return PATH with `directory` first."""
    return f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"
