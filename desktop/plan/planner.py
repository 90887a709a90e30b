"""The plan as the app keeps it: placed from the store's history, measured, re-planned, shown.

`Planner` reads the user's items from plan.toml, their history and meetings from the store, and
keeps the store's blocks for the coming seven days in step: blocks that ended are measured
(the share of the block spent in the item's categories, or away for an away item), a missed or
skipped block's time goes back to its item, and the rest of the week is placed again. Time comes
from the injected clock, and local time from the injected zone, so tests run a week in seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.clock import Clock
from desktop.plan import forecast as fc
from desktop.plan import ics, items, placement, proposal, solver
from desktop.store import PlanBlock, Store
from edge_model import files

HORIZON_DAYS = 7
KEPT_AT = placement.KEPT_AT
PARTLY_AT = placement.PARTLY_AT
ACTIVE_SOURCES = ("window", "import")
ICS_NAME = "plan.ics"


def outcome(block: PlanBlock, now: float) -> str:
    """Return how a block stands: planned, running, kept, partly kept, missed or skipped."""
    if block.status == "skipped":
        return "skipped"
    if block.kept_share is not None:
        if block.kept_share >= KEPT_AT:
            return "kept"
        return "partly kept" if block.kept_share >= PARTLY_AT else "missed"
    if block.start <= now < block.end:
        return "running"
    return "planned"


ANSWER_BANDS = {"well": (KEPT_AT, 1.0), "partly": (PARTLY_AT, KEPT_AT), "badly": (0.0, PARTLY_AT)}


def answered_share(kept_share: float, answer: str | None) -> float:
    """Return the measured share moved into the band of the user's answer, if they gave one."""
    if answer not in ANSWER_BANDS:
        return kept_share
    low, high = ANSWER_BANDS[answer]
    return min(max(kept_share, low), high)


@dataclass(frozen=True)
class Refresh:
    """What a re-plan did."""

    placed: int
    measured: int
    shortfalls: list[str]
    error: str | None  # plan.toml could not be used (the previous plan was kept)


@dataclass(frozen=True)
class ItemReview:
    name: str
    planned_min: float
    kept_min: float
    blocks: int
    kept: int
    partly: int
    missed: int


def _local_zone() -> dt.tzinfo:
    zone = dt.datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


