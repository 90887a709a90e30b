"""One app per data directory: the lock dies with its process; a second start names the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from desktop.instance import AlreadyRunning, InstanceLock, holder_pid
from tests.desktop.test_cli import BIN, run

HOLD = (
    "import sys, time; from desktop.instance import InstanceLock; "
    "InstanceLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)"
)


def holding_process(directory) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(directory)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_the_lock_names_its_holder_and_dies_with_it(tmp_path):
    holder = holding_process(tmp_path)
    try:
        with pytest.raises(AlreadyRunning) as raised:
            InstanceLock(tmp_path).acquire()
        assert raised.value.pid == holder.pid
        assert f"process {holder.pid}" in str(raised.value)
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up code runs: the kernel drops the lock
        holder.wait()
    with InstanceLock(tmp_path) as lock:
        assert lock.held and holder_pid(tmp_path) == os.getpid()
    assert holder_pid(tmp_path) is None
    assert oct((tmp_path / "time-sculptor.lock").stat().st_mode & 0o777) == "0o600"


def test_a_second_run_on_the_same_data_says_who_holds_it_and_exits(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    first = subprocess.Popen(
        [str(BIN), "--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--exit-after", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert first.stdout is not None
        deadline = time.monotonic() + 60
        while "headless" not in first.stdout.readline():
            assert time.monotonic() < deadline and first.poll() is None, first.stderr
        second = run("--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--exit-after", "1")
        assert second.returncode == 1
        [line] = second.stderr.strip().splitlines()
        assert line == (
            f"time-sculptor: Time Sculptor is already running on {tmp_path} "
            f"(process {first.pid}); one app collects into a data directory at a time"
        )
        assert second.stdout == ""
        # Another data directory is another app.
        other = run(
            "--data-dir", str(tmp_path / "other"), "run", "--no-gui", "--agree", "--exit-after", "1"
        )
        assert other.returncode == 0, other.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
