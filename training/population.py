"""Simulated people who differ from the population the shipped model was pretrained on.

`sculptor-train simulate --population diverse` runs these people instead of the generator's
own. Each one starts as a persona of training.synthetic (routine, apps, meetings) and then
deviates from it in one or two ways, each a `Deviation`:

| deviation | what changes |
| --- | --- |
| `hates_meeting_prep` | dismisses every meeting-preparation notice ("not useful") |
| `loves_focus` | accepts a focus block in any work hour, about twice as often |
| `not_before_noon` | accepts nothing before 12:00 ("bad moment"), the rest as usual |
| `breaks_every_25` | needs a break after 25 active minutes and takes most breaks offered |
| `night_worker` | works 15:00 to about 23:30 (focus from 20:00), lunch at 18:30 |
| `hates_interruptions` | interruption tolerance 0.05; every kind but breaks half as welcome |
| `own_breaks` | takes breaks on their own: a break offered is accepted a fifth as often |
| `wants_nudges` | a distraction nudge in work hours is accepted about twice as often |

The draw (`make_people`) is seeded: the deviations are shuffled with the seed and dealt out in
turn, so any six consecutive people cover six different deviations; a second, different
deviation is added with probability 0.4 (never two that contradict: a night worker is not also
`not_before_noon`, `loves_focus` and `hates_interruptions` do not go together). The routine is
generated from the deviated persona, so a night worker's spans are in the evening.

Reactions come from the person alone (`react`): the generator's acceptance model for the
deviated persona (training.synthetic.reactions.acceptance_probability) times the deviation's
factor per kind, zero before `not_before_hour`. A turned-down suggestion is dismissed, snoozed
or ignored as in the default population, except that a kind the person rejects (factor below
0.3) or a moment they rule out is dismissed. A dismissal carries a "Not like this" reason with
chance `REASON_RATE`, from the person's own cause: the hour or the flow they were in
(`bad_moment`), a kind they do not want (`not_useful`), a suggestion less than 30 minutes after
the previous one (`too_frequent`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from training.synthetic import persons, reactions

REASON_RATE = 0.6  # the share of dismissals that come with a "Not like this" reason
TOO_SOON_MIN = 30.0  # a suggestion this soon after the previous one is "too frequent"
REJECTED_FACTOR = 0.3  # a kind with a factor below this is one the person does not want


@dataclass(frozen=True)
class Deviation:
    """One way a person differs from the population: their persona and their reactions."""

    name: str
    label: str  # what it means, in words
    kind_factor: dict[str, float] = field(default_factory=dict, hash=False)
    not_before_hour: float = 0.0  # nothing is accepted before this local hour
    persona: Callable[[persons.Persona], persons.Persona] | None = None


def _night(persona: persons.Persona) -> persons.Persona:
    return replace(
        persona,
        work_start_hour=15.0,
        work_end_hour=23.5,
        lunch_hour=18.5,
        focus_hours=(20.0, 22.5),
    )


DEVIATIONS = (
    Deviation(
        "hates_meeting_prep",
        "dismisses every meeting-preparation notice",
        {"meeting_prep": 0.0},
    ),
    Deviation(
        "loves_focus",
        "accepts a focus block in any work hour, about twice as often",
        {"focus": 2.2},
    ),
    Deviation("not_before_noon", "accepts nothing before noon", not_before_hour=12.0),
    Deviation(
        "breaks_every_25",
        "needs a break after 25 active minutes and takes most breaks offered",
        {"break": 1.4},
        persona=lambda p: replace(p, break_rhythm_minutes=25.0),
    ),
    Deviation("night_worker", "works 15:00 to 23:30, focus from 20:00", persona=_night),
    Deviation(
        "hates_interruptions",
        "tolerates no interruption; every kind but breaks half as welcome",
        {"focus": 0.5, "distraction": 0.5, "wrap_up": 0.5, "meeting_prep": 0.5},
        persona=lambda p: replace(p, interruption_tolerance=0.05),
    ),
    Deviation(
        "own_breaks",
        "takes breaks on their own: an offered break is accepted a fifth as often",
        {"break": 0.2},
    ),
    Deviation(
        "wants_nudges",
        "a distraction nudge in work hours is accepted about twice as often",
        {"distraction": 2.0},
    ),
)
BY_NAME = {d.name: d for d in DEVIATIONS}
# Pairs that contradict each other (or make one of them invisible): never drawn together.
_EXCLUSIVE = (
    {"night_worker", "not_before_noon"},
    {"loves_focus", "hates_interruptions"},
    {"breaks_every_25", "own_breaks"},
)
SECOND_DEVIATION_P = 0.4


@dataclass(frozen=True)
class Profile:
    """A person's deviations from the population, combined."""

    deviations: tuple[str, ...]

    @property
    def label(self) -> str:
        return " + ".join(self.deviations)

    def factor(self, kind: str) -> float:
        """Return the product of the deviations' factors on the acceptance of `kind`."""
        f = 1.0
        for name in self.deviations:
            f *= BY_NAME[name].kind_factor.get(kind, 1.0)
        return f

    @property
    def not_before_hour(self) -> float:
        return max((BY_NAME[n].not_before_hour for n in self.deviations), default=0.0)

    def apply(self, persona: persons.Persona) -> persons.Persona:
        """Return the persona as this profile changes it (hours, rhythm, tolerance)."""
        for name in self.deviations:
            change = BY_NAME[name].persona
            if change is not None:
                persona = change(persona)
        return persona


