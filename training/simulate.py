"""`sculptor-train simulate`: simulated people answer the real engine for weeks, in seconds.

Each simulated person is a persona of training.synthetic with its generated routine. The
same person, on the same routine, is run once per policy, each in its own data directory:

- `learned`: the app as it ships (desktop.service.AppService: the real store, TFLite model,
  engine, hard rules, Thompson-sampling bandit and the nightly personal head);
- `pretrained`: the same service with `learning = false` (the model without personalization);
- `fixed_timer`: a Workrave/Stretchly-like timer, a break after every 50 minutes of activity.

Time is a FakeClock; the person's spans enter the store as they begin (as an import would), the
service ticks every `tick_s` simulated seconds while the person is at the computer, and each
shown suggestion gets a reaction at once. Reactions come from the reaction model of
training.synthetic.reactions (breaks: `simulate_reaction`; the other kinds extend it:
`acceptance_probability`).
An accepted break is taken: the person is away for it and their routine resumes after it.
Not modelled: full-screen apps (no window states in the synthetic routines).

`--population diverse` runs people who differ from the pretraining population instead
(training.population: by kind, by time of day, by rhythm, by tolerance for interruptions); they
react from their own preferences and give "Not like this" reasons with their dismissals, which
reach the service as the tray's answers do. Its JSON adds `population` and, per person, their
deviations and weekly figures (`people`).

`--diagnose` prints, per kind, how often it was a candidate, what held it back (the engine's
own reasons, at every tick), its prior x timing against the threshold, and how the ticks at
which the person was in that kind's situation by the simulator's truth (near their end of
work; a long distraction in their work hours) were decided.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import json
import math
import multiprocessing
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from desktop import engine
from desktop.clock import FakeClock
from desktop.config import Config
from desktop.service import AppService
from desktop.store import Event
from edge_model import features
from edge_model.categories import DISTRACTION_CATEGORIES
from training import population
from training.synthetic import days, persons, reactions

POLICIES = ("learned", "fixed_timer", "pretrained")
POPULATIONS = ("default", "diverse")
WEEK_S = 7 * 86400.0
TIMER_MIN = 50.0  # the fixed timer: a break every 50 minutes of activity
TIMER_SNOOZE_MIN = 10.0
SNOOZE_MIN = 10.0
OUTCOME_KEYS = ("accepted", "dismissed", "ignored", "snoozed")


# --- the simulated person --------------------------------------------------------------------


def draw_reaction(
    persona: persons.Persona,
    kind: str,
    rng: np.random.Generator,
    moment: dict[str, Any],
    dislikes: frozenset[str] = frozenset(),
) -> str:
    """Draw a reaction to a suggestion of `kind` (a disliked kind is always dismissed)."""
    if kind in dislikes:
        return "dismissed"
    if kind == "break":
        return reactions.simulate_reaction(persona, rng, **moment)
    p = reactions.acceptance_probability(persona, kind, **moment)
    u = float(rng.random())
    if u < p:
        return "accepted"
    if moment["in_flow"]:
        weights = (0.55 - 0.3 * persona.interruption_tolerance, 0.2, 0.25)
    else:
        weights = (0.4, 0.15, 0.45)
    return reactions.turned_down(u, p, weights)


def person_reaction(
    persona: persons.Persona,
    kind: str,
    rng: np.random.Generator,
    moment: dict[str, Any],
    dislikes: frozenset[str],
    profile: population.Profile | None,
) -> tuple[str, str | None]:
    """Return (outcome, "Not like this" reason or None): the profile's own, else draw_reaction."""
    if profile is not None:
        return population.react(persona, profile, kind, rng, moment)
    return draw_reaction(persona, kind, rng, moment, dislikes), None


