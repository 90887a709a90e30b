"""What the user wants time for: habits and tasks, their rules, and `plan.toml` that holds them.

`plan.toml` lives next to `categories.toml` in the data directory. The tray's Plan tab and
`time-sculptor plan add|remove` edit the same file, so there is one place that says what the
plan is. A bad entry is one line naming the file, the entry and the reason; the previous plan is
kept by whoever reads it (see `PlanFile`).

    [plan]
    work_days = ["mon", "tue", "wed", "thu", "fri"]
    work_hours = "08:00-18:00"     # tasks and habits without a window of their own
    daily_cap = "6h"               # at most this much planned time a day
    buffer = "10m"                 # free time kept after every block

    [[habit]]
    name = "Deep work"
    minutes = 120                  # or "2h", or a range "60-120"
    per = "day"                    # "day": on each of `days`; "week": `times` a week
    days = ["mon", "tue", "wed", "thu", "fri"]
    window = "08:00-13:00"
    categories = ["development", "office"]
    priority = 1                   # 1 high, 2 normal, 3 low

    [[habit]]
    name = "Exercise"
    minutes = 45
    per = "week"
    times = 3
    window = "17:00-21:00"
    away = true                    # done away from the computer

    [[task]]
    name = "Write the report"
    hours = 6
    due = "2026-12-11"             # a date, or a weekday: the next one
    chunk = "60-120"               # minutes per block
    categories = ["office"]
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop.config import file_stamp
from edge_model import categories as category_table
from edge_model import files

PLAN_NAME = "plan.toml"
MAX_PLAN_BYTES = 256 * 1024
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = (0, 1, 2, 3, 4)
ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
SLOT_MIN = 15  # the plan's grid: blocks start and last in quarter hours
MAX_TASK_MINUTES = 200 * 60

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.IGNORECASE)
_HHMM = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")


class PlanError(ValueError):
    """A plan entry that cannot be used, said in one line."""


def parse_minutes(value: Any, what: str, most: int = 24 * 60) -> int:
    """Return whole minutes of 90, "90", "1h30m", "1.5h", "45m" (positive, at most `most`)."""
    if isinstance(value, bool):
        raise PlanError(f"{what}: expected minutes or a duration like 1h30m, not {value!r}")
    if isinstance(value, int | float):
        minutes = float(value)
    elif isinstance(value, str) and value.strip().isdigit():
        minutes = float(value.strip())
    elif isinstance(value, str) and (match := _DURATION.match(value)) and any(match.groups()):
        minutes = float(match.group(1) or 0) * 60 + float(match.group(2) or 0)
    else:
        raise PlanError(f"{what}: expected minutes or a duration like 1h30m, not {value!r}")
    if not 0 < minutes <= most or minutes != minutes:
        raise PlanError(f"{what}: {value!r} is not between 1 minute and {most // 60} hours")
    return int(round(minutes))


def parse_range(value: Any, what: str) -> tuple[int, int]:
    """Return (shortest, longest) minutes of 45, "2h" or a range "60-120" / "1h-2h"."""
    if isinstance(value, str) and "-" in value:
        low_text, high_text = value.split("-", 1)
        low, high = parse_minutes(low_text, what), parse_minutes(high_text, what)
        if low > high:
            raise PlanError(f"{what}: {value!r} runs backwards")
        return low, high
    minutes = parse_minutes(value, what)
    return minutes, minutes


def parse_clock(text: str, what: str) -> int:
    """Return minutes after midnight of "HH:MM" (24:00 allowed as the end of the day)."""
    match = _HHMM.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) * 60 + int(match.group(2)) > 24 * 60:
        raise PlanError(f"{what}: expected a time of day HH:MM, not {text!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_window(value: Any, what: str) -> tuple[int, int]:
    """Return (from, to) minutes after midnight of "HH:MM-HH:MM" (same day, from before to)."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise PlanError(f"{what}: expected HH:MM-HH:MM, e.g. 08:00-12:00, not {value!r}")
    start, end = (parse_clock(part, what) for part in value.split("-"))
    if end <= start:
        raise PlanError(f"{what}: {value!r} must end after it starts on the same day")
    return start, end