def make_people(count: int, seed: int) -> list[tuple[persons.Persona, Profile]]:
    """Return `count` deviated personas with their profiles, deterministic for `seed`."""
    rng = np.random.default_rng([seed, 0xD1E5])
    order = [DEVIATIONS[i].name for i in rng.permutation(len(DEVIATIONS))]
    people = []
    for i, persona in enumerate(persons.make_personas(count, seed)):
        first = order[i % len(order)]
        chosen = [first]
        if rng.random() < SECOND_DEVIATION_P:
            allowed = [
                n
                for n in order
                if n != first and not any({first, n} <= pair for pair in _EXCLUSIVE)
            ]
            chosen.append(allowed[int(rng.integers(len(allowed)))])
        profile = Profile(tuple(chosen))
        deviated = profile.apply(persona)
        people.append((replace(deviated, name=f"{persona.name}-{profile.label}"), profile))
    return people


def react(
    persona: persons.Persona,
    profile: Profile,
    kind: str,
    rng: np.random.Generator,
    moment: dict[str, Any],
) -> tuple[str, str | None]:
    """Draw (outcome, "Not like this" reason or None) for a suggestion of `kind` at `moment`."""

    factor = profile.factor(kind)
    ruled_out = moment["hour"] < profile.not_before_hour
    p = 0.0 if ruled_out else reactions.acceptance_probability(persona, kind, **moment) * factor
    p = min(0.95, p)
    u = float(rng.random())
    if u < p:
        return "accepted", None
    if ruled_out or factor < REJECTED_FACTOR:
        outcome = "dismissed"
    else:
        weights = (0.55 - 0.3 * persona.interruption_tolerance, 0.2, 0.25)
        if not moment["in_flow"]:
            weights = (0.4, 0.15, 0.45)
        v = (u - p) / (1.0 - p) * sum(weights)
        outcome = (
            "dismissed"
            if v < weights[0]
            else "snoozed"
            if v < weights[0] + weights[1]
            else "ignored"
        )
    if outcome != "dismissed" or rng.random() >= REASON_RATE:
        return outcome, None
    if ruled_out or moment["in_flow"]:
        return outcome, "bad_moment"
    if factor < REJECTED_FACTOR:
        return outcome, "not_useful"
    if moment["minutes_since_last_suggestion"] < TOO_SOON_MIN:
        return outcome, "too_frequent"
    return outcome, None
