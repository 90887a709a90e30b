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
