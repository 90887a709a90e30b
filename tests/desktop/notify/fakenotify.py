"""A real session bus (dbus-daemon) and a small org.freedesktop.Notifications server on it.

The server is written with jeepney like any client: it owns the well-known name, answers
GetCapabilities / GetServerInformation / Notify / CloseNotification, records every call, and
can emit ActionInvoked / NotificationClosed as a desktop's notification daemon would.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

BUS_NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_dbus_daemon() -> str:
    """Return the dbus-daemon path; skip without it (fail under CI=true, which installs it)."""
    path = shutil.which("dbus-daemon")
    if path is None:
        reason = "dbus-daemon is not installed (apt-get install dbus)"
        if _in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def session_bus() -> Iterator[str]:
    """Yield the address of a fresh private session bus; stop it afterwards."""
    daemon = require_dbus_daemon()
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    if not address:
        process.kill()
        pytest.fail(
            f"dbus-daemon printed no address: {process.stderr.read() if process.stderr else ''}"
        )
    try:
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class FakeNotificationServer:
    """Owns org.freedesktop.Notifications on `address` and records what clients ask of it."""

    def __init__(
        self,
        address: str,
        capabilities: tuple[str, ...] = ("actions", "body", "body-markup"),
        notify_delay_s: float = 0.0,
    ) -> None:
        from jeepney import message_bus, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        self.capabilities = capabilities
        self.notify_delay_s = notify_delay_s
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._ids = itertools.count(1)
        self._outbox: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self.conn = open_dbus_connection(bus=address)
        reply = self.conn.send_and_get_reply(
            new_method_call(message_bus, "RequestName", "su", (BUS_NAME, 4)), timeout=5
        )
        assert reply.body == (1,), f"could not own {BUS_NAME}: {reply.body}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # what the tests read ----------------------------------------------------------------
    def notifies(self) -> list[tuple[Any, ...]]:
        return [body for member, body in list(self.calls) if member == "Notify"]

    def closed_ids(self) -> list[int]:
        return [int(body[0]) for member, body in list(self.calls) if member == "CloseNotification"]

    def wait_for_notify(self, count: int = 1, timeout_s: float = 5.0) -> tuple[Any, ...]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            notes = self.notifies()
            if len(notes) >= count:
                return notes[count - 1]
            time.sleep(0.01)
        raise AssertionError(f"no Notify call #{count} within {timeout_s} s: {self.calls}")

    # what the desktop would do ----------------------------------------------------------
    def invoke(self, notification_id: int, action_key: str) -> None:
        """The user clicked a button: ActionInvoked, then the notice closes (reason 2)."""
        self.emit("ActionInvoked", "us", (notification_id, action_key))
        self.emit("NotificationClosed", "uu", (notification_id, 2))

    def emit(self, member: str, signature: str, body: tuple[Any, ...]) -> None:
        from jeepney import DBusAddress, new_signal

        self._outbox.put(new_signal(DBusAddress(PATH, interface=BUS_NAME), member, signature, body))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.conn.close()

    # the server loop ----------------------------------------------------------------------
    def _serve(self) -> None:
        from jeepney import MessageType

        while not self._stop.is_set():
            while not self._outbox.empty():
                self.conn.send(self._outbox.get())
            try:
                message = self.conn.receive(timeout=0.02)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type == MessageType.method_call:
                self._answer(message)

    def _answer(self, message: Any) -> None:
        from jeepney import new_error, new_method_return
        from jeepney.low_level import HeaderFields

        member = message.header.fields.get(HeaderFields.member)
        body = tuple(message.body)
        self.calls.append((member, body))
        if member == "GetCapabilities":
            reply = new_method_return(message, "as", (list(self.capabilities),))
        elif member == "GetServerInformation":
            reply = new_method_return(message, "ssss", ("fake", "tests", "1.0", "1.2"))
        elif member == "Notify":
            time.sleep(self.notify_delay_s)
            notification_id = int(body[1]) or next(self._ids)
            reply = new_method_return(message, "u", (notification_id,))
        elif member == "CloseNotification":
            reply = new_method_return(message)
            self.emit("NotificationClosed", "uu", (int(body[0]), 3))
        else:
            reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))
        self.conn.send(reply)
