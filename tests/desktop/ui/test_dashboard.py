"""The dashboard draws what desktop.reports computed from a real store, and moves between days."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QAbstractButton  # noqa: E402

from desktop import reports  # noqa: E402
from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.store import Event  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui import charts  # noqa: E402
from desktop.ui.qt import (  # noqa: E402
    QColor,
    QDate,
    QGroupBox,
    QLabel,
    Qt,  # noqa: E402
    QTableWidget,
    QTreeWidget,
    QWidget,
)
from tests.desktop.test_reports import DAY, DAY_EVENTS, at, suggest  # noqa: E402

YEAR_AGO = DAY - 400 * 86_400.0  # a Tuesday, well over a year before "today"


@pytest.fixture
def service(tmp_path):
    svc = AppService(tmp_path / "data", Config(), FakeClock(at(15)), rng=np.random.default_rng(0))
    svc.refresh_model()
    svc.store.insert_events(DAY_EVENTS)
    yield svc
    svc.close()


@pytest.fixture
def window(qtbot, service, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    shell = ui_app.Shell(service, Settings(service.data_dir, Autostart(tmp_path / "a")))
    dashboard = shell.open_dashboard()
    qtbot.addWidget(dashboard)
    return dashboard


def test_day_page_shows_the_days_numbers(window):
    assert window.isVisible()
    assert window.day_label.text().endswith("· today")
    values = {k: v.text() for k, v in window.balance.values.items()}
    assert values["active"] == "2 h 30 min"
    assert values["focus"] == "1 h 30 min (from 09:00)"
    assert values["breaks"] == "2"
    labels = [bar.label for bar in window.categories.bars]
    assert labels == ["Development", "Meetings", "Browsing", "Office", "Social"]
    assert window.categories.bars[0].value_text == "1 h 27 min (58%)"
    assert len(window.timeline.timeline.meetings) == 1
    assert "1 calendar event" in window.timeline.accessibleDescription()
    assert not window.next_button.isEnabled()


def test_previous_day_button_loads_the_previous_day(qtbot, window):
    qtbot.mouseClick(window.previous_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY - 86_400
    assert window.next_button.isEnabled()
    qtbot.mouseClick(window.today_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY


def test_suggestions_page_lists_history_with_outcomes(window, service):
    suggest(service.store, at(10, 15), "accepted")
    suggest(service.store, at(10, 45), "snoozed")
    window.refresh_button.click()
    table = window.suggestion_table
    assert table.rowCount() == 2
    assert [table.item(r, 1).text() for r in range(2)] == ["Snoozed", "Accepted"]
    # The model and its score are details: in the row's tooltip, not in a column.
    assert "score 0.70" in table.item(0, 0).toolTip()
    bars = {bar.label: bar.value for bar in window.outcomes.bars}
    assert bars["Accepted"] == 1 and bars["Snoozed"] == 1 and "Pending" not in bars


def test_model_page_shows_the_served_model_and_what_it_learned(qtbot, window, service):
    version = service.models.version
    assert window.model_values["version"].text().startswith("Trained ")
    assert version in window.model_values["version"].toolTip()
    held_out = service.models.current.manifest.metrics["held_out_examples"]
    assert window.quality_values["Tested on"] == f"{held_out:,} moments new to it"
    assert held_out > 1000
    # The technical names and version ids stay in the details, shown on request.
    assert not window.metrics_table.isVisibleTo(window)
    window.tabs.setCurrentIndex(2)
    qtbot.mouseClick(window.details_button, Qt.MouseButton.LeftButton)
    assert window.metrics_table.isVisibleTo(window)
    assert window.history_table.item(0, 0).text() == version
    metrics = {
        window.metrics_table.item(r, 0).text(): window.metrics_table.item(r, 1).text()
        for r in range(window.metrics_table.rowCount())
    }
    assert metrics["Held-out moments"] == f"{held_out:,}"
    assert "Not enough answers" in window.learned_label.text()
    for hour_minute in ((10, 0), (10, 20), (10, 40), (11, 0), (11, 20)):
        suggest(service.store, at(*hour_minute), "accepted")
    window.refresh()
    assert "10:00, 11:00" in window.learned_label.text()
    assert window.hour_rates.rates[10].accepted == 3


def test_escape_closes_and_tab_reaches_the_pages(qtbot, window):
    window.tabs.setCurrentIndex(2)
    assert window.tabs.tabText(2) == "&Model"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_charts_use_the_palette_not_a_fixed_background(qtbot, window):
    from desktop.ui.qt import QPalette

    palette = window.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#101418"))
    window.timeline.setPalette(palette)
    image = window.timeline.grab().toImage()
    # The empty right end of the activity lane is the palette's Base colour.
    lane_end = image.pixelColor(window.timeline.width() - window.timeline.RIGHT_W - 3, 20)
    assert lane_end.name() == "#101418"


def test_loading_goes_through_reports(monkeypatch, window):
    seen = []
    real = reports.dashboard

    def spy(*args, **kwargs):
        seen.append((kwargs["now"], kwargs["period"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "dashboard", spy)
    window.refresh()
    window.show_period("month")
    assert seen == [(at(15), "day"), (at(15), "month")]


# a year of imported history, a date picker and ranges ------------------------------------------
@pytest.fixture
def old_history(service):
    """A day of history more than a year before today, and nothing since (an import)."""
    service.store.insert_events(
        [dataclasses.replace(e, start=e.start - DAY + YEAR_AGO) for e in DAY_EVENTS]
    )
    return YEAR_AGO


def test_the_latest_day_with_data_is_one_click_away(qtbot, window, old_history):
    qtbot.mouseClick(window.previous_button, Qt.MouseButton.LeftButton)  # yesterday: empty
    assert window.latest_button.isEnabled()
    qtbot.mouseClick(window.latest_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY  # today has data: that is the latest
    window.show_day(at(12, 0, DAY - 20 * 86_400))
    qtbot.mouseClick(window.latest_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY


def test_a_day_a_year_back_is_picked_with_the_date_picker(window, old_history):
    window.date_edit.setDate(QDate(2023, 8, 31))  # YEAR_AGO, local time at offset 0
    assert window.data.day_start == YEAR_AGO
    assert window.day_label.text() == "Thu 31 Aug 2023"
    assert window.balance.values["active"].text() == "2 h 30 min"
    assert window.date_edit.maximumDate() == QDate(2024, 10, 4)  # today: nothing beyond


def test_week_and_month_ranges_with_their_heatmap(qtbot, window):
    qtbot.mouseClick(window.period_buttons["week"], Qt.MouseButton.LeftButton)
    assert window.data.period == "week"
    assert window.day_label.text() == "30 Sep – 6 Oct 2024 · this week"
    assert window.heatmap.isVisibleTo(window) and not window.timeline.isVisibleTo(window)
    heatmap = window.heatmap.heatmap
    assert len(heatmap.day_starts) == 7 and heatmap.day_starts[4] == DAY  # Mon .. Sun
    assert heatmap.minutes[4][9] == pytest.approx(60)
    assert window.balance.values["active"].text() == "2 h 30 min"
    qtbot.mouseClick(window.previous_button, Qt.MouseButton.LeftButton)
    assert window.data.period_start == DAY - 11 * 86_400
    assert window.previous_button.text() == "◀ &Previous week"
    qtbot.mouseClick(window.period_buttons["month"], Qt.MouseButton.LeftButton)
    assert window.day_label.text() == "September 2024"
    assert len(window.heatmap.heatmap.day_starts) == 30
    qtbot.mouseClick(window.next_button, Qt.MouseButton.LeftButton)
    assert window.day_label.text() == "October 2024 · this month"
    assert not window.next_button.isEnabled()
    qtbot.mouseClick(window.period_buttons["day"], Qt.MouseButton.LeftButton)
    assert window.timeline.isVisibleTo(window) and not window.heatmap.isVisibleTo(window)


def test_apps_and_their_time_inside_each_category(window):
    rows = window.apps.rows()
    assert rows[:2] == [(0, "Development", "1 h 27 min"), (1, "code", "1 h 27 min")]
    assert (1, "zoom", "30 min") in rows
    assert all(depth < 2 for depth, _, _ in rows)  # titles are hashed by default: none shown


def test_window_titles_show_where_they_are_kept(tmp_path, qtbot):
    from desktop.store import Store

    store = Store(tmp_path / "db.sqlite3", store_titles=True)
    store.insert_events(
        [
            Event(start=at(9), duration=1800, source="window", app="code", title="plan.md",
                  category="development"),
        ]
    )  # fmt: skip
    dashboard = _window_over(qtbot, store)
    assert (2, "plan.md", "30 min") in dashboard.apps.rows()
    store.close()


def _window_over(qtbot, store):
    from desktop.ui.dashboard import DashboardWindow

    window = DashboardWindow(
        lambda day, period: reports.dashboard(store, day, now=at(15), period=period),
        lambda: at(15),
    )
    qtbot.addWidget(window)
    window.show()
    window.show_day(at(15))
    return window


def test_the_heatmap_has_a_legend_for_its_shades(qtbot, window):
    qtbot.mouseClick(window.period_buttons["week"], Qt.MouseButton.LeftButton)
    chart = window.heatmap
    assert chart.legend == ["under 15 min", "15–30 min", "30–45 min", "45 min or more"]
    # Each shade is distinct, and the 60-minute cell is drawn in the legend's last shade.
    shades = [chart.shade(level).name(QColor.NameFormat.HexArgb) for level in range(5)]
    assert len(set(shades)) == 5
    image = chart.grab().toImage()
    cell = chart._cell(4, 9).center()
    drawn = image.pixelColor(int(cell.x()), int(cell.y()))
    base = chart.palette().color(chart.backgroundRole())
    assert drawn != base and drawn.name() != chart.shade(0).name()


def test_calendar_meetings_have_a_colour_of_their_own(window):
    chart = window.timeline
    image = chart.grab().toImage()
    _, calendar_lane = chart._lanes()
    x = chart._x(at(11, 15))
    drawn = image.pixelColor(int(x), int(calendar_lane.center().y())).name()
    assert drawn != charts.CATEGORY_COLORS["meetings"]  # time in a call app is violet
    assert drawn == charts.CALENDAR_COLORS["meeting"]
    assert chart.legend[-1] == "calendar:meeting"


def test_an_empty_past_day_says_what_to_do_and_nothing_contradicts_it(qtbot, window, old_history):
    window.show_day(at(12, 0, DAY - 20 * 86_400))
    shown = _visible_texts(window.tabs.currentWidget())
    message = window.empty_label.text()
    assert "Nothing recorded on Sat 14 Sep 2024." in message
    assert "Pick another day, or import history." in message
    assert window.empty_label.isVisibleTo(window)
    assert not any("< 1 min" in line or "recorded yet" in line for line in shown)
    assert window.empty_latest_button.isVisibleTo(window)
    qtbot.mouseClick(window.empty_latest_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY


def test_an_empty_today_says_recording_has_not_started(qtbot, tmp_path):
    from desktop.store import Store

    store = Store(tmp_path / "db.sqlite3")
    dashboard = _window_over(qtbot, store)
    message = dashboard.empty_label.text()
    assert message.startswith("Nothing recorded yet today.")
    assert "time-sculptor import FILE" in message  # no history at all: how to bring some in
    assert not dashboard.latest_button.isEnabled()
    store.close()


def test_the_activity_page_fills_the_window(window):
    """No empty lower half: the lowest box on the page reaches the page's bottom."""
    window.resize(1000, 780)
    for period in ("day", "week"):
        if period != "day":
            window.show_period(period)
        page = window.tabs.currentWidget()
        page.grab()  # lay it out
        bottoms = [
            box.mapTo(page, box.rect().bottomLeft()).y()
            for box in page.findChildren(QGroupBox)
            if box.isVisibleTo(page)
        ]
        assert max(bottoms) >= page.height() * 0.9, period


