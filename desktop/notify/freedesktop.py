"""Notifications through org.freedesktop.Notifications on the session D-Bus (jeepney).

Spec: https://specifications.freedesktop.org/notification-spec/latest/ . The server must list
"actions" in GetCapabilities, or the app falls back to its own Qt popup. Signals are broadcast
to every client, so only ids this connection created are answered. A server that ignores
`expire_timeout` (GNOME keeps notices in its list) is covered by the centre's own expiry
timer, which calls `withdraw`.

    python -m desktop.notify.freedesktop   # prints the server, its capabilities, or why not
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from typing import Any

from desktop.collect.sessionbus import UNKNOWN_ERRORS, BusError
from desktop.notify.base import (
    ACCEPT,
    CLOSED,
    DISMISS,
    EXPIRED,
    NOT_LIKE_THIS,
    SNOOZE,
    WHY,
    Notice,
    NotifyUnavailable,
    OnResponse,
    Response,
)

BUS_NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = BUS_NAME
APP_NAME = "Time Sculptor"
ICON = "appointment-soon"
# NotificationClosed reasons (spec): 1 expired, 2 dismissed by the user, 3 CloseNotification.
CLOSED_EXPIRED, CLOSED_BY_USER, CLOSED_BY_CALL = 1, 2, 3
# "default" is the body click; the rest are buttons, in the order the popup shows them.
BUTTONS = (ACCEPT, SNOOZE, DISMISS, NOT_LIKE_THIS, WHY)


def escape_markup(text: str) -> str:
    """Return text safe for servers that read the body as their small markup subset."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class FreedesktopBackend:
    """One session-bus connection with a receiver thread (jeepney's threading router)."""

    name = "freedesktop"

    def __init__(self, address: str | None = None, timeout_s: float = 2.0) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self.capabilities: tuple[str, ...] = ()
        self.server = ""
        self._router: Any = None
        self._conn: Any = None
        self._signals: queue.Queue[Any] = queue.Queue()
        self._filters: list[Any] = []
        self._listener: threading.Thread | None = None
        self._on_response: OnResponse | None = None
        self._lock = threading.Lock()
        self._ids: dict[int, int] = {}  # notification id -> suggestion id
        self._by_suggestion: dict[int, int] = {}

    # D-Bus plumbing -------------------------------------------------------------------------
    def _call(self, member: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> Any:
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.low_level import HeaderFields

        if self._router is None:
            raise NotifyUnavailable("the notification service is not connected")
        target = DBusAddress(PATH, bus_name=BUS_NAME, interface=INTERFACE)
        try:
            reply = self._router.send_and_get_reply(
                new_method_call(target, member, signature, body), timeout=self.timeout_s
            )
        except TimeoutError:
            raise NotifyUnavailable(f"{BUS_NAME} did not answer {member} in time") from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise NotifyUnavailable(f"session D-Bus connection failed: {exc}") from None
        if reply.header.message_type == MessageType.error:
            name = str(reply.header.fields.get(HeaderFields.error_name, ""))
            error = BusError(f"{BUS_NAME} {member}: {name}", name)
            if name in UNKNOWN_ERRORS:
                raise NotifyUnavailable("no notification server on the session D-Bus")
            raise NotifyUnavailable(str(error))
        return tuple(reply.body)

    def _add_match(self, member: str) -> None:
        from jeepney import MatchRule, message_bus, new_method_call

        rule = MatchRule(type="signal", interface=INTERFACE, path=PATH, member=member)
        self._router.send_and_get_reply(
            new_method_call(message_bus, "AddMatch", "s", (rule.serialise(),)),
            timeout=self.timeout_s,
        )
        self._filters.append(self._router.filter(rule, queue=self._signals))

    # Backend --------------------------------------------------------------------------------
    def start(self, on_response: OnResponse) -> None:
        """Connect, require the "actions" capability and listen for the two signals."""
        try:
            from jeepney.io.threading import DBusRouter, open_dbus_connection
        except ImportError as exc:
            raise NotifyUnavailable(f"jeepney is not installed ({exc})") from None
        address = self.address or os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if not address:
            raise NotifyUnavailable("no session D-Bus: DBUS_SESSION_BUS_ADDRESS is not set")
        try:
            self._conn = open_dbus_connection(bus=address, auth_timeout=self.timeout_s)
        except (OSError, ValueError, KeyError, StopIteration, TimeoutError) as exc:
            raise NotifyUnavailable(f"cannot connect to the session D-Bus: {exc}") from None
        self._router = DBusRouter(self._conn)
        try:
            (capabilities,) = self._call("GetCapabilities")
            self.capabilities = tuple(str(c) for c in capabilities)
            if "actions" not in self.capabilities:
                raise NotifyUnavailable("the notification server does not support actions")
            with contextlib.suppress(NotifyUnavailable):
                name, vendor, version, _spec = self._call("GetServerInformation")
                self.server = f"{name} {version} ({vendor})"
            self._add_match("ActionInvoked")
            self._add_match("NotificationClosed")
        except (NotifyUnavailable, OSError, TimeoutError) as exc:
            self.stop()
            raise NotifyUnavailable(str(exc)) from None
        self._on_response = on_response
        self._listener = threading.Thread(
            target=self._listen, name="notify-freedesktop", daemon=True
        )
        self._listener.start()

    def show(self, notice: Notice) -> None:
        """Send Notify with the four actions and "Why now?"; the body carries the reason."""
        body = notice.body(notice.labels.get("why_prefix", "Why now:"))
        if "body-markup" in self.capabilities:
            body = escape_markup(body)
        actions: list[str] = ["default", notice.labels.get(WHY, "Why now?")]
        for key in BUTTONS:
            actions += [key, notice.labels.get(key, key)]
        hints = {
            "urgency": ("y", 1),
            "desktop-entry": ("s", "time-sculptor"),
            "category": ("s", "x-time-sculptor.suggestion"),
        }
        replaces = self._by_suggestion.get(notice.suggestion_id, 0)
        (notification_id,) = self._call(
            "Notify",
            "susssasa{sv}i",
            (
                APP_NAME,
                replaces,
                ICON,
                notice.title,
                body,
                actions,
                hints,
                max(1, int(notice.expire_after_s * 1000)),
            ),
        )
        with self._lock:
            self._ids[int(notification_id)] = notice.suggestion_id
            self._by_suggestion[notice.suggestion_id] = int(notification_id)

    def withdraw(self, suggestion_id: int) -> None:
        """CloseNotification for the suggestion's notice, if it is still out there."""
        with self._lock:
            notification_id = self._by_suggestion.pop(suggestion_id, None)
            if notification_id is not None:
                self._ids.pop(notification_id, None)
        if notification_id is not None:
            with contextlib.suppress(NotifyUnavailable):
                self._call("CloseNotification", "u", (notification_id,))

    def stop(self) -> None:
        """Stop listening and close the connection (idempotent)."""
        self._signals.put(None)
        for handle in self._filters:
            with contextlib.suppress(Exception):
                handle.close()
        self._filters = []
        if self._router is not None:
            with contextlib.suppress(Exception):
                self._router.close()
            self._router = None
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

    # signals --------------------------------------------------------------------------------
    def _listen(self) -> None:
        from jeepney.low_level import HeaderFields

        while True:
            message = self._signals.get()
            if message is None:
                return
            member = str(message.header.fields.get(HeaderFields.member, ""))
            response = self.response_for(member, tuple(message.body))
            if response is not None and self._on_response is not None:
                self._on_response(response)

    def response_for(self, member: str, body: tuple[Any, ...]) -> Response | None:
        """Return the Response for an ActionInvoked / NotificationClosed signal of ours, or None."""
        if len(body) < 2:
            return None
        notification_id = int(body[0])
        response: Response | None = None
        with self._lock:
            suggestion_id = self._ids.get(notification_id)
            if suggestion_id is None:
                return None  # another app's notice, or one already answered
            if member == "ActionInvoked":
                key = str(body[1])
                action = WHY if key == "default" else key
                if action not in BUTTONS:
                    return None
                response = Response(suggestion_id, action)
            elif member == "NotificationClosed":
                reason = int(body[1])
                if reason == CLOSED_EXPIRED:
                    response = Response(suggestion_id, EXPIRED)
                elif reason == CLOSED_BY_USER:
                    response = Response(suggestion_id, CLOSED)
                # 3 (closed by us) or 4 (no reason): nothing to record
            else:
                return None
            # Answered or gone: a NotificationClosed after an action is not a second answer.
            self._ids.pop(notification_id, None)
            self._by_suggestion.pop(suggestion_id, None)
        return response


def main() -> int:
    """Print the notification server and its capabilities, or why there is none."""
    backend = FreedesktopBackend()
    try:
        backend.start(lambda response: None)
    except NotifyUnavailable as exc:
        print(f"freedesktop notifications: unavailable: {exc}")
        return 1
    print(f"freedesktop notifications: {backend.server}; capabilities: {backend.capabilities}")
    backend.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
