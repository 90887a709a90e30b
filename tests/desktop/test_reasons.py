""" "Not like this" reasons change what the app does, say so in plain words, and can be undone."""

from __future__ import annotations

from desktop import engine, policy, reports
from desktop.config import Config
from desktop.store import DB_NAME, Store
from tests.helpers import log_suggestion

MONDAY_9 = 1_796_029_200.0  # Mon 2026-11-30 09:00 UTC
HOUR = 3600.0


def answer(store, at, kind, reason, outcome="dismissed"):
    sid = log_suggestion(store, at, kind=kind)
    store.record_feedback(sid, outcome, at + 30, context={"reason": reason})
    return sid


def test_each_reason_changes_what_it_should(tmp_path):
    store = Store(tmp_path / DB_NAME)
    answer(store, MONDAY_9, "break", "too_frequent")
    answer(store, MONDAY_9 + HOUR, "break", "too_frequent")
    answer(store, MONDAY_9 + 90 * 60, "break", None, outcome="accepted")  # no back-off streak
    for day in range(3):
        answer(store, MONDAY_9 + day * 86400 + 2 * HOUR, "meeting_prep", "not_useful")
    answer(store, MONDAY_9 + 3 * HOUR, "focus", "bad_moment")  # 12:00: the midday bucket
    answer(store, MONDAY_9 + 4 * HOUR, "focus", None, outcome="accepted")  # no reason: nothing
    now = MONDAY_9 + 4 * 86400
    records = store.suggestions()
    taught = policy.lessons(records, now, 0.0)
    assert taught.gap_factor("break") == 1.5**2
    assert taught.gap_factor("focus") == 1.0
    assert taught.prior_factor("meeting_prep") == 0.7**3 and taught.offer_off("meeting_prep")
    midday = policy.time_bucket(12.0)
    assert taught.timing_factor("focus", midday) == 0.6
    assert taught.timing_factor("focus", policy.time_bucket(9.0)) == 1.0  # other hours untouched
    # "too often" stretches the break's gap: a break 60 min after the last one is held back.
    rules = policy.HardRules(Config())
    last_break = MONDAY_9 + 4 * 86400 - HOUR
    log_suggestion(store, last_break, kind="break")
    records = store.suggestions()
    assert rules.kind_block("break", last_break + HOUR, records) is None
    why = rules.kind_block("break", last_break + HOUR, records, taught)
    assert why is not None and "you said it came too often" in why


def test_the_model_page_says_what_was_learned_and_forgetting_undoes_it(tmp_path):
    store = Store(tmp_path / DB_NAME)
    answer(store, MONDAY_9, "break", "too_frequent")
    for day in range(3):
        answer(store, MONDAY_9 + day * 86400, "meeting_prep", "not_useful")
    now = MONDAY_9 + 4 * 86400
    lines = reports.told(store.suggestions(), now, 0.0, 40.0, engine.forgotten_reasons(store))
    texts = [line.text for line in lines]
    assert "You told me breaks came too often (once): at most one every 60 min now." in texts
    assert any(
        t.startswith("You told me meeting preparation notices were not useful (3 times")
        and "switch them off" in t
        for t in texts
    )
    engine.forget_reasons(store, "break", now)
    after = reports.told(store.suggestions(), now, 0.0, 40.0, engine.forgotten_reasons(store))
    assert [line.kind for line in after] == ["meeting_prep"]
    taught = policy.lessons(store.suggestions(), now, 0.0, engine.forgotten_reasons(store))
    assert taught.gap_factor("break") == 1.0  # undone: the break's gap is back to normal
    # A reason given after forgetting counts again.
    answer(store, now + 60, "break", "too_frequent")
    again = policy.lessons(store.suggestions(), now + 120, 0.0, engine.forgotten_reasons(store))
    assert again.gap_factor("break") == 1.5


def test_the_reason_goes_from_the_notification_to_the_lessons(tmp_path):
    from desktop.clock import FakeClock
    from desktop.service import AppService

    service = AppService(tmp_path, Config(), FakeClock(MONDAY_9))
    try:
        sid = log_suggestion(service.store, MONDAY_9, kind="distraction")
        service.react(sid, "dismissed", reason="not_useful")
        taught = service.engine.taught(MONDAY_9 + 60, service.store.suggestions())
        assert taught.not_useful == {"distraction": 1}
    finally:
        service.close()
