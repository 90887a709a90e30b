"""A small Wayland client that speaks the wire protocol itself (no libwayland, no bindings).

Only what the collector needs from wlroots-style compositors (Sway, Hyprland, river, labwc,
Wayfire, niri, KWin): the registry, `wl_seat`, `ext-idle-notify-v1` and
`wlr-foreign-toplevel-management-unstable-v1`. The wire format
(https://wayland.freedesktop.org/docs/html/ch04.html#sect-Protocol-Wire-Format) is: a
32-bit object id, then a 32-bit word holding the message size in bytes (upper 16 bits,
header included) and the opcode (lower 16), then the arguments in native byte order, each
padded to 32 bits: int, uint, fixed (24.8), string (length including the NUL, bytes, NUL,
padding), object id, new_id, array (byte length, bytes, padding). None of the interfaces
here pass file descriptors.

`Connection` is the socket and the object table; it raises `WaylandError` (one line) on
anything it cannot read, never hangs past its timeout, and leaves threading to its user.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.collect.base import one_line

DISPLAY_ID = 1
HEADER = struct.Struct("=II")
WORD = struct.Struct("=I")
INT = struct.Struct("=i")
MAX_MESSAGE = 0xFFFF  # the size field is 16 bits
SERVER_ID_START = 0xFF000000  # ids the compositor allocates (new_id in events)


class WaylandError(RuntimeError):
    """The Wayland connection failed or the compositor sent something unreadable; one line."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


@dataclass(frozen=True)
class Message:
    """One request or event: its name, argument signature and the interface a new_id makes.

    Signature letters are libwayland's: i int, u uint, f fixed, s string, o object,
    n new_id, a array; "?" before s/o allows null. wl_registry.bind's untyped new_id is
    spelled "sun" (interface, version, id), as on the wire.
    """

    name: str
    signature: str = ""
    creates: str = ""


@dataclass(frozen=True)
class Interface:
    """A protocol interface: its requests and events in opcode order."""

    name: str
    requests: tuple[Message, ...] = ()
    events: tuple[Message, ...] = ()

    def opcode(self, request: str) -> int:
        """Return the opcode of the named request."""
        for opcode, message in enumerate(self.requests):
            if message.name == request:
                return opcode
        raise KeyError(f"{self.name} has no request {request!r}")


# Opcodes follow the order in the protocols' XML: wayland.xml, ext-idle-notify-v1.xml,
# wlr-foreign-toplevel-management-unstable-v1.xml (version 3).
INTERFACES: dict[str, Interface] = {
    interface.name: interface
    for interface in (
        Interface(
            "wl_display",
            requests=(
                Message("sync", "n", "wl_callback"),
                Message("get_registry", "n", "wl_registry"),
            ),
            events=(Message("error", "ous"), Message("delete_id", "u")),
        ),
        Interface(
            "wl_registry",
            requests=(Message("bind", "usun"),),
            events=(Message("global", "usu"), Message("global_remove", "u")),
        ),
        Interface("wl_callback", events=(Message("done", "u"),)),
        Interface(
            "wl_seat",
            requests=(
                Message("get_pointer", "n", "wl_pointer"),
                Message("get_keyboard", "n", "wl_keyboard"),
                Message("get_touch", "n", "wl_touch"),
                Message("release"),
            ),
            events=(Message("capabilities", "u"), Message("name", "s")),
        ),
        Interface(
            "ext_idle_notifier_v1",
            requests=(
                Message("destroy"),
                Message("get_idle_notification", "nuo", "ext_idle_notification_v1"),
                Message("get_input_idle_notification", "nuo", "ext_idle_notification_v1"),
            ),
        ),
        Interface(
            "ext_idle_notification_v1",
            requests=(Message("destroy"),),
            events=(Message("idled"), Message("resumed")),
        ),
        Interface(
            "zwlr_foreign_toplevel_manager_v1",
            requests=(Message("stop"),),
            events=(
                Message("toplevel", "n", "zwlr_foreign_toplevel_handle_v1"),
                Message("finished"),
            ),
        ),
        Interface(
            "zwlr_foreign_toplevel_handle_v1",
            requests=(
                Message("set_maximized"),
                Message("unset_maximized"),
                Message("set_minimized"),
                Message("unset_minimized"),
                Message("activate", "o"),
                Message("close"),
                Message("set_rectangle", "oiiii"),
                Message("destroy"),
                Message("set_fullscreen", "?o"),
                Message("unset_fullscreen"),
            ),
            events=(
                Message("title", "s"),
                Message("app_id", "s"),
                Message("output_enter", "o"),
                Message("output_leave", "o"),
                Message("state", "a"),
                Message("done"),
                Message("closed"),
                Message("parent", "?o"),
            ),
        ),
    )
}


