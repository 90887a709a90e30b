"""The plan as an iCalendar file that Thunderbird, GNOME Calendar, Outlook or Google read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from desktop.store import PlanBlock

PRODID = "-//Time Sculptor//Plan//EN"


def calendar(blocks: Iterable[PlanBlock], names: dict[str, str]) -> bytes:
    """Return an iCalendar document with one event per block (UTC times, stable UIDs).

    Each event is stamped with when its block was decided, so the same plan gives the same
    bytes and a calendar that watches the file sees a change only when the plan changed.
    """
    import icalendar  # the plan's export needs it; the collector does not

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Time Sculptor plan")
    for block in blocks:
        if block.status == "skipped":
            continue
        event = icalendar.Event()
        event.add("uid", f"block-{block.id}@time-sculptor.local")
        event.add("dtstamp", dt.datetime.fromtimestamp(block.decided_at, dt.UTC))
        event.add("dtstart", dt.datetime.fromtimestamp(block.start, dt.UTC))
        event.add("dtend", dt.datetime.fromtimestamp(block.end, dt.UTC))
        event.add("summary", names.get(block.item, block.item))
        event.add(
            "description", f"Why here: {block.why}" if block.why else "Planned by Time Sculptor"
        )
        event.add("categories", ["Time Sculptor"])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
