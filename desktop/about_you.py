"""What the app has learned about its user, in plain words, each with its evidence.

The model page shows these: the hours the user focuses best, how they take breaks, where they
keep their plan's blocks, and what they turn down. Each finding is read from the user's own
stored history (the last four weeks of activity, plan blocks and answers) by the same
statistics the app acts on: the plan proposal's focus hours, the stretches the break suggestion
counts, the kept share (and "how did it go" answer) the plan's placement learns from, the
answers the suggestion policy learns from. Nothing here is a guess of the network's; a finding
is left out until there is enough history to say it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop import reports
from desktop.plan import forecast as fc
from desktop.plan import items, notices, placement, proposal
from desktop.records import SuggestionRecord

DAYS = 28  # how far back the findings look
BREAK_GAP_MIN = 5  # minutes away that end a stretch at the computer
MIN_STRETCH_MIN = 10  # shorter visits are not stretches of work
MIN_STRETCHES = 10
MIN_ANSWERS = 3  # answers to a kind before saying how it is taken
TURNED_DOWN_AT = 0.25  # accepted share at or below which a kind counts as turned down
TAKEN_AT = 0.6  # and at or above which as welcome
OFFER_MIN_BREAKS = 5  # suggested breaks answered before offering suggestions closer together
OFFER_BELOW_MIN = 10  # ... when the usual stretch is this much shorter than the minimum gap
OFFER_FLOOR_MIN = 20  # never offered below this gap
MIN_BLOCKS = 4  # measured blocks of a plan item before saying how it is kept
MIN_PART_BLOCKS = 2  # blocks in a part of the day before comparing it with another
PART_GAP = 0.25  # kept share by which one part of the day must beat another to be named
DAY_PARTS = (
    (0, 12 * 60, "mornings"),
    (12 * 60, 17 * 60, "afternoons"),
    (17 * 60, 24 * 60, "evenings"),
)


@dataclass(frozen=True)
class Finding:
    """One thing learned: a topic, the finding in words, and what it was read from."""

    topic: str  # focus | breaks | plan | turned_down | welcome
    text: str
    evidence: str
    # Settings the user can take up in one click on the model page (with its button's label):
    # the app never changes a hard rule on its own.
    offer: dict[str, float] | None = None
    offer_label: str = ""


def _window(timeline: fc.Timeline, today: int) -> tuple[int, int, list[int]]:
    """Return the days [lo, hi) looked at and the indexes of those with enough activity."""
    first = timeline.first_minute
    hi = today
    lo = max(0, hi - DAYS, (first or 0) // fc.DAY_MIN)
    if first is None or hi <= lo:
        return lo, hi, []
    return lo, hi, proposal.active_days(timeline, lo, hi)[1]


def focus_finding(timeline: fc.Timeline, lo: int, hi: int, days: list[int]) -> Finding | None:
    """Return the user's best two hours for focus, or None with fewer than three active days."""
    if len(days) < proposal.MIN_DAYS:
        return None
    found = proposal.focus_hours(timeline, lo, hi, days, (0, fc.DAY_MIN))
    if found is None or found.share <= 0.0:
        return None
    return Finding(
        "focus",
        f"Your best hours for focus: {items.clock_span(found.start, found.end)}.",
        f"Over the last {DAYS} days {found.describe()}, more than in any other two hours. "
        "Your plan's focus blocks are placed from the same history.",
    )


def stretches(timeline: fc.Timeline, lo: int, hi: int) -> list[float]:
    """Return the lengths in minutes of the stretches at the computer on days [lo, hi).

    A stretch ends where the user was away for BREAK_GAP_MIN minutes or more; stretches under
    MIN_STRETCH_MIN minutes are visits, not work, and are left out.
    """
    lengths: list[float] = []
    for day in range(lo, hi):
        at = timeline.active[day * fc.DAY_MIN : (day + 1) * fc.DAY_MIN] >= 0.5
        minutes = np.flatnonzero(at)
        if not len(minutes):
            continue
        cuts = np.flatnonzero(np.diff(minutes) > BREAK_GAP_MIN)
        starts = np.concatenate(([minutes[0]], minutes[cuts + 1]))
        ends = np.concatenate((minutes[cuts], [minutes[-1]])) + 1
        lengths += [float(n) for n in ends - starts if n >= MIN_STRETCH_MIN]
    return lengths