# -- the wire format ----------------------------------------------------------------------------


def _padded(length: int) -> int:
    return (length + 3) & ~3


def pack_args(signature: str, args: Sequence[Any]) -> bytes:
    """Return the wire encoding of `args` for a signature ("?" marks nullable)."""
    letters = signature.replace("?", "")
    if len(letters) != len(args):
        raise ValueError(f"signature {signature!r} takes {len(letters)} arguments, not {len(args)}")
    out = bytearray()
    for letter, value in zip(letters, args, strict=True):
        if letter in "uon":
            out += WORD.pack(0 if value is None else int(value))
        elif letter == "i":
            out += INT.pack(int(value))
        elif letter == "f":
            out += INT.pack(round(float(value) * 256))
        elif letter == "s":
            if value is None:
                out += WORD.pack(0)
            else:
                data = str(value).encode("utf-8") + b"\0"
                out += WORD.pack(len(data)) + data + b"\0" * (_padded(len(data)) - len(data))
        elif letter == "a":
            data = bytes(value)
            out += WORD.pack(len(data)) + data + b"\0" * (_padded(len(data)) - len(data))
        else:
            raise ValueError(f"unsupported argument type {letter!r}")
    return bytes(out)


def unpack_args(signature: str, payload: bytes) -> list[Any]:
    """Return the arguments decoded from a message body; raises WaylandError if malformed."""
    values: list[Any] = []
    offset = 0
    nullable = False

    def word() -> int:
        nonlocal offset
        if offset + 4 > len(payload):
            raise WaylandError(f"message body too short for signature {signature!r}")
        (value,) = WORD.unpack_from(payload, offset)
        offset += 4
        return int(value)

    for letter in signature:
        if letter == "?":
            nullable = True
            continue
        if letter in "uon":
            value = word()
            if letter == "o" and value == 0 and not nullable:
                raise WaylandError("null object where the protocol requires one")
            values.append(None if letter == "o" and value == 0 else value)
        elif letter in "if":
            raw = word()
            signed = raw - (1 << 32) if raw >= 1 << 31 else raw
            values.append(signed / 256.0 if letter == "f" else signed)
        elif letter in "sa":
            length = word()
            end = offset + _padded(length)
            if end > len(payload):
                raise WaylandError(
                    f"{'string' if letter == 's' else 'array'} runs past the message"
                )
            data = payload[offset : offset + length]
            offset = end
            if letter == "a":
                values.append(bytes(data))
            elif length == 0:
                if not nullable:
                    raise WaylandError("null string where the protocol requires one")
                values.append(None)
            elif data[-1:] != b"\0":
                raise WaylandError("string without its terminating NUL")
            else:
                values.append(data[:-1].decode("utf-8", errors="replace"))
        else:
            raise WaylandError(f"unsupported argument type {letter!r}")
        nullable = False
    if offset != len(payload):
        raise WaylandError(f"{len(payload) - offset} stray bytes after the arguments")
    return values


def encode_message(object_id: int, opcode: int, payload: bytes) -> bytes:
    """Return one message: header (id, size << 16 | opcode) and body."""
    size = HEADER.size + len(payload)
    if size > MAX_MESSAGE:
        raise ValueError(f"message of {size} bytes exceeds the protocol's {MAX_MESSAGE}")
    return HEADER.pack(object_id, size << 16 | opcode) + payload


