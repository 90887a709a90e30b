"""Tests for the synthetic routine generator (training.synthetic)."""

from __future__ import annotations

import dataclasses
import datetime
import math

import numpy as np
import pytest

from edge_model.categories import AWAY, CATEGORIES, PAD, categorize
from training.synthetic import persons, traces
from training.synthetic.days import corpus, generate_timeline
from training.synthetic.persons import REACTIONS, Persona, Span, make_personas
from training.synthetic.reactions import (
    acceptance_context,
    break_acceptance_probability,
    simulate_reaction,
)
from training.synthetic.traces import hourly_share, trace_statistics

MONDAY = datetime.date(2024, 3, 4)
DAY0 = datetime.datetime(2024, 3, 4, tzinfo=datetime.UTC).timestamp()


@pytest.fixture(scope="module")
def personas() -> list[Persona]:
    return make_personas(8, seed=11)


@pytest.fixture(scope="module")
def timelines(personas: list[Persona]) -> list[tuple[Persona, list[Span]]]:
    return [(p, generate_timeline(p, MONDAY, 14, seed=i)) for i, p in enumerate(personas)]


def _context(**overrides: object) -> dict:
    base = {
        "minutes_active": 60.0,
        "hour": 10.5,
        "weekday": 1,
        "in_flow": False,
        "minutes_since_last_suggestion": 24 * 60.0,
        "in_meeting": False,
    }
    base.update(overrides)
    return base


def test_same_seed_same_timeline_and_different_seed_differs(personas: list[Persona]) -> None:
    assert make_personas(8, seed=11) == personas
    assert make_personas(8, seed=12) != personas
    persona = personas[0]
    first = generate_timeline(persona, MONDAY, 7, seed=5)
    assert first == generate_timeline(persona, MONDAY, 7, seed=5)
    assert first != generate_timeline(persona, MONDAY, 7, seed=6)
    assert corpus(2, 1, seed=3) == corpus(2, 1, seed=3)


def test_personas_vary(personas: list[Persona]) -> None:
    many = make_personas(40, seed=0)
    assert len({p.name for p in many}) == 40
    assert {p.platform for p in many} == {"linux", "windows"}
    assert len({p.apps.get("browsing") for p in many}) > 3
    for p in many:
        assert p.work_start_hour < p.lunch_hour < p.work_end_hour
        assert p.focus_hours[0] < p.focus_hours[1]
        assert 45.0 <= p.break_rhythm_minutes <= 120.0
        assert 0.0 <= p.distraction_propensity <= 1.0
        assert 0.0 <= p.interruption_tolerance <= 1.0
        assert set(p.apps) <= set(CATEGORIES) - {PAD, AWAY}


def test_spans_chronological_and_window_afk_do_not_overlap(timelines: list) -> None:
    for _, spans in timelines:
        assert spans, "a two-week timeline is never empty"
        starts = [s.start for s in spans]
        assert starts == sorted(starts)
        steps = [s for s in spans if s.source != "calendar"]
        for a, b in zip(steps, steps[1:], strict=False):
            assert a.duration > 0
            assert a.start + a.duration <= b.start + 1e-6, (a, b)


def test_categories_and_sources_are_consistent(timelines: list) -> None:
    pools = [app for pool in persons.POOLS.values() for apps in pool.values() for app in apps]
    for pool in persons.POOLS.values():
        for category, apps in pool.items():
            assert all(categorize(app) == category for app in apps), category
    assert pools
    for _, spans in timelines:
        assert {s.source for s in spans} <= {"window", "afk", "calendar"}
        for s in spans:
            assert s.category in CATEGORIES and s.category != PAD
            if s.source == "afk":
                assert s.app == "" and s.category == AWAY
            elif s.source == "window":
                assert s.app and s.category == categorize(s.app)
            else:
                assert s.category == "meetings" and s.title


