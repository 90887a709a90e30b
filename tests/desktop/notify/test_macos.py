"""macOS UNUserNotificationCenter: the real backend code against the framework faked at the
OS boundary (pyobjc's UserNotifications names, the bundle id and the delegate factory)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from desktop.notify.base import ACCEPT, CLOSED, SNOOZE, WHY, Notice, NotifyUnavailable
from desktop.notify.macos import CATEGORY, UserNotificationsBackend

LABELS = {
    "accept": "Accept",
    "snooze": "Snooze",
    "dismiss": "Dismiss",
    "not_like_this": "Not like this…",
    "why": "Why now?",
    "why_prefix": "Why now:",
}
DEFAULT = "com.apple.UNNotificationDefaultActionIdentifier"
DISMISSED = "com.apple.UNNotificationDismissActionIdentifier"


def later(handler, *args) -> None:
    """Apple calls completion handlers on one of its own queues, not the caller's thread."""
    threading.Thread(target=handler, args=args).start()


class Center:
    def __init__(self, granted: bool = True, add_error: str | None = None) -> None:
        self.granted = granted
        self.add_error = add_error
        self.delegate = None
        self.categories: set = set()
        self.requests: list = []
        self.removed: list[tuple[str, list[str]]] = []

    def setDelegate_(self, delegate) -> None:  # noqa: N802 - Objective-C selector names
        self.delegate = delegate

    def requestAuthorizationWithOptions_completionHandler_(self, options, handler) -> None:  # noqa: N802
        self.options = options
        later(handler, self.granted, None if self.granted else "denied by the user")

    def setNotificationCategories_(self, categories) -> None:  # noqa: N802
        self.categories = set(categories)

    def addNotificationRequest_withCompletionHandler_(self, request, handler) -> None:  # noqa: N802
        self.requests.append(request)
        later(handler, self.add_error)

    def removeDeliveredNotificationsWithIdentifiers_(self, ids) -> None:  # noqa: N802
        self.removed.append(("delivered", list(ids)))

    def removePendingNotificationRequestsWithIdentifiers_(self, ids) -> None:  # noqa: N802
        self.removed.append(("pending", list(ids)))


class Content:
    @classmethod
    def alloc(cls):
        return cls()

    def init(self):
        return self

    def setTitle_(self, value):  # noqa: N802
        self.title = value

    def setBody_(self, value):  # noqa: N802
        self.body = value

    def setCategoryIdentifier_(self, value):  # noqa: N802
        self.category = value

    def setThreadIdentifier_(self, value):  # noqa: N802
        self.thread = value


class Category:
    def __init__(self, identifier, actions, intents, options) -> None:
        self.identifier, self.actions, self.options = identifier, actions, options


def framework(center: Center, bundle: str | None = "org.timesculptor.app") -> SimpleNamespace:
    un = SimpleNamespace(
        UNAuthorizationOptionAlert=4,
        UNAuthorizationOptionSound=2,
        UNNotificationActionOptionForeground=4,
        UNNotificationCategoryOptionCustomDismissAction=1,
        UNNotificationDefaultActionIdentifier=DEFAULT,
        UNNotificationDismissActionIdentifier=DISMISSED,
        UNUserNotificationCenter=SimpleNamespace(currentNotificationCenter=lambda: center),
        UNNotificationAction=SimpleNamespace(
            actionWithIdentifier_title_options_=lambda i, t, o: SimpleNamespace(
                identifier=i, title=t, options=o
            )
        ),
        UNNotificationCategory=SimpleNamespace(
            categoryWithIdentifier_actions_intentIdentifiers_options_=Category
        ),
        UNMutableNotificationContent=Content,
        UNNotificationRequest=SimpleNamespace(
            requestWithIdentifier_content_trigger_=lambda i, c, t: SimpleNamespace(
                identifier=i, content=c, trigger=t
            )
        ),
    )
    return SimpleNamespace(
        UN=un,
        bundle_id=lambda: bundle,
        make_delegate=lambda respond: SimpleNamespace(respond=respond),
    )


def notice(sid: int = 3) -> Notice:
    return Notice(sid, "Time Sculptor", "Time for a short break.", "95 min active", 120, LABELS)


@pytest.fixture
def started():
    center = Center()
    responses: list = []
    backend = UserNotificationsBackend(api=framework(center), wait_s=5)
    backend.start(responses.append)
    return backend, center, responses


def test_start_installs_the_delegate_and_asks_permission(started):
    _backend, center, _ = started
    assert center.delegate is not None and center.options == 4 | 2


def test_show_registers_the_actions_and_sends_the_request(started):
    backend, center, _ = started
    backend.show(notice())
    (category,) = center.categories
    assert category.identifier == CATEGORY and category.options == 1
    actions = [(a.identifier, a.title, a.options) for a in category.actions]
    assert actions == [
        ("accept", "Accept", 0),
        ("snooze", "Snooze", 0),
        ("dismiss", "Dismiss", 0),
        ("not_like_this", "Not like this…", 4),  # opens the popup: brings the app forward
        ("why", "Why now?", 4),
    ]
    (request,) = center.requests
    assert request.identifier == "suggestion-3" and request.trigger is None
    assert request.content.body == "Time for a short break.\n\nWhy now: 95 min active"
    assert request.content.category == CATEGORY
    backend.show(notice(4))
    assert len(center.requests) == 2  # the category is registered once for the same labels


def test_the_delegate_maps_each_answer_once(started):
    backend, center, responses = started
    for sid in (1, 2, 3, 4):
        backend.show(notice(sid))
    respond = center.delegate.respond
    respond("suggestion-1", "accept")
    respond("suggestion-1", "dismiss")  # already answered
    respond("suggestion-2", DEFAULT)  # a click on the notification itself
    respond("suggestion-3", DISMISSED)  # closed with the "x"
    respond("suggestion-4", "snooze")
    respond("someone-else-9", "accept")
    got = [(r.suggestion_id, r.action) for r in responses]
    assert got == [(1, ACCEPT), (2, WHY), (3, CLOSED), (4, SNOOZE)]


def test_withdraw_removes_it_from_the_notification_center(started):
    backend, center, responses = started
    backend.show(notice())
    backend.withdraw(3)
    assert center.removed == [("delivered", ["suggestion-3"]), ("pending", ["suggestion-3"])]
    center.delegate.respond("suggestion-3", "accept")
    assert responses == []


def test_without_bundle_permission_or_delivery_it_is_unavailable():
    with pytest.raises(NotifyUnavailable, match="app bundle"):
        UserNotificationsBackend(api=framework(Center(), bundle=None)).start(lambda r: None)
    with pytest.raises(NotifyUnavailable, match="System Settings"):
        UserNotificationsBackend(api=framework(Center(granted=False)), wait_s=5).start(
            lambda r: None
        )
    failing = UserNotificationsBackend(api=framework(Center(add_error="quota")), wait_s=5)
    failing.start(lambda r: None)
    with pytest.raises(NotifyUnavailable, match="refused the notification: quota"):
        failing.show(notice())
