"""A running app that serves model A while a damaged newer version lands in its registry.

What the user notices: suggestions keep coming from A (the dashboard's model page keeps naming
A), the damaged version is named once in the log / status with the reason, and nothing crashes.
tests/edge_model/test_registry.py covers Registry.best refusing each damage; this is the
running-app side: desktop.models.ModelManager with the real registry, real .tflite files and
the LiteRT interpreter, refreshing as the scheduler's "models" job does.
"""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from desktop.clock import FakeClock
from desktop.models import ModelManager
from desktop.store import DB_NAME, Store
from edge_model import features, signing
from edge_model.manifest import read_manifest_dict, sha256_file
from edge_model.registry import SHIPPED_DIR, Registry

A = "20990101T000000000Z"
B = "20990202T000000000Z"


def copy_model(target, version, key_dir=None):
    """Copy the shipped model under another version; signed by the device key of `key_dir`."""
    shutil.copytree(SHIPPED_DIR, target)
    (target / "model.keras").unlink()  # the app never reads it
    (target / signing.SIGNATURE_NAME).unlink()  # the release signed another version name
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest))
    if key_dir is not None:
        sign(target, key_dir)
    return target


def sign(model_dir, key_dir):
    signing.sign(model_dir, read_manifest_dict(model_dir), signing.device_key(key_dir), "device")


def damage(model_dir, how: str) -> None:
    tflite, manifest_path = model_dir / "model.tflite", model_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if how in ("truncated", "truncated, hash and size updated"):
        tflite.write_bytes(tflite.read_bytes()[:1000])
    elif how == "bit-flipped":
        data = bytearray(tflite.read_bytes())
        data[len(data) // 2] ^= 0x40
        tflite.write_bytes(bytes(data))
    elif how == "wrong spec":
        manifest["feature_spec_version"] = features.SPEC_VERSION + 1
    elif how == "wrong hash":
        manifest["sha256"] = "0" * 64
    elif how == "tensors not in the file":  # a manifest written for another export
        manifest["io"]["inputs"]["context"] = "serving_default_context_v2:0"
    if how == "truncated, hash and size updated":  # a broken file, its manifest made to match
        manifest["sha256"] = sha256_file(tflite)
        manifest["size_bytes"] = tflite.stat().st_size
    manifest_path.write_text(json.dumps(manifest))


# Refused by the registry before any interpreter sees the file (hash, spec or size do not match,
# or the flatbuffer is cut short), even where the device signed it so.
REGISTRY_REFUSES = [
    "truncated",
    "bit-flipped",
    "wrong spec",
    "wrong hash",
    "truncated, hash and size updated",
]
# Hash, spec and signature match, so only the interpreter can refuse them.
INTERPRETER_REFUSES = ["tensors not in the file"]


@pytest.fixture
def serving_a(tmp_path):
    """A ModelManager that serves version A from the registry (shipped model copied to tmp)."""
    shipped = copy_model(tmp_path / "shipped", "20000101T000000000Z", key_dir=tmp_path)
    registry = Registry(tmp_path / "models", shipped=shipped)
    registry.install(copy_model(tmp_path / "incoming-a", A))
    store = Store(tmp_path / DB_NAME)
    changes: list[tuple[str, str]] = []
    manager = ModelManager(
        registry, store, FakeClock(0.0), on_change=lambda old, new: changes.append((old, new))
    )
    assert manager.refresh() and manager.version == A
    yield manager, registry, tmp_path, changes
    store.close()


def land(registry: Registry, tmp_path, how: str) -> None:
    """Put a damaged version B into the registry, signed by the device as an install signs.

    Signed after the damage: the worst case, a model that was already broken when the
    device signed it, so that only the checks of the file itself can refuse it.
    """
    model = copy_model(tmp_path / "models" / B, B)
    damage(model, how)
    sign(model, tmp_path)


def still_serving_a(manager: ModelManager) -> None:
    assert manager.version == A
    assert manager.current is not None
    prediction = manager.current.predict(features.empty_batch(1))
    assert abs(float(prediction.next_category.sum()) - 1.0) < 0.05


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "model refused" in r.getMessage()]


@pytest.mark.parametrize("how", REGISTRY_REFUSES + INTERPRETER_REFUSES)
def test_a_damaged_newer_model_is_refused_and_a_keeps_serving(serving_a, caplog, how):
    manager, registry, tmp_path, changes = serving_a
    land(registry, tmp_path, how)
    caplog.set_level(logging.WARNING, logger="desktop.models")
    assert manager.refresh() is False
    still_serving_a(manager)
    assert changes == [("", A)]  # never switched
    [reason] = [r for p, r in manager.refused.items() if B in p]
    assert "\n" not in reason and B in reason
    assert len(refusals(caplog)) == 1


@pytest.mark.parametrize("how", REGISTRY_REFUSES)
def test_the_refusal_is_reported_once_across_refreshes(serving_a, caplog, how):
    manager, registry, tmp_path, _ = serving_a
    land(registry, tmp_path, how)
    caplog.set_level(logging.WARNING, logger="desktop.models")
    for _ in range(5):  # the scheduler's models job, five times
        manager.refresh()
    still_serving_a(manager)
    assert len(refusals(caplog)) == 1


@pytest.mark.parametrize("how", INTERPRETER_REFUSES)
def test_an_interpreter_refusal_is_reported_once_across_refreshes(serving_a, caplog, how):
    manager, registry, tmp_path, _ = serving_a
    land(registry, tmp_path, how)
    caplog.set_level(logging.WARNING, logger="desktop.models")
    for _ in range(5):
        manager.refresh()
    still_serving_a(manager)
    assert len(refusals(caplog)) == 1


@pytest.mark.parametrize("how", INTERPRETER_REFUSES)
def test_an_app_started_with_an_unloadable_newest_version_serves_the_previous_one(serving_a, how):
    manager, registry, tmp_path, _ = serving_a
    land(registry, tmp_path, how)
    restarted = ModelManager(registry, manager.store, FakeClock(0.0))
    restarted.refresh()
    assert restarted.version == A


def test_a_repaired_version_is_picked_up_after_a_refusal(serving_a):
    manager, registry, tmp_path, changes = serving_a
    land(registry, tmp_path, "truncated")
    manager.refresh()
    shutil.copy2(SHIPPED_DIR / "model.tflite", tmp_path / "models" / B / "model.tflite")
    assert manager.refresh() is True
    assert manager.version == B and changes[-1] == (A, B)
    assert not [p for p in manager.refused if B in p]
