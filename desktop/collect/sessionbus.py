"""A small blocking client for the user's session D-Bus (jeepney), shared by the Linux backends.

Only what the collectors need: method calls with a timeout, properties, and name lookups.
Every failure becomes a `BusError` carrying the D-Bus error name when there is one.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from desktop.collect.base import one_line

DBUS_SERVICE = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"
PROPERTIES = "org.freedesktop.DBus.Properties"

# Error names that mean "nobody answers this here" rather than "something broke".
UNKNOWN_ERRORS = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownInterface",
        "org.freedesktop.DBus.Error.UnknownProperty",
        "org.freedesktop.DBus.Error.NotSupported",
    }
)


class BusError(RuntimeError):
    """A D-Bus call failed; `name` is the D-Bus error name ("" for transport problems)."""

    def __init__(self, message: str, name: str = "") -> None:
        super().__init__(one_line(message))
        self.name = name

    @property
    def unknown(self) -> bool:
        """Return True when the service, object, method or property simply is not there."""
        return self.name in UNKNOWN_ERRORS


class SessionBus:
    """One connection to a message bus (the session bus unless `address` says otherwise)."""

    def __init__(self, address: str | None = None, timeout_s: float = 1.0) -> None:
        try:
            from jeepney.io.blocking import open_dbus_connection
        except ImportError as exc:
            raise BusError(
                f"jeepney is not installed ({one_line(exc)}): pip install jeepney"
            ) from None
        address = address or os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if not address:
            raise BusError("no session D-Bus: DBUS_SESSION_BUS_ADDRESS is not set")
        self.address = address
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        try:
            self._conn: Any = open_dbus_connection(bus=address, auth_timeout=timeout_s)
        except (OSError, ValueError, KeyError, StopIteration, TimeoutError) as exc:
            raise BusError(
                f"cannot connect to the session D-Bus at {address!r}: {type(exc).__name__}: "
                f"{one_line(exc)}"
            ) from None

    @property
    def unique_name(self) -> str:
        """Return this connection's unique bus name, e.g. ':1.42'."""
        return str(self._conn.unique_name)

    def call(
        self,
        service: str,
        path: str,
        interface: str,
        member: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        timeout_s: float | None = None,
    ) -> tuple[Any, ...]:
        """Call a method and return the reply's body; raises BusError."""
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.low_level import HeaderFields

        address = DBusAddress(path, bus_name=service, interface=interface)
        message = new_method_call(address, member, signature, body)
        with self._lock:
            try:
                reply = self._conn.send_and_get_reply(
                    message, timeout=self.timeout_s if timeout_s is None else timeout_s
                )
            except TimeoutError:
                raise BusError(f"{service} did not answer {member} in time") from None
            except (OSError, ValueError) as exc:
                raise BusError(f"session D-Bus connection failed: {one_line(exc)}") from None
        if reply.header.message_type == MessageType.error:
            name = str(reply.header.fields.get(HeaderFields.error_name, ""))
            detail = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            raise BusError(f"{service} {member}: {name} {detail}".strip(), name)
        return tuple(reply.body)

    def get_property(self, service: str, path: str, interface: str, name: str) -> Any:
        """Return one property's value (unwrapped from its variant); raises BusError."""
        (variant,) = self.call(service, path, PROPERTIES, "Get", "ss", (interface, name))
        return variant[1]  # jeepney gives variants as (signature, value)

    def list_names(self) -> list[str]:
        """Return the names currently owned on the bus."""
        (names,) = self.call(DBUS_SERVICE, DBUS_PATH, DBUS_SERVICE, "ListNames")
        return [str(name) for name in names]

    def has_owner(self, name: str) -> bool:
        """Return True if someone owns the bus name."""
        (owned,) = self.call(DBUS_SERVICE, DBUS_PATH, DBUS_SERVICE, "NameHasOwner", "s", (name,))
        return bool(owned)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock, contextlib.suppress(OSError):
            self._conn.close()


def open_session_bus(address: str | None = None) -> SessionBus | None:
    """Return a connection to the session bus, or None when there is none to be had."""
    try:
        return SessionBus(address)
    except BusError:
        return None
