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
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from desktop.config import Config
from desktop.store import Event, ImportResult, Store
from edge_model import categories

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


@dataclass(frozen=True)
class ImportSummary:
    """What importing a file did, for the one-line report."""

    file: str
    format: str
    added: int
    duplicates: int
    in_file: dict[str, int]  # source -> spans the file holds
    skipped: dict[str, int]  # reason -> entries of the file left out

    def line(self) -> str:
        """Return the one-line summary printed after a successful import."""
        total = sum(self.in_file.values())
        sources = ", ".join(f"{n} {source}" for source, n in sorted(self.in_file.items()))
        text = f"{self.file}: added {self.added} of {total} spans"
        text += f" ({sources})" if sources else ""
        text += f", {self.duplicates} already imported"
        if self.skipped:
            text += "; skipped " + ", ".join(f"{n} {why}" for why, n in self.skipped.items())
        return text


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


@dataclass
class _Interval:
    start: float
    end: float
    app: str = ""
    title: str = ""


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
        except ValueError:
            raise ImportFailed(name, f"{where}.timestamp", f"bad time {_short(stamp)}") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)  # ActivityWatch stores UTC
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or not math.isfinite(duration)
            or duration < 0
        ):
            raise ImportFailed(name, f"{where}.duration", f"bad duration {_short(duration)}")
        if not isinstance(data, dict):
            raise ImportFailed(name, f"{where}.data", "missing or not an object")
        begin = start.timestamp()
        if kind == "currentwindow":
            app, title = data.get("app"), data.get("title", "")
            if not isinstance(app, str):
                raise ImportFailed(name, f"{where}.data.app", "missing or not a string")
            if not isinstance(title, str):
                raise ImportFailed(name, f"{where}.data.title", "not a string")
            yield _Interval(begin, begin + duration, app, title)
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
            and (last.app, last.title) == (window.app, window.title)
            and window.start <= last.end + 1e-6
        ):
            last.end = max(last.end, window.end)
        else:
            merged.append(_Interval(window.start, window.end, window.app, window.title))
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
                    pieces.append(_Interval(cursor, gap.start, window.app, window.title))
                cursor = max(cursor, gap.end)
            index += 1
        if cursor < window.end:
            pieces.append(_Interval(cursor, window.end, window.app, window.title))
    return [p for p in pieces if p.end - p.start >= MIN_SPAN_S]


def parse_activitywatch(data: bytes, name: str) -> Parsed:
    """Return window spans (minus away time, per host) and away spans of an AW export."""
    try:
        document = json.loads(_decode(data, name))
    except json.JSONDecodeError as exc:
        raise ImportFailed(name, f"line {exc.lineno} column {exc.colno}", exc.msg) from None
    buckets = _aw_buckets(document, name)
    windows: dict[str, list[_Interval]] = {}
    away: dict[str, list[_Interval]] = {}
    parsed = Parsed(events=[])
    for bucket_id, bucket in buckets.items():
        path = f"$.buckets[{json.dumps(bucket_id)}]"
        if not isinstance(bucket, dict):
            raise ImportFailed(name, path, "not an object")
        kind = bucket.get("type")
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
            parsed.skipped[f"events in bucket {bucket_id} ({kind or 'no type'})"] += count
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


# --- CSV -------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes"}
_FALSE = {"", "0", "false", "no"}


def _csv_time(value: str) -> datetime:
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    return datetime.fromisoformat(text)


