"""Windows toast notifications with buttons, through WinRT (pywinrt's winrt-* packages).

The toast carries Accept / Snooze / Dismiss / Not like this as buttons (Windows allows five)
and the "why now" line as its third text; a click on the body asks for the popup with the
reason. The app is unpackaged, so its AppUserModelID is registered under HKCU once (what
Windows needs to name the sender and route activations while the app runs). Toasts that time
out go to the Action Center and can still be answered there; the centre's own expiry timer
records "ignored" and hides them.

    python -m desktop.notify.windows   # shows a test toast and prints what you click
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from desktop.notify.base import (
    ACCEPT,
    CLOSED,
    DISMISS,
    NOT_LIKE_THIS,
    SNOOZE,
    WHY,
    Notice,
    NotifyUnavailable,
    OnResponse,
    Response,
)

APP_ID = "TimeSculptor.TrayApp"
DISPLAY_NAME = "Time Sculptor"
BUTTONS = (ACCEPT, SNOOZE, DISMISS, NOT_LIKE_THIS)
GROUP = "suggestions"


def load_winrt() -> SimpleNamespace:
    """Return the WinRT classes the backend uses (ImportError without pywinrt)."""
    from winrt.windows.data.xml.dom import XmlDocument
    from winrt.windows.ui.notifications import (
        ToastActivatedEventArgs,
        ToastDismissalReason,
        ToastNotification,
        ToastNotificationManager,
    )

    return SimpleNamespace(
        XmlDocument=XmlDocument,
        ToastNotification=ToastNotification,
        ToastNotificationManager=ToastNotificationManager,
        ToastActivatedEventArgs=ToastActivatedEventArgs,
        ToastDismissalReason=ToastDismissalReason,
    )


def register_app_id(app_id: str = APP_ID, display_name: str = DISPLAY_NAME) -> None:
    """Register the AppUserModelID for this user so toasts show "Time Sculptor" as sender."""
    if sys.platform != "win32":
        raise OSError("AppUserModelIDs are registered in the Windows registry only")
    import winreg

    key = winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"Software\Classes\AppUserModelId\{app_id}")
    try:
        winreg.SetValueEx(key, "DisplayName", 0, winreg.REG_SZ, display_name)
    finally:
        winreg.CloseKey(key)


def arguments(action: str, suggestion_id: int) -> str:
    return f"action={action}&id={suggestion_id}"


def parse_arguments(text: str) -> tuple[str, int] | None:
    """Return (action, suggestion id) from a toast's activation arguments, or None."""
    fields = dict(part.split("=", 1) for part in text.split("&") if "=" in part)
    try:
        return fields["action"], int(fields["id"])
    except (KeyError, ValueError):
        return None


def toast_xml(notice: Notice) -> str:
    """Return the toast's XML: title, suggestion, "why now" line, four buttons."""
    labels = notice.labels
    why = f"{labels.get('why_prefix', 'Why now:')} {notice.why}" if notice.why else ""
    texts = "".join(f"<text>{escape(t)}</text>" for t in (notice.title, notice.text, why) if t)
    buttons = "".join(
        f"<action content={quoteattr(labels.get(key, key))} "
        f"arguments={quoteattr(arguments(key, notice.suggestion_id))} "
        'activationType="foreground"/>'
        for key in BUTTONS
    )
    launch = quoteattr(arguments(WHY, notice.suggestion_id))
    return (
        f'<toast launch={launch} duration="long">'
        f'<visual><binding template="ToastGeneric">{texts}</binding></visual>'
        f"<actions>{buttons}</actions></toast>"
    )


class ToastBackend:
    """Toasts through ToastNotificationManager; `api` and `register` are the OS boundary."""

    name = "windows-toast"

    def __init__(
        self,
        api: Any = None,
        app_id: str = APP_ID,
        register: Callable[[str, str], None] = register_app_id,
    ) -> None:
        self._api = api
        self.app_id = app_id
        self._register = register
        self._notifier: Any = None
        self._on_response: OnResponse | None = None
        self._lock = threading.Lock()
        self._toasts: dict[int, Any] = {}  # kept alive: WinRT drops handlers of collected toasts

    def start(self, on_response: OnResponse) -> None:
        """Load WinRT, register the app id and create the notifier."""
        if self._api is None:
            try:
                self._api = load_winrt()
            except ImportError as exc:
                raise NotifyUnavailable(
                    f"pywinrt is not installed ({exc}): pip install winrt-Windows.UI.Notifications"
                ) from None
        try:
            self._register(self.app_id, DISPLAY_NAME)
            manager = self._api.ToastNotificationManager
            self._notifier = manager.create_toast_notifier_with_id(self.app_id)
        except OSError as exc:  # WinRT errors surface as OSError with the HRESULT
            raise NotifyUnavailable(f"Windows toasts are unavailable: {exc}") from None
        self._on_response = on_response

    def show(self, notice: Notice) -> None:
        if self._notifier is None:
            raise NotifyUnavailable("Windows toasts are not started")
        api = self._api
        sid = notice.suggestion_id
        try:
            document = api.XmlDocument()
            document.load_xml(toast_xml(notice))
            toast = api.ToastNotification(document)
            toast.tag = str(sid)
            toast.group = GROUP
            toast.add_activated(lambda sender, args: self._activated(sid, args))
            toast.add_dismissed(lambda sender, args: self._dismissed(sid, args))
            with self._lock:
                self._toasts[sid] = toast
            self._notifier.show(toast)
        except OSError as exc:
            with self._lock:
                self._toasts.pop(sid, None)
            raise NotifyUnavailable(f"the toast was refused: {exc}") from None

    def _activated(self, suggestion_id: int, args: Any) -> None:
        cast = getattr(self._api.ToastActivatedEventArgs, "_from", None)
        activated = cast(args) if cast is not None else args
        parsed = parse_arguments(str(getattr(activated, "arguments", "") or ""))
        if parsed is None or parsed[1] != suggestion_id:
            return
        action = parsed[0] if parsed[0] in (*BUTTONS, WHY) else WHY
        self._respond(Response(suggestion_id, action))

    def _dismissed(self, suggestion_id: int, args: Any) -> None:
        # TimedOut moves the toast to the Action Center, where it can still be answered;
        # ApplicationHidden is our own withdraw. Only the user's own dismissal is an answer.
        if args.reason == self._api.ToastDismissalReason.USER_CANCELED:
            self._respond(Response(suggestion_id, CLOSED))

    def _respond(self, response: Response) -> None:
        with self._lock:
            if self._toasts.pop(response.suggestion_id, None) is None:
                return  # answered already, or withdrawn
        if self._on_response is not None:
            self._on_response(response)

    def withdraw(self, suggestion_id: int) -> None:
        with self._lock:
            toast = self._toasts.pop(suggestion_id, None)
        if toast is not None and self._notifier is not None:
            with contextlib.suppress(OSError):
                self._notifier.hide(toast)

    def stop(self) -> None:
        with self._lock:
            self._toasts.clear()
        self._notifier = None


def main() -> int:
    """Show one test toast and print the response (Ctrl+C to stop)."""
    import time

    backend = ToastBackend()
    try:
        backend.start(lambda response: print(response, flush=True))
    except NotifyUnavailable as exc:
        print(f"windows toasts: unavailable: {exc}")
        return 1
    backend.show(Notice(1, "Time Sculptor", "A test suggestion.", "you asked for it", 60.0, {}))
    with contextlib.suppress(KeyboardInterrupt):
        time.sleep(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
