"""How intensely the user is working, from idle-time polls alone: never keys, never positions.

Between two polls at t0 and t1, the idle time at t1 says when the last input happened
(t1 - idle). If that is after t0, there was input in (t0, t1]. At 1 Hz that marks one second
as active; "active seconds per minute" is the share of covered seconds with input, scaled to a
minute. A long interval is credited one second at most (a lower bound: idle time only tells
the *last* input), and a gap in polling (sleep, a stalled loop) counts neither way.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

MINUTE_S = 60.0


def _credit(previous: float, at: float, idle: float, max_gap_s: float) -> tuple[float, float]:
    """Return (covered, active) seconds of the interval (previous, at] read from one poll."""
    step = at - previous
    if not 0.0 < step <= max_gap_s:
        return 0.0, 0.0  # a gap in polling (sleep, a stalled loop) counts neither way
    # Input after the previous poll: the last input is less than one step ago.
    return step, (min(step, 1.0) if idle < step else 0.0)


def rate(active_s: float, covered_s: float) -> float:
    """Return active seconds per minute (0..60) from active and covered seconds."""
    return min(60.0, MINUTE_S * active_s / covered_s) if covered_s > 0.0 else 0.0


def active_seconds_per_minute(
    polls: Iterable[tuple[float, float]], max_gap_s: float = 5.0
) -> float:
    """Return active seconds per minute (0..60) over consecutive (time, idle seconds) polls."""
    active = covered = 0.0
    previous: float | None = None
    for at, idle in polls:
        if previous is not None:
            step_covered, step_active = _credit(previous, at, idle, max_gap_s)
            covered += step_covered
            active += step_active
        previous = at
    return rate(active, covered)


class MinuteTally:
    """Adds up each clock minute's active and covered seconds from consecutive polls.

    `add` returns the minutes that a poll finished, as (minute start, active s, covered s),
    for the store to keep; `flush` hands over the minute in progress (at pause or exit).
    An interval between two polls counts in the minute of the later poll.
    """

    def __init__(self, max_gap_s: float = 5.0) -> None:
        self.max_gap_s = max_gap_s
        self._previous: float | None = None
        self._minute: float | None = None
        self._active = self._covered = 0.0

    def add(self, at: float, idle_s: float) -> list[tuple[float, float, float]]:
        """Record one poll (its time and the idle seconds it read); return finished minutes."""
        minute = math.floor(at / MINUTE_S) * MINUTE_S
        finished = self.flush() if self._minute is not None and minute != self._minute else []
        if self._previous is not None:
            covered, active = _credit(self._previous, at, idle_s, self.max_gap_s)
            self._covered += covered
            self._active += active
        self._previous, self._minute = at, minute
        return finished

    def flush(self) -> list[tuple[float, float, float]]:
        """Return the minute in progress (if any time was covered) and start a new one."""
        done = (
            [(self._minute, self._active, self._covered)]
            if self._minute is not None and self._covered > 0.0
            else []
        )
        self._minute, self._active, self._covered = None, 0.0, 0.0
        return done

    def gap(self) -> list[tuple[float, float, float]]:
        """Forget the last poll (a pause, a sleep): the next interval does not count."""
        self._previous = None
        return self.flush()


class ActivityMeter:
    """Keeps the last `window_s` of polls and answers active seconds per minute over them."""

    def __init__(self, window_s: float = 60.0, max_gap_s: float = 5.0) -> None:
        self.window_s = window_s
        self.max_gap_s = max_gap_s
        self._polls: deque[tuple[float, float]] = deque()

    def add(self, at: float, idle_s: float) -> None:
        """Record one poll: its time and the idle seconds it read."""
        if self._polls and at <= self._polls[-1][0]:
            self._polls.clear()  # the clock went back: start over rather than mix timelines
        self._polls.append((at, idle_s))
        while self._polls and self._polls[0][0] < at - self.window_s:
            self._polls.popleft()

    def rate(self) -> float:
        """Return active seconds per minute over the kept window (0.0 before two polls)."""
        return active_seconds_per_minute(self._polls, self.max_gap_s)
