"""The user simulator drives the real engine: JSON shape, the CLI hook, and adaptation."""

from __future__ import annotations

import argparse
import json

import pytest

from training import population, simulate
from training.synthetic import days, persons, reactions

KEYS = {"shown", "accepted", "dismissed", "ignored", "acceptance_rate", "in_flow"}


def test_register_adds_the_simulate_command():
    parser = argparse.ArgumentParser(prog="sculptor-train")
    simulate.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["simulate", "--users", "2", "--weeks", "1", "--json", "x.json"])
    assert (args.users, args.weeks, args.seed, args.json) == (2, 1, 0, "x.json")
    assert args.func is simulate.cmd_simulate


def test_the_report_has_one_entry_per_week_and_policy(tmp_path, capsys):
    out = tmp_path / "sim.json"
    assert simulate.main(["simulate", "--users", "1", "--weeks", "1", "--tick", "300",
                          "--jobs", "1", "--json", str(out)]) == 0  # fmt: skip
    result = json.loads(out.read_text())
    [week] = result["weeks"]
    assert week["week"] == 1 and set(week["policies"]) == set(simulate.POLICIES)
    for figures in week["policies"].values():
        assert set(figures) >= KEYS
        assert figures["shown"] == sum(
            figures[k] for k in ("accepted", "dismissed", "ignored", "snoozed")
        )
        assert 0.0 <= figures["acceptance_rate"] <= 1.0
    assert week["policies"]["fixed_timer"]["shown"] > 0
    assert "| 1 | learned |" in capsys.readouterr().out


def _desk_worker(seed: int) -> persons.Persona:
    """The first of the generator's people with a desk job (students use a laptop evenings)."""
    everyone = persons.make_personas(6, seed)
    return next(p for p in everyone if not persons.is_student(p.name))


@pytest.mark.slow  # simulated weeks: the full run keeps it, --fast skips it
def test_the_learned_policy_stops_pushing_a_kind_that_is_always_dismissed():
    result = simulate.simulate(
        1,
        2,
        3,
        policies=("learned",),
        tick_s=120.0,
        dislikes=frozenset({"break"}),
        personas=[_desk_worker(3)],
    )
    first, second = (w["policies"]["learned"] for w in result["weeks"])
    assert first["kinds"].get("break", 0) >= 3
    assert second["kinds"].get("break", 0) < first["kinds"]["break"]
    assert second["dismissed"] / max(1, second["shown"]) < first["dismissed"] / first["shown"]


def test_reactions_to_other_kinds_follow_the_persona():
    [persona] = persons.make_personas(1, 0)
    lo, hi = persona.focus_hours
    moment = {
        "minutes_active": 30.0,
        "weekday": 1,
        "in_flow": False,
        "minutes_since_last_suggestion": 600.0,
        "in_meeting": False,
    }
    inside = reactions.acceptance_probability(persona, "focus", hour=lo + 0.1, **moment)
    outside = reactions.acceptance_probability(
        persona, "focus", hour=persona.work_end_hour + 2, **moment
    )
    assert inside > outside
    assert (
        reactions.acceptance_probability(
            persona, "break", hour=lo, **{**moment, "in_meeting": True}
        )
        == 0.01
    )


@pytest.mark.slow  # simulated weeks: the full run keeps it, --fast skips it
def test_wrap_up_nudges_come_in_their_situation_and_diagnostics_say_why():
    # The simulator's own truth (within 45 min of the person's end of work) against the engine,
    # which learns that end from the stored history only.
    found: dict[str, simulate.Diagnostics] = {}
    result = simulate.simulate(
        1, 2, 0, policies=("learned",), tick_s=120.0, diagnostics=found, personas=[_desk_worker(0)]
    )
    shown = sum(w["policies"]["learned"]["kinds"].get("wrap_up", 0) for w in result["weeks"])
    diagnostics = found["learned"]
    # Once the habits are known (three days of history); on most other days the daily cap of 6
    # is spent before the end of work, and the diagnostics say so.
    assert shown >= 2
    assert diagnostics.situations["wrap_up"]["daily cap of N reached"] > 0
    assert diagnostics.situations["wrap_up"]["shown"] == shown  # each one in its situation
    assert diagnostics.shown["wrap_up"] == shown
    report = diagnostics.report(0.5)
    assert "wrap_up: shown" in report and "learning your habits" in report
    assert "distraction" in diagnostics.reasons and "break" in diagnostics.values


def test_the_plot_draws_each_policy_at_its_acceptance_rate(tmp_path):
    import importlib.util
    from pathlib import Path

    import numpy as np

    path = Path(__file__).resolve().parents[2] / "scripts" / "plot_simulation.py"
    spec = importlib.util.spec_from_file_location("plot_simulation", path)
    plot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plot)
    rates = {"learned": (0.3, 0.45), "fixed_timer": (0.2, 0.2), "pretrained": (0.4, 0.4)}
    result = {
        "users": 2,
        "seed": 0,
        "weeks": [
            {
                "week": w + 1,
                "policies": {n: {"acceptance_rate": r[w], "shown": 10} for n, r in rates.items()},
            }
            for w in range(2)
        ],
    }
    sim = tmp_path / "sim.json"
    sim.write_text(json.dumps(result))
    out, copy = tmp_path / "plot.png", tmp_path / "figures.json"
    assert plot.main([str(sim), "--out", str(out), "--copy", str(copy)]) == 0
    assert json.loads(copy.read_text()) == result
    image = plot.QImage(str(out))
    assert (image.width(), image.height()) == (plot.WIDTH, plot.HEIGHT)

    def rows_of(colour):  # y of the pixels drawn in a policy's colour, left and right halves
        target = plot.QColor(colour).rgb()
        hits = [
            (x, y)
            for x in range(plot.MARGIN["left"], image.width() - plot.MARGIN["right"], 2)
            for y in range(plot.MARGIN["top"], image.height() - plot.MARGIN["bottom"])
            if image.pixel(x, y) == target
        ]
        mid = image.width() / 2
        return (
            np.median([y for x, y in hits if x < mid - 60]),
            np.median([y for x, y in hits if x > mid + 60]),
        )

    colours = {name: colour for name, _, colour in plot.POLICIES}
    learned, timer, pretrained = (
        rows_of(colours[n]) for n in ("learned", "fixed_timer", "pretrained")
    )
    # Higher rates are drawn higher up (smaller y): week 1 timer < learned < pretrained ...
    assert timer[0] > learned[0] > pretrained[0]
    # ... and in week 2 the learned line has climbed above the pretrained one.
    assert learned[1] < pretrained[1] < timer[1]


