"""The model registry: versioned model directories, atomic installs, newest-valid selection."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge_model.features import SPEC_VERSION
from edge_model.manifest import Manifest, ModelRefused, read_manifest, verify

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


def new_version_name(now: datetime | None = None) -> str:
    """Return a sortable version name such as 20261123T040102Z."""
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y%m%dT%H%M%S") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Candidate:
    """A model directory that verified, with its manifest."""

    path: Path
    manifest: Manifest


class Registry:
    """Model versions under `root`, newest first, falling back to the model shipped with the app."""

    def __init__(self, root: Path, shipped: Path | None = SHIPPED_DIR) -> None:
        self.root = Path(root)
        self.shipped = shipped

    def directories(self) -> list[Path]:
        """Return installed version directories, newest version name first."""
        if not self.root.is_dir():
            return []
        dirs = [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return sorted(dirs, key=lambda p: p.name, reverse=True)

    def candidates(self, refused: dict[str, str] | None = None) -> Iterator[Candidate]:
        """Yield every model that verifies, newest first, the shipped one last.

        Refusals are reported into `refused` as they are met.
        """
        for path in [*self.directories(), *([self.shipped] if self.shipped else [])]:
            if not path.is_dir():
                continue
            try:
                yield Candidate(path, verify(path, SPEC_VERSION))
            except ModelRefused as exc:
                if refused is not None:
                    refused[str(path)] = str(exc)

    def best(self, refused: dict[str, str] | None = None) -> Candidate | None:
        """Return the newest model that verifies; refused ones are reported into `refused`."""
        return next(self.candidates(refused), None)

    def install(self, source_dir: Path) -> Path:
        """Copy a model directory into the registry atomically; return the installed path."""
        manifest = verify(source_dir, SPEC_VERSION)
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / manifest.version
        if target.exists():
            raise FileExistsError(f"model version {manifest.version} is already installed")
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=self.root))
        try:
            for item in Path(source_dir).iterdir():
                if item.is_file():
                    shutil.copy2(item, staging / item.name)
            verify(staging, SPEC_VERSION)
            os.replace(staging, target)  # atomic on one filesystem: readers see all or nothing
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
