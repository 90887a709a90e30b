"""`export --format activitywatch` against a real ActivityWatch server (PyPI's aw-server).

aw-server is installed into a virtual environment of its own, cached under pytest's cache
folder: it needs peewee<4 and flask<2.3, which the app's environment must not be pinned to.
The server runs in testing mode on a free loopback port, its home and XDG folders in a
temporary folder, so no one's real ActivityWatch data is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from desktop import cli, importers
from desktop.config import Config
from desktop.store import DB_NAME, Event, Store

pytestmark = pytest.mark.slow

REQUIREMENTS = ("aw-server", "peewee<4", "flask<2.3")
INSTALL_TIMEOUT_S = 240
START_TIMEOUT_S = 30
HOST = "sculptor-test"
DAY = 1_712_736_000.0  # 2024-04-10 08:00 UTC


@pytest.fixture(scope="module")
def aw_server_bin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the aw-server command of a cached virtual environment; skip if it cannot be made."""
    cache = getattr(request.config, "cache", None)  # None with `-p no:cacheprovider`
    venv = (
        Path(cache.mkdir("aw-server-venv"))
        if cache is not None
        else tmp_path_factory.mktemp("aw-server-venv")
    )
    command = venv / "bin" / "aw-server"
    ready = venv / "installed.json"
    if ready.is_file() and json.loads(ready.read_text()) == list(REQUIREMENTS) and command.exists():
        return command
    shutil.rmtree(venv)
    steps = {
        "python -m venv": [sys.executable, "-m", "venv", str(venv)],
        "pip install": [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *REQUIREMENTS],
    }  # fmt: skip
    for name, step in steps.items():
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            shutil.rmtree(venv, ignore_errors=True)
            pytest.skip(f"installing aw-server: {name} took over {INSTALL_TIMEOUT_S} s")
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"aw-server could not be installed: {name} failed: {last}")
    ready.write_text(json.dumps(list(REQUIREMENTS)))
    return command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Loopback only: no proxy from the environment may stand between the test and the server.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class AwServer:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/api/0"

    def get(self, path: str) -> Any:
        with _opener.open(f"{self.url}{path}", timeout=10) as response:
            return json.load(response)

    def post(self, path: str, body: bytes) -> int:
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, headers={"Content-Type": "application/json"}
        )
        with _opener.open(request, timeout=30) as response:
            return int(response.status)

    def query(self, statements: str, period: str) -> Any:
        body = json.dumps({"timeperiods": [period], "query": [statements]}).encode()
        request = urllib.request.Request(
            f"{self.url}/query/", data=body, headers={"Content-Type": "application/json"}
        )
        with _opener.open(request, timeout=30) as response:
            return json.load(response)


@pytest.fixture
def aw_server(aw_server_bin: Path, tmp_path: Path) -> Iterator[AwServer]:
    """Yield a running aw-server (testing mode, loopback, its own empty home); stop it after."""
    home = tmp_path / "aw-home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "NO_PROXY": "*",
    }
    port = _free_port()
    log = tmp_path / "aw-server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(aw_server_bin), "--testing", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        server = AwServer(port)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"aw-server exited with {process.returncode}:\n{log.read_text()}")
            try:
                server.get("/info")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"aw-server did not answer in {START_TIMEOUT_S} s:\n{log.read_text()}"
                    )
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Everything the server wrote stayed in its temporary home.
    assert (home / "data" / "activitywatch" / "aw-server").is_dir()


def _recorded_day(data_dir: Path) -> None:
    """A morning: two windows, a break away from the computer, a chat, a meeting."""
    store = Store(data_dir / DB_NAME)
    store.insert_events(
        [
            Event(start=DAY, duration=1800.0, source="window", app="code",
                  title="thesis.tex — Visual Studio Code", category="development"),
            Event(start=DAY + 1800, duration=900.0, source="window", app="firefox",
                  title="Release notes — Mozilla Firefox", category="browsing"),
            Event(start=DAY + 2700, duration=1800.0, source="afk", category="away"),
            Event(start=DAY + 4500, duration=300.5, source="window", app="signal",
                  title="Signal", category="communication"),
            Event(start=DAY + 10800, duration=3600.0, source="calendar", app="calendar",
                  title="Weekly sync", category="meetings"),
        ]
    )  # fmt: skip
    store.close()


def _time(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def _spans(events: list[dict[str, Any]]) -> list[tuple[float, float, dict[str, Any]]]:
    return sorted((round(_time(e["timestamp"]), 6), e["duration"], e["data"]) for e in events)


def test_a_real_aw_server_accepts_the_export_and_counts_the_same_time(tmp_path, aw_server):
    data = tmp_path / "data"
    data.mkdir()
    _recorded_day(data)
    exported = tmp_path / "activitywatch.json"
    argv = ["--data-dir", str(data), "export", "--format", "activitywatch", "--out", str(exported)]
    assert cli.main([*argv, "--hostname", HOST]) == 0
    document = json.loads(exported.read_text(encoding="utf-8"))

    assert aw_server.post("/import", exported.read_bytes()) == 200

    buckets = aw_server.get("/buckets/")
    assert {
        bucket_id: (b["type"], b["client"], b["hostname"]) for bucket_id, b in buckets.items()
    } == {
        f"aw-watcher-window_{HOST}": ("currentwindow", "aw-watcher-window", HOST),
        f"aw-watcher-afk_{HOST}": ("afkstatus", "aw-watcher-afk", HOST),
    }
    for bucket_id, bucket in document["buckets"].items():
        stored = aw_server.get(f"/buckets/{bucket_id}/events?limit=-1")
        assert len(stored) == len(bucket["events"])
        assert _spans(stored) == _spans(bucket["events"])
    windows = aw_server.get(f"/buckets/aw-watcher-window_{HOST}/events?limit=-1")
    assert sorted(e["data"]["app"] for e in windows) == ["code", "firefox", "signal"]
    # The titles ActivityWatch holds are the store's hashes, never the clear titles.
    assert all(e["data"]["title_hashed"] is True and len(e["data"]["title"]) == 24 for e in windows)
    assert "thesis" not in exported.read_text(encoding="utf-8")

    # ActivityWatch's own view of active time (window events while not-afk) is the app's.
    [active] = aw_server.query(
        f'afk = query_bucket("aw-watcher-afk_{HOST}");'
        'not_afk = filter_keyvals(afk, "status", ["not-afk"]);'
        f'windows = query_bucket("aw-watcher-window_{HOST}");'
        "windows = filter_period_intersect(windows, not_afk);"
        "RETURN = sum_durations(windows);",
        "2024-04-10T00:00:00+00:00/2024-04-11T00:00:00+00:00",
    )
    assert active == pytest.approx(1800.0 + 900.0 + 300.5)

    # And back: ActivityWatch's export of it imports into an empty store as the same time.
    round_trip = tmp_path / "from-activitywatch.json"
    round_trip.write_text(json.dumps(aw_server.get("/export")), encoding="utf-8")
    original = Store(data / DB_NAME)
    fresh = Store(tmp_path / "fresh" / DB_NAME)
    summary = importers.import_file(fresh, round_trip, "activitywatch", Config(), now=DAY + 86400)
    assert (summary.added, summary.skipped) == (4, {})

    def window_and_away(store: Store) -> list[tuple]:
        return [
            (round(s.start, 6), s.duration, s.source, s.app, s.title, s.title_hashed, s.category)
            for s in store.all_events()
            if s.source != "calendar"
        ]

    assert window_and_away(fresh) == window_and_away(original)
    original.close()
    fresh.close()