def test_meetings_sit_on_the_calendar_with_a_window_span(timelines: list) -> None:
    seen = 0
    for _, spans in timelines:
        windows = [s for s in spans if s.source == "window"]
        for meeting in (s for s in spans if s.source == "calendar"):
            seen += 1
            assert meeting.duration in (15 * 60.0, 30 * 60.0, 60 * 60.0)
            assert meeting.start % 900 == 0  # on the quarter hour, like a calendar
            overlap = sum(
                max(
                    0.0,
                    min(w.start + w.duration, meeting.start + meeting.duration)
                    - max(w.start, meeting.start),
                )
                for w in windows
                if w.app == meeting.app
            )
            assert overlap > 0.5 * meeting.duration
    assert seen > 10


def test_collector_artifacts_present(timelines: list) -> None:
    apps_by_platform: dict[str, set[str]] = {"windows": set(), "linux": set()}
    durations = []
    for persona, spans in timelines:
        apps_by_platform[persona.platform] |= {s.app for s in spans}
        durations += [s.duration for s in spans if s.source == "afk"]
    if apps_by_platform["windows"]:
        assert {"explorer.exe", "LockApp.exe", "SearchApp.exe"} <= apps_by_platform["windows"]
    if apps_by_platform["linux"]:
        shells = {desktop[0] for desktop in persons.LINUX_DESKTOPS}
        assert shells & apps_by_platform["linux"]
    minutes = np.array(durations) / 60.0
    assert np.any((minutes >= 5) & (minutes <= 20)), "short breaks"
    assert np.any((minutes >= 30) & (minutes <= 60)), "lunch"


def test_weekdays_busier_than_weekends_for_a_weekday_worker(personas: list[Persona]) -> None:
    for i, base in enumerate(personas[:4]):
        persona = dataclasses.replace(base, works_weekends=False)
        stats = trace_statistics(generate_timeline(persona, MONDAY, 28, seed=100 + i))
        assert stats["active_hours_weekday"] > 4.0
        assert stats["active_hours_weekday"] > 2.5 * stats["active_hours_weekend"]


def test_activity_concentrates_in_work_hours(timelines: list) -> None:
    for persona, spans in timelines:
        share = hourly_share(spans)
        assert math.isclose(sum(share), 1.0)
        lo = math.floor(persona.work_start_hour - 1.0)
        hi = math.ceil(persona.work_end_hour + 1.5)
        assert sum(share[lo:hi]) > 0.75, persona.name
        assert sum(share[1:6]) == 0.0  # nights off


def test_a_students_laptop_opens_between_classes_and_in_the_evening() -> None:
    students = [p for p in make_personas(40, seed=0) if persons.is_student(p.name)]
    workers = [p for p in make_personas(40, seed=0) if not persons.is_student(p.name)][:3]
    assert students
    evenings = []
    for i, student in enumerate(students[:3]):
        spans = generate_timeline(student, MONDAY, 5, seed=i)  # Monday to Friday
        share = hourly_share(spans)
        evenings.append(sum(share[18:24]) + share[0])  # the evening's study and more
        assert sum(share[:10]) == 0.0  # no mornings on this laptop
        hours = traces.weekday_active_hours(spans)[:5]
        assert 1.5 < float(np.mean(hours)) < 6.5  # a few hours, not an office day
        # The lid is shut between sittings: gaps with no span at all, not away-from-keyboard.
        steps = [s for s in spans if s.source != "calendar"]
        gaps = [b.start - (a.start + a.duration) for a, b in zip(steps, steps[1:], strict=False)]
        assert sum(30 * 60 < g < 8 * 3600 for g in gaps) >= 5
    assert min(evenings) > 0.35
    for i, worker in enumerate(workers):  # an office day: evenings are the odd hour of leisure
        share = hourly_share(generate_timeline(worker, MONDAY, 5, seed=i))
        assert sum(share[18:24]) < min(evenings), worker.name


def test_acceptance_rises_with_minutes_active(personas: list[Persona]) -> None:
    for persona in personas:
        for in_flow in (False, True):
            probs = [
                break_acceptance_probability(persona, **_context(minutes_active=m, in_flow=in_flow))
                for m in range(0, 300, 5)
            ]
            assert all(b >= a for a, b in zip(probs, probs[1:], strict=False))
            assert all(0.0 < p <= 0.9 for p in probs)
        fresh = break_acceptance_probability(persona, **_context(minutes_active=0.0))
        tired = break_acceptance_probability(
            persona, **_context(minutes_active=2 * persona.break_rhythm_minutes)
        )
        assert fresh < 0.2 < 0.6 < tired