def parse_days(value: Any, what: str) -> tuple[int, ...]:
    """Return weekday numbers (Monday 0) of ["mon", "tue"], "weekdays", "weekend" or "daily"."""
    named = {"weekdays": WEEKDAYS, "weekend": (5, 6), "daily": ALL_DAYS, "every day": ALL_DAYS}
    if isinstance(value, str):
        if value.strip().lower() in named:
            return named[value.strip().lower()]
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, list) or not value:
        raise PlanError(f'{what}: expected a list of days like ["mon", "wed"], not {value!r}')
    days = set()
    for name in value:
        key = str(name).strip().lower()[:3]
        if key not in DAY_NAMES:
            raise PlanError(f"{what}: {name!r} is not a day (mon, tue, ... sun)")
        days.add(DAY_NAMES.index(key))
    return tuple(sorted(days))


def slug(name: str) -> str:
    """Return the stable key of an item name: lowercase words joined by dashes."""
    words = re.findall(r"[0-9a-z]+", name.lower())
    return "-".join(words)[:60] or "item"


@dataclass(frozen=True)
class Item:
    """One thing the user wants time for: a recurring habit or a task with a due date."""

    name: str
    kind: str  # habit | task
    min_minutes: int  # one block's length (habits), or the chunk range (tasks)
    max_minutes: int
    days: tuple[int, ...] = ALL_DAYS
    window: tuple[int, int] | None = None  # minutes after midnight; None: working hours
    priority: int = 2
    categories: tuple[str, ...] = ()  # empty: any activity at the computer counts
    away: bool = False  # kept by being away from the computer (exercise, lunch, a walk)
    per: str = "day"  # habits: "day" (each of `days`) or "week" (`times` a week)
    times: int = 1
    total_minutes: int = 0  # tasks: how long the whole task takes
    due: dt.date | None = None  # tasks: done before the end of this day

    @property
    def key(self) -> str:
        return slug(self.name)

    @property
    def per_week(self) -> int:
        """Return how many blocks a week a habit asks for."""
        return len(self.days) if self.per == "day" else self.times

    def counts(self, category: str) -> bool:
        """Return whether time in `category` counts as doing this item at the computer."""
        if self.categories:
            return category in self.categories
        return category not in (category_table.AWAY, "excluded")

    def describe(self) -> str:
        """Return the item in a short line, e.g. "Deep work: 2 h on Mon-Fri, 08:00-13:00"."""
        length = _say_minutes(self.min_minutes, self.max_minutes)
        if self.kind == "task":
            due = f", due {self.due:%a %d %b}" if self.due else ""
            text = f"{self.name}: {_say_minutes(self.total_minutes)} in blocks of {length}{due}"
        elif self.per == "week":
            text = f"{self.name}: {self.times} x {length} a week"
        else:
            text = f"{self.name}: {length} on {_say_days(self.days)}"
        if self.window:
            text += f", {clock_span(self.window[0], self.window[1])}"
        if self.away:
            text += ", away from the computer"
        elif self.categories:
            text += f" ({', '.join(self.categories)})"
        return text

    def to_toml_entry(self) -> dict[str, Any]:
        """Return the item as a plan.toml table (what `from_entry` reads back)."""
        entry: dict[str, Any] = {"name": self.name}
        length = (
            str(self.min_minutes)
            if self.min_minutes == self.max_minutes
            else f"{self.min_minutes}-{self.max_minutes}"
        )
        if self.kind == "task":
            entry["minutes"] = self.total_minutes
            entry["chunk"] = length
            if self.due:
                entry["due"] = self.due.isoformat()
        else:
            entry["minutes"] = length if "-" in length else self.min_minutes
            entry["per"] = self.per
            if self.per == "week":
                entry["times"] = self.times
        if self.days != ALL_DAYS:
            entry["days"] = [DAY_NAMES[d] for d in self.days]
        if self.window:
            entry["window"] = clock_span(self.window[0], self.window[1])
        if self.priority != 2:
            entry["priority"] = self.priority
        if self.categories:
            entry["categories"] = list(self.categories)
        if self.away:
            entry["away"] = True
        return entry

    def spec(self) -> dict[str, Any]:
        """Return a JSON-ready record of the item, as the store keeps it."""
        record = asdict(self)
        record["due"] = self.due.isoformat() if self.due else None
        return record


