"""Summaries of the store for the dashboard and the tray (no Qt).

Everything here reads the store through its public methods only (`events`, `suggestions`,
`model_history`, `recent_events`, and the SQL sums `hourly_totals`, `clipped_spans` and
`app_totals` that keep the dashboard's week and month fast at a year of history) and returns
frozen dataclasses the UI draws as they are. Times are Unix seconds; "local" days and hours use
an explicit `utc_offset_s`, so tests need no time zone.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from desktop import localtime, policy
from desktop.localtime import DAY_S, HOUR_S
from desktop.records import Event, SuggestionRecord
from desktop.store import Store
from edge_model.categories import AWAY, WORK_CATEGORIES
from edge_model.features import BREAK_MINUTES
from edge_model.manifest import Manifest, ModelRefused, read_manifest
from edge_model.registry import Registry

BREAK_S = BREAK_MINUTES * 60.0  # the engine's definition: away or no activity this long
DETOUR_S = 5 * 60.0  # this long in non-work apps in a row ends a focus stretch
ACTIVE_SOURCES = ("window", "import")
TIMELINE_SOURCES = ("window", "import", "afk", "calendar")
OUTCOME_ORDER = ("accepted", "snoozed", "dismissed", "ignored", "pending")
MIN_ANSWERS_FOR_HOURS = 5  # fewer answers than this and "good hours" would be noise
STATES = ("collecting", "learning", "paused")
AppState = Literal["collecting", "learning", "paused"]
SpanKind = Literal["active", "away", "meeting", "event"]
PeriodKind = Literal["day", "week", "month"]
PERIODS: tuple[PeriodKind, ...] = ("day", "week", "month")
MEETINGS = "meetings"  # the category of calendar entries that are meetings
MAX_TITLES = 8  # window titles listed under one app; the rest are summed as one "other" row


# time -----------------------------------------------------------------------------------------
def day_start(at: float, utc_offset_s: float = 0.0) -> float:
    """Return the Unix time of the local midnight at or before `at`."""
    return math.floor((at + utc_offset_s) / DAY_S) * DAY_S - utc_offset_s


def minutes_until_tomorrow(now: float, utc_offset_s: float = 0.0) -> float:
    """Return the minutes from `now` to the next local midnight ("pause until tomorrow")."""
    return (day_start(now, utc_offset_s) + DAY_S - now) / 60.0


def _local_date(at: float, utc_offset_s: float) -> datetime:
    """Return the local wall-clock time of `at` as a naive-in-UTC datetime (no zone database)."""
    return datetime.fromtimestamp(at + utc_offset_s, UTC)


def local_noon(year: int, month: int, day: int, utc_offset_s: float = 0.0) -> float:
    """Return the Unix time of local noon on a calendar date (a safe time "inside" that day)."""
    return datetime(year, month, day, 12, tzinfo=UTC).timestamp() - utc_offset_s


def period_bounds(at: float, period: PeriodKind, utc_offset_s: float = 0.0) -> tuple[float, float]:
    """Return [start, end) of the local day, week (Monday to Sunday) or month containing `at`."""
    start = day_start(at, utc_offset_s)
    if period == "day":
        return start, start + DAY_S
    local = _local_date(start, utc_offset_s)
    if period == "week":
        first = start - local.weekday() * DAY_S
        return first, first + 7 * DAY_S
    first = start - (local.day - 1) * DAY_S
    return first, first + calendar.monthrange(local.year, local.month)[1] * DAY_S


def step_period(at: float, period: PeriodKind, steps: int, utc_offset_s: float = 0.0) -> float:
    """Return `at` moved by `steps` days, weeks or months (the day of the month kept if it can)."""
    if period == "day":
        return at + steps * DAY_S
    if period == "week":
        return at + steps * 7 * DAY_S
    local = _local_date(at, utc_offset_s)
    months = local.year * 12 + local.month - 1 + steps
    year, month = divmod(months, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day).timestamp() - utc_offset_s


def _overlap(start: float, end: float, lo: float, hi: float) -> float:
    return max(0.0, min(end, hi) - max(start, lo))


def _is_away(event: Event) -> bool:
    return event.source == "afk" or event.category == AWAY


def _active(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if e.source in ACTIVE_SOURCES and not _is_away(e)]


# the day timeline -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """One bar of the day timeline, clipped to the day."""

    start: float
    end: float
    kind: SpanKind
    category: str
    app: str = ""


@dataclass(frozen=True)
class DayTimeline:
    start: float
    end: float
    spans: tuple[Span, ...]  # activity and away, oldest first
    meetings: tuple[Span, ...]  # calendar entries: kind "meeting", or "event" for the others


def day_timeline(events: Iterable[Event], start: float, end: float) -> DayTimeline:
    """Return the spans of [start, end) as timeline bars: activity by category, away, calendar.

    A calendar entry is a "meeting" when its category is meetings (what calendar import gives)
    and an "event" otherwise (a rule or a CSV gave it another category).
    """
    spans: list[Span] = []
    meetings: list[Span] = []
    for e in sorted(events, key=lambda e: e.start):
        lo, hi = max(e.start, start), min(e.start + e.duration, end)
        if hi <= lo:
            continue
        if e.source == "calendar":
            kind: SpanKind = "meeting" if e.category == MEETINGS else "event"
            meetings.append(Span(lo, hi, kind, e.category, e.app))
        elif _is_away(e):
            spans.append(Span(lo, hi, "away", AWAY))
        elif e.source in ACTIVE_SOURCES:
            spans.append(Span(lo, hi, "active", e.category, e.app))
    return DayTimeline(start, end, tuple(spans), tuple(meetings))


# categories and the week heatmap --------------------------------------------------------------
def category_totals(events: Iterable[Event], start: float, end: float) -> list[tuple[str, float]]:
    """Return (category, active seconds in [start, end)), largest first; away is not a category."""
    totals: dict[str, float] = {}
    for e in _active(events):
        seconds = _overlap(e.start, e.start + e.duration, start, end)
        if seconds > 0:
            totals[e.category] = totals.get(e.category, 0.0) + seconds
    return _largest_first(totals)


def _largest_first(totals: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class Usage:
    """Time in one category, app or window title, with what it breaks down into."""

    name: str  # a category, an app, a title; "" for the titles summed as "other"
    seconds: float
    children: tuple[Usage, ...] = ()


def usage_tree(
    rows: Iterable[tuple[str, str, str, float]], max_titles: int = MAX_TITLES
) -> tuple[Usage, ...]:
    """Return categories, each with its apps and their titles, largest first.

    `rows` are (category, app, title, seconds), the title "" where it is not kept in clear.
    An app lists its titles only when some are known; the `max_titles` largest are named and
    the rest (and any unknown ones) are summed in one row named "".
    """
    tree: dict[str, dict[str, dict[str, float]]] = {}
    for category, app, title, seconds in rows:
        if seconds <= 0 or category == AWAY:
            continue
        titles = tree.setdefault(category, {}).setdefault(app, {})
        titles[title] = titles.get(title, 0.0) + seconds
    categories = []
    for category, apps in tree.items():
        children = []
        for app, titles in apps.items():
            named = _largest_first({t: s for t, s in titles.items() if t})
            shown = named[:max_titles]
            rest = sum(titles.values()) - sum(s for _, s in shown)
            leaves = [Usage(t, s) for t, s in shown]
            if shown and rest > 0:
                leaves.append(Usage("", rest))
            children.append(Usage(app, sum(titles.values()), tuple(leaves)))
        children.sort(key=lambda u: (-u.seconds, u.name))
        categories.append(Usage(category, sum(u.seconds for u in children), tuple(children)))
    return tuple(sorted(categories, key=lambda u: (-u.seconds, u.name)))


def app_rows(
    events: Iterable[Event], start: float, end: float
) -> list[tuple[str, str, str, float]]:
    """Return (category, app, clear title or "", seconds in [start, end)) of active spans."""
    rows: dict[tuple[str, str, str], float] = {}
    for e in _active(events):
        seconds = _overlap(e.start, e.start + e.duration, start, end)
        if seconds > 0:
            title = "" if getattr(e, "title_hashed", True) else getattr(e, "title", "")
            key = (e.category, e.app, title)
            rows[key] = rows.get(key, 0.0) + seconds
    return [(c, a, t, s) for (c, a, t), s in rows.items()]


@dataclass(frozen=True)
class Heatmap:
    """Active minutes per local hour for consecutive days."""

    day_starts: tuple[float, ...]
    minutes: tuple[tuple[float, ...], ...]  # [day][hour], 0..60

    @property
    def peak(self) -> float:
        return max((m for row in self.minutes for m in row), default=0.0)

    def day_totals(self) -> tuple[float, ...]:
        """Return the active minutes of each day."""
        return tuple(sum(row) for row in self.minutes)


# The heatmap's shades: any activity in the hour, then 15, 30 and 45 minutes or more. The legend
# names the same bounds, so what a shade means never depends on the week shown.
HEAT_LEVELS = (15.0, 30.0, 45.0)


def heat_level(minutes: float) -> int:
    """Return 0 (nothing) to len(HEAT_LEVELS) + 1 (45 minutes or more) for a heatmap cell."""
    if minutes <= 0:
        return 0
    return 1 + sum(1 for bound in HEAT_LEVELS if minutes >= bound)


def week_heatmap(events: Iterable[Event], first_day: float, days: int = 7) -> Heatmap:
    """Return active minutes per hour for `days` days from the local midnight `first_day`."""
    grid = [[0.0] * 24 for _ in range(days)]
    end = first_day + days * DAY_S
    for e in _active(events):
        lo, hi = max(e.start, first_day), min(e.start + e.duration, end)
        # Walk the span hour by hour: a span may cross hours and days.
        while hi > lo:
            slot = int((lo - first_day) // HOUR_S)
            slot_end = first_day + (slot + 1) * HOUR_S
            piece = min(hi, slot_end) - lo
            grid[slot // 24][slot % 24] += piece / 60.0
            lo += piece
    return _heatmap(first_day, grid)


def _heatmap(first_day: float, grid: Sequence[Sequence[float]]) -> Heatmap:
    return Heatmap(
        tuple(first_day + d * DAY_S for d in range(len(grid))),
        tuple(tuple(min(60.0, m) for m in row) for row in grid),
    )


# focus and breaks -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Balance:
    """How activity and breaks alternated over a period."""

    active_s: float
    away_s: float
    breaks_taken: int  # pauses of at least BREAK_S between two stretches of activity
    longest_stretch_s: float  # activity without such a pause
    longest_focus_s: float  # work categories, detours under DETOUR_S tolerated
    longest_focus_start: float | None
    suggested_breaks_accepted: int = 0


def balance(
    events: Iterable[Event],
    start: float,
    end: float,
    suggestions: Iterable[SuggestionRecord] = (),
) -> Balance:
    """Return the focus/break balance of [start, end), with the engine's break definition."""
    events = list(events)
    away_s = sum(
        _overlap(e.start, e.start + e.duration, start, end)
        for e in events
        if _is_away(e) and e.source != "calendar"
    )
    active = sorted(
        (
            (max(e.start, start), min(e.start + e.duration, end), e.category)
            for e in _active(events)
            if _overlap(e.start, e.start + e.duration, start, end) > 0
        ),
        key=lambda row: row[0],
    )
    return _balance(active, away_s, start, end, suggestions)


