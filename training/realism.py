"""Is the synthetic routine generator realistic? Its statistics side by side with real data.

Two kinds of real data in the data folder (docs/data.md, "The evaluation data"):

- the desktop traces (4 Windows foreground-app CSVs, 2 ActivityWatch exports), read as spans by
  `training.real.traces`: span lengths, switch rates, active hours per day, weekday vs weekend
  and the daily rhythm, per trace, against the same figures per synthetic person;
- the American Time Use Survey (time-use/): minutes of work per diary day with the weekday and
  the respondent's labour status and weight. It has no start times, so no hourly rhythm; it
  checks how much of each weekday employed people work, which the few desktop traces (mostly
  students' own laptops) cannot.

Every figure is computed in the person's local wall-clock time: synthetic personas live in UTC
(local == UTC); a real trace stored in UTC is shifted into the zone its source places it in
(`ZONES`), and one without a known zone is left out of the clock-based rows.

`compare(...)` returns one JSON-able dict; `table(...)` prints it, one row per statistic: real
min / median / max across traces (across survey years for the ATUS rows), synthetic min /
median / max across people, the synthetic value checked, and whether it sits inside the real
range widened by the row's tolerance.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from training.real import traces as real_traces
from training.synthetic import days, traces
from training.synthetic.persons import AFK, WINDOW, WORK_KINDS, Span, is_student

# Where a real trace stored in UTC was recorded (from its source, docs/data.md).
ZONES: dict[str, str] = {
    "user_c.csv": "America/Los_Angeles",  # UCSD capstone project (San Diego)
    "user_d.csv": "America/Los_Angeles",  # UCSD capstone project (San Diego)
    "windows-laptop-export.json": "America/Detroit",  # MHacks 2023, Ann Arbor
    # linux-pc-window-bucket.json: no place stated anywhere: zone unknown.
}
ACTIVE_DAY_S = 5 * 60.0  # a local date with at least this much window time is an active day
WEEKLY_MIN_DAYS = 7  # weekday-vs-weekend figures need a trace that covers a whole week
SESSION_GAP_S = 60.0  # spans closer than this belong to one sitting
LUNCH_S = 20 * 60.0  # an away span this long inside a sitting is a meal, not work
WORK_SHARE = 0.2  # a sitting with this share of work-app time is a work sitting
WORKED_MIN = 60.0  # a day with at least this many work minutes counts as a worked day
# ATUS: full-time employed people in the occupations that work at a desk.
DESK_OCCUPATIONS = ("professional", "mgmt_biz_finance", "office_admin")


@dataclass(frozen=True)
class Stat:
    """One row of the comparison."""

    key: str
    label: str
    fmt: str  # format spec of its values
    tolerance: float  # absolute widening of the real range, at least
    rel_tolerance: float = 0.1  # ... or this share of the real median, whichever is larger
    side: str = "both"  # "upper": only exceeding the real max is off; "lower": only below min
    source: str = "traces"  # "traces" | "atus"
    people: str = "everyone"  # the synthetic people checked: "everyone" | "students" | "workers"


# Who is compared with whom. The real desktop traces are students' own laptops (UCSD capstones)
# and a hackathon: what a span and a switch look like is a property of anyone's desktop, so it is
# checked on every synthetic person; when and how long the laptop is used (hours, weekends, the
# daily rhythm) is checked on the synthetic students, whose laptop the generator models that way.
# How much desk workers work per weekday and weekend day is checked on the other synthetic people
# against the time-use survey of full-time desk workers.
TRACE_STATS: tuple[Stat, ...] = (
    Stat("median_span_s", "span length median (s)", ".1f", 1.0),
    Stat("p90_span_s", "span length p90 (s)", ".0f", 10.0),
    Stat("short_span_fraction", "spans < 5 s (share)", ".2f", 0.03),
    Stat("switches_per_active_hour", "app switches per active hour", ".1f", 2.0),
    Stat("hours_per_active_weekday", "active h per active weekday", ".2f", 0.5, people="students"),
    Stat(
        "hours_per_active_weekend_day",
        "active h per active weekend day",
        ".2f",
        0.5,
        people="students",
    ),
    Stat(
        "weekend_to_weekday",
        "weekend / weekday active h per day",
        ".2f",
        0.05,
        people="students",
    ),
    Stat("activity_centre_hour", "activity centre (local hour)", ".1f", 1.0, people="students"),
    Stat("office_hours_share", "active time 09-17 h (share)", ".2f", 0.05, people="students"),
    Stat("evening_share", "active time 18-24 h (share)", ".2f", 0.05, people="students"),
    Stat("night_share", "active time 00-06 h (share)", ".2f", 0.03, people="students"),
    Stat(
        "rhythm_tvd",
        "rhythm: TV distance to real traces",
        ".2f",
        0.05,
        side="upper",
        people="students",
    ),
    Stat(
        "rhythm_correlation",
        "rhythm: correlation with real traces",
        ".2f",
        0.05,
        side="lower",
        people="students",
    ),
)
ATUS_STATS: tuple[Stat, ...] = tuple(
    Stat(key, label, fmt, tol, source="atus", people="workers")
    for key, label, fmt, tol in (
        ("work_min_weekday", "work min per Mon-Fri day", ".0f", 15.0),
        ("worked_share_weekday", "Mon-Fri days worked (share)", ".2f", 0.03),
        ("work_min_worked_weekday", "work min per worked Mon-Fri day", ".0f", 15.0),
        ("friday_to_mon_thu", "Friday / Mon-Thu work min", ".2f", 0.03),
        ("worked_share_weekend", "Sat-Sun days worked (share)", ".2f", 0.03),
        ("work_min_weekend", "work min per Sat-Sun day", ".0f", 15.0),
    )
)


# --- local clock -----------------------------------------------------------------------------


def _stored_zone(path: Path) -> str | None:
    """Return "local" when the file's times have no zone, else the zone it was recorded in.

    None: stored in UTC, recorded somewhere unknown.
    """
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [c.strip().lower() for c in next(reader, [])]
            first = next(reader, None)
        if first and "timestamp" in header:
            stamp = first[header.index("timestamp")].strip().replace("Z", "+00:00")
            if datetime.datetime.fromisoformat(stamp).tzinfo is None:
                return "local"
    return ZONES.get(path.name)


def local_spans(spans: Sequence[Any], zone: str | None) -> list[Span]:
    """Return the window/afk spans with starts shifted so that UTC arithmetic reads local time.

    zone "local": the times were read in this machine's zone (a CSV without a zone), so the
    shift undoes exactly that; an IANA name: the zone the trace was recorded in; None: no shift.
    """
    tz = None if zone in (None, "local") else ZoneInfo(str(zone))
    out = []
    for s in spans:
        if s.source not in (WINDOW, AFK):
            continue
        if zone is None:
            shift = 0.0
        else:
            moment = datetime.datetime.fromtimestamp(s.start, tz)
            offset = (moment if tz else moment.astimezone()).utcoffset()
            shift = offset.total_seconds() if offset else 0.0
        out.append(Span(s.start + shift, s.duration, s.app, s.category, s.source))
    return out


# --- per-person statistics ---------------------------------------------------------------------


def _day_hours(spans: Sequence[Span]) -> tuple[np.ndarray, np.ndarray]:
    """Return (local day numbers from the first to the last, window hours on each)."""
    windows = [s for s in spans if s.source == WINDOW and s.duration > 0]
    if not windows:
        return np.zeros(0, np.int64), np.zeros(0)
    day = np.array([math.floor(s.start / 86400.0) for s in windows], dtype=np.int64)
    first = int(day.min())
    hours = np.zeros(int(day.max()) - first + 1)
    np.add.at(hours, day - first, np.array([s.duration for s in windows]) / 3600.0)
    return np.arange(first, first + hours.size), hours


def _weekend(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7 >= 5  # day 0 (1970-01-01) was a Thursday


def person_statistics(spans: Sequence[Span], *, clock: bool = True) -> dict[str, Any]:
    """Return one person's (or trace's) statistics, with local-time spans.

    A figure that the trace cannot give is None: weekday/weekend ones when it covers less than
    a week or has no active day of the kind, clock ones when `clock` is False (zone unknown).
    """
    base = traces.trace_statistics(spans)
    stats: dict[str, Any] = {k: None for k in (s.key for s in TRACE_STATS)}
    if not base.get("spans"):
        return stats
    for key in ("median_span_s", "p90_span_s", "short_span_fraction", "switches_per_active_hour"):
        stats[key] = base[key]
    stats["active_hours"] = base["active_hours"]
    days, hours = _day_hours(spans)
    stats["days"] = int(days.size)
    weekend = _weekend(days)
    active = hours * 3600.0 >= ACTIVE_DAY_S
    if days.size >= WEEKLY_MIN_DAYS:
        if (active & ~weekend).any():
            stats["hours_per_active_weekday"] = float(hours[active & ~weekend].mean())
        if (active & weekend).any():
            stats["hours_per_active_weekend_day"] = float(hours[active & weekend].mean())
        weekday_mean = float(hours[~weekend].mean())
        if weekday_mean > 0 and weekend.any():
            stats["weekend_to_weekday"] = float(hours[weekend].mean()) / weekday_mean
    if clock:
        share = np.array(traces.hourly_share(spans))
        stats["hourly_share"] = share.tolist()
        angle = 2.0 * math.pi * (np.arange(24) + 0.5) / 24.0  # the middle of each hour
        centre = math.atan2(float(share @ np.sin(angle)), float(share @ np.cos(angle)))
        stats["activity_centre_hour"] = (centre * 24.0 / (2.0 * math.pi)) % 24.0
        stats["office_hours_share"] = float(share[9:17].sum())
        stats["evening_share"] = float(share[18:24].sum())
        stats["night_share"] = float(share[0:6].sum())
    return stats


def _tvd(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


def _correlation(p: np.ndarray, q: np.ndarray) -> float:
    if p.std() == 0 or q.std() == 0:
        return 0.0
    return float(np.corrcoef(p, q)[0, 1])


def add_rhythm_distances(real: list[dict[str, Any]], synth: list[dict[str, Any]]) -> None:
    """Add rhythm_tvd / rhythm_correlation: median over the real traces (others, for a real one)."""
    profiles = [np.array(r["hourly_share"]) for r in real if r.get("hourly_share")]
    for i, stats in enumerate(r for r in real if r.get("hourly_share")):
        others = profiles[:i] + profiles[i + 1 :]
        if others:
            p = np.array(stats["hourly_share"])
            stats["rhythm_tvd"] = float(np.median([_tvd(p, q) for q in others]))
            stats["rhythm_correlation"] = float(np.median([_correlation(p, q) for q in others]))
    for stats in synth:
        if profiles and stats.get("hourly_share"):
            p = np.array(stats["hourly_share"])
            stats["rhythm_tvd"] = float(np.median([_tvd(p, q) for q in profiles]))
            stats["rhythm_correlation"] = float(np.median([_correlation(p, q) for q in profiles]))


# --- work per weekday: synthetic people and the time-use survey ---------------------------------


def work_minutes_by_day(spans: Sequence[Span]) -> dict[int, float]:
    """Return work minutes per local day number, from first to last day, for a local timeline.

    A sitting (spans closer than a minute) is work when work apps (development, office, design,
    meetings) hold at least WORK_SHARE of its window time; its work minutes are its length less
    meals (away spans of 20 minutes or more), like the survey, whose work time excludes meals.
    """
    steps = sorted((s for s in spans if s.source in (WINDOW, AFK)), key=lambda s: s.start)
    if not steps:
        return {}
    minutes: dict[int, float] = {
        d: 0.0
        for d in range(
            math.floor(steps[0].start / 86400.0),
            math.floor((steps[-1].start + steps[-1].duration) / 86400.0) + 1,
        )
    }
    sitting: list[Span] = []

    def close() -> None:
        if not sitting:
            return
        window = sum(s.duration for s in sitting if s.source == WINDOW)
        work = sum(
            s.duration
            for s in sitting
            if s.source == WINDOW and (s.category in WORK_KINDS or s.category == "meetings")
        )
        if window > 0 and work / window >= WORK_SHARE:
            for s in sitting:
                if not (s.source == AFK and s.duration >= LUNCH_S):
                    minutes[math.floor(s.start / 86400.0)] += s.duration / 60.0
        sitting.clear()

    end = -math.inf
    for s in steps:
        if s.start - end > SESSION_GAP_S:
            close()
        sitting.append(s)
        end = max(end, s.start + s.duration)
    close()
    return minutes


def work_statistics(
    weekday: np.ndarray, minutes: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float | None]:
    """Return the ATUS_STATS figures of days' work minutes (weekday 0 = Monday; weighted)."""
    weekday, minutes = np.asarray(weekday), np.asarray(minutes, dtype=np.float64)
    w = np.ones(minutes.size) if weights is None else np.asarray(weights, dtype=np.float64)
    worked = (minutes >= WORKED_MIN).astype(np.float64)

    def mean(values: np.ndarray, mask: np.ndarray) -> float | None:
        return float(np.average(values[mask], weights=w[mask])) if w[mask].sum() > 0 else None

    mon_thu, friday = mean(minutes, weekday < 4), mean(minutes, weekday == 4)
    return {
        "work_min_weekday": mean(minutes, weekday < 5),
        "worked_share_weekday": mean(worked, weekday < 5),
        "work_min_worked_weekday": mean(minutes, (weekday < 5) & (worked > 0)),
        "friday_to_mon_thu": friday / mon_thu if friday is not None and mon_thu else None,
        "worked_share_weekend": mean(worked, weekday >= 5),
        "work_min_weekend": mean(minutes, weekday >= 5),
    }


