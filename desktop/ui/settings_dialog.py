"""The settings dialog: edits what desktop.settings validates and saves; decides nothing itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from desktop.config import Config, parse_quiet_hours
from desktop.settings import DAILY_CAP_RANGE, MIN_GAP_RANGE_MIN, Settings, SettingsError
from desktop.ui.background import run_in_background
from desktop.ui.qt import (
    QCheckBox,
    QDateTime,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

Confirm = Callable[[QWidget, str, str], bool]
ChoosePath = Callable[[QWidget], str | None]


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    """Return True if the user confirms (No is the default button)."""
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def choose_export_path(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent,
        parent.tr("Export your data"),
        "time-sculptor-export.json",
        "JSON (*.json);;CSV (*.csv)",
    )
    return path or None


def one_line(value: object) -> str:
    return " ".join(str(value).split())


def hhmm(hour: float) -> QTime:
    minutes = int(round(hour * 60)) % (24 * 60)
    return QTime(minutes // 60, minutes % 60)


class SettingsDialog(QDialog):
    """Suggestion pacing, quiet hours, privacy, excluded apps, start at login, the nightly
    fine-tune, data export and deletion.

    `export_data(path)`, `delete_range(start, end)` and `delete_data()` are injected (the
    CLI-equivalent functions; they may return a one-line summary to show); without them the
    buttons are disabled. Deleting asks first. `on_saved(config)` lets the running app apply
    the new Config at once; without it the dialog says changes apply at the next start.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        export_data: Callable[[str], object] | None = None,
        delete_data: Callable[[], object] | None = None,
        delete_range: Callable[[float, float], object] | None = None,
        on_saved: Callable[[Config], object] | None = None,
        confirm: Confirm = ask_yes_no,
        choose_path: ChoosePath = choose_export_path,
        now: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.now = now
        self.settings = settings
        self.export_data = export_data
        self.data_busy = False  # an export or delete is running off the GUI thread
        self.delete_data = delete_data
        self.delete_range_data = delete_range
        self.on_saved = on_saved
        self.confirm = confirm
        self.choose_path = choose_path
        self.saved: Config | None = None
        self.setWindowTitle(self.tr("Time Sculptor — Settings"))
        self.setObjectName("settingsDialog")
        config = settings.load()

        # Suggestions ---------------------------------------------------------------------
        self.daily_cap = QSpinBox()
        self.daily_cap.setRange(*DAILY_CAP_RANGE)
        self.daily_cap.setValue(config.daily_cap)
        self.daily_cap.setSpecialValueText(self.tr("no suggestions"))
        self.min_gap = QSpinBox()
        self.min_gap.setRange(int(MIN_GAP_RANGE_MIN[0]), int(MIN_GAP_RANGE_MIN[1]))
        self.min_gap.setSuffix(self.tr(" min"))
        self.min_gap.setValue(int(round(config.min_gap_min)))
        try:
            quiet_hours = parse_quiet_hours(config.quiet_hours)
        except ValueError:
            quiet_hours = None
        self.quiet_enabled = QCheckBox(self.tr("fr&om"))
        self.quiet_enabled.setChecked(quiet_hours is not None)
        start_hour, end_hour = quiet_hours if quiet_hours is not None else (22.0, 8.0)
        self.quiet_start = QTimeEdit(hhmm(start_hour))
        self.quiet_end = QTimeEdit(hhmm(end_hour))
        self.quiet_start.setAccessibleName(self.tr("Quiet from"))
        self.quiet_end.setAccessibleName(self.tr("Quiet until"))
        for edit in (self.quiet_start, self.quiet_end):
            edit.setDisplayFormat("HH:mm")
            edit.setEnabled(quiet_hours is not None)
            self.quiet_enabled.toggled.connect(edit.setEnabled)
        quiet = QWidget()
        quiet_row = QHBoxLayout(quiet)
        quiet_row.setContentsMargins(0, 0, 0, 0)
        quiet_row.addWidget(self.quiet_enabled)
        quiet_row.addWidget(self.quiet_start)
        quiet_row.addWidget(QLabel(self.tr("to")))
        quiet_row.addWidget(self.quiet_end)
        quiet_row.addStretch(1)
        quiet.setToolTip(self.tr("No suggestion at all between these local times"))
        self.quiet_hours = quiet
        pacing = QGroupBox(self.tr("Suggestions"))
        pacing_form = QFormLayout(pacing)
        pacing_form.addRow(self.tr("At most &per day:"), self.daily_cap)
        pacing_form.addRow(self.tr("At least &between two:"), self.min_gap)
        quiet_label = QLabel(self.tr("Quiet hours:"))
        quiet_label.setToolTip(quiet.toolTip())
        pacing_form.addRow(quiet_label, quiet)

        # Privacy -------------------------------------------------------------------------
        self.store_titles = QCheckBox(self.tr("Store window &titles in clear text"))
        self.store_titles.setChecked(config.store_titles)
        self.store_titles.setToolTip(
            self.tr("Off: titles are kept only as salted hashes; the model never sees titles.")
        )
        self.excluded = QListWidget()
        self.excluded.addItems(list(config.excluded_apps))
        self.excluded.setAccessibleName(self.tr("Excluded apps"))
        self.excluded.setMaximumHeight(110)
        self.new_app = QLineEdit()
        self.new_app.setPlaceholderText(self.tr("App name, e.g. keepassxc"))
        self.add_app_button = QPushButton(self.tr("&Add"))
        self.remove_app_button = QPushButton(self.tr("Re&move"))
        self.add_app_button.clicked.connect(self.add_app)
        self.new_app.returnPressed.connect(self.add_app)
        self.remove_app_button.clicked.connect(self.remove_app)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_app, 1)
        add_row.addWidget(self.add_app_button)
        add_row.addWidget(self.remove_app_button)
        privacy = QGroupBox(self.tr("Privacy"))
        privacy_layout = QVBoxLayout(privacy)
        privacy_layout.addWidget(self.store_titles)
        excluded_label = QLabel(self.tr('&Excluded apps (recorded only as "excluded"):'))
        excluded_label.setBuddy(self.excluded)
        privacy_layout.addWidget(excluded_label)
        privacy_layout.addWidget(self.excluded)
        privacy_layout.addLayout(add_row)

        # System and data -----------------------------------------------------------------
        self.autostart = QCheckBox(self.tr("Start at &login"))
        self.autostart.setChecked(settings.autostart.is_enabled())
        self.learning = QCheckBox(self.tr("&Gentle learning mode"))
        self.learning.setToolTip(self.tr("Fewer suggestions while the model learns your rhythm"))
        self.learning.setChecked(settings.ui_state().learning_mode)
        self.data_location = QLineEdit(str(settings.data_dir))
        self.data_location.setReadOnly(True)
        self.data_location.setAccessibleName(self.tr("Data location"))
        self.finetune = QCheckBox(self.tr("Nightly full &fine-tune (systemd user timer)"))
        self.finetune.setEnabled(False)
        if settings.finetune is None:
            self.finetune.setToolTip(self.tr("Not offered in this installation"))
        else:
            self.finetune.setToolTip(self.tr("Checking systemd…"))
            self._check_finetune()
        self.finetune.clicked.connect(self.switch_finetune)
        self.export_button = QPushButton(self.tr("E&xport…"))
        self.delete_button = QPushButton(self.tr("&Delete all data…"))
        self.export_button.setEnabled(export_data is not None)
        self.delete_button.setEnabled(delete_data is not None)
        self.export_button.clicked.connect(self.export)
        self.delete_button.clicked.connect(self.delete)
        data_buttons = QHBoxLayout()
        data_buttons.addWidget(self.export_button)
        data_buttons.addWidget(self.delete_button)
        data_buttons.addStretch(1)
        now_local = QDateTime.fromSecsSinceEpoch(int(now()))
        self.range_from = QDateTimeEdit(now_local.addSecs(-3600))
        self.range_to = QDateTimeEdit(now_local)
        self.range_from.setAccessibleName(self.tr("Delete from"))
        self.range_to.setAccessibleName(self.tr("Delete until"))
        for range_edit in (self.range_from, self.range_to):
            range_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            range_edit.setCalendarPopup(True)
        self.delete_range_button = QPushButton(self.tr("Delete &range…"))
        self.delete_range_button.setEnabled(delete_range is not None)
        self.delete_range_button.clicked.connect(self.delete_range)
        range_row = QHBoxLayout()
        range_row.addWidget(self.range_from)
        range_row.addWidget(QLabel(self.tr("to")))
        range_row.addWidget(self.range_to)
        range_row.addWidget(self.delete_range_button)
        system = QGroupBox(self.tr("System and data"))
        system_form = QFormLayout(system)
        system_form.addRow(self.autostart)
        system_form.addRow(self.learning)
        system_form.addRow(self.finetune)
        system_form.addRow(self.tr("Data location:"), self.data_location)
        system_form.addRow(data_buttons)
        system_form.addRow(range_row)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("settingsMessage")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (pacing, privacy, system, self.message, self.buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(480)

    # list editor ------------------------------------------------------------------------------
    def apps(self) -> list[str]:
        return [self.excluded.item(i).text() for i in range(self.excluded.count())]

    def add_app(self) -> None:
        name = self.new_app.text().strip()
        if name and name.lower() not in {a.lower() for a in self.apps()}:
            self.excluded.addItem(name)
        self.new_app.clear()

    def remove_app(self) -> None:
        for item in self.excluded.selectedItems():
            self.excluded.takeItem(self.excluded.row(item))

    # actions ----------------------------------------------------------------------------------
    def changes(self) -> dict[str, object]:
        quiet = ""
        if self.quiet_enabled.isChecked():
            start, end = (t.time().toString("HH:mm") for t in (self.quiet_start, self.quiet_end))
            quiet = f"{start}-{end}"
        return {
            "daily_cap": self.daily_cap.value(),
            "min_gap_min": float(self.min_gap.value()),
            "quiet_hours": quiet,
            "store_titles": self.store_titles.isChecked(),
            "excluded_apps": self.apps(),
        }

    def say(self, message: str) -> None:
        self.message.setText(one_line(message))

    def save(self) -> None:
        """Validate and save; stay open with the reason if something is invalid."""
        try:
            config = self.settings.validate(self.changes())
        except (SettingsError, ValueError) as exc:
            self.message.setText(self.tr("Not saved: {reason}").format(reason=exc))
            return
        self.settings.save(config)
        self.settings.autostart.set_enabled(self.autostart.isChecked())
        state = self.settings.ui_state()
        if state.learning_mode != self.learning.isChecked():
            self.settings.set_learning_mode(self.learning.isChecked(), now=self.now())
        self.saved = config
        if self.on_saved is not None:
            try:
                self.on_saved(config)
            except (OSError, ValueError, RuntimeError) as exc:
                self.say(self.tr("Saved; applies at the next start ({reason})").format(reason=exc))
                return
        self.accept()

    def export(self) -> None:
        if self.export_data is None:
            return
        path = self.choose_path(self)
        if not path:
            return
        export_data = self.export_data
        self._data_job(
            lambda: export_data(path),
            self.tr("Exporting…"),
            self.tr("Export failed: {reason}"),
            self.tr("Exported to {path}").format(path=path),
        )

    def delete(self) -> None:
        if self.delete_data is None:
            return
        if not self.confirm(
            self,
            self.tr("Delete all data"),
            self.tr("Delete every recorded span, suggestion and answer? This cannot be undone."),
        ):
            return
        self._data_job(
            self.delete_data,
            self.tr("Deleting…"),
            self.tr("Delete failed: {reason}"),
            self.tr("All data deleted."),
        )

    def delete_range(self) -> None:
        """Delete what was recorded between the two times, after asking."""
        if self.delete_range_data is None:
            return
        start = float(self.range_from.dateTime().toSecsSinceEpoch())
        end = float(self.range_to.dateTime().toSecsSinceEpoch())
        if end <= start:
            self.say(self.tr("Not deleted: the end must come after the start."))
            return
        shown = [
            e.dateTime().toString("yyyy-MM-dd HH:mm") for e in (self.range_from, self.range_to)
        ]
        if not self.confirm(
            self,
            self.tr("Delete a range"),
            self.tr(
                "Delete everything recorded from {start} to {end}, with the suggestions and "
                "answers of that time? This cannot be undone."
            ).format(start=shown[0], end=shown[1]),
        ):
            return
        delete_range_data = self.delete_range_data
        self._data_job(
            lambda: delete_range_data(start, end),
            self.tr("Deleting…"),
            self.tr("Delete failed: {reason}"),
            self.tr("Deleted {start} to {end}.").format(start=shown[0], end=shown[1]),
        )

    def _data_job(self, work: Callable[[], object], working: str, failed: str, done: str) -> None:
        """Run an export or delete off the GUI thread (a year of history takes seconds).

        The data buttons stay disabled until it ends; its outcome is said in one line: the
        returned text, else `done`, or `failed` with the reason.
        """
        self.data_busy = True
        buttons = (self.export_button, self.delete_button, self.delete_range_button)
        enabled = [button.isEnabled() for button in buttons]
        for button in buttons:
            button.setEnabled(False)
        self.say(working)

        def finished(result: object, error: BaseException | None) -> None:
            for button, was in zip(buttons, enabled, strict=True):
                button.setEnabled(was)
            self.data_busy = False
            if error is not None:
                self.say(failed.format(reason=error))
            else:
                self.say(result if isinstance(result, str) else done)

        run_in_background(work, finished)

    # the nightly fine-tune (systemctl runs off the GUI thread) ---------------------------------
    def _check_finetune(self) -> None:
        finetune = self.settings.finetune
        assert finetune is not None

        def check() -> tuple[str | None, bool]:
            reason = finetune.unavailable()
            return reason, (reason is None and finetune.is_enabled())

        run_in_background(check, self._finetune_checked)

    def _finetune_checked(self, result: Any, error: BaseException | None) -> None:
        reason, enabled = result if error is None else (one_line(error), False)
        self.finetune.setChecked(bool(enabled))
        self.finetune.setEnabled(reason is None)
        self.finetune.setToolTip(
            reason or self.tr("Fine-tune the model on your data every night (systemd timer)")
        )

    def switch_finetune(self, enabled: bool) -> None:
        """Enable or disable the timer now; the result (or why not) shows in one line."""
        finetune = self.settings.finetune
        if finetune is None:
            return
        self.finetune.setEnabled(False)
        self.say(self.tr("Asking systemd…"))
        run_in_background(
            lambda: finetune.set_enabled(enabled),
            lambda result, error: self._finetune_switched(enabled, result, error),
        )

    def _finetune_switched(self, enabled: bool, result: Any, error: BaseException | None) -> None:
        self.finetune.setEnabled(True)
        if error is not None:
            self.finetune.setChecked(not enabled)  # nothing changed
            self.say(self.tr("Nightly fine-tune unchanged: {reason}").format(reason=error))
            return
        self.say(str(result))
