"""Model manifests: what a model directory promises about the `.tflite` file beside it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
TFLITE_NAME = "model.tflite"
KERAS_NAME = "model.keras"
CARD_NAME = "MODEL_CARD.md"


class ModelRefused(Exception):
    """A model directory that must not be served; str(exc) is one line saying why."""


@dataclass
class Manifest:
    """The JSON manifest of one model version."""

    version: str
    feature_spec_version: int
    sha256: str
    size_bytes: int
    created_at: str
    parent_version: str | None
    vocab: dict[str, Any]
    io: dict[str, dict[str, str]]  # {"inputs": {name: tensor name}, "outputs": {...}}
    metrics: dict[str, Any] = field(default_factory=dict)
    compression: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        missing = {"version", "feature_spec_version", "sha256", "io"} - set(data)
        if missing:
            raise ModelRefused(f"manifest lacks {', '.join(sorted(missing))}")
        return cls(
            **{k: v for k, v in data.items() if k in known}
            | {k: data.get(k) for k in ("size_bytes", "created_at", "parent_version", "vocab")}
        )


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(model_dir: Path) -> Manifest:
    """Return the manifest of a model directory, or raise ModelRefused with the reason."""
    path = Path(model_dir) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelRefused(f"{model_dir}: no {MANIFEST_NAME}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelRefused(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(data, dict):
        raise ModelRefused(f"{path}: manifest is not a JSON object")
    return Manifest.from_dict(data)


def verify(model_dir: Path, expected_spec_version: int) -> Manifest:
    """Return the manifest if the directory's model matches its spec version and hash."""
    manifest = read_manifest(model_dir)
    if manifest.feature_spec_version != expected_spec_version:
        raise ModelRefused(
            f"model {manifest.version}: feature spec {manifest.feature_spec_version}, "
            f"this app speaks {expected_spec_version}"
        )
    tflite = Path(model_dir) / TFLITE_NAME
    if not tflite.is_file():
        raise ModelRefused(f"model {manifest.version}: {TFLITE_NAME} is missing")
    actual = sha256_file(tflite)
    if actual != manifest.sha256:
        raise ModelRefused(
            f"model {manifest.version}: sha256 mismatch (file {actual[:12]}…, "
            f"manifest {manifest.sha256[:12]}…): corrupt or tampered"
        )
    return manifest
