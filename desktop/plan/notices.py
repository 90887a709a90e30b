"""Block starts as notices: which block is due, what it says, and what Start / Move / Skip do.

A block's start is shown through the same path as the engine's suggestions (the store's
suggestion log, the notification backends, the same hard rules: never in a meeting, a screen
share or a full-screen app), as kind `plan`, with the buttons Start / Move / Skip in place of
Accept / Snooze / Dismiss. Where the plan has a habit at the computer, the engine's own "focus"
suggestion steps aside: the plan's block starts take its place.
"""

from __future__ import annotations

from typing import Any

from desktop.plan import items

BLOCK_KIND = "plan"
LEAD_S = 5 * 60.0  # shown up to five minutes before the block starts
LATE_S = 10 * 60.0  # and until ten minutes into it (a tick may come late)
LABELS = {"accept": "Start", "snooze": "Move", "dismiss": "Skip"}
REPLACES = frozenset({"focus"})


def replaced_kinds(plan: items.Plan) -> frozenset[str]:
    """Return the engine's kinds that the plan's block starts replace."""
    at_computer = any(item.kind == "habit" and not item.away for item in plan.items)
    return REPLACES if at_computer else frozenset()


def notified_blocks(store: Any, since: float) -> set[int]:
    """Return the ids of blocks that already had their notice."""
    return {
        int(record.features["plan_block"])
        for record in store.suggestions(since=since)
        if record.kind == BLOCK_KIND and "plan_block" in (record.features or {})
    }


def due_block(planner: Any, now: float) -> Any | None:
    """Return the block whose start should be shown now, or None."""
    candidates = [
        block
        for block in planner.blocks(now - LATE_S, now + LEAD_S + 1.0)
        if block.status in ("planned", "held")
        and block.start - LEAD_S <= now < block.start + LATE_S
    ]
    if not candidates:
        return None
    shown = notified_blocks(planner.store, now - 86400.0)
    fresh = [block for block in candidates if block.id not in shown]
    return min(fresh, key=lambda block: block.start) if fresh else None


def notice_text(planner: Any, block: Any) -> tuple[str, str]:
    """Return (text, why) of a block's notice."""
    plan = planner.plan()
    item = plan.item(block.item)
    name = item.name if item is not None else block.item
    start, end = planner.local(block.start), planner.local(block.end)
    minutes = int(round((block.end - block.start) / 60))
    text = f"{name}: {start:%H:%M}-{end:%H:%M} ({minutes} min). Start now?"
    if item is not None and item.away:
        text = f"{name}: {start:%H:%M}-{end:%H:%M} ({minutes} min), away from the computer."
    return text, f"planned here because {block.why}" if block.why else "from your plan"


def log_notice(store: Any, planner: Any, block: Any, now: float) -> int:
    """Log a block's notice in the suggestion log; return its id."""
    text, why = notice_text(planner, block)
    return int(
        store.add_suggestion(
            created_at=now,
            kind=BLOCK_KIND,
            text=text,
            explanation=why,
            model_version="",
            features={"plan_block": block.id},
            score=1.0,
            propensity=1.0,  # shown whenever the hard rules allow: not a policy's choice
        )
    )


def apply_answer(planner: Any, block_id: int, outcome: str) -> str:
    """Carry out the user's answer to a block notice; return what happened, in words."""
    if outcome == "accepted":
        planner.start(block_id)
        return "started"
    if outcome == "dismissed":
        planner.skip(block_id)
        return "skipped; the week is placed again"
    if outcome == "snoozed":
        options = planner.move_options(block_id, count=1)
        if not options:
            planner.skip(block_id)
            return "no other good slot this week; skipped"
        start, _ = options[0]
        planner.move(block_id, start)
        return f"moved to {planner.local(start):%a %H:%M}"
    return "left as planned"
