"""The user simulator drives the real engine: JSON shape, the CLI hook, and adaptation."""

from __future__ import annotations

import argparse
import json

from training import simulate

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


def test_the_learned_policy_stops_pushing_a_kind_that_is_always_dismissed():
    result = simulate.simulate(
        1, 2, 3, policies=("learned",), tick_s=120.0, dislikes=frozenset({"break"})
    )
    first, second = (w["policies"]["learned"] for w in result["weeks"])
    assert first["kinds"].get("break", 0) >= 3
    assert second["kinds"].get("break", 0) < first["kinds"]["break"]
    assert second["dismissed"] / max(1, second["shown"]) < first["dismissed"] / first["shown"]


def test_reactions_to_other_kinds_follow_the_persona():
    [persona] = simulate.synthetic.make_personas(1, 0)
    lo, hi = persona.focus_hours
    moment = {
        "minutes_active": 30.0,
        "weekday": 1,
        "in_flow": False,
        "minutes_since_last_suggestion": 600.0,
        "in_meeting": False,
    }
    inside = simulate.acceptance_probability(persona, "focus", hour=lo + 0.1, **moment)
    outside = simulate.acceptance_probability(
        persona, "focus", hour=persona.work_end_hour + 2, **moment
    )
    assert inside > outside
    assert (
        simulate.acceptance_probability(persona, "break", hour=lo, **{**moment, "in_meeting": True})
        == 0.01
    )
