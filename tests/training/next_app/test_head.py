"""The next-app pointer head: learns app-agnostic habits, serves apps it never saw, persists."""

from __future__ import annotations

import random

import numpy as np
import pytest

from training.next_app import head as app_head
from training.switches import Switch


def routine(names: list[str], n: int, seed: int) -> list[Switch]:
    """A person whose next app depends on the current one (a cycle), not on recency:
    names[0] -> names[1] -> names[2] -> names[0] ..., with a random detour now and then."""
    rnd = random.Random(seed)
    order = {names[i]: names[(i + 1) % 3] for i in range(3)}
    out, current, t = [], names[0], 0.0
    for _ in range(n):
        nxt = rnd.choice(names[3:]) if rnd.random() < 0.15 else order.get(current, names[0])
        if nxt == current:
            continue
        dwell = rnd.uniform(20, 300)
        t += dwell
        out.append(
            Switch(t, current, nxt, "development", "development", int(t // 3600) % 24, dwell)
        )
        current = nxt
    return out


def no_belief(_: str) -> float:
    return 0.0


def top1(head: app_head.PointerHead, switches: list[Switch]) -> tuple[float, float]:
    """Return (head's top-1, most-recently-used top-1) over the switches' second half."""
    hits = mru_hits = total = 0
    walked = app_head.walk(switches, [no_belief] * len(switches))
    for i, (s, (history, candidates, rows)) in enumerate(zip(switches, walked, strict=True)):
        if i < len(switches) // 2 or not candidates:
            continue
        total += 1
        hits += head.rank(candidates, rows)[0] == s.app
        mru_hits += history.mru(s.previous_app)[0] == s.app
    return hits / total, mru_hits / total


def test_a_prior_learned_on_some_people_serves_a_new_person_with_apps_it_never_saw():
    train = routine(["editor", "terminal", "browser", "chat", "mail"], 1500, seed=1)
    head = app_head.fit(app_head.examples(train, [no_belief] * len(train)), epochs=200)
    # Another person, other app names: the head never sees identities, only habits.
    stranger = routine(["Code.exe", "cmd.exe", "firefox.exe", "Slack.exe", "OUTLOOK.EXE"], 800, 2)
    got, mru = top1(head, stranger)
    # The cycle's next app is never the most recent one, so recency alone is mostly wrong.
    assert mru < 0.3
    assert got > 0.75


def test_personalizing_keeps_the_prior_when_the_history_is_too_short():
    train = routine(["a", "b", "c", "d", "e"], 600, seed=3)
    prior = app_head.fit(app_head.examples(train, [no_belief] * len(train)), epochs=100)
    short = routine(["p", "q", "r", "s", "t"], 40, seed=4)
    head, epochs = app_head.personalize(prior, app_head.examples(short, [no_belief] * len(short)))
    assert epochs == 0 and head is prior
    longer = routine(["p", "q", "r", "s", "t"], 900, seed=5)
    own = app_head.examples(longer, [no_belief] * len(longer))
    head, epochs = app_head.personalize(prior, own)
    assert epochs in app_head.FINE_TUNE_EPOCHS


def test_saved_head_round_trips_and_a_head_for_other_features_is_refused_in_one_line(tmp_path):
    train = routine(["a", "b", "c", "d", "e"], 400, seed=6)
    head = app_head.fit(app_head.examples(train, [no_belief] * len(train)), epochs=50)
    head.trained_on = {"examples": 1}
    path = tmp_path / "head.json"
    path.write_text(head.to_json())
    again = app_head.PointerHead.load(path)
    rows = np.random.default_rng(0).normal(size=(7, len(app_head.FEATURES)))
    assert np.allclose(again.scores(rows), head.scores(rows))
    assert again.trained_on == {"examples": 1}
    path.write_text(head.to_json().replace('"inverse_mru_rank"', '"something_else"'))
    with pytest.raises(ValueError) as err:
        app_head.PointerHead.load(path)
    assert "another feature list" in str(err.value) and "\n" not in str(err.value)


def test_the_default_prior_loads_and_records_what_it_was_trained_on():
    head = app_head.PointerHead.load()
    assert head.trained_on["examples"] > 1000
    assert any(name.startswith("user_") for name in head.trained_on["histories"])
    # A real trace's tail is never learned from, so `evaluate` at split 0.7 scores unseen
    # switches only.
    assert head.trained_on["real_fraction"] == 0.7


def test_recency_rank_habits_are_counted_from_the_order_the_choice_was_made_from():
    h = app_head.AppHistory()
    # a b c a b c ...: every choice is the app two back (recency rank 2) once warmed up.
    seq = ["a", "b", "c"] * 6
    for t, (prev, cur) in enumerate(zip(seq, seq[1:], strict=False)):
        h.observe(prev, cur, float(t), 9, 30.0)
    assert h.recent_ranks[-10:] == [2] * 10
    assert h.rank_from["a"][2] >= 4 and h.rank_after[2][2] >= 10
    assert h.transitions3[("a", "b", "c")]["a"] >= 4
    current = seq[-1]
    candidates = h.candidates(current)
    m = app_head.Moment(current, 100.0, 9, 30.0, no_belief, lambda _: "development", no_belief)
    rows = app_head.candidate_rows(h, candidates, m)
    column = app_head.FEATURES.index("rank_given_current")
    two_back = h.mru(current)[1]
    best = candidates[int(np.argmax(rows[:, column]))]
    assert best == two_back


def test_a_prior_saved_in_the_old_format_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old.json"
    path.write_text('{"format": 1, "features": ["inverse_mru_rank"], "mean": [0], "scale": [1]}')
    with pytest.raises(ValueError) as err:
        app_head.PointerHead.load(path)
    message = str(err.value)
    assert "format 1" in message and "retrain" in message and "\n" not in message
