"""The model page's Versions list and its one-click rollback, on the running app's parts.

A real AppService (SQLite store, registry, LiteRT), the dashboard offscreen, real clicks.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui.qt import Qt  # noqa: E402
from edge_model.manifest import read_manifest_dict  # noqa: E402
from edge_model.registry import SHIPPED_DIR  # noqa: E402
from tests.desktop.test_models import NEW, OLD, install  # noqa: E402

REFUSED = "20990303T000000000Z"
SHIPPED = read_manifest_dict(SHIPPED_DIR)["version"]
COMPARED = {
    "candidate": {"answers": 12, "moments": 80, "accept_log_loss": 0.41, "accept_brier": 0.13,
                  "next_category_log_loss": 1.2},
    "in_use": {"answers": 12, "moments": 80, "accept_log_loss": 0.69, "accept_brier": 0.25,
               "next_category_log_loss": 1.25},
}  # fmt: skip


@pytest.fixture
def shell(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    service = AppService(
        tmp_path / "data", Config(), FakeClock(1_900_000_000.0), rng=np.random.default_rng(0)
    )
    registry = service.models.registry
    install(registry, OLD, tmp_path)
    install(registry, NEW, tmp_path)
    better = "it predicts your answers better"
    registry.record_update(
        {"version": NEW, "in_use_version": OLD, "installed": True, "reason": better} | COMPARED
    )
    worse = "it predicts your answers no better"
    registry.record_update(
        {"version": REFUSED, "in_use_version": NEW, "installed": False, "reason": worse, "at": 2e9}
        | COMPARED
    )
    service.refresh_model()
    yield ui_app.Shell(service, Settings(service.data_dir, Autostart(tmp_path / "a")))
    service.close()


def rows(window) -> dict[str, list[str]]:
    table = window.versions_table
    return {
        table.item(r, 0).toolTip().removeprefix("Version "): [
            table.item(r, c).text() for c in range(4)
        ]
        for r in range(table.rowCount())
    }


def test_the_versions_list_shows_each_comparison_and_the_refused_version(qtbot, shell):
    window = shell.open_dashboard()
    qtbot.addWidget(window)
    listed = rows(window)
    assert list(listed) == [REFUSED, NEW, OLD, SHIPPED]
    assert listed[NEW][1] == "in use"
    assert "log loss 0.410 vs 0.690" in listed[NEW][2] and "Brier 0.130 vs 0.250" in listed[NEW][2]
    assert listed[REFUSED][1] == "not installed" and listed[REFUSED][0] != "–"
    assert "kept the model in use: it predicts your answers no better" in listed[REFUSED][3]
    assert window.roll_back_button.isEnabled()


def test_one_click_rolls_back_to_the_previous_version(qtbot, shell):
    window = shell.open_dashboard()
    qtbot.addWidget(window)

    qtbot.mouseClick(window.roll_back_button, Qt.MouseButton.LeftButton)

    assert shell.service.models.version == OLD  # the engine's suggestions come from OLD now
    listed = rows(window)
    assert listed[OLD][1] == "in use"
    assert listed[NEW][1] == "rolled back" and "rolled back by you" in listed[NEW][3]
    assert window.roll_back_label.text().startswith("Rolled back")
    assert window.model_values["version"].toolTip().endswith(OLD)

    qtbot.mouseClick(window.roll_back_button, Qt.MouseButton.LeftButton)
    assert shell.service.models.version == SHIPPED
    assert not window.roll_back_button.isEnabled()  # nothing earlier than the shipped model


def test_the_personal_heads_latest_refits_are_listed_with_why(qtbot, shell):
    from desktop.service import record_head_update

    window = shell.open_dashboard()
    qtbot.addWidget(window)
    assert window.heads_label.text().startswith("Your personal heads are refitted each night")
    store = shell.service.store
    kept = "the head in use predicted your newest 20 answers better (log loss 0.512 vs 0.640)"
    for at, part, installed, reason in (
        (1.8e9, "acceptance", True, "a"),
        (1.9e9, "acceptance", False, kept),
        (1.9e9, "timing", True, "b"),
    ):
        record_head_update(
            store, {"at": at, "part": part, "installed": installed, "reason": reason}
        )
    window.refresh()
    assert window.heads_label.text().splitlines() == [
        f"Acceptance head, 17 Mar 17:46: kept the one in use: {kept}",
        "Timing head, 17 Mar 17:46: refitted: b",
    ]