def parse_csv(
    data: bytes, name: str, *, max_gap_s: float = 1800.0, local_tz: tzinfo | None = None
) -> Parsed:
    """Return the spans of a CSV log (`timestamp,app[,title,duration,category,source]`).

    A row without a duration lasts until the next row, at most `max_gap_s`; one replaced at the
    same moment, and the last one, have no length and are skipped.
    """
    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFailed(name, "line 1", "empty file; expected a header timestamp,app")
        columns = [column.strip().lower() for column in header]
        for needed in ("timestamp", "app"):
            if needed not in columns:
                raise ImportFailed(
                    name, "line 1", f"no {needed!r} column in header {_short(header, 80)}"
                )
        if len(set(columns)) != len(columns):
            raise ImportFailed(name, "line 1", "a column appears twice in the header")
        rows: list[tuple[float, float | None, Event]] = []
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
            rows.append(_csv_row(cells, name, line, local_tz))
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
    cells: dict[str, str], name: str, line: int, local_tz: tzinfo | None
) -> tuple[float, float | None, Event]:
    where = f"line {line}"
    try:
        start = _epoch(_csv_time(cells["timestamp"]), local_tz)
    except (ValueError, OverflowError, OSError):
        raise ImportFailed(name, where, f"bad timestamp {_short(cells['timestamp'])}") from None
    duration: float | None = None
    if cells.get("duration", "").strip():
        try:
            duration = float(cells["duration"])
        except ValueError:
            duration = math.nan
        if not math.isfinite(duration) or duration < 0:
            raise ImportFailed(name, where, f"bad duration {_short(cells['duration'])}")
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
        elif hasattr(value, "dts"):
            for inner in value.dts:
                _ = inner.dt
        else:
            _ = value.dt


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


def _repeats_in_window(component: Any, window_end: datetime, local_tz: tzinfo | None) -> int:
    """Return how often a VEVENT's RRULE repeats up to the window's end (MAX_REPEATS + 1 at most).

    Counted with dateutil alone, which is cheap: recurring_ical_events builds a component per
    occurrence. DTSTART is inside the window (it begins `past_days` before the earliest one).
    """
    from dateutil import rrule

    start = component["DTSTART"].dt
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # COUNT and our UNTIL together
        rule = rrule.rrulestr(component["RRULE"].to_ical().decode(), dtstart=start)
    count = 0
    for _ in rule:
        count += 1
        if count > MAX_REPEATS:
            break
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

    dropped: set[str] = set()
    for index, component in enumerate(components):
        uid = series(index, component)
        if not isinstance(component["DTSTART"].dt, datetime) and "RECURRENCE-ID" not in component:
            parsed.skipped["all-day events"] += 1
            dropped.add(uid)
        elif "RRULE" in component:
            _bound_repeats(component, window_end, local_tz)
            if _repeats_in_window(component, window_end, local_tz) > MAX_REPEATS:
                parsed.skipped[f"events repeating over {MAX_REPEATS} times (left out)"] += 1
                dropped.add(uid)
    if dropped:
        gone = {id(c) for index, c in enumerate(components) if series(index, c) in dropped}
        calendar.subcomponents = [c for c in calendar.subcomponents if id(c) not in gone]
    try:
        with warnings.catch_warnings():
            # A COUNT with the window's UNTIL added: dateutil stops at whichever comes first
            # and warns that RFC 5545 does not allow both (the file had only the COUNT).
            warnings.simplefilter("ignore", DeprecationWarning)
            occurrences: list[Any] = recurring_ical_events.of(calendar).between(
                window_start, window_end
            )
    except Exception as exc:  # the library's errors name no line; the reason still helps
        raise ImportFailed(name, "", f"cannot expand the repeats: {exc}") from None
    if len(occurrences) > MAX_OCCURRENCES:
        raise ImportFailed(
            name,
            "",
            f"repeats to more than {MAX_OCCURRENCES} events in the import window;"
            " lower calendar_past_days / calendar_future_days",
        )
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
    try:
        data = Path(path).read_bytes()
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


def prepare(
    parsed: Parsed, config: Config, rules: tuple[categories.Rule, ...] = categories.DEFAULT_RULES
) -> list[Event]:
    """Return parsed spans with the user's exclusions and category rules applied."""
    seen: dict[tuple[str, str], str] = {}
    return [_finish(event, config, rules, seen) for event in parsed.events]


def store_parsed(
    store: Store,
    path: Path,
    fmt: str,
    parsed: Parsed,
    config: Config,
    rules: tuple[categories.Rule, ...] = categories.DEFAULT_RULES,
) -> ImportSummary:
    """Add parsed spans to the store in one transaction; return what it did."""
    events = prepare(parsed, config, rules)
    result: ImportResult = store.import_events(events)
    return ImportSummary(
        file=str(path),
        format=fmt,
        added=result.added,
        duplicates=result.duplicates,
        in_file=dict(Counter(event.source for event in events)),
        skipped=dict(parsed.skipped),
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
