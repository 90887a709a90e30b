"""Fixtures for the collector backends: a private session bus and fake services on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.desktop.collect.fakebus import FakeService, PrivateBus, dbus_available


@pytest.fixture(scope="session")
def private_bus() -> Iterator[PrivateBus]:
    """Yield a dbus-daemon of the tests' own; skip without dbus-daemon (fail under CI=true)."""
    reason = dbus_available()
    if reason is not None:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"CI=true but no private D-Bus can be started: {reason}", pytrace=False)
        pytest.skip(reason)
    bus = PrivateBus()
    yield bus
    bus.close()


@pytest.fixture
def session_bus(private_bus: PrivateBus, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the private bus address, set as this test's DBUS_SESSION_BUS_ADDRESS."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private_bus.address)
    return private_bus.address


@pytest.fixture
def services(session_bus: str) -> Iterator[Callable[..., FakeService]]:
    """Yield start(*names) -> FakeService on the private bus; stops them all afterwards."""
    started: list[FakeService] = []

    def start(*names: str) -> FakeService:
        service = FakeService(session_bus, *names)
        started.append(service)
        return service

    yield start
    for service in started:
        service.close()
