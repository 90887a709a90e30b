"""The model page says what the app has learned about the user, with the evidence."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from tests.helpers import log_suggestion  # noqa: E402

NOW = 1_900_000_000.0


def test_the_model_page_lists_what_was_learned(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    service = AppService(tmp_path / "data", Config(), FakeClock(NOW), rng=np.random.default_rng(0))
    try:
        shell = ui_app.Shell(service, Settings(service.data_dir, Autostart(tmp_path / "a")))
        window = shell.open_dashboard()
        qtbot.addWidget(window)
        window.tabs.setCurrentWidget(window.model_tab)
        window.refresh()
        assert window.about_label.text().startswith("Not enough history yet.")
        for hours in (5, 4, 3):
            sid = log_suggestion(service.store, NOW - hours * 3600, kind="meeting_prep")
            service.react(sid, "dismissed")
        window.refresh()
        shown = window.about_label.text()
        assert "You turn down meeting preparation notices" in shown
        assert "0 of 3 accepted, 3 dismissed" in shown
    finally:
        service.close()
