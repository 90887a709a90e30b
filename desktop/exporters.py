"""Writing the user's data out: every span as CSV (re-importable) or JSON (with suggestions,
input activity per minute and the plan: its items, blocks and how each was kept), or the window
and away spans as an ActivityWatch export that aw-server imports (`POST /api/0/import`).

Titles are written as stored: salted hashes unless the user opted in to clear titles. The CSV
marks hashed titles (`title_hashed`), so importing it keeps them as they are, and its columns
are the import format's, so an export re-imports into an empty store with the same spans.
"""

from __future__ import annotations

import csv
import io
import json
import math
import socket
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.collect import activity
from desktop.store import Event, PlanBlock, Store, SuggestionRecord
from edge_model import files

FORMATS = ("json", "csv", "activitywatch")
CSV_COLUMNS = ("timestamp", "app", "title", "duration", "category", "source", "title_hashed")
EXPORT_VERSION = 1


def _iso(ts: float) -> str:
    # Microseconds with an explicit zone: the file is unambiguous wherever it is read.
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def events_csv(events: Iterable[Event]) -> str:
    """Return spans as CSV in the import format (`time-sculptor import --format csv`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(
            [
                _iso(event.start),
                event.app,
                event.title,
                repr(float(event.duration)),
                event.category,
                event.source,
                int(event.title_hashed),
            ]
        )
    return out.getvalue()


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "start": _iso(event.start),
        "start_epoch": event.start,
        "duration": event.duration,
        "source": event.source,
        "app": event.app,
        "title": event.title,
        "title_hashed": event.title_hashed,
        "category": event.category,
        "data": event.data,
    }


def _suggestion_json(record: SuggestionRecord) -> dict[str, Any]:
    row = asdict(record)
    row["created_at_iso"] = _iso(record.created_at)
    if record.outcome_at is not None:
        row["outcome_at_iso"] = _iso(record.outcome_at)
    return row


def _activity_json(minute: float, active_s: float, covered_s: float) -> dict[str, Any]:
    return {
        "minute": _iso(minute),
        "minute_epoch": minute,
        "active_seconds_per_minute": round(activity.rate(active_s, covered_s), 3),
        "active_s": active_s,
        "covered_s": covered_s,
    }


def _block_json(block: PlanBlock) -> dict[str, Any]:
    row = asdict(block)
    row["start_iso"], row["end_iso"] = _iso(block.start), _iso(block.end)
    return row


# --- ActivityWatch ---------------------------------------------------------------------------

# Spans that are time at the computer in a window (collected, or imported from a log).
AW_WINDOW_SOURCES = ("window", "import")
# Gaps up to this long between window spans still count as one stretch at the computer, as
# ActivityWatch's own views flood gaps of its 1 s heartbeats.
AW_NOT_AFK_GAP_S = 5.0


@dataclass(frozen=True)
class Export:
    """One export: its text, the spans it holds, and the spans the format has no place for."""

    text: str
    spans: int
    left_out: Counter[str] = field(default_factory=Counter)  # source -> spans


def _aw_event(start: float, duration: float, data: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": _iso(start), "duration": duration, "data": data}


def _aw_bucket(
    watcher: str, kind: str, hostname: str, events: list[dict[str, Any]]
) -> dict[str, Any]:
    # The ids, types and clients of ActivityWatch's own watchers: its views find a host's
    # window and AFK buckets by type and hostname.
    bucket_id = f"{watcher}_{hostname}"
    return {
        "id": bucket_id,
        "created": events[0]["timestamp"],
        "name": None,
        "type": kind,
        "client": watcher,
        "hostname": hostname,
        "data": {},
        "events": events,
    }


def _not_afk(windows: list[Event]) -> list[tuple[float, float]]:
    """Return the stretches at the computer: window spans joined across gaps of a few seconds."""
    stretches: list[list[float]] = []
    for span in sorted(windows, key=lambda e: e.start):
        if stretches and span.start <= stretches[-1][1] + AW_NOT_AFK_GAP_S:
            stretches[-1][1] = max(stretches[-1][1], span.end)
        else:
            stretches.append([span.start, span.end])
    return [(start, end) for start, end in stretches]


def activitywatch(events: Iterable[Event], hostname: str | None = None) -> Export:
    """Return window and away spans as ActivityWatch's export (`GET /api/0/export`).

    A window bucket (`currentwindow`: app and title as stored, so hashed titles stay hashes,
    marked `title_hashed`) and an AFK bucket (`afkstatus`): the away spans as `afk`, and the
    stretches between them with window activity as `not-afk`, which ActivityWatch's views need
    to count the time as active. Calendar and system spans have no ActivityWatch bucket.
    """
    host = hostname or socket.gethostname() or "unknown"
    windows: list[Event] = []
    away: list[Event] = []
    left_out: Counter[str] = Counter()
    for event in events:
        if event.source in AW_WINDOW_SOURCES:
            windows.append(event)
        elif event.source == "afk":
            away.append(event)
        else:
            left_out[event.source] += 1
    window_events = []
    for span in windows:
        data: dict[str, Any] = {"app": span.app, "title": span.title}
        if span.title_hashed:
            data["title_hashed"] = True
        window_events.append(_aw_event(span.start, span.duration, data))
    statuses = [(s.start, s.duration, "afk") for s in away]
    statuses += [(start, end - start, "not-afk") for start, end in _not_afk(windows)]
    afk_events = [
        _aw_event(start, duration, {"status": status})
        for start, duration, status in sorted(statuses)
    ]
    buckets = {}
    for watcher, kind, bucket_events in (
        ("aw-watcher-window", "currentwindow", window_events),
        ("aw-watcher-afk", "afkstatus", afk_events),
    ):
        if bucket_events:
            bucket = _aw_bucket(watcher, kind, host, bucket_events)
            buckets[bucket["id"]] = bucket
    text = json.dumps({"buckets": buckets}, indent=1, ensure_ascii=False) + "\n"
    return Export(text=text, spans=len(windows) + len(away), left_out=left_out)


def export(store: Store, fmt: str, hostname: str | None = None) -> Export:
    """Return the store's data in `fmt` (`hostname` names ActivityWatch's buckets)."""
    if fmt == "activitywatch":
        return activitywatch(store.all_events(), hostname)
    return Export(text=export_text(store, fmt), spans=store.event_count())


def export_text(store: Store, fmt: str) -> str:
    """Return every span in `fmt`; JSON adds suggestions, input per minute and the plan."""
    if fmt == "csv":
        return events_csv(store.all_events())
    if fmt == "activitywatch":
        return activitywatch(store.all_events()).text
    if fmt == "json":
        document = {
            "time_sculptor_export": EXPORT_VERSION,
            "exported_at": _iso(datetime.now(UTC).timestamp()),
            "events": [_event_json(event) for event in store.all_events()],
            "suggestions": [_suggestion_json(record) for record in store.suggestions()],
            # Input intensity per minute, from idle-time deltas only.
            "activity": [_activity_json(*minute) for minute in store.activity(-math.inf, math.inf)],
            # The plan: each item as declared (removed ones too), every block and how it went.
            "plan": {
                "items": store.plan_items(include_removed=True),
                "blocks": [_block_json(block) for block in store.plan_blocks(-math.inf, math.inf)],
            },
        }
        return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")


def write_export(path: Path, text: str) -> Path:
    """Write an export to `path` whole or not at all, readable by the user alone (0600).

    The text goes to a temporary file beside the target, which replaces the target in one
    rename: on a full disk the previous export stays as it was.
    """
    return files.write_private(path, text.encode("utf-8"))
