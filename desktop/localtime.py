"""Local days, hours and weekdays of Unix times, from an explicit offset (no time zone database).

The app passes the user's UTC offset in seconds (`utc_offset_s`, east positive) so that tests
and simulations need no time zone; the service reads the system's offset at each tick, so DST
and travel count without a restart. A local day is numbered from the epoch, local midnight to
midnight; 1970-01-01, day 0, was a Thursday.
"""

from __future__ import annotations

DAY_S = 86400.0
HOUR_S = 3600.0
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def seconds_into_day(at: float, utc_offset_s: float = 0.0) -> float:
    """Return the seconds since the local midnight at or before `at` (0 <= s < 86400)."""
    return (at + utc_offset_s) % DAY_S


def local_hour(at: float, utc_offset_s: float = 0.0) -> float:
    """Return the local time of day of `at` in hours (0 <= h < 24; 9:30 is 9.5)."""
    return seconds_into_day(at, utc_offset_s) / HOUR_S


def local_day(at: float, utc_offset_s: float = 0.0) -> int:
    """Return the local day number of `at` (days since the epoch, local midnight to midnight)."""
    return int((at + utc_offset_s) // DAY_S)


def day_weekday(day: int) -> int:
    """Return the weekday of a local day number (Monday = 0 .. Sunday = 6)."""
    return (day + _EPOCH_WEEKDAY) % 7


def weekday(at: float, utc_offset_s: float = 0.0) -> int:
    """Return the local weekday of `at` (Monday = 0 .. Sunday = 6)."""
    return day_weekday(local_day(at, utc_offset_s))
