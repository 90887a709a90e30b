"""Reading other tools' activity files into spans: ActivityWatch exports, CSV logs, iCalendar.

Parsing only: every function here returns spans (or raises `ImportFailed` with one line that
names the file, the place and the reason) and never touches the database; `import_file` hands
the spans to `Store.import_events`, which adds them in one transaction, skipping spans that an
earlier import of the same content already added.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import os
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from desktop.config import Config
from desktop.store import Event, ImportResult, Store
from edge_model import categories, files

FORMATS = ("activitywatch", "csv", "ics")
SUFFIXES = {".json": "activitywatch", ".csv": "csv", ".ics": "ics", ".ical": "ics"}
SOURCES = ("window", "afk", "calendar", "system", "import")
# ActivityWatch's own queries flood gaps up to 5 s between window events (aw-core's flood()).
AW_PULSETIME_S = 5.0
# More calendar entries than this in one import means a runaway repeat (FREQ=MINUTELY...).
MAX_OCCURRENCES = 50_000
# One series repeating more often than this in the import window (every minute, every hour of
# a year: 11k) is left out of the import and named in its summary; the rest is imported.
MAX_REPEATS = 20_000
# Pieces shorter than this, left where an away span cuts a window span, carry no real time.
MIN_SPAN_S = 0.001
# The longest file read per format (the whole file is parsed in memory): about ten years of
# ActivityWatch history, far more than any calendar.
MAX_BYTES = {"activitywatch": 1024 * files.MIB, "csv": 1024 * files.MIB, "ics": 64 * files.MIB}
# Spans outside these bounds cannot be shown, exported or featurized (local times of year 0 or
# 10000 do not exist): refused at the edge with their line instead of stored.
MIN_TIME = datetime(1970, 1, 2, tzinfo=UTC).timestamp()
MAX_TIME = datetime(9998, 12, 31, tzinfo=UTC).timestamp()
MAX_SPAN_S = 366 * 86400.0
# Expanding a calendar's repeats (counting them, then building them) stops past this much time.
MAX_EXPAND_S = 10.0


class ImportFailed(ValueError):
    """A file that cannot be imported; the message is one line: file, place, reason."""

    def __init__(self, file: str, where: str, reason: str) -> None:
        self.file, self.where, self.reason = file, where, reason
        text = f"{file}: {where}: {reason}" if where else f"{file}: {reason}"
        super().__init__(" ".join(text.split()))  # one line, whatever the reason contained


@dataclass
class Parsed:
    """Spans read from a file, and what was left out of it and why (reason -> count)."""

    events: list[Event]
    skipped: Counter[str] = field(default_factory=Counter)
    # From the app's own JSON export: suggestions with their outcomes, input per minute.
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    activity: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    """What importing a file did, for the one-line report."""

    file: str
    format: str
    added: int
    duplicates: int
    in_file: dict[str, int]  # source -> spans the file holds
    skipped: dict[str, int]  # reason -> entries of the file left out
    extras: dict[str, int] = field(default_factory=dict)  # export: suggestions, minutes added

    def line(self) -> str:
        """Return the one-line summary printed after a successful import."""
        total = sum(self.in_file.values())
        sources = ", ".join(f"{n} {source}" for source, n in sorted(self.in_file.items()))
        text = f"{self.file}: added {self.added} of {total} spans"
        text += f" ({sources})" if sources else ""
        text += f", {self.duplicates} already imported"
        if self.extras:
            text += ", " + ", ".join(f"{n} {what}" for what, n in self.extras.items())
        if self.skipped:
            text += "; skipped " + ", ".join(f"{n} {why}" for why, n in self.skipped.items())
        return text

    def added_nothing(self) -> str | None:
        """Return why nothing was added, or None when something was (or the file was empty)."""
        if self.added or any(self.extras.values()):
            return None
        total = sum(self.in_file.values())
        if total and self.duplicates == total:
            return f"{self.file}: nothing new: all {total} spans are already in the store"
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in self.skipped.items())
            return f"{self.file}: nothing imported: every entry was left out ({reasons})"
        return None


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_span(name: str, where: str, start: float, duration: float) -> None:
    """Refuse a span the app could not read back (year 0, a duration of 10^300 s)."""
    if not MIN_TIME <= start <= MAX_TIME:
        raise ImportFailed(name, where, "time outside 1970..9998")
    if not 0 <= duration <= MAX_SPAN_S:
        raise ImportFailed(name, where, f"duration {_short(duration)} s is not 0..{MAX_SPAN_S:.0f}")


def guess_format(path: Path) -> str:
    """Return the import format a file name implies, or raise ImportFailed."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ImportFailed(
            str(path),
            "",
            "cannot tell the format from the name; pass --format " + "|".join(FORMATS),
        )
    return fmt


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(name, f"line {line}", "not UTF-8 text") from None


def _epoch(moment: datetime, local_tz: tzinfo | None) -> float:
    """Return epoch seconds; a time without zone is local (the given zone, else the system's)."""
    if moment.tzinfo is None and local_tz is not None:
        moment = moment.replace(tzinfo=local_tz)
    return moment.timestamp()


def _finish(
    event: Event,
    config: Config,
    rules: tuple[categories.Rule, ...],
    seen: dict[tuple[str, str], str],
) -> Event:
    """Apply the user's exclusions and the category rules to an imported app span."""
    if event.source in ("afk", "calendar"):
        return event
    if config.is_excluded(event.app):
        # Exactly what the collector records for an excluded app: nothing but the time.
        return replace(event, app="excluded", title="", title_hashed=False, category="unknown")
    if event.category == categories.UNKNOWN:
        key = (event.app, "" if event.title_hashed else event.title)
        if key not in seen:  # logs repeat a few apps thousands of times
            seen[key] = categories.categorize(key[0], key[1], rules)
        return replace(event, category=seen[key])
    return event


