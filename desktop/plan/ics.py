"""The plan as an iCalendar file that Thunderbird, GNOME Calendar, Outlook or Google read."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from desktop.store import PlanBlock

PRODID = "-//Time Sculptor//Plan//EN"


def calendar(blocks: Iterable[PlanBlock], names: dict[str, str], now: float) -> bytes:
    """Return an iCalendar document with one event per block (UTC times, stable UIDs)."""
    import icalendar  # the plan's export needs it; the collector does not

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Time Sculptor plan")
    stamp = dt.datetime.fromtimestamp(now, dt.UTC)
    for block in blocks:
        if block.status == "skipped":
            continue
        event = icalendar.Event()
        event.add("uid", f"block-{block.id}@time-sculptor.local")
        event.add("dtstamp", stamp)
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


def write(path: Path, document: bytes) -> None:
    """Write `document` to `path` atomically (a temporary file beside it, then rename), 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".plan-", suffix=".ics", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(document)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