def clock_text(minutes: int) -> str:
    """Return a minute of the day as HH:MM (the inverse of `parse_clock`)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clock_span(start: int, end: int) -> str:
    """Return minutes of the day [start, end) as HH:MM-HH:MM."""
    return f"{clock_text(start)}-{clock_text(end)}"


def _say_minutes(low: int, high: int | None = None) -> str:
    def one(m: int) -> str:
        if m % 60 == 0:
            return f"{m // 60} h"
        return f"{m // 60} h {m % 60} min" if m > 60 else f"{m} min"

    return one(low) if high is None or high == low else f"{one(low)}-{one(high)}"


def _say_days(days: tuple[int, ...]) -> str:
    if days == ALL_DAYS:
        return "every day"
    if days == WEEKDAYS:
        return "Mon-Fri"
    if days == (5, 6):
        return "weekends"
    return ", ".join(DAY_NAMES[d].capitalize() for d in days)


_HABIT_KEYS = {"name", "minutes", "hours", "per", "times", "days", "window", "priority"}
_HABIT_KEYS |= {"categories", "away"}
_TASK_KEYS = {"name", "minutes", "hours", "due", "chunk", "days", "window", "priority"}
_TASK_KEYS |= {"categories", "away"}


def next_weekday(today: dt.date, weekday: int) -> dt.date:
    """Return the next date on `weekday` after `today` (a week on when today is that day)."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def from_entry(kind: str, entry: dict[str, Any], where: str, today: dt.date) -> Item:
    """Return the item a plan.toml table describes; PlanError names what is wrong."""
    if not isinstance(entry, dict):
        raise PlanError(f"{where}: expected a table with a name")
    allowed = _HABIT_KEYS if kind == "habit" else _TASK_KEYS
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise PlanError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        raise PlanError(f"{where}: every entry needs a name (up to 80 characters)")
    where = f"{where} ({name.strip()})"
    if "minutes" in entry and "hours" in entry:
        raise PlanError(f"{where}: give minutes or hours, not both")
    if "hours" in entry:
        amount = entry["hours"]
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise PlanError(f"{where}: hours must be a number, not {amount!r}")
        length: Any = float(amount) * 60
    else:
        length = entry.get("minutes")
    if length is None:
        raise PlanError(f"{where}: how long? give minutes = 60 or hours = 2")
    priority = entry.get("priority", 2)
    if priority not in (1, 2, 3) or isinstance(priority, bool):
        raise PlanError(f"{where}: priority is 1 (high), 2 (normal) or 3 (low), not {priority!r}")
    raw_categories = entry.get("categories", [])
    if isinstance(raw_categories, str):
        raw_categories = [raw_categories]
    if not isinstance(raw_categories, list):
        raise PlanError(f"{where}: categories is a list of names")
    for category in raw_categories:
        if category not in category_table.RULE_CATEGORIES:
            known = ", ".join(sorted(category_table.RULE_CATEGORIES - {"unknown"}))
            raise PlanError(f"{where}: unknown category {category!r} (known: {known})")
    away = entry.get("away", False)
    if not isinstance(away, bool):
        raise PlanError(f"{where}: away is true or false")
    if away and raw_categories:
        raise PlanError(
            f"{where}: an away item has no categories (it is kept away from the computer)"
        )
    window = parse_window(entry["window"], f"{where}: window") if "window" in entry else None
    days = parse_days(entry["days"], f"{where}: days") if "days" in entry else None
    common: dict[str, Any] = {
        "name": name.strip(),
        "priority": int(priority),
        "categories": tuple(raw_categories),
        "away": away,
        "window": window,
    }
    if kind == "habit":
        low, high = parse_range(length, f"{where}: minutes")
        per = entry.get("per", "week" if "times" in entry else "day")
        if per not in ("day", "week"):
            raise PlanError(f'{where}: per is "day" or "week", not {per!r}')
        times = entry.get("times", 1)
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 14:
            raise PlanError(f"{where}: times is a whole number from 1 to 14, not {times!r}")
        item = Item(
            kind="habit",
            min_minutes=low,
            max_minutes=high,
            days=days if days is not None else (ALL_DAYS if per == "week" else WEEKDAYS),
            per=per,
            times=times,
            **common,
        )
    else:
        total = parse_minutes(length, f"{where}: minutes", most=MAX_TASK_MINUTES)
        chunk = parse_range(
            entry.get("chunk", f"{min(total, 60)}-{min(total, 120)}"), f"{where}: chunk"
        )
        due = _parse_due(entry.get("due"), f"{where}: due", today)
        item = Item(
            kind="task",
            min_minutes=min(chunk[0], total),
            max_minutes=min(chunk[1], total),
            days=days if days is not None else ALL_DAYS,
            total_minutes=total,
            due=due,
            **common,
        )
    if window and window[1] - window[0] < item.min_minutes:
        raise PlanError(f"{where}: a {item.min_minutes} min block does not fit its window")
    return item