# --- ActivityWatch ---------------------------------------------------------------------------


def _aw_buckets(document: Any, name: str) -> dict[str, dict[str, Any]]:
    """Return bucket id -> bucket for a full export, a bucket export or a bare event list."""
    if isinstance(document, dict) and isinstance(document.get("buckets"), dict):
        return document["buckets"]
    if isinstance(document, dict) and "events" in document:
        return {str(document.get("id", "bucket")): document}
    if isinstance(document, list):
        # Events without their bucket (GET .../events): the data tells window from afk.
        data = [e.get("data") for e in document if isinstance(e, dict)]
        kind = (
            "afkstatus"
            if data and all(isinstance(d, dict) and "status" in d for d in data)
            else "currentwindow"
        )
        return {"events": {"type": kind, "events": document}}
    raise ImportFailed(
        name, "$", 'not an ActivityWatch export (expected {"buckets": {...}} or a bucket)'
    )


# Bucket types whose events are window spans (aw-watcher-window's, and other dashboards').
WINDOW_TYPES = ("currentwindow", "window", "app.window")


def _bucket_kind(bucket: dict[str, Any]) -> str | None:
    """Return "currentwindow", "afkstatus" or None (not activity this app reads)."""
    kind = bucket.get("type")
    if kind in WINDOW_TYPES:
        return "currentwindow"
    if kind == "afkstatus":
        return kind
    # Any other bucket whose events all carry an app and a title (or an afk status) is read
    # as such: the data says what the events are, whatever the bucket is called.
    events = bucket.get("events")
    if not isinstance(events, list) or not events:
        return None
    data = [e.get("data") if isinstance(e, dict) else None for e in events]
    if all(isinstance(d, dict) and isinstance(d.get("app"), str) and "title" in d for d in data):
        return "currentwindow"
    if all(isinstance(d, dict) and d.get("status") in ("afk", "not-afk") for d in data):
        return "afkstatus"
    return None


@dataclass
class _Interval:
    start: float
    end: float
    app: str = ""
    title: str = ""
    hashed: bool = False  # the title is this app's hash (its own ActivityWatch export)


def _aw_events(bucket: dict[str, Any], path: str, name: str, kind: str) -> Iterator[_Interval]:
    events = bucket.get("events")
    if not isinstance(events, list):
        raise ImportFailed(name, f"{path}.events", "missing or not a list")
    for index, event in enumerate(events):
        where = f"{path}.events[{index}]"
        if not isinstance(event, dict):
            raise ImportFailed(name, where, "not an object")
        stamp, duration, data = event.get("timestamp"), event.get("duration"), event.get("data")
        if not isinstance(stamp, str):
            raise ImportFailed(name, f"{where}.timestamp", "missing or not a string")
        try:
            start = datetime.fromisoformat(stamp)
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)  # ActivityWatch stores UTC
            begin = start.timestamp()
        except (ValueError, OverflowError, OSError):
            raise ImportFailed(name, f"{where}.timestamp", f"bad time {_short(stamp)}") from None
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or not math.isfinite(duration)
            or duration < 0
        ):
            raise ImportFailed(name, f"{where}.duration", f"bad duration {_short(duration)}")
        if not isinstance(data, dict):
            raise ImportFailed(name, f"{where}.data", "missing or not an object")
        _check_span(name, where, begin, float(duration))
        if kind == "currentwindow":
            app, title = data.get("app"), data.get("title", "")
            if not isinstance(app, str):
                raise ImportFailed(name, f"{where}.data.app", "missing or not a string")
            if not isinstance(title, str):
                raise ImportFailed(name, f"{where}.data.title", "not a string")
            yield _Interval(begin, begin + duration, app, title, data.get("title_hashed") is True)
        else:
            status = data.get("status")
            if status not in ("afk", "not-afk"):
                raise ImportFailed(name, f"{where}.data.status", f"bad status {_short(status)}")
            if status == "afk":
                yield _Interval(begin, begin + duration)


def _flood(windows: list[_Interval]) -> list[_Interval]:
    """Fill gaps of up to 5 s and merge touching same-window events, as aw-core's flood() does.

    The watcher heartbeats once a second, so a zero-length event followed by the next one a
    second later was a second in that window: real time that ActivityWatch's own views count.
    """
    ordered = sorted(windows, key=lambda w: (w.start, w.end))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if 0.0 < second.start - first.end <= AW_PULSETIME_S:
            first.end = second.start
    merged: list[_Interval] = []
    for window in ordered:
        last = merged[-1] if merged else None
        if (
            last is not None
            and (last.app, last.title, last.hashed) == (window.app, window.title, window.hashed)
            and window.start <= last.end + 1e-6
        ):
            last.end = max(last.end, window.end)
        else:
            merged.append(
                _Interval(window.start, window.end, window.app, window.title, window.hashed)
            )
    return [w for w in merged if w.end - w.start >= MIN_SPAN_S]


