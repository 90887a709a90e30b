"""The tray icon and the suggestion popup: they display and forward clicks, nothing more."""

from __future__ import annotations

from collections.abc import Callable

from desktop.engine import Suggestion
from desktop.ui.qt import (
    QAction,
    QApplication,
    QColor,
    QGuiApplication,
    QHBoxLayout,
    QIcon,
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
React = Callable[[int, str, float | None], object]


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


class SuggestionPopup(QWidget):
    """A small window near the tray with Accept / Snooze / Dismiss and a 'Why now?' line."""

    answered = Signal(int, str, object)

    def __init__(self, suggestion: Suggestion, expire_after_ms: int) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.suggestion = suggestion
        self.setWindowTitle("Time Sculptor")
        self.setObjectName("suggestionPopup")
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{self.tr('A suggestion')}</b>")
        self.text = QLabel(suggestion.text)
        self.text.setWordWrap(True)
        self.why = QLabel(suggestion.explanation)
        self.why.setWordWrap(True)
        self.why.setVisible(False)
        self.why_button = QToolButton()
        self.why_button.setText(self.tr("Why now?"))
        self.why_button.setCheckable(True)
        self.why_button.toggled.connect(self.why.setVisible)
        buttons = QHBoxLayout()
        self.accept_button = QPushButton(self.tr("&Accept"))
        self.snooze_button = QPushButton(self.tr("&Snooze"))
        snooze_menu = QMenu(self.snooze_button)
        for minutes in SNOOZE_CHOICES_MIN:
            action = snooze_menu.addAction(self.tr("%n minute(s)", "", minutes))
            action.triggered.connect(lambda _=False, m=minutes: self._answer("snoozed", float(m)))
        self.snooze_button.setMenu(snooze_menu)
        self.dismiss_button = QPushButton(self.tr("&Dismiss"))
        self.accept_button.clicked.connect(lambda: self._answer("accepted"))
        self.dismiss_button.clicked.connect(lambda: self._answer("dismissed"))
        for button in (self.accept_button, self.snooze_button, self.dismiss_button):
            buttons.addWidget(button)
        for widget in (title, self.text, self.why_button, self.why):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.accept_button.setDefault(True)
        self.setMinimumWidth(360)
        self._expiry = QTimer(self, singleShot=True, interval=max(1, expire_after_ms))
        self._expiry.timeout.connect(lambda: self._answer("ignored"))
        self._expiry.start()

    def _answer(self, outcome: str, snooze_minutes: float | None = None) -> None:
        self._expiry.stop()
        self.answered.emit(self.suggestion.id, outcome, snooze_minutes)
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
    """The tray icon, its menu and the popups; every decision is delegated to `react`/services."""

    def __init__(
        self,
        react: React,
        pause: Callable[[float], object],
        resume: Callable[[], object],
        status_text: Callable[[], str],
        expire_after_s: float,
        quit_app: Callable[[], object],
    ) -> None:
        super().__init__()
        self.react = react
        self.expire_after_ms = int(expire_after_s * 1000)
        self.status_text = status_text
        self.popups: dict[int, SuggestionPopup] = {}
        self.tray = QSystemTrayIcon(app_icon()) if QSystemTrayIcon.isSystemTrayAvailable() else None
        self.menu = QMenu()
        self.status_action = QAction(self.tr("Starting…"), self.menu, enabled=False)
        self.menu.addAction(self.status_action)
        self.menu.addSeparator()
        self.menu.addAction(self.tr("Pause for 30 minutes"), lambda: pause(30))
        self.menu.addAction(self.tr("Pause for 1 hour"), lambda: pause(60))
        self.menu.addAction(self.tr("Resume"), resume)
        self.menu.addSeparator()
        self.menu.addAction(self.tr("&Quit"), quit_app)
        self.menu.aboutToShow.connect(self.refresh_status)
        if self.tray is not None:
            self.tray.setContextMenu(self.menu)
            self.tray.setToolTip("Time Sculptor")
            self.tray.show()

    def refresh_status(self) -> None:
        text = self.status_text()
        self.status_action.setText(text)
        if self.tray is not None:
            self.tray.setToolTip(f"Time Sculptor: {text}")

    def show_suggestion(self, suggestion: Suggestion) -> SuggestionPopup:
        """Show a suggestion as a tray message and a popup with the actions."""
        popup = SuggestionPopup(suggestion, self.expire_after_ms)
        popup.answered.connect(self._answered)
        self.popups[suggestion.id] = popup
        if self.tray is not None:
            self.tray.showMessage("Time Sculptor", suggestion.text, app_icon(), 10_000)
        popup.place_near_tray(self.tray)
        popup.show()
        return popup

    def _answered(self, suggestion_id: int, outcome: str, snooze_minutes: object) -> None:
        self.popups.pop(suggestion_id, None)
        minutes = None if snooze_minutes is None else float(snooze_minutes)  # type: ignore[arg-type]
        self.react(suggestion_id, outcome, minutes)

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
