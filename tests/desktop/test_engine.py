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


# --- hard rules, kinds, why-now, the bandit's logged propensities -------------------


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


# --- wrap-up and distraction nudges fire in their situation, and only there -----------------

HOUR = 3600.0
MONDAY = MONDAY_9AM - 9 * HOUR  # local midnight (UTC) of Monday 2026-11-09


def engine_for(store, models, *kinds):
    config = Config(suggestion_kinds=kinds)
    return SuggestionEngine(store, models, config, np.random.default_rng(7))


def span(store, start, minutes, app, category):
    store.insert_events(
        [Event(start=start, duration=minutes * 60, source="window", app=app, category=category)]
    )
    return start + minutes * 60


def work_day(store, day0, end_hour=17.0, start_hour=9.0, evening=True):
    """A day of work from `start_hour` to `end_hour` with lunch away; videos in the evening."""
    if start_hour < 12.5:
        work(store, day0 + start_hour * HOUR, (12.5 - start_hour) * 60)
    work(store, day0 + max(start_hour, 13.25) * HOUR, (end_hour - max(start_hour, 13.25)) * 60)
    if evening:  # after work: videos, and a few seconds on a document now and then
        t = day0 + 19.5 * HOUR
        while t < day0 + 21.5 * HOUR:
            t = span(store, t, 12, "vlc", "entertainment")
            t = span(store, t, 0.3, "obsidian", "office")


def first_of_kind(engine, clock, start, end, kind, **kwargs):
    """Ask the engine every minute from `start` to `end`; return when `kind` was first shown."""
    t = start
    while t < end:
        clock.set(t)
        decision = engine.consider(t, **kwargs)
        if decision.shown and decision.suggestion.kind == kind:
            return t, decision
        t += 60.0
    return None, None


def test_wrap_up_comes_near_the_usual_end_of_work_learned_from_history(setup):
    clock, store, base = setup
    for day in range(-7, -2):  # last week, Monday to Friday: work until 17:00, then videos
        work_day(store, MONDAY + day * 86400.0)
    work_day(store, MONDAY, end_hour=17.5, evening=False)  # today, a little overtime
    engine = engine_for(store, base.models, "wrap_up")
    # The end of work, not of the evening's videos.
    assert engine.profile(MONDAY + 12 * HOUR).work_end == pytest.approx(17.0, abs=0.15)
    start, end = MONDAY + 9.5 * HOUR, MONDAY + 17.5 * HOUR
    at, decision = first_of_kind(engine, clock, start, end, "wrap_up")
    assert at is not None, "no wrap-up on a full day of work around its usual end"
    assert MONDAY + 16.45 * HOUR <= at < MONDAY + 17.25 * HOUR  # 30 min before to 15 after
    assert "you usually stop around" in decision.suggestion.explanation.lower()
    assert "h today" in decision.suggestion.explanation
    again, _ = first_of_kind(engine, clock, at + 60, end, "wrap_up")
    assert again is None  # once a day


@pytest.mark.parametrize(
    ("history_days", "today", "kwargs", "why"),
    [
        (range(-7, -2), 0, {"start_hour": 15.0}, "min of work today"),  # a short day
        (range(-7, -5), 0, {}, "learning your habits"),  # two days of history: no habit yet
        (range(0, 5), 5, {}, "no usual end"),  # a Saturday of work for a Monday-Friday worker
    ],
)
def test_no_wrap_up_outside_its_situation(setup, history_days, today, kwargs, why):
    clock, store, base = setup
    for day in history_days:
        work_day(store, MONDAY + day * 86400.0)
    day0 = MONDAY + today * 86400.0
    work_day(store, day0, evening=False, **{"end_hour": 17.5, **kwargs})
    engine = engine_for(store, base.models, "wrap_up")
    at, _ = first_of_kind(engine, clock, day0 + 9.5 * HOUR, day0 + 17.5 * HOUR, "wrap_up")
    assert at is None
    clock.set(day0 + 16.9 * HOUR)
    decision = engine.consider(clock.now())
    assert why in decision.candidates["wrap_up"]


def distraction_stretch(store, start, minutes, pattern):
    """Store `minutes` of a repeating (app, category, minutes) pattern from `start`."""
    t, i = start, 0
    while t < start + minutes * 60 - 1:
        app, category, length = pattern[i % len(pattern)]
        t = span(store, t, min(length, (start + minutes * 60 - t) / 60), app, category)
        i += 1
    return t


SOCIAL = [("reddit", "social", 3.0), ("firefox", "browsing", 1.5), ("vlc", "entertainment", 2.0)]


def test_a_distraction_nudge_comes_after_a_long_stretch_in_work_hours(setup):
    clock, store, base = setup
    work(store, MONDAY + 9 * HOUR, 90)  # 09:00-10:30 work, then social media and videos
    distraction_stretch(store, MONDAY + 10.5 * HOUR, 60, SOCIAL)
    engine = engine_for(store, base.models, "distraction")
    at, decision = first_of_kind(
        engine, clock, MONDAY + 9.5 * HOUR, MONDAY + 11.5 * HOUR, "distraction"
    )
    assert at is not None, "no nudge after an hour of social media during work hours"
    minutes = (at - MONDAY - 10.5 * HOUR) / 60
    assert 20 <= minutes <= 35, minutes
    assert "social media, video or games" in decision.suggestion.explanation