def _balance(
    active: Iterable[tuple[float, float, str]],
    away_s: float,
    start: float,
    end: float,
    suggestions: Iterable[SuggestionRecord],
) -> Balance:
    """Return the balance of active pieces already cut to [start, end) and in start order."""
    active_s = 0.0
    breaks = 0
    longest_stretch = 0.0
    longest_focus = 0.0
    longest_focus_start: float | None = None
    stretch_start: float | None = None
    last_end = -math.inf
    focus_start: float | None = None
    focus_end = 0.0
    detour_since: float | None = None

    def close_focus() -> None:
        nonlocal longest_focus, longest_focus_start, focus_start, detour_since
        if focus_start is not None and focus_end - focus_start > longest_focus:
            longest_focus, longest_focus_start = focus_end - focus_start, focus_start
        focus_start, detour_since = None, None

    for lo, hi, category in active:
        active_s += hi - lo
        if stretch_start is None or lo - last_end >= BREAK_S:
            if stretch_start is not None:
                breaks += 1
                longest_stretch = max(longest_stretch, last_end - stretch_start)
            stretch_start = lo
            close_focus()
        if category in WORK_CATEGORIES:
            if focus_start is None:
                focus_start = lo
            focus_end, detour_since = hi, None
        elif focus_start is not None:
            detour_since = lo if detour_since is None else detour_since
            if hi - detour_since >= DETOUR_S:
                close_focus()
        last_end = max(last_end, hi)
    if stretch_start is not None:
        longest_stretch = max(longest_stretch, last_end - stretch_start)
    close_focus()
    accepted = sum(
        1
        for s in suggestions
        if s.kind == "break" and s.outcome == "accepted" and start <= s.created_at < end
    )
    return Balance(
        active_s=active_s,
        away_s=away_s,
        breaks_taken=breaks,
        longest_stretch_s=longest_stretch,
        longest_focus_s=longest_focus,
        longest_focus_start=longest_focus_start,
        suggested_breaks_accepted=accepted,
    )


