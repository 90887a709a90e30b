"""`time-sculptor export`: every span out, and back in again unchanged."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest

from desktop import cli, exporters, importers
from desktop.config import Config
from desktop.store import DB_NAME, Event, Store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NOW = 1_712_750_400.0  # 2024-04-10 12:00 UTC


def _fill(store: Store, tmp_path: Path) -> None:
    """Give a store spans of every source: collected, imported, away, calendar."""
    for t, app, title in [(0.0, "code", "main.py — café"), (1.0, "code", "main.py — café")]:
        store.heartbeat(
            Event(start=NOW + t + 0.123456789, duration=0.0, source="window", app=app,
                  title=title, category="development"),
            pulsetime=2.0,
        )  # fmt: skip
    store.insert_events(
        [
            Event(start=NOW + 60, duration=300.0, source="afk", category="away"),
            Event(start=NOW + 400, duration=1800.0, source="calendar", app="calendar",
                  title="1:1, with \"quotes\"\nand a newline", category="meetings"),
            Event(start=NOW + 500, duration=42.5, source="window", app="excluded"),
        ]
    )  # fmt: skip
    log = tmp_path / "log.csv"
    log.write_text("timestamp,app,duration\n2024-04-09T08:00:00Z,firefox.exe,120.25\n")
    importers.import_file(store, log, "csv", Config(), now=NOW)


def _comparable(store: Store) -> list[tuple]:
    return [
        (round(s.start, 6), s.duration, s.source, s.app, s.title, s.title_hashed, s.category)
        for s in store.all_events()
    ]


@pytest.mark.parametrize("store_titles", [False, True])
def test_csv_export_reimports_into_an_empty_store_with_the_same_spans(tmp_path, store_titles):
    original = Store(tmp_path / "a.sqlite3", store_titles=store_titles)
    _fill(original, tmp_path)
    text = exporters.export_text(original, "csv")
    assert text.startswith("timestamp,app,")
    exported = tmp_path / "export.csv"
    exported.write_text(text, encoding="utf-8")

    # Another salt: hashed titles must be kept, not hashed again; clear ones stay clear where
    # the user opted in.
    fresh = Store(tmp_path / "b.sqlite3", store_titles=store_titles)
    summary = importers.import_file(fresh, exported, "csv", Config(), now=NOW)
    assert summary.added == original.event_count() == 5 and summary.skipped == {}
    assert _comparable(fresh) == _comparable(original)
    # Timestamps are written to the microsecond; what the collector stored is within 1 µs.
    for a, b in zip(original.all_events(), fresh.all_events(), strict=True):
        assert abs(a.start - b.start) <= 1e-6
    again = importers.import_file(fresh, exported, "csv", Config(), now=NOW)
    assert again.added == 0
    if not store_titles:
        assert "café" not in text and "quotes" not in text


def test_json_export_has_spans_and_suggestions_with_outcomes(tmp_path):
    store = Store(tmp_path / DB_NAME)
    _fill(store, tmp_path)
    sid = store.add_suggestion(
        created_at=NOW + 30, kind="break", text="Take five.", explanation="90 min active",
        model_version="v3", features={"context": [0.5]}, score=0.7, propensity=0.8,
    )  # fmt: skip
    store.record_feedback(sid, "snoozed", NOW + 40, snooze_minutes=10)
    store.record_activity([(NOW, 30.0, 60.0), (NOW + 60, 12.0, 24.0), (NOW + 120, 0.0, 60.0)])
    store.add_suggestion(
        created_at=NOW + 50, kind="break", text="t", explanation="e", model_version="v3",
        features={}, score=0.6, propensity=0.5,
    )  # fmt: skip
    store.close()
    out = tmp_path / "export.json"
    assert (
        cli.main(["--data-dir", str(tmp_path), "export", "--format", "json", "--out", str(out)])
        == 0
    )
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # as private as the database
    document = json.loads(out.read_text())
    assert len(document["events"]) == 5
    assert {e["source"] for e in document["events"]} == {"window", "afk", "calendar"}
    answered, open_one = document["suggestions"]
    assert (answered["outcome"], answered["outcome_at"], answered["propensity"]) == (
        "snoozed", NOW + 40, 0.8,
    )  # fmt: skip
    assert answered["features"] == {"context": [0.5]} and open_one["outcome"] is None
    # Input intensity per minute: when, and how many active seconds per minute; nothing else.
    assert [(a["minute"], a["active_seconds_per_minute"]) for a in document["activity"]] == [
        ("2024-04-10T12:00:00.000000+00:00", 30.0),
        ("2024-04-10T12:01:00.000000+00:00", 30.0),  # 12 of the 24 s covered
        ("2024-04-10T12:02:00.000000+00:00", 0.0),
    ]
    assert set(document["activity"][0]) == {
        "minute", "minute_epoch", "active_seconds_per_minute", "active_s", "covered_s",
    }  # fmt: skip


def test_export_to_stdout_by_default(tmp_path, capsys):
    store = Store(tmp_path / DB_NAME)
    _fill(store, tmp_path)
    store.close()
    assert cli.main(["--data-dir", str(tmp_path), "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5 and rows[0]["timestamp"].endswith("+00:00")


def _filled_with_everything(data_dir: Path) -> Store:
    store = Store(data_dir / DB_NAME)
    _fill(store, data_dir)
    sid = store.add_suggestion(
        created_at=NOW + 30, kind="break", text="Take five.", explanation="90 min active",
        model_version="v3", features={"context": [0.5]}, score=0.7, propensity=0.8,
    )  # fmt: skip
    store.record_feedback(sid, "accepted", NOW + 40)
    store.record_activity([(NOW, 30.0, 60.0), (NOW + 60, 12.0, 24.0)])
    return store


def _everything(store: Store) -> tuple:
    suggestions = [
        (s.created_at, s.kind, s.text, s.explanation, s.model_version, s.features, s.score,
         s.propensity, s.outcome, s.outcome_at)
        for s in store.suggestions(-1e18)
    ]  # fmt: skip
    return _comparable(store), suggestions, store.activity(-1e18, 1e18)


def test_the_json_export_imports_back_losslessly_and_adds_nothing_to_its_own_store(
    tmp_path, capsys
):
    source = tmp_path / "source"
    store = _filled_with_everything(source)
    before = _everything(store)
    store.close()
    out = tmp_path / "export.json"
    assert cli.main(["--data-dir", str(source), "export", "--out", str(out)]) == 0
    capsys.readouterr()

    # Into an empty store: every span, suggestion with its outcome, and input minute.
    fresh = tmp_path / "fresh"
    assert cli.main(["--data-dir", str(fresh), "import", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{out}: added 5 of 5 spans (1 afk, 1 calendar, 3 window), 0 already imported, "
        "1 suggestions, 2 input minutes"
    )
    copy = Store(fresh / DB_NAME)
    assert _everything(copy) == before
    copy.close()

    # Into the store it came from: nothing is added, the command says why and exits 1.
    assert cli.main(["--data-dir", str(source), "import", str(out)]) == 1
    printed = capsys.readouterr()
    assert printed.out.strip() == (
        f"{out}: added 0 of 5 spans (1 afk, 1 calendar, 3 window), 5 already imported, "
        "0 suggestions, 0 input minutes"
    )
    assert printed.err.strip() == (
        f"time-sculptor: {out}: nothing new: all 5 spans are already in the store"
    )
    again = Store(source / DB_NAME)
    assert _everything(again) == before
    again.close()


def test_the_csv_export_imports_into_its_own_store_as_nothing_new(tmp_path, capsys):
    store = _filled_with_everything(tmp_path)
    store.close()
    out = tmp_path / "export.csv"
    assert (
        cli.main(["--data-dir", str(tmp_path), "export", "--format", "csv", "--out", str(out)]) == 0
    )
    assert cli.main(["--data-dir", str(tmp_path), "import", str(out)]) == 1
    assert "nothing new: all 5 spans are already in the store" in capsys.readouterr().err


def test_an_activitywatch_window_bucket_of_another_type_is_imported(tmp_path, capsys):
    event = {"timestamp": "2024-04-01T09:00:00+00:00", "duration": 60.0}
    document = {
        "buckets": {
            "dashboard-window_host": {  # a third-party dashboard's export
                "type": "window",
                "hostname": "host",
                "events": [{**event, "data": {"app": "code", "title": "main.py"}}],
            },
            "custom_host": {  # an unknown type whose events carry app and title
                "type": "x.focus",
                "hostname": "host",
                "events": [
                    {
                        "timestamp": "2024-04-01T09:01:00+00:00",
                        "duration": 30.0,
                        "data": {"app": "firefox", "title": "docs"},
                    }
                ],
            },
            "web_host": {
                "type": "web.tab.current",
                "events": [{**event, "data": {"url": "https://example.org", "title": "x"}}],
            },
        }
    }
    path = tmp_path / "aw.json"
    path.write_text(json.dumps(document))
    assert cli.main(["--data-dir", str(tmp_path / "data"), "import", str(path)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{path}: added 2 of 2 spans (2 window), 0 already imported; "
        "skipped 1 events in bucket web_host (web.tab.current)"
    )


def test_a_file_that_yields_nothing_says_why_and_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "web.json"
    path.write_text(
        json.dumps({"buckets": {"web": {"type": "web.tab.current", "events": [
            {"timestamp": "2024-04-01T09:00:00+00:00", "duration": 1, "data": {"url": "u"}}
        ]}}})
    )  # fmt: skip
    assert cli.main(["--data-dir", str(tmp_path / "data"), "import", str(path)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"time-sculptor: {path}: nothing imported: every entry was left out "
        "(1 events in bucket web (web.tab.current))"
    )


def test_import_takes_a_directory_or_several_files(tmp_path, capsys):
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "a.csv").write_text("timestamp,app,duration\n2024-04-01T09:00:00Z,code,60\n")
    (folder / "b.csv").write_text("timestamp,app,duration\n2024-04-02T09:00:00Z,mail,60\n")
    (folder / "notes.txt").write_text("not activity")
    single = tmp_path / "c.csv"
    single.write_text("timestamp,app,duration\n2024-04-03T09:00:00Z,chat,60\n")
    data = tmp_path / "data"
    assert cli.main(["--data-dir", str(data), "import", str(folder), str(single)]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        f"{folder / 'a.csv'}: added 1 of 1 spans (1 window), 0 already imported",
        f"{folder / 'b.csv'}: added 1 of 1 spans (1 window), 0 already imported",
        f"{single}: added 1 of 1 spans (1 window), 0 already imported",
    ]
    assert printed.err.strip() == f"{folder / 'notes.txt'}: passed over (not .json, .csv or .ics)"
    store = Store(data / DB_NAME)
    assert store.event_count() == 3
    store.close()


@pytest.mark.parametrize(
    "layout",
    [
        "timestamp,app,title,duration,category,source,title_hashed\n"
        "2024-04-01T09:00:00.000000+00:00,code,main.py,60.0,unknown,window,0\n",
        "start,duration,source,app,title\n2024-04-01T09:00:00+00:00,60,window,code,main.py\n",
        "timestamp,app,duration\n1711962000,code,60\n",
    ],
    ids=["export", "demo", "epoch seconds"],
)
def test_one_csv_parser_reads_the_export_the_demo_day_and_the_import_layouts(layout):
    parsed = importers.parse_csv(layout.encode(), "day.csv")
    [span] = parsed.events
    assert (span.start, span.duration, span.source, span.app) == (
        1_711_962_000.0, 60.0, "window", "code",
    )  # fmt: skip


def _activitywatch_export(tmp_path: Path, capsys, store_titles: bool = False) -> dict:
    """Export `_fill`'s store with `--format activitywatch`; return the file's JSON."""
    data = tmp_path / "data"
    data.mkdir()
    if store_titles:
        (data / "config.toml").write_text("store_titles = true\n")
    store = Store(data / DB_NAME, store_titles=store_titles)
    _fill(store, tmp_path)
    store.close()
    out = tmp_path / "aw-export.json"
    argv = ["--data-dir", str(data), "export", "--format", "activitywatch", "--out", str(out)]
    assert cli.main([*argv, "--hostname", "desk"]) == 0
    printed = capsys.readouterr()
    assert printed.out.strip() == f"exported 4 spans as activitywatch to {out}"
    assert printed.err.strip() == (
        "time-sculptor: left out 1 calendar spans: an ActivityWatch export holds window and"
        " away time only"
    )
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_activitywatch_export_is_activitywatch_own_format(tmp_path, capsys):
    document = _activitywatch_export(tmp_path, capsys)
    window, afk = (
        document["buckets"]["aw-watcher-window_desk"],
        document["buckets"]["aw-watcher-afk_desk"],
    )
    assert set(document["buckets"]) == {"aw-watcher-window_desk", "aw-watcher-afk_desk"}
    assert (window["id"], window["type"], window["client"], window["hostname"]) == (
        "aw-watcher-window_desk", "currentwindow", "aw-watcher-window", "desk",
    )  # fmt: skip
    assert (afk["id"], afk["type"], afk["client"], afk["hostname"]) == (
        "aw-watcher-afk_desk", "afkstatus", "aw-watcher-afk", "desk",
    )  # fmt: skip
    # Window time: the imported log's firefox, the collected code window, the excluded app.
    assert [(e["timestamp"], e["duration"], e["data"]["app"]) for e in window["events"]] == [
        ("2024-04-09T08:00:00.000000+00:00", 120.25, "firefox.exe"),
        ("2024-04-10T12:00:00.123457+00:00", 1.0, "code"),
        ("2024-04-10T12:08:20.000000+00:00", 42.5, "excluded"),
    ]
    assert window["created"] == window["events"][0]["timestamp"]
    # Titles as stored: hashes, marked as such, never the clear title.
    code = window["events"][1]["data"]
    assert code["title_hashed"] is True and len(code["title"]) == 24
    assert "café" not in json.dumps(document, ensure_ascii=False)
    # Away time as `afk`; the time at the computer as `not-afk`, which ActivityWatch's views
    # need to count window time as active.
    assert [(e["timestamp"], e["duration"], e["data"]) for e in afk["events"]] == [
        ("2024-04-09T08:00:00.000000+00:00", 120.25, {"status": "not-afk"}),
        ("2024-04-10T12:00:00.123457+00:00", 1.0, {"status": "not-afk"}),
        ("2024-04-10T12:01:00.000000+00:00", 300.0, {"status": "afk"}),
        ("2024-04-10T12:08:20.000000+00:00", 42.5, {"status": "not-afk"}),
    ]


@pytest.mark.parametrize("store_titles", [False, True])
def test_the_activitywatch_export_imports_back_with_the_same_window_and_away_time(
    tmp_path, capsys, store_titles
):
    document = _activitywatch_export(tmp_path, capsys, store_titles)
    original = Store(tmp_path / "data" / DB_NAME, store_titles=store_titles)
    exported = tmp_path / "aw-export.json"
    # Another salt: hashed titles are kept as they are, never hashed a second time.
    fresh = Store(tmp_path / "fresh.sqlite3", store_titles=store_titles)
    summary = importers.import_file(fresh, exported, "activitywatch", Config(), now=NOW)
    assert (summary.added, summary.skipped) == (4, {})

    def window_and_away(store: Store) -> list[tuple]:
        # An imported log's time is window time in ActivityWatch and back.
        return [
            (round(s.start, 6), s.duration, "window" if s.source == "import" else s.source,
             s.app, s.title, s.title_hashed, s.category)
            for s in store.all_events()
            if s.source != "calendar"
        ]  # fmt: skip

    assert window_and_away(fresh) == window_and_away(original)
    titles = {s.title for s in fresh.all_events() if s.app == "code"}
    assert titles == ({"main.py — café"} if store_titles else {document["buckets"][
        "aw-watcher-window_desk"]["events"][1]["data"]["title"]})  # fmt: skip
    original.close()
    fresh.close()


def test_an_empty_store_exports_an_activitywatch_file_with_no_buckets(tmp_path, capsys):
    out = tmp_path / "aw.json"
    argv = ["--data-dir", str(tmp_path), "export", "--format", "activitywatch", "--out", str(out)]
    assert cli.main(argv) == 0
    assert json.loads(out.read_text()) == {"buckets": {}}
    assert capsys.readouterr().err == ""
