import json
import shutil

import numpy as np
import pytest

from edge_model import features
from edge_model.manifest import ModelRefused
from edge_model.registry import SHIPPED_DIR, Registry
from edge_model.runtime import ModelRuntime


def copy_model(target, version="20990101T000000000Z"):
    shutil.copytree(SHIPPED_DIR, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_shipped_model_runs_through_the_interpreter():
    runtime = ModelRuntime(SHIPPED_DIR)
    batch = features.empty_batch(1)
    prediction = runtime.predict(batch)
    assert prediction.next_category.shape == (13,)
    assert abs(float(prediction.next_category.sum()) - 1.0) < 0.05
    assert prediction.accept.shape == (len(features.SUGGESTION_KINDS),)
    assert 0.0 <= prediction.switch_soon <= 1.0
    assert runtime.backend == "ai_edge_litert"


@pytest.mark.parametrize("damage", ["truncate", "bitflip", "spec", "hash"])
def test_damaged_models_are_refused_and_the_previous_one_is_served(tmp_path, damage):
    registry = Registry(tmp_path / "models")
    bad = copy_model(tmp_path / "models" / "20990101T000000000Z")
    tflite = bad / "model.tflite"
    manifest = json.loads((bad / "manifest.json").read_text())
    if damage == "truncate":
        tflite.write_bytes(tflite.read_bytes()[:1000])
    elif damage == "bitflip":
        data = bytearray(tflite.read_bytes())
        data[len(data) // 2] ^= 0x40
        tflite.write_bytes(bytes(data))
    elif damage == "spec":
        manifest["feature_spec_version"] = features.SPEC_VERSION + 1
    else:
        manifest["sha256"] = "0" * 64
    (bad / "manifest.json").write_text(json.dumps(manifest))
    refused: dict[str, str] = {}
    best = registry.best(refused)
    assert best is not None and best.path == SHIPPED_DIR  # falls back to the shipped model
    [reason] = refused.values()
    assert "\n" not in reason
    assert ("feature spec" in reason) if damage == "spec" else ("sha256 mismatch" in reason)


def test_install_is_atomic_and_newest_wins(tmp_path):
    registry = Registry(tmp_path / "models")
    source = copy_model(tmp_path / "incoming")
    installed = registry.install(source)
    assert installed.name == "20990101T000000000Z"
    assert registry.best().path == installed
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]
    with pytest.raises(FileExistsError):
        registry.install(source)


def test_install_refuses_a_tampered_source(tmp_path):
    source = copy_model(tmp_path / "incoming")
    (source / "model.tflite").write_bytes(b"not a model")
    with pytest.raises(ModelRefused):
        Registry(tmp_path / "models").install(source)
    assert Registry(tmp_path / "models").directories() == []


def test_runtime_is_deterministic_and_matches_batch_path():
    runtime = ModelRuntime(SHIPPED_DIR)
    rng = np.random.default_rng(0)
    batch = features.empty_batch(4)
    batch["category_ids"][:] = rng.integers(1, 13, batch["category_ids"].shape)
    batch["context"][:] = rng.random(batch["context"].shape)
    whole = runtime.run_batch(batch)
    first = runtime.run({k: v[:1] for k, v in batch.items()})
    np.testing.assert_array_equal(whole["accept"][:1], first["accept"])