def _union(intervals: Iterable[_Interval]) -> list[_Interval]:
    """Merge overlapping or touching intervals (the afk watcher writes nested duplicates)."""
    merged: list[_Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end + 1e-6:
            merged[-1].end = max(merged[-1].end, interval.end)
        else:
            merged.append(_Interval(interval.start, interval.end))
    return [i for i in merged if i.end - i.start >= MIN_SPAN_S]


def _cut(windows: list[_Interval], away: list[_Interval]) -> list[_Interval]:
    """Return the window time outside the away intervals (which are sorted and disjoint)."""
    starts = [a.start for a in away]
    pieces: list[_Interval] = []
    for window in windows:
        cursor = window.start
        # The away interval before the window may still reach into it.
        index = max(bisect.bisect_right(starts, window.start) - 1, 0)
        while index < len(away) and away[index].start < window.end:
            gap = away[index]
            if gap.end > cursor:
                if gap.start > cursor:
                    pieces.append(replace(window, start=cursor, end=gap.start))
                cursor = max(cursor, gap.end)
            index += 1
        if cursor < window.end:
            pieces.append(replace(window, start=cursor))
    return [p for p in pieces if p.end - p.start >= MIN_SPAN_S]


def _load_json(data: bytes, name: str) -> Any:
    try:
        return json.loads(_decode(data, name))
    except json.JSONDecodeError as exc:
        raise ImportFailed(name, f"line {exc.lineno} column {exc.colno}", exc.msg) from None
    except RecursionError:
        raise ImportFailed(name, "", "JSON nested too deeply to be an export") from None


def parse_activitywatch(data: bytes, name: str) -> Parsed:
    """Return the spans of a JSON file: an ActivityWatch export, or this app's own export.

    ActivityWatch: window spans (minus away time, per host) and away spans.
    """
    document = _load_json(data, name)
    if isinstance(document, dict) and "time_sculptor_export" in document:
        return parse_export(document, name)
    buckets = _aw_buckets(document, name)
    windows: dict[str, list[_Interval]] = {}
    away: dict[str, list[_Interval]] = {}
    parsed = Parsed(events=[])
    for bucket_id, bucket in buckets.items():
        path = f"$.buckets[{json.dumps(bucket_id)}]"
        if not isinstance(bucket, dict):
            raise ImportFailed(name, path, "not an object")
        kind = _bucket_kind(bucket)
        # Window and afk buckets of one machine belong together: the hostname, else the id's
        # suffix (aw-watcher-window_HOST).
        host = str(bucket.get("hostname") or bucket_id.rpartition("_")[2])
        if kind == "currentwindow":
            windows.setdefault(host, []).extend(_aw_events(bucket, path, name, kind))
        elif kind == "afkstatus":
            away.setdefault(host, []).extend(_aw_events(bucket, path, name, kind))
        else:
            events = bucket.get("events")
            count = len(events) if isinstance(events, list) else 0
            named = bucket.get("type") or "no type"
            parsed.skipped[f"events in bucket {bucket_id} ({named})"] += count
    for host, host_windows in windows.items():
        host_away = _union(away.get(host, []))
        for piece in _cut(_flood(host_windows), host_away):
            parsed.events.append(
                Event(
                    start=piece.start,
                    duration=piece.end - piece.start,
                    source="window",
                    app=piece.app,
                    title=piece.title,
                    title_hashed=piece.hashed and bool(piece.title),
                )
            )
    for host_away in away.values():
        parsed.events.extend(
            Event(
                start=a.start,
                duration=a.end - a.start,
                source="afk",
                category=categories.AWAY,
            )
            for a in _union(host_away)
        )
    return parsed


# --- the app's own JSON export ---------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _export_event(row: Any, name: str, where: str) -> Event:
    if not isinstance(row, dict):
        raise ImportFailed(name, where, "not an object")
    start: Any = row.get("start_epoch")
    duration: Any = row.get("duration")
    if not _number(start):
        raise ImportFailed(name, f"{where}.start_epoch", f"bad time {_short(start)}")
    if not _number(duration):
        raise ImportFailed(name, f"{where}.duration", f"bad duration {_short(duration)}")
    _check_span(name, where, float(start), float(duration))
    source, category = row.get("source"), row.get("category", categories.UNKNOWN)
    if source not in SOURCES:
        raise ImportFailed(name, f"{where}.source", f"unknown source {_short(source)}")
    if category not in categories.CATEGORIES or category == categories.PAD:
        raise ImportFailed(name, f"{where}.category", f"unknown category {_short(category)}")
    app, title, hashed = row.get("app", ""), row.get("title", ""), row.get("title_hashed", False)
    data = row.get("data", {})
    if not isinstance(app, str) or not isinstance(title, str):
        raise ImportFailed(name, where, "app and title must be strings")
    if not isinstance(hashed, bool) or not isinstance(data, dict):
        raise ImportFailed(name, where, "title_hashed must be true/false and data an object")
    return Event(
        start=float(start),
        duration=float(duration),
        source=source,
        app=app,
        title=title,
        category=category,
        data=data,
        title_hashed=hashed and bool(title),
    )


SUGGESTION_FIELDS = {
    "created_at": float,
    "kind": str,
    "text": str,
    "explanation": str,
    "model_version": str,
    "features": dict,
    "score": float,
    "propensity": float,
}


def _export_suggestion(row: Any, name: str, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ImportFailed(name, where, "not an object")
    record: dict[str, Any] = {}
    for key, kind in SUGGESTION_FIELDS.items():
        value: Any = row.get(key)
        if kind is float and not _number(value):
            raise ImportFailed(name, f"{where}.{key}", f"not a number: {_short(value)}")
        if kind is not float and not isinstance(value, kind):
            raise ImportFailed(name, f"{where}.{key}", f"missing or not a {kind.__name__}")
        record[key] = float(value) if kind is float else value
    _check_span(name, where, record["created_at"], 0.0)
    outcome, at = row.get("outcome"), row.get("outcome_at")
    if outcome is not None and (not isinstance(outcome, str) or not _number(at)):
        raise ImportFailed(name, f"{where}.outcome", "an outcome needs its outcome_at time")
    record["outcome"], record["outcome_at"] = outcome, at
    return record


def parse_export(document: dict[str, Any], name: str) -> Parsed:
    """Return the spans, suggestions and input minutes of this app's own JSON export."""
    version = document.get("time_sculptor_export")
    if version != 1:
        raise ImportFailed(name, "$.time_sculptor_export", f"unknown export version {version!r}")
    parsed = Parsed(events=[])
    for key in ("events", "suggestions", "activity"):
        if not isinstance(document.get(key, []), list):
            raise ImportFailed(name, f"$.{key}", "not a list")
    for index, row in enumerate(document.get("events", [])):
        parsed.events.append(_export_event(row, name, f"$.events[{index}]"))
    for index, row in enumerate(document.get("suggestions", [])):
        parsed.suggestions.append(_export_suggestion(row, name, f"$.suggestions[{index}]"))
    for index, row in enumerate(document.get("activity", [])):
        where = f"$.activity[{index}]"
        values: list[Any] = [row.get(k) if isinstance(row, dict) else None for k in _ACTIVITY_KEYS]
        if not all(_number(v) for v in values):
            raise ImportFailed(name, where, f"expected numbers {', '.join(_ACTIVITY_KEYS)}")
        _check_span(name, where, float(values[0]), 60.0)
        parsed.activity.append((float(values[0]), float(values[1]), float(values[2])))
    return parsed


_ACTIVITY_KEYS = ("minute_epoch", "active_s", "covered_s")


# --- CSV -------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes"}
_FALSE = {"", "0", "false", "no"}


def zone_name(local_tz: tzinfo | None = None) -> str:
    """Return the name of the zone floating times are read in (the system's when None)."""
    if local_tz is not None:
        return str(getattr(local_tz, "key", None) or local_tz)
    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return datetime.now().astimezone().tzname() or "local"


def _floating(moment: datetime, local_tz: tzinfo | None, previous: float | None) -> float:
    """Return epoch seconds of a time without zone, read in the zone at import.

    In the hour an autumn clock change repeats, the first pass is read before the change and
    the second after it: a log is in time order, so a time earlier than the row before it
    belongs to the repeated hour.
    """
    early = _epoch(moment.replace(fold=0), local_tz)
    late = _epoch(moment.replace(fold=1), local_tz)
    if late > early and previous is not None and previous > early:
        return late
    return early


def _csv_time(value: str) -> datetime | float:
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    try:
        return float(text)  # epoch seconds
    except ValueError:
        return datetime.fromisoformat(text)


def parse_csv(
    data: bytes, name: str, *, max_gap_s: float = 1800.0, local_tz: tzinfo | None = None
) -> Parsed:
    """Return the spans of a CSV log (`timestamp,app[,title,duration,category,source,...]`).

    One layout for import, `export --format csv` and `demo --day`: the time column is
    `timestamp` (or `start`), ISO 8601 or epoch seconds; a time without zone is floating and
    read in `local_tz` (the system's zone at import), which each span records with the time
    as written, so that importing the same file again under another zone adds nothing. A row
    without a duration lasts until the next row, at most `max_gap_s`; one replaced at the same
    moment, and the last one, have no length and are skipped.
    """
    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""))
    zone = zone_name(local_tz)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFailed(name, "line 1", "empty file; expected a header timestamp,app")
        columns = [column.strip().lower() for column in header]
        if "timestamp" not in columns and "start" in columns:
            columns[columns.index("start")] = "timestamp"
        for needed in ("timestamp", "app"):
            if needed not in columns:
                raise ImportFailed(
                    name, "line 1", f"no {needed!r} column in header {_short(header, 80)}"
                )
        if len(set(columns)) != len(columns):
            raise ImportFailed(name, "line 1", "a column appears twice in the header")
        rows: list[tuple[float, float | None, Event]] = []
        previous: float | None = None
        for row in reader:
            line = reader.line_num
            if not row or row == [""]:
                continue
            if len(row) != len(columns):
                raise ImportFailed(
                    name, f"line {line}", f"{len(row)} field(s), the header has {len(columns)}"
                )
            if any("\x00" in cell for cell in row):
                raise ImportFailed(name, f"line {line}", "NUL byte (a damaged file?)")
            cells = dict(zip(columns, row, strict=True))
            parsed_row = _csv_row(cells, name, line, local_tz, zone, previous)
            previous = parsed_row[0]
            rows.append(parsed_row)
    except csv.Error as exc:
        raise ImportFailed(name, f"line {reader.line_num}", f"unreadable CSV: {exc}") from None
    rows.sort(key=lambda r: r[0])  # stable: rows at the same moment keep their file order
    parsed = Parsed(events=[])
    for index, (start, duration, event) in enumerate(rows):
        if duration is None:
            if index + 1 == len(rows):
                parsed.skipped["last row without a duration (length unknown)"] += 1
                continue
            duration = min(rows[index + 1][0] - start, max_gap_s)
            if duration <= 0:
                parsed.skipped["rows replaced at the same moment"] += 1
                continue
        parsed.events.append(replace(event, start=start, duration=duration))
    return parsed


