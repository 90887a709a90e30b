"""What the Plan tab shows, without Qt: the week grid, the weekly review and the item form.

The tab only draws these records and forwards clicks; which buttons a block offers, how a
block's state reads, what the review's lines say and how a filled-in form becomes a plan item
are decided here, over the running app's `Planner` and its store, so tests drive them without
a display.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from desktop.plan import items
from desktop.plan.planner import Planner, outcome
from desktop.reports import MEETINGS
from desktop.store import PlanBlock

FIRST_HOUR, LAST_HOUR = 6, 23  # the week grid's hours; it grows to show a block outside them
TREND_WEEKS = 4
STATES = ("planned", "running", "kept", "partly kept", "missed", "skipped")
ACTIONS = ("start", "move", "skip", "answer")


def week_start(day: dt.date) -> dt.date:
    """Return the Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def say_hours(minutes: float) -> str:
    """Return "10 h", "7.5 h", "2 h 15 min" or "45 min"."""
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    if whole % 30 == 0:
        return f"{whole / 60:g} h"
    return f"{whole // 60} h {whole % 60} min"


def _span_clock(start_minute: int, end_minute: int) -> str:
    """Return "HH:MM-HH:MM" of a span within a day (an end at midnight reads 00:00)."""
    return items.clock_span(start_minute, end_minute % (24 * 60))


@dataclass(frozen=True)
class BlockView:
    """One placed block as the week grid draws it."""

    id: int
    item: str  # the item's key
    name: str
    day: int  # 0 Monday .. 6 Sunday in the shown week
    start: float  # epoch seconds
    end: float
    start_minute: int  # local minutes after midnight
    end_minute: int  # at most 24 * 60 (a block past midnight is drawn to the day's end)
    state: str  # one of STATES
    kept_share: float | None
    why: str
    answer: str | None
    actions: frozenset[str]  # what the user can do with it now: a subset of ACTIONS
    lane: int = 0  # blocks that overlap (a skipped one and its replacement) stand side by side
    lanes: int = 1

    @property
    def clock(self) -> str:
        return _span_clock(self.start_minute, self.end_minute)

    @property
    def state_line(self) -> str:
        """Return e.g. "kept: 82% of the block went to it" or "planned"."""
        if self.state == "skipped":
            return "skipped: its time went back to the week"
        if self.kept_share is None:
            return "running now" if self.state == "running" else "planned"
        return f"{self.state}: {self.kept_share:.0%} of the block went to it"

    def details(self, weekday: str) -> str:
        """Return the lines shown for a selected or hovered block."""
        lines = [f"{self.name}, {weekday} {self.clock}", self.state_line.capitalize()]
        if self.why:
            lines.append(f"Why here: {self.why}")
        if self.answer:
            lines.append(f"You said it went {self.answer}")
        return "\n".join(lines)


@dataclass(frozen=True)
class MeetingView:
    """A calendar entry beside the blocks, clipped to its day."""

    day: int
    start_minute: int
    end_minute: int
    kind: str  # "meeting" (category meetings) or "event", as the dashboard's timeline
    title: str  # "" where the title is not kept in clear

    @property
    def clock(self) -> str:
        return _span_clock(self.start_minute, self.end_minute)


@dataclass(frozen=True)
class ItemRow:
    key: str
    name: str
    kind: str  # habit | task
    description: str  # Item.describe()


@dataclass(frozen=True)
class Week:
    """The week grid: Monday to Sunday, its blocks and meetings, and what the plan says."""

    monday: dt.date
    blocks: tuple[BlockView, ...]
    meetings: tuple[MeetingView, ...]
    items: tuple[ItemRow, ...]
    shortfalls: tuple[str, ...]
    error: str | None  # plan.toml could not be used (the previous plan is kept)
    today: int | None  # the column of today, if it is in this week
    now_minute: int  # local minutes after midnight of now
    first_hour: int
    last_hour: int

    @property
    def days(self) -> tuple[dt.date, ...]:
        return tuple(self.monday + dt.timedelta(days=d) for d in range(7))

    @property
    def empty(self) -> bool:
        """Whether there is nothing to plan: no habits or tasks yet."""
        return not self.items

    def day_blocks(self, day: int) -> tuple[BlockView, ...]:
        return tuple(b for b in self.blocks if b.day == day)

    def day_meetings(self, day: int) -> tuple[MeetingView, ...]:
        return tuple(m for m in self.meetings if m.day == day)

    def block(self, block_id: int) -> BlockView | None:
        return next((b for b in self.blocks if b.id == block_id), None)

    def counts(self) -> dict[str, int]:
        """Return how many blocks of the week stand in each state."""
        return {state: sum(b.state == state for b in self.blocks) for state in STATES}


