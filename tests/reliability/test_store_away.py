"""Time away from the keyboard is counted once: never also as time in a window.

What a user notices: "breaks taken 0" and "longest stretch without a break 600 s" on a day
they were away for five minutes, and more active plus away time than the day had. It happens
when focus changes while nobody is at the machine (a window closes, a dialog pops up): the
window spans after the last input were kept beside the away span that reaches back to it.
Here random poll sequences (focus changes, input or none, an away threshold) run through the
real service and store; window and away spans never overlap, and together never exceed the
time polled.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.clock import FakeClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.service import AppService
from desktop.store import Event, Store

START = 1_800_000_000.0


class Scripted:
    """A watcher whose window and idle time the test sets before each poll."""

    name = "scripted"

    def __init__(self) -> None:
        self.window: WindowInfo | None = None
        self.idle = 0.0

    def active_window(self) -> WindowInfo | None:
        return self.window

    def idle_seconds(self) -> float:
        return self.idle

    def close(self) -> None:
        pass


# One poll: how long after the previous one, which window has focus, and whether there was input.
POLL = st.tuples(
    st.sampled_from([1.0, 1.0, 1.0, 0.5, 2.0]),
    st.sampled_from(["code", "firefox", "slack", None]),
    st.booleans(),
)


def _overlap(a: Event, b: Event) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def _assert_counted_once(spans: list[Event], first: float, last: float) -> None:
    assert all(first - 1e-6 <= s.start and s.end <= last + 1e-6 for s in spans)
    windows = [s for s in spans if s.source == "window"]
    away = [s for s in spans if s.source == "afk"]
    for gone in away:
        for window in windows:
            assert _overlap(gone, window) < 1e-6, (gone, window)
    for a, b in zip(windows, windows[1:], strict=False):
        assert a.end <= b.start + 1e-6, (a, b)
    active = sum(s.duration for s in windows)
    for a, b in zip(away, away[1:], strict=False):
        assert a.end <= b.start + 1e-6, (a, b)
    assert active + sum(s.duration for s in away) <= last - first + 1e-6


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    polls=st.lists(POLL, min_size=2, max_size=80),
    afk_after=st.sampled_from([2.0, 3.0, 5.0, 10.0]),
    typing_runs=st.integers(min_value=1, max_value=4),
)
def test_random_polls_never_count_time_both_as_window_and_away(
    tmp_path_factory, polls, afk_after, typing_runs
):
    clock, desk = FakeClock(START), Scripted()
    service = AppService(
        tmp_path_factory.mktemp("data"),
        Config(afk_after_s=afk_after, poll_interval_s=1.0),
        clock,
        watcher=desk,
    )
    last_input = clock.now()
    try:
        for step, (dt, app, typed) in enumerate(polls):
            clock.advance(dt)
            # Input comes in runs, so that idle stretches long enough to be away do happen.
            if typed and step % typing_runs == 0:
                last_input = clock.now() - min(dt, 0.5)
            desk.window = None if app is None else WindowInfo(app=app, title=f"{app} window")
            desk.idle = clock.now() - last_input
            service.poll()
        spans = service.store.all_events()
    finally:
        service.close()
    # The last input before the first poll was at START: an away span may reach back to it.
    _assert_counted_once(spans, START, clock.now())


def test_a_focus_change_while_away_is_not_counted_as_window_time(tmp_path):
    # The case as a user lived it: typing in the editor until 100 s, then no input; a chat
    # window takes focus at 130 s; away is noticed at 100 + afk_after = 280 s; back at 400 s.
    store = Store(tmp_path / "db.sqlite3")
    pulse = 2.5
    for t in range(0, 101):
        store.heartbeat(Event(START + t, 0.0, "window", app="code"), pulse, "activity")
    for t in range(101, 130):  # no input, still the editor
        store.heartbeat(Event(START + t, 0.0, "window", app="code"), pulse, "activity")
    for t in range(130, 280):  # a chat window pops up and takes focus; nobody is there
        store.heartbeat(Event(START + t, 0.0, "window", app="slack"), pulse, "activity")
    for t in range(280, 400):  # idle since 100 s: away since then
        away = Event(START + 100, t - 100.0, "afk", category="away")
        store.heartbeat(away, pulse, "activity")
    spans = store.all_events()
    store.close()
    assert [(s.source, s.app, s.start - START, s.duration) for s in spans] == [
        ("window", "code", 0.0, 100.0),
        ("afk", "", 100.0, 299.0),
    ]
