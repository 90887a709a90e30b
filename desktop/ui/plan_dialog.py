"""The add/edit dialog of a habit or task: fields in, one plan item out (or one line why not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from desktop.plan import items, views
from desktop.ui import text
from desktop.ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    Qt,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from edge_model import categories as category_table

DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# What a user can tick as "counts as doing it": the rule table's categories, "Other" last.
CHOICES = tuple(sorted(category_table.RULE_CATEGORIES - {"unknown"})) + ("unknown",)
END_OF_DAY = QTime(23, 59)  # a time edit cannot say 24:00; this one stands for it

Save = Callable[[items.Item], None]  # raises items.PlanError to keep the dialog open


def _qtime(minute: int) -> QTime:
    return END_OF_DAY if minute >= 24 * 60 else QTime(minute // 60, minute % 60)


def _clock(time: QTime, end: bool = False) -> str:
    if end and time == END_OF_DAY:
        return "24:00"
    return f"{time.hour():02d}:{time.minute():02d}"


class PlanItemDialog(QDialog):
    """Add or edit one habit or task; Save checks it the way plan.toml is checked."""

    def __init__(
        self,
        form: views.ItemForm,
        today: dt.date,
        save: Save,
        parent: QWidget | None = None,
        *,
        editing: bool = False,
    ) -> None:
        super().__init__(parent)
        self.today = today
        self.save_item = save
        self.item: items.Item | None = None
        self.setWindowTitle(self.tr("Edit plan item") if editing else self.tr("Add to the plan"))
        self.setObjectName("planItemDialog")

        self.name = QLineEdit(form.name)
        self.name.setPlaceholderText(self.tr("e.g. Deep work, Read, Write the report"))
        self.name.setMaxLength(80)
        self.kind = QComboBox()
        self.kind.addItem(self.tr("Habit: comes back every day or week"), "habit")
        self.kind.addItem(self.tr("Task: done once, by a date"), "task")
        self.kind.setCurrentIndex(0 if form.kind == "habit" else 1)
        self.length = QLineEdit(form.length)
        self.length.setPlaceholderText(self.tr("minutes: 45, 1h30m, or a range 60-120"))

        self.per = QComboBox()
        self.per.addItem(self.tr("on each chosen day"), "day")
        self.per.addItem(self.tr("times a week:"), "week")
        self.per.setCurrentIndex(0 if form.per == "day" else 1)
        self.times = QSpinBox()
        self.times.setRange(1, 14)
        self.times.setValue(form.times)
        often = QWidget()
        often_layout = QHBoxLayout(often)
        often_layout.setContentsMargins(0, 0, 0, 0)
        often_layout.addWidget(self.per)
        often_layout.addWidget(self.times)
        often_layout.addStretch(1)

        self.days: list[QCheckBox] = []
        days = QWidget()
        days_layout = QHBoxLayout(days)
        days_layout.setContentsMargins(0, 0, 0, 0)
        for index, label in enumerate(DAY_LABELS):
            box = QCheckBox(self.tr(label))
            box.setChecked(index in form.days)
            self.days.append(box)
            days_layout.addWidget(box)
        days_layout.addStretch(1)

        window = items.parse_window(form.window, "window") if form.window else None
        self.windowed = QCheckBox(self.tr("Only between"))
        self.windowed.setChecked(window is not None)
        self.window_from = QTimeEdit(_qtime(window[0] if window else 8 * 60))
        self.window_to = QTimeEdit(_qtime(window[1] if window else 12 * 60))
        for edit in (self.window_from, self.window_to):
            edit.setDisplayFormat("HH:mm")
        self.window_row = QWidget()
        window_layout = QHBoxLayout(self.window_row)
        window_layout.setContentsMargins(0, 0, 0, 0)
        window_layout.addWidget(self.windowed)
        window_layout.addWidget(self.window_from)
        window_layout.addWidget(QLabel(self.tr("and")))
        window_layout.addWidget(self.window_to)
        window_layout.addStretch(1)
        self.windowed.toggled.connect(self._enable)

        self.away = QCheckBox(self.tr("Away from the computer (exercise, lunch, a walk)"))
        self.away.setChecked(form.away)
        self.categories: dict[str, QCheckBox] = {}
        grid = QWidget()
        grid_layout = QGridLayout(grid)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        for index, category in enumerate(CHOICES):
            box = QCheckBox(text.category_label(category))
            box.setChecked(category in form.categories)
            self.categories[category] = box
            grid_layout.addWidget(box, index // 4, index % 4)
        counts = QWidget()
        counts_layout = QVBoxLayout(counts)
        counts_layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel(self.tr("None ticked: any time at the computer counts."))
        hint.setEnabled(False)
        counts_layout.addWidget(grid)
        counts_layout.addWidget(hint)
        counts_layout.addWidget(self.away)
        self.away.toggled.connect(self._enable)

        self.priority = QComboBox()
        for value, label in ((1, self.tr("High")), (2, self.tr("Normal")), (3, self.tr("Low"))):
            self.priority.addItem(label, value)
        self.priority.setCurrentIndex(form.priority - 1)

        due = _due_date(form.due, today)
        self.has_due = QCheckBox(self.tr("Done by the end of"))
        self.has_due.setChecked(due is not None)
        self.due = QDateEdit()
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("ddd d MMM yyyy")
        shown = due or today + dt.timedelta(days=4)
        self.due.setDate(QDate(shown.year, shown.month, shown.day))
        self.has_due.toggled.connect(self._enable)
        due_row = QWidget()
        due_layout = QHBoxLayout(due_row)
        due_layout.setContentsMargins(0, 0, 0, 0)
        due_layout.addWidget(self.has_due)
        due_layout.addWidget(self.due)
        due_layout.addStretch(1)
        self.chunk = QLineEdit(form.chunk)
        self.chunk.setPlaceholderText(self.tr("minutes per block, e.g. 60-120"))

        self.form = QFormLayout()
        self.form.addRow(self.tr("&Name"), self.name)
        self.form.addRow(self.tr("&Kind"), self.kind)
        self.length_label = QLabel()
        self.length_label.setBuddy(self.length)
        self.form.addRow(self.length_label, self.length)
        self.form.addRow(self.tr("How &often"), often)
        self.form.addRow(self.tr("&Due"), due_row)
        self.form.addRow(self.tr("In &blocks of"), self.chunk)
        self.form.addRow(self.tr("Days"), days)
        self.form.addRow(self.tr("&When"), self.window_row)
        self.form.addRow(self.tr("Counts as"), counts)
        self.form.addRow(self.tr("&Priority"), self.priority)

        self.error = QLabel()
        self.error.setObjectName("planItemError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #dc2626;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._enable)
        self.per.currentIndexChanged.connect(self._enable)
        self._enable()
        self.setMinimumWidth(560)

    def _enable(self) -> None:
        task = self.kind.currentData() == "task"
        self.length_label.setText(self.tr("&How long in all") if task else self.tr("&Each time"))
        self.form.setRowVisible(3, not task)  # how often
        self.form.setRowVisible(4, task)  # due
        self.form.setRowVisible(5, task)  # blocks of
        self.times.setEnabled(self.per.currentData() == "week")
        self.window_from.setEnabled(self.windowed.isChecked())
        self.window_to.setEnabled(self.windowed.isChecked())
        self.due.setEnabled(self.has_due.isChecked())
        for box in self.categories.values():
            box.setEnabled(not self.away.isChecked())

    def form_values(self) -> views.ItemForm:
        """Return what the fields say, as the plan's form."""
        due = self.due.date()
        window = ""
        if self.windowed.isChecked():
            window = f"{_clock(self.window_from.time())}-{_clock(self.window_to.time(), True)}"
        return views.ItemForm(
            name=self.name.text(),
            kind=str(self.kind.currentData()),
            length=self.length.text(),
            per=str(self.per.currentData()),
            times=self.times.value(),
            days=tuple(index for index, box in enumerate(self.days) if box.isChecked()),
            window=window,
            categories=tuple(name for name, box in self.categories.items() if box.isChecked()),
            away=self.away.isChecked(),
            priority=int(self.priority.currentData()),
            due=(
                f"{due.year():04d}-{due.month():02d}-{due.day():02d}"
                if self.has_due.isChecked()
                else ""
            ),
            chunk=self.chunk.text(),
        )

    def save(self) -> None:
        """Check the fields as plan.toml is checked, save the item and close; else say why."""
        try:
            item = views.item_from_form(self.form_values(), self.today)
            self.save_item(item)
        except items.PlanError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        except OSError as exc:
            self.error.setText(self.tr("Cannot write the plan: {error}").format(error=exc))
            self.error.setVisible(True)
            return
        self.item = item
        self.accept()


def _due_date(value: str, today: dt.date) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return today
