"""Freedesktop notifications on a real dbus-daemon session bus: what goes out and what comes back.

The real FreedesktopBackend, driven by the app's NotificationCenter, tray, service and SQLite
store, talks to a notification server written in the test (fakenotify.py): the Notify call
carries the actions and the escaped reason, and each answer the server sends lands in the store
exactly as the Qt popup's would. The center's own behaviour (falling back to the popup, expiry,
a slow or missing server) is tested in tests/desktop/ui/test_notifications.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("jeepney")

from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.engine import Suggestion  # noqa: E402
from desktop.notify.freedesktop import FreedesktopBackend  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.ui.notifications import NotificationCenter  # noqa: E402
from tests.desktop.notify.fakenotify import FakeNotificationServer, session_bus  # noqa: E402
from tests.desktop.ui import test_tray as tray_tests  # noqa: E402
from tests.desktop.ui.test_tray import make_controller  # noqa: E402

NOW = 1_794_301_200.0
TEXT = "Time for a short break."
WHY = "You have been active for 95 minutes <without> a break & it is 15:00."


@pytest.fixture(scope="module")
def bus() -> Iterator[str]:
    yield from session_bus()


@pytest.fixture
def server(bus) -> Iterator[FakeNotificationServer]:
    fake = FakeNotificationServer(bus)
    yield fake
    fake.close()


@pytest.fixture
def service(tmp_path):
    svc = AppService(tmp_path, Config(), FakeClock(NOW), rng=np.random.default_rng(0))
    yield svc
    svc.close()


def logged_suggestion(service: AppService) -> Suggestion:
    return tray_tests.logged_suggestion(service, TEXT, WHY)


def make_tray(qtbot, service, address: str, expire_after_s: float = 120.0):
    center = NotificationCenter(FreedesktopBackend(address), int(expire_after_s * 1000))
    tray = make_controller(service, expire_after_s, notifications=center)
    center.start()
    qtbot.waitUntil(lambda: center.state != "starting", timeout=5000)
    return tray, center


def outcome(service: AppService, sid: int) -> str | None:
    return next(r.outcome for r in service.store.suggestions() if r.id == sid)


@pytest.fixture
def shown(qtbot, service, server, bus):
    tray, center = make_tray(qtbot, service, bus)
    assert center.state == "ready", center.reason
    suggestion = logged_suggestion(service)
    assert tray.show_suggestion(suggestion) is None  # the platform shows it, no popup
    note = server.wait_for_notify()
    yield tray, center, suggestion, note
    center.close()


def test_a_suggestion_becomes_notify_with_the_actions_and_the_reason(shown, server):
    tray, _center, _suggestion, note = shown
    app_name, replaces, _icon, summary, body, actions, hints, timeout_ms = note
    assert (app_name, replaces, summary) == ("Time Sculptor", 0, "Time Sculptor")
    pairs = dict(zip(actions[::2], actions[1::2], strict=True))
    assert pairs == {
        "default": "Why now?",
        "accept": "Accept",
        "snooze": "Snooze",
        "dismiss": "Dismiss",
        "not_like_this": "Not like this…",
        "why": "Why now?",
    }
    assert TEXT in body
    # The server reads body markup: the reason is there, escaped.
    assert "Why now: You have been active for 95 minutes &lt;without&gt; a break &amp;" in body
    assert timeout_ms == 120_000
    assert hints["desktop-entry"] == ("s", "time-sculptor")
    assert tray.popups == {}


def test_accept_stores_an_accepted_reaction(qtbot, shown, server, service):
    _tray, center, suggestion, _note = shown
    notification_id = 1
    server.invoke(notification_id, "accept")
    qtbot.waitUntil(lambda: outcome(service, suggestion.id) is not None, timeout=5000)
    assert outcome(service, suggestion.id) == "accepted"
    qtbot.wait(100)  # the NotificationClosed that follows is not a second answer
    feedback = [r for r in service.store.suggestions() if r.id == suggestion.id][0]
    assert feedback.outcome == "accepted"
    assert center.pending == {}


def test_expiry_by_the_server_records_ignored(qtbot, shown, server, service):
    _tray, _center, suggestion, _note = shown
    server.emit("NotificationClosed", "uu", (1, 1))  # 1: expired
    qtbot.waitUntil(lambda: outcome(service, suggestion.id) is not None, timeout=5000)
    assert outcome(service, suggestion.id) == "ignored"


def test_closing_it_by_hand_records_dismissed_and_other_apps_ids_are_left_alone(
    qtbot, shown, server, service
):
    _tray, _center, suggestion, _note = shown
    server.emit("ActionInvoked", "us", (999, "accept"))  # someone else's notification
    server.emit("NotificationClosed", "uu", (1, 2))  # 2: dismissed by the user
    qtbot.waitUntil(lambda: outcome(service, suggestion.id) is not None, timeout=5000)
    assert outcome(service, suggestion.id) == "dismissed"


def test_snooze_uses_the_default_snooze(qtbot, shown, server, service):
    _tray, _center, suggestion, _note = shown
    server.invoke(1, "snooze")
    qtbot.waitUntil(lambda: outcome(service, suggestion.id) is not None, timeout=5000)
    assert outcome(service, suggestion.id) == "snoozed"
    assert service.store.snooze_minutes(suggestion.id) == Config().default_snooze_min
