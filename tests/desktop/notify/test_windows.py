"""Windows toasts: the real backend code against WinRT classes faked at the OS boundary."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest

from desktop.notify.base import ACCEPT, CLOSED, NOT_LIKE_THIS, WHY, Notice, NotifyUnavailable
from desktop.notify.windows import APP_ID, ToastBackend, parse_arguments, toast_xml

LABELS = {
    "accept": "Accept",
    "snooze": "Snooze",
    "dismiss": "Dismiss",
    "not_like_this": "Not like this…",
    "why": "Why now?",
    "why_prefix": "Why now:",
}


def notice(sid: int = 7) -> Notice:
    return Notice(
        sid, "Time Sculptor", "Take a break <now> & stretch.", "95 min active", 120, LABELS
    )


class XmlDocument:
    def load_xml(self, text: str) -> None:
        ET.fromstring(text)  # WinRT refuses malformed XML; so does this
        self.xml = text


class ToastNotification:
    def __init__(self, document: XmlDocument) -> None:
        self.document = document
        self.tag = self.group = ""
        self.activated: list = []
        self.dismissed: list = []

    def add_activated(self, handler) -> int:
        self.activated.append(handler)
        return len(self.activated)

    def add_dismissed(self, handler) -> int:
        self.dismissed.append(handler)
        return len(self.dismissed)

    # what Windows does when the user acts
    def click(self, arguments: str) -> None:
        for handler in self.activated:
            handler(self, SimpleNamespace(arguments=arguments))

    def dismiss(self, reason: int) -> None:
        for handler in self.dismissed:
            handler(self, SimpleNamespace(reason=reason))


class Notifier:
    def __init__(self, refuse: bool = False) -> None:
        self.shown: list[ToastNotification] = []
        self.hidden: list[ToastNotification] = []
        self.refuse = refuse

    def show(self, toast: ToastNotification) -> None:
        if self.refuse:
            raise OSError(-2143420155, "The notification platform is unavailable")
        self.shown.append(toast)

    def hide(self, toast: ToastNotification) -> None:
        self.hidden.append(toast)


class ActivatedArgs:
    @staticmethod
    def _from(inspectable):  # pywinrt's cast from IInspectable
        return inspectable


def winrt(notifier: Notifier) -> SimpleNamespace:
    ids: list[str] = []

    def create_toast_notifier_with_id(app_id: str) -> Notifier:
        ids.append(app_id)
        return notifier

    return SimpleNamespace(
        XmlDocument=XmlDocument,
        ToastNotification=ToastNotification,
        ToastNotificationManager=SimpleNamespace(
            create_toast_notifier_with_id=create_toast_notifier_with_id, ids=ids
        ),
        ToastActivatedEventArgs=ActivatedArgs,
        ToastDismissalReason=SimpleNamespace(USER_CANCELED=0, APPLICATION_HIDDEN=1, TIMED_OUT=2),
    )


@pytest.fixture
def started():
    notifier = Notifier()
    api = winrt(notifier)
    registered: list[tuple[str, str]] = []
    responses: list = []
    backend = ToastBackend(api=api, register=lambda *args: registered.append(args))
    backend.start(responses.append)
    return backend, notifier, api, registered, responses


def test_toast_xml_has_the_text_the_reason_and_four_buttons():
    root = ET.fromstring(toast_xml(notice()))
    assert root.get("launch") == "action=why&id=7"
    texts = [t.text for t in root.iter("text")]
    assert texts == ["Time Sculptor", "Take a break <now> & stretch.", "Why now: 95 min active"]
    buttons = [(a.get("content"), a.get("arguments")) for a in root.iter("action")]
    assert buttons == [
        ("Accept", "action=accept&id=7"),
        ("Snooze", "action=snooze&id=7"),
        ("Dismiss", "action=dismiss&id=7"),
        ("Not like this…", "action=not_like_this&id=7"),
    ]
    assert parse_arguments("action=accept&id=7") == ("accept", 7)
    assert parse_arguments("garbage") is None


def test_start_registers_the_app_id_and_show_hands_the_toast_to_windows(started):
    backend, notifier, api, registered, _ = started
    assert registered == [(APP_ID, "Time Sculptor")]
    assert api.ToastNotificationManager.ids == [APP_ID]
    backend.show(notice())
    (toast,) = notifier.shown
    assert (toast.tag, toast.group) == ("7", "suggestions")
    assert "Why now: 95 min active" in toast.document.xml


def test_a_button_answers_once(started):
    backend, notifier, _, _, responses = started
    backend.show(notice())
    toast = notifier.shown[0]
    toast.click("action=accept&id=7")
    toast.click("action=dismiss&id=7")  # a second activation from the Action Center
    toast.dismiss(0)
    assert [(r.suggestion_id, r.action) for r in responses] == [(7, ACCEPT)]


def test_body_click_asks_for_why_and_not_like_this_goes_through(started):
    backend, notifier, _, _, responses = started
    backend.show(notice(1))
    backend.show(notice(2))
    notifier.shown[0].click("action=why&id=1")
    notifier.shown[1].click("action=not_like_this&id=2")
    assert [(r.suggestion_id, r.action) for r in responses] == [(1, WHY), (2, NOT_LIKE_THIS)]


def test_only_the_users_own_dismissal_is_an_answer(started):
    backend, notifier, _, _, responses = started
    backend.show(notice())
    notifier.shown[0].dismiss(2)  # timed out: it sits in the Action Center, still answerable
    assert responses == []
    notifier.shown[0].dismiss(0)  # the user swiped it away
    assert [(r.suggestion_id, r.action) for r in responses] == [(7, CLOSED)]


def test_withdraw_hides_the_toast_and_later_clicks_are_ignored(started):
    backend, notifier, _, _, responses = started
    backend.show(notice())
    backend.withdraw(7)
    assert notifier.hidden == notifier.shown
    notifier.shown[0].click("action=accept&id=7")
    assert responses == []


def test_unavailable_platform_pieces_are_one_line_reasons():
    refused = ToastBackend(api=winrt(Notifier(refuse=True)), register=lambda *args: None)
    refused.start(lambda response: None)
    with pytest.raises(NotifyUnavailable, match="the toast was refused"):
        refused.show(notice())

    def no_registry(*args):
        raise OSError("access denied")

    with pytest.raises(NotifyUnavailable, match="access denied"):
        ToastBackend(api=winrt(Notifier()), register=no_registry).start(lambda response: None)
    if sys.platform != "win32":
        with pytest.raises(NotifyUnavailable, match="pywinrt is not installed"):
            ToastBackend().start(lambda response: None)


def test_an_accepted_toast_is_stored_through_the_notification_center(qtbot, tmp_path):
    pytest.importorskip("PySide6")
    from desktop.clock import FakeClock
    from desktop.config import Config
    from desktop.engine import Suggestion
    from desktop.service import AppService
    from desktop.ui.notifications import NotificationCenter
    from tests.helpers import log_suggestion

    service = AppService(
        tmp_path, Config(), FakeClock(1_794_301_200.0), rng=np.random.default_rng(0)
    )
    notifier = Notifier()
    center = NotificationCenter(ToastBackend(api=winrt(notifier), register=lambda *a: None), 60_000)
    center.answered.connect(lambda sid, outcome, minutes: service.react(sid, outcome, minutes))
    center.start()
    qtbot.waitUntil(lambda: center.state == "ready", timeout=5000)
    sid = log_suggestion(service.store, 1_794_301_200.0)
    suggestion = Suggestion(sid, "break", "t", "e", 0.9, 1.0, 1_794_301_200.0, "m")
    assert center.show(suggestion)
    qtbot.waitUntil(lambda: len(notifier.shown) == 1, timeout=5000)
    notifier.shown[0].click(f"action=accept&id={suggestion.id}")
    qtbot.waitUntil(lambda: service.store.last_suggestion().outcome == "accepted", timeout=5000)
    center.close()
    service.close()