# --- the diverse population ------------------------------------------------------------------


@pytest.mark.slow  # simulated weeks: the full run keeps it, --fast skips it
def test_a_diverse_run_keeps_the_report_and_names_each_persons_deviations(tmp_path, capsys):
    out = tmp_path / "diverse.json"
    assert simulate.main(["simulate", "--population", "diverse", "--users", "2", "--weeks", "1",
                          "--tick", "300", "--jobs", "1", "--json", str(out)]) == 0  # fmt: skip
    result = json.loads(out.read_text())
    [week] = result["weeks"]
    assert set(week["policies"]) == set(simulate.POLICIES)
    for figures in week["policies"].values():
        assert set(figures) >= KEYS
        assert figures["shown"] == sum(
            figures[k] for k in ("accepted", "dismissed", "ignored", "snoozed")
        )
    assert result["population"] == "diverse" and len(result["people"]) == 2
    for person in result["people"]:
        assert person["deviations"] and set(person["deviations"]) <= set(population.BY_NAME)
        assert person["name"].endswith(" + ".join(person["deviations"]))
    for name in simulate.POLICIES:  # the people's figures add up to the week's
        assert (
            sum(p["weeks"][0][name]["shown"] for p in result["people"])
            == (week["policies"][name]["shown"])
        )
    assert "| 1 | learned |" in capsys.readouterr().out


def test_the_diverse_draw_is_seeded_and_covers_every_deviation():
    first, again = population.make_people(8, 4), population.make_people(8, 4)
    assert [p.name for p, _ in first] == [p.name for p, _ in again]
    assert {profile.deviations[0] for _, profile in first} == set(population.BY_NAME)
    for _, profile in population.make_people(40, 1):
        assert not any(set(profile.deviations) >= pair for pair in population._EXCLUSIVE)
    night = next(p for p, profile in first if "night_worker" in profile.deviations)
    spans = days.generate_timeline(night, persons.CORPUS_START, 7, seed=1)
    worked = [s for s in spans if s.source == "window" and s.category in {"development", "office"}]
    evening = [s for s in worked if (s.start % 86400) / 3600 >= 15.0]
    assert len(evening) > 0.8 * len(worked)  # a night worker's routine is in the evening


def test_a_person_who_never_accepts_before_noon_accepts_nothing_shown_before_noon(tmp_path):
    # The whole loop: the app shows what it decides, the person answers from their own hours,
    # and the store holds what was shown when and how it was answered (with the reason).
    import sqlite3

    from desktop.store import DB_NAME

    persona = _desk_worker(2)
    profile = population.Profile(("not_before_noon",))
    spans = days.generate_timeline(persona, persons.CORPUS_START, 7, seed=5)
    simulate.run_person(
        persona, spans, "learned", 1, 5, tick_s=120.0, data_dir=tmp_path, profile=profile
    )
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        rows = db.execute(
            "SELECT s.created_at, f.outcome, f.context FROM suggestions s"
            " JOIN feedback f ON f.suggestion_id = s.id"
        ).fetchall()
    morning = [(outcome, json.loads(context)) for at, outcome, context in rows
               if (at % 86400) / 3600 < 12.0]  # fmt: skip
    afternoon = [outcome for at, outcome, _ in rows if (at % 86400) / 3600 >= 12.0]
    assert len(morning) >= 3 and "accepted" in afternoon
    assert all(outcome == "dismissed" for outcome, _ in morning)
    reasons = [context.get("reason") for _, context in morning]
    assert set(reasons) <= {"bad_moment", None} and "bad_moment" in reasons


def test_a_kind_the_person_does_not_want_is_dismissed_as_not_useful():
    persona, _ = population.make_people(1, 0)[0]
    profile = population.Profile(("hates_meeting_prep",))
    rng = simulate.np.random.default_rng(0)
    moment = {
        "minutes_active": 30.0,
        "hour": persona.work_start_hour + 2.0,
        "weekday": 1,
        "in_flow": False,
        "minutes_since_last_suggestion": 600.0,
        "in_meeting": False,
    }
    answers = [population.react(persona, profile, "meeting_prep", rng, moment) for _ in range(50)]
    assert {outcome for outcome, _ in answers} == {"dismissed"}
    assert {reason for _, reason in answers} == {"not_useful", None}
    breaks = [population.react(persona, profile, "break", rng, moment)[0] for _ in range(200)]
    assert "accepted" in breaks  # the other kinds as the population takes them
