"""Statistics of a timeline that `sculptor-train realism` compares with the real data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge_model.categories import UNKNOWN
from training.synthetic.persons import (
    WINDOW,
    Span,
)

# --- trace statistics --------------------------------------------------------------------------

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _window_arrays(spans: Sequence[Span]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = sorted(
        (s for s in spans if s.source == WINDOW and s.duration > 0), key=lambda s: s.start
    )
    start = np.array([s.start for s in rows], dtype=np.float64)
    duration = np.array([s.duration for s in rows], dtype=np.float64)
    return start, duration, [s.app for s in rows]


def hourly_share(spans: Sequence[Span]) -> list[float]:
    """Return the fraction of active (window) time falling in each hour of the day (24 values)."""
    start, duration, _ = _window_arrays(spans)
    share = np.zeros(24, dtype=np.float64)
    if start.size == 0:
        return share.tolist()
    end = start + duration
    cursor = start.copy()
    while True:
        live = cursor < end
        if not live.any():
            break
        c, e = cursor[live], end[live]
        boundary = (np.floor(c / 3600.0) + 1.0) * 3600.0
        upto = np.minimum(boundary, e)
        np.add.at(share, ((c % 86400.0) // 3600.0).astype(np.int64), upto - c)
        cursor[live] = upto
    total = share.sum()
    return (share / total if total > 0 else share).tolist()


def weekday_active_hours(spans: Sequence[Span]) -> list[float]:
    """Return mean active (window) hours per calendar day for Monday..Sunday (7 values)."""
    start, duration, _ = _window_arrays(spans)
    hours = np.zeros(7, dtype=np.float64)
    if start.size == 0:
        return hours.tolist()
    day = np.floor(start / 86400.0).astype(np.int64)
    weekday = (day + 3) % 7
    np.add.at(hours, weekday, duration / 3600.0)
    counts = np.zeros(7, dtype=np.float64)
    for d in range(int(day.min()), int(day.max()) + 1):
        counts[(d + 3) % 7] += 1
    return (hours / np.maximum(counts, 1.0)).tolist()


def trace_statistics(spans: Sequence[Span]) -> dict[str, float]:
    """Return summary statistics of a trace, for comparing synthetic against real timelines."""
    start, duration, apps = _window_arrays(spans)
    stats: dict[str, float] = {}
    if start.size == 0:
        return {"spans": 0.0, "active_hours": 0.0}
    active_h = float(duration.sum() / 3600.0)
    switches = sum(1 for a, b in zip(apps, apps[1:], strict=False) if a != b)
    stats["spans"] = float(start.size)
    stats["active_hours"] = active_h
    stats["median_span_s"] = float(np.median(duration))
    stats["p90_span_s"] = float(np.percentile(duration, 90))
    stats["short_span_fraction"] = float(np.mean(duration < 5.0))  # alt-tab / shell blips
    stats["minute_span_fraction"] = float(np.mean(duration < 60.0))
    stats["switches_per_active_hour"] = float(switches / active_h) if active_h > 0 else 0.0
    days = np.unique(np.floor(start / 86400.0))
    stats["active_days"] = float(days.size)
    stats["active_hours_per_active_day"] = active_h / max(1, days.size)
    per_weekday = weekday_active_hours(spans)
    for name, value in zip(DAY_NAMES, per_weekday, strict=True):
        stats[f"active_hours_{name}"] = value
    stats["active_hours_weekday"] = float(np.mean(per_weekday[:5]))
    stats["active_hours_weekend"] = float(np.mean(per_weekday[5:]))
    categories = [s.category for s in spans if s.source == WINDOW]
    stats["unknown_category_fraction"] = categories.count(UNKNOWN) / max(1, len(categories))
    return stats
