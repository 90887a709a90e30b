"""Writing the user's data out: every span as CSV (re-importable) or JSON (with suggestions,
input activity per minute and the plan: its items, blocks and how each was kept).

Titles are written as stored: salted hashes unless the user opted in to clear titles. The CSV
marks hashed titles (`title_hashed`), so importing it keeps them as they are, and its columns
are the import format's, so an export re-imports into an empty store with the same spans.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.collect import activity
from desktop.store import Event, PlanBlock, Store, SuggestionRecord
from edge_model import files

FORMATS = ("json", "csv")
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


def export_text(store: Store, fmt: str) -> str:
    """Return every span in `fmt`; JSON adds suggestions, input per minute and the plan."""
    if fmt == "csv":
        return events_csv(store.all_events())
    if fmt == "json":
        document = {
            "time_sculptor_export": EXPORT_VERSION,
            "exported_at": _iso(datetime.now(UTC).timestamp()),
            "events": [_event_json(event) for event in store.all_events()],
            "suggestions": [_suggestion_json(record) for record in store.suggestions()],
            # Input intensity per minute, from idle-time deltas only (issue 3).
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
