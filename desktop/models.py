"""Keeps the app on the newest valid model: loads, verifies, hot-swaps, survives bad ones."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from desktop.clock import Clock
from desktop.store import Store, StoreError
from edge_model.manifest import ModelRefused
from edge_model.registry import Registry
from edge_model.runtime import ModelRuntime

log = logging.getLogger(__name__)


class RollbackRefused(Exception):
    """A rollback that cannot be done; str(exc) is one line saying why."""


class ModelManager:
    """Serves the newest model that verifies and the user did not roll back.

    Otherwise the previous one keeps serving.
    """

    def __init__(
        self,
        registry: Registry,
        store: Store,
        clock: Clock,
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.on_change = on_change
        self.current: ModelRuntime | None = None
        self.refused: dict[str, str] = {}
        self._unloadable: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @property
    def version(self) -> str | None:
        runtime = self.current
        return runtime.version if runtime else None

    def refresh(self) -> bool:
        """Switch to the newest model that verifies and loads; return True if the model changed.

        Versions are tried newest first, so one the interpreter refuses falls back to the one
        before it. Every refusal is logged once: interpreter refusals are remembered per file
        content (a repaired file is tried again), registry refusals per reason.
        """
        with self._lock:
            refused: dict[str, str] = {}
            runtime: ModelRuntime | None = None
            for candidate in self.registry.candidates(refused):
                if candidate.manifest.version == self.version:
                    break  # nothing newer loads: keep serving the current model
                key = (str(candidate.path), candidate.manifest.sha256)
                if key in self._unloadable:
                    refused[key[0]] = self._unloadable[key]
                    continue
                try:
                    runtime = ModelRuntime(candidate.path)
                    break
                except ModelRefused as exc:
                    self._unloadable[key] = refused[key[0]] = str(exc)
            for path, reason in refused.items():
                if self.refused.get(path) != reason:
                    log.warning("model refused: %s", reason)
            self.refused = refused
            if runtime is None:
                return False
            previous = self.version
            self.current = runtime  # one reference swap: jobs in flight finish on the old model
        self._record(runtime)
        log.info(
            "model %s active (was %s, interpreter %s)", runtime.version, previous, runtime.backend
        )
        if self.on_change:
            self.on_change(previous or "", runtime.version)
        return True

    def roll_back(self) -> str:
        """Stop serving the model in use, for good, and serve the one before it again.

        Returns one line saying which version serves now; raises RollbackRefused when there is
        nothing earlier (the shipped model is in use) or nothing earlier loads.
        """
        withdrawn = self.current
        if withdrawn is None:
            raise RollbackRefused("no model is in use: suggestions come from simple rules")
        if withdrawn.path.resolve().parent != self.registry.root.resolve():
            raise RollbackRefused(
                f"the shipped model {withdrawn.version} is in use: there is no earlier version"
            )
        at = self.clock.now()
        self.registry.roll_back(withdrawn.version, at=at)
        if not self.refresh():
            self.registry.restore(withdrawn.version)
            raise RollbackRefused(f"no earlier version loads: {withdrawn.version} keeps serving")
        restored = self.version or ""
        self.registry.roll_back(withdrawn.version, at=at, restored=restored)
        self._record(
            withdrawn,
            status="rolled back",
            reason="rolled back by you; the version before it serves again",
            at=at,
        )
        log.info("model %s rolled back; %s serves again", withdrawn.version, restored)
        return "Rolled back: the version before serves again (the one you left stays listed)."

    def _record(
        self,
        runtime: ModelRuntime,
        *,
        status: str = "active",
        reason: str = "",
        at: float | None = None,
    ) -> None:
        try:
            self.store.record_model(
                runtime.version,
                str(runtime.path),
                sha256=runtime.manifest.sha256,
                feature_spec_version=runtime.manifest.feature_spec_version,
                status=status,
                reason=reason,
                at=self.clock.now() if at is None else at,
            )
        except StoreError as exc:
            log.warning("%s", exc)
