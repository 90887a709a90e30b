"""Platform notifications for suggestions, with the Qt popup as the fallback.

`NotificationCenter` runs a `desktop.notify` backend on one worker thread (D-Bus, WinRT and
UserNotifications calls may block; the GUI thread never waits on them) and turns its
responses into the calls the popup makes: `answered(id, outcome, snooze_minutes)`,
`not_like_this(id, reason)`, `popup_wanted(suggestion)` ("Why now?", or "Not like this"
without a reason: the popup shows the reasons) and `fallback(suggestion)` when the platform
cannot show it. An expiry timer on the GUI thread records "ignored" for a notice nobody
answered, even where the server keeps notices forever.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from desktop.engine import Suggestion
from desktop.notify.base import (
    ACCEPT,
    CLOSED,
    DISMISS,
    EXPIRED,
    NOT_LIKE_THIS,
    SNOOZE,
    WHY,
    Backend,
    Notice,
    Response,
)
from desktop.plan import notices
from desktop.ui import text
from desktop.ui.qt import QObject, QTimer, Signal

log = logging.getLogger(__name__)


def labels(kind: str = "") -> dict[str, str]:
    """Return the translated button labels and the "why" prefix (a plan block's are its own)."""
    if kind in notices.KINDS:
        names = notices.LABELS if kind == notices.BLOCK_KIND else notices.END_LABELS
        return {
            ACCEPT: text.tr(names[ACCEPT]),
            SNOOZE: text.tr(names[SNOOZE]),
            DISMISS: text.tr(names[DISMISS]),
            NOT_LIKE_THIS: text.tr("Not like this…"),
            WHY: text.tr("Why here?") if kind == notices.BLOCK_KIND else text.tr("Why ask?"),
            "why_prefix": text.tr("Why here:") if kind == notices.BLOCK_KIND else text.tr("Why:"),
        }
    return {
        ACCEPT: text.tr("Accept"),
        SNOOZE: text.tr("Snooze"),
        DISMISS: text.tr("Dismiss"),
        NOT_LIKE_THIS: text.tr("Not like this…"),
        WHY: text.tr("Why now?"),
        "why_prefix": text.tr("Why now:"),
    }


class NotificationCenter(QObject):
    """Shows suggestions through a platform backend; says when the Qt popup must do it."""

    answered = Signal(int, str, object)  # (suggestion id, outcome, snooze minutes or None)
    not_like_this = Signal(int, str)  # (suggestion id, reason)
    popup_wanted = Signal(object)  # a Suggestion: open the popup with "why" shown
    fallback = Signal(object)  # a Suggestion the platform could not show
    availability = Signal(bool, str)  # (usable, why not)
    _responded = Signal(object)  # from the backend's thread to the GUI thread
    _failed = Signal(object, str)
    _started = Signal(bool, str)

    def __init__(self, backend: Backend, expire_after_ms: int) -> None:
        super().__init__()
        self.backend = backend
        self.expire_after_ms = max(1, int(expire_after_ms))
        self.state = "idle"  # idle -> starting -> ready | unavailable
        self.reason = ""
        self.pending: dict[int, tuple[Suggestion, QTimer]] = {}
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")
        self._responded.connect(self._on_response)
        self._failed.connect(self._on_failed)
        self._started.connect(self._on_started)

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Connect to the platform service in the background (returns at once)."""
        if self.state != "idle":
            return
        self.state = "starting"
        future = self._executor.submit(self.backend.start, self._responded.emit)
        future.add_done_callback(self._start_done)

    def _start_done(self, future: Future[Any]) -> None:
        error = future.exception()
        self._started.emit(error is None, "" if error is None else str(error))

    def _on_started(self, ok: bool, reason: str) -> None:
        self.state = "ready" if ok else "unavailable"
        self.reason = reason
        if not ok:
            log.info("platform notifications unavailable (%s); using the Qt popup", reason)
        self.availability.emit(ok, reason)

    @property
    def usable(self) -> bool:
        """Return False once the backend said it cannot show actionable notices."""
        return self.state in ("starting", "ready")

    def _submit(self, work: Callable[..., Any], *args: Any) -> Future[Any] | None:
        if self._closed:
            return None
        return self._executor.submit(work, *args)

    def close(self) -> None:
        """Disconnect the backend; waits for the worker (call at quit; idempotent)."""
        if self._closed:
            return
        for _, timer in self.pending.values():
            timer.stop()
        self.pending.clear()
        self._executor.submit(self.backend.stop)
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=False)

    # showing -------------------------------------------------------------------------------
    def show(self, suggestion: Suggestion) -> bool:
        """Queue a notice; return False when the caller must show the popup instead."""
        if not self.usable or self._closed:
            return False
        timer = QTimer(self, singleShot=True, interval=self.expire_after_ms)
        timer.timeout.connect(lambda sid=suggestion.id: self._expire(sid))
        self.pending[suggestion.id] = (suggestion, timer)
        timer.start()
        notice = Notice(
            suggestion_id=suggestion.id,
            title="Time Sculptor",
            text=suggestion.text,
            why=suggestion.explanation,
            expire_after_s=self.expire_after_ms / 1000.0,
            labels=labels(suggestion.kind),
        )
        future = self._executor.submit(self.backend.show, notice)
        future.add_done_callback(functools.partial(self._show_done, suggestion=suggestion))
        return True

    def _show_done(self, future: Future[Any], *, suggestion: Suggestion) -> None:
        error = future.exception()
        if error is not None:
            self._failed.emit(suggestion, str(error))

    def _on_failed(self, suggestion: Suggestion, reason: str) -> None:
        log.warning("notification not shown (%s); using the Qt popup", reason)
        if self._take(suggestion.id) is not None:
            self.fallback.emit(suggestion)

    def _take(self, suggestion_id: int) -> Suggestion | None:
        entry = self.pending.pop(suggestion_id, None)
        if entry is None:
            return None
        entry[1].stop()
        return entry[0]

    def _expire(self, suggestion_id: int) -> None:
        if self._take(suggestion_id) is None:
            return
        self._submit(self.backend.withdraw, suggestion_id)
        self.answered.emit(suggestion_id, "ignored", None)

    def withdraw(self, suggestion_id: int) -> None:
        """Forget a notice answered elsewhere and take it off the screen."""
        if self._take(suggestion_id) is not None:
            self._submit(self.backend.withdraw, suggestion_id)

    # answers -------------------------------------------------------------------------------
    def _on_response(self, response: Response) -> None:
        suggestion = self._take(response.suggestion_id)
        if suggestion is None:
            return  # already answered, expired or handed to the popup
        sid = response.suggestion_id
        if response.action == ACCEPT:
            self.answered.emit(sid, "accepted", None)
        elif response.action == SNOOZE:
            self.answered.emit(sid, "snoozed", response.snooze_minutes)
        elif response.action in (DISMISS, CLOSED):
            self.answered.emit(sid, "dismissed", None)
        elif response.action == EXPIRED:
            self.answered.emit(sid, "ignored", None)
        elif response.action == NOT_LIKE_THIS and response.reason:
            self.not_like_this.emit(sid, response.reason)
        elif response.action in (NOT_LIKE_THIS, WHY):
            self.popup_wanted.emit(suggestion)
        else:  # an action this version does not know: leave the decision to the popup
            self.popup_wanted.emit(suggestion)
