"""Suggestions as freedesktop notifications on a real dbus-daemon session bus.

The app's real service, SQLite store and tray talk to a notification server written in the
test (tests/desktop/ui/fakenotify.py); answers must land in the store exactly as the Qt
popup's do, and without an actionable server the popup must take over.
"""

from __future__ import annotations

import time
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
from desktop.ui.qt import QTimer  # noqa: E402
from tests.desktop.ui import test_tray as tray_tests  # noqa: E402
from tests.desktop.ui.fakenotify import FakeNotificationServer, session_bus  # noqa: E402
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


def test_why_now_opens_the_popup_with_the_reason_and_its_answer_is_stored(
    qtbot, shown, server, service
):
    tray, center, suggestion, _note = shown
    server.invoke(1, "default")  # a click on the body
    qtbot.waitUntil(lambda: suggestion.id in tray.popups, timeout=5000)
    popup = tray.popups[suggestion.id]
    assert popup.isVisible() and popup.why.isVisible()
    assert popup.why.text() == WHY
    assert center.pending == {}  # the popup owns it now
    popup.not_like_this_button.menu().actions()[1].trigger()  # "Too frequent"
    assert outcome(service, suggestion.id) == "dismissed"
    record = [r for r in service.store.suggestions() if r.id == suggestion.id][0]
    assert record.outcome == "dismissed"


def test_unanswered_notice_expires_as_ignored_even_if_the_server_keeps_it(
    qtbot, service, server, bus
):
    tray, center = make_tray(qtbot, service, bus, expire_after_s=0.3)
    suggestion = logged_suggestion(service)
    tray.show_suggestion(suggestion)
    server.wait_for_notify()
    qtbot.waitUntil(lambda: outcome(service, suggestion.id) is not None, timeout=5000)
    assert outcome(service, suggestion.id) == "ignored"
    qtbot.waitUntil(lambda: server.closed_ids() == [1], timeout=5000)  # taken off the screen
    center.close()


def test_without_a_notification_server_the_qt_popup_shows_it(qtbot, service, bus):
    tray, center = make_tray(qtbot, service, bus)  # nobody owns the name on this bus
    assert center.state == "unavailable"
    assert "no notification server" in center.reason
    popup = tray.show_suggestion(logged_suggestion(service))
    assert popup is not None and popup.isVisible()
    popup.accept_button.click()
    assert service.store.last_suggestion().outcome == "accepted"
    center.close()


def test_a_server_without_actions_falls_back_to_the_popup(qtbot, service, bus):
    plain = FakeNotificationServer(bus, capabilities=("body",))
    try:
        tray, center = make_tray(qtbot, service, bus)
        assert center.state == "unavailable" and "actions" in center.reason
        assert tray.show_suggestion(logged_suggestion(service)) is not None
        assert plain.notifies() == []
        center.close()
    finally:
        plain.close()


def test_no_session_bus_at_all_falls_back(qtbot, service, monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    tray, center = make_tray(qtbot, service, "")
    assert center.state == "unavailable" and "DBUS_SESSION_BUS_ADDRESS" in center.reason
    assert tray.show_suggestion(logged_suggestion(service)) is not None
    center.close()


def test_the_event_loop_keeps_ticking_while_the_server_is_slow(qtbot, service, bus):
    slow = FakeNotificationServer(bus, notify_delay_s=1.0)
    try:
        tray, center = make_tray(qtbot, service, bus)
        ticks: list[float] = []
        timer = QTimer(interval=10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        started = time.perf_counter()
        for _ in range(3):
            tray.show_suggestion(logged_suggestion(service))
        assert time.perf_counter() - started < 0.2  # show_suggestion returned at once
        qtbot.waitUntil(lambda: len(slow.notifies()) == 3, timeout=10_000)
        timer.stop()
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        assert len(ticks) > 50 and max(gaps) < 0.2, f"GUI stalled {max(gaps) * 1000:.0f} ms"
        center.close()
    finally:
        slow.close()


def test_a_suggestion_shown_while_connecting_to_nothing_still_reaches_the_popup(
    qtbot, service, bus
):
    center = NotificationCenter(FreedesktopBackend(bus), 120_000)
    tray = make_controller(service, notifications=center)
    center.start()
    suggestion = logged_suggestion(service)
    assert tray.show_suggestion(suggestion) is None  # queued behind the connection attempt
    qtbot.waitUntil(lambda: suggestion.id in tray.popups, timeout=5000)
    assert center.state == "unavailable" and center.pending == {}
    tray.popups[suggestion.id].dismiss_button.click()
    assert outcome(service, suggestion.id) == "dismissed"
    center.close()
    center.close()  # idempotent
