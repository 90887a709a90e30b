"""The settings dialog: edits what desktop.settings validates and saves; decides nothing itself."""

from __future__ import annotations

import time
from collections.abc import Callable

from desktop.config import Config
from desktop.settings import DAILY_CAP_RANGE, MIN_GAP_RANGE_MIN, Settings, SettingsError
from desktop.ui.qt import (
    QCheckBox,
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
        parent, parent.tr("Export your data"), "time-sculptor-export.json", "JSON (*.json)"
    )
    return path or None


class SettingsDialog(QDialog):
    """Suggestion pacing, privacy, excluded apps, start at login, data export and deletion.

    `export_data(path)` and `delete_data()` are injected (the CLI-equivalent service
    functions); without them the buttons are disabled. `on_saved(config)` lets the running
    app apply the new Config; without it the dialog says changes apply at the next start.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        export_data: Callable[[str], object] | None = None,
        delete_data: Callable[[], object] | None = None,
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
        self.delete_data = delete_data
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
        self.quiet_start = QTimeEdit(QTime(22, 0))
        self.quiet_end = QTimeEdit(QTime(8, 0))
        quiet = QWidget()
        quiet_row = QHBoxLayout(quiet)
        quiet_row.setContentsMargins(0, 0, 0, 0)
        quiet_row.addWidget(self.quiet_start)
        quiet_row.addWidget(QLabel(self.tr("to")))
        quiet_row.addWidget(self.quiet_end)
        quiet_row.addWidget(QLabel(self.tr("(coming soon)")))
        # Config has no quiet hours yet and rejects unknown keys; a setting nothing obeys
        # would mislead, so it is shown, disabled, until the scheduling policy brings it.
        quiet.setEnabled(False)
        quiet.setToolTip(self.tr("Coming with the scheduling policy"))
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
        system = QGroupBox(self.tr("System and data"))
        system_form = QFormLayout(system)
        system_form.addRow(self.autostart)
        system_form.addRow(self.learning)
        system_form.addRow(self.tr("Data location:"), self.data_location)
        system_form.addRow(data_buttons)

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
        return {
            "daily_cap": self.daily_cap.value(),
            "min_gap_min": float(self.min_gap.value()),
            "store_titles": self.store_titles.isChecked(),
            "excluded_apps": self.apps(),
        }

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
            self.on_saved(config)
        self.accept()

    def export(self) -> None:
        if self.export_data is None:
            return
        path = self.choose_path(self)
        if not path:
            return
        try:
            self.export_data(path)
        except (OSError, ValueError) as exc:
            self.message.setText(self.tr("Export failed: {reason}").format(reason=exc))
            return
        self.message.setText(self.tr("Exported to {path}").format(path=path))

    def delete(self) -> None:
        if self.delete_data is None:
            return
        if not self.confirm(
            self,
            self.tr("Delete all data"),
            self.tr("Delete every recorded span, suggestion and answer? This cannot be undone."),
        ):
            return
        try:
            self.delete_data()
        except (OSError, ValueError) as exc:
            self.message.setText(self.tr("Delete failed: {reason}").format(reason=exc))
            return
        self.message.setText(self.tr("All data deleted."))
