"""The dashboard window: four pages that draw a desktop.reports.Dashboard and compute nothing."""

from __future__ import annotations

from collections.abc import Callable

from desktop import reports
from desktop.ui import charts, text
from desktop.ui.qt import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QKeyEvent,
    QKeySequence,
    QLabel,
    QPushButton,
    QScrollArea,
    QShortcut,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

Loader = Callable[[float], reports.Dashboard]  # a time inside the day to show -> its dashboard


def _scrolling(page: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(page)
    return area


def _group(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def _category_bars(totals: tuple[tuple[str, float], ...]) -> list[charts.Bar]:
    total = sum(seconds for _, seconds in totals) or 1.0
    return [
        charts.Bar(
            text.category_label(category),
            seconds,
            f"{text.duration(seconds)} ({seconds / total:.0%})",
            charts.CATEGORY_COLORS.get(category, charts.CATEGORY_COLORS["unknown"]),
        )
        for category, seconds in totals
    ]


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))


class BalanceForm(QWidget):
    """Focus and break figures as a form (labels are selectable and screen-reader friendly)."""

    def __init__(self) -> None:
        super().__init__()
        layout = QFormLayout(self)
        self.values: dict[str, QLabel] = {}
        for key, label in (
            ("active", text.tr("Active")),
            ("away", text.tr("Away")),
            ("focus", text.tr("Longest focus stretch")),
            ("stretch", text.tr("Longest stretch without a break")),
            ("breaks", text.tr("Breaks taken (5 min or more)")),
            ("accepted", text.tr("Suggested breaks accepted")),
        ):
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            layout.addRow(label, value)

    def set_balance(self, balance: reports.Balance, utc_offset_s: float) -> None:
        focus = text.duration(balance.longest_focus_s)
        if balance.longest_focus_start is not None and balance.longest_focus_s > 0:
            focus += " " + text.tr("(from {start})").format(
                start=text.clock_time(balance.longest_focus_start, utc_offset_s)
            )
        self.values["active"].setText(text.duration(balance.active_s))
        self.values["away"].setText(text.duration(balance.away_s))
        self.values["focus"].setText(focus)
        self.values["stretch"].setText(text.duration(balance.longest_stretch_s))
        self.values["breaks"].setText(str(balance.breaks_taken))
        self.values["accepted"].setText(str(balance.suggested_breaks_accepted))


