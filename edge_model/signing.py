"""Ed25519 signatures on model directories: who made a model, not just whether it is whole.

A manifest's sha256 says the `.tflite` beside it is the file the manifest describes; it says
nothing about where either came from. Every model the app serves is therefore signed:

- the shipped model by the release key, whose public half is `RELEASE_PUBLIC_KEY` below (the
  private half never enters the repository: `sculptor-train export --shipped --release-key
  FILE` signs with it, see docs/reliability.md "Signing a release");
- models the device trains or installs itself by a key generated on the device the first time
  it installs one (`DEVICE_KEY_NAME` in the data directory, mode 0600).

The signature (`model.sig`, JSON) covers the manifest in canonical form, which holds the
`.tflite`'s sha256 and size: a model file or manifest from anywhere else is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge_model import files

SIGNATURE_NAME = "model.sig"
DEVICE_KEY_NAME = "model-signing-key.pem"
# The public half of the release key that signed edge_model/shipped (raw Ed25519, hex).
RELEASE_PUBLIC_KEY = "212b8af8a63e8357e36af50c201393d341b1d1698c8457e9b867227036c02c47"
_DOMAIN = b"time-sculptor model signature v1\n"
_MAX_SIGNATURE_BYTES = 4096
_MAX_KEY_BYTES = 4096


class SignatureRefused(Exception):
    """A model whose signature is missing or wrong; str(exc) is one line saying why."""


def canonical(manifest: dict[str, Any]) -> bytes:
    """Return the bytes a signature covers: the manifest as sorted, compact JSON."""
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _DOMAIN + hashlib.sha256(text.encode("ascii")).hexdigest().encode("ascii")


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Return a key's raw public bytes as hex."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Return the Ed25519 private key in a PEM file (PKCS#8, unencrypted), or raise ValueError."""
    try:
        data = files.read_regular(path, _MAX_KEY_BYTES)
        key = serialization.load_pem_private_key(data, password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable Ed25519 private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def write_private_key(key: Ed25519PrivateKey, path: Path) -> Path:
    """Write a private key as PEM, mode 0600; return the path."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return files.write_private(path, pem)


def device_key(data_dir: Path) -> Ed25519PrivateKey:
    """Return this device's model-signing key, generating it (0600) on first use."""
    path = Path(data_dir) / DEVICE_KEY_NAME
    if path.exists():
        return load_private_key(path)
    files.private_dir(data_dir)
    key = Ed25519PrivateKey.generate()
    write_private_key(key, path)
    return key


def trusted_keys(data_dir: Path | None) -> dict[str, str]:
    """Return signer name -> public key (hex) of the keys whose models this device serves."""
    keys = {"release": RELEASE_PUBLIC_KEY}
    if data_dir is not None:
        path = Path(data_dir) / DEVICE_KEY_NAME
        # No device key yet (nothing installed), or an unreadable one: nothing more trusted.
        with contextlib.suppress(ValueError):
            keys["device"] = public_hex(load_private_key(path))
    return keys


def sign(model_dir: Path, manifest: dict[str, Any], key: Ed25519PrivateKey, signer: str) -> Path:
    """Write `model.sig` for a model directory's manifest; return its path."""
    record = {
        "signer": signer,
        "public_key": public_hex(key),
        "signature": key.sign(canonical(manifest)).hex(),
    }
    return files.write_private(Path(model_dir) / SIGNATURE_NAME, json.dumps(record).encode())


def check(model_dir: Path, manifest: dict[str, Any], trusted: dict[str, str]) -> str:
    """Return the signer of a model directory, or raise SignatureRefused saying why."""
    path = Path(model_dir) / SIGNATURE_NAME
    try:
        record = json.loads(files.read_regular(path, _MAX_SIGNATURE_BYTES, follow_symlinks=False))
    except FileNotFoundError:
        raise SignatureRefused(f"unsigned (no {SIGNATURE_NAME})") from None
    except (OSError, ValueError) as exc:
        raise SignatureRefused(f"unreadable {SIGNATURE_NAME} ({exc})") from None
    if not isinstance(record, dict) or not all(
        isinstance(record.get(k), str) for k in ("public_key", "signature")
    ):
        raise SignatureRefused(f"{SIGNATURE_NAME} is not a signature record")
    signer = next((name for name, key in trusted.items() if key == record["public_key"]), None)
    if signer is None:
        raise SignatureRefused("signed by a key this device does not trust")
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(record["public_key"]))
        public.verify(bytes.fromhex(record["signature"]), canonical(manifest))
    except (ValueError, InvalidSignature):
        raise SignatureRefused(
            f"the {signer} key's signature does not match (tampered since it was signed)"
        ) from None
    return signer
