"""The tray icon and the suggestion popup: they display and forward clicks, nothing more."""

from __future__ import annotations

from collections.abc import Callable

from desktop.engine import Suggestion
from desktop.notify.base import ACCEPT, DISMISS, SNOOZE, WHY
from desktop.plan import notices
from desktop.ui import text
from desktop.ui.notifications import NotificationCenter, labels
from desktop.ui.qt import (
    QAction,
    QApplication,
    QColor,
    QGuiApplication,
    QHBoxLayout,
    QIcon,
    QKeyEvent,
    QLabel,
    QMenu,
    QObject,
    QPainter,
    QPixmap,
    QPushButton,
    QSystemTrayIcon,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)

SNOOZE_CHOICES_MIN = (5, 10, 30)
# "Not like this": recorded as a dismissal with one of these reasons (stable keys, stored).
NOT_LIKE_THIS_REASONS = ("bad_moment", "too_frequent", "not_useful")
# `react(id, outcome, snooze_minutes)`; with a reason it is called with a fourth argument.
React = Callable[..., object]
STATE_COLORS = {"collecting": "#3b82f6", "learning": "#10b981", "paused": "#9ca3af"}


def reason_label(reason: str) -> str:
    return {
        "bad_moment": text.tr("Bad moment"),
        "too_frequent": text.tr("Too frequent"),
        "not_useful": text.tr("Not useful"),
    }.get(reason, reason)


def app_icon(color: str = "#3b82f6") -> QIcon:
    """Return the tray icon: a ring with a clock hand, drawn so it is crisp at any DPI."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = painter.pen()
        pen.setColor(QColor(color))
        pen.setWidthF(max(1.5, size / 10))
        painter.setPen(pen)
        margin = size / 8
        painter.drawEllipse(
            int(margin), int(margin), int(size - 2 * margin), int(size - 2 * margin)
        )
        painter.drawLine(size // 2, size // 2, size // 2, int(size / 4))
        painter.drawLine(size // 2, size // 2, int(size * 0.68), size // 2)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class Bridge(QObject):
    """Carries events from scheduler threads to the GUI thread (queued signal connections)."""

    suggestion = Signal(object)
    model_changed = Signal(str, str)
    error = Signal(str)
    show_dashboard = Signal()  # a second start knocked: bring the dashboard to the front


class SuggestionPopup(QWidget):
    """A small window near the tray: Accept / Snooze / Dismiss / Not like this, and 'Why now?'."""

    answered = Signal(int, str, object)
    not_like_this = Signal(int, str)  # (suggestion id, reason): a dismissal with a reason

    def __init__(self, suggestion: Suggestion, expire_after_ms: int) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.suggestion = suggestion
        self._done = False
        self.setWindowTitle("Time Sculptor")
        self.setObjectName("suggestionPopup")
        layout = QVBoxLayout(self)
        planned = suggestion.kind in notices.KINDS
        names = labels(suggestion.kind)
        heading = self.tr("Your plan") if planned else self.tr("A suggestion")
        title = QLabel(f"<b>{heading}</b>")
        self.text = QLabel(suggestion.text)
        self.text.setWordWrap(True)
        self.why = QLabel(suggestion.explanation)
        self.why.setWordWrap(True)
        self.why.setVisible(False)
        self.why_button = QToolButton()
        self.why_button.setText(names[WHY])
        self.why_button.setCheckable(True)
        self.why_button.toggled.connect(self.why.setVisible)
        buttons = QHBoxLayout()
        self.accept_button = QPushButton("&" + names[ACCEPT])
        self.snooze_button = QPushButton("&" + names[SNOOZE])
        if planned:  # Move / Partly: one answer, no snooze length
            self.snooze_button.clicked.connect(lambda: self._answer("snoozed"))
        else:
            snooze_menu = QMenu(self.snooze_button)
            for minutes in SNOOZE_CHOICES_MIN:
                action = snooze_menu.addAction(text.tr("%n minute(s)", "", minutes))
                action.triggered.connect(
                    lambda _=False, m=minutes: self._answer("snoozed", float(m))
                )
            self.snooze_button.setMenu(snooze_menu)
        self.dismiss_button = QPushButton("&" + names[DISMISS])
        self.accept_button.clicked.connect(lambda: self._answer("accepted"))
        self.dismiss_button.clicked.connect(lambda: self._answer("dismissed"))
        self.not_like_this_button = QPushButton(self.tr("&Not like this"))
        self.not_like_this_button.setToolTip(self.tr("Dismiss and tell the model why"))
        reasons_menu = QMenu(self.not_like_this_button)
        for reason in NOT_LIKE_THIS_REASONS:
            action = reasons_menu.addAction(reason_label(reason))
            action.setData(reason)
            action.triggered.connect(lambda _=False, r=reason: self._reject(r))
        self.not_like_this_button.setMenu(reasons_menu)
        for button in (
            self.accept_button,
            self.snooze_button,
            self.dismiss_button,
            self.not_like_this_button,
        ):
            buttons.addWidget(button)
        for widget in (title, self.text, self.why_button, self.why):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.accept_button.setDefault(True)
        self.setMinimumWidth(360)
        self._expiry = QTimer(self, singleShot=True, interval=max(1, expire_after_ms))
        self._expiry.timeout.connect(lambda: self._answer("ignored"))
        self._expiry.start()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:  # "not now": the same as Dismiss
            self._answer("dismissed")
            return
        super().keyPressEvent(event)

    def _answer(self, outcome: str, snooze_minutes: float | None = None) -> None:
        if self._done:  # a second click while the window closes
            return
        self._done = True
        self._expiry.stop()
        self.answered.emit(self.suggestion.id, outcome, snooze_minutes)
        self.close()

    def discard(self) -> None:
        """Close without answering: the app is quitting, the suggestion stays unanswered."""
        self._done = True
        self._expiry.stop()
        self.close()

    def _reject(self, reason: str) -> None:
        if self._done:
            return
        self._done = True
        self._expiry.stop()
        self.not_like_this.emit(self.suggestion.id, reason)
        self.close()

    def place_near_tray(self, tray: QSystemTrayIcon | None) -> None:
        """Move to the tray icon's corner of the screen (bottom-right when unknown)."""
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.adjustSize()
        anchor = tray.geometry() if tray is not None and tray.geometry().isValid() else None
        x = screen.right() - self.width() - 16
        y = (
            anchor.bottom() + 8
            if anchor is not None and anchor.top() < screen.center().y()
            else screen.bottom() - self.height() - 16
        )
        self.move(x, y)


