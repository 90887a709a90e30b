"""What the app has learned about its user, in plain words, each with its evidence.

The model page shows these: the hours the user focuses best, how they take breaks, and what
they turn down. Each finding is read from the user's own stored history (the last four weeks
of activity and answers) by the same statistics the app acts on: the plan proposal's focus
hours, the stretches the break suggestion counts, the answers the suggestion policy learns
from. Nothing here is a guess of the network's; a finding is left out until there is enough
history to say it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop import reports
from desktop.plan import forecast as fc
from desktop.plan import items, notices, proposal
from desktop.records import SuggestionRecord

DAYS = 28  # how far back the findings look
BREAK_GAP_MIN = 5  # minutes away that end a stretch at the computer
MIN_STRETCH_MIN = 10  # shorter visits are not stretches of work
MIN_STRETCHES = 10
MIN_ANSWERS = 3  # answers to a kind before saying how it is taken
TURNED_DOWN_AT = 0.25  # accepted share at or below which a kind counts as turned down
TAKEN_AT = 0.6  # and at or above which as welcome


@dataclass(frozen=True)
class Finding:
    """One thing learned: a topic, the finding in words, and what it was read from."""

    topic: str  # focus | breaks | turned_down | welcome
    text: str
    evidence: str


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
) -> Finding | None:
    """Return how the user takes breaks: their usual stretch, and the breaks they took."""
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
    if answered:
        taken = sum(r.accepted for r in rates)
        evidence += f" You took {taken} of the {answered} breaks I suggested"
        hours = reports.best_hours(rates)
        if hours:
            evidence += ", most gladly around " + ", ".join(f"{h:02d}:00" for h in hours)
        evidence += "."
    return Finding("breaks", text, evidence)


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
) -> tuple[Finding, ...]:
    """Return everything learned, most telling first; empty with too little history."""
    found: list[Finding] = []
    lo, hi, days = _window(timeline, today)
    focus = focus_finding(timeline, lo, hi, days)
    if focus is not None:
        found.append(focus)
    breaks = break_finding(timeline, lo, hi, days, suggestions, utc_offset_s)
    if breaks is not None:
        found.append(breaks)
    found += answer_findings(suggestions)
    return tuple(found)
