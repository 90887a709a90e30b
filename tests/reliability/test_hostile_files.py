"""Hostile and odd files given to `time-sculptor import`: refused in one line, or imported whole.

Each test is an attack a user (or a file from somewhere else) can make: a link to /dev/zero, a
FIFO, values out of any range, a calendar that expands to millions of meetings, floating times
read under two time zones and across a clock change. What must hold: the command ends quickly,
says what is wrong in one line naming the file (and the line), and stores nothing the app
cannot read back (every export still works afterwards).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop import cli, exporters
from desktop.store import DB_NAME, Store

ROOT = Path(__file__).resolve().parents[2]


def run_cli(data_dir: Path, *args: str, timeout: float = 60, env: dict | None = None):
    """Run the CLI in its own process (a hang cannot stall the suite); return the result."""
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def one_line_refusal(result, path: Path) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"time-sculptor: {path}: "), result.stderr
    return lines[0]


def exports_still_work(data_dir: Path) -> None:
    store = Store(data_dir / DB_NAME)
    try:
        for fmt in exporters.FORMATS:
            exporters.export_text(store, fmt)
    finally:
        store.close()


# --- not a regular file ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".csv", ".ics"])
def test_a_link_to_dev_zero_is_refused_at_once(tmp_path, suffix):
    path = tmp_path / f"zero{suffix}"
    path.symlink_to("/dev/zero")
    started = time.monotonic()
    result = run_cli(tmp_path / "data", "import", str(path), timeout=20)
    assert time.monotonic() - started < 15
    assert "a device, not a regular file" in one_line_refusal(result, path)


def test_a_fifo_is_refused_instead_of_waiting_for_a_writer(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    result = run_cli(tmp_path / "data", "import", str(path), timeout=20)
    assert "a FIFO (named pipe), not a regular file" in one_line_refusal(result, path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys):
    from desktop import importers

    monkeypatch.setitem(importers.MAX_BYTES, "csv", 1000)
    path = tmp_path / "big.csv"
    path.write_text("timestamp,app,duration\n" + "2024-04-01T09:00:00Z,code,60\n" * 100)
    assert cli.main(["--data-dir", str(tmp_path / "data"), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"time-sculptor: {path}: too large (2,923 bytes; the limit is 1,000 bytes)\n"


# --- values out of range -----------------------------------------------------------------------

OUT_OF_RANGE = {
    "duration 1e400 (CSV)": (
        "log.csv",
        "timestamp,app,duration\n2024-04-01T09:00:00Z,code,1e400\n",
        "line 2: bad duration '1e400'",
    ),
    "duration 1e300 (CSV)": (
        "log.csv",
        "timestamp,app,duration\n2024-04-01T09:00:00Z,code,1e300\n",
        "line 2: bad duration '1e300'",
    ),
    "year 1 at +14:00 (CSV)": (
        "log.csv",
        "timestamp,app,duration\n0001-01-01T00:00+14:00,code,60\n",
        "line 2: timestamp '0001-01-01T00:00+14:00' outside 1970..9998",
    ),
    "year 1 at +14:00 (ActivityWatch)": (
        "aw.json",
        json.dumps(
            {
                "buckets": {
                    "w_host": {
                        "type": "currentwindow",
                        "events": [
                            {
                                "timestamp": "0001-01-01T00:00:00+14:00",
                                "duration": 5,
                                "data": {"app": "code", "title": "x"},
                            }
                        ],
                    }
                }
            }
        ),
        '$.buckets["w_host"].events[0]: time outside 1970..9998',
    ),
    "duration 1e400 (ActivityWatch)": (
        "aw.json",
        '{"buckets": {"w_host": {"type": "currentwindow", "events": [{"timestamp": '
        '"2024-04-01T09:00:00+00:00", "duration": 1e400, "data": {"app": "a", "title": ""}}]}}}',
        '$.buckets["w_host"].events[0].duration: bad duration inf',
    ),
    "year 0001 (ICS)": (
        "cal.ics",
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:a\n"
        "DTSTART:00010101T090000Z\nDTEND:00010101T100000Z\nEND:VEVENT\nEND:VCALENDAR\n",
        "line 6: bad DTSTART: year 1 is outside 1971..9000",
    ),
    "JSON nested 100,000 deep": (
        "deep.json",
        "[" * 100_000 + "]" * 100_000,
        "JSON nested too deeply to be an export",
    ),
}


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_values_out_of_range_are_refused_with_their_place(tmp_path, case):
    name, content, reason = OUT_OF_RANGE[case]
    path = tmp_path / name
    path.write_text(content)
    result = run_cli(tmp_path / "data", "import", str(path))
    assert one_line_refusal(result, path) == f"time-sculptor: {path}: {reason}"
    assert (
        not (tmp_path / "data" / DB_NAME).exists()
        or Store(tmp_path / "data" / DB_NAME).event_count() == 0
    )
    exports_still_work(tmp_path / "data")


# --- calendar bombs ----------------------------------------------------------------------------


def _calendar(events: list[str]) -> str:
    body = "".join(f"BEGIN:VEVENT\n{event}END:VEVENT\n" for event in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n{body}END:VCALENDAR\n"


def test_sixty_long_series_in_eight_kilobytes_are_refused_within_seconds(tmp_path):
    start = datetime.now(UTC).strftime("%Y%m%dT090000Z")
    path = tmp_path / "bomb.ics"
    path.write_text(
        _calendar(
            [
                f"UID:s{n}\nDTSTART:{start}\nDURATION:PT1M\nRRULE:FREQ=MINUTELY;COUNT=19999\n"
                for n in range(60)
            ]
        )
    )
    assert path.stat().st_size < 8192
    started = time.monotonic()
    result = run_cli(tmp_path / "data", "import", str(path), timeout=60)
    took = time.monotonic() - started
    line = one_line_refusal(result, path)
    assert "repeats to more than 50000 events in the import window" in line
    assert took < 10, took  # 58 s and 2.6 GB before the count was kept as the series went


def test_a_secondly_repeat_on_a_day_that_never_comes_costs_nothing(tmp_path):
    start = datetime.now(UTC).strftime("%Y%m%dT090000Z")
    path = tmp_path / "never.ics"
    path.write_text(
        _calendar(
            [
                f"UID:n{n}\nDTSTART:{start}\nDURATION:PT1S\n"
                "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30\n"
                for n in range(3)
            ]
            + [f"UID:sync\nDTSTART:{start}\nDURATION:PT30M\nSUMMARY:Sync\n"]
        )
    )
    started = time.monotonic()
    result = run_cli(tmp_path / "data", "import", str(path), timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{path}: added 1 of 1 spans (1 calendar), 0 already imported; "
        "skipped 3 repeating events that never occur"
    )
    assert took < 8, took  # about 10 s per such event before


# --- time zones ------------------------------------------------------------------------------

FLOATING = (
    "timestamp,app,duration\n"
    "2024-04-02T09:00:00,code,600\n"
    "2024-04-02T09:10:00,firefox,300\n"
    "2024-04-02T09:15:00,code,900\n"
)


def test_floating_times_are_read_in_the_zone_at_import_and_recorded(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(FLOATING)
    result = run_cli(tmp_path / "data", "import", str(path), env={"TZ": "America/New_York"})
    assert result.returncode == 0, result.stderr
    store = Store(tmp_path / "data" / DB_NAME)
    first = store.all_events()[0]
    store.close()
    assert first.start == datetime(2024, 4, 2, 13, 0, tzinfo=UTC).timestamp()  # 09:00 EDT
    assert first.data == {"local_time": "2024-04-02T09:00:00", "zone": "America/New_York"}


def test_the_same_floating_csv_under_another_zone_adds_nothing(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(FLOATING)
    first = run_cli(tmp_path / "data", "import", str(path), env={"TZ": "Europe/Berlin"})
    assert first.returncode == 0, first.stderr
    again = run_cli(tmp_path / "data", "import", str(path), env={"TZ": "Asia/Tokyo"})
    assert again.stdout.strip() == f"{path}: added 0 of 3 spans (3 window), 3 already imported"
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"time-sculptor: {path}: nothing new: all 3 spans are already in the store"
    )
    store = Store(tmp_path / "data" / DB_NAME)
    assert store.event_count() == 3
    store.close()


def test_a_csv_across_the_autumn_clock_change_keeps_both_half_past_ones(tmp_path):
    # Berlin, 27 October 2024: 03:00 CEST becomes 02:00 CET; 02:00..03:00 happens twice.
    rows = ["01:40", "02:10", "02:30", "02:50", "02:10", "02:30", "02:50", "03:10"]
    path = tmp_path / "autumn.csv"
    path.write_text(
        "timestamp,app\n"
        + "".join(f"2024-10-27T{hm}:00,{'ab'[i % 2]}\n" for i, hm in enumerate(rows))
    )
    result = run_cli(tmp_path / "data", "import", str(path), env={"TZ": "Europe/Berlin"})
    assert result.returncode == 0, result.stderr
    store = Store(tmp_path / "data" / DB_NAME)
    spans = store.all_events()
    store.close()
    # Every row but the last (whose length is unknown) is a span; 01:40 to 03:10 local is
    # 2 h 30 min of real time on that night.
    assert len(spans) == len(rows) - 1
    assert sum(s.duration for s in spans) == 150 * 60
    half_past_two = [s for s in spans if s.data["local_time"].endswith("02:30:00")]
    assert [s.start for s in half_past_two] == [
        datetime(2024, 10, 27, 0, 30, tzinfo=UTC).timestamp(),  # 02:30 CEST
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC).timestamp(),  # 02:30 CET
    ]
    assert [s.data.get("fold", 0) for s in half_past_two] == [0, 1]