class TrayController(QObject):
    """The tray icon, its menu and the popups; every decision is delegated to `react`/services.

    The keyword-only callables are optional so the tray also runs with just the basics:
    `state` returns "collecting" | "learning" | "paused" (icon colour and tooltip),
    `glance_text` the "Today at a glance" line, `minutes_until_tomorrow` enables
    "Pause until tomorrow", and `open_dashboard` / `open_settings` add those entries.
    `recording` / `set_recording` add "Record activity", the user's yes or no to recording.
    With `notifications`, suggestions go to the platform's notification service and the
    popup is used only when it cannot show them (or for "Why now?" / the reasons).
    """

    def __init__(
        self,
        react: React,
        pause: Callable[[float], object],
        resume: Callable[[], object],
        status_text: Callable[[], str],
        expire_after_s: float,
        quit_app: Callable[[], object],
        *,
        state: Callable[[], str] | None = None,
        glance_text: Callable[[], str] | None = None,
        minutes_until_tomorrow: Callable[[], float] | None = None,
        open_dashboard: Callable[[], object] | None = None,
        open_settings: Callable[[], object] | None = None,
        notifications: NotificationCenter | None = None,
        recording: Callable[[], bool] | None = None,
        set_recording: Callable[[bool], object] | None = None,
    ) -> None:
        super().__init__()
        self.react = react
        self.notifications = notifications
        if notifications is not None:
            notifications.answered.connect(self._answered)
            notifications.not_like_this.connect(self._not_like_this)
            notifications.popup_wanted.connect(lambda s: self.show_popup(s, why=True))
            notifications.fallback.connect(self.show_popup)
        self.expire_after_ms = int(expire_after_s * 1000)
        self.status_text = status_text
        self.state_of = state
        self.glance_text = glance_text
        self.state = "collecting"
        self.popups: dict[int, SuggestionPopup] = {}
        self.tray = QSystemTrayIcon(app_icon()) if QSystemTrayIcon.isSystemTrayAvailable() else None
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.status_action = QAction(self.tr("Starting…"), self.menu, enabled=False)
        self.menu.addAction(self.status_action)
        self.glance_action = QAction("", self.menu, enabled=False, visible=glance_text is not None)
        self.menu.addAction(self.glance_action)
        self.menu.addSeparator()
        self.dashboard_action: QAction | None = None
        if open_dashboard is not None:
            self.dashboard_action = self.menu.addAction(self.tr("Open &dashboard…"), open_dashboard)
            self.menu.addSeparator()
        self.recording = recording
        self.record_action: QAction | None = None
        if recording is not None and set_recording is not None:
            self.record_action = self.menu.addAction(self.tr("R&ecord activity"))
            self.record_action.setCheckable(True)
            self.record_action.setChecked(recording())
            self.record_action.triggered.connect(
                lambda checked: self._set_recording(set_recording, bool(checked))
            )
        # These two labels predate mnemonics and scripts match them; arrows reach them.
        self.pause_actions = [
            self.menu.addAction(self.tr("Pause for 30 minutes"), lambda: self._pause(pause, 30)),
            self.menu.addAction(self.tr("Pause for 1 hour"), lambda: self._pause(pause, 60)),
        ]
        if minutes_until_tomorrow is not None:
            self.pause_actions.append(
                self.menu.addAction(
                    self.tr("Pause until &tomorrow"),
                    lambda: self._pause(pause, minutes_until_tomorrow()),
                )
            )
        self.resume_action = self.menu.addAction(self.tr("&Resume"), lambda: self._resume(resume))
        self.menu.addSeparator()
        self.settings_action: QAction | None = None
        if open_settings is not None:
            self.settings_action = self.menu.addAction(self.tr("&Settings…"), open_settings)
        self.quit_action = self.menu.addAction(self.tr("&Quit"), quit_app)
        self.menu.aboutToShow.connect(self.refresh_status)
        if self.tray is not None:
            self.tray.setContextMenu(self.menu)
            self.tray.setToolTip("Time Sculptor")
            self.tray.show()

    def action(self, label: str) -> QAction:
        """Return the menu action whose text, without mnemonics, is `label`."""
        for candidate in self.menu.actions():
            if candidate.text().replace("&", "") == label:
                return candidate
        raise KeyError(label)

    def _pause(self, pause: Callable[[float], object], minutes: float) -> None:
        pause(minutes)
        self.refresh_status()

    def _set_recording(self, set_recording: Callable[[bool], object], on: bool) -> None:
        set_recording(on)
        self.refresh_status()

    def _resume(self, resume: Callable[[], object]) -> None:
        resume()
        self.refresh_status()

    def refresh_status(self) -> None:
        """Re-read the state, status and glance lines; recolour the icon if the state changed."""
        text_line = self.status_text()
        self.status_action.setText(text_line)
        if self.record_action is not None and self.recording is not None:
            self.record_action.setChecked(self.recording())
        state = self.state_of() if self.state_of is not None else "collecting"
        paused = state == "paused"
        self.resume_action.setEnabled(paused)
        tooltip = [f"Time Sculptor — {text.state_label(state)}", text_line]
        if self.glance_text is not None:
            glance = self.glance_text()
            self.glance_action.setText(glance)
            tooltip.append(glance)
        if state != self.state and self.tray is not None:
            self.tray.setIcon(app_icon(STATE_COLORS.get(state, STATE_COLORS["collecting"])))
        self.state = state
        if self.tray is not None:
            self.tray.setToolTip("\n".join(tooltip))

    def icon(self) -> QIcon:
        """Return the icon for the current state (what the tray shows)."""
        return app_icon(STATE_COLORS.get(self.state, STATE_COLORS["collecting"]))

    def show_suggestion(self, suggestion: Suggestion) -> SuggestionPopup | None:
        """Show a suggestion as a platform notification, else as a tray message and popup.

        Returns the popup when one was opened (None: the notification service has it).
        """
        if self.notifications is not None and self.notifications.show(suggestion):
            return None
        return self.show_popup(suggestion, message=True)

    def show_popup(
        self, suggestion: Suggestion, why: bool = False, message: bool = False
    ) -> SuggestionPopup:
        """Open the Qt popup with the actions (and the "why now" text shown if `why`)."""
        popup = SuggestionPopup(suggestion, self.expire_after_ms)
        popup.answered.connect(self._answered)
        popup.not_like_this.connect(self._not_like_this)
        popup.why_button.setChecked(why)
        self.popups[suggestion.id] = popup
        if message and self.tray is not None:
            self.tray.showMessage("Time Sculptor", suggestion.text, app_icon(), 10_000)
        popup.place_near_tray(self.tray)
        popup.show()
        return popup

    def _answered(self, suggestion_id: int, outcome: str, snooze_minutes: object) -> None:
        self.popups.pop(suggestion_id, None)
        minutes = None if snooze_minutes is None else float(snooze_minutes)  # type: ignore[arg-type]
        self.react(suggestion_id, outcome, minutes)

    def _not_like_this(self, suggestion_id: int, reason: str) -> None:
        self.popups.pop(suggestion_id, None)
        self.react(suggestion_id, "dismissed", None, reason)

    def close(self) -> None:
        """Discard the open popups and hide the icon (on quit; nothing is answered)."""
        for popup in list(self.popups.values()):
            popup.discard()
        self.popups.clear()
        if self.tray is not None:
            self.tray.hide()

    def show_error(self, message: str) -> None:
        if self.tray is not None:
            self.tray.showMessage("Time Sculptor", message, QSystemTrayIcon.MessageIcon.Warning)
        self.status_action.setText(message)


def ensure_app() -> QApplication:
    """Return the QApplication, creating it if needed."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setApplicationName("Time Sculptor")
    app.setQuitOnLastWindowClosed(False)
    return app
