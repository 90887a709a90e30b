"""The engine on the real shipped model, a real store and an injected clock."""

import numpy as np
import pytest

from desktop.clock import FakeClock
from desktop.config import Config
from desktop.engine import SuggestionEngine
from desktop.models import ModelManager
from desktop.store import Event, Store
from edge_model.registry import Registry

MONDAY_9AM = 1_794_301_200.0  # 2026-11-09 09:00 UTC, a Monday


@pytest.fixture
def setup(tmp_path):
    clock = FakeClock(MONDAY_9AM)
    store = Store(tmp_path / "db.sqlite3")
    models = ModelManager(Registry(tmp_path / "models"), store, clock)
    assert models.refresh()
    engine = SuggestionEngine(store, models, Config(), np.random.default_rng(1))
    return clock, store, engine


def work(store, start, minutes, app="code", category="development", step=300.0):
    """Store `minutes` of activity as alternating spans (like real alt-tabbing)."""
    t = start
    apps = [(app, category), ("firefox", "browsing")]
    i = 0
    while t < start + minutes * 60:
        name, cat = apps[i % 2]
        length = min(step if i % 2 == 0 else 60.0, start + minutes * 60 - t)
        store.insert_events(
            [Event(start=t, duration=length, source="window", app=name, category=cat)]
        )
        t += length
        i += 1
    return t


def first_shown(clock, engine, until_minutes, **kwargs):
    decisions = []
    start = clock.now()
    while clock.now() < start + until_minutes * 60:
        clock.advance(60)
        decision = engine.consider(clock.now(), **kwargs)
        decisions.append(decision)
        if decision.shown:
            return decision, decisions
    return None, decisions


def test_no_break_before_a_real_stretch_of_work(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 10)
    clock.set(end)
    decision = engine.consider(clock.now())
    assert not decision.shown and "active" in decision.reason
    assert decision.score is not None  # the model still ran


def test_long_stretch_gets_a_break_logged_with_its_context(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 150)
    clock.set(end - 130 * 60)
    shown = None
    while shown is None and clock.now() < end:
        clock.advance(60)
        decision = engine.consider(clock.now())
        shown = decision.suggestion
    assert shown is not None, "no break suggested over 2 h of uninterrupted work"
    assert shown.kind == "break" and "without a break" in shown.explanation
    [record] = store.suggestions()
    assert record.model_version == shown.model_version
    assert record.features["context"] and 0.0 < record.propensity <= 1.0
    # The logged score is what the model said for the logged features.
    runtime = engine.models.current
    from edge_model.features import features_from_json

    again = runtime.predict(features_from_json(record.features))
    assert abs(float(again.accept[0]) - record.score) < 1e-6


def test_scores_rise_with_minutes_active(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 180)
    scores = []
    for minutes in (5, 60, 180):
        decision = engine.consider(clock.now() + minutes * 60 if minutes < 180 else end)
        scores.append(decision.score)
    assert scores[0] < scores[-1]


def test_never_during_a_meeting_and_snooze_is_honoured(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 220)  # the user keeps working through the snooze
    clock.set(end - 40 * 60)
    assert engine.consider(clock.now(), in_meeting=True).reason == "in a calendar meeting"
    sid = store.add_suggestion(
        created_at=clock.now(),
        kind="break",
        text="t",
        explanation="e",
        model_version="m",
        features={},
        score=0.9,
        propensity=1.0,
    )
    store.record_feedback(sid, "snoozed", clock.now(), snooze_minutes=15)
    clock.advance(14 * 60)
    assert "snoozed" in engine.consider(clock.now()).reason
    clock.advance(2 * 60)
    assert "snoozed" not in engine.consider(clock.now()).reason


def test_min_gap_and_daily_cap(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 420)
    clock.set(end - 240 * 60)
    sid = store.add_suggestion(
        created_at=clock.now() - 60,
        kind="break",
        text="t",
        explanation="e",
        model_version="m",
        features={},
        score=0.9,
        propensity=1.0,
    )
    store.record_feedback(sid, "dismissed", clock.now())
    assert "min ago" in engine.consider(clock.now()).reason
    for i in range(6):
        store.add_suggestion(
            created_at=clock.now() - 3600 * (i + 2),
            kind="break",
            text="t",
            explanation="e",
            model_version="m",
            features={},
            score=0.9,
            propensity=1.0,
        )
    assert "daily cap" in engine.consider(clock.now() + 3 * 3600).reason


def test_a_low_score_is_never_shown_however_often_it_is_asked(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 25)  # past the 20 min gate, but an early, unwelcome moment
    decisions = [engine.consider(end) for _ in range(300)]
    assert decisions[0].score < 0.25
    assert all(d.propensity == 0.0 and not d.shown for d in decisions)