class Person:
    """A persona's routine as mutable spans: an accepted break changes what happens next."""

    def __init__(self, persona: persons.Persona, spans: Sequence[persons.Span], seed: int) -> None:
        self.persona = persona
        self.steps = [s for s in spans if s.source != persons.CALENDAR]
        self.calendar = [s for s in spans if s.source == persons.CALENDAR]
        self.starts = [s.start for s in self.steps]
        self.rng = np.random.default_rng(seed)

    def current(self, now: float) -> persons.Span | None:
        """Return the span in progress at `now`, if any."""
        i = bisect.bisect_right(self.starts, now) - 1
        if i >= 0 and self.steps[i].start + self.steps[i].duration > now:
            return self.steps[i]
        return None

    def next_window_start(self, now: float) -> float | None:
        """Return the start of the first window span after `now`, or None at the end."""
        i = bisect.bisect_right(self.starts, now)
        for span in self.steps[i:]:
            if span.source == persons.WINDOW:
                return span.start
        return None

    def started(self, after: float, upto: float) -> list[persons.Span]:
        """Return the spans that start in (after, upto]."""
        lo, hi = bisect.bisect_right(self.starts, after), bisect.bisect_right(self.starts, upto)
        return self.steps[lo:hi]

    def take_break(self, now: float, minutes: float) -> persons.Span:
        """Be away for `minutes` from `now`: the routine in between is skipped; return the span."""
        end = now + 60.0 * minutes
        i = bisect.bisect_right(self.starts, now) - 1
        head = self.steps[: max(i, 0)]
        if i >= 0:
            current = self.steps[i]
            head.append(
                replace(current, duration=max(0.0, min(current.duration, now - current.start)))
            )
        tail = []
        for span in self.steps[max(i + 1, 0) :]:
            span_end = span.start + span.duration
            if span_end <= end:
                continue
            if span.start < end:
                span = replace(span, start=end, duration=span_end - end)
            tail.append(span)
        away = persons.Span(now, end - now, "", "away", persons.AFK)
        self.steps = head + [away] + tail
        self.starts = [s.start for s in self.steps]
        return away

    def moment(self, now: float, minutes_since_last: float) -> dict[str, Any]:
        """Return the reaction model's view of `now` (`reactions.acceptance_context`)."""
        i = bisect.bisect_right(self.starts, now)
        recent = self.steps[max(0, i - 600) : i + 1]
        meetings = [c for c in self.calendar if c.start <= now < c.start + c.duration]
        return reactions.acceptance_context(
            self.persona, recent + meetings, now, minutes_since_last_suggestion=minutes_since_last
        )


# --- one policy on one person ------------------------------------------------------------------


