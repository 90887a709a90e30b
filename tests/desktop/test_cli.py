"""The `time-sculptor` commands as a user runs them (real processes, no display)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "time-sculptor"


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(env_extra or {})
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
def test_run_without_a_display_says_so_and_replays_a_day(tmp_path):
    result = run("--data-dir", str(tmp_path / "data"), "run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "no display found" in out and "your own data is not touched" in out
    assert "Suggests a break:" in out and "Why now:" in out
    assert "from the on-device model" in out
    assert not (tmp_path / "data").exists()  # the replay ran in a folder of its own


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def real_store(directory: Path) -> dict[str, bytes]:
    """Fill a data directory as a user's would be: spans, a setting, input minutes."""
    from desktop.store import DB_NAME, Event, Store

    store = Store(directory / DB_NAME)
    store.insert_events(
        Event(start=1_700_000_000.0 + 60 * i, duration=60.0, source="window", app="code")
        for i in range(3)
    )
    store.set_setting("collection_consent", '{"agreed": true, "at": 1700000000.0}')
    store.record_activity([(1_700_000_040.0, 30.0, 60.0)])
    store.close()
    return snapshot(directory)


@pytest.mark.slow
def test_run_headless_and_demo_leave_a_real_store_as_it_was(tmp_path):
    from desktop.store import DB_NAME, Store

    data, scratch = tmp_path / "data", tmp_path / "tmp"
    data.mkdir()
    scratch.mkdir()
    before = real_store(data)
    temporary = {"TMPDIR": str(scratch)}
    for command in (("run",), ("demo",)):
        result = run("--data-dir", str(data), *command, env_extra=temporary)
        assert result.returncode == 0, result.stderr
        assert "Suggests" in result.stdout
    assert snapshot(data) == before  # byte for byte
    store = Store(data / DB_NAME)
    assert store.event_count() == 3 and store.suggestions() == []
    store.close()
    assert list(scratch.iterdir()) == []  # the replay's temporary folders are gone


@pytest.mark.slow
def test_demo_explains_why_stored_entries_are_fewer_than_replayed(tmp_path):
    import re

    result = run("demo", "--keep", str(tmp_path / "kept"))
    assert result.returncode == 0, result.stderr
    replayed = int(re.search(r"Replaying a recorded day \(.*\): (\d+) entries", result.stdout)[1])
    done = re.search(
        r"Done: (\d+) recorded entries became (\d+) stored ones: (\d+) windows were in front "
        r"for less than the replay's 2-second look and were not seen, and (\d+) entries merged",
        result.stdout,
    )
    assert done is not None, result.stdout
    total, stored, unseen, merged = map(int, done.groups())
    assert total == replayed and stored + unseen + merged == total
    status = json.loads(run("--data-dir", str(tmp_path / "kept"), "status", "--json").stdout)
    assert status["events"] == stored


def test_demo_keeps_its_data_only_in_a_new_or_empty_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    before = real_store(data)
    refused = run("demo", "--keep", str(data))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("time-sculptor: --keep ") and "not a new or empty" in (
        refused.stderr
    )
    assert len(refused.stderr.strip().splitlines()) == 1
    assert snapshot(data) == before


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
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--exit-after", "1")
    assert result.returncode == 0
    [line] = [x for x in result.stderr.splitlines() if x.startswith("time-sculptor:")]
    assert "no activity collector:" in line and "DISPLAY" in line
    assert "Traceback" not in result.stderr
    assert "WITHOUT a collector" in result.stdout


@pytest.mark.slow
def test_the_first_run_writes_the_settings_file_and_a_later_run_keeps_the_users(tmp_path):
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--exit-after", "1")
    assert result.returncode == 0, result.stderr
    config = tmp_path / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "# daily_cap = 6\n" in text and "# quiet_hours = " in text
    config.write_text(text.replace("# daily_cap = 6\n", "daily_cap = 3\n"), encoding="utf-8")
    edited = config.read_bytes()
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--exit-after", "1")
    assert result.returncode == 0, result.stderr
    assert config.read_bytes() == edited


def test_bad_config_is_a_one_line_error_and_changes_nothing(tmp_path):
    (tmp_path / "config.toml").write_text("daily_cap = [oops\n")
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--exit-after", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("time-sculptor: ") and "config.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "time-sculptor.sqlite3").exists()


@pytest.mark.slow
def test_react_answers_once(tmp_path):
    tmp_path.rmdir()
    assert run("demo", "--keep", str(tmp_path)).returncode == 0  # creates suggestions
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


@pytest.mark.slow
def test_status_reads_as_sentences_with_the_same_local_times_as_pause(tmp_path):
    tmp_path.rmdir()
    assert run("demo", "--keep", str(tmp_path)).returncode == 0
    paused = run(
        "--data-dir", str(tmp_path), "pause", "--minutes", "30", env_extra={"TZ": "Asia/Kolkata"}
    )
    until = paused.stdout.strip().removeprefix("Recording and suggestions paused until ")
    assert until.endswith(" IST"), paused.stdout  # local time, with its zone
    result = run("--data-dir", str(tmp_path), "status", env_extra={"TZ": "Asia/Kolkata"})
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    assert f"Paused:           until {until} (`time-sculptor resume`)" in out.splitlines()
    assert f"({status_json(tmp_path)['events']} entries recorded)" in out
    assert "Last suggestion:  a break, 2026-11-24 00:25 IST, not answered" in out
    for internal in ("span", "None", "{", "score", "p=", "model_version", "20261123T"):
        assert internal not in out, internal


def status_json(data: Path) -> dict:
    return json.loads(run("--data-dir", str(data), "status", "--json").stdout)


@pytest.mark.slow
def test_no_interpreter_log_line_on_a_command(tmp_path):
    demo = run("demo")
    assert demo.returncode == 0 and demo.stderr == ""  # no "INFO: Created TensorFlow Lite ..."
    doctor = run("--data-dir", str(tmp_path), "doctor")
    assert "INFO" not in doctor.stderr + doctor.stdout


def test_global_options_work_before_or_after_the_command(tmp_path):
    before = run("--data-dir", str(tmp_path), "status", "--json")
    after = run("status", "--json", "--data-dir", str(tmp_path))
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert json.loads(after.stdout)["data_dir"] == str(tmp_path)
    assert run("consent", "yes", "-v", "--data-dir", str(tmp_path)).returncode == 0


def test_version_and_a_bare_command_print_and_exit_zero():
    from importlib import metadata

    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"time-sculptor {metadata.version('time-sculptor')}"
    bare = run()
    assert bare.returncode == 0 and bare.stderr == ""
    assert bare.stdout.startswith("usage: time-sculptor") and "demo" in bare.stdout


def test_every_command_and_argument_has_a_help_line():
    import argparse

    from desktop.cli import build_parser

    def check(parser: argparse.ArgumentParser, where: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                for name, command in action.choices.items():
                    if name not in helped:
                        missing.append(f"{where} {name}")
                    missing += check(command, f"{where} {name}")
            elif action.help is None:
                missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert check(build_parser(), "time-sculptor") == []


def test_an_unknown_or_unusable_collector_backend_exits_non_zero(tmp_path):
    unknown = run("--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--backend", "nope")
    assert unknown.returncode == 2 and "invalid choice: 'nope'" in unknown.stderr
    unusable = run(
        "--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--backend", "x11",
        "--exit-after", "1",
    )  # fmt: skip
    assert unusable.returncode == 2, unusable.stdout
    [line] = unusable.stderr.strip().splitlines()
    assert line.startswith("time-sculptor: --backend x11: ") and "DISPLAY" in line
