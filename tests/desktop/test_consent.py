"""Nothing is recorded until the user says yes; the answer is stored and can be changed."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from desktop.clock import FakeClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.service import AppService, read_consent
from desktop.store import DB_NAME, Store
from tests.desktop.test_cli import BIN, run


class OneWindow:
    name = "fake"

    def active_window(self) -> WindowInfo:
        return WindowInfo(app="code", title="main.py")

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


def test_the_app_records_nothing_until_the_user_says_yes_and_stops_at_no(tmp_path):
    clock = FakeClock(1_700_000_000.0)
    service = AppService(tmp_path, Config(), clock, watcher=OneWindow(), require_consent=True)
    try:
        for _ in range(3):
            clock.advance(1.0)
            assert service.poll() is None and service.tick() is None
        assert service.store.event_count() == 0
        service.set_consent(True)
        for _ in range(3):
            clock.advance(1.0)
            assert service.poll() is not None
        [span] = service.store.all_events()
        assert span.app == "code" and span.duration == 2.0
        # "No" from another process (`time-sculptor consent no`) reaches the running app.
        assert run("--data-dir", str(tmp_path), "consent", "no").returncode == 0
        for _ in range(3):
            clock.advance(1.0)
            assert service.poll() is None
        assert [s.duration for s in service.store.all_events()] == [2.0]
    finally:
        service.close()


def test_consent_from_the_command_line_is_stored_and_shown(tmp_path):
    first = run("--data-dir", str(tmp_path), "consent")
    assert first.returncode == 0 and first.stdout.startswith("Not asked yet: nothing is recorded")
    agreed = run("--data-dir", str(tmp_path), "consent", "yes")
    assert agreed.stdout.startswith("Recording: yes (agreed 20")
    assert run("--data-dir", str(tmp_path), "consent").stdout == agreed.stdout
    withdrawn = run("--data-dir", str(tmp_path), "consent", "no")
    assert withdrawn.stdout.startswith("Recording: no (since 20")
    store = Store(tmp_path / DB_NAME)
    answer = read_consent(store)
    store.close()
    assert answer is not None and answer[0] is False


@pytest.mark.slow
def test_headless_without_a_terminal_or_agree_says_so_and_records_nothing(tmp_path):
    result = run("--data-dir", str(tmp_path), "run", "--no-gui", "--exit-after", "1")
    assert result.returncode == 2
    assert result.stderr == (
        "time-sculptor: nothing is recorded until you agree: run "
        "`time-sculptor run --no-gui --agree` (or `time-sculptor consent yes`) once\n"
    )
    assert not (tmp_path / DB_NAME).exists()
    agreed = run("--data-dir", str(tmp_path), "run", "--no-gui", "--agree", "--exit-after", "1")
    assert agreed.returncode == 0, agreed.stderr
    # The answer is kept: the next start needs no --agree.
    again = run("--data-dir", str(tmp_path), "run", "--no-gui", "--exit-after", "1")
    assert again.returncode == 0, again.stderr


def on_a_terminal(data_dir: Path, answer: str) -> tuple[int, str]:
    """Run the headless collector on a pseudo-terminal, answer its question; return rc, output."""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = subprocess.Popen(
        [str(BIN), "--data-dir", str(data_dir), "run", "--no-gui", "--exit-after", "1"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"Start recording? [y/N]" in output:
            os.write(main, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(main)
    return process.wait(timeout=30), output.decode(errors="replace")


@pytest.mark.parametrize(("answer", "agreed"), [("y", True), ("n", False)])
def test_headless_on_a_terminal_asks_first_and_keeps_the_answer(tmp_path, answer, agreed):
    code, output = on_a_terminal(tmp_path, answer)
    assert "which application is in front" in output and str(tmp_path) in output
    store = Store(tmp_path / DB_NAME)
    stored = read_consent(store)
    store.close()
    assert stored is not None and stored[0] is agreed
    assert code == 0, output
    if agreed:
        assert "running headless" in output
    else:
        assert "Nothing recorded." in output and "running headless" not in output
