"""desktop.localtime: local hours, days and weekdays agree with the calendar at any offset."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from desktop import localtime

H = 3600.0
MONDAY = datetime(2024, 3, 25, tzinfo=UTC).timestamp()  # a Monday, 00:00 UTC


def test_hour_day_and_weekday_follow_the_offset():
    nine_thirty = MONDAY + 9.5 * H
    assert localtime.local_hour(nine_thirty) == 9.5
    assert localtime.local_hour(nine_thirty, utc_offset_s=-2 * H) == 7.5
    assert int(localtime.local_hour(nine_thirty, utc_offset_s=-2 * H)) == 7
    assert localtime.weekday(nine_thirty) == 0
    # 00:30 UTC on Monday is still Sunday evening in New York, already Monday in Tokyo.
    just_after = MONDAY + 0.5 * H
    assert localtime.weekday(just_after, utc_offset_s=-4 * H) == 6
    assert localtime.weekday(just_after, utc_offset_s=9 * H) == 0
    assert localtime.local_day(just_after, -4 * H) == localtime.local_day(just_after) - 1
    assert localtime.seconds_into_day(just_after, utc_offset_s=-4 * H) == 20.5 * H


def test_the_epoch_was_a_thursday():
    assert localtime.day_weekday(0) == 3
    assert [localtime.day_weekday(d) >= 5 for d in range(2, 9)] == [
        True,  # 1970-01-03, Saturday
        True,
        False,
        False,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize("offset_h", [-11.0, -4.0, 0.0, 5.5, 9.0, 14.0])
def test_agrees_with_the_calendar_for_a_thousand_moments(offset_h):
    rng = random.Random(offset_h)
    zone = timezone(timedelta(hours=offset_h))
    for _ in range(1000):
        at = rng.uniform(0, 2.0e9)
        wall = datetime.fromtimestamp(at, zone)
        assert localtime.weekday(at, offset_h * H) == wall.weekday()
        assert localtime.local_day(at, offset_h * H) == wall.date().toordinal() - 719163
        hour = localtime.local_hour(at, offset_h * H)
        assert int(hour) == wall.hour
        assert hour == pytest.approx(
            wall.hour + wall.minute / 60 + (wall.second + wall.microsecond / 1e6) / 3600, abs=1e-6
        )
