"""The notification center: suggestions through the platform's notifications, the popup behind them.

Against a real dbus-daemon session bus and the notification server of
tests/desktop/notify/fakenotify.py (tests/desktop/notify/test_freedesktop.py has the wire
protocol): a click on the notification's body opens the popup, an unanswered notice expires as
ignored, and without an actionable server, a session bus or a quick answer the Qt popup takes
over while the event loop keeps ticking.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("jeepney")

from desktop.notify.freedesktop import FreedesktopBackend  # noqa: E402
from desktop.ui.notifications import NotificationCenter  # noqa: E402
from desktop.ui.qt import QTimer  # noqa: E402
from tests.desktop.notify import test_freedesktop as freedesktop_tests  # noqa: E402
from tests.desktop.notify.fakenotify import FakeNotificationServer  # noqa: E402
from tests.desktop.ui.test_tray import make_controller  # noqa: E402

# The session bus, the notification server, the service and a shown notice, as the wire tests
# have them.
bus = freedesktop_tests.bus
server = freedesktop_tests.server
service = freedesktop_tests.service
shown = freedesktop_tests.shown
WHY = freedesktop_tests.WHY
logged_suggestion = freedesktop_tests.logged_suggestion
make_tray = freedesktop_tests.make_tray
outcome = freedesktop_tests.outcome


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