# suggestions and what the model learned -------------------------------------------------------
@dataclass(frozen=True)
class SuggestionRow:
    id: int
    at: float
    kind: str
    text: str
    score: float
    model_version: str
    outcome: str  # one of OUTCOME_ORDER ("pending" while unanswered)
    outcome_at: float | None


def suggestion_rows(
    suggestions: Iterable[SuggestionRecord], start: float = 0.0, end: float = math.inf
) -> list[SuggestionRow]:
    """Return the suggestions created in [start, end), newest first."""
    rows = [
        SuggestionRow(
            id=s.id,
            at=s.created_at,
            kind=s.kind,
            text=s.text,
            score=s.score,
            model_version=s.model_version,
            outcome=s.outcome or "pending",
            outcome_at=s.outcome_at,
        )
        for s in suggestions
        if start <= s.created_at < end
    ]
    return sorted(rows, key=lambda r: (-r.at, -r.id))


def outcome_counts(rows: Iterable[SuggestionRow]) -> dict[str, int]:
    """Return how many suggestions ended in each outcome, every outcome present (zeros kept)."""
    counts = dict.fromkeys(OUTCOME_ORDER, 0)
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    return counts


@dataclass(frozen=True)
class HourRate:
    hour: int
    answered: int  # suggestions with an outcome shown in this local hour
    accepted: int

    @property
    def rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None


