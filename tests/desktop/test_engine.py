"""The engine on the real shipped model, a real store and an injected clock."""

import numpy as np
import pytest

from desktop.clock import FakeClock
from desktop.config import Config
from desktop.engine import SuggestionEngine
from desktop.models import ModelManager
from desktop.store import Event, Store
from edge_model.registry import Registry
from tests.helpers import log_suggestion

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
    sid = log_suggestion(store, clock.now())
    store.record_feedback(sid, "snoozed", clock.now(), snooze_minutes=15)
    clock.advance(14 * 60)
    assert "snoozed" in engine.consider(clock.now()).reason
    clock.advance(2 * 60)
    assert "snoozed" not in engine.consider(clock.now()).reason


def test_min_gap_and_daily_cap(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 420)
    clock.set(end - 240 * 60)
    sid = log_suggestion(store, clock.now() - 60)
    store.record_feedback(sid, "dismissed", clock.now())
    assert "min ago" in engine.consider(clock.now()).reason
    for i in range(6):
        log_suggestion(store, clock.now() - 3600 * (i + 2))
    assert "daily cap" in engine.consider(clock.now() + 3 * 3600).reason


def test_a_low_score_is_never_shown_however_often_it_is_asked(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 25)  # past the 20 min gate, but an early, unwelcome moment
    decisions = [engine.consider(end) for _ in range(300)]
    assert decisions[0].score < 0.25
    assert all(d.propensity == 0.0 and not d.shown for d in decisions)


# --- issue #6: hard rules, kinds, why-now, the bandit's logged propensities -------------------


def snoozed_suggestion(store, at, minutes):
    sid = log_suggestion(store, at)
    store.record_feedback(sid, "snoozed", at + 5, snooze_minutes=minutes)
    return at + 5 + 60 * minutes


def test_hard_rules_hold_before_any_scoring(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 150)
    for kwargs, words in [
        ({"fullscreen": True}, "full-screen"),
        ({"foreground_app": "Zoom.exe"}, "call or screen share"),
        ({"in_meeting": True}, "calendar meeting"),
    ]:
        decision = engine.consider(end, **kwargs)
        assert words in decision.reason and decision.score is None and not decision.shown
    engine.utc_offset_s = 10 * 3600.0  # 11:30 UTC is 21:30 there... and 22:30 an hour later
    assert "quiet hours" in engine.consider(end + 3600).reason


def test_a_snoozed_suggestion_comes_back_exactly_once_at_its_end(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 200)
    due = snoozed_suggestion(store, end - 60 * 60, 15)
    assert "snoozed" in engine.consider(due - 1).reason
    back = engine.consider(due)
    assert back.shown and back.suggestion.kind == "break" and back.propensity == 1.0
    assert "asked to be reminded" in back.suggestion.explanation
    assert not engine.consider(due + 60).shown  # not twice
    assert len(store.suggestions()) == 2


def test_a_shown_break_says_why_now_and_logs_what_the_sampler_used(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 180)
    clock.set(end - 150 * 60)
    decision, _ = first_shown(clock, engine, 150)
    assert decision is not None
    [record] = store.suggestions()
    assert record.propensity == decision.propensity == decision.show_probabilities["break"]
    assert 0.0 < record.propensity <= 1.0
    assert "without a break" in record.explanation and "The model puts" in record.explanation


def test_occlusion_names_minutes_active_for_a_long_stretch(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 120)
    decision = engine.consider(end)
    from edge_model import features

    spans = store.events(end - 16 * 3600, end)
    inputs = features.featurize(features.Timeline.from_spans(spans), features.Context(now=end))
    drops = dict(engine.occlusion("break", inputs, engine.models.current))
    assert decision.score is not None
    assert drops["minutes_active"] == max(drops.values()) and drops["minutes_active"] > 0.05


def test_meeting_preparation_is_a_candidate_before_a_meeting(setup):
    clock, store, engine = setup
    end = work(store, clock.now(), 30)
    store.insert_events(
        [
            Event(
                start=end + 10 * 60,
                duration=1800,
                source="calendar",
                app="zoom",
                category="meetings",
            )
        ]
    )
    decision = engine.consider(end)
    assert decision.candidates["meeting_prep"] == "candidate"
    assert decision.candidates["break"] == "candidate"
    shown = next(d for d in (engine.consider(end + 60 * i) for i in range(5)) if d.shown)
    assert shown.suggestion.kind == "meeting_prep"
    assert "meeting starts in" in shown.suggestion.explanation
    assert "has not learned" in shown.suggestion.explanation  # a prior, and it says so
    later = engine.consider(end + 20 * 60)
    assert later.candidates.get("meeting_prep") != "candidate"  # once per meeting
