"""Small QPainter charts for the dashboard: they draw what desktop.reports computed, nothing else.

Colours: data hues are fixed mid-tones readable on light and dark palettes; backgrounds, text
and grid lines come from the widget's palette, so the charts follow the system theme.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from desktop import reports
from desktop.ui import text
from desktop.ui.qt import (
    QBrush,
    QColor,
    QEvent,
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPalette,
    QPen,
    QPointF,
    QRectF,
    QSize,
    QSizePolicy,
    Qt,
    QToolTip,
    QWidget,
)

CATEGORY_COLORS = {
    "development": "#3b82f6",
    "communication": "#f59e0b",
    "meetings": "#8b5cf6",
    "office": "#14b8a6",
    "browsing": "#06b6d4",
    "social": "#ec4899",
    "entertainment": "#ef4444",
    "games": "#f97316",
    "system": "#64748b",
    "design": "#84cc16",
    "unknown": "#a8a29e",
}
# Calendar entries have hues of their own: the "meetings" category (time in a call app) is
# violet, a calendar meeting fuchsia, any other calendar entry mustard.
CALENDAR_COLORS = {"meeting": "#c026d3", "event": "#ca8a04"}
OUTCOME_COLORS = {
    "accepted": "#10b981",
    "snoozed": "#f59e0b",
    "dismissed": "#ef4444",
    "ignored": "#94a3b8",
    "pending": "#64748b",
}


def blend(color: str | QColor, page: QColor, share: float) -> QColor:
    """Return `color` laid over the page colour at `share` (1: the colour, 0: the page)."""
    top = QColor(color)
    return QColor(
        round(top.red() * share + page.red() * (1 - share)),
        round(top.green() * share + page.green() * (1 - share)),
        round(top.blue() * share + page.blue() * (1 - share)),
    )


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, CATEGORY_COLORS["unknown"]))


def _text_pen(widget: QWidget, role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QPen:
    return QPen(widget.palette().color(role))


def _grid_pen(widget: QWidget) -> QPen:
    color = widget.palette().color(QPalette.ColorRole.WindowText)
    color.setAlphaF(0.18)
    return QPen(color, 1)


class _Chart(QWidget):
    """Shared bits: a tooltip hook and an accessible description (the chart's data as text)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def tooltip_at(self, x: float, y: float) -> str | None:
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


class TimelineChart(_Chart):
    """The day as lanes: activity coloured by category (away hatched) and calendar meetings."""

    LABEL_W = 84
    RIGHT_W = 28  # room for the last hour label
    LANE_H = 30
    MEETING_H = 16
    AXIS_H = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(text.tr("Day timeline"), parent)
        self.timeline: reports.DayTimeline | None = None
        self.utc_offset_s = 0.0
        self.lo = 0.0
        self.hi = 1.0
        self.legend: list[str] = []

    def set_data(self, timeline: reports.DayTimeline, utc_offset_s: float) -> None:
        self.timeline = timeline
        self.utc_offset_s = utc_offset_s
        everything = list(timeline.spans) + list(timeline.meetings)
        if everything:
            first = min(s.start for s in everything)
            last = max(s.end for s in everything)
            self.lo = timeline.start + math.floor((first - timeline.start) / 3600.0) * 3600.0
            self.hi = timeline.start + math.ceil((last - timeline.start) / 3600.0) * 3600.0
            self.hi = max(self.hi, self.lo + 4 * 3600.0)
        else:
            self.lo, self.hi = timeline.start + 8 * 3600.0, timeline.start + 18 * 3600.0
        seen: dict[str, None] = {}
        for span in timeline.spans:
            seen.setdefault(span.category if span.kind == "active" else "away", None)
        self.legend = sorted(seen, key=lambda c: (c == "away", text.category_label(c)))
        for kind in ("meeting", "event"):
            if any(span.kind == kind for span in timeline.meetings):
                self.legend.append(f"calendar:{kind}")
        active = sum(s.end - s.start for s in timeline.spans if s.kind == "active")
        self.setAccessibleDescription(
            text.tr("{active} active between {start} and {end}; {events}").format(
                active=text.duration(active),
                start=text.clock_time(self.lo, utc_offset_s),
                end=text.clock_time(self.hi, utc_offset_s),
                events=text.tr("%n calendar event(s)", "", len(timeline.meetings)),
            )
        )
        self.setFixedHeight(self._height())
        self.update()

    def _legend_rows(self) -> int:
        metrics = QFontMetrics(self.font())
        width = max(200, self.width() - self.LABEL_W)
        rows, x = 1, 0
        for name in self.legend:
            item = 22 + metrics.horizontalAdvance(self._legend_label(name)) + 14
            if x + item > width and x > 0:
                rows, x = rows + 1, 0
            x += item
        return rows

    def _legend_label(self, name: str) -> str:
        if name.startswith("calendar:"):
            return text.calendar_label(name.split(":", 1)[1])
        return text.category_label(name)

    def legend_color(self, name: str) -> QColor:
        """Return the colour a legend entry (and the bars it names) is drawn in."""
        if name.startswith("calendar:"):
            return QColor(CALENDAR_COLORS[name.split(":", 1)[1]])
        return category_color(name)

    def _height(self) -> int:
        line = QFontMetrics(self.font()).height() + 6
        return 8 + self.LANE_H + 8 + self.MEETING_H + self.AXIS_H + 8 + self._legend_rows() * line

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        self.setFixedHeight(self._height())
        super().resizeEvent(event)  # type: ignore[arg-type]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(720, self._height())

    def _x(self, at: float) -> float:
        width = self.width() - self.LABEL_W - self.RIGHT_W
        return self.LABEL_W + (at - self.lo) / (self.hi - self.lo) * width

    def _lanes(self) -> tuple[QRectF, QRectF]:
        width = self.width() - self.LABEL_W - self.RIGHT_W
        activity = QRectF(self.LABEL_W, 8, width, self.LANE_H)
        meetings = QRectF(self.LABEL_W, activity.bottom() + 8, width, self.MEETING_H)
        return activity, meetings

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        activity, meetings = self._lanes()
        painter.setPen(_text_pen(self))
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        painter.drawText(
            QRectF(0, activity.top(), self.LABEL_W - 6, activity.height()),
            flags,
            text.tr("Activity"),
        )
        painter.drawText(
            QRectF(0, meetings.top() - 2, self.LABEL_W - 6, meetings.height() + 4),
            flags,
            text.tr("Calendar"),
        )
        base = palette.color(QPalette.ColorRole.Base)
        painter.fillRect(activity, base)
        painter.fillRect(meetings, base)
        # Hour grid and labels.
        axis_top = meetings.bottom() + 4
        hours = int(round((self.hi - self.lo) / 3600.0))
        step = 1 if hours <= 12 else 2
        for h in range(0, hours + 1):
            x = self._x(self.lo + h * 3600.0)
            painter.setPen(_grid_pen(self))
            painter.drawLine(QPointF(x, activity.top()), QPointF(x, meetings.bottom()))
            if h % step == 0:
                painter.setPen(_text_pen(self))
                label = text.clock_time(self.lo + h * 3600.0, self.utc_offset_s)
                painter.drawText(
                    QRectF(x - 30, axis_top, 60, self.AXIS_H),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                    label,
                )
        if self.timeline is not None:
            away_color = palette.color(QPalette.ColorRole.WindowText)
            away_color.setAlphaF(0.35)
            away = QBrush(away_color, Qt.BrushStyle.BDiagPattern)
            painter.setPen(Qt.PenStyle.NoPen)
            for span in self.timeline.spans:
                x0, x1 = self._x(span.start), self._x(span.end)
                rect = QRectF(x0, activity.top(), max(1.0, x1 - x0), activity.height())
                if span.kind == "away":
                    painter.fillRect(rect, away)
                else:
                    painter.fillRect(rect, category_color(span.category))
            for span in self.timeline.meetings:
                x0, x1 = self._x(span.start), self._x(span.end)
                rect = QRectF(x0, meetings.top(), max(2.0, x1 - x0), meetings.height())
                painter.setBrush(self.legend_color(f"calendar:{span.kind}"))
                painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(_grid_pen(self))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(activity)
        painter.drawRect(meetings)
        self._paint_legend(painter, axis_top + self.AXIS_H + 4)
        painter.end()

    def _paint_legend(self, painter: QPainter, top: float) -> None:
        metrics = QFontMetrics(self.font())
        line = metrics.height() + 6
        x, y = float(self.LABEL_W), top
        for name in self.legend:
            label = self._legend_label(name)
            item = 22 + metrics.horizontalAdvance(label) + 14
            if x + item > self.width() - 12 and x > self.LABEL_W:
                x, y = float(self.LABEL_W), y + line
            swatch = QRectF(x, y + (line - 12) / 2, 14, 12)
            if name == "away":
                color = self.palette().color(QPalette.ColorRole.WindowText)
                color.setAlphaF(0.35)
                painter.fillRect(swatch, QBrush(color, Qt.BrushStyle.BDiagPattern))
            elif name.startswith("calendar:"):
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.legend_color(name))
                painter.drawRoundedRect(swatch, 3, 3)
            else:
                painter.fillRect(swatch, self.legend_color(name))
            painter.setPen(_text_pen(self))
            painter.drawText(QRectF(x + 20, y, item, line), Qt.AlignmentFlag.AlignVCenter, label)
            x += item

    def tooltip_at(self, x: float, y: float) -> str | None:
        if self.timeline is None:
            return None
        activity, meetings = self._lanes()
        lane = (
            self.timeline.spans
            if activity.top() <= y <= activity.bottom()
            else self.timeline.meetings
            if meetings.top() <= y <= meetings.bottom()
            else ()
        )
        for span in lane:
            if self._x(span.start) - 1 <= x <= self._x(span.end) + 1:
                what = (
                    text.tr("Away")
                    if span.kind == "away"
                    else text.calendar_label(span.kind)
                    if span.kind in ("meeting", "event")
                    else f"{text.category_label(span.category)} · {span.app}"
                )
                return (
                    f"{what}\n{text.clock_time(span.start, self.utc_offset_s)}–"
                    f"{text.clock_time(span.end, self.utc_offset_s)} "
                    f"({text.duration(span.end - span.start)})"
                )
        return None


