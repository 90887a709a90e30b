"""Shared fixtures: a real X session (Xvfb + openbox) and an isolated data directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.x11env import TestWindow, XServer, spawn_window, x_available

# Qt widgets in tests render offscreen unless a test starts its own X server.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _require_x() -> None:
    reason = x_available()
    if reason is not None:
        if _in_ci():
            # CI installs Xvfb and openbox: a silent skip there would hide a broken setup.
            pytest.fail(f"CI=true but no X session can be started: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def x_server() -> Iterator[XServer]:
    """Yield a running Xvfb + openbox session; skip without Xvfb/openbox (fail under CI=true)."""
    _require_x()
    with XServer() as server:
        yield server


@pytest.fixture(scope="module")
def x_server_no_wm() -> Iterator[XServer]:
    """Yield a bare Xvfb with no window manager (no EWMH); skips/fails like x_server."""
    _require_x()
    with XServer(wm=False) as server:
        yield server


@pytest.fixture
def x_display(x_server: XServer, monkeypatch: pytest.MonkeyPatch) -> XServer:
    """Return the X session with DISPLAY pointing at it (and WAYLAND_DISPLAY unset)."""
    monkeypatch.setenv("DISPLAY", x_server.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return x_server


@pytest.fixture
def x_windows(x_server: XServer) -> Iterator[Callable[..., TestWindow]]:
    """Yield spawn(wm_class, title, **kw) -> TestWindow on x_server; closes them all afterwards."""
    spawned: list[TestWindow] = []

    def spawn(
        wm_class: tuple[str, str] = ("instance", "Class"), title: str = "test window", **kw: bool
    ) -> TestWindow:
        window = spawn_window(x_server.display, wm_class, title, **kw)
        spawned.append(window)
        return window

    yield spawn
    for window in spawned:
        window.close()


@pytest.fixture
def tmp_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return an empty data directory that TIME_SCULPTOR_DATA_DIR points at for this test."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("TIME_SCULPTOR_DATA_DIR", str(data))
    return data
