"""One-click rollback: the running app serves the previous version again, and keeps doing so.

Real registry directories with real `.tflite` files signed by the device key, the LiteRT
interpreter, a real SQLite store: desktop.models.ModelManager as the app runs it.
"""

from __future__ import annotations

import json
import shutil

import pytest

from desktop.clock import FakeClock
from desktop.models import ModelManager, RollbackRefused
from desktop.store import DB_NAME, Store
from edge_model import signing
from edge_model.manifest import read_manifest_dict
from edge_model.registry import SHIPPED_DIR, Registry

OLD = "20990101T000000000Z"
NEW = "20990202T000000000Z"
NEWER = "20990303T000000000Z"


def install(registry: Registry, version: str, tmp_path) -> None:
    """Install a copy of the shipped model under another version, as a fine-tune would."""
    source = tmp_path / f"source-{version}"
    shutil.copytree(SHIPPED_DIR, source)
    (source / signing.SIGNATURE_NAME).unlink()
    manifest = read_manifest_dict(source)
    manifest["version"] = version
    (source / "manifest.json").write_text(json.dumps(manifest))
    registry.install(source)


@pytest.fixture
def app(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    registry = Registry(data / "models")
    install(registry, OLD, tmp_path)
    install(registry, NEW, tmp_path)
    store = Store(data / DB_NAME)
    changes: list[tuple[str, str]] = []
    manager = ModelManager(
        registry, store, FakeClock(1_900_000_000.0), on_change=lambda a, b: changes.append((a, b))
    )
    yield manager, store, changes
    store.close()


def test_rolling_back_serves_the_previous_version_and_keeps_the_rolled_back_one_listed(app):
    manager, store, changes = app
    assert manager.refresh() and manager.version == NEW

    message = manager.roll_back()

    assert manager.version == OLD  # suggestions come from the previous version now
    assert changes[-1] == (NEW, OLD)
    assert message.startswith("Rolled back: the version before serves again")
    history = {row["version"]: row for row in store.model_history()}
    assert history[NEW]["status"] == "rolled back"
    assert "rolled back by you" in history[NEW]["reason"]
    assert history[OLD]["status"] == "active"
    # The periodic refresh does not bring the rolled-back version back.
    assert not manager.refresh() and manager.version == OLD


def test_a_rollback_holds_after_a_restart(app, tmp_path):
    manager, store, _ = app
    manager.refresh()
    manager.roll_back()

    restarted = ModelManager(Registry(tmp_path / "data" / "models"), store, FakeClock(2e9))
    assert restarted.refresh() and restarted.version == OLD


def test_a_newer_fine_tune_serves_after_a_rollback(app, tmp_path):
    manager, _, _ = app
    manager.refresh()
    manager.roll_back()

    install(manager.registry, NEWER, tmp_path)

    assert manager.refresh() and manager.version == NEWER


def test_rolling_back_twice_reaches_the_shipped_model_and_then_stops(app):
    manager, _, _ = app
    manager.refresh()
    manager.roll_back()
    manager.roll_back()
    shipped = read_manifest_dict(SHIPPED_DIR)["version"]
    assert manager.version == shipped

    with pytest.raises(RollbackRefused, match="shipped model .* no earlier version"):
        manager.roll_back()
    assert manager.version == shipped


def test_a_rolled_back_version_can_be_restored(app):
    manager, _, _ = app
    manager.refresh()
    manager.roll_back()

    assert manager.registry.restore(NEW)

    assert manager.refresh() and manager.version == NEW


def test_a_damaged_rollback_file_rolls_nothing_back(app, caplog):
    manager, _, _ = app
    (manager.registry.root / "rolled_back.json").write_text("{not json")

    assert manager.refresh() and manager.version == NEW
    assert "not JSON" in caplog.text
