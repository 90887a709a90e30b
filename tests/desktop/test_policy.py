"""The hard rules, the bandit and the personal head, on plain values with an injected clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from desktop import policy
from desktop.config import Config

MONDAY_9AM = 1_794_301_200.0  # 2026-11-09 09:00 UTC, a Monday


@dataclass(frozen=True)
class Rec:
    id: int
    created_at: float
    kind: str = "break"
    outcome: str | None = None
    outcome_at: float | None = None


def answered(i: int, at: float, outcome: str, kind: str = "break") -> Rec:
    return Rec(i, at, kind, outcome, at + 30.0)


@pytest.fixture
def rules() -> policy.HardRules:
    return policy.HardRules(Config())


def test_quiet_hours_in_local_time(rules):
    assert policy.parse_quiet_hours("22:00-08:00") == (22.0, 8.0)
    assert policy.parse_quiet_hours("") is None
    with pytest.raises(ValueError, match="HH:MM"):
        policy.parse_quiet_hours("late")
    night = MONDAY_9AM + 14 * 3600  # 23:00 UTC
    assert "quiet hours" in rules.moment_block(policy.Moment(night))
    # Two hours west of UTC it is 21:00 there: not quiet; at 07:00 UTC it is 05:00: quiet.
    assert rules.moment_block(policy.Moment(night, utc_offset_s=-2 * 3600)) is None
    assert "quiet" in rules.moment_block(policy.Moment(MONDAY_9AM - 7200, utc_offset_s=-7200))
    assert rules.moment_block(policy.Moment(MONDAY_9AM)) is None


def test_meetings_full_screen_and_calls_block(rules):
    assert rules.moment_block(policy.Moment(MONDAY_9AM, in_meeting=True)) == (
        "in a calendar meeting"
    )
    assert "full-screen" in rules.moment_block(policy.Moment(MONDAY_9AM, fullscreen=True))
    for app in ("Zoom.exe", "ms-teams.exe", "skypeforlinux", "obs64.exe"):
        assert "call or screen share" in rules.moment_block(
            policy.Moment(MONDAY_9AM, foreground_app=app)
        )
    meet = policy.Moment(MONDAY_9AM, foreground_app="firefox", foreground_category="meetings")
    assert "call" in rules.moment_block(meet)
    assert rules.moment_block(policy.Moment(MONDAY_9AM, foreground_app="obsidian")) is None
    relaxed = policy.HardRules(Config(respect_fullscreen=False, quiet_hours=""))
    assert relaxed.moment_block(policy.Moment(MONDAY_9AM, fullscreen=True)) is None


def test_on_screen_back_to_back_and_daily_cap(rules):
    now = MONDAY_9AM + 8 * 3600
    assert "on screen" in rules.history_block(now, [Rec(1, now - 30)], 0.0)
    # Answered five minutes ago: never back to back, whatever the kind.
    recent = [Rec(1, now - 400, "break", "accepted", now - 300)]
    assert "back to back" in rules.history_block(now, recent, 0.0)
    assert rules.history_block(now + 600, recent, 0.0) is None
    # The cap counts the local day: six yesterday do not count today.
    yesterday = [answered(i, now - 86400 + i * 60, "accepted") for i in range(6)]
    assert rules.history_block(now, yesterday, 0.0) is None
    today = [answered(i, now - 7 * 3600 + i * 3600, "accepted") for i in range(6)]
    assert "daily cap of 6" in rules.history_block(now, today, 0.0)


def test_minimum_gap_and_back_off_with_reset(rules):
    now = MONDAY_9AM + 6 * 3600
    gap = 60.0 * Config().min_gap_min
    one = [answered(1, now - gap + 60, "dismissed")]
    assert "min ago" in rules.kind_block("break", now, one)
    assert rules.kind_block("break", now + 60, one) is None
    assert rules.backoff_factor("break", one) == 1.0
    two = [answered(1, now - 3 * gap, "dismissed"), answered(2, now - gap - 60, "ignored")]
    assert rules.backoff_factor("break", two) == 2.0
    assert "backed off x2" in rules.kind_block("break", now, two)
    assert rules.kind_block("break", now + gap, two) is None
    # Another kind is not backed off, a snooze neither counts nor resets, an acceptance resets.
    assert rules.backoff_factor("focus", two) == 1.0
    assert rules.backoff_factor("break", [*two, answered(3, now, "snoozed")]) == 2.0
    many = [answered(i, now - 20 * gap + i, "dismissed") for i in range(20)]
    assert rules.backoff_factor("break", many) == Config().backoff_max_factor
    assert rules.backoff_factor("break", [*many, answered(99, now, "accepted")]) == 1.0
    # Time-bound kinds need only the spacing, not the full gap after another suggestion.
    assert rules.kind_block("meeting_prep", now + 60, one) is None


def test_a_snooze_is_due_exactly_at_its_end(rules):
    snoozed = [Rec(7, MONDAY_9AM, "focus", "snoozed", MONDAY_9AM + 20)]
    state = rules.pending_snooze(snoozed, {7: 15.0})
    assert state == policy.SnoozeState(7, "focus", MONDAY_9AM + 20 + 900)
    assert rules.pending_snooze(snoozed, {}).due_at == MONDAY_9AM + 20 + 600  # the default
    later = [*snoozed, Rec(8, MONDAY_9AM + 920, "focus")]
    assert rules.pending_snooze(later, {7: 15.0}) is None  # shown again: no longer owed


def arms(prior: float, timing: float = 1.0) -> list[policy.Arm]:
    return [policy.Arm("break", prior, timing), policy.Arm("focus", 0.55, 1.0)]


def test_logged_propensities_match_the_sampler():
    bandit = policy.ThompsonPolicy(Config(), np.random.default_rng(0))
    choices = [bandit.choose(arms(0.6), 10.0, {}) for _ in range(3000)]
    for choice in choices:
        assert 0.0 < choice.propensity <= 1.0
        if choice.kind is not None:
            assert choice.propensity == choice.show_probabilities[choice.kind]
    assert sum(choices[0].show_probabilities.values()) <= 1.0
    for kind in ("break", "focus"):
        expected = np.mean([c.show_probabilities[kind] for c in choices])
        observed = np.mean([c.kind == kind for c in choices])
        assert abs(observed - expected) < 0.03, (kind, observed, expected)


def test_a_low_prior_is_floored_to_never_and_timing_matters():
    bandit = policy.ThompsonPolicy(Config(), np.random.default_rng(0))
    low, _ = bandit.probabilities([policy.Arm("break", 0.2, 1.0)], 1, {})
    assert low == {"break": 0.0}
    flow, _ = bandit.probabilities([policy.Arm("break", 0.65, 0.6)], 1, {})
    pause, _ = bandit.probabilities([policy.Arm("break", 0.65, 1.0)], 1, {})
    assert flow["break"] < pause["break"]


def test_posteriors_learn_from_outcomes_per_arm():
    bandit = policy.ThompsonPolicy(Config(), np.random.default_rng(0))
    at = MONDAY_9AM + 3600  # 10:00, the morning bucket
    refused = bandit.posteriors([("focus", at, 0.55, "dismissed")] * 12, 0.0)
    mean, sd = refused[("focus", 0)]
    assert mean < -1.0 and sd < bandit.prior_sd
    probs, _ = bandit.probabilities([policy.Arm("focus", 0.55, 1.0)], 0, refused)
    assert probs["focus"] == 0.0
    # The afternoon arm of the same kind has learned nothing.
    probs, _ = bandit.probabilities([policy.Arm("focus", 0.55, 1.0)], 2, refused)
    assert probs["focus"] > 0.3
    welcome = bandit.posteriors([("break", at, 0.4, "accepted")] * 12, 0.0)
    assert welcome[("break", 0)][0] > 1.0


def test_a_snooze_is_not_an_acceptance_for_the_bandit():
    """The prior is the chance of an acceptance; the correction must be in the same terms.
    Half accepted, half snoozed at a prior of one half is exactly what the prior said."""
    bandit = policy.ThompsonPolicy(Config(), np.random.default_rng(0))
    at = MONDAY_9AM + 3600
    answers = [("break", at, 0.5, "accepted"), ("break", at, 0.5, "snoozed")] * 10
    mean, _ = bandit.posteriors(answers, 0.0)[("break", 0)]
    assert abs(mean) < 1e-6
    snoozed = bandit.posteriors([("break", at, 0.5, "snoozed")] * 10, 0.0)[("break", 0)][0]
    dismissed = bandit.posteriors([("break", at, 0.5, "dismissed")] * 10, 0.0)[("break", 0)][0]
    assert snoozed == pytest.approx(dismissed) and snoozed < -1.0


def test_personal_head_fits_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(60):
        context = rng.normal(size=11)
        label = float(context[5] > 0)  # this user accepts when "minutes active" is high
        rows.append(("break", 0.5, context, label, 0.5))
    rows += [("focus", 0.55, rng.normal(size=11), 0.0, 1.0) for _ in range(3)]
    head = policy.PersonalHead.fit(rows, now=MONDAY_9AM)
    assert set(head.weights) == {"break"}  # too few focus outcomes: identity for focus
    high, low = np.zeros(11), np.zeros(11)
    high[5], low[5] = 2.0, -2.0
    assert head.adjust("break", 0.5, high) > 0.6 > 0.4 > head.adjust("break", 0.5, low)
    assert head.adjust("focus", 0.55, high) == 0.55
    head.save(tmp_path)
    loaded = policy.PersonalHead.load(tmp_path)
    assert loaded is not None and loaded.weights == head.weights
    (tmp_path / policy.HEAD_NAME).write_text("{broken")
    assert policy.PersonalHead.load(tmp_path) is None


def bandit_at(temperature: float, seed: int = 0) -> policy.ThompsonPolicy:
    return policy.ThompsonPolicy(
        Config(exploration_temperature=temperature), np.random.default_rng(seed)
    )


def test_temperature_zero_is_greedy_and_logs_certainty():
    bandit = bandit_at(0.0)
    below = [policy.Arm("break", 0.45, 1.0)]  # its mean is under the 0.5 threshold
    above = [policy.Arm("break", 0.4, 1.0), policy.Arm("focus", 0.6, 1.0)]
    for _ in range(50):
        held = bandit.choose(below, 10.0, {})
        assert held.kind is None and held.propensity == 1.0
        assert held.show_probabilities == {"break": 0.0}
        shown = bandit.choose(above, 10.0, {})
        assert shown.kind == "focus" and shown.propensity == 1.0
        assert shown.show_probabilities == {"break": 0.0, "focus": 1.0}
    # Learned corrections still count: a refused arm drops below the threshold, greedily.
    refused = bandit.posteriors([("focus", MONDAY_9AM + 3600, 0.6, "dismissed")] * 6, 0.0)
    assert bandit.choose(above, 10.0, refused).kind is None


def test_a_higher_temperature_explores_more():
    under = [policy.Arm("break", 0.4, 1.0)]
    over = [policy.Arm("break", 0.7, 1.0)]
    tried = [bandit_at(t).probabilities(under, 0, {})[0]["break"] for t in (0.0, 0.08, 0.2, 0.5)]
    kept = [bandit_at(t).probabilities(over, 0, {})[0]["break"] for t in (0.0, 0.08, 0.2, 0.5)]
    # An arm under the threshold is tried more often, one over it held more often.
    assert tried[0] == 0.0 < tried[1] < tried[2] < tried[3] < 0.5
    assert kept[0] == 1.0 > kept[1] > kept[2] > kept[3] > 0.5
    # The logged propensity of a shown suggestion is that probability, so it changes with it.
    logged = {}
    for temperature in (0.08, 0.5):
        bandit = bandit_at(temperature, seed=3)
        choices = [bandit.choose(under, 10.0, {}) for _ in range(400)]
        shown = [c for c in choices if c.kind == "break"]
        assert shown and all(c.propensity == c.show_probabilities["break"] for c in shown)
        held = [c for c in choices if c.kind is None]
        assert all(abs(c.propensity - (1.0 - c.show_probabilities["break"])) < 1e-9 for c in held)
        logged[temperature] = (len(shown), np.mean([c.propensity for c in shown]))
    assert logged[0.5][0] > logged[0.08][0] and logged[0.5][1] > logged[0.08][1]


def working_context(rng: np.random.Generator, minutes_active: float) -> np.ndarray:
    """A logged context vector of a weekday moment after `minutes_active` minutes of work."""
    hour = rng.uniform(9.0, 17.0)
    context = np.zeros(11)
    context[0], context[1] = np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24)
    context[5] = np.log1p(minutes_active) / 5.0
    context[6] = np.log1p(rng.uniform(1.0, 20.0)) / 5.0
    context[8] = np.log1p(rng.uniform(40.0, 300.0)) / 5.0
    return context


def test_the_head_learns_a_personal_break_rhythm():
    # The model says 0.4 at every moment; this person welcomes a break only after 80+ minutes.
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(45):
        minutes = rng.uniform(20.0, 150.0)
        rows.append(("break", 0.4, working_context(rng, minutes), float(minutes > 80), 0.3))
    head = policy.PersonalHead.fit(rows)
    assert "break" in head.weights
    late, early = (head.adjust("break", 0.4, working_context(rng, m)) for m in (120.0, 30.0))
    assert late > 0.55 and early < 0.38


def test_a_head_that_fits_only_noise_is_mostly_left_out(tmp_path):
    # Reactions that do not depend on the context: what a head fits on them is noise. Checked on
    # each person's newest outcomes, most such heads are dropped (the model's score is kept).
    kept = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        rows = [
            (
                "break",
                0.4,
                working_context(rng, rng.uniform(20, 150)),
                float(rng.random() < 0.4),
                0.2,
            )
            for _ in range(45)
        ]
        head = policy.PersonalHead.fit(rows)
        if "break" in head.weights:
            kept.append(head)
        else:
            assert "newest outcomes" in head.skipped["break"]
            assert head.adjust("break", 0.4, working_context(rng, 120.0)) == 0.4
            head.save(tmp_path)
            assert policy.PersonalHead.load(tmp_path).skipped == head.skipped
    assert len(kept) <= 40 // 3


def test_a_head_saved_by_an_older_version_is_the_identity(tmp_path):
    old = policy.PersonalHead(weights={"break": [0.5] * 12})  # 11 context weights + bias
    old.save(tmp_path)
    loaded = policy.PersonalHead.load(tmp_path)
    assert loaded.adjust("break", 0.3, np.ones(11)) == 0.3


def rhythm_rows(rng: np.random.Generator, count: int, after: float = 80.0) -> list:
    """Answers of a person who takes a break only after `after`+ minutes of work."""
    rows = []
    for _ in range(count):
        minutes = rng.uniform(20.0, 150.0)
        rows.append(("break", 0.4, working_context(rng, minutes), float(minutes > after), 0.3))
    return rows


def test_a_refit_that_predicts_worse_is_not_installed():
    rng = np.random.default_rng(3)
    in_use = policy.PersonalHead.fit(rhythm_rows(rng, 90), now=100.0)
    assert "break" in in_use.weights
    # In the window now: answers from before the head in use was fitted that are noise (a
    # visitor at the keyboard), then the person's own rhythm again. A refit on the noise
    # predicts the person's newest answers worse than the head in use: it stays.
    noise = [
        ("break", 0.4, working_context(rng, rng.uniform(20, 150)), float(rng.random() < 0.5), 0.3)
        for _ in range(40)
    ]
    rows = noise + rhythm_rows(rng, 20)
    times = [50.0] * 40 + [150.0] * 20
    head, update = policy.gate_head(in_use, rows, 200.0, times)
    assert head is in_use and not update.installed
    assert update.in_use["accept_log_loss"] < update.candidate["accept_log_loss"]
    assert update.reason.startswith("the head in use predicted your 20 newest answers better")
    record = update.record("acceptance", 200.0)
    assert record["installed"] is False and record["part"] == "acceptance"
    # Without enough answers since the head in use was fitted, there is nothing to judge on.
    head, update = policy.gate_head(in_use, rows[:45], 200.0, times[:45])
    assert update.installed and head is not in_use
    assert update.reason.startswith("5 answers since the head in use was fitted")


def test_a_refit_that_predicts_better_replaces_the_head_in_use():
    rng = np.random.default_rng(4)
    in_use = policy.PersonalHead.fit(rhythm_rows(rng, 90, after=40.0), now=100.0)
    # The person now wants breaks only after two hours: the old head is wrong about them.
    rows = rhythm_rows(rng, 60, after=120.0)
    head, update = policy.gate_head(in_use, rows, 200.0, [50.0] * 40 + [150.0] * 20)
    assert update.installed and head is not in_use and head is not None
    assert update.candidate["accept_log_loss"] <= update.in_use["accept_log_loss"]
    assert head.adjust("break", 0.4, working_context(rng, 90.0)) < in_use.adjust(
        "break", 0.4, working_context(rng, 90.0)
    )
