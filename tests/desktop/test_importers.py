"""`time-sculptor import`: real ActivityWatch exports and CSV logs, hand-written calendars."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desktop import cli, importers
from desktop.config import Config
from desktop.store import DB_NAME, Store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PACIFIC = ZoneInfo("America/Los_Angeles")  # the CSV logs come from UCSD capstone projects
NOW = datetime(2024, 4, 10, 12, 0, tzinfo=UTC).timestamp()


def real(relative: str) -> Path:
    path = DATA / relative
    if not path.is_file():
        pytest.skip(f"real trace {path} is not here (../shared/data is not part of the repo)")
    return path


def day(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# Expected span counts, worked out from the files themselves (see the data README):
# - windows-laptop-export: 2,427 window events; filling gaps of up to 5 s and merging touching
#   events of the same window (aw-core's flood) leaves 2,423; the 52 afk events are nested
#   heartbeat duplicates that merge into 14 away intervals, which cut the window spans to
#   2,422; the Firefox tab bucket (1,280 events) and the empty stopwatch bucket are skipped.
# - linux-pc-window-bucket: 3,512 events, flooded and merged to 3,502; no afk bucket.
# - user_a: 2,304 rows without durations; 143 rows are followed by a row at the same second
#   (replaced at once, no length) and the last row has no next one: 2,304 - 143 - 1 = 2,160.
# - user_b: 9,255 rows, each with its own duration: all kept.
# - user_c / user_d: 2,995 / 5,241 rows, timestamps all distinct: all but the last.
REAL_TRACES = {
    "activitywatch/windows-laptop-export.json": (
        {"window": 2422, "afk": 14},
        0.02,
        {
            "Code.exe": "development",
            "powershell.exe": "development",
            "explorer.exe": "system",
        },
    ),
    "activitywatch/linux-pc-window-bucket.json": (
        {"window": 3502},
        0.01,
        {"Code - Insiders": "development", "pcmanfm-qt": "system", "qterminal": "development"},
    ),
    "desktop-windows/user_a.csv": (
        {"window": 2160},
        0.03,
        {
            "OUTLOOK.EXE": "communication",
            "Teams.exe": "meetings",
            "POWERPNT.EXE": "office",
            "chrome.exe": "browsing",
        },
    ),
    "desktop-windows/user_b.csv": (
        {"window": 9255},
        0.03,
        {
            "LeagueClientUx.exe": "games",
            "firefox.exe": "browsing",
            "Discord.exe": "communication",
            "ApplicationFrameHost.exe": "system",
        },
    ),
    "desktop-windows/user_c.csv": (
        {"window": 2994},
        0.08,
        {"esrv.exe": "system", "Zoom.exe": "meetings", "SearchApp.exe": "system"},
    ),
    "desktop-windows/user_d.csv": (
        {"window": 5240},
        0.04,
        {"devenv.exe": "development", "Spotify.exe": "entertainment", "cmd.exe": "development"},
    ),
}


@pytest.mark.parametrize("relative", list(REAL_TRACES))
def test_real_traces_import_with_expected_counts_and_categories(tmp_path, relative):
    expected_counts, max_unknown_share, expected_categories = REAL_TRACES[relative]
    path = real(relative)
    store = Store(tmp_path / DB_NAME)
    fmt = importers.guess_format(path)
    summary = importers.import_file(store, path, fmt, Config(), now=NOW, local_tz=PACIFIC)
    spans = store.all_events()
    assert Counter(s.source for s in spans) == expected_counts
    assert summary.added == sum(expected_counts.values()) and summary.duplicates == 0

    apps = [s for s in spans if s.source == "window"]
    unknown = sum(s.category == "unknown" for s in apps) / len(apps)
    assert unknown <= max_unknown_share, f"{relative}: {unknown:.1%} of spans uncategorized"
    for app, category in expected_categories.items():
        assert {s.category for s in apps if s.app == app} == {category}, app
    assert all(s.duration > 0 for s in spans)
    assert all(s.category == "away" and s.app == "" for s in spans if s.source == "afk")
    if fmt == "csv" and "user_b" not in relative:
        # Durations inferred from the next row stop at the 30-minute cap.
        assert max(s.duration for s in spans) == pytest.approx(1800.0)

    again = importers.import_file(store, path, fmt, Config(), now=NOW, local_tz=PACIFIC)
    assert (again.added, again.duplicates) == (0, summary.added)
    assert store.event_count() == summary.added


def test_activitywatch_window_time_is_cut_by_afk_and_titles_are_hashed(tmp_path):
    path = real("activitywatch/windows-laptop-export.json")
    store = Store(tmp_path / DB_NAME)
    summary = importers.import_file(store, path, "activitywatch", Config(), now=NOW)
    assert summary.skipped == {
        "events in bucket aw-watcher-web-firefox (web.tab.current)": 1280,
        "events in bucket aw-stopwatch (general.stopwatch)": 0,
    }
    spans = store.all_events()
    away = [s for s in spans if s.source == "afk"]
    windows = [s for s in spans if s.source == "window"]
    for gap in away:
        assert not any(w.start < gap.end - 1e-6 and w.end > gap.start + 1e-6 for w in windows)
    # The first away stretch starts at 20:26:11.815 UTC on 2023-11-18 and, merged with its
    # nested duplicates, ends at 20:30:06.816.
    first = away[0]
    assert first.start == pytest.approx(day("2023-11-18T20:26:11.815+00:00"))
    assert first.end == pytest.approx(day("2023-11-18T20:30:06.816+00:00"))
    # Titles are in the file in clear; the store keeps salted hashes only.
    assert all(s.title_hashed for s in windows if s.title)
    store.close()
    raw = (tmp_path / DB_NAME).read_bytes()
    assert b"Mozilla Firefox" not in raw and b"MHacks" not in raw


def test_csv_columns_category_and_exclusions(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "timestamp,app,title,duration,category\n"
        "2024-04-01T09:00:00+02:00,Code.exe,main.py,600,\n"
        "2024-04-01T09:10:00+02:00,mystery.exe,,60,games\n"
        "2024-04-01T09:11:00+02:00,Signal.exe,Chat with Ana,120,\n"
        "2024-04-01 09:13:00.250,firefox.exe,YouTube - Mozilla Firefox,,\n"
        "2024-04-01 10:30:00,firefox.exe,,,\n"
    )
    store = Store(tmp_path / DB_NAME)
    config = Config(excluded_apps=("signal.EXE",))
    summary = importers.import_file(store, path, "csv", config, now=NOW, local_tz=UTC)
    spans = store.all_events()
    assert [(s.app, s.category, s.duration) for s in spans] == [
        ("Code.exe", "development", 600.0),
        ("mystery.exe", "games", 60.0),  # the file's category wins over the rules
        ("excluded", "unknown", 120.0),  # nothing of an excluded app but its time
        ("firefox.exe", "entertainment", 1800.0),  # to the next row, capped at 30 min
    ]
    assert spans[0].start == day("2024-04-01T07:00:00+00:00")
    assert spans[2].title == "" and spans[3].title_hashed
    assert summary.skipped == {"last row without a duration (length unknown)": 1}
    assert "Chat with Ana" not in json.dumps([s.title for s in spans])


def _cli(tmp_path: Path, *args: str) -> int:
    return cli.main(["--data-dir", str(tmp_path / "data"), *args])


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_truncated_csv_changes_nothing_and_says_where(tmp_path, capsys):
    lines = real("desktop-windows/user_a.csv").read_text().splitlines()
    truncated = tmp_path / "user_a.csv"
    # Cut inside the timestamp of line 501 (a cut inside an app name cannot be told).
    truncated.write_text("\n".join(lines[:500]) + "\n" + lines[500][:15])
    assert _cli(tmp_path, "import", str(real("desktop-windows/user_c.csv"))) == 0
    capsys.readouterr()
    assert _cli(tmp_path, "import", str(truncated)) == 2
    line = _one_error_line(capsys)
    assert line == f"time-sculptor: {truncated}: line 501: 1 field(s), the header has 2"
    assert Store(tmp_path / "data" / DB_NAME).event_count() == 2994  # user_c's, nothing more


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        ("2021-12-01T07:00:00Z,chrome.exe,surplus", "3 field(s), the header has 2"),
        ("2021-12-01T07:00:00Z,\x00chrome.exe", "NUL byte"),
        ("yesterday,chrome.exe", "bad timestamp 'yesterday'"),
        ("2021-12-01T07:00:00Z,", "empty app"),
    ],
)
def test_garbled_csv_line_is_one_line_error_and_writes_nothing(tmp_path, capsys, garbage, reason):
    lines = real("desktop-windows/user_c.csv").read_text().splitlines()
    lines[1234] = garbage  # file line 1235
    path = tmp_path / "garbled.csv"
    path.write_text("\n".join(lines) + "\n")
    assert _cli(tmp_path, "import", str(path)) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"time-sculptor: {path}: line 1235: ") and reason in line
    assert not (tmp_path / "data" / DB_NAME).exists()  # the store was never even opened


def test_truncated_and_garbled_activitywatch_exports(tmp_path, capsys):
    source = real("activitywatch/windows-laptop-export.json")
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(source.read_bytes()[:300_000])
    assert _cli(tmp_path, "import", str(truncated)) == 2
    assert _one_error_line(capsys).startswith(f"time-sculptor: {truncated}: line 1 column ")

    document = json.loads(source.read_bytes())
    document["buckets"]["aw-watcher-window_LAPTOP-MCRJASPH"]["events"][17]["duration"] = "long"
    garbled = tmp_path / "garbled.json"
    garbled.write_text(json.dumps(document))
    assert _cli(tmp_path, "import", str(garbled)) == 2
    assert _one_error_line(capsys) == (
        f"time-sculptor: {garbled}: "
        '$.buckets["aw-watcher-window_LAPTOP-MCRJASPH"].events[17].duration: bad duration '
        "'long'"
    )
    assert not (tmp_path / "data" / DB_NAME).exists()


def test_import_prints_a_one_line_summary(tmp_path, capsys):
    path = real("activitywatch/windows-laptop-export.json")
    assert _cli(tmp_path, "import", str(path), "--format", "activitywatch") == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        f"{path}: added 2436 of 2436 spans (14 afk, 2422 window), 0 already imported; skipped "
        "1280 events in bucket aw-watcher-web-firefox (web.tab.current), 0 events in bucket "
        "aw-stopwatch (general.stopwatch)"
    ]


# --- iCalendar -------------------------------------------------------------------------------

BERLIN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly@test
DTSTART;TZID=Europe/Berlin:20240318T090000
DTEND;TZID=Europe/Berlin:20240318T093000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Berlin:20240325T090000
SUMMARY:Team sync
END:VEVENT
BEGIN:VEVENT
UID:weekly@test
RECURRENCE-ID;TZID=Europe/Berlin:20240401T090000
DTSTART;TZID=Europe/Berlin:20240401T140000
DTEND;TZID=Europe/Berlin:20240401T150000
SUMMARY:Team sync (moved)
END:VEVENT
BEGIN:VEVENT
UID:utc@test
DTSTART:20240402T150000Z
DURATION:PT45M
SUMMARY:Interview
END:VEVENT
BEGIN:VEVENT
UID:floating@test
DTSTART:20240403T100000
DTEND:20240403T110000
SUMMARY:Dentist
END:VEVENT
BEGIN:VEVENT
UID:holiday@test
DTSTART;VALUE=DATE:20240404
DTEND;VALUE=DATE:20240405
SUMMARY:Holiday
END:VEVENT
BEGIN:VEVENT
UID:cancelled@test
DTSTART:20240405T080000Z
DTEND:20240405T090000Z
STATUS:CANCELLED
SUMMARY:Called off
END:VEVENT
END:VCALENDAR
"""


