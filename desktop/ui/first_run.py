"""The first-run dialog: what is recorded and where, the question whether to record at all,
the titles opt-in, an optional ActivityWatch import, and the gentle learning start. Decisions
go to desktop.settings; the yes or no to recording goes to `set_consent`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from desktop.settings import Settings, SettingsError
from desktop.ui import text
from desktop.ui.background import run_in_background
from desktop.ui.qt import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
)

ChooseFile = Callable[[QWidget], str | None]


def choose_activitywatch_export(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        parent, parent.tr("ActivityWatch export"), "", "ActivityWatch export (*.json)"
    )
    return path or None


class FirstRunDialog(QDialog):
    """Asks once whether to record. "Yes" remembers the choices and starts recording, "No"
    remembers the no (nothing is recorded; the tray menu's "Record activity" changes it), and
    closing the window answers nothing: the question comes again at the next start.

    `import_activitywatch(path)` (injected) imports a file all-or-nothing and returns how many
    spans it added; it runs off the GUI thread. Without it the import button is disabled and
    says why.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        import_activitywatch: Callable[[str], int] | None = None,
        set_consent: Callable[[bool], object] | None = None,
        choose_file: ChooseFile = choose_activitywatch_export,
        now: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.import_activitywatch = import_activitywatch
        self.set_consent = set_consent
        self.choose_file = choose_file
        self.now = now
        self.imported = 0
        self.setObjectName("firstRunDialog")
        self.setWindowTitle(self.tr("Welcome to Time Sculptor"))
        heading = QLabel(self.tr("<h2>Welcome to Time Sculptor</h2>"))
        explanation = QLabel(
            self.tr(
                "<p>Time Sculptor learns how you spend your time and suggests, now and then, "
                "a break at a good moment. <b>Everything stays on this computer.</b></p>"
                "<p>What it records, once a second:</p><ul>"
                "<li>which application is in front (its name, e.g. <i>firefox</i>),</li>"
                "<li>the window title, <b>stored only as a salted hash</b> unless you opt in "
                "below,</li>"
                "<li>when you are away from the keyboard,</li>"
                "<li>the suggestions it shows and how you answer them.</li></ul>"
                "<p>Where: <code>{path}</code> (one SQLite file, readable only by you). "
                "You can pause, export or delete it at any time from the tray menu.</p>"
                "<p><b>Start recording now?</b> Nothing is recorded until you say yes; "
                "<i>Record activity</i> in the tray menu changes your answer later.</p>"
            ).format(path=settings.data_dir)
        )
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        config = settings.load()
        self.store_titles = QCheckBox(self.tr("Store window &titles in clear text"))
        self.store_titles.setChecked(config.store_titles)
        self.learning = QCheckBox(self.tr("Start &gently: few suggestions while it learns"))
        self.learning.setChecked(True)

        self.import_button = QPushButton(self.tr("&Import ActivityWatch history…"))
        self.import_button.setEnabled(import_activitywatch is not None)
        if import_activitywatch is None:
            self.import_button.setToolTip(self.tr("Import is not available in this version"))
        self.import_button.clicked.connect(self.import_history)
        self.import_result = QLabel()
        self.import_result.setWordWrap(True)
        import_row = QHBoxLayout()
        import_row.addWidget(self.import_button)
        import_row.addWidget(self.import_result, 1)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(
            self.tr("&Yes, start recording"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.no_button = self.buttons.addButton(
            self.tr("&No, do not record"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.start_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.no_button.clicked.connect(self.decline)
        layout = QVBoxLayout(self)
        for widget in (heading, explanation, self.store_titles, self.learning):
            layout.addWidget(widget)
        layout.addLayout(import_row)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(540)

    def import_history(self) -> None:
        """Ask for an ActivityWatch export and import it in the background."""
        importer = self.import_activitywatch
        if importer is None:
            return
        path = self.choose_file(self)
        if not path:
            return
        self.import_button.setEnabled(False)
        self.import_result.setText(self.tr("Importing…"))
        run_in_background(lambda: int(importer(path)), self._imported)

    def _imported(self, count: Any, error: BaseException | None) -> None:
        self.import_button.setEnabled(True)
        if error is not None:
            reason = " ".join(str(error).split())
            self.import_result.setText(self.tr("Import failed: {reason}").format(reason=reason))
            return
        self.imported += int(count)
        self.import_result.setText(text.tr("Imported %n span(s).", "", int(count)))

    def start(self) -> None:
        """Save the choices, start recording, and never show this dialog again."""
        try:
            config = self.settings.validate({"store_titles": self.store_titles.isChecked()})
        except SettingsError as exc:
            self.import_result.setText(str(exc))
            return
        if config != self.settings.load():
            self.settings.save(config)
        if self.set_consent is not None:
            self.set_consent(True)
        self.settings.finish_first_run(learning_mode=self.learning.isChecked(), now=self.now())
        self.accept()

    def decline(self) -> None:
        """Remember the no: nothing is recorded, and this dialog is not shown again."""
        if self.set_consent is not None:
            self.set_consent(False)
        self.settings.finish_first_run(learning_mode=False, now=self.now())
        self.reject()
