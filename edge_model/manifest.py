"""Model manifests: what a model directory promises about the `.tflite` file beside it."""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edge_model import files

MANIFEST_NAME = "manifest.json"
TFLITE_NAME = "model.tflite"
KERAS_NAME = "model.keras"
CARD_NAME = "MODEL_CARD.md"
# Bounds on what is read from a model directory (the shipped manifest is 13 KB, its model 41 KB).
MAX_MANIFEST_BYTES = 4 * files.MIB
MAX_MODEL_BYTES = 512 * files.MIB
# A version names a directory of the registry: letters, digits, '.', '_', '-'; never a path.
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def valid_version(name: object) -> bool:
    """Return whether `name` can be a version (a plain directory name, never '..' or a path)."""
    return (
        isinstance(name, str) and VERSION_PATTERN.fullmatch(name) is not None and ".." not in name
    )


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
        """Return the manifest of a JSON object, or raise ModelRefused naming what is wrong."""
        known = {f for f in cls.__dataclass_fields__}
        missing = {"version", "feature_spec_version", "sha256", "io"} - set(data)
        if missing:
            raise ModelRefused(f"manifest lacks {', '.join(sorted(missing))}")
        problem = _problem(data)
        if problem:
            raise ModelRefused(f"manifest of {_short(data.get('version'))}: {problem}")
        return cls(
            **{k: v for k, v in data.items() if k in known}
            | {k: data.get(k) for k in ("size_bytes", "created_at", "parent_version", "vocab")}
        )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _names(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _problem(data: dict[str, Any]) -> str | None:
    """Return what makes a manifest unusable (wrong types, a version that is a path), or None."""
    if not valid_version(data["version"]):
        return f"version {_short(data['version'])} is not a plain name"
    spec = data["feature_spec_version"]
    if not isinstance(spec, int) or isinstance(spec, bool):
        return f"feature_spec_version {_short(spec)} is not a number"
    digest = data["sha256"]
    if not isinstance(digest, str) or re.fullmatch(r"[0-9a-f]{64}", digest) is None:
        return f"sha256 {_short(digest)} is not 64 hex digits"
    size = data.get("size_bytes")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        return f"size_bytes {_short(size)} is not a size"
    io = data["io"]
    if not isinstance(io, dict) or not _names(io.get("inputs")) or not _names(io.get("outputs")):
        return "io is not {'inputs': {name: tensor}, 'outputs': {name: tensor}}"
    parent = data.get("parent_version")
    if parent is not None and not isinstance(parent, str):
        return "parent_version is not a string"
    for key in ("vocab", "metrics", "compression", "training"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            return f"{key} is not an object"
    return None


def _u32(data: bytes, at: int) -> int:
    if at < 0 or at + 4 > len(data):
        raise IndexError(at)
    return int(struct.unpack_from("<I", data, at)[0])


def _table_field(data: bytes, table: int, index: int) -> int | None:
    """Return the position of field `index` of the flatbuffer table at `table`, or None."""
    vtable = table - struct.unpack_from("<i", data, table)[0] if table + 4 <= len(data) else -1
    if vtable < 0 or vtable + 4 > len(data):
        raise IndexError(vtable)
    size = struct.unpack_from("<H", data, vtable)[0]
    slot = 4 + 2 * index
    if slot + 2 > size or vtable + slot + 2 > len(data):
        return None
    offset = struct.unpack_from("<H", data, vtable + slot)[0]
    return table + offset if offset else None


def _vector(data: bytes, at: int) -> tuple[int, int]:
    """Return (first element position, length) of the vector referenced at `at`."""
    start = at + _u32(data, at)
    length = _u32(data, start)
    return start + 4, length


def tflite_problem(data: bytes) -> str | None:
    """Return why bytes are not a whole TFLite flatbuffer (cut short, not a model), or None.

    Walks the model's subgraph and buffer vectors and checks that every buffer ends inside
    the file: a file cut anywhere after its header fails here, before any interpreter sees it.
    """
    if len(data) < 8 or data[4:8] != b"TFL3":
        return "not a TFLite model (no TFL3 header)"
    try:
        root = _u32(data, 0)
        for field_index in (2, 4):  # Model.subgraphs, Model.buffers
            at = _table_field(data, root, field_index)
            if at is None:
                return "a TFLite model without subgraphs or buffers"
            first, length = _vector(data, at)
            if first + 4 * length > len(data):
                return "cut short (a vector runs past the end of the file)"
            if field_index != 4:
                continue
            for index in range(length):
                element = first + 4 * index
                buffer = element + _u32(data, element)
                inline = _table_field(data, buffer, 0)  # Buffer.data
                if inline is not None:
                    start, size = _vector(data, inline)
                    if start + size > len(data):
                        return "cut short (a weight buffer runs past the end of the file)"
                outside = _table_field(data, buffer, 1)  # Buffer.offset (models over 2 GB)
                if outside is not None:
                    offset = struct.unpack_from("<Q", data, outside)[0]
                    at_size = _table_field(data, buffer, 2)
                    size = struct.unpack_from("<Q", data, at_size)[0] if at_size else 0
                    if offset + size > len(data):
                        return "cut short (a weight buffer runs past the end of the file)"
    except (IndexError, struct.error):
        return "cut short or damaged (an offset points outside the file)"
    return None


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest_dict(model_dir: Path) -> dict[str, Any]:
    """Return a model directory's manifest as read (a JSON object), or raise ModelRefused.

    Never blocks and never reads without bound: a manifest that is a FIFO, a device or a
    symbolic link is refused, as is one over MAX_MANIFEST_BYTES.
    """
    path = Path(model_dir) / MANIFEST_NAME
    try:
        raw = files.read_regular(path, MAX_MANIFEST_BYTES, follow_symlinks=False)
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ModelRefused(f"{model_dir}: no {MANIFEST_NAME}") from None
    except files.UnsafeFile as exc:
        raise ModelRefused(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ModelRefused(f"{path}: unreadable manifest ({reason})") from None
    if not isinstance(data, dict):
        raise ModelRefused(f"{path}: manifest is not a JSON object")
    return data


def read_manifest(model_dir: Path) -> Manifest:
    """Return the manifest of a model directory, or raise ModelRefused with the reason."""
    return Manifest.from_dict(read_manifest_dict(model_dir))


def read_model(model_dir: Path, manifest: Manifest) -> bytes:
    """Return the bytes of a directory's `.tflite` if whole and as its manifest says."""
    tflite = Path(model_dir) / TFLITE_NAME
    try:
        data = files.read_regular(tflite, MAX_MODEL_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        raise ModelRefused(f"model {manifest.version}: {TFLITE_NAME} is missing") from None
    except files.UnsafeFile as exc:
        raise ModelRefused(f"model {manifest.version}: {TFLITE_NAME} is {exc}") from None
    except OSError as exc:
        raise ModelRefused(
            f"model {manifest.version}: cannot read {TFLITE_NAME} ({exc.strerror or exc})"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != manifest.sha256:
        raise ModelRefused(
            f"model {manifest.version}: sha256 mismatch (file {actual[:12]}…, "
            f"manifest {manifest.sha256[:12]}…): corrupt or tampered"
        )
    if manifest.size_bytes is not None and manifest.size_bytes != len(data):
        raise ModelRefused(
            f"model {manifest.version}: {TFLITE_NAME} has {len(data):,} bytes, "
            f"the manifest says {manifest.size_bytes:,}"
        )
    problem = tflite_problem(data)
    if problem:
        raise ModelRefused(f"model {manifest.version}: {TFLITE_NAME} is {problem}")
    return data


def verify_model(model_dir: Path, expected_spec_version: int) -> tuple[Manifest, bytes]:
    """Return (manifest, model bytes) if the directory's model matches its spec and hash."""
    manifest = read_manifest(model_dir)
    if manifest.feature_spec_version != expected_spec_version:
        raise ModelRefused(
            f"model {manifest.version}: feature spec {manifest.feature_spec_version}, "
            f"this app speaks {expected_spec_version}"
        )
    return manifest, read_model(model_dir, manifest)


def verify(model_dir: Path, expected_spec_version: int) -> Manifest:
    """Return the manifest if the directory's model matches its spec version and hash."""
    return verify_model(model_dir, expected_spec_version)[0]