def split_messages(buffer: bytes) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """Return the complete (object id, opcode, body) messages in `buffer` and the rest."""
    messages: list[tuple[int, int, bytes]] = []
    offset = 0
    while len(buffer) - offset >= HEADER.size:
        object_id, word = HEADER.unpack_from(buffer, offset)
        size, opcode = word >> 16, word & 0xFFFF
        if size < HEADER.size or size % 4:
            raise WaylandError(f"malformed message header (size {size}, object {object_id})")
        if len(buffer) - offset < size:
            break
        messages.append((object_id, opcode, bytes(buffer[offset + HEADER.size : offset + size])))
        offset += size
    return messages, bytes(buffer[offset:])


def socket_path(environ: Mapping[str, str]) -> str:
    """Return the compositor's socket: $WAYLAND_DISPLAY (default wayland-0) in $XDG_RUNTIME_DIR."""
    display = environ.get("WAYLAND_DISPLAY") or "wayland-0"
    if os.path.isabs(display):
        return display
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if not runtime:
        raise WaylandError("XDG_RUNTIME_DIR is not set, so the Wayland socket cannot be found")
    return os.path.join(runtime, display)


# -- the connection ---------------------------------------------------------------------------

EventHandler = Callable[[str, list[Any]], None]


@dataclass
class _Object:
    interface: Interface
    handler: EventHandler | None
    alive: bool = True  # False once destroyed by us, until the compositor's delete_id


@dataclass(frozen=True)
class Global:
    """One global the compositor advertises in the registry."""

    name: int
    interface: str
    version: int


