"""The service's poll loop with system context: sleep, media and a locked screen."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop.clock import FakeClock
from desktop.collect import activity
from desktop.collect.base import WindowInfo
from desktop.collect.system import SystemState
from desktop.config import Config
from desktop.service import AppService
from tests.helpers import log_suggestion

START = 1_794_301_200.0


class Watcher:
    name = "fake"

    def __init__(self) -> None:
        self.app, self.idle, self.fullscreen = "code", 0.0, False

    def active_window(self) -> WindowInfo:
        return WindowInfo(app=self.app, title="main.py", fullscreen=self.fullscreen)

    def idle_seconds(self) -> float:
        return self.idle

    def close(self) -> None:
        pass


class Monitor:
    """Stands in for desktop.collect.system.SystemMonitor (its own tests use real D-Bus)."""

    def __init__(self) -> None:
        self.state = SystemState(
            at=0,
            on_battery=True,
            battery_percent=50,
            cpu_percent=1,
            screen_locked=False,
            media_playing=False,
            slept_s=0,
            gap_s=0,
        )

    def sample(self, now: float) -> SystemState:
        return replace(self.state, at=now)


@pytest.fixture
def parts(tmp_path):
    clock, watcher, monitor = FakeClock(START), Watcher(), Monitor()
    service = AppService(tmp_path, Config(), clock, watcher=watcher, system=monitor)
    yield clock, watcher, monitor, service
    service.close()


def poll_for(service, clock, seconds):
    for _ in range(int(seconds)):
        clock.advance(1)
        service.poll()


def spans(service):
    return [(e.source, e.app, round(e.duration)) for e in service.store.all_events()]


def test_a_sleep_reported_by_the_system_is_a_gap_not_activity(parts):
    clock, watcher, monitor, service = parts
    poll_for(service, clock, 60)
    monitor.state = replace(monitor.state, slept_s=3600, gap_s=3601)
    clock.advance(3600)
    service.poll()
    monitor.state = replace(monitor.state, slept_s=0, gap_s=0)
    poll_for(service, clock, 30)
    assert spans(service) == [("window", "code", 59), ("window", "code", 30)]


def test_playing_media_keeps_a_still_user_present_and_a_locked_screen_is_away(parts):
    clock, watcher, monitor, service = parts
    watcher.idle = 600.0  # no input for ten minutes...
    monitor.state = replace(monitor.state, media_playing=True)  # ...but a video is playing
    poll_for(service, clock, 10)
    assert [s[0] for s in spans(service)] == ["window"]
    monitor.state = replace(monitor.state, media_playing=False, screen_locked=True)
    poll_for(service, clock, 10)
    assert [s[0] for s in spans(service)] == ["window", "afk"]


def test_the_battery_reaches_the_model_and_a_reason_is_stored(parts):
    clock, watcher, monitor, service = parts
    poll_for(service, clock, 5)
    assert service.refresh_model()
    decision = service.tick()
    assert decision is not None and service._on_battery
    sid = log_suggestion(service.store, clock.now(), score=0.5)
    assert service.react(sid, "dismissed", reason="too_frequent")
    context = service.store.db.execute("SELECT context FROM feedback").fetchone()[0]
    assert '"reason": "too_frequent"' in context


def test_fullscreen_and_the_foreground_app_reach_the_engine(parts):
    clock, watcher, monitor, service = parts
    assert service.refresh_model()
    watcher.fullscreen = True
    poll_for(service, clock, 5)
    assert "full-screen" in service.tick().reason
    watcher.fullscreen, watcher.app = False, "Zoom.exe"
    poll_for(service, clock, 5)
    assert "call or screen share" in service.tick().reason


def test_the_nightly_personalization_fits_saves_and_runs_once_a_day(parts, tmp_path):
    clock, watcher, monitor, service = parts
    import numpy as np

    from desktop import policy

    rng = np.random.default_rng(0)
    for i in range(20):
        context = rng.normal(size=11).tolist()
        sid = log_suggestion(
            service.store,
            START - 3600 * i,
            score=0.6,
            propensity=0.5,
            features={"context": context},
        )
        outcome = "accepted" if context[5] > 0 else "dismissed"
        service.store.record_feedback(sid, outcome, START - 3600 * i + 30)
    clock.set(START - 9 * 3600 + 3 * 3600 + 60)  # 03:01 local: the nightly step is due
    assert service.maybe_personalize()
    assert not service.maybe_personalize()  # once a day
    head = policy.PersonalHead.load(tmp_path)
    assert head is not None and head.counts == {"break": 20} and "break" in head.weights
    assert service.engine.head is not None
    clock.advance(86400)
    assert service.maybe_personalize()


# --- input intensity per minute, from idle-time deltas only -----------------------------


def test_input_intensity_is_stored_per_minute_from_idle_deltas(parts):
    clock, watcher, _, service = parts
    clock.set(START - 1)  # the first poll lands on a minute's first second
    # Minute 1: input every second. Minute 2: every other second. Minute 3: none at all.
    for second in range(180):
        clock.advance(1)
        minute, within = divmod(second, 60)
        watcher.idle = [0.0, float(within % 2), within + 1.0][minute]
        service.poll()
    clock.advance(3600)  # suspended for an hour: a gap, counted neither way
    watcher.idle = 0.0
    for _ in range(20):
        clock.advance(1)
        service.poll()
    service.close()  # the minute in progress is kept too
    again = AppService(service.data_dir, Config(), clock)
    try:
        stored = again.store.activity(START - 60, START + 3 * 3600)
    finally:
        again.close()
    rates = [(minute - START, round(activity.rate(active, covered), 1), covered)
             for minute, active, covered in stored]  # fmt: skip
    assert rates == [
        (0.0, 60.0, 59.0),  # the first poll has nothing before it
        (60.0, 30.0, 60.0),
        (120.0, 0.0, 60.0),
        (3780.0, 60.0, 19.0),  # after the gap: 20 polls, 19 intervals
    ]


def test_no_input_intensity_is_recorded_while_paused(parts):
    clock, watcher, _, service = parts
    service.pause(minutes=5)
    poll_for(service, clock, 240)
    service.resume()
    poll_for(service, clock, 120)
    service.close()
    again = AppService(service.data_dir, Config(), clock)
    try:
        minutes = [m - START for m, _, _ in again.store.activity(START, START + 3600)]
    finally:
        again.close()
    assert minutes == [240.0, 300.0, 360.0]  # only after the resume (240 s from START)


def test_the_timing_head_is_personalized_on_the_users_own_timeline_and_deleted_with_it(
    parts, tmp_path
):
    from desktop.service import TIMING_HEAD_NAME
    from desktop.store import Event
    from edge_model import timing

    clock, watcher, monitor, service = parts
    prior = timing.TimingHead.load(timing.SHIPPED_PRIOR)
    assert service.engine.timing_head == prior  # before any personalization: the shipped one
    # Three weeks of a user who stays 40 min in the editor and glances at mail for 1 min.
    events, t = [], START - 21 * 86400.0
    while t < START - 3600.0:
        if (t % 86400.0) / 3600.0 < 8 or (t % 86400.0) / 3600.0 > 17:
            t += 3600.0
            continue
        events.append(
            Event(start=t, duration=2400.0, source="window", app="code", category="development")
        )
        events.append(
            Event(
                start=t + 2400.0,
                duration=60.0,
                source="window",
                app="mail",
                category="communication",
            )
        )
        t += 2460.0
    service.store.insert_events(events)
    assert service.refresh_model()  # what the scheduler does at start
    summary = service.personalize()["timing"]
    assert summary["moments"] > 1000
    saved = timing.TimingHead.load(tmp_path / TIMING_HEAD_NAME)
    assert saved is not None and service.engine.timing_head == saved
    # A new start reads the personal head back.
    again = AppService(tmp_path, Config(), clock, watcher=Watcher(), system=Monitor())
    assert again.engine.timing_head == saved
    again.close()
    # Turning learning off falls back to the shipped prior; "delete everything" removes the file.
    service.apply_config(replace(Config(), learning=False))
    assert service.engine.timing_head == prior
    service.apply_config(Config())
    service.delete_all()
    assert not (tmp_path / TIMING_HEAD_NAME).exists()
    assert service.engine.timing_head == prior


def test_a_nightly_refit_that_predicts_worse_leaves_the_head_in_use(parts, tmp_path):
    import numpy as np

    from desktop import policy
    from desktop.service import head_updates

    clock, _, _, service = parts
    rng = np.random.default_rng(7)

    def answer(at: float, accepted: bool | None = None) -> None:
        context = rng.normal(size=11).tolist()
        sid = log_suggestion(
            service.store, at, score=0.5, propensity=0.5, features={"context": context}
        )
        if accepted is None:  # this person takes a break when the context's feature 5 is high
            accepted = context[5] > 0
        service.store.record_feedback(sid, "accepted" if accepted else "dismissed", at + 30)

    for i in range(45):
        answer(START - 20 * 86400 + 600 * i)
    clock.set(START - 10 * 86400)
    first = service.personalize()
    assert first["installed"] and "break" in first["fitted"]
    saved = (tmp_path / policy.HEAD_NAME).read_bytes()
    # Answers from before that fit arrive later (someone else's, at random), and the person
    # answers again after it: a refit from everything before the fit predicts the person's
    # newest answers worse than the head in use, which stays.
    for i in range(60):
        answer(START - 12 * 86400 + 600 * i, accepted=bool(rng.random() < 0.5))
    for i in range(45):
        answer(START - 2 * 86400 + 600 * i)
    clock.set(START)
    second = service.personalize()
    assert not second["installed"], second["reason"]
    assert second["reason"].startswith("the head in use predicted your 45 newest answers better")
    assert (tmp_path / policy.HEAD_NAME).read_bytes() == saved
    recorded = [(e["part"], e["installed"]) for e in head_updates(service.store)]
    assert recorded == [("acceptance", True), ("acceptance", False)]  # no model: no timing head