INTERNALS = re.compile(
    r"held-out|reciprocal|\bspans?\b|\bscore\b|p=|\d{8}T\d{6,9}Z|\bNone\b|\{", re.IGNORECASE
)


def _visible_texts(root: QWidget) -> list[str]:
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QTableWidget):
            texts += [widget.horizontalHeaderItem(c).text() for c in range(widget.columnCount())]
            texts += [
                widget.item(r, c).text()
                for r in range(widget.rowCount())
                for c in range(widget.columnCount())
                if widget.item(r, c) is not None
            ]
        elif isinstance(widget, QTreeWidget):
            texts += [widget.headerItem().text(c) for c in range(widget.columnCount())]
        elif isinstance(widget, charts.BarsChart):
            texts += [f"{bar.label} {bar.value_text}" for bar in widget.bars] or [widget.empty_text]
    return [t for t in texts if t]


def test_the_main_views_speak_plainly(window, service):
    """No model internals where a user reads; the details view may keep them."""
    suggest(service.store, at(10, 15), "accepted")
    service.store.record_model("20261123T180237403Z", "/m", sha256="a", feature_spec_version=1,
                               status="active", at=at(9))  # fmt: skip
    window.refresh()
    found = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        found += [t for t in _visible_texts(window) if INTERNALS.search(t)]
    assert found == []