def test_ics_repeats_exceptions_and_time_zones(tmp_path):
    path = tmp_path / "work.ics"
    path.write_text(BERLIN.replace("\n", "\r\n"))
    store = Store(tmp_path / DB_NAME, store_titles=True)
    new_york = ZoneInfo("America/New_York")
    summary = importers.import_file(store, path, "ics", Config(), now=NOW, local_tz=new_york)
    spans = store.all_events()
    assert {(s.source, s.category, s.app) for s in spans} == {("calendar", "meetings", "calendar")}
    assert [(datetime.fromtimestamp(s.start, UTC), s.duration / 60, s.title) for s in spans] == [
        # 09:00 in Berlin is 08:00 UTC before the clocks go forward on 31 March, 07:00 after.
        (datetime(2024, 3, 18, 8, 0, tzinfo=UTC), 30, "Team sync"),
        # 25 March is an EXDATE; 1 April was moved to 14:00 by its RECURRENCE-ID.
        (datetime(2024, 4, 1, 12, 0, tzinfo=UTC), 60, "Team sync (moved)"),
        (datetime(2024, 4, 2, 15, 0, tzinfo=UTC), 45, "Interview"),
        # A floating time is the user's local time: 10:00 in New York (EDT) is 14:00 UTC.
        (datetime(2024, 4, 3, 14, 0, tzinfo=UTC), 60, "Dentist"),
        (datetime(2024, 4, 8, 7, 0, tzinfo=UTC), 30, "Team sync"),
    ]
    assert summary.skipped == {"all-day events": 1, "cancelled events": 1}
    again = importers.import_file(store, path, "ics", Config(), now=NOW, local_tz=new_york)
    assert (again.added, again.duplicates) == (0, 5)


