"""Collection through the real service on a real X server: spans, durations and idle.

The X11 collector's own tests check what it reads; these check what lands in the store:
exactly the focus sequence a person drives, each span within one poll interval of the time
the window really had focus, and an away span once input stops that no window span overlaps.
"""

from __future__ import annotations

import time

import pytest

from desktop.clock import SystemClock
from desktop.collect.x11 import X11Watcher
from desktop.config import Config
from desktop.service import AppService
from tests.x11env import focus, poke_input

pytestmark = pytest.mark.x11
POLL_S = 0.1


def run_polls(service: AppService, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        service.poll()
        time.sleep(POLL_S)


def test_spans_follow_focus_within_one_poll_and_idle_becomes_away(x_server, x_windows, tmp_path):
    editor = x_windows(("code", "Code"), "notes.md")
    browser = x_windows(("Navigator", "firefox"), "Docs")
    config = Config(afk_after_s=1.5, poll_interval_s=POLL_S)
    service = AppService(
        tmp_path, config, SystemClock(), watcher=X11Watcher(x_server.display), poll_step_s=POLL_S
    )
    plan = [(editor, 1.2), (browser, 0.8), (editor, 1.0)]
    focused_at, driver_lag = [], []
    try:
        for window, dwell in plan:
            focus(x_server.display, window.window_id)
            focused_at.append(time.monotonic())
            poke_input(x_server.display)
            # The test's own work between focusing and the first poll (an xdotool run under
            # load can take a few hundred ms): the collector cannot see focus before it polls.
            driver_lag.append(time.monotonic() - focused_at[-1])
            run_polls(service, dwell / 2)
            poke_input(x_server.display)  # still working in it
            run_polls(service, dwell / 2)
        focused_at.append(time.monotonic())
        run_polls(service, 2.5)  # hands off the keyboard: away after afk_after_s
        events = service.store.all_events()
    finally:
        service.close()
    windows = [e for e in events if e.source == "window"]
    assert [e.app for e in windows] == ["Code", "firefox", "Code"]
    # Each span lasts as long as the window really had focus (measured, not planned), within
    # one poll plus the driver's lag at either end.
    for i, event in enumerate(windows[:2]):
        had_focus = focused_at[i + 1] - focused_at[i]
        slack = POLL_S + max(driver_lag[i], driver_lag[i + 1]) + 0.1
        assert abs(event.duration - had_focus) <= slack, (event, had_focus, driver_lag)
    away = [e for e in events if e.source == "afk"]
    assert len(away) == 1 and away[0].category == "away"
    # The away span reaches back to the last input and cuts the window span there.
    assert abs(away[0].start - windows[-1].end) < 0.05
    assert away[0].duration >= 1.5


def test_a_focus_change_while_away_is_away_time_not_window_time(x_server, x_windows, tmp_path):
    # Typing in the editor, then hands off; a chat window takes focus with nobody there (a
    # pop-up, another window closing); the user comes back later and types in the chat.
    editor = x_windows(("code", "Code"), "notes.md")
    chat = x_windows(("slack", "Slack"), "general")
    config = Config(afk_after_s=1.5, poll_interval_s=POLL_S)
    service = AppService(
        tmp_path, config, SystemClock(), watcher=X11Watcher(x_server.display), poll_step_s=POLL_S
    )
    try:
        started = time.time()
        focus(x_server.display, editor.window_id)
        poke_input(x_server.display)
        run_polls(service, 1.0)
        poke_input(x_server.display)
        last_input = time.time()
        run_polls(service, 0.4)
        focus(x_server.display, chat.window_id)  # no input: focus moves by itself
        run_polls(service, 2.5)  # idle past afk_after_s: away since the last input
        poke_input(x_server.display)  # back, in the chat
        run_polls(service, 0.6)
        ended = time.time()
        events = service.store.all_events()
    finally:
        service.close()
    windows = [e for e in events if e.source == "window"]
    [away] = [e for e in events if e.source == "afk"]
    # The chat shows up once: after the user came back, not while they were away.
    assert [e.app for e in windows] == ["Code", "Slack"], [(e.app, e.start, e.end) for e in events]
    assert abs(away.start - last_input) < 2 * POLL_S
    assert windows[0].end == pytest.approx(away.start) and windows[1].start >= away.end - 1e-6
    assert all(min(w.end, away.end) <= max(w.start, away.start) + 1e-6 for w in windows)
    assert sum(e.duration for e in events) <= ended - started
