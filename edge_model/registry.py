"""The model registry: versioned model directories, atomic signed installs, newest-valid selection.

Nothing in the registry is trusted for being there: a version directory is served only if its
name is a plain version name, it is a real directory inside the registry (not a link out of
it), its manifest and model are whole and match, and its signature is by the release key or
this device's own key (edge_model.signing).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge_model import files, signing
from edge_model.features import SPEC_VERSION
from edge_model.manifest import (
    MAX_MODEL_BYTES,
    Manifest,
    ModelRefused,
    read_manifest,
    read_manifest_dict,
    valid_version,
    verify,
)

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
# Beside the version directories: the versions the user rolled back (never served again), and
# the log of every fine-tune's comparison with the model then in use (installed or not).
ROLLED_BACK_NAME = "rolled_back.json"
UPDATES_NAME = "updates.jsonl"
MAX_UPDATES = 100  # log entries kept, newest last
MAX_STATE_BYTES = 1024 * 1024


def new_version_name(now: datetime | None = None) -> str:
    """Return a sortable version name such as 20261123T040102Z."""
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y%m%dT%H%M%S") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Candidate:
    """A model directory that verified, with its manifest and who signed it."""

    path: Path
    manifest: Manifest
    signer: str = ""


def verify_signed(model_dir: Path, trusted: dict[str, str]) -> tuple[Manifest, str]:
    """Return (manifest, signer) of a whole, matching model signed by a trusted key."""
    manifest = verify(model_dir, SPEC_VERSION)
    try:
        signer = signing.check(model_dir, read_manifest_dict(model_dir), trusted)
    except signing.SignatureRefused as exc:
        raise ModelRefused(f"model {manifest.version}: {exc}") from None
    return manifest, signer


class Registry:
    """Model versions under `root`, newest first, falling back to the model shipped with the app.

    Models installed here are signed with the device key kept in the data directory
    (`root`'s parent unless `key_dir` says otherwise).
    """

    def __init__(
        self, root: Path, shipped: Path | None = SHIPPED_DIR, key_dir: Path | None = None
    ) -> None:
        self.root = Path(root)
        self.shipped = shipped
        self.key_dir = Path(key_dir) if key_dir is not None else self.root.parent

    def trusted(self) -> dict[str, str]:
        """Return the public keys whose models are served: the release key and this device's."""
        return signing.trusted_keys(self.key_dir)

    def directories(self, refused: dict[str, str] | None = None) -> list[Path]:
        """Return installed version directories, newest version name first.

        A link (out of the registry or not) or a name that is not a version is passed over
        and reported into `refused`.
        """
        try:
            entries = list(os.scandir(self.root))
        except OSError:  # no registry yet, or not a directory
            return []
        dirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # an install in progress
            path = Path(entry.path)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                if refused is not None:
                    refused[str(path)] = f"{path}: a symbolic link, not a version directory"
                continue
            if not stat.S_ISDIR(mode):
                continue
            if not valid_version(entry.name):
                if refused is not None:
                    refused[str(path)] = f"{path}: {entry.name!r} is not a version name"
                continue
            dirs.append(path)
        return sorted(dirs, key=lambda p: p.name, reverse=True)

    def candidates(self, refused: dict[str, str] | None = None) -> Iterator[Candidate]:
        """Yield every model that verifies and is signed by a trusted key, newest first.

        Versions the user rolled back are passed over; the shipped one comes last. Refusals
        are reported into `refused` as they are met.
        """
        trusted = self.trusted()
        shipped = [self.shipped] if self.shipped else []
        withdrawn = self.rolled_back()
        for path in [*self.directories(refused), *shipped]:
            if not path.is_dir() or (path != self.shipped and path.name in withdrawn):
                continue
            try:
                manifest, signer = verify_signed(path, trusted)
            except ModelRefused as exc:
                if refused is not None:
                    refused[str(path)] = str(exc)
                continue
            yield Candidate(path, manifest, signer)

    def best(self, refused: dict[str, str] | None = None) -> Candidate | None:
        """Return the newest model that verifies and was not rolled back.

        Refused ones are reported into `refused`.
        """
        return next(self.candidates(refused), None)

    def _target(self, version: str) -> Path:
        """Return the directory a version installs to, refusing any name that leaves the root."""
        if not valid_version(version):
            raise ModelRefused(f"version {version!r} is not a plain name: not installed")
        target = self.root / version
        if target.resolve().parent != self.root.resolve():
            raise ModelRefused(f"version {version!r} would install outside {self.root}")
        return target

    def install(self, source_dir: Path) -> Path:
        """Copy a model directory into the registry atomically, signed by this device.

        Returns the installed path. Only the model's own files are copied, each a regular
        file (never a link), private to the user (0600 in a 0700 directory).
        """
        manifest = verify(source_dir, SPEC_VERSION)
        files.private_dir(self.root)
        target = self._target(manifest.version)
        if target.exists() or target.is_symlink():
            raise FileExistsError(f"model version {manifest.version} is already installed")
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=self.root))
        try:
            for item in sorted(Path(source_dir).iterdir()):
                if item.name == signing.SIGNATURE_NAME or not stat.S_ISREG(os.lstat(item).st_mode):
                    continue  # the device signs what it installs; links and folders stay out
                data = files.read_regular(item, MAX_MODEL_BYTES, follow_symlinks=False)
                files.write_private(staging / item.name, data)
            signing.sign(
                staging,
                read_manifest_dict(staging),
                signing.device_key(self.key_dir),
                "device",
            )
            verify_signed(staging, self.trusted())
            os.replace(staging, target)  # atomic on one filesystem: readers see all or nothing
        except files.UnsafeFile as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelRefused(f"model {manifest.version}: a file to install is {exc}") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def manifests(self) -> list[Manifest]:
        """Return the readable manifests of installed versions (unverified), newest first."""
        found = []
        for path in self.directories():
            try:
                found.append(read_manifest(path))
            except ModelRefused:
                continue
        return found

    # the user's rollbacks and the update log ------------------------------------------------
    def _read_state(self, name: str) -> str:
        try:
            data = files.read_regular(self.root / name, MAX_STATE_BYTES, follow_symlinks=False)
        except FileNotFoundError:
            return ""
        except (OSError, files.UnsafeFile) as exc:
            log.warning("%s: %s; ignored", self.root / name, exc)
            return ""
        return data.decode("utf-8", errors="replace")

    def rolled_back(self) -> dict[str, dict[str, object]]:
        """Return the rolled-back versions: {version: {"at": time, "restored": version}}."""
        text = self._read_state(ROLLED_BACK_NAME)
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("%s is not JSON; no version counts as rolled back", ROLLED_BACK_NAME)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if valid_version(k) and isinstance(v, dict)}

    def roll_back(self, version: str, *, at: float, restored: str | None = None) -> None:
        """Mark an installed version as rolled back: it is not served again until restored."""
        if not self._target(version).is_dir():
            raise ModelRefused(f"version {version!r} is not installed here: nothing to roll back")
        marks = self.rolled_back()
        marks[version] = {"at": at, "restored": restored}
        files.write_private(self.root / ROLLED_BACK_NAME, _json_bytes(marks))

    def restore(self, version: str) -> bool:
        """Serve a rolled-back version again (if it is the newest); return whether it was marked."""
        marks = self.rolled_back()
        if marks.pop(version, None) is None:
            return False
        files.write_private(self.root / ROLLED_BACK_NAME, _json_bytes(marks))
        return True

    def record_update(self, entry: dict[str, object]) -> None:
        """Append one fine-tune's outcome (its comparison, installed or not) to the update log."""
        files.private_dir(self.root)
        kept = self.updates()[-(MAX_UPDATES - 1) :]
        lines = [json.dumps(e, sort_keys=True) for e in [*kept, entry]]
        files.write_private(self.root / UPDATES_NAME, ("\n".join(lines) + "\n").encode())

    def updates(self) -> list[dict[str, object]]:
        """Return the update log's entries, oldest first (unreadable lines are skipped)."""
        found = []
        for line in self._read_state(UPDATES_NAME).splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
        return found


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
