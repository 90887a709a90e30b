"""`demo --day` reads every CSV layout the app reads and writes: import, export, sample."""

from __future__ import annotations

import pytest

from desktop import cli


@pytest.mark.slow
def test_demo_replays_the_import_format_and_the_apps_own_export(tmp_path, capsys):
    trace = tmp_path / "trace.csv"
    rows = ["timestamp,app"] + [
        f"2026-11-23T09:{minute:02d}:00,{'code' if minute % 20 < 10 else 'firefox'}"
        for minute in range(0, 60, 2)
    ]
    trace.write_text("\n".join(rows) + "\n")
    assert cli.main(["demo", "--day", str(trace)]) == 0
    assert "Replaying a recorded day (2026-11-23" in capsys.readouterr().out
    kept = tmp_path / "kept"
    assert cli.main(["--data-dir", str(tmp_path / "mine"), "demo", "--keep", str(kept)]) == 0
    exported = tmp_path / "export.csv"
    assert (
        cli.main(["--data-dir", str(kept), "export", "--format", "csv", "--out", str(exported)])
        == 0
    )
    capsys.readouterr()
    assert cli.main(["demo", "--day", str(exported)]) == 0
    assert "Done: " in capsys.readouterr().out


def test_a_day_file_that_cannot_be_replayed_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("when,what\n1,2\n")
    assert cli.main(["demo", "--day", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("time-sculptor: ") and "\n" not in err and "timestamp" in err
