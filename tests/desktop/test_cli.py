"""The `time-sculptor` commands as a user runs them (real processes, no display)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "time-sculptor"


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(env_extra or {})
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=120)


def test_run_without_a_display_says_so_and_replays_a_day(tmp_path):
    result = run("--data-dir", str(tmp_path), "run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "no display found" in out and "running headless" in out
    assert "SUGGEST break" in out and "why:" in out
    assert "suggestions from model" in out
    status = json.loads(run("--data-dir", str(tmp_path), "status", "--json").stdout)
    assert status["events"] > 100 and status["last_suggestion"]["kind"] == "break"
    assert status["model_last_active_in_app"] == status["model_to_serve"]


def test_doctor_names_what_is_missing(tmp_path):
    result = run("--data-dir", str(tmp_path), "doctor")
    assert "tflite       : ai_edge_litert" in result.stdout
    assert "DISPLAY is not set" in result.stdout  # the x11 collector says why it cannot run
    assert "not loaded (as it should be)" in result.stdout
    assert result.returncode == 0, result.stdout  # a model ships, so nothing essential lacks


def test_data_dir_comes_from_the_environment(tmp_path):
    result = run("status", "--json", env_extra={"TIME_SCULPTOR_DATA_DIR": str(tmp_path / "d")})
    assert json.loads(result.stdout)["data_dir"] == str(tmp_path / "d")
    assert (tmp_path / "d" / "time-sculptor.sqlite3").exists()


def test_headless_collection_without_any_collector_is_one_clear_line(tmp_path):
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--exit-after", "1")
    assert result.returncode == 0
    [line] = [x for x in result.stderr.splitlines() if x.startswith("time-sculptor:")]
    assert "no activity collector:" in line and "DISPLAY" in line
    assert "Traceback" not in result.stderr
    assert "WITHOUT a collector" in result.stdout


def test_bad_config_is_a_one_line_error_and_changes_nothing(tmp_path):
    (tmp_path / "config.toml").write_text("daily_cap = [oops\n")
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--exit-after", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("time-sculptor: ") and "config.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "time-sculptor.sqlite3").exists()


def test_react_answers_once(tmp_path):
    assert run("--data-dir", str(tmp_path), "run").returncode == 0  # creates suggestions
    status = json.loads(run("--data-dir", str(tmp_path), "status", "--json").stdout)
    sid = str(status["last_suggestion"]["id"])
    # The replay already recorded unanswered suggestions as ignored.
    assert run("--data-dir", str(tmp_path), "react", sid, "accepted").stdout.strip() == (
        "already answered"
    )
    missing = run("--data-dir", str(tmp_path), "react", "9999", "accepted")
    assert missing.returncode == 2 and "no suggestion 9999" in missing.stderr


def test_import_twice_then_a_broken_file(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("timestamp,app,duration\n2024-04-01T09:00:00Z,Code.exe,60\n")
    first = run("--data-dir", str(tmp_path), "import", str(log))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{log}: added 1 of 1 spans (1 window), 0 already imported"
    again = run("--data-dir", str(tmp_path), "import", str(log))
    assert "added 0 of 1 spans" in again.stdout and "1 already imported" in again.stdout
    log.write_text("timestamp,app\nnot a time,Code.exe\n")
    broken = run("--data-dir", str(tmp_path), "import", str(log))
    assert broken.returncode == 2 and broken.stdout == ""
    assert broken.stderr == f"time-sculptor: {log}: line 2: bad timestamp 'not a time'\n"


def test_status_shows_the_last_hour_of_input_intensity(tmp_path):
    import time

    from desktop.store import DB_NAME, Store

    assert (
        json.loads(run("--data-dir", str(tmp_path), "status", "--json").stdout)["input_activity"]
        is None
    )  # nothing collected yet
    minute = (time.time() // 60 - 3) * 60
    store = Store(tmp_path / DB_NAME)
    store.record_activity([(minute - 7200, 60.0, 60.0)])  # two hours ago: not shown
    store.record_activity([(minute, 45.0, 60.0), (minute + 60, 15.0, 60.0)])
    store.close()
    status = json.loads(run("--data-dir", str(tmp_path), "status", "--json").stdout)
    shown = status["input_activity"]
    assert shown["last_minute_active_seconds_per_minute"] == 15.0
    assert shown["last_hour_active_seconds_per_minute"] == 30.0
    assert shown["minutes_in_last_hour"] == 2