def test_ics_endless_repeat_is_bounded_by_the_configured_window(tmp_path):
    path = tmp_path / "daily.ics"
    path.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:d@test\n"
        "DTSTART:20240101T090000Z\nDTEND:20240101T091500Z\nRRULE:FREQ=DAILY\n"
        "SUMMARY:Standup\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    store = Store(tmp_path / DB_NAME)
    now = datetime(2024, 1, 10, 12, 0, tzinfo=UTC).timestamp()
    config = Config(calendar_future_days=5)
    importers.import_file(store, path, "ics", config, now=now)
    starts = [datetime.fromtimestamp(s.start, UTC).date().isoformat() for s in store.all_events()]
    assert starts[0] == "2024-01-01" and starts[-1] == "2024-01-15" and len(starts) == 15


@pytest.mark.parametrize(
    ("edit", "where", "reason"),
    [
        (lambda t: t.replace("SUMMARY:Interview", "SUMMARY Interview"), "line 38", "not an iC"),
        (
            lambda t: t.replace("RRULE:FREQ=WEEKLY", "RRULE:FREQ=FORTNIGHTLY"),
            "line 23",
            "bad RRULE",
        ),
        (lambda t: t.replace("20240402T150000Z", "2024-04-02"), "line 36", "bad DTSTART"),
        (lambda t: t[: t.index("UID:floating")], "end of file", "line 40 never ends"),
    ],
)
def test_bad_ics_is_one_line_error_with_line(tmp_path, capsys, edit, where, reason):
    path = tmp_path / "bad.ics"
    path.write_text(edit(BERLIN))
    assert _cli(tmp_path, "import", str(path)) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"time-sculptor: {path}: {where}: ") and reason in line, line
    assert not (tmp_path / "data" / DB_NAME).exists()