def empty_text() -> str:
    """Return what the Plan tab says, and what to do, when there is no habit or task yet."""
    return (
        "No habits or tasks yet.\n"
        'Add a habit, e.g. "Deep work, 2 h every weekday", or a task with a due date: the app '
        "places it where you really do that kind of work, around your meetings, and measures "
        "how each block was kept."
    )


def actions(block: PlanBlock, now: float) -> frozenset[str]:
    """Return what the user can do with a block now (see ACTIONS)."""
    if block.end <= now:  # ended: only the optional "how did it go"
        return frozenset() if block.status == "skipped" else frozenset({"answer"})
    if block.status in ("skipped", "done"):
        return frozenset()
    if block.status == "started":
        return frozenset({"skip"})
    return frozenset({"start", "move", "skip"})


def week(
    planner: Planner,
    monday: dt.date,
    now: float,
    shortfalls: tuple[str, ...] | list[str] = (),
) -> Week:
    """Return the week grid of the week starting `monday` as it stands at `now`."""
    plan = planner.plan()
    names = planner.item_names()
    lo = planner.epoch(monday, 0)
    hi = planner.epoch(monday + dt.timedelta(days=7), 0)
    blocks = []
    first_hour, last_hour = FIRST_HOUR, LAST_HOUR
    for block in planner.blocks(lo, hi):
        local = planner.local(block.start)
        day = (local.date() - monday).days
        if not 0 <= day < 7:
            continue  # started in the week before; drawn there
        start_minute = local.hour * 60 + local.minute
        end_minute = min(start_minute + round(block.minutes), 24 * 60)
        first_hour = min(first_hour, start_minute // 60)
        last_hour = max(last_hour, -(-end_minute // 60))
        blocks.append(
            BlockView(
                id=block.id,
                item=block.item,
                name=names.get(block.item, block.item),
                day=day,
                start=block.start,
                end=block.end,
                start_minute=start_minute,
                end_minute=end_minute,
                state=outcome(block, now),
                kept_share=block.kept_share,
                why=block.why,
                answer=block.answer,
                actions=actions(block, now),
            )
        )
    blocks = _side_by_side(blocks)
    meetings = []
    for event in planner.store.events(lo, hi, sources=("calendar",)):
        for day in range(7):
            day_lo = planner.epoch(monday + dt.timedelta(days=day), 0)
            day_hi = planner.epoch(monday + dt.timedelta(days=day + 1), 0)
            start, end = max(event.start, day_lo), min(event.start + event.duration, day_hi)
            if end <= start:
                continue
            local = planner.local(start)
            start_minute = local.hour * 60 + local.minute
            end_minute = min(start_minute + round((end - start) / 60), 24 * 60)
            meetings.append(
                MeetingView(
                    day=day,
                    start_minute=start_minute,
                    end_minute=end_minute,
                    kind="meeting" if event.category == MEETINGS else "event",
                    title="" if event.title_hashed else event.title,
                )
            )
    local_now = planner.local(now)
    today = (local_now.date() - monday).days
    return Week(
        monday=monday,
        blocks=tuple(blocks),
        meetings=tuple(meetings),
        items=tuple(
            ItemRow(item.key, item.name, item.kind, item.describe()) for item in plan.items
        ),
        shortfalls=tuple(shortfalls),
        error=planner.plan_file.error,
        today=today if 0 <= today < 7 else None,
        now_minute=local_now.hour * 60 + local_now.minute,
        first_hour=first_hour,
        last_hour=last_hour,
    )


def _side_by_side(blocks: list[BlockView]) -> list[BlockView]:
    """Return the blocks with a lane each, so that overlapping blocks of a day do not hide."""
    placed: list[BlockView] = []
    for day in range(7):
        todays = sorted((b for b in blocks if b.day == day), key=lambda b: (b.start, b.id))
        group: list[BlockView] = []
        group_end = -1
        for block in [*todays, None]:
            if block is None or block.start_minute >= group_end:
                lanes: list[int] = []  # each lane's end minute
                laned = []
                for member in group:
                    lane = next(
                        (i for i, end in enumerate(lanes) if end <= member.start_minute), None
                    )
                    if lane is None:
                        lanes.append(0)
                        lane = len(lanes) - 1
                    lanes[lane] = member.end_minute
                    laned.append((member, lane))
                placed += [replace(m, lane=lane, lanes=len(lanes)) for m, lane in laned]
                group, group_end = [], -1
            if block is not None:
                group.append(block)
                group_end = max(group_end, block.end_minute)
    return sorted(placed, key=lambda b: (b.start, b.id))


# the weekly review ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewRow:
    """Planned against kept minutes of one item over the blocks of a week that ended."""

    name: str
    planned_min: float
    kept_min: float
    blocks: int
    kept: int
    partly: int
    missed: int  # missed or skipped

    @property
    def share(self) -> float:
        return self.kept_min / self.planned_min if self.planned_min else 0.0

    @property
    def line(self) -> str:
        """Return e.g. "of 10 h of deep work planned, 7.5 h kept"."""
        return (
            f"of {say_hours(self.planned_min)} of {self.name.lower()} planned, "
            f"{say_hours(self.kept_min)} kept"
        )


@dataclass(frozen=True)
class TrendWeek:
    monday: dt.date
    planned_min: float
    kept_min: float

    @property
    def share(self) -> float:
        return self.kept_min / self.planned_min if self.planned_min else 0.0

    @property
    def label(self) -> str:
        return f"Week of {self.monday:%d %b}".replace(" 0", " ")

    @property
    def value_text(self) -> str:
        if not self.planned_min:
            return "nothing planned"
        return (
            f"{self.share:.0%} kept ({say_hours(self.kept_min)} of {say_hours(self.planned_min)})"
        )


@dataclass(frozen=True)
class Review:
    """The review of one week: per item, in all, and the weeks before it."""

    monday: dt.date
    rows: tuple[ReviewRow, ...]
    trend: tuple[TrendWeek, ...] = field(default=())  # oldest first, the reviewed week last

    @property
    def planned_min(self) -> float:
        return sum(row.planned_min for row in self.rows)

    @property
    def kept_min(self) -> float:
        return sum(row.kept_min for row in self.rows)

    @property
    def utilization(self) -> float:
        return self.kept_min / self.planned_min if self.planned_min else 0.0

    @property
    def line(self) -> str:
        """Return the week in one line: how much of what was planned was kept."""
        if not self.rows:
            return "No planned block has ended in this week yet."
        return (
            f"Of {say_hours(self.planned_min)} planned, {say_hours(self.kept_min)} kept "
            f"({self.utilization:.0%})."
        )


def _week_rows(planner: Planner, monday: dt.date) -> tuple[ReviewRow, ...]:
    lo = planner.epoch(monday, 0)
    hi = planner.epoch(monday + dt.timedelta(days=7), 0)
    rows = [
        ReviewRow(r.name, r.planned_min, r.kept_min, r.blocks, r.kept, r.partly, r.missed)
        for r in planner.review(lo, hi)
    ]
    return tuple(sorted(rows, key=lambda row: (-row.planned_min, row.name)))


def review(planner: Planner, monday: dt.date, weeks: int = TREND_WEEKS) -> Review:
    """Return the review of the week starting `monday`, with the trend of `weeks` weeks."""
    rows = _week_rows(planner, monday)
    trend = []
    for back in range(weeks - 1, 0, -1):
        earlier = _week_rows(planner, monday - dt.timedelta(days=7 * back))
        trend.append(
            TrendWeek(
                monday - dt.timedelta(days=7 * back),
                sum(r.planned_min for r in earlier),
                sum(r.kept_min for r in earlier),
            )
        )
    trend.append(TrendWeek(monday, sum(r.planned_min for r in rows), sum(r.kept_min for r in rows)))
    return Review(monday, rows, tuple(trend))


# the add/edit form ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemForm:
    """The add/edit dialog's fields as text, the way plan.toml spells them."""

    name: str = ""
    kind: str = "habit"  # habit | task
    length: str = "60"  # habit: one block ("45", "1h30m", "60-120"); task: the whole task
    per: str = "day"  # habit: "day" or "week"
    times: int = 3  # habit per week: blocks a week
    days: tuple[int, ...] = items.WEEKDAYS
    window: str = ""  # "" for the working hours, or "HH:MM-HH:MM"
    categories: tuple[str, ...] = ()
    away: bool = False
    priority: int = 2
    due: str = ""  # task: "" or YYYY-MM-DD or a weekday
    chunk: str = "60-120"  # task: minutes per block


def entry(form: ItemForm) -> dict[str, object]:
    """Return the plan.toml table a form stands for (what `items.from_entry` reads)."""
    table: dict[str, object] = {"name": form.name, "minutes": form.length.strip()}
    if form.kind == "task":
        if form.chunk.strip():
            table["chunk"] = form.chunk.strip()
        if form.due.strip():
            table["due"] = form.due.strip()
    else:
        table["per"] = form.per
        if form.per == "week":
            table["times"] = form.times
    table["days"] = [items.DAY_NAMES[d] for d in form.days]
    if form.window.strip():
        table["window"] = form.window.strip()
    table["priority"] = form.priority
    if form.away:
        table["away"] = True
    elif form.categories:
        table["categories"] = list(form.categories)
    return table


def item_from_form(form: ItemForm, today: dt.date) -> items.Item:
    """Return the item a form describes; PlanError says what is wrong, as for plan.toml."""
    if not form.days:
        raise items.PlanError(f"{form.kind} ({form.name.strip()}): pick at least one day")
    return items.from_entry(form.kind, entry(form), form.kind, today)


def form_from_item(item: items.Item) -> ItemForm:
    """Return the form that shows an existing item."""
    length = (
        str(item.min_minutes)
        if item.min_minutes == item.max_minutes
        else f"{item.min_minutes}-{item.max_minutes}"
    )
    window = items.clock_span(item.window[0], item.window[1]) if item.window else ""
    common = ItemForm(
        name=item.name,
        kind=item.kind,
        days=item.days,
        window=window,
        categories=item.categories,
        away=item.away,
        priority=item.priority,
    )
    if item.kind == "task":
        total = item.total_minutes
        return replace(
            common,
            length=f"{total // 60}h" if total % 60 == 0 else str(total),
            due=item.due.isoformat() if item.due else "",
            chunk=length,
        )
    return replace(common, length=length, per=item.per, times=item.times)


def save_item(planner: Planner, item: items.Item, replacing: str | None = None) -> None:
    """Add `item` to plan.toml, or put it in the place of the item keyed `replacing`."""
    plan = planner.plan()
    if planner.plan_file.error:
        raise items.PlanError(f"fix plan.toml first: {planner.plan_file.error}")
    clash = plan.item(item.key)
    if clash is not None and clash.key != replacing:
        raise items.PlanError(f"there is already an item named {clash.name!r}; edit that one")
    if replacing is None or plan.item(replacing) is None:
        planner.plan_file.save(items.with_item(plan, item))
        return
    kept = tuple(item if old.key == replacing else old for old in plan.items)
    planner.plan_file.save(replace(plan, items=kept))


def remove_item(planner: Planner, key: str) -> None:
    """Remove the item keyed `key` from plan.toml."""
    plan = planner.plan()
    if planner.plan_file.error:
        raise items.PlanError(f"fix plan.toml first: {planner.plan_file.error}")
    planner.plan_file.save(items.without_item(plan, key))