@dataclass
class Tally:
    """Counts of one policy in one week."""

    shown: int = 0
    accepted: int = 0
    dismissed: int = 0
    ignored: int = 0
    snoozed: int = 0
    in_flow: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    kinds_accepted: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, outcome: str, in_flow: bool) -> None:
        self.shown += 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.in_flow += int(in_flow)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if outcome == "accepted":
            self.kinds_accepted[kind] = self.kinds_accepted.get(kind, 0) + 1

    def merge(self, other: Tally) -> None:
        for key in ("shown", "accepted", "dismissed", "ignored", "snoozed", "in_flow"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        for kind, n in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + n
        for kind, n in other.kinds_accepted.items():
            self.kinds_accepted[kind] = self.kinds_accepted.get(kind, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "shown": self.shown,
            "accepted": self.accepted,
            "dismissed": self.dismissed,
            "ignored": self.ignored,
            "snoozed": self.snoozed,
            "acceptance_rate": round(self.accepted / self.shown, 4) if self.shown else 0.0,
            "in_flow": self.in_flow,
            "kinds": dict(sorted(self.kinds.items())),
            "kinds_accepted": dict(sorted(self.kinds_accepted.items())),
        }


_NUMBER = re.compile(r"\d+(\.\d+)?")


@dataclass
class Diagnostics:
    """Why each kind fired or not, per tick while the person is at a window (`--diagnose`).

    `reasons`: kind -> the engine's reason (numbers replaced by N) -> ticks; `values`: kind ->
    the arm's prior x timing at each tick it was a candidate (what the bandit compares with
    `break_threshold`); `situations`: kind -> ticks at which the person is in that kind's
    situation by the simulator's own truth (wrap_up: within 45 min of their end of work;
    distraction: 20+ minutes of distraction in their work hours).
    """

    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)
    show_probability: dict[str, list[float]] = field(default_factory=dict)
    shown: dict[str, int] = field(default_factory=dict)
    situations: dict[str, dict[str, int]] = field(default_factory=dict)
    ticks: int = 0

    def add(self, decision: Any) -> None:
        self.ticks += 1
        for kind, why in decision.candidates.items():
            key = _NUMBER.sub("N", why)
            bucket = self.reasons.setdefault(kind, {})
            bucket[key] = bucket.get(key, 0) + 1
        for kind, (prior, timing) in decision.arms.items():
            self.values.setdefault(kind, []).append(prior * timing)
            self.show_probability.setdefault(kind, []).append(
                decision.show_probabilities.get(kind, 0.0)
            )
        if not decision.candidates and decision.reason:
            bucket = self.reasons.setdefault("(all)", {})
            key = _NUMBER.sub("N", decision.reason.split(" (")[0])
            bucket[key] = bucket.get(key, 0) + 1
        if decision.suggestion is not None:
            kind = decision.suggestion.kind
            self.shown[kind] = self.shown.get(kind, 0) + 1

    def situation(self, kind: str, decision: Any) -> None:
        """Count a tick in `kind`'s situation under what the engine made of it."""
        if decision.suggestion is not None and decision.suggestion.kind == kind:
            why = "shown"
        else:
            why = decision.candidates.get(kind) or decision.reason.split(" (")[0]
        key = _NUMBER.sub("N", why)
        bucket = self.situations.setdefault(kind, {})
        bucket[key] = bucket.get(key, 0) + 1

    def merge(self, other: Diagnostics) -> None:
        self.ticks += other.ticks
        for kind, bucket in other.reasons.items():
            mine = self.reasons.setdefault(kind, {})
            for key, n in bucket.items():
                mine[key] = mine.get(key, 0) + n
        for name in ("values", "show_probability"):
            mine_lists = getattr(self, name)
            for kind, values in getattr(other, name).items():
                mine_lists.setdefault(kind, []).extend(values)
        for kind, n in other.shown.items():
            self.shown[kind] = self.shown.get(kind, 0) + n
        for kind, bucket in other.situations.items():
            mine = self.situations.setdefault(kind, {})
            for key, n in bucket.items():
                mine[key] = mine.get(key, 0) + n

    def report(self, threshold: float) -> str:
        lines = [f"ticks at a window: {self.ticks}"]
        for kind in sorted(self.reasons):
            bucket = self.reasons[kind]
            situation = self.situations.get(kind, {})
            lines.append(
                f"{kind}: shown {self.shown.get(kind, 0)}, ticks in its situation "
                f"{sum(situation.values()) if situation else '-'}"
            )
            for key, n in sorted(situation.items(), key=lambda kv: -kv[1])[:6]:
                lines.append(f"    in situation {n:6d}  {key}")
            values = np.array(self.values.get(kind, []))
            if values.size:
                probs = np.array(self.show_probability[kind])
                lines.append(
                    f"  as candidate: {values.size} ticks, prior x timing median "
                    f"{np.median(values):.3f} (p90 {np.quantile(values, 0.9):.3f}), "
                    f">= threshold {threshold}: {np.mean(values >= threshold):.0%}, "
                    f"mean show probability {probs.mean():.3f}"
                )
            for key, n in sorted(bucket.items(), key=lambda kv: -kv[1])[:8]:
                lines.append(f"  {n:7d}  {key}")
        return "\n".join(lines)


def _break_minutes(kind: str, minutes_active: float) -> float:
    return 10.0 if minutes_active >= 90.0 else 5.0


def run_person(
    persona: persons.Persona,
    spans: Sequence[persons.Span],
    policy_name: str,
    weeks: int,
    seed: int,
    *,
    tick_s: float = 60.0,
    dislikes: frozenset[str] = frozenset(),
    data_dir: Path | None = None,
    diagnostics: Diagnostics | None = None,
    profile: population.Profile | None = None,
) -> list[Tally]:
    """Run one policy over one person's routine; return a tally per week.

    With a `profile` (training.population) the person reacts from it, reasons included.
    """
    person = Person(persona, spans, seed)
    start = min(s.start for s in spans)
    start -= start % 86400.0
    end = start + weeks * WEEK_S
    tallies = [Tally() for _ in range(weeks)]
    rng = np.random.default_rng(seed + 1)
    # The stores are throw-away: keep them in memory-backed /dev/shm where there is one (a
    # commit per suggestion costs an fsync on disk, which dominated the run time).
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        directory = Path(data_dir or tmp)
        if policy_name == "fixed_timer":
            _run_timer(person, start, end, tick_s, tallies, rng, dislikes, profile)
            return tallies
        config = Config(learning=policy_name == "learned")
        clock = FakeClock(start)
        service = AppService(
            directory, config, clock, rng=np.random.default_rng(seed + 2), utc_offset_s=0.0
        )
        try:
            service.refresh_model()
            service.store.insert_events(
                Event(
                    start=c.start,
                    duration=c.duration,
                    source="calendar",
                    app=c.app,
                    category="meetings",
                )
                for c in person.calendar
            )
            _run_service(
                service,
                person,
                clock,
                start,
                end,
                tick_s,
                tallies,
                rng,
                dislikes,
                diagnostics,
                profile,
            )
        finally:
            service.close()
    return tallies


