"""Time that does not run straight: DST, time-zone travel, a clock set back, an 8-hour suspend.

What the user notices: a day with an hour counted twice or a night counted as work, or a
dashboard whose hours are shifted. Everything runs through AppService.poll with an injected
FakeClock and a fake foreground window, as the scheduler drives it.

Spans are stored in Unix seconds (UTC), so DST and travel do not touch them; the local clock
only matters where a local hour or day is shown or fed to the model (utc_offset_s).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from desktop import reports
from desktop.clock import FakeClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.service import AppService


class Desk:
    name = "fake"

    def __init__(self) -> None:
        self.app = "code"

    def active_window(self) -> WindowInfo:
        return WindowInfo(app=self.app, title="main.py")

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture
def make_app(tmp_path):
    services = []

    def make(start: float) -> tuple[AppService, FakeClock, Desk]:
        clock, desk = FakeClock(start), Desk()
        service = AppService(tmp_path, Config(), clock, watcher=desk)
        services.append(service)
        return service, clock, desk

    yield make
    for service in services:
        service.close()


def work(service: AppService, clock: FakeClock, seconds: int) -> None:
    for _ in range(seconds):
        clock.advance(1.0)
        service.poll()


def spans(service: AppService) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in service.store.all_events()]


def test_an_8_hour_suspend_is_a_gap_not_eight_hours_of_work(make_app):
    service, clock, _ = make_app(utc("2024-05-06T17:00:00"))
    work(service, clock, 600)
    clock.advance(8 * 3600)  # lid closed overnight: no poll runs while the machine sleeps
    work(service, clock, 300)
    [before, after] = spans(service)
    assert before[1] - before[0] == pytest.approx(599)
    assert after[1] - after[0] == pytest.approx(299)
    assert after[0] - before[1] >= 8 * 3600  # the night stays empty
    # The evening before and the morning after, each on its own day, neither with the night.
    evening = reports.dashboard(service.store, before[0], now=after[1])
    morning = reports.dashboard(service.store, after[0], now=after[1])
    assert evening.day_balance.active_s == pytest.approx(599, abs=1)
    assert morning.day_balance.active_s == pytest.approx(299, abs=1)


def test_the_clock_set_back_never_extends_a_span_backwards_or_makes_it_negative(make_app):
    service, clock, _ = make_app(utc("2024-05-06T10:00:00"))
    work(service, clock, 600)
    last = clock.now()
    clock.set(last - 3600)  # the user (or a bad NTP step) sets the clock back an hour
    work(service, clock, 300)
    [first, second] = sorted(service.store.all_events(), key=lambda s: s.id or 0)
    assert (first.start, first.end) == (utc("2024-05-06T10:00:01"), last)  # untouched
    assert second.start == last - 3600 + 1 and second.duration == pytest.approx(299)
    assert all(s.duration >= 0 for s in service.store.all_events())


def test_a_small_step_forward_within_a_poll_keeps_one_span(make_app):
    service, clock, _ = make_app(utc("2024-05-06T10:00:00"))
    work(service, clock, 60)
    clock.advance(1.0)  # NTP slews or steps by a second: still the same activity
    work(service, clock, 60)
    [(start, end)] = spans(service)
    assert end - start == pytest.approx(120)


@pytest.mark.parametrize(
    ("zone", "first_poll"),
    [
        ("Europe/Berlin", "2024-03-31T00:30:00"),  # clocks go forward at 01:00 UTC
        ("Europe/Berlin", "2024-10-27T00:30:00"),  # clocks go back at 01:00 UTC
        ("America/New_York", "2024-11-03T05:30:00"),  # clocks go back at 06:00 UTC
    ],
)
def test_an_hour_of_work_across_a_dst_change_is_one_hour(make_app, zone, first_poll):
    service, clock, _ = make_app(utc(first_poll))
    work(service, clock, 3600)
    [(start, end)] = spans(service)
    assert end - start == pytest.approx(3599)  # not 2 hours, not 0: UTC does not jump
    # Shown in local time with the offset of each moment (as desktop/ui/app.py does), the
    # span's ends are an hour apart in real time even though the wall clock moved 0 or 2 hours.
    tz = ZoneInfo(zone)
    offsets = {datetime.fromtimestamp(t, tz).utcoffset().total_seconds() for t in (start, end)}
    assert len(offsets) == 2  # the change really happened inside the span
    day = reports.dashboard(
        service.store, start, now=end, utc_offset_s=datetime.fromtimestamp(end, tz).utcoffset()
        .total_seconds(),
    )  # fmt: skip
    assert day.day_balance.active_s == pytest.approx(3599, abs=1)


def test_flying_from_berlin_to_new_york_keeps_the_spans_and_moves_the_local_day(make_app):
    service, clock, desk = make_app(utc("2024-05-06T08:00:00"))  # 10:00 in Berlin
    work(service, clock, 1800)
    clock.advance(9 * 3600)  # the flight: the laptop sleeps
    desk.app = "firefox"
    work(service, clock, 1800)  # 13:30 in New York, same UTC day
    assert [round(e - s) for s, e in spans(service)] == [1799, 1799]
    berlin, new_york = 2 * 3600.0, -4 * 3600.0
    now = clock.now()
    # The same stored spans, seen from the new zone: today in New York began at 04:00 UTC.
    assert reports.day_start(now, new_york) == utc("2024-05-06T04:00:00")
    assert reports.day_start(now, berlin) == utc("2024-05-05T22:00:00")
    totals = dict(reports.dashboard(service.store, now, now=now, utc_offset_s=new_york)
                  .day_categories)  # fmt: skip
    assert sum(totals.values()) == pytest.approx(2 * 1799, abs=2)


def test_a_clock_set_back_does_not_block_suggestions_until_it_catches_up(make_app):
    service, clock, _ = make_app(utc("2024-05-06T10:00:00"))
    service.refresh_model()
    shown_at = clock.now()
    service.store.add_suggestion(
        created_at=shown_at, kind="break", text="t", explanation="e", model_version="v",
        features={}, score=0.5, propensity=0.5,
    )  # fmt: skip
    clock.set(shown_at - 3 * 3600)  # set back three hours
    work(service, clock, 20 * 60)  # twenty minutes later (real time) the user is still working
    assert service.expire_unanswered(clock.now()) == 1


# The local offset moves while the app runs (DST, travel): the model's hour of day and the
# quiet hours must follow at the next tick, not at the next restart.
def zone_offset(zone: dict[str, str]):
    """Return an offset function reading the zone the test has "set on the system" now."""
    return lambda at: datetime.fromtimestamp(at, ZoneInfo(zone["name"])).utcoffset().total_seconds()


def decide_after_work(service: AppService, clock: FakeClock, at: float):
    clock.set(at - 600)
    work(service, clock, 600)
    return service.tick()


@pytest.mark.parametrize("follows_the_zone", [True, False])
def test_a_dst_change_moves_the_quiet_hours_without_a_restart(tmp_path, follows_the_zone):
    # Started at 01:30 in Berlin (CET, +1) on the night the clocks go forward at 01:00 UTC.
    clock, desk = FakeClock(utc("2024-03-31T00:30:00")), Desk()
    berlin = zone_offset({"name": "Europe/Berlin"})
    kwargs = {"utc_offset": berlin} if follows_the_zone else {"utc_offset_s": 3600.0}
    service = AppService(tmp_path, Config(), clock, watcher=desk, **kwargs)
    service.refresh_model()
    try:
        assert decide_after_work(service, clock, utc("2024-03-31T00:40:00")).reason.startswith(
            "quiet hours"
        )
        # 06:30 UTC is 08:30 on the user's clock (CEST, +2): quiet hours (until 08:00) are over.
        decision = decide_after_work(service, clock, utc("2024-03-31T06:30:00"))
        if follows_the_zone:
            assert service.utc_offset_s == service.engine.utc_offset_s == 7200.0
            assert not decision.reason.startswith("quiet hours"), decision.reason
        else:  # what the app did before: the offset of its start, 07:30, still quiet
            assert decision.reason.startswith("quiet hours")
    finally:
        service.close()


@pytest.mark.parametrize("follows_the_zone", [True, False])
def test_flying_to_new_york_moves_the_quiet_hours_without_a_restart(tmp_path, follows_the_zone):
    zone = {"name": "Europe/Berlin"}
    clock, desk = FakeClock(utc("2024-05-06T18:00:00")), Desk()  # 20:00 in Berlin
    kwargs = {"utc_offset": zone_offset(zone)} if follows_the_zone else {"utc_offset_s": 7200.0}
    service = AppService(tmp_path, Config(), clock, watcher=desk, **kwargs)
    service.refresh_model()
    try:
        decision = decide_after_work(service, clock, utc("2024-05-06T18:30:00"))
        assert not decision.reason.startswith("quiet hours"), decision.reason
        zone["name"] = "America/New_York"  # landed; the system's zone is set to New York
        # 01:00 UTC: 21:00 in New York, where the user now is (03:00 in Berlin).
        decision = decide_after_work(service, clock, utc("2024-05-07T01:00:00"))
        if follows_the_zone:
            assert service.engine.utc_offset_s == -4 * 3600.0
            assert not decision.reason.startswith("quiet hours"), decision.reason
        else:
            assert decision.reason.startswith("quiet hours")
    finally:
        service.close()


def test_the_system_offset_follows_a_changed_time_zone(monkeypatch):
    from desktop.service import system_utc_offset

    summer = utc("2024-07-01T12:00:00")
    try:
        monkeypatch.setenv("TZ", "Europe/Berlin")
        assert system_utc_offset(summer) == 2 * 3600.0
        assert system_utc_offset(utc("2024-01-01T12:00:00")) == 3600.0  # the same zone in winter
        monkeypatch.setenv("TZ", "America/New_York")  # travel: the zone changes under the app
        assert system_utc_offset(summer) == -4 * 3600.0
    finally:
        monkeypatch.undo()
        time.tzset()
