"""Replays a recorded or sample day through the real poll path, store, model and engine.

What `time-sculptor demo` (and `run` where there is no display) does: it shows the product at
work. The CLI replays into a temporary data directory, never into one that holds the user's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from importlib import resources
from pathlib import Path

import numpy as np

from desktop.clock import FakeClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.engine import Decision
from desktop.service import AppService
from desktop.store import Event

SAMPLE_DAY = "sample_day.csv"
SAMPLE_PLAN = "sample_plan.toml"


@dataclass(frozen=True)
class ReplaySpan:
    start: float
    duration: float
    source: str  # window | afk | calendar
    app: str
    title: str

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def away(self) -> bool:
        return self.source == "afk"


def load_day(data: bytes | None = None, name: str = SAMPLE_DAY) -> list[ReplaySpan]:
    """Return the spans of a recorded day: the sample, or a CSV in any layout the app reads.

    The one CSV parser of import and export reads it (`timestamp` or `start`, `app`, and
    optionally `duration`, `source`, `title`): the import format, `export --format csv` and
    the sample day alike; a time without a zone is read as UTC. Spans other than window, away
    and calendar ones (system context) are not replayed.
    """
    from desktop import importers

    if data is None:
        data = resources.files("desktop.resources").joinpath(SAMPLE_DAY).read_bytes()
    parsed = importers.parse_csv(data, name, local_tz=UTC)
    spans = [
        ReplaySpan(
            start=event.start,
            duration=event.duration,
            source="window" if event.source == "import" else event.source,
            app=event.app,
            title=event.title,
        )
        for event in parsed.events
        if event.source in ("window", "import", "afk", "calendar")
    ]
    if not spans:
        raise importers.ImportFailed(name, "", "no window, away or calendar spans to replay")
    return sorted(spans, key=lambda s: s.start)


class ReplayWatcher:
    """A WindowWatcher that reads a recorded day at the injected clock's time."""

    name = "replay"

    def __init__(self, spans: Sequence[ReplaySpan], clock: FakeClock) -> None:
        self.spans = [s for s in spans if s.source in ("window", "afk")]
        self.clock = clock
        self._i = 0
        # Which recorded spans a poll ever saw: a span shorter than the poll step may be missed.
        self.seen: set[int] = set()

    def _current(self) -> ReplaySpan | None:
        now = self.clock.now()
        while (
            self._i < len(self.spans)
            and self.spans[self._i].start + self.spans[self._i].duration <= now
        ):
            self._i += 1
        if self._i < len(self.spans) and self.spans[self._i].start <= now:
            self.seen.add(self._i)
            return self.spans[self._i]
        return None

    def active_window(self) -> WindowInfo | None:
        span = self._current()
        if span is None or span.away:
            return None
        return WindowInfo(app=span.app, title=span.title)

    def idle_seconds(self) -> float:
        span = self._current()
        if span is None or not span.away:
            return 0.0
        return self.clock.now() - span.start

    def close(self) -> None:
        pass


def replay_day(
    data_dir: Path,
    spans: Sequence[ReplaySpan],
    *,
    config: Config | None = None,
    poll_s: float = 2.0,
    seed: int = 7,
    on_decision: Callable[[Decision], None] | None = None,
) -> AppService:
    """Run a whole day through the app in simulated time; return the (open) service."""
    config = config or Config()
    clock = FakeClock(spans[0].start)
    service = AppService(
        data_dir,
        config,
        clock,
        watcher=ReplayWatcher(spans, clock),
        rng=np.random.default_rng(seed),
        poll_step_s=poll_s,
    )
    service.refresh_model()
    meetings = [s for s in spans if s.source == "calendar"]
    service.store.insert_events(
        Event(
            start=m.start,
            duration=m.duration,
            source="calendar",
            app=m.app,
            title=m.title,
            category="meetings",
        )
        for m in meetings
    )
    end = max(s.start + s.duration for s in spans)
    next_tick = clock.now() + config.infer_interval_s
    while clock.now() < end:
        clock.advance(poll_s)
        service.poll()
        if clock.now() >= next_tick:
            next_tick += config.infer_interval_s
            decision = service.tick()
            if decision is not None and on_decision is not None:
                on_decision(decision)
    return service


def plan_after_replay(service: AppService, text: str | None = None) -> list[str]:
    """Place the replayed person's week the next morning (the sample plan); return its lines.

    The plan file goes into the replay's own data directory, never the user's.
    """
    from desktop.plan import items
    from desktop.plan.cli import week_lines

    if text is None:
        text = resources.files("desktop.resources").joinpath(SAMPLE_PLAN).read_text("utf-8")
    (service.data_dir / items.PLAN_NAME).write_text(text, encoding="utf-8")
    # The next morning: the replayed day is then history the forecast learns from.
    evening = service.planner.local(service.clock.now())
    morning = datetime.combine(evening.date() + timedelta(days=1), time(6), evening.tzinfo)
    now = morning.timestamp()
    result = service.planner.refresh(now)
    plan = service.planner.plan()
    lines = [f"  {item.describe()}" for item in plan.items]
    lines += ["", *week_lines(service.planner, now)]
    lines += [f"Not everything fits: {line}" for line in result.shortfalls]
    return lines