class HeatmapChart(_Chart):
    """Active minutes per hour for each day of a week or month, a legend for the shades, and
    each day's total at the row's end."""

    LABEL_W = 96
    TOTAL_W = 84
    CELL_H = 22
    DENSE_CELL_H = 15  # a month's rows
    AXIS_H = 20
    LEGEND_H = 28

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(text.tr("Heatmap of active hours"), parent)
        self.heatmap: reports.Heatmap | None = None
        self.utc_offset_s = 0.0
        self.legend = text.heat_legend()
        self.setFixedHeight(self._height(7))

    def _cell_h(self) -> int:
        rows = len(self.heatmap.day_starts) if self.heatmap is not None else 7
        return self.CELL_H if rows <= 7 else self.DENSE_CELL_H

    def _height(self, rows: int) -> int:
        cell = self.CELL_H if rows <= 7 else self.DENSE_CELL_H
        return self.AXIS_H + rows * cell + 8 + self.LEGEND_H

    def set_data(self, heatmap: reports.Heatmap, utc_offset_s: float) -> None:
        self.heatmap = heatmap
        self.utc_offset_s = utc_offset_s
        self.setFixedHeight(self._height(len(heatmap.day_starts)))
        days = [
            f"{text.day_label(day, utc_offset_s)}: {text.duration(total * 60)}"
            for day, total in zip(heatmap.day_starts, heatmap.day_totals(), strict=True)
        ]
        self.setAccessibleDescription("; ".join(days))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(720, self.height())

    def _cell(self, day: int, hour: int) -> QRectF:
        width = (self.width() - self.LABEL_W - self.TOTAL_W) / 24.0
        cell_h = self._cell_h()
        return QRectF(self.LABEL_W + hour * width, self.AXIS_H + day * cell_h, width, cell_h)

    def shade(self, level: int) -> QColor:
        """Return the colour of a heatmap shade (reports.heat_level), from the palette."""
        if level <= 0:
            return self.palette().color(QPalette.ColorRole.Base)
        color = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        steps = len(reports.HEAT_LEVELS) + 1
        color.setAlphaF(0.3 + 0.7 * (level - 1) / (steps - 1))
        return color

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setPen(_text_pen(self))
        for hour in range(0, 24, 3):
            cell = self._cell(0, hour)
            painter.drawText(
                QRectF(cell.left(), 0, cell.width() * 3, self.AXIS_H),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{hour:02d}:00",
            )
        right = self._cell(0, 23).right()
        painter.drawText(
            QRectF(right + 8, 0, self.TOTAL_W - 8, self.AXIS_H),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            text.tr("Active"),
        )
        if self.heatmap is None:
            painter.end()
            return
        cell_h = self._cell_h()
        background = self.shade(0)
        totals = self.heatmap.day_totals()
        for d, (day, row) in enumerate(
            zip(self.heatmap.day_starts, self.heatmap.minutes, strict=True)
        ):
            top = self.AXIS_H + d * cell_h
            painter.setPen(_text_pen(self))
            painter.drawText(
                QRectF(0, top, self.LABEL_W - 8, cell_h),
                Qt.AlignmentFlag.AlignVCenter,
                text.short_day_label(day, self.utc_offset_s),
            )
            if totals[d] > 0:
                painter.drawText(
                    QRectF(right + 8, top, self.TOTAL_W - 8, cell_h),
                    Qt.AlignmentFlag.AlignVCenter,
                    text.duration(totals[d] * 60),
                )
            for hour, minutes in enumerate(row):
                cell = self._cell(d, hour).adjusted(1, 1, -1, -1)
                painter.fillRect(cell, background)
                level = reports.heat_level(minutes)
                if level:
                    painter.fillRect(cell, self.shade(level))
        self._paint_legend(painter, self.AXIS_H + len(totals) * cell_h + 8)
        painter.end()

    def _paint_legend(self, painter: QPainter, top: float) -> None:
        metrics = QFontMetrics(self.font())
        x = float(self.LABEL_W)
        painter.setPen(_text_pen(self))
        title = text.tr("Active in the hour:")
        painter.drawText(
            QRectF(x, top, metrics.horizontalAdvance(title) + 4, self.LEGEND_H),
            Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        x += metrics.horizontalAdvance(title) + 12
        for level, label in enumerate(self.legend, start=1):
            swatch = QRectF(x, top + (self.LEGEND_H - 14) / 2, 18, 14)
            painter.fillRect(swatch, self.shade(0))
            painter.fillRect(swatch, self.shade(level))
            painter.setPen(_grid_pen(self))
            painter.drawRect(swatch)
            painter.setPen(_text_pen(self))
            width = metrics.horizontalAdvance(label) + 4
            painter.drawText(
                QRectF(x + 24, top, width, self.LEGEND_H), Qt.AlignmentFlag.AlignVCenter, label
            )
            x += 24 + width + 16

    def tooltip_at(self, x: float, y: float) -> str | None:
        if self.heatmap is None or x < self.LABEL_W or y < self.AXIS_H:
            return None
        width = (self.width() - self.LABEL_W - self.TOTAL_W) / 24.0
        hour, day = int((x - self.LABEL_W) // width), int((y - self.AXIS_H) // self._cell_h())
        if not (0 <= hour < 24 and 0 <= day < len(self.heatmap.day_starts)):
            return None
        minutes = self.heatmap.minutes[day][hour]
        return text.tr("{day}, {hour:02d}:00: {minutes} active").format(
            day=text.day_label(self.heatmap.day_starts[day], self.utc_offset_s),
            hour=hour,
            minutes=text.duration(minutes * 60),
        )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str
    color: str


class BarsChart(_Chart):
    """Labelled horizontal bars (category breakdown, outcomes)."""

    ROW_H = 24

    def __init__(
        self, name: str, empty_text: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(name, parent)
        self.bars: list[Bar] = []
        self.empty_text = empty_text if empty_text is not None else text.tr("Nothing to show")
        self.setFixedHeight(self.ROW_H)

    def set_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = list(bars)
        self.setFixedHeight(max(1, len(self.bars)) * self.ROW_H + 4)
        self.setAccessibleDescription(
            "; ".join(f"{bar.label}: {bar.value_text}" for bar in self.bars) or self.empty_text
        )
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(360, self.height())

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setPen(_text_pen(self))
        if not self.bars:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignVCenter, self.empty_text)
            painter.end()
            return
        metrics = QFontMetrics(self.font())
        label_w = max(metrics.horizontalAdvance(b.label) for b in self.bars) + 12
        value_w = max(metrics.horizontalAdvance(b.value_text) for b in self.bars) + 12
        room = max(10.0, self.width() - label_w - value_w - 4)
        peak = max((b.value for b in self.bars), default=0.0) or 1.0
        for i, bar in enumerate(self.bars):
            top = i * self.ROW_H + 2
            painter.setPen(_text_pen(self))
            painter.drawText(
                QRectF(0, top, label_w, self.ROW_H), Qt.AlignmentFlag.AlignVCenter, bar.label
            )
            length = room * bar.value / peak
            painter.fillRect(
                QRectF(label_w, top + 5, max(1.0, length), self.ROW_H - 10), QColor(bar.color)
            )
            painter.drawText(
                QRectF(label_w + length + 6, top, value_w, self.ROW_H),
                Qt.AlignmentFlag.AlignVCenter,
                bar.value_text,
            )
        painter.end()


class HourRateChart(_Chart):
    """Acceptance rate of break suggestions by local hour; hours without answers stay empty."""

    AXIS_W = 44
    AXIS_H = 20
    PLOT_H = 120

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(text.tr("Break acceptance by hour"), parent)
        self.rates: list[reports.HourRate] = []
        # It takes the height its page leaves: the model page has no empty lower half.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(self.PLOT_H + self.AXIS_H + 12)

    def set_rates(self, rates: Sequence[reports.HourRate]) -> None:
        self.rates = list(rates)
        described = [f"{r.hour:02d}:00 {r.accepted}/{r.answered}" for r in self.rates if r.answered]
        self.setAccessibleDescription("; ".join(described) or text.tr("No answers yet"))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(720, self.PLOT_H + self.AXIS_H + 12)

    def _plot_h(self) -> float:
        return max(float(self.PLOT_H), self.height() - self.AXIS_H - 12.0)

    def _column(self, hour: int) -> QRectF:
        width = (self.width() - self.AXIS_W - 12) / 24.0
        return QRectF(self.AXIS_W + hour * width, 8, width, self._plot_h())

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        plot_h = self._plot_h()
        plot_bottom = 8.0 + plot_h
        for fraction in (0.0, 0.5, 1.0):
            y = plot_bottom - fraction * plot_h
            painter.setPen(_grid_pen(self))
            painter.drawLine(QPointF(self.AXIS_W, y), QPointF(self.width() - 12, y))
            painter.setPen(_text_pen(self))
            painter.drawText(
                QRectF(0, y - 10, self.AXIS_W - 6, 20),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{fraction:.0%}",
            )
        accent = QColor(OUTCOME_COLORS["accepted"])
        for rate in self.rates:
            column = self._column(rate.hour)
            if rate.rate is not None:
                height = max(2.0, rate.rate * plot_h)
                painter.fillRect(
                    QRectF(column.left() + 2, plot_bottom - height, column.width() - 4, height),
                    accent,
                )
        painter.setPen(_text_pen(self))
        for hour in range(0, 24, 3):
            column = self._column(hour)
            painter.drawText(
                QRectF(column.left(), plot_bottom + 2, column.width() * 3, self.AXIS_H),
                Qt.AlignmentFlag.AlignLeft,
                f"{hour:02d}",
            )
        painter.end()

    def tooltip_at(self, x: float, y: float) -> str | None:
        width = (self.width() - self.AXIS_W - 12) / 24.0
        hour = int((x - self.AXIS_W) // width) if x >= self.AXIS_W else -1
        for rate in self.rates:
            if rate.hour == hour:
                if not rate.answered:
                    return text.tr("{hour:02d}:00: no answers yet").format(hour=hour)
                return text.tr("{hour:02d}:00: {accepted} of {answered} accepted").format(
                    hour=hour, accepted=rate.accepted, answered=rate.answered
                )
        return None