def _csv_row(
    cells: dict[str, str],
    name: str,
    line: int,
    local_tz: tzinfo | None,
    zone: str,
    previous: float | None,
) -> tuple[float, float | None, Event]:
    where = f"line {line}"
    extra: dict[str, Any] = {}
    try:
        moment = _csv_time(cells["timestamp"])
        if isinstance(moment, float):
            start = moment
        elif moment.tzinfo is None:
            start = _floating(moment, local_tz, previous)
            # What the file said and how it was read: a later import under another zone
            # recognises the span by it.
            extra = {"local_time": moment.isoformat(), "zone": zone}
            if start != _epoch(moment.replace(fold=0), local_tz):
                extra["fold"] = 1  # the second pass of a repeated hour
        else:
            start = moment.timestamp()
    except (ValueError, OverflowError, OSError):
        raise ImportFailed(name, where, f"bad timestamp {_short(cells['timestamp'])}") from None
    if not math.isfinite(start) or not MIN_TIME <= start <= MAX_TIME:
        raise ImportFailed(
            name, where, f"timestamp {_short(cells['timestamp'])} outside 1970..9998"
        )
    duration: float | None = None
    if cells.get("duration", "").strip():
        try:
            duration = float(cells["duration"])
        except ValueError:
            duration = math.nan
        if not math.isfinite(duration) or not 0 <= duration <= MAX_SPAN_S:
            raise ImportFailed(name, where, f"bad duration {_short(cells['duration'])}")
        _check_span(name, where, start, duration)
    source = cells.get("source", "").strip() or "window"
    if source not in SOURCES:
        raise ImportFailed(name, where, f"unknown source {_short(source)}; expected {SOURCES}")
    app = cells["app"].strip()
    if not app and source not in ("afk", "calendar"):
        raise ImportFailed(name, where, "empty app")
    category = cells.get("category", "").strip()
    if not category:
        category = {"afk": categories.AWAY, "calendar": "meetings"}.get(source, categories.UNKNOWN)
    elif category not in categories.CATEGORIES or category == categories.PAD:
        raise ImportFailed(name, where, f"unknown category {_short(category)}")
    hashed = cells.get("title_hashed", "").strip().lower()
    if hashed not in _TRUE | _FALSE:
        raise ImportFailed(name, where, f"bad title_hashed {_short(hashed)}; expected 0 or 1")
    event = Event(
        start=start,
        duration=duration or 0.0,
        source=source,
        app=app,
        title=cells.get("title", ""),
        category=category,
        data=extra,
        title_hashed=hashed in _TRUE,
    )
    return start, duration, event


