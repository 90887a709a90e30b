"""How intensely the user is working, from idle-time polls alone: never keys, never positions.

Between two polls at t0 and t1, the idle time at t1 says when the last input happened
(t1 - idle). If that is after t0, there was input in (t0, t1]. At 1 Hz that marks one second
as active; "active seconds per minute" is the share of covered seconds with input, scaled to a
minute. A long interval is credited one second at most (a lower bound: idle time only tells
the *last* input), and a gap in polling (sleep, a stalled loop) counts neither way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable


def active_seconds_per_minute(
    polls: Iterable[tuple[float, float]], max_gap_s: float = 5.0
) -> float:
    """Return active seconds per minute (0..60) over consecutive (time, idle seconds) polls."""
    active = covered = 0.0
    previous: float | None = None
    for at, idle in polls:
        if previous is not None:
            step = at - previous
            if 0.0 < step <= max_gap_s:
                covered += step
                if idle < step:  # the last input came after the previous poll
                    active += min(step, 1.0)
        previous = at
    if covered <= 0.0:
        return 0.0
    return min(60.0, 60.0 * active / covered)


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
