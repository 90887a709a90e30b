"""The tray shell on real Qt (offscreen), wired to the real service, store and model."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.engine import Suggestion  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.ui.app import status_line  # noqa: E402
from desktop.ui.qt import Qt  # noqa: E402
from desktop.ui.tray import Bridge, SuggestionPopup, TrayController  # noqa: E402

NOW = 1_794_301_200.0


@pytest.fixture
def service(tmp_path):
    svc = AppService(tmp_path, Config(), FakeClock(NOW), rng=np.random.default_rng(0))
    svc.refresh_model()
    yield svc
    svc.close()


def logged_suggestion(
    service: AppService,
    text: str = "Time for a short break.",
    explanation: str = "You have been active for 95 minutes without a break.",
) -> Suggestion:
    """Log a break suggestion in the service's store and return it as the engine would."""
    sid = service.store.add_suggestion(
        created_at=NOW,
        kind="break",
        text=text,
        explanation=explanation,
        model_version=service.models.version or "",
        features={},
        score=0.8,
        propensity=0.9,
    )
    return Suggestion(
        id=sid,
        kind="break",
        text=text,
        explanation=explanation,
        score=0.8,
        propensity=0.9,
        created_at=NOW,
        model_version="m",
    )


def make_controller(service: AppService, expire_after_s: float = 120, **extra) -> TrayController:
    """The tray wired to the real service the way the app wires it (`extra`: optional parts)."""
    return TrayController(
        react=service.react,
        pause=service.pause,
        resume=service.resume,
        status_text=lambda: status_line(service),
        expire_after_s=expire_after_s,
        quit_app=lambda: None,
        **extra,
    )


@pytest.fixture
def tray(qtbot, service):
    return make_controller(service)


def outcome_of(service: AppService, suggestion_id: int) -> tuple[str | None, float | None]:
    [record] = [s for s in service.store.suggestions() if s.id == suggestion_id]
    return record.outcome, service.store.snooze_minutes(suggestion_id)


def test_accept_click_stores_the_reaction(qtbot, tray, service):
    suggestion = logged_suggestion(service)
    popup = tray.show_suggestion(suggestion)
    qtbot.addWidget(popup)
    assert popup.isVisible() and popup.text.text() == "Time for a short break."
    qtbot.mouseClick(popup.accept_button, Qt.MouseButton.LeftButton)
    assert outcome_of(service, suggestion.id) == ("accepted", None)
    assert not popup.isVisible()


def test_snooze_choice_is_stored_exactly(qtbot, tray, service):
    suggestion = logged_suggestion(service)
    popup = tray.show_suggestion(suggestion)
    qtbot.addWidget(popup)
    [five, ten, thirty] = popup.snooze_button.menu().actions()
    thirty.trigger()
    assert outcome_of(service, suggestion.id) == ("snoozed", 30.0)


def test_dismiss_via_keyboard_and_why_now_is_one_click_away(qtbot, tray, service):
    suggestion = logged_suggestion(service)
    popup = tray.show_suggestion(suggestion)
    qtbot.addWidget(popup)
    assert not popup.why.isVisibleTo(popup)
    qtbot.mouseClick(popup.why_button, Qt.MouseButton.LeftButton)
    assert popup.why.isVisibleTo(popup) and "95 minutes" in popup.why.text()
    popup.dismiss_button.setFocus()
    qtbot.keyClick(popup.dismiss_button, Qt.Key.Key_Space)
    assert outcome_of(service, suggestion.id)[0] == "dismissed"


def test_unanswered_popup_expires_as_ignored(qtbot, service):
    suggestion = logged_suggestion(service)
    seen = []
    popup = SuggestionPopup(suggestion, expire_after_ms=50)
    qtbot.addWidget(popup)
    popup.answered.connect(lambda *a: seen.append(a))
    popup.show()
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen == [(suggestion.id, "ignored", None)]


def test_quitting_closes_popups_without_answering_for_the_user(qtbot, service):
    controller = make_controller(service, expire_after_s=0.05)
    suggestion = logged_suggestion(service)
    popup = controller.show_suggestion(suggestion)
    qtbot.addWidget(popup)
    controller.close()
    assert not popup.isVisible() and controller.popups == {}
    qtbot.wait(200)  # past the expiry: a discarded popup does not answer "ignored"
    assert outcome_of(service, suggestion.id) == (None, None)


def test_suggestions_from_a_job_thread_reach_the_gui_thread(qtbot, tray, service):
    bridge = Bridge()
    shown = []
    bridge.suggestion.connect(lambda s: shown.append((s, threading.current_thread())))
    suggestion = logged_suggestion(service)
    worker = threading.Thread(target=bridge.suggestion.emit, args=(suggestion,))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert shown[0][1] is threading.main_thread()


def test_pause_from_the_menu_stops_collection(qtbot, tray, service):
    [pause_30] = [a for a in tray.menu.actions() if a.text() == "Pause for 30 minutes"]
    pause_30.trigger()
    assert service.paused_until == NOW + 30 * 60
    tray.refresh_status()
    assert tray.status_action.text().startswith("Paused until")


def test_a_plan_question_in_the_popup_has_its_own_answers(qtbot):
    question = Suggestion(
        7, "plan_end", "Deep work is over. How did it go?", "why", 1.0, 1.0, 0.0, ""
    )
    seen = []
    popup = SuggestionPopup(question, expire_after_ms=60_000)
    qtbot.addWidget(popup)
    popup.answered.connect(lambda *a: seen.append(a))
    texts = [b.text() for b in (popup.accept_button, popup.snooze_button, popup.dismiss_button)]
    assert texts == ["&Went well", "&Partly", "&Not really"]
    assert popup.snooze_button.menu() is None  # "Partly" is one answer, not a snooze length
    qtbot.mouseClick(popup.snooze_button, Qt.MouseButton.LeftButton)
    assert seen == [(7, "snoozed", None)]
