"""Active seconds per minute from idle-time polls alone."""

from __future__ import annotations

import pytest

from desktop.collect import ActivityMeter, active_seconds_per_minute


def _polls(idle: list[float], start: float = 0.0, step: float = 1.0) -> list[tuple[float, float]]:
    return [(start + i * step, value) for i, value in enumerate(idle)]


def test_typing_every_second_is_sixty():
    # The last input was always a fraction of a second before each poll.
    assert active_seconds_per_minute(_polls([0.3] * 61)) == pytest.approx(60.0)


def test_reading_without_input_is_zero():
    idle = [5.0 + i for i in range(61)]  # idle grows by the poll interval: no input at all
    assert active_seconds_per_minute(_polls(idle)) == 0.0


def test_a_burst_every_fourth_second_is_fifteen():
    # Input in one second out of four: idle resets to ~0.2, then grows 1.2, 2.2, 3.2.
    pattern = [0.2, 1.2, 2.2, 3.2]
    idle = [pattern[i % 4] for i in range(61)]
    assert active_seconds_per_minute(_polls(idle)) == pytest.approx(15.0)


def test_input_just_before_the_previous_poll_is_not_counted_twice():
    # Input at t=0.9; polls at t=1 (idle 0.1: active) and t=2 (idle 1.1: nothing new).
    polls = [(0.0, 3.0), (1.0, 0.1), (2.0, 1.1), (3.0, 2.1)]
    assert active_seconds_per_minute(polls) == pytest.approx(60.0 * 1 / 3)


def test_a_gap_counts_neither_way():
    before = _polls([0.1] * 11)  # 10 active seconds
    after = _polls([0.1] * 11, start=3600.0)  # after an hour's gap: 10 more
    assert active_seconds_per_minute(before + after) == pytest.approx(60.0)


def test_slow_polling_is_a_lower_bound():
    # Polls every 4 s with input each time: idle alone proves one active second per interval.
    assert active_seconds_per_minute(_polls([0.5] * 16, step=4.0)) == pytest.approx(15.0)


def test_too_few_polls_is_zero():
    assert active_seconds_per_minute([]) == 0.0
    assert active_seconds_per_minute([(0.0, 0.0)]) == 0.0


def test_meter_keeps_the_last_minute_only():
    meter = ActivityMeter(window_s=60.0)
    for t in range(120):  # a busy minute, then a quiet one
        meter.add(float(t), 0.2 if t < 60 else float(t - 59))
    assert meter.rate() == 0.0
    for t in range(120, 150):  # half a minute of typing again
        meter.add(float(t), 0.2)
    assert meter.rate() == pytest.approx(30.0, abs=1.1)


def test_meter_restarts_when_the_clock_goes_back():
    meter = ActivityMeter()
    for t in range(30):
        meter.add(1000.0 + t, 0.1)
    meter.add(10.0, 50.0)  # the wall clock was set back
    meter.add(11.0, 51.0)
    assert meter.rate() == 0.0