class Connection:
    """One client connection: sends requests, reads and dispatches events (one reader at a time)."""

    def __init__(self, path: str, timeout_s: float = 2.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_s)
        try:
            self._sock.connect(path)
        except OSError as exc:
            self._sock.close()
            reason = exc.strerror or one_line(exc) or type(exc).__name__
            raise WaylandError(f"cannot connect to the Wayland socket {path}: {reason}") from None
        self._send_lock = threading.Lock()
        self._buffer = b""
        self._objects: dict[int, _Object] = {
            DISPLAY_ID: _Object(INTERFACES["wl_display"], self._display_event)
        }
        self._next_id = 2
        self._closed = False
        self.globals: list[Global] = []
        self._registry = 0

    # objects and requests
    def new_object(self, interface: str, handler: EventHandler | None = None) -> int:
        """Return a fresh client-side id for an object of `interface`."""
        object_id = self._next_id
        self._next_id += 1
        self._objects[object_id] = _Object(INTERFACES[interface], handler)
        return object_id

    def set_handler(self, object_id: int, handler: EventHandler) -> None:
        """Route the events of an object (e.g. one the compositor created) to `handler`."""
        self._objects[object_id].handler = handler

    def request(self, object_id: int, name: str, *args: Any) -> None:
        """Send one request to an object."""
        target = self._objects[object_id]
        opcode = target.interface.opcode(name)
        signature = target.interface.requests[opcode].signature
        self._send(encode_message(object_id, opcode, pack_args(signature, args)))

    def destroy(self, object_id: int, request: str = "destroy") -> None:
        """Send a destructor; the id's events are ignored until the compositor's delete_id."""
        self.request(object_id, request)
        self._objects[object_id].alive = False

    def _send(self, data: bytes) -> None:
        with self._send_lock:
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise WaylandError(
                    f"lost the Wayland connection ({exc.strerror or type(exc).__name__})"
                ) from None

    # registry
    def get_registry(self) -> None:
        """Ask for the registry and wait until every global has been announced."""
        self._registry = self.new_object("wl_registry", self._registry_event)
        self.request(DISPLAY_ID, "get_registry", self._registry)
        self.roundtrip()

    def _registry_event(self, name: str, args: list[Any]) -> None:
        if name == "global":
            self.globals.append(Global(int(args[0]), str(args[1]), int(args[2])))
        elif name == "global_remove":
            self.globals = [entry for entry in self.globals if entry.name != args[0]]

    def find_global(self, interface: str) -> Global | None:
        """Return the first advertised global of `interface`, or None."""
        return next((entry for entry in self.globals if entry.interface == interface), None)

    def bind(self, entry: Global, version: int, handler: EventHandler | None = None) -> int:
        """Bind a global at min(version, advertised) and return the new object's id."""
        object_id = self.new_object(entry.interface, handler)
        version = min(version, entry.version)
        self.request(self._registry, "bind", entry.name, entry.interface, version, object_id)
        return object_id

    # reading
    def roundtrip(self) -> None:
        """Send wl_display.sync and dispatch events until its callback fires (or time runs out)."""
        done = threading.Event()
        callback = self.new_object("wl_callback", lambda name, args: done.set())
        self.request(DISPLAY_ID, "sync", callback)
        deadline = time.monotonic() + self.timeout_s
        while not done.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaylandError(
                    f"the compositor did not answer on {self.path} within {self.timeout_s:g}s"
                )
            self.dispatch(left)
        # The compositor deletes a callback by itself once it has fired.
        self._objects.pop(callback, None)

    def dispatch(self, timeout_s: float | None) -> bool:
        """Read once (waiting up to `timeout_s`, None: forever) and dispatch whole messages.

        Return False where nothing arrived in time; raise WaylandError when the connection
        ends or carries something unreadable.
        """
        if self._closed:
            raise WaylandError("the Wayland connection is closed")
        try:
            ready, _, _ = select.select([self._sock], [], [], timeout_s)
        except (OSError, ValueError) as exc:
            raise WaylandError(f"lost the Wayland connection ({one_line(exc)})") from None
        if not ready:
            return False
        try:
            data = self._sock.recv(65536)
        except OSError as exc:
            raise WaylandError(
                f"lost the Wayland connection ({exc.strerror or type(exc).__name__})"
            ) from None
        if not data:
            where = " in the middle of a message" if self._buffer else ""
            raise WaylandError(f"the compositor closed the Wayland connection{where}")
        messages, self._buffer = split_messages(self._buffer + data)
        for object_id, opcode, body in messages:
            self._deliver(object_id, opcode, body)
        return True

    def _deliver(self, object_id: int, opcode: int, body: bytes) -> None:
        target = self._objects.get(object_id)
        if target is None:
            raise WaylandError(f"event for unknown object {object_id} (opcode {opcode})")
        if not target.alive:
            return  # destroyed by us; the compositor had not seen that yet
        events = target.interface.events
        if opcode >= len(events):
            raise WaylandError(f"{target.interface.name} has no event with opcode {opcode}")
        event = events[opcode]
        args = unpack_args(event.signature, body)
        if event.creates:
            # A compositor-made object (a toplevel): its id must be in the server's range.
            new_id = int(args[event.signature.replace("?", "").index("n")])
            # It may reuse the id of one we destroyed: no delete_id comes for server ids.
            existing = self._objects.get(new_id)
            if new_id < SERVER_ID_START or (existing is not None and existing.alive):
                raise WaylandError(f"compositor created an object with a bad id {new_id}")
            self._objects[new_id] = _Object(INTERFACES[event.creates], None)
        if target.handler is not None:
            target.handler(event.name, args)

    def _display_event(self, name: str, args: list[Any]) -> None:
        if name == "delete_id":
            self._objects.pop(int(args[0]), None)
            return
        object_id, code, message = args
        target = self._objects.get(int(object_id or 0))
        what = f"{target.interface.name}@{object_id}" if target else f"object {object_id}"
        raise WaylandError(
            f"the compositor reported a protocol error on {what}: {message} (code {code})"
        )

    def shutdown(self) -> None:
        """Wake a reader blocked in dispatch (it then sees the connection end)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self._closed = True
        self.shutdown()
        with contextlib.suppress(OSError):
            self._sock.close()