def acceptance_by_hour(
    suggestions: Iterable[SuggestionRecord], utc_offset_s: float = 0.0, kind: str = "break"
) -> list[HourRate]:
    """Return, for each local hour, how many answered suggestions were accepted."""
    answered = [0] * 24
    accepted = [0] * 24
    for s in suggestions:
        if s.kind != kind or s.outcome is None:
            continue
        hour = int(localtime.local_hour(s.created_at, utc_offset_s))
        answered[hour] += 1
        accepted[hour] += s.outcome == "accepted"
    return [HourRate(h, answered[h], accepted[h]) for h in range(24)]


def best_hours(rates: Sequence[HourRate], top: int = 3) -> list[int]:
    """Return up to `top` hours where breaks were most welcome (none until enough answers)."""
    if sum(r.answered for r in rates) < MIN_ANSWERS_FOR_HOURS:
        return []
    ranked = sorted(
        (r for r in rates if r.answered and r.accepted),
        key=lambda r: (-(r.rate or 0.0), -r.answered, r.hour),
    )
    return sorted(r.hour for r in ranked[:top])


@dataclass(frozen=True)
class ModelRecord:
    version: str
    status: str
    at: float
    reason: str


# Held-out metrics shown on the model page, in order: (manifest section, key).
METRIC_KEYS = (
    ("", "held_out_examples"),
    ("tflite", "next_category_top1"),
    ("tflite", "next_category_top3"),
    ("tflite", "next_category_mrr"),
    ("tflite", "switch_soon_accuracy"),
    ("tflite", "accept_mae"),
    ("parity", "top1_agreement"),
)


