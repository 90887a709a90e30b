"""Injectable clocks: the app reads time only through these, so tests run a week in seconds."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Wall time as Unix seconds (UTC) plus how fast it runs against real time."""

    rate: float

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    rate = 1.0

    def now(self) -> float:
        return time.time()


class AcceleratedClock:
    """Simulated time that starts at `start` and runs `rate` times faster than real time."""

    def __init__(self, start: float, rate: float = 60.0) -> None:
        self.rate = float(rate)
        self._start = float(start)
        self._origin = time.monotonic()

    def now(self) -> float:
        return self._start + (time.monotonic() - self._origin) * self.rate


class FakeClock:
    """A clock that moves only when told to; thread-safe."""

    rate = 1.0

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, timestamp: float) -> None:
        """Jump to `timestamp` (forwards or backwards, like a user changing the clock)."""
        with self._lock:
            self._now = float(timestamp)
