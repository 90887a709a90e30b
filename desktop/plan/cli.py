"""`time-sculptor plan add|list|remove|show|export`: the plan from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.clock import FakeClock, SystemClock
from desktop.plan import items, proposal
from desktop.plan.planner import Planner, outcome
from edge_model import files

OpenStore = Callable[[argparse.Namespace], tuple[Any, Path]]


def register(sub: Any, open_store: OpenStore) -> None:
    """Add the `plan` command and its subcommands to the app's parser."""
    plan = sub.add_parser("plan", help="what you want time for, and the week placed for it")
    plan.add_argument("--now", help=argparse.SUPPRESS)  # a fixed "now" (ISO), for replays
    verbs = plan.add_subparsers(dest="plan_command", required=True)

    add = verbs.add_parser("add", help="add (or replace) a habit or a task")
    add.add_argument("name", help='what it is, e.g. "Deep work"')
    add.add_argument("--task", action="store_true", help="a task with a total and a due date")
    add.add_argument("--minutes", help="a habit's block (60, 1h30m, 45-90); a task's total")
    add.add_argument("--hours", type=float, help="the same in hours (e.g. a task of 6 h)")
    add.add_argument(
        "--per", choices=("day", "week"), help="a habit: each of its days, or N a week"
    )
    add.add_argument("--times", type=int, help="a habit per week: how many blocks")
    add.add_argument("--days", help="mon,tue,... or weekdays / weekend / daily")
    add.add_argument("--window", help="time of day it fits, e.g. 08:00-12:00")
    add.add_argument("--categories", help="categories that count as doing it, e.g. development")
    add.add_argument("--away", action="store_true", help="kept away from the computer")
    add.add_argument("--priority", type=int, choices=(1, 2, 3), help="1 high, 2 normal, 3 low")
    add.add_argument("--due", help="a task: YYYY-MM-DD or a weekday")
    add.add_argument("--chunk", help="a task: minutes per block, e.g. 60-120")
    add.set_defaults(func=lambda args: cmd_add(args, open_store))

    listing = verbs.add_parser("list", help="the habits and tasks in plan.toml")
    listing.set_defaults(func=lambda args: cmd_list(args, open_store))

    remove = verbs.add_parser("remove", help="remove a habit or task by name")
    remove.add_argument("name", help="its name, as `plan list` shows it")
    remove.set_defaults(func=lambda args: cmd_remove(args, open_store))

    show = verbs.add_parser("show", help="place the coming week and print it, with why")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=lambda args: cmd_show(args, open_store))

    offer = verbs.add_parser("propose", help="a first plan made from your history")
    offer.add_argument("--accept", action="store_true", help="use it (writes plan.toml)")
    offer.add_argument(
        "--replace", action="store_true", help="with --accept: replace an existing plan"
    )
    offer.set_defaults(func=lambda args: cmd_propose(args, open_store))

    export = verbs.add_parser("export", help="write the plan as an .ics calendar file")
    export.add_argument("--out", help="the file (default: plan.ics in the data directory)")
    export.set_defaults(func=lambda args: cmd_export(args, open_store))


def _planner(args: argparse.Namespace, open_store: OpenStore) -> Planner:
    store, directory = open_store(args)
    clock: Any = SystemClock()
    if getattr(args, "now", None):
        moment = dt.datetime.fromisoformat(args.now)
        if moment.tzinfo is None:
            moment = moment.astimezone()
        clock = FakeClock(moment.timestamp())
    return Planner(store, directory, clock)


def _fail(message: str) -> int:
    print(f"time-sculptor plan: {message}", file=sys.stderr)
    return 2


def _current(args: argparse.Namespace, open_store: OpenStore) -> tuple[Planner, items.Plan | None]:
    """Return the planner and the plan in plan.toml (None, said in one line, when it is broken)."""
    planner = _planner(args, open_store)
    plan = planner.plan()
    if planner.plan_file.error:
        print(f"time-sculptor plan: {planner.plan_file.error}", file=sys.stderr)
        return planner, None
    return planner, plan


def cmd_add(args: argparse.Namespace, open_store: OpenStore) -> int:
    planner, plan = _current(args, open_store)
    if plan is None:
        return 2
    entry: dict[str, Any] = {"name": args.name}
    if args.minutes is not None:
        entry["minutes"] = int(args.minutes) if args.minutes.isdigit() else args.minutes
    if args.hours is not None:
        entry["hours"] = args.hours
    for key in ("per", "times", "days", "window", "priority", "due", "chunk"):
        if getattr(args, key) is not None:
            entry[key] = getattr(args, key)
    if args.categories:
        entry["categories"] = [c.strip() for c in args.categories.split(",") if c.strip()]
    if args.away:
        entry["away"] = True
    kind = "task" if args.task else "habit"
    try:
        item = items.from_entry(kind, entry, "plan add", planner.today())
    except items.PlanError as exc:
        return _fail(str(exc))
    replaced = plan.item(item.key) is not None
    planner.plan_file.save(items.with_item(plan, item))
    print(f"{'replaced' if replaced else 'added'}: {item.describe()}")
    return 0