def _event(span: persons.Span) -> Event:
    return Event(
        start=span.start,
        duration=span.duration,
        source=span.source,
        app=span.app,
        category=span.category,
    )


def _next_active_tick(person: Any, t: float, start: float, tick_s: float) -> float | None:
    """Return the first tick (on the `start` grid) after `t` at which the person is at a window."""
    nxt = person.next_window_start(t)
    if nxt is None:
        return None
    return max(t + tick_s, start + math.ceil((nxt - start) / tick_s) * tick_s)


def _run_service(
    service: AppService,
    person: Person,
    clock: FakeClock,
    start: float,
    end: float,
    tick_s: float,
    tallies: list[Tally],
    rng: np.random.Generator,
    dislikes: frozenset[str],
    diagnostics: Diagnostics | None = None,
    profile: population.Profile | None = None,
) -> None:
    fed = start - 1.0  # spans that started up to here are in the store
    last_shown = -math.inf
    day = -1
    t = start
    while t < end:
        span = person.current(t)
        if span is None or span.source != persons.WINDOW:
            skip_to = _next_active_tick(person, t, start, tick_s)
            if skip_to is None:
                break
            t = skip_to
            continue
        clock.set(t)
        new = person.started(fed, t)
        if new:
            service.store.insert_events(_event(s) for s in new)
            fed = t
        if int(t // 86400.0) != day:
            day = int(t // 86400.0)
            service.maybe_personalize()
        decision = service.tick()
        if diagnostics is not None and decision is not None:
            diagnostics.add(decision)
            _situations(person, t, decision, diagnostics)
        if decision is not None and decision.suggestion is not None:
            suggestion = decision.suggestion
            moment = person.moment(t, (t - last_shown) / 60.0 if last_shown > 0 else 24 * 60.0)
            outcome, reason = person_reaction(
                person.persona, suggestion.kind, rng, moment, dislikes, profile
            )
            tallies[int((t - start) // WEEK_S)].add(suggestion.kind, outcome, moment["in_flow"])
            last_shown = t
            service.react(
                suggestion.id,
                outcome,
                snooze_minutes=SNOOZE_MIN if outcome == "snoozed" else None,
                reason=reason,
            )
            if outcome == "accepted" and suggestion.kind == "break":
                away = person.take_break(t, _break_minutes("break", moment["minutes_active"]))
                service.store.insert_events([_event(away)])
                fed = max(fed, away.start)
        t += tick_s


def _situations(person: Person, t: float, decision: Any, diagnostics: Diagnostics) -> None:
    """Count the kinds whose situation the person is in at `t`, by the simulator's truth."""
    persona = person.persona
    hour = (t % 86400.0) / 3600.0
    weekday = int(((t // 86400.0) + 3) % 7)
    workday = weekday < 5 or persona.works_weekends
    if workday and abs(hour - persona.work_end_hour) <= 0.75:
        diagnostics.situation("wrap_up", decision)
    if workday and persona.work_start_hour <= hour < persona.work_end_hour:
        # The last DISTRACTION_AFTER_MIN minutes at the computer, at least a third of them on
        # social media, video or games and none in a real stretch of work.
        window = engine.DISTRACTION_AFTER_MIN * 60.0
        i = bisect.bisect_right(person.starts, t)
        distracted = 0.0
        for span in person.steps[max(0, i - 300) : i]:
            a, b = max(span.start, t - window), min(span.start + span.duration, t)
            if b <= a:
                continue
            if span.source != persons.WINDOW or (
                span.category in persons.WORK_KINDS and span.duration > 60.0
            ):
                return
            if span.category in DISTRACTION_CATEGORIES:
                distracted += b - a
        if distracted >= window / 3.0:
            diagnostics.situation("distraction", decision)


def _run_timer(
    person: Person,
    start: float,
    end: float,
    tick_s: float,
    tallies: list[Tally],
    rng: np.random.Generator,
    dislikes: frozenset[str],
    profile: population.Profile | None = None,
) -> None:
    """A break every TIMER_MIN minutes of activity (its count resets on any 5-minute break)."""
    last_shown = -math.inf
    due_after_snooze: float | None = None
    t = start
    while t < end:
        span = person.current(t)
        if span is None or span.source != persons.WINDOW:
            skip_to = _next_active_tick(person, t, start, tick_s)
            if skip_to is None:
                break
            t = skip_to
            continue
        i = bisect.bisect_right(person.starts, t)
        timeline = features.Timeline.from_spans(person.steps[max(0, i - 400) : i])
        active = features.minutes_active_without_break(timeline, t)
        since = (t - last_shown) / 60.0
        due = (
            t >= due_after_snooze
            if due_after_snooze is not None
            else active >= TIMER_MIN and since >= TIMER_MIN
        )
        if due:
            due_after_snooze = None
            moment = person.moment(t, since if last_shown > 0 else 24 * 60.0)
            outcome, _ = person_reaction(person.persona, "break", rng, moment, dislikes, profile)
            tallies[int((t - start) // WEEK_S)].add("break", outcome, moment["in_flow"])
            last_shown = t
            if outcome == "snoozed":
                due_after_snooze = t + 60.0 * TIMER_SNOOZE_MIN
            elif outcome == "accepted":
                person.take_break(t, _break_minutes("break", active))
        t += tick_s


# --- many people, many policies ----------------------------------------------------------------


def _job(args: tuple[Any, ...]) -> tuple[dict[str, list[Tally]], dict[str, Diagnostics]]:
    persona, spans, policies, weeks, seed, tick_s, dislikes, diagnose, profile = args
    tallies, diagnostics = {}, {}
    for name in policies:
        found = Diagnostics() if diagnose and name != "fixed_timer" else None
        tallies[name] = run_person(
            persona,
            spans,
            name,
            weeks,
            seed,
            tick_s=tick_s,
            dislikes=dislikes,
            diagnostics=found,
            profile=profile,
        )
        if found is not None:
            diagnostics[name] = found
    return tallies, diagnostics


def simulate(
    users: int,
    weeks: int,
    seed: int = 0,
    *,
    policies: Iterable[str] = POLICIES,
    tick_s: float = 60.0,
    jobs: int = 1,
    dislikes: frozenset[str] = frozenset(),
    personas: Sequence[persons.Persona] | None = None,
    diagnostics: dict[str, Diagnostics] | None = None,
    population_name: str = "default",
) -> dict[str, Any]:
    """Return per-week figures of each policy over `users` simulated people.

    `population_name` "diverse" draws the people of training.population (ignoring `personas`).
    """
    policies = tuple(policies)
    profiles: list[population.Profile | None]
    if population_name == "diverse":
        drawn = population.make_people(users, seed)
        people = [persona for persona, _ in drawn]
        profiles = [profile for _, profile in drawn]
    elif population_name == "default":
        people = list(personas) if personas is not None else persons.make_personas(users, seed)
        profiles = [None] * len(people)
    else:
        raise ValueError(f"unknown population {population_name!r}: choose from {POPULATIONS}")
    work = []
    for i, (persona, profile) in enumerate(zip(people, profiles, strict=True)):
        first = persons.CORPUS_START + datetime.timedelta(weeks=i % 52)
        spans = days.generate_timeline(persona, first, weeks * 7, seed * 1_000_003 + i)
        work.append(
            (
                persona,
                spans,
                policies,
                weeks,
                seed * 7919 + i,
                tick_s,
                dislikes,
                diagnostics is not None,
                profile,
            )
        )
    if jobs > 1 and len(work) > 1:
        with multiprocessing.get_context("spawn").Pool(min(jobs, len(work))) as pool:
            results = pool.map(_job, work)
    else:
        results = [_job(w) for w in work]
    if diagnostics is not None:
        for _, found in results:
            for name, diag in found.items():
                diagnostics.setdefault(name, Diagnostics()).merge(diag)
    out_weeks = []
    for week in range(weeks):
        figures = {}
        for name in policies:
            total = Tally()
            for result in results:
                total.merge(result[0][name][week])
            figures[name] = total.as_dict()
        out_weeks.append({"week": week + 1, "policies": figures})
    report: dict[str, Any] = {
        "users": len(people),
        "weeks": out_weeks,
        "seed": seed,
        "tick_s": tick_s,
        "personas": [p.name for p in people],
    }
    if population_name != "default":
        report["population"] = population_name
        report["people"] = [
            {
                "name": persona.name,
                "deviations": list(profile.deviations) if profile else [],
                "weeks": [
                    {name: tallies[name][week].as_dict() for name in policies}
                    for week in range(weeks)
                ],
            }
            for persona, profile, (tallies, _) in zip(people, profiles, results, strict=True)
        ]
    return report


def table(result: dict[str, Any]) -> str:
    """Return the per-week figures as a Markdown table."""
    lines = [
        "| week | policy | shown | accepted | dismissed | ignored | snoozed | acceptance"
        " | in flow |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for week in result["weeks"]:
        for name, p in week["policies"].items():
            lines.append(
                f"| {week['week']} | {name} | {p['shown']} | {p['accepted']} | {p['dismissed']} "
                f"| {p['ignored']} | {p['snoozed']} | {p['acceptance_rate']:.3f} | {p['in_flow']} |"
            )
    return "\n".join(lines)


def people_table(result: dict[str, Any]) -> str:
    """Return each person's acceptance (and dismissals) by week and policy, as Markdown."""
    policies = [n for n in POLICIES if n in result["weeks"][0]["policies"]]
    header = " | ".join(f"{n} acc. (dism.)" for n in policies)
    lines = [f"| person | week | {header} | learned: shown/accepted by kind |"]
    lines.append("|---|---|" + "---|" * len(policies) + "---|")
    for person in result.get("people", []):
        for number, week in enumerate(person["weeks"], start=1):
            cells = " | ".join(
                f"{week[n]['acceptance_rate']:.2f} ({week[n]['dismissed']}/{week[n]['shown']})"
                for n in policies
            )
            learned = week.get("learned", {"kinds": {}, "kinds_accepted": {}})
            kinds = ", ".join(
                f"{kind} {n}/{learned['kinds_accepted'].get(kind, 0)}"
                for kind, n in learned["kinds"].items()
            )
            lines.append(f"| {person['name']} | {number} | {cells} | {kinds} |")
    return "\n".join(lines)


def cmd_simulate(args: argparse.Namespace) -> int:
    diagnostics: dict[str, Diagnostics] | None = {} if args.diagnose else None
    result = simulate(
        args.users,
        args.weeks,
        args.seed,
        tick_s=args.tick,
        jobs=args.jobs,
        policies=args.policy or POLICIES,
        diagnostics=diagnostics,
        population_name=args.population,
    )
    print(table(result))
    if result.get("people"):
        print()
        print(people_table(result))
    for name, diag in (diagnostics or {}).items():
        print(f"\n## {name}\n{diag.report(Config().break_threshold)}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `simulate` subcommand to `sculptor-train`'s subparsers; return its parser."""
    sim = subparsers.add_parser(
        "simulate", help="simulated people answer the real engine for weeks (learned vs baselines)"
    )
    sim.add_argument("--users", type=int, default=6)
    sim.add_argument("--weeks", type=int, default=3)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--json", help="write the figures here")
    sim.add_argument("--tick", type=float, default=60.0, help="simulated seconds between ticks")
    sim.add_argument(
        "--jobs", type=int, default=min(2, multiprocessing.cpu_count()), help="processes"
    )
    sim.add_argument(
        "--policy", action="append", choices=POLICIES, help="run only these (default: all)"
    )
    sim.add_argument(
        "--population",
        choices=POPULATIONS,
        default="default",
        help="default: the pretraining population; diverse: people who differ from it"
        " (training.population)",
    )
    sim.add_argument(
        "--diagnose",
        action="store_true",
        help="print, per kind, how often it was a candidate, what blocked it and its score",
    )
    sim.set_defaults(func=cmd_simulate)
    return sim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sculptor-train")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main(["simulate", *sys.argv[1:]]))