@dataclass(frozen=True)
class ModelSummary:
    version: str | None
    active_since: float | None  # when this app first activated the version
    created_at: str | None  # from the manifest: when it was trained
    parent_version: str | None
    metrics: tuple[tuple[str, float], ...]  # ("tflite.accept_mae", value), METRIC_KEYS order
    history: tuple[ModelRecord, ...]  # newest first
    answers: int  # answered suggestions the next fine-tune can learn from
    by_hour: tuple[HourRate, ...]
    best_hours: tuple[int, ...]


def manifest_metrics(manifest: Manifest | None) -> tuple[tuple[str, float], ...]:
    """Return the held-out metrics the model page shows, skipping any the manifest lacks."""
    if manifest is None:
        return ()
    found: list[tuple[str, float]] = []
    for section, key in METRIC_KEYS:
        source: Any = manifest.metrics.get(section, {}) if section else manifest.metrics
        if not isinstance(source, dict) and section:
            continue
        value = source.get(key) if isinstance(source, dict) else None
        if section == "tflite" and value is None:  # older manifests: Keras figures only
            keras = manifest.metrics.get("keras", {})
            value = keras.get(key) if isinstance(keras, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append((f"{section}.{key}" if section else key, float(value)))
    return tuple(found)


def model_summary(
    history: Iterable[dict[str, Any]],
    suggestions: Iterable[SuggestionRecord],
    manifest: Manifest | None,
    utc_offset_s: float = 0.0,
) -> ModelSummary:
    """Return what the model page shows: version, history, metrics and hours breaks were taken."""
    records = tuple(
        sorted(
            (
                ModelRecord(
                    str(row.get("version", "")),
                    str(row.get("status") or ""),
                    float(row.get("at") or 0.0),
                    str(row.get("reason") or ""),
                )
                for row in history
            ),
            key=lambda r: -r.at,
        )
    )
    version = manifest.version if manifest is not None else None
    if version is None:
        active = [r for r in records if r.status == "active"]
        version = active[0].version if active else None
    active_since = next((r.at for r in records if r.version == version), None)
    suggestions = list(suggestions)
    rates = acceptance_by_hour(suggestions, utc_offset_s)
    return ModelSummary(
        version=version,
        active_since=active_since,
        created_at=manifest.created_at if manifest is not None else None,
        parent_version=manifest.parent_version if manifest is not None else None,
        metrics=manifest_metrics(manifest),
        history=records,
        answers=sum(1 for s in suggestions if s.outcome is not None),
        by_hour=tuple(rates),
        best_hours=tuple(best_hours(rates)),
    )


@dataclass(frozen=True)
class ModelVersion:
    """One row of the model page's version list."""

    version: str
    trained_at: float | None  # when it was made (Unix time), what the page shows for it
    status: str  # in use | earlier | rolled back | not installed | shipped
    comparison: str  # what the update gate measured against the model then in use, or ""
    note: str  # why it was (not) installed, or rolled back


@dataclass(frozen=True)
class VersionList:
    rows: tuple[ModelVersion, ...]  # newest first, the shipped model last
    can_roll_back: bool  # the model in use is a fine-tuned one: an earlier one can serve again
    heads: tuple[str, ...] = ()  # the personal heads' latest nightly refits, one line each


HEAD_PARTS = {"acceptance": "Acceptance head", "timing": "Timing head"}


def head_update_lines(
    entries: Sequence[dict[str, Any]], utc_offset_s: float = 0.0
) -> tuple[str, ...]:
    """Return one line per personal head: its latest nightly refit and what it was compared on."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("part") in HEAD_PARTS and isinstance(entry.get("at"), int | float):
            latest[str(entry["part"])] = entry
    lines = []
    for part, name in HEAD_PARTS.items():
        if part not in latest:
            continue
        last = latest[part]
        when = datetime.fromtimestamp(float(last["at"]) + utc_offset_s, UTC)
        verdict = "refitted" if last.get("installed") else "kept the one in use"
        lines.append(f"{name}, {when:%d %b %H:%M}: {verdict}: {last.get('reason', '')}")
    return tuple(lines)


def update_comparison(update: dict[str, Any] | None) -> str:
    """Return one line of the update gate's figures: the new model's against the one in use."""
    if not isinstance(update, dict):
        return ""
    new, old = update.get("candidate"), update.get("in_use")
    if not isinstance(new, dict) or not isinstance(old, dict):
        return ""

    def pair(key: str) -> str:
        a, b = new.get(key), old.get(key)
        ok = isinstance(a, int | float) and isinstance(b, int | float)
        return f"{a:.3f} vs {b:.3f}" if ok else "–"

    parts = []
    if "accept_log_loss" in new:
        parts.append(
            f"your last {new.get('answers', 0)} answers: log loss {pair('accept_log_loss')}, "
            f"Brier {pair('accept_brier')}"
        )
    if "next_category_log_loss" in new:
        parts.append(
            f"{new.get('moments', 0)} recent moments: next-activity log loss "
            f"{pair('next_category_log_loss')}"
        )
    if not parts:
        return ""
    return "; ".join(parts) + " (this version vs the one then in use)"


def _created(manifest: Manifest) -> float | None:
    try:
        return datetime.fromisoformat(str(manifest.created_at)).timestamp()
    except ValueError:
        return None


def model_versions(
    registry: Registry,
    history: Iterable[dict[str, Any]],
    in_use: str | None,
    heads: tuple[str, ...] = (),
) -> VersionList:
    """Return the model page's version list: installed, refused and rolled-back versions."""
    updates = {
        str(entry["version"]): entry
        for entry in registry.updates()
        if isinstance(entry.get("version"), str)
    }
    rolled_back = registry.rolled_back()
    notes = {
        str(row.get("version")): str(row.get("reason") or "")
        for row in history
        if row.get("status") in ("rolled back", "refused")
    }
    rows: list[ModelVersion] = []
    installed = set()
    for manifest in registry.manifests():
        installed.add(manifest.version)
        update = updates.get(manifest.version) or manifest.metrics.get("update")
        if manifest.version == in_use:
            status = "in use"
        elif manifest.version in rolled_back:
            status = "rolled back"
        else:
            status = "earlier"
        note = notes.get(manifest.version) or (
            str(update.get("reason", "")) if isinstance(update, dict) else ""
        )
        rows.append(
            ModelVersion(
                manifest.version, _created(manifest), status, update_comparison(update), note
            )
        )
    for version, entry in updates.items():
        if version not in installed and not entry.get("installed"):
            rows.append(
                ModelVersion(
                    version,
                    float(at) if isinstance((at := entry.get("at")), int | float) else None,
                    "not installed",
                    update_comparison(entry),
                    f"kept the model in use: {entry.get('reason', '')}",
                )
            )
    rows.sort(key=lambda row: row.version, reverse=True)
    if registry.shipped is not None:
        try:
            shipped: Manifest | None = read_manifest(registry.shipped)
        except ModelRefused:
            shipped = None
        if shipped is not None:
            rows.append(
                ModelVersion(
                    shipped.version,
                    _created(shipped),
                    "in use" if shipped.version == in_use else "shipped",
                    "",
                    "the shared starting model that ships with the app",
                )
            )
    return VersionList(tuple(rows), in_use is not None and in_use in installed, heads)


# the tray's one-liners ------------------------------------------------------------------------
@dataclass(frozen=True)
class Glance:
    """Today at a glance: what the tray menu shows."""

    active_s: float
    breaks: int
    suggestions: int
    accepted: int


def glance(store: Store, now: float, utc_offset_s: float = 0.0) -> Glance:
    """Return today's active time, breaks taken and suggestions shown (up to `now`)."""
    start = day_start(now, utc_offset_s)
    events = store.events(start, now, sources=("window", "import", "afk"))
    todays = [s for s in store.suggestions(since=start) if s.created_at <= now]
    result = balance(events, start, now, todays)
    return Glance(
        active_s=result.active_s,
        breaks=result.breaks_taken,
        suggestions=len(todays),
        accepted=sum(1 for s in todays if s.outcome == "accepted"),
    )


def app_state(now: float, paused_until: float | None, learning: bool) -> AppState:
    """Return what the tray shows: paused wins over learning, learning over collecting."""
    if paused_until is not None and paused_until > now:
        return "paused"
    return "learning" if learning else "collecting"


# the same figures summed by the store in SQL (what the dashboard uses) -----------------------
HourTotals = Sequence[tuple[int, str, str, float]]  # (hour, source, category, seconds)


def stored_hours(store: Store, first_day: float, days: int = 7) -> HourTotals:
    """Return the store's per-hour totals of active and away time for `days` from `first_day`."""
    return store.hourly_totals(first_day, days * 24, (*ACTIVE_SOURCES, "afk"))


def hours_totals(
    hours: HourTotals, first: int = 0, last: int | None = None
) -> tuple[list[tuple[str, float]], float]:
    """Return `category_totals` and the away seconds `balance` counts, over hours [first, last)."""
    totals: dict[str, float] = {}
    away_s = 0.0
    for hour, source, category, seconds in hours:
        if hour < first or (last is not None and hour >= last):
            continue
        if source == "afk" or category == AWAY:
            away_s += seconds
        elif seconds > 0:
            totals[category] = totals.get(category, 0.0) + seconds
    return _largest_first(totals), away_s


def hours_heatmap(hours: HourTotals, first_day: float, days: int = 7) -> Heatmap:
    """Return `week_heatmap` from per-hour totals."""
    grid = [[0.0] * 24 for _ in range(days)]
    for hour, source, category, seconds in hours:
        if source in ACTIVE_SOURCES and category != AWAY and hour < days * 24:
            grid[hour // 24][hour % 24] += seconds / 60.0
    return _heatmap(first_day, grid)


def stored_pieces(store: Store, start: float, end: float) -> list[tuple[float, float, str]]:
    """Return the active spans of [start, end), cut to it, in start order (as `balance` cuts)."""
    return store.clipped_spans(start, end, ACTIVE_SOURCES, exclude_category=AWAY)


# everything the dashboard draws ---------------------------------------------------------------
def stored_apps(store: Store, start: float, end: float) -> tuple[Usage, ...]:
    """Return `usage_tree` of [start, end) from the store's per-app sums."""
    return usage_tree(store.app_totals(start, end, ACTIVE_SOURCES, exclude_category=AWAY))


def latest_day_with_data(store: Store, now: float, utc_offset_s: float = 0.0) -> float | None:
    """Return the local midnight of the last day with activity or away time up to `now`."""
    recent = store.recent_events(1, before=now)
    if not recent:
        return None
    last = recent[-1]
    # A span that runs past midnight belongs to the day it ends in (up to now).
    moment = max(last.start, min(last.start + last.duration, now) - 1.0)
    return day_start(moment, utc_offset_s)


@dataclass(frozen=True)
class Dashboard:
    """Every number the dashboard shows: the chosen day, and the day, week or month around it."""

    day_start: float
    now: float
    utc_offset_s: float
    timeline: DayTimeline
    day_categories: tuple[tuple[str, float], ...]
    day_balance: Balance
    period: PeriodKind
    period_start: float
    period_end: float
    categories: tuple[tuple[str, float], ...]  # the period's, largest first
    apps: tuple[Usage, ...]  # the period's categories with their apps (and clear titles)
    balance: Balance  # the period's
    heatmap: Heatmap  # one row per day of the period
    suggestions: tuple[SuggestionRow, ...]  # created in the period, newest first
    outcomes: dict[str, int]
    model: ModelSummary
    latest_day: float | None  # the local midnight of the last day with data, None if none

    @property
    def has_data(self) -> bool:
        """Return whether anything was recorded in the period (activity, away, calendar)."""
        return bool(
            self.balance.active_s > 0
            or self.balance.away_s > 0
            or (self.period == "day" and self.timeline.meetings)
        )

    @property
    def is_current(self) -> bool:
        """Return whether the period contains `now` (today, this week, this month)."""
        return self.period_start <= self.now < self.period_end


def dashboard(
    store: Store,
    day: float,
    *,
    now: float,
    manifest: Manifest | None = None,
    utc_offset_s: float = 0.0,
    period: PeriodKind = "day",
) -> Dashboard:
    """Return every number the dashboard shows for the local day containing `day`, and for the
    day, week or month (`period`) around it.

    Only the day's timeline needs its spans one by one; the period's totals, its apps and the
    heatmap are summed by the store in SQL, and the focus/break walk gets bare (start, end,
    category) rows: the same figures as `category_totals`, `app_rows`, `balance` and
    `week_heatmap` give for the spans (tests/desktop/test_reports.py compares them). The day's
    figures are cut from the period's.
    """
    start = day_start(day, utc_offset_s)
    end = start + DAY_S
    first, last = period_bounds(day, period, utc_offset_s)
    days = int(round((last - first) / DAY_S))
    events = list(store.events(start, end, sources=TIMELINE_SOURCES))
    all_suggestions = list(store.suggestions(since=0.0))
    period_suggestions = [s for s in all_suggestions if first <= s.created_at < last]
    rows = suggestion_rows(period_suggestions, first, last)
    # One query sums the period by hour (the day is 24 of its hours); one gives its active
    # pieces for the focus/break walk, which the day's walk reuses, cut to the day.
    hours = stored_hours(store, first, days)
    day_index = int(round((start - first) / DAY_S))
    day_categories, day_away_s = hours_totals(hours, day_index * 24, (day_index + 1) * 24)
    categories, away_s = hours_totals(hours)
    pieces = stored_pieces(store, first, last)
    day_pieces = [
        (max(lo, start), min(hi, end), category)
        for lo, hi, category in pieces
        if hi > start and lo < end
    ]
    return Dashboard(
        day_start=start,
        now=now,
        utc_offset_s=utc_offset_s,
        timeline=day_timeline(events, start, end),
        day_categories=tuple(day_categories),
        day_balance=_balance(day_pieces, day_away_s, start, end, period_suggestions),
        period=period,
        period_start=first,
        period_end=last,
        categories=tuple(categories),
        apps=stored_apps(store, first, last),
        balance=_balance(pieces, away_s, first, last, period_suggestions),
        heatmap=hours_heatmap(hours, first, days),
        suggestions=tuple(rows),
        outcomes=outcome_counts(rows),
        model=model_summary(store.model_history(), all_suggestions, manifest, utc_offset_s),
        latest_day=latest_day_with_data(store, now, utc_offset_s),
    )


KIND_NOUNS = {
    "break": "breaks",
    "focus": "focus suggestions",
    "distraction": "distraction nudges",
    "wrap_up": "wrap-up suggestions",
    "meeting_prep": "meeting preparation notices",
    "plan": "plan block notices",
    "plan_end": "questions after a plan block",
}


PARTS_OF_DAY = ("in the morning", "around midday", "in the afternoon", "in the evening")


@dataclass(frozen=True)
class Told:
    """One thing the user told the app with "Not like this", what it changed, and its evidence."""

    kind: str
    text: str
    offer_off: bool  # said "not useful" often enough that switching the kind off is offered


def told(
    records: Sequence[SuggestionRecord],
    now: float,
    utc_offset_s: float,
    min_gap_min: float,
    forgotten: dict[str, float] | None = None,
) -> tuple[Told, ...]:
    """Return, in plain words, what the user's "Not like this" answers of the last month changed."""
    taught = policy.lessons(records, now, utc_offset_s, forgotten)
    lines: list[Told] = []
    for kind, count in sorted(taught.too_often.items()):
        gap = min_gap_min * taught.gap_factor(kind)
        lines.append(
            Told(
                kind,
                f"You told me {KIND_NOUNS.get(kind, kind)} came too often ({_times(count)}): "
                f"at most one every {gap:.0f} min now.",
                False,
            )
        )
    for kind, count in sorted(taught.not_useful.items()):
        share = 100 * taught.prior_factor(kind)
        text_ = (
            f"You told me {KIND_NOUNS.get(kind, kind)} were not useful ({_times(count)}): "
            f"they come {share:.0f}% as readily now."
        )
        if taught.offer_off(kind):
            text_ += " You can switch them off in Settings."
        lines.append(Told(kind, text_, taught.offer_off(kind)))
    for (kind, bucket), count in sorted(taught.bad_moment.items()):
        lines.append(
            Told(
                kind,
                f"You told me {KIND_NOUNS.get(kind, kind)} came at a bad moment "
                f"{PARTS_OF_DAY[bucket]} ({_times(count)}): "
                f"{100 * taught.timing_factor(kind, bucket):.0f}% as likely then now.",
                False,
            )
        )
    return tuple(lines)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times this month"
