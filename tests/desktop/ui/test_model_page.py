"""The model page: what the app has learned about the user, and what their "Not like this"
answers changed, with Forget to take those back."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui.qt import Qt  # noqa: E402
from tests.helpers import log_suggestion  # noqa: E402

NOW = 1_900_000_000.0


@pytest.fixture
def service(tmp_path, monkeypatch) -> Iterator[AppService]:
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    service = AppService(tmp_path / "data", Config(), FakeClock(NOW), rng=np.random.default_rng(0))
    yield service
    service.close()


def model_page(qtbot, service, tmp_path):
    shell = ui_app.Shell(service, Settings(service.data_dir, Autostart(tmp_path / "a")))
    window = shell.open_dashboard()
    qtbot.addWidget(window)
    window.tabs.setCurrentWidget(window.model_tab)
    window.refresh()
    return window


def test_what_you_told_me_is_listed_and_forget_takes_it_back(qtbot, tmp_path, service):
    for minutes in (300, 200):
        sid = log_suggestion(service.store, NOW - minutes * 60, kind="break")
        service.react(sid, "dismissed", reason="too_frequent")
    window = model_page(qtbot, service, tmp_path)
    items = [window.told_list.item(i).text() for i in range(window.told_list.count())]
    assert items == [
        "You told me breaks came too often (2 times this month): at most one every 90 min now."
    ]
    window.told_list.setCurrentRow(0)
    qtbot.mouseClick(window.forget_button, Qt.MouseButton.LeftButton)
    assert window.told_label.text() == "Forgotten: what you said about breaks."
    assert window.told_list.item(0).text().startswith("Nothing yet.")
    assert not window.forget_button.isEnabled()
    taught = service.engine.taught(NOW, service.store.suggestions())
    assert taught.gap_factor("break") == 1.0


def test_the_model_page_lists_what_was_learned(qtbot, tmp_path, service):
    window = model_page(qtbot, service, tmp_path)
    assert window.about_label.text().startswith("Not enough history yet.")
    for hours in (5, 4, 3):
        sid = log_suggestion(service.store, NOW - hours * 3600, kind="meeting_prep")
        service.react(sid, "dismissed")
    window.refresh()
    shown = window.about_label.text()
    assert "You turn down meeting preparation notices" in shown
    assert "0 of 3 accepted, 3 dismissed" in shown


def test_an_offered_shorter_gap_is_taken_up_with_one_click_and_saved(qtbot, tmp_path, service):
    from desktop.store import Event

    midnight = NOW - NOW % 86400
    spans = []
    for day in range(1, 15):  # two weeks of 25-minute stretches with 10 minutes away between
        start = midnight - day * 86400 + 8 * 3600
        for _ in range(16):
            spans.append(Event(start, 25 * 60, "window", "code", category="development"))
            start += 35 * 60
    service.store.insert_events(spans)
    for day in range(1, 8):
        sid = log_suggestion(service.store, midnight - day * 86400 + 10.5 * 3600, kind="break")
        service.react(sid, "dismissed" if day == 4 else "accepted")
    window = model_page(qtbot, service, tmp_path)
    assert window.offer_button.isVisible() and window.offer_button.text() == "Suggest every 25 min"
    assert service.config.min_gap_min == 40.0  # nothing changes before the user says so
    qtbot.mouseClick(window.offer_button, Qt.MouseButton.LeftButton)
    assert service.config.min_gap_min == 25.0  # the running app, at once
    assert "min_gap_min = 25" in (service.data_dir / "config.toml").read_text()
    assert window.offer_label.text().startswith("Saved: at least 25 min between two suggestions")
    assert not window.offer_button.isVisible()