def cmd_list(args: argparse.Namespace, open_store: OpenStore) -> int:
    planner, plan = _current(args, open_store)
    if plan is None:
        return 2
    if not plan.items:
        print('No habits or tasks yet. Add one: time-sculptor plan add "Deep work" --minutes 120')
        return 0
    for item in plan.items:
        print(f"- {item.describe()}")
    return 0


def cmd_remove(args: argparse.Namespace, open_store: OpenStore) -> int:
    planner, plan = _current(args, open_store)
    if plan is None:
        return 2
    try:
        planner.plan_file.save(items.without_item(plan, args.name))
    except items.PlanError as exc:
        return _fail(str(exc))
    print(f"removed: {args.name}")
    return 0


def week_lines(planner: Planner, now: float) -> list[str]:
    """Return the coming week as printed lines: per day, each block, its state and why."""
    names = planner.item_names()
    today = planner.local(now).date()
    lines = []
    for offset in range(7):
        day = today + dt.timedelta(days=offset)
        lo, hi = planner.epoch(day, 0), planner.epoch(day + dt.timedelta(days=1), 0)
        blocks = [b for b in planner.blocks(lo, hi) if b.start >= lo]
        lines.append(f"{day:%a %d %b}" + ("" if blocks else "  (nothing planned)"))
        for block in blocks:
            start, end = planner.local(block.start), planner.local(block.end)
            state = outcome(block, now)
            lines.append(
                f"  {start:%H:%M}-{end:%H:%M}  {names.get(block.item, block.item)}  [{state}]"
            )
            if block.why:
                lines.append(f"      why here: {block.why}")
    return lines


def cmd_show(args: argparse.Namespace, open_store: OpenStore) -> int:
    planner = _planner(args, open_store)
    now = planner.clock.now()
    result = planner.refresh(now)
    if result.error:
        print(f"time-sculptor plan: {result.error}", file=sys.stderr)
    if not planner.plan().items:
        print('No habits or tasks yet. Add one: time-sculptor plan add "Deep work" --minutes 120')
        return 0
    if args.json:
        names = planner.item_names()
        blocks = planner.blocks(now - 86400, now + 8 * 86400)
        print(
            json.dumps(
                {
                    "blocks": [
                        {
                            "id": b.id,
                            "item": names.get(b.item, b.item),
                            "start": planner.local(b.start).isoformat(timespec="minutes"),
                            "end": planner.local(b.end).isoformat(timespec="minutes"),
                            "state": outcome(b, now),
                            "why": b.why,
                        }
                        for b in blocks
                    ],
                    "shortfalls": result.shortfalls,
                },
                indent=1,
            )
        )
        return 0
    print("\n".join(week_lines(planner, now)))
    for line in result.shortfalls:
        print(f"Not everything fits: {line}")
    print(f"Calendar file (kept up to date): {planner.ics_path()}")
    return 0


def cmd_export(args: argparse.Namespace, open_store: OpenStore) -> int:
    planner = _planner(args, open_store)
    now = planner.clock.now()
    planner.refresh(now)
    if args.out:
        path = Path(args.out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            files.write_private(path, planner.ics_document(now))
        except OSError as exc:
            return _fail(f"{path}: cannot write: {exc.strerror or exc}")
    else:
        path = planner.ics_path()
    print(f"wrote the plan to {path}")
    return 0


def cmd_propose(args: argparse.Namespace, open_store: OpenStore) -> int:
    planner, plan = _current(args, open_store)
    if plan is None:
        return 2
    offer = planner.propose()
    if offer is None:
        print(
            f"Not enough history yet: a plan is proposed after {proposal.MIN_DAYS} days with "
            "an hour or more at the computer."
        )
        return 1
    print("A plan made from your history:")
    print("\n".join(proposal.describe(offer)))
    if not args.accept:
        print("Use it: time-sculptor plan propose --accept (then edit plan.toml as you like)")
        return 0
    if plan.items and not args.replace:
        return _fail("you already have a plan; add --replace to replace it with this one")
    planner.plan_file.save(offer.plan)
    print(f"Saved to {planner.plan_file.path}")
    return 0