@pytest.mark.parametrize(
    ("start_hour", "pattern", "minutes"),
    [
        (19.5, SOCIAL, 60),  # the evening: not work time
        (10.5, SOCIAL, 15),  # a short pause
        # mostly browsing, with a glance at social media now and then: could be research
        (10.5, [("firefox", "browsing", 6.0), ("reddit", "social", 0.5)], 60),
        # back to work for five minutes every ten: no long stretch
        (10.5, [*SOCIAL, ("code", "development", 5.0)], 60),
    ],
)
def test_no_distraction_nudge_outside_its_situation(setup, start_hour, pattern, minutes):
    clock, store, base = setup
    work(store, MONDAY + (start_hour - 1.5) * HOUR, 90)
    end = distraction_stretch(store, MONDAY + start_hour * HOUR, minutes, pattern)
    engine = engine_for(store, base.models, "distraction")
    at, _ = first_of_kind(engine, clock, MONDAY + start_hour * HOUR, end, "distraction")
    assert at is None


def test_temperature_zero_makes_the_engine_greedy(tmp_path):
    greedy = Config(exploration_temperature=0.0, suggestion_kinds=("break",))
    runs = []
    for seed in (1, 2):  # two users with the same morning, each with their own store
        store = Store(tmp_path / f"db{seed}.sqlite3")
        models = ModelManager(Registry(tmp_path / "models"), store, FakeClock(MONDAY_9AM))
        assert models.refresh()
        end = work(store, MONDAY_9AM, 180)
        engine = SuggestionEngine(store, models, greedy, np.random.default_rng(seed))
        runs.append([engine.consider(t) for t in np.arange(end - 150 * 60, end, 120.0)])
    # The same moments give the same choices whatever the random generator: no exploration.
    assert [(d.shown, d.show_probabilities) for d in runs[0]] == [
        (d.shown, d.show_probabilities) for d in runs[1]
    ]
    offered = [d for d in runs[0] if d.show_probabilities]
    assert offered and all(set(d.show_probabilities.values()) <= {0.0, 1.0} for d in offered)
    # A greedy hold is certain (show probability 0), a greedy suggestion logs propensity 1.
    assert all(d.propensity == (1.0 if d.shown else 0.0) for d in offered)


def pattern_block(store, start, hours, pattern):
    return distraction_stretch(store, start, hours * 60, pattern)


FRAGMENTED = [("code", "development", 3.3), ("firefox", "browsing", 0.33)]
DEEP = [("code", "development", 25.0), ("slack", "communication", 5.0)]


def test_focus_comes_at_the_start_of_the_deepest_hours_not_the_busiest(setup):
    # Mornings are busy but fragmented (more main-work seconds), afternoons deep (long spans).
    clock, store, base = setup
    for day in range(-7, 1):
        day0 = MONDAY + day * 86400.0
        if (day + 7) % 7 >= 5:
            continue
        pattern_block(store, day0 + 9 * HOUR, 3, FRAGMENTED)
        pattern_block(store, day0 + 14 * HOUR, 2, DEEP)
        pattern_block(store, day0 + 16 * HOUR, 1, FRAGMENTED)
    engine = engine_for(store, base.models, "focus")
    assert engine.profile(MONDAY + 8 * HOUR).focus_start == 14.0
    at, decision = first_of_kind(engine, clock, MONDAY + 9 * HOUR, MONDAY + 17 * HOUR, "focus")
    assert at is not None and MONDAY + 14 * HOUR <= at < MONDAY + 14.5 * HOUR
    assert "usually start at 14:00" in decision.suggestion.explanation


def _habit(store, start, stay_minutes, days=3):
    """Days of editor stays of `stay_minutes`, each followed by a one-minute browser glance."""
    t = start
    for day in range(days):
        t = start + day * 86400.0
        end = t + 6 * 3600.0
        while t < end:
            store.insert_events(
                [
                    Event(
                        start=t,
                        duration=stay_minutes * 60.0,
                        source="window",
                        app="code",
                        category="development",
                    ),
                    Event(
                        start=t + stay_minutes * 60.0,
                        duration=60.0,
                        source="window",
                        app="firefox",
                        category="browsing",
                    ),
                ]
            )
            t += (stay_minutes + 1) * 60.0
    return t


@pytest.mark.parametrize("stay_minutes", [2, 45])
def test_the_timing_head_knows_how_long_this_user_stays_in_an_app(tmp_path, stay_minutes):
    from edge_model import timing

    clock = FakeClock(MONDAY_9AM)
    store = Store(tmp_path / "db.sqlite3")
    models = ModelManager(Registry(tmp_path / "models"), store, clock)
    assert models.refresh()
    head = timing.TimingHead.load(timing.SHIPPED_PRIOR)
    engine = SuggestionEngine(store, models, Config(), np.random.default_rng(1), timing_head=head)
    plain = SuggestionEngine(store, models, Config(), np.random.default_rng(1))
    # Three past days of the habit, then today: an editor stay that began 40 s ago.
    _habit(store, MONDAY_9AM - 3 * 86400.0, stay_minutes)
    now = MONDAY_9AM + 40.0
    store.insert_events(
        [
            Event(
                start=MONDAY_9AM, duration=40.0, source="window", app="code", category="development"
            )
        ]
    )
    timed = engine.consider(now)
    raw = plain.consider(now)
    assert timed.switch_soon is not None and raw.switch_soon is not None
    if stay_minutes == 2:  # always out of the editor within two minutes: ends soon
        assert timed.switch_soon > 0.7
    else:  # three-quarter-hour stays: not within five minutes
        assert timed.switch_soon < 0.3
    # The network alone sees only the last 24 spans and cannot tell the two users apart as well.
    assert abs(timed.switch_soon - raw.switch_soon) > 0.05
