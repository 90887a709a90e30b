"""How a synthetic person reacts to a suggestion at a moment of their timeline."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from training.synthetic.persons import (
    AFK,
    BREAK_RESET_S,
    CALENDAR,
    WORK_KINDS,
    Persona,
    Span,
)

# --- suggestion reactions ----------------------------------------------------------------------


def break_acceptance_probability(
    persona: Persona,
    *,
    minutes_active: float,
    hour: float,
    weekday: int,
    in_flow: bool,
    minutes_since_last_suggestion: float,
    in_meeting: bool,
) -> float:
    """Return the chance that this persona accepts a BREAK suggestion at this moment."""
    if in_meeting:
        return 0.01
    ratio = max(0.0, minutes_active) / max(1.0, persona.break_rhythm_minutes)
    p = 0.04 + 0.84 / (1.0 + math.exp(-4.5 * (ratio - 0.9)))
    if in_flow:
        p *= 1.0 - 0.8 * (1.0 - persona.interruption_tolerance)
    recent = max(0.0, minutes_since_last_suggestion)
    p *= 1.0 - 0.8 * math.exp(-recent / 20.0)
    if 0.0 <= persona.lunch_hour - hour <= 0.75:
        p *= 1.15  # lunch is near anyway
    elif hour >= 15.0 and hour < persona.work_end_hour:
        p *= 1.1  # the afternoon slump
    if not persona.work_start_hour <= hour < persona.work_end_hour or weekday >= 5:
        p *= 0.8  # off hours: a break from what?
    return float(min(0.9, max(0.02, p)))


def acceptance_probability(
    persona: Persona,
    kind: str,
    *,
    minutes_active: float,
    hour: float,
    weekday: int,
    in_flow: bool,
    minutes_since_last_suggestion: float,
    in_meeting: bool,
) -> float:
    """Return the chance that `persona` accepts a suggestion of `kind` at this moment.

    Breaks: training.break_acceptance_probability. The other kinds share its fatigue
    and flow terms and add what makes each welcome: focus in the person's focus hours, a
    distraction nudge in work hours (more welcome the less distractible the person), a wrap-up
    near the usual end of work, meeting preparation for people with meetings to prepare.
    """
    moment = {
        "minutes_active": minutes_active,
        "hour": hour,
        "weekday": weekday,
        "in_flow": in_flow,
        "minutes_since_last_suggestion": minutes_since_last_suggestion,
        "in_meeting": in_meeting,
    }
    if kind == "break":
        return break_acceptance_probability(persona, **moment)  # type: ignore[arg-type]
    if in_meeting:
        return 0.01
    work_time = persona.work_start_hour <= hour < persona.work_end_hour and (
        weekday < 5 or persona.works_weekends
    )
    lo, hi = persona.focus_hours
    if kind == "focus":
        p = 0.7 if lo - 0.5 <= hour < hi and work_time else 0.15
    elif kind == "distraction":
        p = (0.2 + 0.5 * (1.0 - persona.distraction_propensity)) if work_time else 0.05
    elif kind == "wrap_up":
        p = 0.65 if abs(hour - persona.work_end_hour) <= 0.75 else 0.12
    else:  # meeting_prep
        p = 0.35 + 0.4 * min(1.0, persona.meeting_load / 3.0)
    if in_flow and kind != "meeting_prep":
        p *= 1.0 - 0.8 * (1.0 - persona.interruption_tolerance)
    p *= 1.0 - 0.8 * math.exp(-max(0.0, minutes_since_last_suggestion) / 20.0)
    return float(min(0.9, max(0.02, p)))


def simulate_reaction(
    persona: Persona,
    rng: np.random.Generator,
    *,
    minutes_active: float,
    hour: float,
    weekday: int,
    in_flow: bool,
    minutes_since_last_suggestion: float,
    in_meeting: bool,
) -> str:
    """Draw a reaction to a BREAK suggestion: accepted with the modelled probability."""
    p = break_acceptance_probability(
        persona,
        minutes_active=minutes_active,
        hour=hour,
        weekday=weekday,
        in_flow=in_flow,
        minutes_since_last_suggestion=minutes_since_last_suggestion,
        in_meeting=in_meeting,
    )
    u = float(rng.random())
    if u < p:
        return "accepted"
    # Not accepted: how it is turned down depends on the moment.
    if in_meeting:
        weights = (0.25, 0.05, 0.7)
    elif in_flow:
        weights = (
            0.55 - 0.3 * persona.interruption_tolerance,
            0.25,
            0.2 + 0.3 * persona.interruption_tolerance,
        )
    else:
        tired = min(1.0, max(0.0, minutes_active) / max(1.0, persona.break_rhythm_minutes))
        weights = (0.35, 0.2 + 0.3 * tired, 0.45 - 0.3 * tired)
    return turned_down(u, p, weights)


def turned_down(u: float, p: float, weights: tuple[float, float, float]) -> str:
    """Return how a suggestion not accepted (a draw `u` >= `p`) is turned down.

    The rest of the draw, rescaled, picks dismissed / snoozed / ignored by `weights`.
    """
    v = (u - p) / (1.0 - p) * sum(weights)
    if v < weights[0]:
        return "dismissed"
    if v < weights[0] + weights[1]:
        return "snoozed"
    return "ignored"


def acceptance_context(
    persona: Persona,
    spans: Sequence[Span],
    now: float,
    *,
    minutes_since_last_suggestion: float = 24 * 60.0,
) -> dict[str, float | int | bool]:
    """Return the keyword arguments of `break_acceptance_probability` at `now` in a timeline."""
    steps = [s for s in spans if s.source != CALENDAR]
    starts = [s.start for s in steps]
    n = bisect.bisect_left(starts, now)
    active_from = now
    prev_start = now
    for i in range(n - 1, -1, -1):
        s = steps[i]
        end = min(s.start + s.duration, now)
        if prev_start - end >= BREAK_RESET_S or (
            s.source == AFK and end - s.start >= BREAK_RESET_S
        ):
            break
        active_from = prev_start = s.start
    in_meeting = any(s.source == CALENDAR and s.start <= now < s.start + s.duration for s in spans)
    window_from = now - 15 * 60.0
    work = total = 0.0
    for s in steps[max(0, n - 400) : n]:
        a, b = max(s.start, window_from), min(s.start + s.duration, now)
        if b > a:
            total += b - a
            work += (b - a) if s.category in WORK_KINDS else 0.0
    hour = (now % 86400.0) / 3600.0
    lo, hi = persona.focus_hours
    return {
        "minutes_active": max(0.0, (now - active_from) / 60.0),
        "hour": hour,
        "weekday": int(((now // 86400.0) + 3) % 7),
        "in_flow": bool(lo <= hour < hi and total >= 10 * 60.0 and work / total >= 0.75),
        "minutes_since_last_suggestion": float(minutes_since_last_suggestion),
        "in_meeting": in_meeting,
    }
