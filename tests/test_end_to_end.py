"""The whole loop, real at every stage.

Real X server and windows -> X11 collector -> SQLite -> featurizer -> TFLite model -> a
suggestion -> a reaction stored with its context -> `sculptor-train finetune` on that store ->
the running app switches to the new model version, without a restart.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop.store import DB_NAME, Store
from tests.x11env import focus, poke_input

pytest.importorskip("tensorflow", reason="needs the train extra")
pytestmark = [pytest.mark.x11, pytest.mark.slow, pytest.mark.tensorflow]

BIN = Path(sys.executable).parent
RATE = 240  # simulated seconds per real second
CONFIG = """
poll_interval_s = 1.0
infer_interval_s = 60.0
expire_after_s = 3600.0
min_gap_min = 40.0
"""


class App:
    """The headless app as a real subprocess, its output collected line by line."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            [
                str(BIN / "time-sculptor"),
                "--data-dir",
                str(data_dir),
                "run",
                "--no-gui",
                "--agree",
                "--verbose",  # the model version and score on each suggestion line
                "--backend",
                "x11",
                "--clock-rate",
                str(RATE),
                "--clock-start",
                "2026-11-23T09:00:00",
                "--seed",
                "3",
                "--exit-after",
                "300",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        for line in self.seen:
            if match := regex.search(line):
                return match
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if match := regex.search(line):
                return match
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.seen))

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


class Typist:
    """Keeps a person 'working': cycles focus between windows and moves the pointer."""

    def __init__(self, display: str, windows: list[int]) -> None:
        self.display, self.windows = display, windows
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self.stop_event.is_set():
            focus(self.display, self.windows[i % len(self.windows)])
            poke_input(self.display)
            i += 1
            self.stop_event.wait(1.0)

    def __enter__(self) -> Typist:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join()


def window_sequence(db: Path) -> list[str]:
    store = Store(db)
    try:
        apps = [e.app for e in store.all_events() if e.source == "window"]
    finally:
        store.close()
    return [a for i, a in enumerate(apps) if i == 0 or apps[i - 1] != a]


def test_the_whole_loop_runs_for_real(x_server, x_windows, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.toml").write_text(CONFIG)
    code = x_windows(("code", "Code"), "main.py - project")
    browser = x_windows(("Navigator", "firefox"), "Docs - Mozilla Firefox")
    chat = x_windows(("slack", "Slack"), "general | Slack")
    focus(x_server.display, code.window_id)
    env = dict(os.environ, DISPLAY=x_server.display, QT_QPA_PLATFORM="offscreen")
    env.pop("WAYLAND_DISPLAY", None)

    app = App(data_dir, env)
    try:
        app.wait_for(r"the on-device model is in use", timeout=30)
        app.wait_for(r"recording headless with x11", timeout=30)
        deadline = time.monotonic() + 10
        while not (data_dir / DB_NAME).exists() or window_sequence(data_dir / DB_NAME) != ["Code"]:
            assert time.monotonic() < deadline, "the collector stored nothing"
            time.sleep(0.05)
        # 1. The collector records exactly the focus sequence the "user" drives.
        for window, dwell in [(browser, 1.0), (code, 1.5), (chat, 1.0), (code, 1.0)]:
            focus(x_server.display, window.window_id)
            poke_input(x_server.display)
            time.sleep(dwell)
        assert window_sequence(data_dir / DB_NAME) == ["Code", "firefox", "Code", "Slack", "Code"]

        with Typist(
            x_server.display, [code.window_id, browser.window_id, code.window_id, chat.window_id]
        ):
            # 2. The TFLite model proposes a break after a long active stretch.
            shown = app.wait_for(
                r"suggestion #(\d+), a break: .*\[break, score ([\d.]+).*model (\S+)\]", timeout=120
            )
            suggestion_id, old_version = int(shown.group(1)), shown.group(3)
            store = Store(data_dir / DB_NAME)
            record = next(s for s in store.suggestions() if s.id == suggestion_id)
            store.close()
            assert record.model_version == old_version
            assert len(record.features["span_features"]) > 0 and 0 < record.propensity <= 1

            # 3. The user accepts; the reaction lands in the store with its context.
            app.type(f"accept {suggestion_id}")
            app.wait_for(rf"suggestion #{suggestion_id}: accepted", timeout=10)
            store = Store(data_dir / DB_NAME)
            feedback = store.db.execute(
                "SELECT outcome, context FROM feedback WHERE suggestion_id = ?", [suggestion_id]
            ).fetchone()
            store.close()
            assert feedback[0] == "accepted"
            context = json.loads(feedback[1])
            assert context["minutes_active"] > 20 and context["current_app"] in {
                "Code",
                "firefox",
                "Slack",
            }

            # 4. Fine-tuning on that store writes a new model version into the registry...
            tune = subprocess.run(
                [
                    str(BIN / "sculptor-train"),
                    "finetune",
                    "--data-dir",
                    str(data_dir),
                    "--epochs",
                    "1",
                    "--no-gate",  # a few minutes of data: too little to compare on
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            assert tune.returncode == 0, tune.stdout[-3000:] + tune.stderr[-3000:]
            [new_dir] = [
                p
                for p in (data_dir / "models").iterdir()
                if p.is_dir() and not p.name.startswith(".")
            ]
            new_version = json.loads((new_dir / "manifest.json").read_text())["version"]
            assert new_version != old_version
            assert (
                json.loads((new_dir / "manifest.json").read_text())["parent_version"] == old_version
            )

            # 5. ...and the running app switches to it and suggests with it.
            app.wait_for(
                rf"a newer model is in use \[model {new_version}, was {old_version}\]", timeout=60
            )
            app.wait_for(rf"suggestion #\d+, a break: .*model {new_version}\]", timeout=120)
        assert app.stop() == 0
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
    status = subprocess.run(
        [str(BIN / "time-sculptor"), "--data-dir", str(data_dir), "status", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert json.loads(status.stdout)["model_last_active_in_app"] == new_version