def person_work_statistics(spans: Sequence[Span]) -> dict[str, float | None]:
    """Return the ATUS_STATS figures of one synthetic person's local timeline."""
    days = work_minutes_by_day(spans)
    day = np.array(list(days), dtype=np.int64)
    return work_statistics((day + 3) % 7, np.array(list(days.values())))


def atus_work(data_dir: Path) -> dict[str, Any] | None:
    """Return the ATUS_STATS figures for full-time desk workers, per survey year and all years.

    Work = activity codes 0501xx (working at a main or other job), minutes per diary day; days
    weighted by the survey weight; the weekday comes from the diary date. None: no survey (or no
    such respondent) here.
    """
    folder = data_dir / "time-use"
    people, activities = folder / "atus_respondents.csv.gz", folder / "atus_activity_minutes.csv.gz"
    if not (people.exists() and activities.exists()):
        return None
    chosen: dict[str, tuple[int, datetime.date, float]] = {}  # case id -> (year, diary day, weight)
    with gzip.open(people, "rt", newline="") as handle:
        reader = csv.reader(handle)
        at = {name: i for i, name in enumerate(next(reader))}
        case, status, ptft, job = (
            at[k] for k in ("tucaseid", "labor_status", "ptft", "occup_code")
        )
        year_at, month_at, day_at, weight_at = (
            at[k] for k in ("tuyear", "diary_mo", "diary_day", "wt")
        )
        for row in reader:
            if (
                row[ptft] == "FT"
                and row[job] in DESK_OCCUPATIONS
                and row[status].startswith("employed")
            ):
                year = int(row[year_at])  # diary_day is the day of the month
                date = datetime.date(year, int(row[month_at]), int(row[day_at]))
                chosen[row[case]] = (year, date, float(row[weight_at]))
    work = dict.fromkeys(chosen, 0.0)
    with gzip.open(activities, "rt") as handle:
        text = handle.read()
    # Rows are `tucaseid,tiercode,dur`; six-digit codes stored as integers, so working (0501xx)
    # has lost its leading zero. Only the code column sits between two commas.
    for match in re.finditer(r",501\d\d,", text):
        case_id = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
        if case_id in work:
            work[case_id] += float(text[match.end() : text.find("\n", match.end())])
    if not chosen:
        return None
    years = sorted({year for year, _, _ in chosen.values()})
    year = np.array([y for y, _, _ in chosen.values()])
    weekday = np.array([d.weekday() for _, d, _ in chosen.values()])
    weight = np.array([w for _, _, w in chosen.values()])
    minutes = np.array([work[case] for case in chosen])
    per_year = {
        str(y): work_statistics(weekday[year == y], minutes[year == y], weight[year == y])
        for y in years
    }
    per_year["all"] = work_statistics(weekday, minutes, weight)
    return {
        "population": "full-time employed, occupations "
        + ", ".join(DESK_OCCUPATIONS)
        + f" ({len(chosen):,} diary days, {years[0]}-{years[-1]}, survey weights)",
        "by_year": per_year,
    }


