"""The model registry under attack: what lands in it is served only if whole, inside and signed.

Each test puts into a real registry what an attacker (or a bad copy) could: a version name that
is a path, a version folder that links out of the registry, manifests of the wrong types, a
model file nobody can read, one cut short with its manifest made to match, a manifest that is a
FIFO or /dev/zero, a model signed by nobody or by a stranger. What must hold: nothing is
written outside the registry, the app falls back to the newest model that is whole and signed
(the shipped one here), `status` and `doctor` name what is served and why the others are not,
in one line each, and return at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_model import signing
from edge_model.manifest import read_manifest_dict, sha256_file
from edge_model.registry import SHIPPED_DIR, Registry

ROOT = Path(__file__).resolve().parents[2]
B = "20990202T000000000Z"
# The shipped model's weights: signing added model.sig beside it and changed nothing else.
SHIPPED_TFLITE_SHA256 = "c779d511c1ce9527a5f775ac74579018bf60a900250ef7c0c53e590f6382e8d1"


def copy_model(target: Path, version: str = B) -> Path:
    """Copy the shipped model under another version, unsigned."""
    shutil.copytree(SHIPPED_DIR, target)
    (target / signing.SIGNATURE_NAME).unlink()
    edit(target, version=version)
    return target


def edit(model_dir: Path, **changes) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest.update(changes)
    (model_dir / "manifest.json").write_text(json.dumps(manifest))


def device_sign(model_dir: Path, data_dir: Path) -> None:
    key = signing.device_key(data_dir)
    signing.sign(model_dir, read_manifest_dict(model_dir), key, "device")


def cli(data_dir: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "desktop.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def served(data_dir: Path) -> tuple[str | None, dict[str, str]]:
    refused: dict[str, str] = {}
    best = Registry(data_dir / "models").best(refused)
    return (best.manifest.version if best else None), refused


SHIPPED = json.loads((SHIPPED_DIR / "manifest.json").read_text())["version"]


def test_the_shipped_model_is_signed_by_the_release_key_and_its_weights_unchanged():
    assert sha256_file(SHIPPED_DIR / "model.tflite") == SHIPPED_TFLITE_SHA256
    manifest = read_manifest_dict(SHIPPED_DIR)
    assert signing.check(SHIPPED_DIR, manifest, signing.trusted_keys(None)) == "release"


# --- names and places ------------------------------------------------------------------------


def test_a_version_that_is_a_path_cannot_make_export_write_outside_the_registry(tmp_path):
    source = copy_model(tmp_path / "incoming", version="../../escaped")
    data = tmp_path / "deep" / "data"
    done = subprocess.run(
        [sys.executable, "-m", "training.cli", "export", "--model", str(source)]
        + ["--data-dir", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "version '../../escaped' is not a plain name" in done.stderr
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "deep" / "escaped").exists()


def test_a_version_folder_linking_out_of_the_registry_is_not_served(tmp_path):
    data = tmp_path / "data"
    outside = copy_model(tmp_path / "elsewhere")
    device_sign(outside, data)  # even signed by this device's own key
    (data / "models").mkdir(parents=True)
    (data / "models" / B).symlink_to(outside, target_is_directory=True)
    version, refused = served(data)
    assert version == SHIPPED
    assert refused[str(data / "models" / B)].endswith("a symbolic link, not a version directory")


# --- manifests and files that are not what they say ------------------------------------------

BAD_MANIFESTS = {
    "sha256: 5": ({"sha256": 5}, "sha256 5 is not 64 hex digits"),
    "io: []": ({"io": []}, "io is not {'inputs'"),
    "feature_spec_version: '1'": ({"feature_spec_version": "1"}, "is not a number"),
    "size_bytes: -1": ({"size_bytes": -1}, "size_bytes -1 is not a size"),
    "vocab: 3": ({"vocab": 3}, "vocab is not an object"),
}


@pytest.mark.parametrize("case", list(BAD_MANIFESTS))
def test_a_manifest_of_the_wrong_types_falls_back_to_the_shipped_model(tmp_path, case):
    changes, reason = BAD_MANIFESTS[case]
    data = tmp_path / "data"
    model = copy_model(data / "models" / B)
    edit(model, **changes)
    device_sign(model, data)
    version, refused = served(data)
    assert version == SHIPPED
    assert reason in refused[str(model)]
    status = cli(data, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["model_to_serve"] == SHIPPED


def test_a_model_cut_short_with_its_manifest_made_to_match_is_not_named_in_use(tmp_path):
    data = tmp_path / "data"
    model = copy_model(data / "models" / B)
    tflite = model / "model.tflite"
    tflite.write_bytes(tflite.read_bytes()[:40_000])
    edit(model, sha256=sha256_file(tflite), size_bytes=40_000)
    device_sign(model, data)  # the worst case: signed after it was cut
    status = cli(data, "status", "--json")
    report = json.loads(status.stdout)
    assert report["model_to_serve"] == SHIPPED
    assert "model.tflite is cut short" in report["refused_models"][str(model)]


def test_a_model_file_the_user_cannot_read_falls_back_in_one_line(tmp_path):
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: root ignores file permissions")
    data = tmp_path / "data"
    model = copy_model(data / "models" / B)
    device_sign(model, data)
    (model / "model.tflite").chmod(0)
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    doctor = cli(data, "doctor", prefix=prefix if os.geteuid() == 0 else ())
    assert "Traceback" not in doctor.stderr
    assert f"model        : {SHIPPED} at {SHIPPED_DIR}" in doctor.stdout
    assert (
        f"model refused: model {B}: cannot read model.tflite (Permission denied)" in doctor.stdout
    )


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_manifest_that_is_a_fifo_or_dev_zero_does_not_hold_up_status_or_run(tmp_path, kind):
    data = tmp_path / "data"
    model = copy_model(data / "models" / B)
    (model / "manifest.json").unlink()
    if kind == "fifo":
        os.mkfifo(model / "manifest.json")
    else:
        (model / "manifest.json").symlink_to("/dev/zero")
    started = time.monotonic()
    status = cli(data, "status", "--json")
    assert time.monotonic() - started < 30
    report = json.loads(status.stdout)
    assert report["model_to_serve"] == SHIPPED
    reason = report["refused_models"][str(model)]
    assert reason.endswith(
        "a FIFO (named pipe), not a regular file"
        if kind == "fifo"
        else "a symbolic link (not followed here)"
    )


# --- signatures --------------------------------------------------------------------------------


def test_an_unsigned_model_is_refused_and_doctor_says_why(tmp_path):
    data = tmp_path / "data"
    model = copy_model(data / "models" / B)  # whole, matching, newest: but signed by no one
    doctor = cli(data, "doctor")
    assert f"model        : {SHIPPED} at {SHIPPED_DIR}" in doctor.stdout
    assert f"model refused: model {B}: unsigned (no model.sig)" in doctor.stdout
    device_sign(model, data)
    assert served(data)[0] == B


def test_a_model_signed_by_a_stranger_or_tampered_after_signing_is_refused(tmp_path):
    data = tmp_path / "data"
    model = copy_model(data / "models" / B)
    stranger = Ed25519PrivateKey.generate()
    signing.sign(model, read_manifest_dict(model), stranger, "device")
    version, refused = served(data)
    assert version == SHIPPED
    assert refused[str(model)] == f"model {B}: signed by a key this device does not trust"
    device_sign(model, data)
    assert served(data)[0] == B
    edit(model, metrics={"next_category_top1": 0.99})  # the manifest changed after signing
    version, refused = served(data)
    assert version == SHIPPED
    assert refused[str(model)] == (
        f"model {B}: the device key's signature does not match (tampered since it was signed)"
    )


def test_install_signs_with_a_private_device_key_and_writes_private_files(tmp_path):
    data = tmp_path / "data"
    installed = Registry(data / "models").install(copy_model(tmp_path / "incoming"))
    key = data / signing.DEVICE_KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(installed.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "models").stat().st_mode) == 0o700
    for item in installed.iterdir():
        assert stat.S_IMODE(item.stat().st_mode) == 0o600, item
    assert served(data)[0] == B
    # The key is this device's: another data directory does not trust what this one signed.
    other = tmp_path / "other"
    (other / "models").mkdir(parents=True)
    shutil.copytree(installed, other / "models" / B)
    version, refused = served(other)
    assert version == SHIPPED and "does not trust" in refused[str(other / "models" / B)]


def test_replacing_the_shipped_model_needs_the_release_key(tmp_path, monkeypatch):
    from training import cli as train_cli

    source = copy_model(tmp_path / "incoming")
    shipped = tmp_path / "shipped"
    monkeypatch.setattr("edge_model.registry.SHIPPED_DIR", shipped)
    assert train_cli.main(["export", "--shipped", "--model", str(source)]) == 2
    stranger = tmp_path / "stranger.pem"
    signing.write_private_key(Ed25519PrivateKey.generate(), stranger)
    assert (
        train_cli.main(
            ["export", "--shipped", "--model", str(source), "--release-key", str(stranger)]
        )
        == 2
    )
    assert not shipped.exists()
    # With the release key (kept outside the repository), the copy is signed by it.
    release = Ed25519PrivateKey.generate()
    monkeypatch.setattr(signing, "RELEASE_PUBLIC_KEY", signing.public_hex(release))
    key_file = tmp_path / "release.pem"
    signing.write_private_key(release, key_file)
    assert (
        train_cli.main(
            ["export", "--shipped", "--model", str(source), "--release-key", str(key_file)]
        )
        == 0
    )
    assert signing.check(shipped, read_manifest_dict(shipped), signing.trusted_keys(None)) == (
        "release"
    )
    assert hashlib.sha256((shipped / "model.tflite").read_bytes()).hexdigest() == (
        SHIPPED_TFLITE_SHA256
    )
