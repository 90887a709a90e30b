"""Fuzzed iCalendar files: imported whole or refused in one line naming the file, never half.

tests/desktop/test_importers.py fuzzes CSV and ActivityWatch exports; this adds the third
format, ICS, from fragments real calendars contain (time zones, all-day and floating times,
repeats, exceptions, cancelled events, folded lines) mixed with garbage and truncation.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop import importers
from desktop.config import Config
from desktop.store import DB_NAME, Store

hypothesis = pytest.importorskip("hypothesis")
strategies = hypothesis.strategies

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 4, 10, 12, 0, tzinfo=UTC).timestamp()

_EVENT_LINES = strategies.sampled_from(
    [
        "UID:a@test", "UID:b@test", "SUMMARY:Team sync", "SUMMARY:Réunion ☕", "SUMMARY:",
        "DTSTART:20240401T090000Z", "DTSTART;TZID=Europe/Berlin:20240401T090000",
        "DTSTART;TZID=Mars/Olympus:20240401T090000", "DTSTART;VALUE=DATE:20240402",
        "DTSTART:20240401T090000", "DTSTART:2024-04-01", "DTSTART:", "DTSTART:99999999T999999Z",
        "DTEND:20240401T100000Z", "DTEND:20240401T080000Z", "DTEND;VALUE=DATE:20240403",
        "DURATION:PT45M", "DURATION:-PT1H", "DURATION:P1D", "DURATION:banana",
        "RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "RRULE:FREQ=HOURLY;COUNT=5",
        "RRULE:FREQ=HOURLY;UNTIL=20240402T000000Z", "RRULE:FREQ=FORTNIGHTLY", "RRULE:COUNT=2",
        "RRULE:FREQ=MINUTELY", "RRULE:FREQ=SECONDLY;COUNT=99999", "RRULE:FREQ=DAILY;COUNT=9",
        "EXDATE:20240402T090000Z", "RECURRENCE-ID:20240403T090000Z", "STATUS:CANCELLED",
        "STATUS:CONFIRMED", "TRANSP:TRANSPARENT", " folded continuation", "X-UNKNOWN:1",
        "garbage without colon", "\x00", "BEGIN:VALARM", "END:VALARM",
    ]
)  # fmt: skip


def _one_dtstart(lines: list[str]) -> bool:
    # Two DTSTARTs in one VEVENT: refused with its line, its own test below.
    return sum(line.startswith("DTSTART") for line in lines) <= 1


# Mostly well-formed events with a few odd lines added, so that both paths get exercised:
# real imports with spans as well as refusals.
_CORES = strategies.sampled_from(
    [
        ["UID:c1@test", "DTSTART:20240401T090000Z", "DTEND:20240401T093000Z"],
        ["UID:c2@test", "DTSTART;TZID=Europe/Berlin:20240331T013000", "DURATION:PT2H"],
        ["UID:c3@test", "DTSTART:20240402T090000", "DTEND:20240402T100000"],
        ["UID:c4@test", "DTSTART;VALUE=DATE:20240405"],
        [],
    ]
)


@strategies.composite
def calendars(draw) -> bytes:
    events = draw(
        strategies.lists(
            strategies.tuples(_CORES, strategies.lists(_EVENT_LINES, min_size=0, max_size=3))
            .map(lambda pair: pair[0] + pair[1])
            .filter(_one_dtstart),
            max_size=4,
        )
    )
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    text = draw(strategies.sampled_from(["\n", "\r\n"])).join(lines) + "\n"
    cut = draw(strategies.none() | strategies.integers(min_value=0, max_value=len(text)))
    if cut is not None:  # a truncated download
        text = text[:cut]
    return text.encode("utf-8")


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(data=calendars())
def test_fuzzed_ics_is_imported_whole_or_refused_in_one_line(tmp_path_factory, data):
    _whole_or_nothing(tmp_path_factory.mktemp("fuzz"), data)


def test_two_dtstarts_in_one_event_are_refused_in_one_line(tmp_path):
    calendar = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nDTSTART:20240401T090000Z\n"
        "DTSTART:20240401T090000Z\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    path = tmp_path / "twice.ics"
    path.write_text(calendar)
    with pytest.raises(importers.ImportFailed) as refused:
        importers.parse_file(path, "ics", Config(), now=NOW, local_tz=UTC)
    assert str(refused.value) == f"{path}: line 5: DTSTART appears more than once in one VEVENT"


ENDLESS_MINUTELY_ALL_DAY = (
    "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:m@test\n"
    "DTSTART;VALUE=DATE:20240405\nRRULE:FREQ=MINUTELY\nEND:VEVENT\n"
    "BEGIN:VEVENT\nUID:sync@test\nDTSTART:20240408T090000Z\nDTEND:20240408T093000Z\n"
    "SUMMARY:Sync\nEND:VEVENT\nEND:VCALENDAR\n"
)
ENDLESS_MINUTELY_TIMED = ENDLESS_MINUTELY_ALL_DAY.replace(
    "DTSTART;VALUE=DATE:20240405", "DTSTART:20240405T090000Z\nDURATION:PT5M"
)


def _parse_in_a_child(path: Path) -> str:
    """Return the import's one-line summary, parsed in a process that a hang cannot stall."""
    code = (
        "import sys; from datetime import UTC; from pathlib import Path; "
        "from desktop import importers; from desktop.config import Config\n"
        "parsed = importers.parse_file(Path(sys.argv[1]), 'ics', Config(), now=1712750400.0, "
        "local_tz=UTC)\n"
        "print(importers.ImportSummary(sys.argv[1], 'ics', len(parsed.events), 0, "
        "{'calendar': len(parsed.events)}, dict(parsed.skipped)).line())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        timeout=20,  # it takes well under a second; before the fix it never finished
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_an_endless_minutely_all_day_repeat_is_skipped_without_expanding_it(tmp_path):
    path = tmp_path / "minutely.ics"
    path.write_text(ENDLESS_MINUTELY_ALL_DAY)
    # All-day entries never become meeting time, so the repeat is not expanded at all and
    # the rest of the calendar is imported.
    assert _parse_in_a_child(path) == (
        f"{path}: added 1 of 1 spans (1 calendar), 0 already imported; skipped 1 all-day events"
    )


def test_an_endless_minutely_meeting_is_left_out_and_named_the_rest_is_imported(tmp_path):
    path = tmp_path / "minutely.ics"
    path.write_text(ENDLESS_MINUTELY_TIMED)
    assert _parse_in_a_child(path) == (
        f"{path}: added 1 of 1 spans (1 calendar), 0 already imported; skipped 1 events "
        f"repeating over {importers.MAX_REPEATS} times (left out)"
    )


def test_an_hourly_meeting_for_a_year_is_imported_up_to_the_window(tmp_path):
    path = tmp_path / "hourly.ics"
    path.write_text(ENDLESS_MINUTELY_TIMED.replace("FREQ=MINUTELY", "FREQ=HOURLY"))
    parsed = importers.parse_file(path, "ics", Config(), now=NOW, local_tz=UTC)
    starts = sorted(e.start for e in parsed.events if e.duration == 300)
    # Every hour from 5 April 2024, 09:00 until a year after "now" (10 April 2024, noon).
    assert datetime.fromtimestamp(starts[0], UTC) == datetime(2024, 4, 5, 9, tzinfo=UTC)
    assert datetime.fromtimestamp(starts[-1], UTC) == datetime(2025, 4, 10, 11, tzinfo=UTC)
    assert len(starts) == 370 * 24 + 3  # 09:00 on 5 April 2024 .. 11:00 on 10 April 2025
    assert len(parsed.events) == len(starts) + 1  # and the sync meeting


def _whole_or_nothing(directory: Path, data: bytes) -> None:
    path = directory / "input.ics"
    path.write_bytes(data)
    store = Store(directory / DB_NAME)
    try:
        try:
            parsed = importers.parse_file(path, "ics", Config(), now=NOW, local_tz=UTC)
        except importers.ImportFailed as exc:
            assert "\n" not in str(exc) and str(exc).startswith(f"{path}: "), str(exc)
            assert store.event_count() == 0
            hypothesis.event("refused")
            return
        summary = importers.store_parsed(store, path, "ics", parsed, Config())
        hypothesis.event("imported, some spans" if summary.added else "imported, no spans")
        assert store.event_count() == summary.added == len(parsed.events) - summary.duplicates
        for span in store.all_events():
            assert span.source == "calendar" and span.duration >= 0
    finally:
        store.close()


# --- any file, any format, through the command ---------------------------------------------

_SEEDS = [
    b"timestamp,app,duration\n2024-04-01T09:00:00Z,code,60\n",
    b"start,duration,source,app,title\n2024-04-01T09:00:00,60,window,code,x\n",
    b'{"buckets": {"w_h": {"type": "window", "events": [{"timestamp": "2024-04-01T09:00:00Z",'
    b' "duration": 5, "data": {"app": "a", "title": "t"}}]}}}',
    b'{"time_sculptor_export": 1, "events": [{"start_epoch": 1711962000, "duration": 60,'
    b' "source": "window", "app": "a", "title": "", "category": "unknown"}]}',
    b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20240401T090000Z\nDURATION:PT1H\n"
    b"RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\nEND:VCALENDAR\n",
]
_EDITS = strategies.sampled_from(
    [b"1e400", b"0001-01-01T00:00+14:00", b"[" * 3000, b"\x00", b"\xff\xfe", b"-1", b"NaN",
     b'"', b",", b"\n", b"9999-12-31T23:59:59-14:00", b"null", b"{}", b"COUNT=19999"]
)  # fmt: skip


@strategies.composite
def any_file(draw) -> bytes:
    data = bytearray(draw(strategies.sampled_from(_SEEDS)))
    for _ in range(draw(strategies.integers(0, 3))):
        at = draw(strategies.integers(0, len(data)))
        cut = draw(strategies.integers(0, 8))
        data[at : at + cut] = draw(_EDITS | strategies.binary(max_size=6))
    return bytes(data)


@hypothesis.settings(
    max_examples=80,
    deadline=None,
    # Bounded in time in CI: a few seconds, however many examples that is.
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
@hypothesis.given(
    data=any_file(), suffix=strategies.sampled_from([".csv", ".json", ".ics", ".txt"])
)
def test_no_traceback_reaches_the_command_from_any_file(tmp_path_factory, data, suffix):
    from desktop import cli

    directory = tmp_path_factory.mktemp("any")
    path = directory / f"input{suffix}"
    path.write_bytes(data)
    for fmt in (([] if suffix != ".txt" else ["--format", "csv"]),):
        try:
            code = cli.main(["--data-dir", str(directory / "data"), "import", *fmt, str(path)])
        except SystemExit as exc:  # argparse: a usage error is a line, not a traceback
            code = exc.code
        assert code in (0, 1, 2)
    if (directory / "data" / DB_NAME).exists():
        store = Store(directory / "data" / DB_NAME)
        try:
            for span in store.all_events():  # what was stored can be read back and shown
                datetime.fromtimestamp(span.start, UTC)
                datetime.fromtimestamp(span.start + span.duration, UTC)
        finally:
            store.close()
