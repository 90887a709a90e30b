"""The headless replay shows the sample person's week placed from their day, with why."""

from __future__ import annotations

from desktop import cli


def test_the_demo_shows_a_plan_placed_from_the_replayed_day(tmp_path, capsys):
    assert cli.main(["--data-dir", str(tmp_path / "mine"), "demo"]) == 0
    out = capsys.readouterr().out
    assert "The plan for this person's coming week" in out
    plan = out[out.index("The plan for this person's coming week") :]
    assert "Deep work" in plan and "Write the report" in plan and "Walk" in plan
    # Placed from the replayed Monday: the next days say what that day showed.
    assert "on the 1 day recorded you were at the computer" in plan
    assert "last Monday" in plan  # the next Monday is placed from the replayed one
    assert not (tmp_path / "mine").exists()  # the user's data directory was never touched