class Planner:
    """Keeps the store's plan in step with plan.toml, the history and the clock."""

    def __init__(
        self,
        store: Store,
        directory: Path,
        clock: Clock,
        tz: dt.tzinfo | None = None,
        *,
        time_limit_s: float = 0.8,
        replan_time_limit_s: float = 0.1,
    ) -> None:
        self.store = store
        self.directory = Path(directory)
        self.clock = clock
        self.tz = tz or _local_zone()
        self.plan_file = items.PlanFile(self.directory)
        # A week placed from scratch gets the solver's full time; a re-plan starts from the
        # current plan (the solver's hint), which is already a good answer to improve on.
        self.time_limit_s = time_limit_s
        self.replan_time_limit_s = replan_time_limit_s
        self.last_solution: solver.Solution | None = None  # the last re-plan's, for benchmarks
        self._lock = threading.Lock()

    # time -------------------------------------------------------------------------------------
    def local(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, self.tz)

    def epoch(self, day: dt.date, minute: int) -> float:
        moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
        return moment.replace(tzinfo=self.tz).timestamp()

    def today(self) -> dt.date:
        return self.local(self.clock.now()).date()

    def plan(self) -> items.Plan:
        return self.plan_file.plan(self.today())

    # history ----------------------------------------------------------------------------------
    def timeline(self, now: float) -> tuple[fc.Timeline, int]:
        """Return the last HISTORY_DAYS of history and the coming horizon, and today's index."""
        today = self.local(now).date()
        origin = today - dt.timedelta(days=fc.HISTORY_DAYS)
        days = fc.HISTORY_DAYS + HORIZON_DAYS + 1
        lo, hi = self.epoch(origin, 0), self.epoch(origin + dt.timedelta(days=days), 0)
        spans = [
            (start, end, "window", category)
            for start, end, category in self.store.clipped_spans(
                lo, min(hi, now), ACTIVE_SOURCES, exclude_category="away"
            )
        ]
        spans += [
            (start, end, "calendar", category)
            for start, end, category in self.store.clipped_spans(lo, hi, ("calendar",))
        ]
        return fc.timeline_from_spans(spans, origin, days, self.tz), fc.HISTORY_DAYS

    # measuring --------------------------------------------------------------------------------
    def kept_seconds(self, item: items.Item | None, start: float, end: float) -> float:
        """Return the seconds of [start, end) that went to the item, from stored activity."""
        spans = self.store.clipped_spans(start, end, ACTIVE_SOURCES)
        if item is not None and item.away:
            busy = _union((lo, hi) for lo, hi, category in spans if category != "away")
            return max(0.0, (end - start) - sum(hi - lo for lo, hi in busy))
        counted = (
            (lo, hi)
            for lo, hi, category in spans
            if (item.counts(category) if item is not None else category != "away")
        )
        return sum(hi - lo for lo, hi in _union(counted))

    def measure_ended(self, now: float) -> int:
        """Measure every block that ended and is not measured yet; return how many."""
        plan = self.plan()
        count = 0
        for block in self.store.plan_blocks(now - 14 * 86400, now):
            if block.end > now or block.status in ("done", "skipped"):
                continue
            kept = self.kept_seconds(plan.item(block.item), block.start, block.end)
            length = max(block.end - block.start, 1.0)
            self.store.record_block_outcome(block.id, kept, min(1.0, kept / length))
            count += 1
        return count

    # placing ----------------------------------------------------------------------------------
    def refresh(self, now: float | None = None) -> Refresh:
        """Measure ended blocks and place the coming seven days again; return what it did."""
        with self._lock:
            now = self.clock.now() if now is None else now
            plan = self.plan()
            error = self.plan_file.error
            self.store.sync_plan_items(items.specs(plan.items), now)
            measured = self.measure_ended(now)
            timeline, today = self.timeline(now)
            now_minute = int(timeline.minute_of(self.local(now).replace(tzinfo=None)))
            forecast = fc.forecast(timeline, today, HORIZON_DAYS)
            lead_end = now + placement.LEAD_MIN * 60
            held, hint, skipped = self._held(timeline, now, lead_end)
            limit = self.replan_time_limit_s if hint else self.time_limit_s
            result = placement.place(
                plan,
                timeline,
                forecast,
                now_minute,
                held,
                limit,
                hint,
                skipped,
                self.outcomes(now),
            )
            self.last_solution = result.solution
            rows = []
            for block in result.blocks:
                day = timeline.origin + dt.timedelta(days=block.day)
                start = self.epoch(day, block.start)
                rows.append((block.item, start, start + block.minutes * 60, block.why))
            self.store.replace_planned_blocks(lead_end, rows, now)
            self.write_ics(now)
            return Refresh(len(rows), measured, result.shortfalls, error)

    def outcomes(self, now: float, days: float = fc.HISTORY_DAYS) -> placement.Outcomes:
        """Return how each item's measured blocks of the last `days` went, by start time.

        The user's own answer to "how did it go" moves the measured share into its band: a
        block they say went badly counts as missed however busy the computer was, one that went
        well as kept (a walk, say, that the activity cannot see).
        """
        result: placement.Outcomes = {}
        for block in self.store.plan_blocks(now - days * 86400.0, now):
            if block.kept_share is None:
                continue
            local = self.local(block.start)
            result.setdefault(block.item, []).append(
                (local.hour * 60 + local.minute, answered_share(block.kept_share, block.answer))
            )
        return result

    def _held(
        self, timeline: fc.Timeline, now: float, lead_end: float
    ) -> tuple[list[placement.Held], list[placement.Placed], list[placement.Held]]:
        """Return the blocks that can no longer move this week, the current plan as a hint,
        and the skipped blocks (their time is not offered again)."""
        week_start = self.local(now).date() - dt.timedelta(days=self.local(now).weekday())
        lo = self.epoch(week_start, 0)
        held, hint, skipped = [], [], []
        for block in self.store.plan_blocks(lo, now + (HORIZON_DAYS + 1) * 86400):
            local = self.local(block.start).replace(tzinfo=None)
            day = (local.date() - timeline.origin).days
            minute = local.hour * 60 + local.minute
            minutes = int(round((block.end - block.start) / 60))
            if block.status == "planned" and block.start >= lead_end:
                hint.append(placement.Placed(block.item, day, minute, minutes, 0.0, block.why))
                continue
            if block.status == "skipped":
                skipped.append(placement.Held(block.item, day, minute, minutes))
                continue  # its time goes back to the item, elsewhere
            if block.kept_share is not None and block.kept_share < PARTLY_AT:
                continue  # missed: its time goes back to the item, the week finds another slot
            kept = block.kept_s / 60.0 if block.kept_s is not None else None
            held.append(placement.Held(block.item, day, minute, minutes, kept))
        return held, hint, skipped

    def propose(self, now: float | None = None) -> proposal.Proposal | None:
        """Return a plan made from the history (None while there are too few days of it)."""
        now = self.clock.now() if now is None else now
        timeline, today = self.timeline(now)
        return proposal.propose(timeline, today)

    # the user's actions -----------------------------------------------------------------------
    def start(self, block_id: int) -> None:
        self.store.set_block_status(block_id, "started")

    def skip(self, block_id: int) -> Refresh:
        """Skip a block: its time goes back to its item and the week is placed again."""
        self.store.set_block_status(block_id, "skipped")
        return self.refresh()

    def answer(self, block_id: int, answer: str) -> None:
        self.store.record_block_answer(block_id, answer, self.clock.now())

    def move_options(self, block_id: int, count: int = 3) -> list[tuple[float, str]]:
        """Return the next good starts for a block (epoch seconds, why), best first."""
        block = self.store.plan_block(block_id)
        if block is None:
            raise KeyError(f"no plan block {block_id}")
        now = self.clock.now()
        plan = self.plan()
        item = plan.item(block.item)
        if item is None:
            return []
        timeline, today = self.timeline(now)
        forecast = fc.forecast(timeline, today, HORIZON_DAYS)
        minute_now = int(timeline.minute_of(self.local(now).replace(tzinfo=None)))
        active = forecast.conditioned(minute_now)
        busy = timeline.meeting[today * fc.DAY_MIN : (today + HORIZON_DAYS) * fc.DAY_MIN]
        blocked = np.asarray(busy.reshape(HORIZON_DAYS, fc.SLOTS, fc.SLOT_MIN).any(axis=2), bool)
        for other in self.store.plan_blocks(now, now + HORIZON_DAYS * 86400):
            if other.id == block_id:
                continue
            local = self.local(other.start).replace(tzinfo=None)
            offset = (local.date() - timeline.origin).days - today
            first = (local.hour * 60 + local.minute) // fc.SLOT_MIN
            if 0 <= offset < HORIZON_DAYS:
                blocked[offset, first : first + int(other.end - other.start) // 900] = True
        length = int(round((block.end - block.start) / 60))
        sized = dataclasses.replace(item, min_minutes=length, max_minutes=length)
        options = placement.candidates(
            sized, plan, timeline, forecast, active, minute_now + placement.LEAD_MIN, blocked
        )
        options.sort(key=lambda c: -c.value)
        result = []
        for candidate in options:
            day = timeline.origin + dt.timedelta(days=today + candidate.day)
            start = self.epoch(day, candidate.start)
            if abs(start - block.start) < 60:
                continue
            why = placement.why_here(item, timeline, forecast, candidate, blocked)
            result.append((start, why))
            if len(result) == count:
                break
        return result

    def move(self, block_id: int, start: float) -> None:
        """Move a block to `start` (it keeps its length) and hold it there."""
        block = self.store.plan_block(block_id)
        if block is None:
            raise KeyError(f"no plan block {block_id}")
        length = block.end - block.start
        self.store.move_block(block_id, start, start + length, self.clock.now())

    # showing ----------------------------------------------------------------------------------
    def blocks(self, start: float, end: float) -> list[PlanBlock]:
        return self.store.plan_blocks(start, end)

    def item_names(self) -> dict[str, str]:
        """Return the display name of every item key, removed items included."""
        names = {
            key: str(spec.get("name", key))
            for key, spec in self.store.plan_items(include_removed=True).items()
        }
        names.update({item.key: item.name for item in self.plan().items})
        return names

    def review(self, start: float, end: float) -> list[ItemReview]:
        """Return planned against kept minutes per item over blocks that ended in [start, end)."""
        names = self.item_names()
        rows: dict[str, list[float]] = {}
        for block in self.store.plan_blocks(start, end):
            if block.end > min(end, self.clock.now()):
                continue
            row = rows.setdefault(block.item, [0.0, 0.0, 0, 0, 0, 0])
            state = outcome(block, self.clock.now())
            row[0] += (block.end - block.start) / 60.0
            row[1] += (block.kept_s or 0.0) / 60.0
            row[2] += 1
            row[3] += state == "kept"
            row[4] += state == "partly kept"
            row[5] += state in ("missed", "skipped")
        return [
            ItemReview(names.get(key, key), r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]))
            for key, r in rows.items()
        ]

    def ics_path(self) -> Path:
        return self.directory / ICS_NAME

    def ics_document(self, now: float) -> bytes:
        """Return the plan's recent and coming blocks as an iCalendar document."""
        blocks = self.store.plan_blocks(now - 7 * 86400, now + (HORIZON_DAYS + 1) * 86400)
        return ics.calendar(blocks, self.item_names())

    def write_ics(self, now: float) -> Path:
        """Keep plan.ics in step with the plan (written only when it changed); return its path."""
        path = self.ics_path()
        document = self.ics_document(now)
        try:
            unchanged = path.read_bytes() == document
        except OSError:
            unchanged = False
        if not unchanged:  # a re-plan every five minutes mostly changes nothing
            files.write_private(path, document)
        return path


def _union(intervals) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]