# --- the comparison ------------------------------------------------------------------------------


def _spread(values: list[float | None]) -> dict[str, float] | None:
    found = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not found:
        return None
    return {
        "n": len(found),
        "min": min(found),
        "median": float(np.median(found)),
        "max": max(found),
        "mean": float(np.mean(found)),
    }


def _verdict(stat: Stat, real: dict | None, value: float | None) -> dict[str, Any]:
    if real is None or value is None:
        return {"checked": value, "tolerance": None, "inside": None}
    tol = max(stat.tolerance, stat.rel_tolerance * abs(real["median"]))
    low = -math.inf if stat.side == "upper" else real["min"] - tol
    high = math.inf if stat.side == "lower" else real["max"] + tol
    return {"checked": value, "tolerance": tol, "inside": bool(low <= value <= high)}


def _row(stat: Stat, real: dict | None, fake: dict | None, checked: float | None) -> dict:
    """Return one comparison row: the statistic, both spreads and the verdict on `checked`."""
    return {
        "key": stat.key,
        "label": stat.label,
        "source": stat.source,
        "people": stat.people,
        "side": stat.side,
        "real": real,
        "synthetic": fake,
        **_verdict(stat, real, checked),
    }


def compare(
    data_dir: Path,
    personas: int = 60,
    weeks: int = 2,
    seed: int = 0,
    *,
    people: list[tuple[Any, list[Span]]] | None = None,
) -> dict[str, Any]:
    """Return the real and synthetic statistics side by side (JSON-able).

    `people`: (persona, spans) to check instead of `days.corpus(personas, weeks, seed)`.
    """
    found = []
    for name, spans in real_traces(data_dir):
        folder = "desktop-windows" if name.endswith(".csv") else "activitywatch"
        zone = _stored_zone(data_dir / folder / name)
        stats = person_statistics(local_spans(spans, zone), clock=zone is not None)
        stats["zone"] = zone or "unknown (UTC, left out of the clock rows)"
        found.append((name, stats))
    if people is None:
        people = days.corpus(personas, weeks, seed)
    synth = [(p.name, person_statistics(spans)) for p, spans in people]
    add_rhythm_distances([s for _, s in found], [s for _, s in synth])

    rows = []
    for stat in TRACE_STATS:
        real = _spread([s[stat.key] for _, s in found])
        checked = [s for n, s in synth if stat.people == "everyone" or is_student(n)]
        fake = _spread([s[stat.key] for s in checked])
        rows.append(_row(stat, real, fake, fake["median"] if fake else None))

    atus = atus_work(data_dir)
    workers = [(p, spans) for p, spans in people if not is_student(p.name)]
    synth_work = [(p.name, person_work_statistics(spans)) for p, spans in workers]
    for stat in ATUS_STATS:
        real = None
        if atus:
            real = _spread([v[stat.key] for k, v in atus["by_year"].items() if k != "all"])
            if real:
                real["all_years"] = atus["by_year"]["all"][stat.key]
        fake = _spread([s[stat.key] for _, s in synth_work])
        # A population figure: the synthetic people's mean is what is checked.
        rows.append(_row(stat, real, fake, fake["mean"] if fake else None))
    return {
        "data": str(data_dir),
        "synthetic": {"personas": len(people), "weeks": weeks, "seed": seed},
        "traces": {name: _public(stats) for name, stats in found},
        "people": {name: _public(stats) for name, stats in synth},
        "people_work": dict(synth_work),
        "atus": atus,
        "rows": rows,
        "off": [r["key"] for r in rows if r["inside"] is False],
    }