def _parse_due(value: Any, what: str, today: dt.date) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        key = value.strip().lower()[:3]
        if key in DAY_NAMES and value.strip().isalpha():
            return (
                next_weekday(today, DAY_NAMES.index(key))
                if today.weekday() != DAY_NAMES.index(key)
                else today
            )
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PlanError(f"{what}: expected a date YYYY-MM-DD or a weekday, not {value!r}")


@dataclass(frozen=True)
class PlanSettings:
    """The plan's own rules: when the user works, how much may be planned a day, buffers."""

    work_days: tuple[int, ...] = WEEKDAYS
    work_hours: tuple[int, int] = (8 * 60, 18 * 60)
    daily_cap_minutes: int = 6 * 60
    buffer_minutes: int = 10


@dataclass(frozen=True)
class Plan:
    """The items and settings of a plan.toml."""

    items: tuple[Item, ...] = ()
    settings: PlanSettings = field(default_factory=PlanSettings)

    def item(self, key: str) -> Item | None:
        return next((item for item in self.items if item.key == key), None)


def parse_plan(text: str, where: str, today: dt.date) -> Plan:
    """Return the plan a plan.toml text holds; PlanError names the file, entry and reason."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{where}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"plan", "habit", "task"})
    if unknown:
        raise PlanError(
            f"{where}: unknown section [{unknown[0]}] (expected [plan], [[habit]], [[task]])"
        )
    settings = PlanSettings()
    section = data.get("plan", {})
    if not isinstance(section, dict):
        raise PlanError(f"{where}: [plan] must be a table")
    extra = sorted(set(section) - {"work_days", "work_hours", "daily_cap", "buffer"})
    if extra:
        raise PlanError(f"{where}: [plan] has an unknown key {extra[0]!r}")
    if "work_days" in section:
        settings = replace(
            settings, work_days=parse_days(section["work_days"], f"{where}: work_days")
        )
    if "work_hours" in section:
        settings = replace(
            settings, work_hours=parse_window(section["work_hours"], f"{where}: work_hours")
        )
    if "daily_cap" in section:
        settings = replace(
            settings, daily_cap_minutes=parse_minutes(section["daily_cap"], f"{where}: daily_cap")
        )
    if "buffer" in section:
        buffer = section["buffer"]
        minutes = 0 if buffer in (0, "0", "0m") else parse_minutes(buffer, f"{where}: buffer")
        if minutes > 120:
            raise PlanError(f"{where}: buffer of {minutes} min is more than 2 h")
        settings = replace(settings, buffer_minutes=minutes)
    items: list[Item] = []
    for kind in ("habit", "task"):
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            raise PlanError(f"{where}: use [[{kind}]] for each {kind}")
        for index, entry in enumerate(entries, 1):
            items.append(from_entry(kind, entry, f"{where}: {kind} {index}", today))
    keys = [item.key for item in items]
    for key in keys:
        if keys.count(key) > 1:
            raise PlanError(f"{where}: two entries are named {key!r}: names must differ")
    return Plan(tuple(items), settings)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _toml_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


def plan_toml(plan: Plan) -> str:
    """Return plan.toml text for a plan (parse_plan reads it back to the same plan)."""
    settings = plan.settings
    lines = [
        "# What you want time for. Edit freely: the app re-reads this file when it changes.",
        '# Durations: 90, "1h30m", ranges "60-120"; days: ["mon", ...]; windows: "08:00-12:00".',
        "",
        "[plan]",
        f"work_days = {_toml_value([DAY_NAMES[d] for d in settings.work_days])}",
        f'work_hours = "{clock_span(settings.work_hours[0], settings.work_hours[1])}"',
        f'daily_cap = "{_toml_duration(settings.daily_cap_minutes)}"',
        f'buffer = "{_toml_duration(settings.buffer_minutes)}"',
    ]
    for item in plan.items:
        lines += ["", f"[[{item.kind}]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in item.to_toml_entry().items()]
    return "\n".join(lines) + "\n"


def write_plan(path: Path, plan: Plan) -> None:
    """Write plan.toml atomically (a temporary file beside it, then rename), mode 0600."""
    files.private_dir(path.parent)
    files.write_private(path, plan_toml(plan).encode("utf-8"))


def read_plan_file(path: Path, today: dt.date) -> Plan:
    """Return the plan in `path` (an empty plan when there is none); PlanError when unusable."""
    try:
        if not path.exists():
            return Plan()
        if not path.is_file():
            raise PlanError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise PlanError(f"{path}: larger than {MAX_PLAN_BYTES // 1024} KB; not a plan")
        with path.open("rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read: {exc}") from None
    return parse_plan(text, str(path), today)


class PlanFile:
    """The plan a running app uses, re-read when plan.toml changes; a bad edit keeps the last."""

    def __init__(self, directory: Path, *, check_every_s: float = 5.0) -> None:
        self.path = Path(directory) / PLAN_NAME
        self.check_every_s = check_every_s
        self.error: str | None = None
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._checked = -float("inf")
        self._plan = Plan()

    def _file_stamp(self) -> tuple[int, int] | None:
        return file_stamp(self.path)

    def plan(self, today: dt.date) -> Plan:
        """Return the current plan; looks at the file at most every `check_every_s` seconds."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.check_every_s:
                self._checked = now
                stamp = self._file_stamp()
                if stamp != self._stamp:
                    self._stamp = stamp
                    try:
                        self._plan = read_plan_file(self.path, today)
                        self.error = None
                    except PlanError as exc:
                        self.error = f"{exc}; keeping the previous plan"
            return self._plan

    def save(self, plan: Plan) -> None:
        """Write the plan and use it at once."""
        with self._lock:
            write_plan(self.path, plan)
            self._plan = plan
            self._stamp = self._file_stamp()
            self.error = None


def with_item(plan: Plan, item: Item) -> Plan:
    """Return the plan with `item` added, or replacing the item of the same name."""
    kept = [existing for existing in plan.items if existing.key != item.key]
    return replace(plan, items=(*kept, item))


def without_item(plan: Plan, key: str) -> Plan:
    """Return the plan without the item whose key or name is `key`; PlanError if none."""
    wanted = slug(key)
    kept = tuple(item for item in plan.items if item.key != wanted)
    if len(kept) == len(plan.items):
        names = ", ".join(item.name for item in plan.items) or "none"
        raise PlanError(f"no plan item named {key!r} (items: {names})")
    return replace(plan, items=kept)


def specs(items: Iterable[Item]) -> dict[str, dict[str, Any]]:
    """Return the store's record of each item by key."""
    return {item.key: item.spec() for item in items}
