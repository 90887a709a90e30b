"""A fake Wayland compositor for tests: a real Unix socket speaking the real wire protocol.

It has a codec of its own (not desktop.collect.wlproto's), with the opcodes written out from
the protocols' XML, so that a mistake in the client's tables shows up as a failing test rather
than agreeing with itself. It answers wl_display.get_registry/sync and wl_registry.bind,
records every request, and lets the test send ext_idle_notification_v1 and
zwlr_foreign_toplevel_handle_v1 events (or raw bytes) to the connected client.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# (interface, request opcode) -> (request name, signature). From wayland.xml,
# ext-idle-notify-v1.xml and wlr-foreign-toplevel-management-unstable-v1.xml.
REQUESTS: dict[tuple[str, int], tuple[str, str]] = {
    ("wl_display", 0): ("sync", "n"),
    ("wl_display", 1): ("get_registry", "n"),
    ("wl_registry", 0): ("bind", "usun"),
    ("wl_seat", 3): ("release", ""),
    ("ext_idle_notifier_v1", 0): ("destroy", ""),
    ("ext_idle_notifier_v1", 1): ("get_idle_notification", "nuo"),
    ("ext_idle_notifier_v1", 2): ("get_input_idle_notification", "nuo"),
    ("ext_idle_notification_v1", 0): ("destroy", ""),
    ("zwlr_foreign_toplevel_manager_v1", 0): ("stop", ""),
    ("zwlr_foreign_toplevel_handle_v1", 7): ("destroy", ""),
}
# Event opcodes.
DISPLAY_ERROR, DISPLAY_DELETE_ID = 0, 1
REGISTRY_GLOBAL = 0
CALLBACK_DONE = 0
IDLED, RESUMED = 0, 1
MANAGER_TOPLEVEL, MANAGER_FINISHED = 0, 1
TITLE, APP_ID, OUTPUT_ENTER, OUTPUT_LEAVE, STATE, DONE, CLOSED, PARENT = range(8)
MAXIMIZED, MINIMIZED, ACTIVATED, FULLSCREEN = range(4)
SERVER_IDS = 0xFF000000

DEFAULT_GLOBALS: tuple[tuple[str, int], ...] = (
    ("wl_compositor", 6),
    ("wl_shm", 1),
    ("wl_seat", 9),
    ("wl_output", 4),
    ("ext_idle_notifier_v1", 2),
    ("zwlr_foreign_toplevel_manager_v1", 3),
)


def word(value: int) -> bytes:
    return struct.pack("<I", value & 0xFFFFFFFF)


def string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return word(len(data)) + data + b"\0" * (-len(data) % 4)


def array(values: Sequence[int]) -> bytes:
    data = b"".join(word(value) for value in values)
    return word(len(data)) + data


def message(object_id: int, opcode: int, body: bytes = b"") -> bytes:
    return word(object_id) + word((8 + len(body)) << 16 | opcode) + body


def parse(signature: str, body: bytes) -> list[Any]:
    out: list[Any] = []
    at = 0
    for letter in signature:
        (value,) = struct.unpack_from("<I", body, at)
        at += 4
        if letter == "s":
            out.append(body[at : at + value - 1].decode())
            at += value + (-value % 4)
        else:
            out.append(value)
    assert at == len(body), (signature, body)
    return out


@dataclass
class Toplevel:
    app_id: str
    title: str
    states: tuple[int, ...] = ()


@dataclass
class Client:
    """One connected client and the objects it created."""

    sock: socket.socket
    objects: dict[int, str] = field(default_factory=lambda: {1: "wl_display"})
    notifications: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # id: kind...
    managers: list[int] = field(default_factory=list)
    handles: dict[int, Toplevel] = field(default_factory=dict)
    registry: int = 0
    closed: threading.Event = field(default_factory=threading.Event)
    # Hang up at the client's next request (after a reply cut short): then every request the
    # client wrote before reading has arrived, so it reads the cut reply, never a broken pipe.
    hang_up_next: bool = False

    def send(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(data)


class FakeCompositor:
    """Listens on `runtime_dir/name` and serves each client in a thread of its own."""

    def __init__(
        self,
        runtime_dir: Path,
        name: str = "wayland-test",
        globals_: Sequence[tuple[str, int]] = DEFAULT_GLOBALS,
        toplevels: Sequence[Toplevel] = (),
        on_get_registry: bytes | None = None,
        close_after_reply: bool = False,
        silent: bool = False,
    ) -> None:
        self.path = runtime_dir / name
        self.globals = list(globals_)
        self.toplevels = list(toplevels)
        self.on_get_registry = on_get_registry  # raw bytes sent instead of the globals
        self.close_after_reply = close_after_reply  # hang up after on_get_registry
        self.silent = silent  # never answer (a hung compositor)
        self.requests: list[tuple[str, str, list[Any]]] = []
        self.clients: list[Client] = []
        self._next_server_id = SERVER_IDS
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen(4)
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    # -- serving --------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client = Client(sock)
            with self._lock:
                self.clients.append(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: Client) -> None:
        buffer = b""
        client.sock.settimeout(0.1)
        try:
            while not self._stop.is_set():
                try:
                    data = client.sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while len(buffer) >= 8:
                    object_id, head = struct.unpack_from("<II", buffer)
                    size, opcode = head >> 16, head & 0xFFFF
                    if len(buffer) < size:
                        break
                    body, buffer = buffer[8:size], buffer[size:]
                    self._request(client, object_id, opcode, body)
        finally:
            client.closed.set()
            with contextlib.suppress(OSError):
                client.sock.close()

    def _request(self, client: Client, object_id: int, opcode: int, body: bytes) -> None:
        interface = client.objects[object_id]
        name, signature = REQUESTS[(interface, opcode)]
        args = parse(signature, body)
        with self._lock:
            self.requests.append((interface, name, args))
        if client.hang_up_next:
            client.sock.shutdown(socket.SHUT_RDWR)
            return
        if self.silent:
            return
        if name == "sync":
            client.objects[args[0]] = "wl_callback"
            client.send(message(args[0], CALLBACK_DONE, word(77)))
            client.send(message(1, DISPLAY_DELETE_ID, word(args[0])))
            del client.objects[args[0]]
        elif name == "get_registry":
            client.registry = args[0]
            client.objects[args[0]] = "wl_registry"
            if self.on_get_registry is not None:
                client.send(self.on_get_registry)
                client.hang_up_next = self.close_after_reply  # and never the rest of it
                return
            for number, (global_name, version) in enumerate(self.globals, start=1):
                body = word(number) + string(global_name) + word(version)
                client.send(message(args[0], REGISTRY_GLOBAL, body))
        elif name == "bind":
            number, interface_name, version, new_id = args
            assert self.globals[number - 1][0] == interface_name, args
            assert version <= self.globals[number - 1][1], args
            client.objects[new_id] = interface_name
            if interface_name == "zwlr_foreign_toplevel_manager_v1":
                client.managers.append(new_id)
                for toplevel in self.toplevels:
                    self._announce(client, new_id, toplevel)
        elif name in ("get_idle_notification", "get_input_idle_notification"):
            new_id, timeout_ms, seat = args
            assert client.objects.get(seat) == "wl_seat", args
            client.objects[new_id] = "ext_idle_notification_v1"
            client.notifications[new_id] = (name, timeout_ms, seat)
        elif name == "destroy":
            del client.objects[object_id]
            client.handles.pop(object_id, None)
            if object_id < SERVER_IDS:
                client.send(message(1, DISPLAY_DELETE_ID, word(object_id)))

    def _announce(self, client: Client, manager: int, toplevel: Toplevel) -> int:
        handle = self._next_server_id
        self._next_server_id += 1
        client.objects[handle] = "zwlr_foreign_toplevel_handle_v1"
        client.handles[handle] = toplevel
        client.send(message(manager, MANAGER_TOPLEVEL, word(handle)))
        self._describe(client, handle, toplevel)
        return handle

    @staticmethod
    def _describe(client: Client, handle: int, toplevel: Toplevel) -> None:
        client.send(
            message(handle, TITLE, string(toplevel.title))
            + message(handle, APP_ID, string(toplevel.app_id))
            + message(handle, OUTPUT_ENTER, word(42))
            + message(handle, STATE, array(toplevel.states))
            + message(handle, DONE)
        )

    # -- what a test drives ---------------------------------------------------------------------
    @property
    def client(self) -> Client:
        """Return the latest connected client (waiting briefly for it)."""
        wait_until(lambda: bool(self.clients), "a client to connect")
        return self.clients[-1]

    def idled(self, timeout_ms: int | None = None) -> None:
        """Send `idled` to the client's notification(s) (those with `timeout_ms`, if given)."""
        for notification, (_, timeout, _) in self.client.notifications.items():
            if timeout_ms is None or timeout == timeout_ms:
                self.client.send(message(notification, IDLED))

    def resumed(self) -> None:
        """Send `resumed` to all the client's notifications."""
        for notification in self.client.notifications:
            self.client.send(message(notification, RESUMED))

    def open_toplevel(self, toplevel: Toplevel) -> int:
        """Announce a new toplevel to the client's manager; return its handle."""
        return self._announce(self.client, self.client.managers[-1], toplevel)

    def update(self, handle: int, **changes: Any) -> None:
        """Send changed title/app_id/states of one toplevel, then done."""
        client = self.client
        body = b""
        if "title" in changes:
            body += message(handle, TITLE, string(changes["title"]))
        if "app_id" in changes:
            body += message(handle, APP_ID, string(changes["app_id"]))
        if "states" in changes:
            body += message(handle, STATE, array(changes["states"]))
        client.send(body + message(handle, DONE))

    def close_toplevel(self, handle: int) -> None:
        self.client.send(message(handle, CLOSED))

    def send_raw(self, data: bytes) -> None:
        self.client.send(data)

    def handle_of(self, app_id: str) -> int:
        return next(h for h, t in self.client.handles.items() if t.app_id == app_id)

    def requested(self, name: str) -> list[list[Any]]:
        with self._lock:
            return [args for _, request, args in self.requests if request == name]

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for client in self.clients:
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(2.0)


def wait_until(predicate: Callable[[], object], what: str, timeout_s: float = 3.0) -> None:
    """Poll `predicate` until true; fail the test naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)