def _public(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if k != "hourly_share"} | {
        "hourly_share": [round(v, 4) for v in stats.get("hourly_share") or []]
    }


def table(result: dict[str, Any]) -> str:
    """Return the comparison as a fixed-width table with a legend."""

    def cells(spread: dict | None, fmt: str) -> str:
        if not spread:
            return f"{'-':>8}{'-':>8}{'-':>8}"
        return "".join(f"{spread[k]:>8{fmt}}" for k in ("min", "median", "max"))

    fmts = {s.key: s.fmt for s in TRACE_STATS + ATUS_STATS}
    head = (
        f"{'statistic':<37}{'real min':>8}{'median':>8}{'max':>8}  {'synth min':>9}"
        f"{'median':>8}{'max':>8}{'checked':>9}  inside"
    )
    lines = [head, "-" * len(head)]
    traces = result["traces"]
    people = result["synthetic"]
    lines.append(
        f"[desktop traces: {len(traces)} real; spans and switches: all {people['personas']} "
        f"synthetic people x {people['weeks']} weeks, seed {people['seed']}]"
    )
    students = sum(is_student(name) for name in result["people"])
    atus = result.get("atus")
    headers = {  # printed above the first row of each group of people checked
        "students": "[when the laptop is used: the real traces (students' own laptops) against "
        f"the {students} synthetic students]",
        "workers": "[time-use survey (range over survey years): "
        + (atus["population"] if atus else "not here")
        + f"; synthetic: the {len(result['people']) - students} non-students, their mean"
        " checked]",
    }
    group = "everyone"
    for row in result["rows"]:
        if row["people"] != group:
            group = row["people"]
            lines.append(headers[group])
        fmt = fmts[row["key"]]
        checked = "-" if row["checked"] is None else format(row["checked"], fmt)
        inside = {True: "yes", False: "NO", None: "-"}[row["inside"]]
        if row["inside"] is not None and row["side"] != "both":
            inside += " (<= max)" if row["side"] == "upper" else " (>= min)"
        lines.append(
            f"{row['label']:<37}{cells(row['real'], fmt)}  {' ':1}"
            f"{cells(row['synthetic'], fmt)}{checked:>9}  {inside}"
        )
    lines.append(
        "inside: the checked value (synthetic median; mean for the survey rows) lies in the real"
        " range widened by max(row tolerance, 10% of the real median)."
    )
    zones = ", ".join(f"{n}: {s['zone']}" for n, s in traces.items())
    lines.append(f"local time of the real traces: {zones}")
    if result["off"]:
        lines.append("outside the real range: " + ", ".join(result["off"]))
    return "\n".join(lines)
