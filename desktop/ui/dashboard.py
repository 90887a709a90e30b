"""The dashboard window: pages that draw a desktop.reports.Dashboard and compute nothing."""

from __future__ import annotations

import html
from collections.abc import Callable

from desktop import about_you, reports
from desktop.plan.planner import Planner
from desktop.ui import charts, text
from desktop.ui.plan_tab import PlanTab
from desktop.ui.qt import (
    QAbstractItemView,
    QButtonGroup,
    QColor,
    QDate,
    QDateEdit,
    QFont,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPalette,
    QPixmap,
    QPushButton,
    QScrollArea,
    QShortcut,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

# (a time inside the day to show, "day" | "week" | "month") -> what the dashboard draws
Loader = Callable[[float, reports.PeriodKind], reports.Dashboard]
VersionsLoader = Callable[[], reports.VersionList]


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


def _fill(table: QTableWidget, rows: list[list[str]], tooltips: list[str] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value)
            if tooltips is not None:
                item.setToolTip(tooltips[r])
            table.setItem(r, c, item)


def _fit_height(table: QTableWidget, rows: int | None = None) -> None:
    shown = table.rowCount() if rows is None else rows
    table.setFixedHeight(
        table.horizontalHeader().height()
        + sum(table.rowHeight(r) for r in range(min(shown, table.rowCount())))
        + max(0, shown - table.rowCount()) * 30
        + 4
    )


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


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

    def set_balance(self, balance: reports.Balance, utc_offset_s: float, period: str) -> None:
        focus = text.duration(balance.longest_focus_s)
        if balance.longest_focus_start is not None and balance.longest_focus_s > 0:
            start = text.clock_time(balance.longest_focus_start, utc_offset_s)
            if period != "day":
                start = f"{text.short_day_label(balance.longest_focus_start, utc_offset_s)} {start}"
            focus += " " + text.tr("(from {start})").format(start=start)
        self.values["active"].setText(text.duration(balance.active_s))
        self.values["away"].setText(text.duration(balance.away_s))
        self.values["focus"].setText(focus)
        self.values["stretch"].setText(text.duration(balance.longest_stretch_s))
        self.values["breaks"].setText(str(balance.breaks_taken))
        self.values["accepted"].setText(str(balance.suggested_breaks_accepted))


class AppsTree(QTreeWidget):
    """Categories, the apps inside each, and the window titles kept in clear inside each app."""

    def __init__(self) -> None:
        super().__init__()
        self.setColumnCount(3)
        self.setHeaderLabels(
            [text.tr("Category, app and window"), text.tr("Time"), text.tr("Share")]
        )
        self.setAccessibleName(text.tr("Time by category and app"))
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setMinimumHeight(160)

    def set_usage(self, usage: tuple[reports.Usage, ...]) -> None:
        self.clear()
        total = sum(u.seconds for u in usage) or 1.0
        bold = QFont(self.font())
        bold.setBold(True)
        for category in usage:
            item = self._item(None, category, 0, total)
            item.setIcon(
                0,
                _swatch(
                    charts.CATEGORY_COLORS.get(category.name, charts.CATEGORY_COLORS["unknown"])
                ),
            )
            item.setFont(0, bold)
            for app in category.children:
                child = self._item(item, app, 1, total)
                for title in app.children:
                    self._item(child, title, 2, total)
            item.setExpanded(True)

    def _item(
        self, parent: QTreeWidgetItem | None, usage: reports.Usage, depth: int, total: float
    ) -> QTreeWidgetItem:
        name = text.usage_label(usage.name, depth)
        values = [name, text.duration(usage.seconds), f"{usage.seconds / total:.0%}"]
        item = QTreeWidgetItem(values) if parent is None else QTreeWidgetItem(parent, values)
        if parent is None:
            self.addTopLevelItem(item)
        item.setToolTip(0, name)
        for column in (1, 2):
            item.setTextAlignment(
                column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        return item

    def rows(self) -> list[tuple[int, str, str]]:
        """Return every row as (depth, name, time), in display order (expanded or not)."""
        found: list[tuple[int, str, str]] = []

        def walk(item: QTreeWidgetItem | None, depth: int) -> None:
            if item is None:
                return
            found.append((depth, item.text(0), item.text(1)))
            for index in range(item.childCount()):
                walk(item.child(index), depth + 1)

        for index in range(self.topLevelItemCount()):
            walk(self.topLevelItem(index), 0)
        return found


class DashboardWindow(QWidget):
    """Activity / Suggestions / Model pages over a day, week or month picked in the header.

    With a planner, a Plan page too: the week's plan, which has its own week navigation.
    """

    def __init__(
        self,
        load: Loader,
        now: Callable[[], float],
        parent: QWidget | None = None,
        *,
        planner: Planner | None = None,
        versions: VersionsLoader | None = None,
        roll_back: Callable[[], str] | None = None,
        told: Callable[[], tuple[reports.Told, ...]] | None = None,
        forget: Callable[[str], str] | None = None,
        about: Callable[[], tuple[about_you.Finding, ...]] | None = None,
        take_offer: Callable[[dict[str, float]], str] | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.load = load
        self.now = now
        self.versions = versions
        self.roll_back = roll_back
        self.told = told
        self.forget = forget
        self.about = about
        self.take_offer = take_offer
        self.offer: dict[str, float] | None = None
        self.day = now()
        self.period: reports.PeriodKind = "day"
        self.data: reports.Dashboard | None = None
        self.setObjectName("dashboard")
        self.setWindowTitle(self.tr("Time Sculptor — Dashboard"))
        self.resize(980, 760)

        self.day_label = QLabel()
        self.day_label.setObjectName("dayLabel")
        font = self.day_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.day_label.setFont(font)
        self.period_buttons: dict[str, QPushButton] = {}
        self.period_group = QButtonGroup(self)
        self.period_group.setExclusive(True)
        periods = QHBoxLayout()
        periods.setSpacing(0)
        for period, label in (
            ("day", self.tr("D&ay")),
            ("week", self.tr("&Week")),
            ("month", self.tr("M&onth")),
        ):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(period == self.period)
            button.setAccessibleName(self.tr("Show one {period}").format(period=period))
            button.clicked.connect(lambda _=False, p=period: self.show_period(p))
            self.period_group.addButton(button)
            self.period_buttons[period] = button
            periods.addWidget(button)
        top = QHBoxLayout()
        top.addWidget(self.day_label, 1)
        top.addLayout(periods)

        self.previous_button = QPushButton(text.step_label("day", forward=False))
        self.next_button = QPushButton(text.step_label("day", forward=True))
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.date_edit.setAccessibleName(self.tr("Day to show"))
        self.date_edit.setToolTip(self.tr("Pick a day to show"))
        self.date_edit.dateChanged.connect(self._date_picked)
        self.today_button = QPushButton(self.tr("&Today"))
        self.latest_button = QPushButton(text.latest_day_button(None, 0.0))
        self.latest_button.setToolTip(self.tr("Jump to the last day with recorded activity"))
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(lambda: self.show_day(self.now()))
        self.latest_button.clicked.connect(self.show_latest_day)
        self.refresh_button.clicked.connect(self.refresh)
        navigation = QHBoxLayout()
        navigation.addWidget(self.previous_button)
        navigation.addWidget(self.date_edit)
        navigation.addWidget(self.next_button)
        navigation.addSpacing(12)
        navigation.addWidget(self.today_button)
        navigation.addWidget(self.latest_button)
        navigation.addStretch(1)
        navigation.addWidget(self.refresh_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._activity_page(), self.tr("A&ctivity"))
        self.tabs.addTab(self._suggestions_page(), self.tr("&Suggestions"))
        self.model_tab = _scrolling(self._model_page())
        self.tabs.addTab(self.model_tab, self.tr("&Model"))
        # What was learned about the user reads weeks of history: only while the page shows.
        self.tabs.currentChanged.connect(lambda _index: self._set_about())
        self.plan: PlanTab | None = None
        if planner is not None:
            self.plan = PlanTab(planner, now)
            self.tabs.addTab(self.plan, self.tr("Plan"))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(navigation)
        layout.addWidget(self.tabs, 1)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh)
        self.setTabOrder(self.previous_button, self.date_edit)
        self.setTabOrder(self.date_edit, self.next_button)
        self.setTabOrder(self.next_button, self.today_button)
        self.setTabOrder(self.today_button, self.latest_button)
        self.setTabOrder(self.latest_button, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.tabs)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    # pages ------------------------------------------------------------------------------------
    def _activity_page(self) -> QWidget:
        self.timeline = charts.TimelineChart()
        self.heatmap = charts.HeatmapChart()
        self.timeline_box = _group(self.tr("Timeline"), self.timeline)
        self.heatmap_box = _group(self.tr("Active hours"), self.heatmap)
        self.categories = charts.BarsChart(self.tr("Categories"))
        self.balance = BalanceForm()
        self.apps = AppsTree()
        row = QHBoxLayout()
        row.addWidget(_group(self.tr("Where the time went"), self.categories), 3)
        row.addWidget(_group(self.tr("Focus and breaks"), self.balance), 2)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.timeline_box)
        layout.addWidget(self.heatmap_box)
        layout.addLayout(row)
        apps_box = _group(self.tr("Apps and windows"), self.apps)
        layout.addWidget(apps_box, 1)  # the list takes the rest of the window: no empty half

        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.empty_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.empty_label.setFont(font)
        self.empty_latest_button = QPushButton()
        self.empty_latest_button.clicked.connect(self.show_latest_day)
        self.empty_latest_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_latest_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)

        self.activity_stack = QStackedWidget()
        self.activity_stack.addWidget(_scrolling(content))
        self.activity_stack.addWidget(empty)
        return self.activity_stack

    def _suggestions_page(self) -> QWidget:
        page = QWidget()
        self.outcomes = charts.BarsChart(
            self.tr("Outcomes"), self.tr("No suggestions were shown in this period.")
        )
        self.suggestion_table = _table([self.tr("When"), self.tr("Outcome"), self.tr("Suggestion")])
        self.suggestion_table.setAccessibleName(self.tr("Suggestion history"))
        self.outcomes_box = _group(self.tr("Outcomes"), self.outcomes)
        layout = QVBoxLayout(page)
        layout.addWidget(self.outcomes_box)
        layout.addWidget(_group(self.tr("History"), self.suggestion_table), 1)
        return page

    def _model_page(self) -> QWidget:
        page = QWidget()
        form = QWidget()
        form_layout = QFormLayout(form)
        self.model_values: dict[str, QLabel] = {}
        for key, label in (
            ("version", self.tr("In use")),
            ("since", self.tr("Active since")),
            ("parent", self.tr("Learned from your answers")),
            ("answers", self.tr("Your answers so far")),
        ):
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.model_values[key] = value
            form_layout.addRow(label, value)
        quality = QWidget()
        self.quality_layout = QFormLayout(quality)
        self.quality_values: dict[str, str] = {}
        self.hour_rates = charts.HourRateChart()
        self.learned_label = QLabel()
        self.learned_label.setWordWrap(True)
        self.learned_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        # The details: technical names, version ids (for a bug report or the curious).
        self.metrics_table = _table([self.tr("Held-out metric"), self.tr("Value")])
        self.metrics_table.setAccessibleName(self.tr("Model metrics"))
        self.history_table = _table(
            [self.tr("Version"), self.tr("Status"), self.tr("When"), self.tr("Note")]
        )
        self.history_table.setAccessibleName(self.tr("Model history"))
        self.details_button = QPushButton(self.tr("Show technical &details"))
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._show_details)
        self.details = QWidget()
        details_layout = QHBoxLayout(self.details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_layout.addWidget(
            _group(self.tr("Measured on held-out data"), self.metrics_table), 1
        )
        details_layout.addWidget(_group(self.tr("Activations"), self.history_table), 1)
        self.details.setVisible(False)

        # Every fine-tune, installed or not, with what it was compared on; one click goes back.
        self.versions_table = _table(
            [
                self.tr("Made"),
                self.tr("Status"),
                self.tr("Compared with the model then in use"),
                self.tr("Why"),
            ]
        )
        self.versions_table.setAccessibleName(self.tr("Model versions"))
        self.versions_table.setWordWrap(True)
        self.roll_back_button = QPushButton(self.tr("Roll &back to the previous version"))
        self.roll_back_button.setToolTip(
            self.tr("Stop using this version for good; the one before it serves again")
        )
        self.roll_back_button.clicked.connect(self._roll_back)
        self.roll_back_label = QLabel()
        self.roll_back_label.setWordWrap(True)
        roll_back_row = QHBoxLayout()
        roll_back_row.setContentsMargins(0, 0, 0, 0)
        roll_back_row.addWidget(self.roll_back_button)
        roll_back_row.addWidget(self.roll_back_label, 1)
        roll_back_box = QWidget()
        roll_back_box.setLayout(roll_back_row)
        # The nightly refits of the personal heads: installed only when they predict better.
        self.heads_label = QLabel()
        self.heads_label.setWordWrap(True)
        self.heads_label.setAccessibleName(self.tr("Personal heads"))
        self.versions_box = _group(
            self.tr("Versions"), self.versions_table, roll_back_box, self.heads_label
        )
        self.versions_box.setVisible(self.versions is not None)

        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(_group(self.tr("Model"), form), 1)
        top.addWidget(_group(self.tr("How well it predicts"), quality), 1)
        layout.addLayout(top)
        # What the app has learned about the user, in plain words, each with its evidence.
        self.about_label = QLabel()
        self.about_label.setObjectName("aboutYou")
        self.about_label.setWordWrap(True)
        self.about_label.setTextFormat(Qt.TextFormat.RichText)
        self.about_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A setting a finding offers (suggestions closer together for someone who takes most
        # breaks): taken up only by this button, never by the app on its own.
        self.offer_button = QPushButton()
        self.offer_button.setVisible(False)
        self.offer_button.clicked.connect(self._take_offer)
        self.offer_label = QLabel()
        self.offer_label.setWordWrap(True)
        self.about_box = _group(
            self.tr("What I have learned about you"),
            self.about_label,
            self.offer_button,
            self.offer_label,
        )
        about_layout = self.about_box.layout()
        if about_layout is not None:
            about_layout.setAlignment(self.offer_button, Qt.AlignmentFlag.AlignLeft)
        self.about_box.setVisible(self.about is not None)
        layout.addWidget(self.about_box)
        layout.addWidget(
            _group(
                self.tr("What it has learned about good times for breaks"),
                self.learned_label,
                self.hour_rates,
            ),
            1,
        )
        # What the user said with "Not like this", what it changed, and a way to take it back.
        self.told_list = QListWidget()
        self.told_list.setAccessibleName(self.tr("What you told me"))
        self.told_list.setWordWrap(True)
        self.forget_button = QPushButton(self.tr("&Forget what I said about this"))
        self.forget_button.setToolTip(
            self.tr("The app stops counting your answers about this kind of suggestion")
        )
        self.forget_button.clicked.connect(self._forget)
        self.told_label = QLabel()
        self.told_label.setWordWrap(True)
        self.told_box = _group(
            self.tr("What you told me"), self.told_list, self.forget_button, self.told_label
        )
        self.told_box.setVisible(self.told is not None)
        layout.addWidget(self.told_box)
        layout.addWidget(self.versions_box)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details)
        return page

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText(
            self.tr("Hide technical &details") if shown else self.tr("Show technical &details")
        )

    # navigation -------------------------------------------------------------------------------
    def _offset(self) -> float:
        return self.data.utc_offset_s if self.data is not None else 0.0

    def show_day(self, at: float) -> None:
        """Load and show the period containing `at` (never beyond today)."""
        self.day = min(at, self.now())
        self.refresh()

    def show_period(self, period: reports.PeriodKind) -> None:
        """Show a day, a week or a month around the shown day."""
        self.period = period
        self.period_buttons[period].setChecked(True)
        self.refresh()

    def step(self, steps: int) -> None:
        """Move back (negative) or forward by whole periods."""
        self.show_day(reports.step_period(self.day, self.period, steps, self._offset()))

    def show_latest_day(self) -> None:
        """Show the last day with recorded activity."""
        if self.data is not None and self.data.latest_day is not None:
            self.show_day(self.data.latest_day + reports.DAY_S / 2)

    def _date_picked(self, date: QDate) -> None:
        if self.data is None or not date.isValid():
            return
        shown = text.local_datetime(self.day, self._offset()).date()
        if (date.year(), date.month(), date.day()) != (shown.year, shown.month, shown.day):
            self.show_day(reports.local_noon(date.year(), date.month(), date.day(), self._offset()))

    def refresh(self) -> None:
        """Reload the shown period from the store and redraw every page."""
        self.set_data(self.load(self.day, self.period))
        if self.plan is not None and self.plan.loaded:
            self.plan.redraw()

    # drawing ----------------------------------------------------------------------------------
    def set_data(self, data: reports.Dashboard) -> None:
        self.data = data
        offset = data.utc_offset_s
        period = data.period
        label = text.period_label(period, data.period_start, data.period_end, offset)
        if data.is_current:
            label += f" · {text.current_period(period)}"
        self.day_label.setText(label)
        for name, button in self.period_buttons.items():
            button.setChecked(name == period)
            font = button.font()
            font.setBold(name == period)  # the checked look alone is faint in dark themes
            button.setFont(font)
        self.previous_button.setText(text.step_label(period, forward=False))
        self.next_button.setText(text.step_label(period, forward=True))
        self.next_button.setEnabled(not data.is_current)
        today_start = reports.day_start(self.now(), offset)
        self.today_button.setEnabled(data.day_start < today_start)
        self._set_date(data)
        latest = data.latest_day
        self.latest_button.setText(text.latest_day_button(latest, offset))
        self.latest_button.setEnabled(
            latest is not None and not (data.period_start <= latest < data.period_end)
        )

        self.timeline_box.setVisible(period == "day")
        self.heatmap_box.setVisible(period != "day")
        self.heatmap_box.setTitle(
            self.tr("Active hours, day by day") if period != "day" else self.tr("Active hours")
        )
        if data.has_data:
            self.activity_stack.setCurrentIndex(0)
        else:
            self.activity_stack.setCurrentIndex(1)
            self.empty_label.setText(text.empty_state(data))
            self.empty_latest_button.setVisible(self.latest_button.isEnabled())
            self.empty_latest_button.setText(self.latest_button.text())
        self.timeline.set_data(data.timeline, offset)
        self.heatmap.set_data(data.heatmap, offset)
        self.categories.set_bars(_category_bars(data.categories))
        self.balance.set_balance(data.balance, offset, period)
        self.apps.set_usage(data.apps)

        self.outcomes_box.setTitle(
            self.tr("Outcomes: {period}").format(
                period=text.period_label(period, data.period_start, data.period_end, offset)
            )
        )
        self.outcomes.set_bars(
            [
                charts.Bar(text.outcome_label(o), n, str(n), charts.OUTCOME_COLORS[o])
                for o, n in data.outcomes.items()
                if n
            ]
        )
        _fill(
            self.suggestion_table,
            [
                [
                    f"{text.day_label(row.at, offset)} {text.clock_time(row.at, offset)}",
                    text.outcome_label(row.outcome),
                    row.text,
                ]
                for row in data.suggestions
            ],
            [
                self.tr("Model {version}, score {score:.2f}").format(
                    version=row.model_version or self.tr("rules"), score=row.score
                )
                for row in data.suggestions
            ],
        )
        self._set_model(data.model, offset)

    def _set_date(self, data: reports.Dashboard) -> None:
        shown = text.local_datetime(data.day_start, data.utc_offset_s)
        today = text.local_datetime(self.now(), data.utc_offset_s)
        self.date_edit.blockSignals(True)
        self.date_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.date_edit.setDate(QDate(shown.year, shown.month, shown.day))
        self.date_edit.blockSignals(False)

    def _set_model(self, model: reports.ModelSummary, offset: float) -> None:
        values = self.model_values
        values["version"].setText(text.model_in_use(model))
        values["version"].setToolTip(
            self.tr("Version {version}").format(version=model.version) if model.version else ""
        )
        values["since"].setText(
            f"{text.day_label(model.active_since, offset)} "
            f"{text.clock_time(model.active_since, offset)}"
            if model.active_since is not None
            else "–"
        )
        values["parent"].setText(
            self.tr("Yes, fine-tuned on this computer")
            if model.parent_version
            else self.tr("Not yet (a shared starting model)")
            if model.version
            else "–"
        )
        values["answers"].setText(str(model.answers))
        while self.quality_layout.rowCount():
            self.quality_layout.removeRow(0)
        self.quality_values = dict(text.plain_metrics(model.metrics))
        for label, value in self.quality_values.items():
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.quality_layout.addRow(label, shown)
        if not self.quality_values:
            self.quality_layout.addRow(QLabel(self.tr("Not measured yet.")))
        _fill(
            self.metrics_table,
            [[text.metric_label(k), text.metric_value(k, v)] for k, v in model.metrics],
        )
        _fit_height(self.metrics_table)
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
        _fit_height(self.history_table, max(1, min(6, self.history_table.rowCount())))
        self._set_versions(offset)
        self._set_told()
        self._set_about()

    def _set_about(self) -> None:
        if self.about is None or self.tabs.currentWidget() is not self.model_tab:
            return
        found = self.about()
        offered = next((f for f in found if f.offer), None)
        self.offer = offered.offer if offered is not None else None
        self.offer_button.setVisible(offered is not None and self.take_offer is not None)
        if offered is not None:
            self.offer_button.setText(offered.offer_label)
        if not found:
            self.about_label.setText(
                self.tr(
                    "Not enough history yet. After a few days at the computer this says when "
                    "you focus best, how you take breaks and what you turn down, with the "
                    "evidence."
                )
            )
            return
        # The evidence in a softer tone: the text colour two thirds of the way from the page's.
        palette = self.about_label.palette()
        muted = charts.blend(
            palette.color(QPalette.ColorRole.WindowText),
            palette.color(QPalette.ColorRole.Window),
            2 / 3,
        ).name()
        rows = [
            f"<p><b>{html.escape(f.text)}</b><br>"
            f"<span style='color: {muted}'>{html.escape(f.evidence)}</span></p>"
            for f in found
        ]
        self.about_label.setText("".join(rows))

    def _take_offer(self) -> None:
        if self.take_offer is None or self.offer is None:
            return
        self.offer_label.setText(self.take_offer(self.offer))
        self._set_about()

    def _set_told(self) -> None:
        if self.told is None:
            return
        self.told_list.clear()
        lines = self.told()
        for line in lines:
            entry = QListWidgetItem(line.text)
            entry.setData(Qt.ItemDataRole.UserRole, line.kind)
            self.told_list.addItem(entry)
        if not lines:
            self.told_list.addItem(
                QListWidgetItem(
                    self.tr(
                        "Nothing yet. When a suggestion does not suit you, choose "
                        '"Not like this" and say why: too often, a bad moment, not useful.'
                    )
                )
            )
        self.forget_button.setEnabled(bool(lines) and self.forget is not None)
        self.told_list.setMaximumHeight(24 * max(2, min(6, len(lines) + 1)) + 8)

    def _forget(self) -> None:
        if self.forget is None:
            return
        chosen = self.told_list.currentItem() or self.told_list.item(0)
        kind = chosen.data(Qt.ItemDataRole.UserRole) if chosen is not None else None
        if not kind:
            return
        self.told_label.setText(self.forget(str(kind)))
        self._set_told()

    def _set_versions(self, offset: float) -> None:
        if self.versions is None:
            return
        listed = self.versions()
        statuses = {
            "in use": self.tr("in use"),
            "earlier": self.tr("earlier"),
            "rolled back": self.tr("rolled back"),
            "not installed": self.tr("not installed"),
            "shipped": self.tr("shipped"),
        }
        _fill(
            self.versions_table,
            [
                [
                    f"{text.day_label(row.trained_at, offset)} "
                    f"{text.clock_time(row.trained_at, offset)}"
                    if row.trained_at is not None
                    else "–",
                    statuses.get(row.status, row.status),
                    row.comparison,
                    row.note,
                ]
                for row in listed.rows
            ],
            [self.tr("Version {version}").format(version=row.version) for row in listed.rows],
        )
        self.versions_table.resizeRowsToContents()
        _fit_height(self.versions_table, max(1, min(6, self.versions_table.rowCount())))
        self.roll_back_button.setEnabled(self.roll_back is not None and listed.can_roll_back)
        self.heads_label.setText(
            "\n".join(listed.heads)
            if listed.heads
            else self.tr("Your personal heads are refitted each night once you have answers.")
        )

    def _roll_back(self) -> None:
        if self.roll_back is None:
            return
        self.roll_back_label.setText(self.roll_back())
        self.refresh()