# --- fuzzing: any input is imported whole or refused in one line, never half-written ---------

hypothesis = pytest.importorskip("hypothesis")
strategies = hypothesis.strategies

_CSV_CELLS = strategies.sampled_from(
    ["2024-01-01 10:00:00", "2024-01-01T10:00:05Z", "code", "firefox.exe", "", "12", "-1", "x",
     '"', ",", "nan", "games", "afk", "1", "\x00", "é", "\r\n"]
)  # fmt: skip


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(
    header=strategies.sampled_from(
        ["timestamp,app", "timestamp,app,duration", "timestamp,app,title,duration,category", "a,b"]
    ),
    rows=strategies.lists(strategies.lists(_CSV_CELLS, min_size=1, max_size=5), max_size=6),
)
def test_fuzzed_csv_is_imported_whole_or_refused_in_one_line(tmp_path_factory, header, rows):
    _whole_or_nothing(
        tmp_path_factory.mktemp("fuzz"),
        "csv",
        (header + "\n" + "\n".join(",".join(row) for row in rows)).encode("utf-8"),
    )


_AW_VALUES = strategies.recursive(
    strategies.none()
    | strategies.booleans()
    | strategies.sampled_from([0, 1.5, -3, "2023-11-18T20:07:28.784000+00:00", "afk", "x", 1e308])
    | strategies.text(max_size=3),
    lambda children: (
        strategies.lists(children, max_size=3)
        | strategies.dictionaries(
            strategies.sampled_from(["timestamp", "duration", "data", "app", "title", "status"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(
    kind=strategies.sampled_from(["currentwindow", "afkstatus", "web.tab.current", None]),
    events=strategies.lists(_AW_VALUES, max_size=4),
)
def test_fuzzed_activitywatch_is_imported_whole_or_refused_in_one_line(
    tmp_path_factory, kind, events
):
    document = {"buckets": {"b_host": {"type": kind, "hostname": "host", "events": events}}}
    _whole_or_nothing(
        tmp_path_factory.mktemp("fuzz"), "activitywatch", json.dumps(document).encode()
    )


def _whole_or_nothing(directory: Path, fmt: str, data: bytes) -> None:
    path = directory / f"input.{'json' if fmt == 'activitywatch' else fmt}"
    path.write_bytes(data)
    store = Store(directory / DB_NAME)
    try:
        parsed = importers.parse_file(path, fmt, Config(), now=NOW, local_tz=UTC)
    except importers.ImportFailed as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}: ")
        assert store.event_count() == 0
        return
    summary = importers.store_parsed(store, path, fmt, parsed, Config())
    assert store.event_count() == summary.added == len(parsed.events) - summary.duplicates
