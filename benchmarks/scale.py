"""A year of history: does the app stay fast with ~1M spans in its store?

    python benchmarks/scale.py [--spans 1000000] [--db PATH] [--repeat 7] [--json OUT]

Builds a synthetic year (working days ~9-10 h of window spans between apps, short away spans,
a few calendar meetings; weekends lighter) through the store's public `insert_events`, then
measures, as medians over `--repeat` runs:

- open: `Store(path)` on the full file (what every start and every CLI command pays);
- day query: `store.events` for one day (the last day, and one in the middle of the year);
- dashboard: `desktop.reports.dashboard(store, day, ...)`, everything the dashboard draws
  (the day's spans for its timeline; the week ending with the day summed by hour in SQL, and
  its active pieces for the focus/break walk);
- featurize: the engine's per-tick work before the model: `store.events` of the last 16 h,
  `Timeline.from_spans` and `features.featurize` for one moment;
- timing: the timing head's app history, read once a local day (14 days of stays), and one
  tick's statistics of the app with the most stays;
- the database's size on disk.

Wall-clock medians, and for the dashboard also CPU-time medians (steadier on a shared machine).

Goal: the daily summary in at most 100 ms. `--db` keeps the built file for reuse.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop import reports  # noqa: E402
from desktop.engine import HISTORY_S, stays_from_store  # noqa: E402
from desktop.store import DB_NAME, Event, Store  # noqa: E402
from edge_model import features, timing  # noqa: E402

DAY_S = 86_400.0
YEAR_START = 1_704_067_200.0  # 2024-01-01T00:00:00Z
APPS = [
    ("code", "development"), ("terminal", "development"), ("firefox", "browsing"),
    ("slack", "communication"), ("thunderbird", "communication"), ("zoom", "meetings"),
    ("libreoffice", "office"), ("spotify", "entertainment"), ("youtube", "entertainment"),
    ("figma", "design"), ("twitter", "social"), ("settings", "system"),
]  # fmt: skip


def synthetic_year(spans: int, seed: int = 8) -> Iterator[Event]:
    """Yield about `spans` spans over 365 days, oldest first."""
    rng = random.Random(seed)
    workdays = [d for d in range(365) if (d + 1) % 7 not in (5, 6)]  # 2024-01-01 was a Monday
    weekend = [d for d in range(365) if (d + 1) % 7 in (5, 6)]
    per_workday = spans / (len(workdays) + 0.3 * len(weekend))
    for day in range(365):
        target = per_workday * (0.3 if day in weekend else 1.0)
        begin = YEAR_START + day * DAY_S + 8 * 3600 + rng.uniform(-1800, 1800)
        active = rng.uniform(9.0, 10.0) * 3600 * (0.4 if day in weekend else 1.0)
        mean = active / target
        now = begin
        app, category = rng.choice(APPS)
        for _ in range(int(target)):
            duration = rng.expovariate(1.0 / mean)
            if rng.random() < 0.03:
                yield Event(start=now, duration=duration * 5, source="afk", category="away")
                now += duration * 5
                continue
            if rng.random() < 0.7:
                app, category = rng.choice(APPS)
            title = f"{app} document {rng.randrange(200)}"
            yield Event(
                start=now, duration=duration, source="window", app=app, title=title,
                category=category,
            )  # fmt: skip
            now += duration
        for _ in range(rng.randrange(0, 4) if day not in weekend else 0):
            at = YEAR_START + day * DAY_S + rng.choice([9, 10, 11, 14, 15, 16]) * 3600
            yield Event(
                start=at, duration=1800, source="calendar", app="calendar", title="Sync",
                category="meetings",
            )  # fmt: skip


def build(path: Path, spans: int) -> tuple[int, float]:
    """Fill a new store; return (spans inserted, seconds)."""
    store = Store(path)
    began = time.perf_counter()
    inserted = 0
    batch: list[Event] = []
    for event in synthetic_year(spans):
        batch.append(event)
        if len(batch) == 50_000:
            inserted += store.insert_events(batch)
            batch.clear()
    inserted += store.insert_events(batch)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return inserted, time.perf_counter() - began


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm: the page cache and SQLite's own, as in a running app
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - began) * 1000.0)
    return statistics.median(times), result


def median_cpu_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Return the median CPU time of `fn` in this process: steadier than wall time when other
    work shares the cores (the dashboard's work is all in-process: SQLite and Python)."""
    fn()
    times = []
    for _ in range(repeat):
        began = time.process_time()
        fn()
        times.append((time.process_time() - began) * 1000.0)
    return statistics.median(times)


def measure(path: Path, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}

    def open_close() -> int:
        store = Store(path)
        count = store.schema_version
        store.close()
        return count

    figures["open_ms"], _ = median_ms(open_close, repeat)
    store = Store(path)
    figures["spans"] = store.event_count()
    last_end = store.db.execute("SELECT max(start + duration) FROM events").fetchone()[0]
    last_day = reports.day_start(last_end - 3600)
    middle_day = YEAR_START + 182 * DAY_S
    for name, day in (("last_day", last_day), ("middle_day", middle_day)):
        figures[f"day_query_{name}_ms"], events = median_ms(
            lambda day=day: store.events(day, day + DAY_S), repeat
        )
        figures[f"day_query_{name}_spans"] = len(events)
        figures[f"dashboard_{name}_ms"], _ = median_ms(
            lambda day=day: reports.dashboard(store, day, now=day + DAY_S), repeat
        )
        figures[f"dashboard_{name}_cpu_ms"] = median_cpu_ms(
            lambda day=day: reports.dashboard(store, day, now=day + DAY_S), repeat
        )
    moment = last_day + 17 * 3600

    def featurize() -> dict[str, Any]:
        spans = store.events(moment - HISTORY_S, moment, sources=("window", "afk", "import"))
        timeline = features.Timeline.from_spans(spans)
        return features.featurize(timeline, features.Context(now=moment))

    figures["featurize_16h_ms"], _ = median_ms(featurize, repeat)
    # The timing head's app history: read from the store once a local day (the engine's
    # `stays_from_store`), then one tick's statistics of the current app.
    figures["timing_stays_14d_ms"], stays = median_ms(
        lambda: stays_from_store(store, moment - timing.STAY_DAYS * DAY_S, moment), repeat
    )
    figures["timing_stays_14d_spans"] = sum(len(ends) for ends in stays.ends.values())
    busiest = max(stays.ends, key=lambda app: len(stays.ends[app]))
    figures["timing_tick_statistics_ms"], _ = median_ms(
        lambda: stays.statistics(busiest, 60.0, moment), repeat
    )
    figures["glance_ms"], _ = median_ms(lambda: reports.glance(store, moment), repeat)
    store.close()
    figures["db_bytes"] = sum(
        os.path.getsize(f"{path}{suffix}")
        for suffix in ("", "-wal")
        if os.path.exists(f"{path}{suffix}")
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--db", help="keep (or reuse, if it exists) the built database here")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args(argv)
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="scale-")) / DB_NAME
    if path.exists():
        print(f"reusing {path}")
    else:
        inserted, seconds = build(path, args.spans)
        print(f"built {inserted:,} spans in {seconds:.1f} s ({inserted / seconds:,.0f}/s)")
    figures = measure(path, args.repeat)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        print(f"{key:<{width}}  {shown}")
    worst = max(figures["dashboard_last_day_ms"], figures["dashboard_middle_day_ms"])
    print(f"goal: daily summary <= 100 ms: {'met' if worst <= 100 else 'NOT met'} ({worst:.1f})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
