"""The dashboard's Plan tab: the week's blocks and meetings, the items, and the weekly review.

It draws what `desktop.plan.views` computed over the running app's `Planner` and forwards the
user's clicks to the planner (start, move, skip, how did it go, add/edit/remove an item).
Placing the week runs off the GUI thread; its result is drawn when it arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from desktop.plan import items, views
from desktop.plan.planner import Planner, Refresh
from desktop.store import StoreError
from desktop.ui import background, charts, text
from desktop.ui.plan_dialog import DAY_LABELS, PlanItemDialog
from desktop.ui.qt import (
    QAbstractItemView,
    QColor,
    QEvent,
    QFont,
    QFontMetrics,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QHelpEvent,
    QKeyEvent,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPointF,
    QPushButton,
    QRectF,
    QScrollArea,
    QSize,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

# A block's fill by state. Ended states are solid hues (white text, a mark for colour-blind
# eyes); a planned block is a tint of its hue over the page, so the week ahead reads lighter.
STATE_HUES = {
    "planned": "#3b82f6",
    "running": "#2563eb",
    "kept": "#16a34a",
    "partly kept": "#d97706",
    "missed": "#dc2626",
    "skipped": "#94a3b8",
}
TINTED = {"planned": 0.28, "skipped": 0.45}  # state -> the hue's share over the page colour
STATE_MARKS = {
    "planned": "",
    "running": "▶ ",
    "kept": "✓ ",
    "partly kept": "◐ ",
    "missed": "✗ ",
    "skipped": "– ",
}
MEETING_TINT = 0.35

Runner = Callable[[Callable[[], Any], background.Done], object]
Confirm = Callable[[QWidget, str, str], bool]


def _ask(parent: QWidget, title: str, question: str) -> bool:
    answer = QMessageBox.question(parent, title, question)
    return answer == QMessageBox.StandardButton.Yes


class WeekChart(QWidget):
    """Monday to Sunday, 06:00-23:00: blocks coloured by state, meetings beside them, a legend."""

    AXIS_W = 48
    HEADER_H = 34
    HOUR_H = 30
    BLOCK_SHARE = 0.7  # of a day's column; the rest is the meetings' lane

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.week: views.Week | None = None
        self.selected: int | None = None
        self.now = 0.0
        self.on_select: Callable[[int | None], None] = lambda block_id: None
        self.setAccessibleName(text.tr("Week plan"))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(560)
        self.setFixedHeight(self._height())

    # geometry ---------------------------------------------------------------------------------
    def _hours(self) -> tuple[int, int]:
        if self.week is None:
            return views.FIRST_HOUR, views.LAST_HOUR
        return self.week.first_hour, self.week.last_hour

    def _small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.9)
        return small

    def legend(self) -> list[tuple[QColor, QColor, str, QRectF]]:
        """Return the legend's entries: fill, edge, label and where the swatch goes (wrapped)."""
        metrics = QFontMetrics(self._small_font())
        entries = [
            (self.fill(state), QColor(STATE_HUES[state]), text.plan_state_label(state))
            for state in views.STATES
        ]
        entries += [
            (
                self.meeting_fill(kind),
                QColor(charts.CALENDAR_COLORS[kind]),
                text.calendar_label(kind),
            )
            for kind in ("meeting", "event")
        ]
        first, last = self._hours()
        top = self.HEADER_H + (last - first) * self.HOUR_H + 8.0
        line = max(20.0, metrics.height() + 6.0)
        x = float(self.AXIS_W)
        placed = []
        for fill, edge, label in entries:
            width = 19 + metrics.horizontalAdvance(label) + 16
            if x + width > self.width() and x > self.AXIS_W:
                x, top = float(self.AXIS_W), top + line
            placed.append((fill, edge, label, QRectF(x, top + (line - 14) / 2, 14, 14)))
            x += width
        return placed

    def _legend_h(self) -> int:
        metrics = QFontMetrics(self._small_font())
        line = max(20, metrics.height() + 6)
        rows = len({round(rect.top()) for *_, rect in self.legend()})
        return rows * line + 8

    def _height(self) -> int:
        first, last = self._hours()
        return self.HEADER_H + (last - first) * self.HOUR_H + 6 + self._legend_h()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(760, self._height())

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        self.setFixedHeight(self._height())  # the legend wraps on a narrow window
        super().resizeEvent(event)  # type: ignore[arg-type]

    def column(self, day: int) -> QRectF:
        """Return the rectangle of a day's column (both lanes), below the header."""
        first, last = self._hours()
        width = (self.width() - self.AXIS_W - 4) / 7
        return QRectF(self.AXIS_W + day * width, self.HEADER_H, width, (last - first) * self.HOUR_H)

    def _y(self, minute: float) -> float:
        return self.HEADER_H + (minute - self._hours()[0] * 60) / 60 * self.HOUR_H

    def block_rect(self, block: views.BlockView) -> QRectF:
        column = self.column(block.day)
        top, bottom = self._y(block.start_minute), self._y(block.end_minute)
        width = (column.width() * self.BLOCK_SHARE - 2) / block.lanes
        return QRectF(column.left() + 2 + block.lane * width, top + 1, width - 1, bottom - top - 2)

    def meeting_rect(self, meeting: views.MeetingView) -> QRectF:
        column = self.column(meeting.day)
        left = column.left() + column.width() * self.BLOCK_SHARE + 1
        top = max(self._y(meeting.start_minute), column.top())
        bottom = min(self._y(meeting.end_minute), column.bottom())
        return QRectF(left, top + 1, column.right() - left - 2, max(2.0, bottom - top - 2))

    def block_at(self, x: float, y: float) -> views.BlockView | None:
        if self.week is None:
            return None
        return next(
            (b for b in self.week.blocks if self.block_rect(b).contains(QPointF(x, y))), None
        )

    def meeting_at(self, x: float, y: float) -> views.MeetingView | None:
        if self.week is None:
            return None
        return next(
            (m for m in self.week.meetings if self.meeting_rect(m).contains(QPointF(x, y))), None
        )

    # colours ----------------------------------------------------------------------------------
    def fill(self, state: str) -> QColor:
        """Return the colour a block in `state` is filled with on this widget's palette."""
        hue = STATE_HUES[state]
        if state in TINTED:
            return charts.blend(hue, self.palette().color(QPalette.ColorRole.Base), TINTED[state])
        return QColor(hue)

    def meeting_fill(self, kind: str) -> QColor:
        page = self.palette().color(QPalette.ColorRole.Base)
        return charts.blend(charts.CALENDAR_COLORS[kind], page, MEETING_TINT)

    # data -------------------------------------------------------------------------------------
    def set_week(self, week: views.Week, now: float, selected: int | None = None) -> None:
        self.week = week
        self.now = now
        self.selected = selected
        self.setFixedHeight(self._height())
        counts = ", ".join(
            f"{n} {text.plan_state_label(state).lower()}" for state, n in week.counts().items() if n
        )
        self.setAccessibleDescription(
            text.tr("{blocks} blocks ({counts}) and {meetings} calendar entries").format(
                blocks=len(week.blocks), counts=counts or "–", meetings=len(week.meetings)
            )
        )
        self.update()

    def select(self, block_id: int | None) -> None:
        self.selected = block_id
        self.update()

    # events -----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        block = self.block_at(event.position().x(), event.position().y())
        self.select(block.id if block else None)
        self.on_select(self.selected)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Arrow keys walk the week's blocks in time order (the keyboard's way to pick one)."""
        steps = {
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Up: -1,
        }
        step = steps.get(Qt.Key(event.key()))
        if step is None or self.week is None or not self.week.blocks:
            super().keyPressEvent(event)
            return
        ids = [block.id for block in self.week.blocks]
        if self.selected in ids:
            index = min(max(ids.index(self.selected) + step, 0), len(ids) - 1)
        else:
            index = 0 if step > 0 else len(ids) - 1
        self.select(ids[index])
        self.on_select(self.selected)

    def tooltip_at(self, x: float, y: float) -> str | None:
        block = self.block_at(x, y)
        if block is not None:
            return block.details(text.tr(DAY_LABELS[block.day]))
        meeting = self.meeting_at(x, y)
        if meeting is not None:
            label = text.calendar_label(meeting.kind)
            return f"{label} {meeting.clock}" + (f"\n{meeting.title}" if meeting.title else "")
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tooltip_at(float(event.pos().x()), float(event.pos().y()))
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # drawing ----------------------------------------------------------------------------------
    def paintEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text_color)
        grid.setAlphaF(0.15)
        first, last = self._hours()
        week = self.week
        small = self._small_font()
        bold = QFont(small)
        bold.setBold(True)

        # the days: a header each, today's column tinted
        for day in range(7):
            column = self.column(day)
            today = week is not None and week.today == day
            if today:
                tint = QColor(palette.color(QPalette.ColorRole.Highlight))
                tint.setAlphaF(0.10)
                painter.fillRect(column, tint)
            painter.setFont(bold if today else self.font())
            painter.setPen(QPen(text_color))
            label = text.tr(DAY_LABELS[day])
            if week is not None:
                label = f"{label} {week.days[day].day}"
            painter.drawText(
                QRectF(column.left(), 4, column.width(), self.HEADER_H - 8),
                Qt.AlignmentFlag.AlignCenter,
                label,
            )
        # the hours
        painter.setFont(small)
        bottom = self._y(last * 60)
        for hour in range(first, last + 1):
            y = self._y(hour * 60)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(self.AXIS_W, y), QPointF(self.width() - 4, y))
            if hour < last:
                painter.setPen(QPen(text_color))
                painter.drawText(
                    QRectF(0, y - 2, self.AXIS_W - 6, 16),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                    f"{hour:02d}:00",
                )
        for day in range(8):
            x = self.AXIS_W + day * (self.width() - self.AXIS_W - 4) / 7
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(x, self.HEADER_H), QPointF(x, bottom))
        if week is not None:
            self._draw_meetings(painter, week, small)
            self._draw_blocks(painter, week, small, bold)
            self._draw_now(painter, week)
        self._draw_legend(painter, small)
        painter.end()

    def _draw_meetings(self, painter: QPainter, week: views.Week, font: QFont) -> None:
        painter.setFont(font)
        metrics = QFontMetrics(font)
        for meeting in week.meetings:
            rect = self.meeting_rect(meeting)
            painter.fillRect(rect, self.meeting_fill(meeting.kind))
            painter.fillRect(
                QRectF(rect.left(), rect.top(), 3, rect.height()),
                QColor(charts.CALENDAR_COLORS[meeting.kind]),
            )
            if meeting.title and rect.height() >= metrics.height():
                painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Text)))
                painter.drawText(
                    rect.adjusted(5, 1, -2, 0),
                    Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                    metrics.elidedText(
                        meeting.title, Qt.TextElideMode.ElideRight, int(rect.width()) - 7
                    ),
                )

    def _draw_blocks(self, painter: QPainter, week: views.Week, font: QFont, bold: QFont) -> None:
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        for block in week.blocks:
            rect = self.block_rect(block)
            fill = self.fill(block.state)
            painter.setPen(QPen(QColor(STATE_HUES[block.state]), 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 3, 3)
            if block.id == self.selected:
                painter.setPen(QPen(highlight, 2.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 4, 4)
            tinted = block.state in TINTED
            painter.setPen(
                QPen(self.palette().color(QPalette.ColorRole.Text) if tinted else QColor("#ffffff"))
            )
            # Text keeps clear of the right edge: the fill there always shows the state.
            inner = rect.adjusted(4, 1, -8, -1)
            name_font = QFont(bold)
            name_font.setStrikeOut(block.state == "skipped")
            lines = [(name_font, STATE_MARKS[block.state] + block.name), (font, block.clock)]
            y = inner.top()
            for line_font, line in lines:
                metrics = QFontMetrics(line_font)
                if y + metrics.height() > inner.bottom() + 2:
                    break
                painter.setFont(line_font)
                painter.drawText(
                    QRectF(inner.left(), y, inner.width(), metrics.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                    metrics.elidedText(line, Qt.TextElideMode.ElideRight, int(inner.width())),
                )
                y += metrics.height()

    def _draw_now(self, painter: QPainter, week: views.Week) -> None:
        if week.today is None:
            return
        column = self.column(week.today)
        minute = week.now_minute
        if not week.first_hour * 60 <= minute <= week.last_hour * 60:
            return
        y = self._y(minute)
        painter.setPen(QPen(QColor("#ef4444"), 2))
        painter.drawLine(QPointF(column.left(), y), QPointF(column.right(), y))

    def _draw_legend(self, painter: QPainter, font: QFont) -> None:
        painter.setFont(font)
        metrics = QFontMetrics(font)
        for fill, edge, label, box in self.legend():
            painter.setPen(QPen(edge, 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(box, 2, 2)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.WindowText)))
            painter.drawText(
                QRectF(box.right() + 5, box.top() - 4, metrics.horizontalAdvance(label) + 4, 22),
                Qt.AlignmentFlag.AlignVCenter,
                label,
            )


class TrendChart(QWidget):
    """Small bars, one a week: the hours planned (outline) and kept (filled), the kept share."""

    BAR_W = 46
    CHART_H = 96

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.weeks: tuple[views.TrendWeek, ...] = ()
        self.setAccessibleName(text.tr("Kept share, week by week"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.CHART_H + 2 * QFontMetrics(self.font()).height() + 10)

    def set_weeks(self, weeks: tuple[views.TrendWeek, ...]) -> None:
        self.weeks = weeks
        self.setAccessibleDescription(
            "; ".join(f"{week.label}: {week.value_text}" for week in weeks)
        )
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(4 * 120, self.height())

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        text_color = self.palette().color(QPalette.ColorRole.WindowText)
        page = self.palette().color(QPalette.ColorRole.Base)
        peak = max((week.planned_min for week in self.weeks), default=0.0) or 1.0
        slot = max(self.BAR_W + 24.0, self.width() / max(1, len(self.weeks)))
        base = line + 4 + self.CHART_H
        for index, week in enumerate(self.weeks):
            left = index * slot + (slot - self.BAR_W) / 2
            planned_h = self.CHART_H * week.planned_min / peak
            kept_h = self.CHART_H * week.kept_min / peak
            painter.setPen(QPen(QColor(STATE_HUES["planned"]), 1))
            painter.setBrush(charts.blend(STATE_HUES["planned"], page, 0.2))
            painter.drawRect(QRectF(left, base - planned_h, self.BAR_W, planned_h))
            painter.fillRect(
                QRectF(left, base - kept_h, self.BAR_W, kept_h), QColor(STATE_HUES["kept"])
            )
            painter.setPen(QPen(text_color))
            share = f"{week.share:.0%}" if week.planned_min else "–"
            painter.drawText(
                QRectF(index * slot, base - planned_h - line - 2, slot, line),
                Qt.AlignmentFlag.AlignCenter,
                share,
            )
            painter.drawText(
                QRectF(index * slot, base + 4, slot, line),
                Qt.AlignmentFlag.AlignCenter,
                f"{week.monday:%d %b}".lstrip("0"),
            )
        painter.end()


def _group(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def _wrapping(name: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


class PlanTab(QWidget):
    """The week plan: navigate weeks, act on a block, edit the items, review the week."""

    def __init__(
        self,
        planner: Planner,
        now: Callable[[], float],
        parent: QWidget | None = None,
        *,
        run: Runner = background.run_in_background,
        confirm: Confirm = _ask,
    ) -> None:
        super().__init__(parent)
        self.planner = planner
        self.now = now
        self.run = run
        self.confirm = confirm
        self.monday = views.week_start(planner.local(now()).date())
        self.week: views.Week | None = None
        self.review: views.Review | None = None
        self.shortfalls: tuple[str, ...] = ()
        self.selected: int | None = None
        self.dialog: PlanItemDialog | None = None
        self.loaded = False
        self.busy = False
        self.setObjectName("planTab")

        # the week's header and navigation
        self.week_label = QLabel()
        font = self.week_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.week_label.setFont(font)
        self.previous_button = QPushButton(self.tr("◀ Previous week"))
        self.this_week_button = QPushButton(self.tr("This week"))
        self.next_button = QPushButton(self.tr("Next week ▶"))
        self.replan_button = QPushButton(self.tr("R&e-plan the week"))
        self.replan_button.setToolTip(
            self.tr("Measure the blocks that ended and place the coming seven days again")
        )
        self.previous_button.clicked.connect(lambda: self.show_week(-7))
        self.next_button.clicked.connect(lambda: self.show_week(7))
        self.this_week_button.clicked.connect(self.show_this_week)
        self.replan_button.clicked.connect(self.replan)
        navigation = QHBoxLayout()
        navigation.addWidget(self.week_label, 1)
        for button in (
            self.previous_button,
            self.this_week_button,
            self.next_button,
            self.replan_button,
        ):
            navigation.addWidget(button)

        self.notice = _wrapping("planNotice")  # plan.toml errors, shortfalls, a failed action
        self.notice.setVisible(False)

        # the week and the selected block
        self.chart = WeekChart()
        self.chart.on_select = self.select
        self.block_label = _wrapping("planBlock")
        self.block_label.setText(self.tr("Click a block to see why it is there."))
        self.start_button = QPushButton(self.tr("Start"))
        self.move_button = QPushButton(self.tr("Mo&ve"))
        self.move_menu = QMenu(self.move_button)
        self.move_menu.aboutToShow.connect(self.fill_move_menu)
        self.move_button.setMenu(self.move_menu)
        self.skip_button = QPushButton(self.tr("S&kip"))
        self.answer_button = QPushButton(self.tr("How did it &go?"))
        self.answer_menu = QMenu(self.answer_button)
        for answer, label in (
            ("well", self.tr("Well")),
            ("partly", self.tr("Partly")),
            ("badly", self.tr("Badly")),
        ):
            action = self.answer_menu.addAction(label)
            action.triggered.connect(lambda _=False, a=answer: self.answer(a))
        self.answer_button.setMenu(self.answer_menu)
        self.start_button.clicked.connect(self.start_block)
        self.skip_button.clicked.connect(self.skip_block)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.move_button, self.skip_button, self.answer_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        block_box = QWidget()
        block_layout = QVBoxLayout(block_box)
        block_layout.setContentsMargins(0, 0, 0, 0)
        block_layout.addWidget(self.block_label)
        block_layout.addStretch(1)
        block_layout.addLayout(buttons)

        # the items
        self.items = QListWidget()
        self.items.setAccessibleName(self.tr("Habits and tasks"))
        self.items.setWordWrap(True)
        self.items.itemDoubleClicked.connect(lambda _: self.edit_item())
        self.items.currentRowChanged.connect(lambda _: self._enable_item_buttons())
        self.add_button = QPushButton(self.tr("Add…"))
        self.edit_button = QPushButton(self.tr("Ed&it…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.add_button.clicked.connect(self.add_item)
        self.edit_button.clicked.connect(self.edit_item)
        self.remove_button.clicked.connect(self.remove_item)
        item_buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            item_buttons.addWidget(button)
        items_box = QGroupBox(self.tr("What you want time for"))
        items_layout = QVBoxLayout(items_box)
        items_layout.addWidget(self.items, 1)
        items_layout.addLayout(item_buttons)

        # the review
        self.review_label = _wrapping("planReview")
        font = self.review_label.font()
        font.setBold(True)
        self.review_label.setFont(font)
        self.review_lines = _wrapping("planReviewItems")
        self.review_table = QTableWidget(0, 5)
        self.review_table.setHorizontalHeaderLabels(
            [
                self.tr("Item"),
                self.tr("Planned"),
                self.tr("Kept"),
                self.tr("Kept share"),
                self.tr("Blocks"),
            ]
        )
        self.review_table.setAccessibleName(self.tr("Planned against kept, per item"))
        self.review_table.verticalHeader().setVisible(False)
        self.review_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.review_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.review_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.trend = TrendChart()
        trend_box = QWidget()
        trend_layout = QVBoxLayout(trend_box)
        trend_layout.setContentsMargins(0, 0, 0, 0)
        trend_caption = QLabel(self.tr("The last four weeks: hours planned, kept (green)"))
        trend_layout.addWidget(trend_caption)
        trend_layout.addWidget(self.trend)
        review_row = QHBoxLayout()
        review_row.addWidget(self.review_table, 3, Qt.AlignmentFlag.AlignTop)
        review_row.addWidget(trend_box, 2, Qt.AlignmentFlag.AlignTop)
        self.review_box = QGroupBox(self.tr("Weekly review"))
        review_layout = QVBoxLayout(self.review_box)
        review_layout.addWidget(self.review_label)
        review_layout.addWidget(self.review_lines)
        review_layout.addLayout(review_row)

        self.items.setMaximumHeight(150)
        block_group = _group(self.tr("Selected block"), block_box)
        row = QHBoxLayout()
        row.addWidget(block_group, 3)
        row.addWidget(items_box, 2)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.chart)
        content_layout.addLayout(row)
        content_layout.addWidget(self.review_box)
        content_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setWidget(content)

        # nothing to plan yet: say what to do
        self.empty_label = QLabel(text.tr(views.empty_text()))
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.empty_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.empty_label.setFont(font)
        self.empty_add_button = QPushButton(self.tr("Add a &habit or task…"))
        self.empty_add_button.clicked.connect(self.add_item)
        self.empty_add_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.scroll_area)
        self.stack.addWidget(empty)
        layout = QVBoxLayout(self)
        layout.addLayout(navigation)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)
        self._enable_block_buttons()
        self._enable_item_buttons()

    # loading ----------------------------------------------------------------------------------
    def showEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)  # type: ignore[arg-type]
        if not self.loaded:
            self.replan()

    def replan(self) -> None:
        """Measure ended blocks and place the week again off the GUI thread, then redraw."""
        self.loaded = True
        self._in_background(self.planner.refresh)

    def _in_background(self, work: Callable[[], Refresh]) -> None:
        if self.busy:
            return
        self.busy = True
        self.replan_button.setEnabled(False)
        self.run(work, self._placed)

    def _placed(self, result: Refresh | None, error: BaseException | None) -> None:
        self.busy = False
        self.replan_button.setEnabled(True)
        problem = None
        if error is not None:
            problem = self.tr("Could not place the week: {error}").format(error=error)
        elif result is not None:
            self.shortfalls = tuple(result.shortfalls)
        self.redraw(problem)

    def show_week(self, days: int) -> None:
        self.monday += dt.timedelta(days=days)
        self.redraw()

    def show_this_week(self) -> None:
        self.monday = views.week_start(self.planner.local(self.now()).date())
        self.redraw()

    def redraw(self, problem: str | None = None) -> None:
        """Read the shown week and its review from the store and draw them."""
        now = self.now()
        try:
            week = views.week(self.planner, self.monday, now, self.shortfalls)
            review = views.review(self.planner, self.monday)
        except StoreError as exc:  # the database went away (closing) or broke: say so
            self.notice.setText(self.tr("Could not read the plan: {error}").format(error=exc))
            self.notice.setVisible(True)
            return
        self.week, self.review = week, review
        sunday = week.days[-1]
        label = f"{week.monday:%d %b} – {sunday:%d %b %Y}".lstrip("0").replace(" 0", " ")
        if week.today is not None:
            label += " · " + self.tr("this week")
        self.week_label.setText(label)
        self.this_week_button.setEnabled(week.today is None)
        lines = [problem] if problem else []
        if week.error:
            lines.append(week.error)
        lines += [
            self.tr("Not everything fits: {line}").format(line=line) for line in week.shortfalls
        ]
        self.notice.setText("\n".join(lines))
        self.notice.setVisible(bool(lines))
        self.stack.setCurrentIndex(1 if week.empty else 0)
        if self.selected is not None and week.block(self.selected) is None:
            self.selected = None
        self.chart.set_week(week, now, self.selected)
        self._show_block()
        self._fill_items(week)
        self._fill_review(review)

    def _fill_items(self, week: views.Week) -> None:
        current = self.current_item()
        self.items.clear()
        for row in week.items:
            entry = QListWidgetItem(row.description)
            entry.setData(Qt.ItemDataRole.UserRole, row.key)
            entry.setToolTip(
                self.tr("A habit") if row.kind == "habit" else self.tr("A task, done once")
            )
            self.items.addItem(entry)
            if row.key == current:
                self.items.setCurrentItem(entry)
        self._enable_item_buttons()

    def _fill_review(self, review: views.Review) -> None:
        self.review_box.setTitle(
            self.tr("Weekly review: {week}").format(
                week=f"{review.monday:%d %b}".lstrip("0")
                + " – "
                + f"{review.monday + dt.timedelta(days=6):%d %b}".lstrip("0")
            )
        )
        self.review_label.setText(self.tr(review.line))
        self.review_lines.setText(
            "\n".join(f"{row.line[0].upper()}{row.line[1:]}." for row in review.rows)
        )
        self.review_lines.setVisible(bool(review.rows))
        self.review_table.setRowCount(len(review.rows))
        for r, row in enumerate(review.rows):
            values = [
                row.name,
                views.say_hours(row.planned_min),
                views.say_hours(row.kept_min),
                f"{row.share:.0%}",
                self.tr("{kept} kept, {partly} partly, {missed} missed or skipped").format(
                    kept=row.kept, partly=row.partly, missed=row.missed
                ),
            ]
            for c, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(row.line.capitalize())
                if 0 < c < 4:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.review_table.setItem(r, c, cell)
        self.review_table.setVisible(bool(review.rows))
        height = self.review_table.horizontalHeader().height()
        height += self.review_table.verticalHeader().length() + 2 * self.review_table.frameWidth()
        self.review_table.setFixedHeight(height)
        self.trend.set_weeks(review.trend)

    # the selected block -----------------------------------------------------------------------
    def select(self, block_id: int | None) -> None:
        """Show a block's state and "why here", and the buttons it allows."""
        self.selected = block_id
        self.chart.select(block_id)
        self._show_block()

    def selected_block(self) -> views.BlockView | None:
        if self.week is None or self.selected is None:
            return None
        return self.week.block(self.selected)

    def _show_block(self) -> None:
        block = self.selected_block()
        if block is None:
            self.block_label.setText(self.tr("Click a block to see why it is there."))
        else:
            self.block_label.setText(block.details(self.tr(DAY_LABELS[block.day])))
        self._enable_block_buttons()

    def _enable_block_buttons(self) -> None:
        block = self.selected_block()
        allowed = block.actions if block is not None else frozenset()
        self.start_button.setEnabled("start" in allowed)
        self.move_button.setEnabled("move" in allowed)
        self.skip_button.setEnabled("skip" in allowed)
        self.answer_button.setEnabled("answer" in allowed)

    def start_block(self) -> None:
        if (block := self.selected_block()) is not None:
            self.planner.start(block.id)
            self.redraw()

    def skip_block(self) -> None:
        """Skip the selected block: its time goes back to the week, which is placed again."""
        if (block := self.selected_block()) is not None:
            self._in_background(lambda: self.planner.skip(block.id))

    def answer(self, answer: str) -> None:
        if (block := self.selected_block()) is not None:
            self.planner.answer(block.id, answer)
            self.redraw()

    def fill_move_menu(self) -> None:
        """Offer the selected block's next three good slots, each with why it is good."""
        self.move_menu.clear()
        block = self.selected_block()
        if block is None:
            return
        options = self.planner.move_options(block.id)
        if not options:
            action = self.move_menu.addAction(self.tr("No other good time this week"))
            action.setEnabled(False)
            return
        for start, why in options:
            local = self.planner.local(start)
            label = f"{text.tr(DAY_LABELS[local.weekday()])} {local:%d %b %H:%M}"
            action = self.move_menu.addAction(label)
            action.setToolTip(why)
            action.setStatusTip(why)
            action.triggered.connect(lambda _=False, s=start: self.move_block(s))
        self.move_menu.setToolTipsVisible(True)

    def move_block(self, start: float) -> None:
        if (block := self.selected_block()) is not None:
            self.planner.move(block.id, start)
            self.replan()

    # the items --------------------------------------------------------------------------------
    def current_item(self) -> str | None:
        entry = self.items.currentItem()
        return str(entry.data(Qt.ItemDataRole.UserRole)) if entry is not None else None

    def _enable_item_buttons(self) -> None:
        chosen = self.current_item() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def add_item(self) -> PlanItemDialog:
        return self._open_dialog(views.ItemForm(), None)

    def edit_item(self) -> PlanItemDialog | None:
        key = self.current_item()
        item = self.planner.plan().item(key) if key else None
        if item is None:
            return None
        return self._open_dialog(views.form_from_item(item), item.key)

    def _open_dialog(self, form: views.ItemForm, replacing: str | None) -> PlanItemDialog:
        dialog = PlanItemDialog(
            form,
            self.planner.today(),
            lambda item: views.save_item(self.planner, item, replacing),
            self,
            editing=replacing is not None,
        )
        dialog.accepted.connect(self.replan)
        self.dialog = dialog
        dialog.open()
        return dialog

    def remove_item(self) -> None:
        key = self.current_item()
        item = self.planner.plan().item(key) if key else None
        if item is None:
            return
        question = self.tr("Remove {name} from the plan? Its coming blocks go too.").format(
            name=item.name
        )
        if not self.confirm(self, self.tr("Remove from the plan"), question):
            return
        try:
            views.remove_item(self.planner, item.key)
        except (items.PlanError, OSError) as exc:
            self.redraw(str(exc))
            return
        self.replan()