def break_finding(
    timeline: fc.Timeline,
    lo: int,
    hi: int,
    days: list[int],
    suggestions: Sequence[SuggestionRecord],
    utc_offset_s: float,
    min_gap_min: float | None = None,
) -> Finding | None:
    """Return how the user takes breaks: their usual stretch, and the breaks they took.

    When they take most of the breaks suggested and usually step away well before the minimum
    gap between two suggestions (`min_gap_min`) has passed, the finding offers a shorter gap:
    the gap is a hard rule the user set, so the app asks rather than learning past it.
    """
    lengths = stretches(timeline, lo, hi)
    if len(days) < proposal.MIN_DAYS or len(lengths) < MIN_STRETCHES:
        return None
    usual = float(np.median(lengths))
    long_ = float(np.percentile(lengths, 75))
    text = (
        f"You usually step away after about {usual:.0f} min at the computer; "
        f"one stretch in four runs past {long_:.0f} min."
    )
    evidence = (
        f"{len(lengths)} stretches of work over {len(days)} days in the last {DAYS} "
        f"(a stretch ends when you are away {BREAK_GAP_MIN} min or more)."
    )
    rates = reports.acceptance_by_hour(suggestions, utc_offset_s, "break")
    answered = sum(r.answered for r in rates)
    taken = sum(r.accepted for r in rates)
    if answered:
        evidence += f" You took {taken} of the {answered} breaks I suggested"
        hours = reports.best_hours(rates)
        if hours:
            evidence += ", most gladly around " + ", ".join(f"{h:02d}:00" for h in hours)
        evidence += "."
    gap = max(OFFER_FLOOR_MIN, 5.0 * round(usual / 5.0))
    if (
        min_gap_min is not None
        and answered >= OFFER_MIN_BREAKS
        and taken / answered >= TAKEN_AT
        and usual <= min_gap_min - OFFER_BELOW_MIN
        and gap < min_gap_min
    ):
        text += (
            f" You take most breaks I suggest: suggestions could come every {gap:.0f} min "
            f"instead of {min_gap_min:.0f}."
        )
        offer = {"min_gap_min": gap}
        return Finding("breaks", text, evidence, offer, f"Suggest every {gap:.0f} min")
    return Finding("breaks", text, evidence)


def plan_findings(outcomes: placement.Outcomes, names: dict[str, str]) -> list[Finding]:
    """Return, per plan item, where in the day its blocks are kept, from how they went.

    `outcomes`: the item's measured blocks (start minute of the local day, kept share with the
    user's "how did it go" answer applied), as the plan's placement reads them.
    """
    found: list[Finding] = []
    for key, history in sorted(outcomes.items()):
        if len(history) < MIN_BLOCKS:
            continue
        name = names.get(key, key)
        parts = []
        for low, high, label in DAY_PARTS:
            shares = [share for minute, share in history if low <= minute < high]
            if shares:
                parts.append((label, sum(s >= placement.KEPT_AT for s in shares), len(shares)))
        kept = sum(part[1] for part in parts)
        evidence = (
            f"In the last {DAYS} days you kept {kept} of {len(history)} {name} blocks ("
            + ", ".join(f"{label} {k} of {n}" for label, k, n in parts)
            + f"). A block counts as kept when {placement.KEPT_AT:.0%} of it went to it, or "
            "you said it went well."
        )
        rated = [part for part in parts if part[2] >= MIN_PART_BLOCKS]
        best = max(rated, key=lambda part: part[1] / part[2], default=None)
        worst = min(rated, key=lambda part: part[1] / part[2], default=None)
        if best and worst and best[1] / best[2] - worst[1] / worst[2] >= PART_GAP:
            text = (
                f"You keep {name} best in the {best[0]}, least in the {worst[0]}: "
                "I place its blocks where they went well."
            )
        elif kept / len(history) >= TAKEN_AT:
            text = f"You keep most of your {name} blocks, whenever they are."
        elif kept / len(history) <= TURNED_DOWN_AT:
            text = (
                f"Most {name} blocks did not happen as planned: its times or categories in the "
                "Plan tab may not fit how you work."
            )
        else:
            continue
        found.append(Finding("plan", text, evidence))
    return found


def answer_findings(suggestions: Sequence[SuggestionRecord]) -> list[Finding]:
    """Return the kinds the user turns down, and those they take, from their answers."""
    counts: dict[str, list[int]] = {}
    for record in suggestions:
        if record.outcome is None or record.kind in notices.KINDS:
            continue
        shown = counts.setdefault(record.kind, [0, 0, 0])  # answered, accepted, dismissed
        shown[0] += 1
        shown[1] += record.outcome == "accepted"
        shown[2] += record.outcome == "dismissed"
    found: list[Finding] = []
    for kind, (answered, accepted, dismissed) in sorted(counts.items()):
        if answered < MIN_ANSWERS:
            continue
        noun = reports.KIND_NOUNS.get(kind, kind)
        share = accepted / answered
        tally = (
            f"In the last {DAYS} days: {accepted} of {answered} accepted, {dismissed} dismissed, "
            f"{answered - accepted - dismissed} let pass or snoozed."
        )
        if share <= TURNED_DOWN_AT:
            found.append(
                Finding(
                    "turned_down",
                    f"You turn down {noun}: I show them less, and less at the times you "
                    "turned them down.",
                    tally,
                )
            )
        elif share >= TAKEN_AT:
            found.append(Finding("welcome", f"You take most {noun}: they keep their place.", tally))
    return found


def findings(
    timeline: fc.Timeline,
    today: int,
    suggestions: Sequence[SuggestionRecord],
    utc_offset_s: float,
    plan_outcomes: placement.Outcomes | None = None,
    item_names: dict[str, str] | None = None,
    min_gap_min: float | None = None,
) -> tuple[Finding, ...]:
    """Return everything learned, most telling first; empty with too little history.

    `plan_outcomes`: how the plan items' blocks of the last DAYS went (`Planner.outcomes`);
    `min_gap_min`: the minimum gap between two suggestions now (for the break finding's offer).
    """
    found: list[Finding] = []
    lo, hi, days = _window(timeline, today)
    focus = focus_finding(timeline, lo, hi, days)
    if focus is not None:
        found.append(focus)
    breaks = break_finding(timeline, lo, hi, days, suggestions, utc_offset_s, min_gap_min)
    if breaks is not None:
        found.append(breaks)
    found += plan_findings(plan_outcomes or {}, item_names or {})
    found += answer_findings(suggestions)
    return tuple(found)
