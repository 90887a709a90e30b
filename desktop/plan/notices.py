"""Block starts as notices: which block is due, what it says, and what Start / Move / Skip do.

A block's start is shown through the same path as the engine's suggestions (the store's
suggestion log, the notification backends, the same hard rules: never in a meeting, a screen
share or a full-screen app), as kind `plan`, with the buttons Start / Move / Skip in place of
Accept / Snooze / Dismiss. Where the plan has a habit at the computer, the engine's own "focus"
suggestion steps aside: the plan's block starts take its place.

A block the user started with Start asks once, when it is over, how it went (kind `plan_end`,
Went well / Partly / Not really): the measured share says how much time went to the item, the
answer says whether it was good time, and the planner's placement learns from both. The
question is optional: unanswered, the measured share stands.
"""

from __future__ import annotations

from typing import Any

from desktop.plan import items

BLOCK_KIND = "plan"
LEAD_S = 5 * 60.0  # shown up to five minutes before the block starts
LATE_S = 10 * 60.0  # and until ten minutes into it (a tick may come late)
LABELS = {"accept": "Start", "snooze": "Move", "dismiss": "Skip"}
REPLACES = frozenset({"focus"})
END_KIND = "plan_end"
END_LATE_S = 15 * 60.0  # asked until fifteen minutes after the block ended
END_LABELS = {"accept": "Went well", "snooze": "Partly", "dismiss": "Not really"}
END_ANSWERS = {"accepted": "well", "snoozed": "partly", "dismissed": "badly"}
KINDS = frozenset({BLOCK_KIND, END_KIND})  # the suggestion log's kinds that are the plan's


def replaced_kinds(plan: items.Plan) -> frozenset[str]:
    """Return the engine's kinds that the plan's block starts replace."""
    at_computer = any(item.kind == "habit" and not item.away for item in plan.items)
    return REPLACES if at_computer else frozenset()


def _blocks_in(records: Any, kind: str, outcome: str | None = None) -> set[int]:
    """Return the ids of the blocks that logged notices of `kind` (answered `outcome`) are about."""
    return {
        int(record.features["plan_block"])
        for record in records
        if record.kind == kind
        and "plan_block" in (record.features or {})
        and (outcome is None or record.outcome == outcome)
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
    shown = _blocks_in(planner.store.suggestions(since=now - 86400.0), BLOCK_KIND)
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


def ended_block(planner: Any, now: float) -> Any | None:
    """Return the started block whose "how did it go" should be asked now, or None.

    A block the user started, measured, not answered yet (in the Plan tab or before), that
    ended less than END_LATE_S ago, and not asked about before.
    """
    since = now - 86400.0
    candidates = [
        block
        for block in planner.blocks(since, now)
        if block.kept_share is not None
        and block.answer is None
        and block.status != "skipped"
        and block.end <= now < block.end + END_LATE_S
    ]
    if not candidates:
        return None
    records = planner.store.suggestions(since=since)
    started = _blocks_in(records, BLOCK_KIND, "accepted")
    asked = _blocks_in(records, END_KIND)
    fresh = [block for block in candidates if block.id in started and block.id not in asked]
    return min(fresh, key=lambda block: block.end) if fresh else None


def end_text(planner: Any, block: Any) -> tuple[str, str]:
    """Return (text, why) of the question at a block's end."""
    item = planner.plan().item(block.item)
    name = item.name if item is not None else block.item
    start, end = planner.local(block.start), planner.local(block.end)
    minutes = int(round((block.end - block.start) / 60))
    kept = int(round((block.kept_s or 0.0) / 60))
    if item is not None and item.away:
        spent = f"away from the computer {kept} of {minutes} min"
    else:
        where = " / ".join(item.categories) if item is not None and item.categories else ""
        spent = f"{kept} of {minutes} min in {where}" if where else f"{kept} of {minutes} min"
    text = f"{name} ({start:%H:%M}-{end:%H:%M}) is over: {spent}. How did it go?"
    why = (
        "you started this block; your answer tells the plan where blocks like it go well "
        "for you (unanswered, the measured time counts)"
    )
    return text, why


def text_of(planner: Any, block: Any, kind: str) -> tuple[str, str]:
    """Return (text, why) of a block's notice of `kind`: its start, or the question at its end."""
    return notice_text(planner, block) if kind == BLOCK_KIND else end_text(planner, block)


def log_notice(store: Any, planner: Any, block: Any, now: float, kind: str = BLOCK_KIND) -> int:
    """Log a block's notice (its start, or the question at its end) in the suggestion log."""
    text, why = text_of(planner, block, kind)
    return int(
        store.add_suggestion(
            created_at=now,
            kind=kind,
            text=text,
            explanation=why,
            model_version="",
            features={"plan_block": block.id},
            score=1.0,
            propensity=1.0,  # shown whenever the hard rules allow: not a policy's choice
        )
    )


def apply_answer(planner: Any, block_id: int, outcome: str, kind: str = BLOCK_KIND) -> str:
    """Carry out the user's answer to a block notice; return what happened, in words."""
    if kind == END_KIND:
        answer = END_ANSWERS.get(outcome)
        if answer is None:
            return "not answered; the measured time counts"
        planner.answer(block_id, answer)
        return f"answered: {answer}"
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