# --- iCalendar -------------------------------------------------------------------------------

# NAME *(";" param) ":" value, RFC 5545 3.1; parameter values may be quoted (and hold colons).
_CONTENT_LINE = re.compile(
    r'[A-Za-z0-9-]+(?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*:'
)


def _ics_scan(text: str, name: str) -> list[dict[str, int]]:
    """Check the content lines and BEGIN/END nesting; return each VEVENT's property lines."""
    stack: list[tuple[str, int]] = []
    vevents: list[dict[str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line[0] in " \t":
            continue  # blank, or folded onto the previous line
        match = _CONTENT_LINE.match(line)
        if match is None:
            raise ImportFailed(name, f"line {number}", f"not an iCalendar line: {_short(line)}")
        prop = match.group(0).split(";")[0].rstrip(":").upper()
        value = line[match.end() :].strip().upper()
        if prop == "BEGIN":
            stack.append((value, number))
            if value == "VEVENT":
                vevents.append({"BEGIN": number})
        elif prop == "END":
            if not stack or stack[-1][0] != value:
                expected = f"END:{stack[-1][0]}" if stack else "nothing"
                raise ImportFailed(name, f"line {number}", f"END:{value} where {expected} was due")
            stack.pop()
            if not stack:
                break  # what follows the calendar is not ours to judge
        elif not stack:
            raise ImportFailed(name, f"line {number}", "content outside BEGIN:VCALENDAR")
        elif stack[-1][0] == "VEVENT":
            vevents[-1].setdefault(prop, number)
    if stack:
        component, opened = stack[-1]
        raise ImportFailed(
            name, "end of file", f"BEGIN:{component} on line {opened} never ends (truncated?)"
        )
    if not vevents and "BEGIN:VCALENDAR" not in text.upper():
        raise ImportFailed(name, "line 1", "not an iCalendar file (no BEGIN:VCALENDAR)")
    return vevents


def _ics_check(component: Any, prop: str) -> None:
    """Read a property the way the expansion will, so that a broken one fails here, located."""
    values = component.get(prop)
    for value in values if isinstance(values, list) else [values]:
        if value is None:
            continue
        if getattr(value, "parse_error", None):  # icalendar's vBroken: kept unparsed
            raise ValueError(f"{value.parse_error}: {_short(str(value))}")
        if prop == "RRULE":
            from dateutil import rrule

            rrule.rrulestr(value.to_ical().decode(), dtstart=component["DTSTART"].dt)
            for until in value.get("UNTIL", []):
                _check_year(until)
        elif hasattr(value, "dts"):
            for inner in value.dts:
                _check_year(inner.dt)
        else:
            _check_year(value.dt)


def _check_year(value: Any) -> None:
    """Refuse a date the import window cannot be computed around (year 0001, year 9999)."""
    if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}")


MIN_YEAR, MAX_YEAR = 1971, 9000


def _as_datetime(value: date | datetime, local_tz: tzinfo | None) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return datetime.fromtimestamp(_epoch(value, local_tz), UTC)
    return value


def _bound_repeats(component: Any, window_end: datetime, local_tz: tzinfo | None) -> None:
    """Make a VEVENT's RRULE stop at the import window's end (an UNTIL, or an earlier one).

    Without it dateutil searches for the next match until the year 9999 when there is none
    (FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30) and expands endless repeats far past the window.
    """
    rule = component["RRULE"]
    start = component["DTSTART"].dt
    if isinstance(start, datetime) and start.tzinfo is not None:
        bound: date | datetime = window_end.astimezone(UTC)  # RFC 5545: UNTIL in UTC
    else:  # floating (or a date): UNTIL in the same local terms
        bound = window_end.astimezone(local_tz).replace(tzinfo=None)
        if not isinstance(start, datetime):
            bound = bound.date()
    until = rule.get("UNTIL")
    if until and _as_datetime(until[0], local_tz) <= _as_datetime(bound, local_tz):
        return
    rule["UNTIL"] = [bound]


class _TooSlow(Exception):
    """Expanding the calendar's repeats ran past MAX_EXPAND_S."""


# Parts of an RRULE that pick days; with a sub-daily FREQ they can pick none at all
# (BYMONTH=2;BYMONTHDAY=30), and dateutil then walks every second of the window looking.
_DAY_PARTS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY")


def _has_a_day(rule_text: str, start: datetime) -> bool:
    """Return whether the days a sub-daily RRULE allows include one before its UNTIL.

    The rule at FREQ=YEARLY with only its day parts and UNTIL allows every day the rule can
    meet (and more): a walk of years instead of seconds. (dateutil checks UNTIL only against
    a match, so a rule that never matches runs to the year 9999: one step a year is 0.2 s.)
    """
    from dateutil import rrule

    parts = dict(part.split("=", 1) for part in rule_text.split(";") if "=" in part)
    if parts.get("FREQ") not in ("HOURLY", "MINUTELY", "SECONDLY"):
        return True
    if not any(part in parts for part in _DAY_PARTS):
        return True
    days = ";".join(f"{key}={parts[key]}" for key in (*_DAY_PARTS, "UNTIL", "WKST") if key in parts)
    yearly = rrule.rrulestr(
        "FREQ=YEARLY;" + days, dtstart=start.replace(hour=0, minute=0, second=0)
    )
    return next(iter(yearly), None) is not None


def _repeats_in_window(component: Any, limit: int, deadline: float) -> int:
    """Return how often a VEVENT's RRULE repeats up to its UNTIL (`limit` + 1 at most).

    Counted with dateutil alone, which is cheap: recurring_ical_events builds a component per
    occurrence. DTSTART is inside the window (it begins `past_days` before the earliest one).
    Raises _TooSlow once `deadline` (time.monotonic) has passed.
    """
    from dateutil import rrule

    start = component["DTSTART"].dt
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    text = component["RRULE"].to_ical().decode()
    if time.monotonic() > deadline:
        raise _TooSlow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # COUNT and our UNTIL together
        if not _has_a_day(text, start):
            return 0
        rule = rrule.rrulestr(text, dtstart=start)
        count = 0
        for _ in rule:
            count += 1
            if count > limit:
                break
            if count % 512 == 0 and time.monotonic() > deadline:
                raise _TooSlow
    return count


def parse_ics(
    data: bytes,
    name: str,
    *,
    now: float,
    past_days: float = 90.0,
    future_days: float = 365.0,
    local_tz: tzinfo | None = None,
) -> Parsed:
    """Return a calendar's timed events as "meetings" spans, repeats expanded over a window.

    The window runs from `past_days` before the earliest event to `future_days` after `now`;
    times carry their TZID or UTC, and floating times are local. All-day entries are skipped
    (one count per entry, however often it repeats); a series repeating more than MAX_REPEATS
    times in the window is left out and counted in `skipped`; more than MAX_OCCURRENCES
    meetings in all is refused.
    """
    import icalendar  # imported here: only this command needs it
    import recurring_ical_events

    text = _decode(data, name)
    lines = _ics_scan(text, name)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError) as exc:
        raise ImportFailed(name, "", f"unreadable calendar: {exc}") from None
    # icalendar's per-property unions are wider than what a VEVENT's DTSTART can hold.
    components: list[Any] = list(calendar.walk("VEVENT"))
    earliest = datetime.fromtimestamp(now, UTC)
    for index, component in enumerate(components):

        def fail(prop: str, reason: str, number: int = index) -> ImportFailed:
            props = lines[number] if number < len(lines) else {}
            line = props.get(prop, props.get("BEGIN"))
            return ImportFailed(name, f"line {line}" if line else f"VEVENT {number + 1}", reason)

        if "DTSTART" not in component:
            raise fail("BEGIN", "VEVENT without DTSTART")
        for single in ("DTSTART", "DTEND", "DURATION", "RRULE", "RECURRENCE-ID"):
            if isinstance(component.get(single), list):
                raise fail(single, f"{single} appears more than once in one VEVENT")
        for prop in ("DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RDATE", "RECURRENCE-ID"):
            try:
                _ics_check(component, prop)
            except Exception as exc:  # icalendar defers its parse errors to first access
                raise fail(prop, f"bad {prop}: {exc}") from None
        earliest = min(earliest, _as_datetime(component["DTSTART"].dt, local_tz))
    window_start = earliest - timedelta(days=past_days)
    window_end = datetime.fromtimestamp(now, UTC) + timedelta(days=future_days)
    parsed = Parsed(events=[])

    # Before anything is expanded: all-day entries are set aside whole (they never become
    # spans, so an endless FREQ=MINUTELY holiday costs nothing), every repeat stops at the
    # window's end, and a series repeating more than MAX_REPEATS times in the window is left
    # out (named in the summary) instead of being expanded into hundreds of thousands of
    # meetings or hanging the import.
    def series(index: int, component: Any) -> str:
        return str(component.get("UID", f"\x00{index}"))  # no UID: a series of its own

    # Counted as they are met, across every series: a small file of many long series is
    # refused as soon as their sum passes MAX_OCCURRENCES, and the whole expansion (counting,
    # then building the meetings) stops at MAX_EXPAND_S.
    too_many = ImportFailed(
        name,
        "",
        f"repeats to more than {MAX_OCCURRENCES} events in the import window;"
        " lower calendar_past_days / calendar_future_days",
    )
    too_slow = ImportFailed(
        name, "", f"its repeats take over {MAX_EXPAND_S:.0f} s to expand; refused as a runaway"
    )
    deadline = time.monotonic() + MAX_EXPAND_S
    dropped: set[str] = set()
    total = 0
    for index, component in enumerate(components):
        uid = series(index, component)
        if not isinstance(component["DTSTART"].dt, datetime) and "RECURRENCE-ID" not in component:
            parsed.skipped["all-day events"] += 1
            dropped.add(uid)
        elif "RRULE" in component:
            _bound_repeats(component, window_end, local_tz)
            try:
                count = _repeats_in_window(component, MAX_REPEATS, deadline)
            except _TooSlow:
                raise too_slow from None
            if count > MAX_REPEATS:
                parsed.skipped[f"events repeating over {MAX_REPEATS} times (left out)"] += 1
                dropped.add(uid)
            elif count == 0:
                parsed.skipped["repeating events that never occur"] += 1
                dropped.add(uid)
            else:
                total += count
        else:
            total += 1
        if total > MAX_OCCURRENCES:
            raise too_many
    if dropped:
        gone = {id(c) for index, c in enumerate(components) if series(index, c) in dropped}
        calendar.subcomponents = [c for c in calendar.subcomponents if id(c) not in gone]
    occurrences: list[Any] = []
    try:
        with warnings.catch_warnings():
            # A COUNT with the window's UNTIL added: dateutil stops at whichever comes first
            # and warns that RFC 5545 does not allow both (the file had only the COUNT).
            warnings.simplefilter("ignore", DeprecationWarning)
            # One `between` over the window: the counts above bound what it builds, and it
            # is linear in the occurrences, where walking `after` re-expands a growing
            # window again and again (7-27 s against 1 s for a year of hourly repeats).
            for occurrence in recurring_ical_events.of(calendar).between(window_start, window_end):
                occurrences.append(occurrence)
                if len(occurrences) > MAX_OCCURRENCES:
                    raise too_many
            if time.monotonic() > deadline:
                raise too_slow
    except ImportFailed:
        raise
    except Exception as exc:  # the library's errors name no line; the reason still helps
        raise ImportFailed(name, "", f"cannot expand the repeats: {exc}") from None
    occurrences.sort(key=lambda occurrence: _as_datetime(occurrence["DTSTART"].dt, local_tz))
    for occurrence in occurrences:
        event: Any = occurrence
        begin = event["DTSTART"].dt
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            parsed.skipped["cancelled events"] += 1
            continue
        if not isinstance(begin, datetime):
            # All-day entries (holidays, out of office) are not hours spent in a meeting.
            parsed.skipped["all-day events"] += 1
            continue
        finish = event["DTEND"].dt if "DTEND" in event else begin
        start = _epoch(begin, local_tz)
        duration = _epoch(finish, local_tz) - start
        if duration <= 0:
            parsed.skipped["events without a length"] += 1
            continue
        if duration > MAX_SPAN_S:
            parsed.skipped["events longer than a year"] += 1
            continue
        parsed.events.append(
            Event(
                start=start,
                duration=duration,
                source="calendar",
                app="calendar",
                title=str(event.get("SUMMARY", "")),
                category="meetings",
            )
        )
    return parsed


