"""The dashboard draws what desktop.reports computed from a real store, and moves between days."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop import reports  # noqa: E402
from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui.qt import Qt  # noqa: E402
from tests.desktop.test_reports import DAY, DAY_EVENTS, at, suggest  # noqa: E402


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
    values = {k: v.text() for k, v in window.day_balance.values.items()}
    assert values["active"] == "2 h 30 min"
    assert values["focus"] == "1 h 30 min (from 09:00)"
    assert values["breaks"] == "2"
    labels = [bar.label for bar in window.day_categories.bars]
    assert labels == ["Development", "Meetings", "Browsing", "Office", "Social"]
    assert window.day_categories.bars[0].value_text == "1 h 27 min (58%)"
    assert len(window.timeline.timeline.meetings) == 1
    assert "1 meetings" in window.timeline.accessibleDescription()
    assert not window.next_button.isEnabled()


def test_previous_day_button_loads_the_previous_day(qtbot, window):
    qtbot.mouseClick(window.previous_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY - 86_400
    assert window.day_balance.values["active"].text() == "< 1 min"
    assert window.day_categories.bars == []
    assert window.next_button.isEnabled()
    qtbot.mouseClick(window.today_button, Qt.MouseButton.LeftButton)
    assert window.data.day_start == DAY


def test_week_page_heatmap_and_categories(window):
    assert window.heatmap.heatmap.minutes[6][9] == pytest.approx(60)
    assert window.week_balance.values["active"].text() == "2 h 30 min"


def test_suggestions_page_lists_history_with_outcomes(window, service):
    suggest(service.store, at(10, 15), "accepted")
    suggest(service.store, at(10, 45), "snoozed")
    window.refresh_button.click()
    table = window.suggestion_table
    assert table.rowCount() == 2
    assert [table.item(r, 1).text() for r in range(2)] == ["Snoozed", "Accepted"]
    bars = {bar.label: bar.value for bar in window.outcomes.bars}
    assert bars["Accepted"] == 1 and bars["Snoozed"] == 1 and "Pending" not in bars


def test_model_page_shows_the_served_model_and_what_it_learned(window, service):
    version = service.models.version
    assert window.model_values["version"].text() == version
    assert window.history_table.item(0, 0).text() == version
    metrics = {
        window.metrics_table.item(r, 0).text(): window.metrics_table.item(r, 1).text()
        for r in range(window.metrics_table.rowCount())
    }
    held_out = service.models.current.manifest.metrics["held_out_examples"]
    assert metrics["Held-out moments"] == f"{held_out:,}" and held_out > 1000
    assert "Not enough answers" in window.learned_label.text()
    for hour_minute in ((10, 0), (10, 20), (10, 40), (11, 0), (11, 20)):
        suggest(service.store, at(*hour_minute), "accepted")
    window.refresh()
    assert "10:00, 11:00" in window.learned_label.text()
    assert window.hour_rates.rates[10].accepted == 3


def test_escape_closes_and_tab_reaches_the_pages(qtbot, window):
    window.tabs.setCurrentIndex(3)
    assert window.tabs.tabText(3) == "&Model"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_charts_use_the_palette_not_a_fixed_background(qtbot, window):
    from desktop.ui.qt import QColor, QPalette

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
        seen.append(kwargs["now"])
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "dashboard", spy)
    window.refresh()
    assert seen == [at(15)]
