"""macOS notifications with actions through UNUserNotificationCenter (pyobjc).

One notification category carries Accept / Snooze / Dismiss / Not like this / Why now? as
actions; the body ends with the "why now" line. Apple only hands a notification centre to an
app bundle with an identifier (the packaged Time Sculptor.app), so a plain `python` process
falls back to the Qt popup. The delegate's callbacks arrive on the main run loop (Qt's own
event loop on macOS) and go to the centre's signal, which is queued to the GUI thread.

    python -m desktop.notify.macos   # says whether notifications with actions can be used
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

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

CATEGORY = "time-sculptor.suggestion"
ACTIONS = (ACCEPT, SNOOZE, DISMISS, NOT_LIKE_THIS, WHY)
PREFIX = "suggestion-"
AUTHORIZATION_WAIT_S = 120.0  # the first run asks the user; the popup stands in meanwhile
_delegate_class: Any = None


def _make_delegate(respond: Callable[[str, str], None]) -> Any:
    """Return a UNUserNotificationCenterDelegate that passes (request id, action id) on."""
    global _delegate_class
    import objc  # type: ignore[import-not-found,unused-ignore]
    import UserNotifications  # type: ignore[import-not-found,unused-ignore]
    from Foundation import NSObject  # type: ignore[import-not-found,unused-ignore]

    if _delegate_class is None:  # an Objective-C class can be defined once per process
        protocol = objc.protocolNamed("UNUserNotificationCenterDelegate")

        class TimeSculptorNotificationDelegate(NSObject, protocols=[protocol]):  # type: ignore[misc,call-arg,unused-ignore]
            def userNotificationCenter_didReceiveNotificationResponse_withCompletionHandler_(
                self, center: Any, response: Any, handler: Any
            ) -> None:
                identifier = str(response.notification().request().identifier())
                self.respond(identifier, str(response.actionIdentifier()))
                handler()

            def userNotificationCenter_willPresentNotification_withCompletionHandler_(
                self, center: Any, notification: Any, handler: Any
            ) -> None:
                # Show it even while the app is in front (a tray app often is).
                handler(
                    UserNotifications.UNNotificationPresentationOptionBanner
                    | UserNotifications.UNNotificationPresentationOptionList
                )

        _delegate_class = TimeSculptorNotificationDelegate
    delegate = _delegate_class.alloc().init()
    delegate.respond = respond
    return delegate


def load_usernotifications() -> SimpleNamespace:
    """Return the framework, the bundle id and the delegate factory (ImportError without pyobjc)."""
    import UserNotifications  # type: ignore[import-not-found,unused-ignore]
    from Foundation import NSBundle  # type: ignore[import-not-found,unused-ignore]

    return SimpleNamespace(
        UN=UserNotifications,
        bundle_id=lambda: NSBundle.mainBundle().bundleIdentifier(),
        make_delegate=_make_delegate,
    )


def request_id(suggestion_id: int) -> str:
    return f"{PREFIX}{suggestion_id}"


class UserNotificationsBackend:
    """UNUserNotificationCenter; `api` (framework, bundle id, delegate factory) is the boundary."""

    name = "macos"

    def __init__(self, api: Any = None, wait_s: float = AUTHORIZATION_WAIT_S) -> None:
        self._api = api
        self.wait_s = wait_s
        self._center: Any = None
        self._delegate: Any = None
        self._labels: dict[str, str] | None = None
        self._on_response: OnResponse | None = None
        self._lock = threading.Lock()
        self._shown: set[int] = set()

    def _wait(self, start: Callable[[Callable[..., None]], None], what: str) -> tuple[Any, ...]:
        """Call an API that answers through a completion handler; return the handler's args."""
        done = threading.Event()
        answer: list[Any] = []

        def handler(*args: Any) -> None:
            answer.extend(args)
            done.set()

        start(handler)
        if not done.wait(self.wait_s):
            raise NotifyUnavailable(f"macOS did not answer {what} in time")
        return tuple(answer)

    def start(self, on_response: OnResponse) -> None:
        """Require an app bundle, install the delegate and ask for permission to alert."""
        if self._api is None:
            try:
                self._api = load_usernotifications()
            except ImportError as exc:
                raise NotifyUnavailable(
                    f"pyobjc-framework-UserNotifications is not installed ({exc})"
                ) from None
        api = self._api
        if not api.bundle_id():
            raise NotifyUnavailable(
                "UNUserNotificationCenter needs an app bundle: run the packaged Time Sculptor.app"
            )
        un = api.UN
        self._center = un.UNUserNotificationCenter.currentNotificationCenter()
        self._delegate = api.make_delegate(self._respond)
        self._center.setDelegate_(self._delegate)
        options = un.UNAuthorizationOptionAlert | un.UNAuthorizationOptionSound
        granted, error = self._wait(
            lambda handler: self._center.requestAuthorizationWithOptions_completionHandler_(
                options, handler
            ),
            "the notification permission request",
        )
        if not granted:
            detail = f" ({error})" if error else ""
            raise NotifyUnavailable(
                "notifications are off for Time Sculptor (System Settings › Notifications)" + detail
            )
        self._on_response = on_response

    def _register_category(self, labels: dict[str, str]) -> None:
        un = self._api.UN
        actions = [
            un.UNNotificationAction.actionWithIdentifier_title_options_(
                key,
                labels.get(key, key),
                # These two open the app's popup, so they bring the app forward.
                un.UNNotificationActionOptionForeground if key in (NOT_LIKE_THIS, WHY) else 0,
            )
            for key in ACTIONS
        ]
        categories = un.UNNotificationCategory
        category = categories.categoryWithIdentifier_actions_intentIdentifiers_options_(
            CATEGORY, actions, [], un.UNNotificationCategoryOptionCustomDismissAction
        )
        self._center.setNotificationCategories_({category})
        self._labels = dict(labels)

    def show(self, notice: Notice) -> None:
        if self._center is None or self._on_response is None:
            raise NotifyUnavailable("macOS notifications are not started")
        if self._labels != notice.labels:
            self._register_category(notice.labels)
        un = self._api.UN
        content = un.UNMutableNotificationContent.alloc().init()
        content.setTitle_(notice.title)
        content.setBody_(notice.body(notice.labels.get("why_prefix", "Why now:")))
        content.setCategoryIdentifier_(CATEGORY)
        content.setThreadIdentifier_("suggestions")
        request = un.UNNotificationRequest.requestWithIdentifier_content_trigger_(
            request_id(notice.suggestion_id), content, None
        )
        with self._lock:
            self._shown.add(notice.suggestion_id)
        (error,) = self._wait(
            lambda handler: self._center.addNotificationRequest_withCompletionHandler_(
                request, handler
            ),
            "the notification request",
        ) or (None,)
        if error is not None:
            with self._lock:
                self._shown.discard(notice.suggestion_id)
            raise NotifyUnavailable(f"macOS refused the notification: {error}")

    def _respond(self, identifier: str, action_identifier: str) -> None:
        if not identifier.startswith(PREFIX):
            return
        try:
            suggestion_id = int(identifier[len(PREFIX) :])
        except ValueError:
            return
        un = self._api.UN
        if action_identifier == un.UNNotificationDefaultActionIdentifier:
            action = WHY
        elif action_identifier == un.UNNotificationDismissActionIdentifier:
            action = CLOSED
        elif action_identifier in ACTIONS:
            action = action_identifier
        else:
            return
        with self._lock:
            if suggestion_id not in self._shown:
                return
            self._shown.discard(suggestion_id)
        if self._on_response is not None:
            self._on_response(Response(suggestion_id, action))

    def withdraw(self, suggestion_id: int) -> None:
        with self._lock:
            self._shown.discard(suggestion_id)
        if self._center is not None:
            identifiers = [request_id(suggestion_id)]
            self._center.removeDeliveredNotificationsWithIdentifiers_(identifiers)
            self._center.removePendingNotificationRequestsWithIdentifiers_(identifiers)

    def stop(self) -> None:
        if self._center is not None:
            self._center.setDelegate_(None)
        self._center = None
        self._on_response = None


def main() -> int:
    """Say whether notifications with actions can be used in this process."""
    backend = UserNotificationsBackend(wait_s=30.0)
    try:
        backend.start(lambda response: print(response, flush=True))
    except NotifyUnavailable as exc:
        print(f"macOS notifications: unavailable: {exc}")
        return 1
    print("macOS notifications: available, with actions")
    backend.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