# --- the command -----------------------------------------------------------------------------


def parse_file(
    path: Path,
    fmt: str,
    config: Config,
    *,
    now: float,
    local_tz: tzinfo | None = None,
) -> Parsed:
    """Return the spans of a file in one of FORMATS (raises ImportFailed, reads nothing else)."""
    name = str(path)
    if fmt not in FORMATS:
        raise ImportFailed(name, "", f"unknown format {fmt!r}; expected one of {FORMATS}")
    try:
        # Never blocks (a FIFO) nor reads without end (a link to /dev/zero).
        data = files.read_regular(path, MAX_BYTES[fmt])
    except files.UnsafeFile as exc:
        raise ImportFailed(name, "", str(exc)) from None
    except OSError as exc:
        raise ImportFailed(name, "", exc.strerror or str(exc)) from None
    if fmt == "activitywatch":
        return parse_activitywatch(data, name)
    if fmt == "csv":
        return parse_csv(data, name, max_gap_s=60.0 * config.import_max_gap_min, local_tz=local_tz)
    if fmt == "ics":
        return parse_ics(
            data,
            name,
            now=now,
            past_days=config.calendar_past_days,
            future_days=config.calendar_future_days,
            local_tz=local_tz,
        )
    raise ImportFailed(name, "", f"unknown format {fmt!r}; expected one of {FORMATS}")


