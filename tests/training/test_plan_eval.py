"""`sculptor-train evaluate-plan`: the JSON contract, the rules of the task, and the baselines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from training import cli, plan_eval

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "desktop-windows"


def write_trace(path: Path, days: int, hours: tuple[int, ...], utc: bool = False) -> None:
    """A person at the computer every day in `hours` (a row every 5 minutes), from a Monday."""
    start = dt.datetime(2026, 1, 5)
    rows = ["timestamp,app"]
    for day in range(days):
        for hour in hours:
            for minute in range(0, 60, 5):
                moment = start + dt.timedelta(days=day, hours=hour, minutes=minute)
                text = moment.isoformat(timespec="seconds")
                rows.append(f"{text}Z,code.exe" if utc else f"{text},code.exe")
    rows.append(f"{(start + dt.timedelta(days=days)).isoformat()},explorer.exe")
    path.write_text("\n".join(rows) + "\n")


def test_the_contract_on_a_regular_person(tmp_path):
    trace, out = tmp_path / "user.csv", tmp_path / "out.json"
    write_trace(trace, days=44, hours=(15, 16))
    assert cli.main(["evaluate-plan", "--events", str(trace), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result) == {"weeks", "blocks", "kept"}
    assert set(result["kept"]) == {"planner", "fixed_9", "hour_of_day", "hour_of_week", "oracle"}
    # Cut at 70% of 44 days (day 30, a Wednesday): the one whole week after it.
    assert result["weeks"] == 1
    assert len(result["blocks"]) == 5
    for block in result["blocks"]:
        start = dt.datetime.fromisoformat(block["start"])
        decided = dt.datetime.fromisoformat(block["decided_at"])
        assert block["minutes"] == 60
        assert decided <= start - dt.timedelta(minutes=5)
        assert dt.time(7) <= start.time() and (start + dt.timedelta(hours=1)).time() <= dt.time(23)
    days = [dt.datetime.fromisoformat(b["start"]).date() for b in result["blocks"]]
    assert len(set(days)) == 5  # at most one a day
    kept = result["kept"]
    assert kept["fixed_9"] == 0.0  # nobody there at nine
    assert kept["oracle"] == 1.0 and kept["hour_of_day"] == 1.0
    assert kept["planner"] >= 0.9  # the planner finds the afternoon too


def test_z_times_are_converted_to_the_zone(tmp_path):
    trace, out = tmp_path / "user.csv", tmp_path / "out.json"
    write_trace(trace, days=42, hours=(15, 16), utc=True)  # 15:00 UTC = 07:00 in Los Angeles
    plan_eval.run(trace, 0.7, "America/Los_Angeles", out)
    starts = [dt.datetime.fromisoformat(b["start"]) for b in json.loads(out.read_text())["blocks"]]
    assert all(7 <= s.hour <= 8 for s in starts)


def test_a_bad_trace_is_one_line(tmp_path, capsys):
    trace = tmp_path / "bad.csv"
    trace.write_text("timestamp,app\nyesterday,code.exe\n")
    code = cli.main(["evaluate-plan", "--events", str(trace), "--json", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "line 2" in err and "\n" not in err


@pytest.mark.skipif(not DATA.is_dir(), reason="the public desktop traces are not present")
def test_on_a_real_trace_the_planner_keeps_at_least_as_well_as_the_baselines(tmp_path):
    result = plan_eval.run(DATA / "user_d.csv", 0.7, "America/Los_Angeles", None)
    kept = result["kept"]
    best = max(kept[name] for name in ("fixed_9", "hour_of_day", "hour_of_week"))
    assert result["weeks"] >= 2 and kept["planner"] >= best and kept["planner"] <= kept["oracle"]