class DashboardWindow(QWidget):
    """Today / Week / Suggestions / Model pages over one day; arrows move between days."""

    def __init__(
        self, load: Loader, now: Callable[[], float], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.load = load
        self.now = now
        self.day = now()
        self.data: reports.Dashboard | None = None
        self.setObjectName("dashboard")
        self.setWindowTitle(self.tr("Time Sculptor — Dashboard"))
        self.resize(940, 720)

        self.previous_button = QPushButton(self.tr("◀ &Previous day"))
        self.next_button = QPushButton(self.tr("&Next day ▶"))
        self.today_button = QPushButton(self.tr("&Today"))
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.day_label = QLabel()
        self.day_label.setObjectName("dayLabel")
        font = self.day_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.day_label.setFont(font)
        self.previous_button.clicked.connect(lambda: self.show_day(self.day - reports.DAY_S))
        self.next_button.clicked.connect(lambda: self.show_day(self.day + reports.DAY_S))
        self.today_button.clicked.connect(lambda: self.show_day(self.now()))
        self.refresh_button.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(self.previous_button)
        header.addWidget(self.day_label, 1, Qt.AlignmentFlag.AlignCenter)
        header.addWidget(self.next_button)
        header.addWidget(self.today_button)
        header.addWidget(self.refresh_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(_scrolling(self._today_page()), self.tr("D&ay"))
        self.tabs.addTab(_scrolling(self._week_page()), self.tr("&Week"))
        self.tabs.addTab(self._suggestions_page(), self.tr("&Suggestions"))
        self.tabs.addTab(_scrolling(self._model_page()), self.tr("&Model"))
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh)
        self.setTabOrder(self.previous_button, self.next_button)
        self.setTabOrder(self.next_button, self.today_button)
        self.setTabOrder(self.today_button, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.tabs)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    # pages ------------------------------------------------------------------------------------
    def _today_page(self) -> QWidget:
        page = QWidget()
        self.timeline = charts.TimelineChart()
        self.day_categories = charts.BarsChart(self.tr("Categories today"))
        self.day_balance = BalanceForm()
        row = QHBoxLayout()
        row.addWidget(_group(self.tr("Where the time went"), self.day_categories), 3)
        row.addWidget(_group(self.tr("Focus and breaks"), self.day_balance), 2)
        layout = QVBoxLayout(page)
        layout.addWidget(_group(self.tr("Timeline"), self.timeline))
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _week_page(self) -> QWidget:
        page = QWidget()
        self.heatmap = charts.HeatmapChart()
        self.week_categories = charts.BarsChart(self.tr("Categories this week"))
        self.week_balance = BalanceForm()
        row = QHBoxLayout()
        row.addWidget(_group(self.tr("Where the time went"), self.week_categories), 3)
        row.addWidget(_group(self.tr("Focus and breaks"), self.week_balance), 2)
        layout = QVBoxLayout(page)
        layout.addWidget(_group(self.tr("Active hours (7 days)"), self.heatmap))
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _suggestions_page(self) -> QWidget:
        page = QWidget()
        self.outcomes = charts.BarsChart(self.tr("Outcomes"))
        self.suggestion_table = _table(
            [
                self.tr("When"),
                self.tr("Outcome"),
                self.tr("Score"),
                self.tr("Model"),
                self.tr("Suggestion"),
            ]
        )
        self.suggestion_table.setAccessibleName(self.tr("Suggestion history"))
        layout = QVBoxLayout(page)
        layout.addWidget(_group(self.tr("Outcomes (7 days)"), self.outcomes))
        layout.addWidget(_group(self.tr("History"), self.suggestion_table), 1)
        return page

    def _model_page(self) -> QWidget:
        page = QWidget()
        form = QWidget()
        form_layout = QFormLayout(form)
        self.model_values: dict[str, QLabel] = {}
        for key, label in (
            ("version", self.tr("Version in use")),
            ("since", self.tr("Active since")),
            ("trained", self.tr("Trained")),
            ("parent", self.tr("Fine-tuned from")),
            ("answers", self.tr("Your answers so far")),
        ):
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.model_values[key] = value
            form_layout.addRow(label, value)
        self.metrics_table = _table([self.tr("Held-out metric"), self.tr("Value")])
        self.metrics_table.setAccessibleName(self.tr("Model metrics"))
        self.hour_rates = charts.HourRateChart()
        self.learned_label = QLabel()
        self.learned_label.setWordWrap(True)
        self.history_table = _table(
            [self.tr("Version"), self.tr("Status"), self.tr("When"), self.tr("Note")]
        )
        self.history_table.setAccessibleName(self.tr("Model history"))
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(_group(self.tr("Model"), form), 1)
        top.addWidget(
            _group(self.tr("How well it predicts (held-out data)"), self.metrics_table), 1
        )
        layout.addLayout(top)
        layout.addWidget(
            _group(
                self.tr("What it has learned about good times for breaks"),
                self.hour_rates,
                self.learned_label,
            )
        )
        layout.addWidget(_group(self.tr("Versions"), self.history_table))
        layout.addStretch(1)
        return page

    # data -------------------------------------------------------------------------------------
    def show_day(self, at: float) -> None:
        """Load and show the local day containing `at` (never beyond today)."""
        self.day = min(at, self.now())
        self.refresh()

    def refresh(self) -> None:
        """Reload the shown day from the store and redraw every page."""
        self.set_data(self.load(self.day))

    def set_data(self, data: reports.Dashboard) -> None:
        self.data = data
        offset = data.utc_offset_s
        is_today = reports.day_start(self.now(), offset) <= data.day_start
        self.day_label.setText(
            text.day_label(data.day_start, offset) + (f" · {self.tr('today')}" if is_today else "")
        )
        self.next_button.setEnabled(not is_today)
        self.today_button.setEnabled(not is_today)
        self.timeline.set_data(data.timeline, offset)
        self.day_categories.set_bars(_category_bars(data.day_categories))
        self.day_balance.set_balance(data.day_balance, offset)
        self.heatmap.set_data(data.heatmap, offset)
        self.week_categories.set_bars(_category_bars(data.week_categories))
        self.week_balance.set_balance(data.week_balance, offset)
        self.outcomes.set_bars(
            [
                charts.Bar(text.outcome_label(o), n, str(n), charts.OUTCOME_COLORS[o])
                for o, n in data.outcomes.items()
                if n or o != "pending"
            ]
        )
        _fill(
            self.suggestion_table,
            [
                [
                    f"{text.day_label(row.at, offset)} {text.clock_time(row.at, offset)}",
                    text.outcome_label(row.outcome),
                    f"{row.score:.2f}",
                    row.model_version,
                    row.text,
                ]
                for row in data.suggestions
            ],
        )
        self._set_model(data.model, offset)

    def _set_model(self, model: reports.ModelSummary, offset: float) -> None:
        values = self.model_values
        values["version"].setText(model.version or self.tr("none (rules only)"))
        values["since"].setText(
            f"{text.day_label(model.active_since, offset)} "
            f"{text.clock_time(model.active_since, offset)}"
            if model.active_since is not None
            else "–"
        )
        values["trained"].setText((model.created_at or "–").replace("T", " ")[:16])
        values["parent"].setText(model.parent_version or self.tr("none (pretrained)"))
        values["answers"].setText(str(model.answers))
        _fill(
            self.metrics_table,
            [[text.metric_label(k), text.metric_value(k, v)] for k, v in model.metrics],
        )
        self.metrics_table.setFixedHeight(
            self.metrics_table.horizontalHeader().height()
            + sum(self.metrics_table.rowHeight(r) for r in range(self.metrics_table.rowCount()))
            + 4
        )
        self.hour_rates.set_rates(model.by_hour)
        if model.best_hours:
            hours = ", ".join(f"{h:02d}:00" for h in model.best_hours)
            self.learned_label.setText(
                self.tr(
                    "Breaks were most welcome around {hours}. The next fine-tune learns "
                    "from your {n} answers."
                ).format(hours=hours, n=model.answers)
            )
        else:
            self.learned_label.setText(
                self.tr(
                    "Not enough answers yet to tell good times from bad ones ({n} of {needed})."
                ).format(n=model.answers, needed=reports.MIN_ANSWERS_FOR_HOURS)
            )
        _fill(
            self.history_table,
            [
                [
                    r.version,
                    r.status,
                    f"{text.day_label(r.at, offset)} {text.clock_time(r.at, offset)}",
                    r.reason,
                ]
                for r in model.history
            ],
        )
        rows = max(1, min(6, self.history_table.rowCount()))
        self.history_table.setFixedHeight(
            self.history_table.horizontalHeader().height() + 4 + rows * 30
        )