def files_to_import(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Return (files to import, files passed over) for paths that may name directories.

    A directory stands for the files directly in it whose names say a format (.json, .csv,
    .ics), in name order; its other files are passed over. Named files are always kept.
    """
    chosen: list[Path] = []
    passed: list[Path] = []
    for path in paths:
        if path.is_dir():
            for item in sorted(path.iterdir()):
                if item.name.startswith("."):
                    continue
                wanted = item.suffix.lower() in SUFFIXES and not item.is_dir()
                (chosen if wanted else passed).append(item)
        else:
            chosen.append(path)
    return chosen, passed


def prepare(
    parsed: Parsed, config: Config, rules: tuple[categories.Rule, ...] = categories.DEFAULT_RULES
) -> list[Event]:
    """Return parsed spans with the user's exclusions and category rules applied."""
    seen: dict[tuple[str, str], str] = {}
    return [_finish(event, config, rules, seen) for event in parsed.events]


# Stored spans are compared with the file's a window of days at a time (bounded memory).
_CHUNK_S = 30 * 86400.0
# A floating time read in another zone lands at most this far from the first reading.
_ZONE_SPREAD_S = 27 * 3600.0
# Times written with microseconds (CSV, ISO) read back within this of the stored float.
_SAME_TIME_S = 2e-6


def _identity(store: Store, event: Event) -> tuple[str, str, str]:
    title = (
        event.title
        if event.title_hashed or not event.title
        else store.protect_title(event.title)[0]
    )
    return event.source, event.app, title


def _floating_key(identity: tuple[str, str, str], event: Event) -> tuple | None:
    local = event.data.get("local_time") if event.data else None
    if not isinstance(local, str):
        return None
    return (*identity, local, event.data.get("fold", 0), round(event.duration, 3))


def _drop_stored(store: Store, events: list[Event]) -> tuple[list[Event], int]:
    """Return the spans the store does not hold yet, and how many it does.

    The store's import keys catch a file imported again as it was; this also catches spans
    that reached the store another way: an export imported into the store it came from
    (collected spans carry no key, titles are hashes), and a CSV of floating times imported
    again under another time zone (recognised by the time as written).
    """
    fresh: list[Event] = []
    ordered = sorted(events, key=lambda e: e.start)
    index = 0
    while index < len(ordered):
        lo = ordered[index].start
        chunk = []
        while index < len(ordered) and ordered[index].start < lo + _CHUNK_S:
            chunk.append(ordered[index])
            index += 1
        sources = {e.source for e in chunk}
        hi = max(e.end for e in chunk)
        exact: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        floating: set[tuple] = set()
        for old in store.events(lo - _ZONE_SPREAD_S, hi + _ZONE_SPREAD_S, sources):
            identity = (old.source, old.app, old.title)
            exact.setdefault(identity, []).append((old.start, old.duration))
            key = _floating_key(identity, old)
            if key is not None:
                floating.add(key)
        for times in exact.values():
            times.sort()
        for event in chunk:
            identity = _identity(store, event)
            times = exact.get(identity, [])
            at = bisect.bisect_left(times, (event.start - _SAME_TIME_S, -math.inf))
            present = (
                any(
                    abs(start - event.start) <= _SAME_TIME_S
                    and abs(duration - event.duration) <= _SAME_TIME_S * 10
                    for start, duration in times[at : at + 8]
                )
                or _floating_key(identity, event) in floating
            )
            if not present:
                fresh.append(event)
    return fresh, len(events) - len(fresh)


def _store_extras(store: Store, parsed: Parsed) -> tuple[int, int]:
    """Add the export's suggestions and input minutes the store lacks; return how many."""
    added_suggestions = 0
    if parsed.suggestions:
        stored = {
            (round(r.created_at, 6), r.kind, r.model_version) for r in store.suggestions(-math.inf)
        }
        for record in parsed.suggestions:
            key = (round(record["created_at"], 6), record["kind"], record["model_version"])
            if key in stored:
                continue
            fields = {k: v for k, v in record.items() if k in SUGGESTION_FIELDS}
            suggestion_id = store.add_suggestion(**fields)
            if record["outcome"] is not None:
                store.record_feedback(suggestion_id, record["outcome"], record["outcome_at"])
            stored.add(key)
            added_suggestions += 1
    minutes = []
    if parsed.activity:
        lo = min(m[0] for m in parsed.activity)
        hi = max(m[0] for m in parsed.activity)
        have = {m for m, _, _ in store.activity(lo, hi + 1)}
        minutes = [m for m in parsed.activity if m[0] not in have]
        store.record_activity(minutes)
    return added_suggestions, len(minutes)


def store_parsed(
    store: Store,
    path: Path,
    fmt: str,
    parsed: Parsed,
    config: Config,
    rules: tuple[categories.Rule, ...] = categories.DEFAULT_RULES,
) -> ImportSummary:
    """Add parsed spans to the store in one transaction; return what it did.

    From the app's own export, its suggestions (with their outcomes) and input minutes that
    the store lacks are added too.
    """
    events = prepare(parsed, config, rules)
    fresh, present = _drop_stored(store, events)
    result: ImportResult = store.import_events(fresh)
    suggestions, minutes = _store_extras(store, parsed)
    return ImportSummary(
        file=str(path),
        format=fmt,
        added=result.added,
        duplicates=result.duplicates + present,
        in_file=dict(Counter(event.source for event in events)),
        skipped=dict(parsed.skipped),
        extras={"suggestions": suggestions, "input minutes": minutes}
        if parsed.suggestions or parsed.activity
        else {},
    )


def import_file(
    store: Store,
    path: Path,
    fmt: str,
    config: Config,
    rules: tuple[categories.Rule, ...] = categories.DEFAULT_RULES,
    *,
    now: float,
    local_tz: tzinfo | None = None,
) -> ImportSummary:
    """Import a file all-or-nothing (re-importing adds nothing); return what it did."""
    parsed = parse_file(path, fmt, config, now=now, local_tz=local_tz)
    return store_parsed(store, path, fmt, parsed, config, rules)