def test_acceptance_context_effects(personas: list[Persona]) -> None:
    persona = dataclasses.replace(personas[0], interruption_tolerance=0.1)
    long = persona.break_rhythm_minutes * 1.5
    base = break_acceptance_probability(persona, **_context(minutes_active=long))
    meeting = break_acceptance_probability(
        persona, **_context(minutes_active=long, in_meeting=True)
    )
    flow = break_acceptance_probability(persona, **_context(minutes_active=long, in_flow=True))
    recent = break_acceptance_probability(
        persona, **_context(minutes_active=long, minutes_since_last_suggestion=3.0)
    )
    assert meeting < 0.03
    assert flow < 0.5 * base
    assert recent < 0.5 * base
    tolerant = dataclasses.replace(persona, interruption_tolerance=0.95)
    assert (
        break_acceptance_probability(tolerant, **_context(minutes_active=long, in_flow=True)) > flow
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"minutes_active": 5.0},
        {"minutes_active": 90.0},
        {"minutes_active": 150.0, "in_flow": True},
        {"minutes_active": 120.0, "minutes_since_last_suggestion": 10.0},
        {"minutes_active": 60.0, "in_meeting": True},
    ],
)
def test_simulated_reactions_match_probability(personas: list[Persona], overrides: dict) -> None:
    persona = personas[1]
    context = _context(**overrides)
    p = break_acceptance_probability(persona, **context)
    rng = np.random.default_rng(42)
    draws = [simulate_reaction(persona, rng, **context) for _ in range(4000)]
    assert set(draws) <= set(REACTIONS)
    assert abs(draws.count("accepted") / len(draws) - p) < 0.03
    if overrides.get("in_meeting"):
        assert draws.count("ignored") > draws.count("snoozed")


def test_acceptance_context_from_timeline(timelines: list) -> None:
    persona, spans = timelines[0]
    after_break = next(
        s for s in spans if s.source == "afk" and s.duration >= 10 * 60 and s.start > DAY0 + 3600
    )
    context = acceptance_context(persona, spans, after_break.start + after_break.duration + 60.0)
    assert context["minutes_active"] < 2.0
    assert not context["in_meeting"]
    meeting = next(s for s in spans if s.source == "calendar")
    inside = acceptance_context(persona, spans, meeting.start + 60.0)
    assert inside["in_meeting"]
    assert 0.0 <= break_acceptance_probability(persona, **inside) < 0.05


def test_two_weeks_are_active_on_most_days(timelines: list) -> None:
    # Span lengths, switch rates, hours and rhythm against the real data: tests/training/
    # test_realism.py (`sculptor-train realism`), which recomputes the real figures every run.
    for persona, spans in timelines:
        assert trace_statistics(spans)["active_days"] >= 9, persona.name


def test_corpus_shape() -> None:
    result = corpus(3, 2, seed=1)
    assert len(result) == 3
    for persona, spans in result:
        assert isinstance(persona, Persona)
        first = datetime.datetime.fromtimestamp(spans[0].start, datetime.UTC).date()
        last = datetime.datetime.fromtimestamp(spans[-1].start, datetime.UTC).date()
        assert first.weekday() == 0 or first.weekday() >= 5
        assert (last - first).days <= 14


def test_hand_made_persona_with_few_apps() -> None:
    persona = Persona(
        name="minimal",
        platform="linux",
        work_start_hour=9.0,
        work_end_hour=17.0,
        lunch_hour=12.5,
        break_rhythm_minutes=60.0,
        focus_hours=(9.5, 11.5),
        distraction_propensity=0.9,
        meeting_load=3.0,
        interruption_tolerance=0.5,
        works_weekends=True,
        apps={"office": ("libreoffice-writer",)},
    )
    spans = generate_timeline(persona, MONDAY, 7, seed=0)
    assert trace_statistics(spans)["active_hours_weekday"] > 3.0
    assert all(s.category == categorize(s.app) for s in spans if s.source == "window")
