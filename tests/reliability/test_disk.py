"""A full disk or a read-only data directory: said once, nothing lost, recovered by itself.

What the user notices: one line (tray message / log) that says what is wrong, an app that keeps
running, and, once space is back, a day with no hole in it.

How the faults are made without root tricks (no loop devices, no mounts):
- Full disk: `PRAGMA max_page_count` caps the database at its current size, so the next write
  that needs a page fails with SQLITE_FULL, "database or disk is full" - the same error code and
  text SQLite gives when write() returns ENOSPC. Raising the cap is "space returns".
- Read-only while running: `PRAGMA query_only` makes every write fail with SQLITE_READONLY, as
  when the file system under a running app is remounted read-only (ext4 errors=remount-ro, a
  network home going away). chmod cannot show this: the app already holds the file open, and
  permissions are only checked at open.
- Read-only at start: real permissions (dir 0500, file 0400). The tests run as root here, and
  root's CAP_DAC_OVERRIDE ignores permissions, so the CLI runs under `setpriv` with that
  capability dropped from its bounding set: still uid 0, but held to the owner's mode bits.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.clock import FakeClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.service import AppService
from desktop.store import DB_NAME, Store, StoreError

START = 1_800_000_000.0
ROOT = Path(__file__).resolve().parents[2]


class Desk:
    """A fake foreground window the test switches, as a user switches apps."""

    name = "fake"

    def __init__(self) -> None:
        self.app = "code"

    def active_window(self) -> WindowInfo:
        return WindowInfo(app=self.app, title=f"{self.app} main")

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


@pytest.fixture
def app(tmp_path):
    clock, desk = FakeClock(START), Desk()
    service = AppService(tmp_path, Config(), clock, watcher=desk)
    errors: list[str] = []
    service.on_error = errors.append
    yield service, clock, desk, errors
    service.close()


def work(service, clock, desk, seconds: int, switch_every: int = 20) -> None:
    apps = ("code", "firefox", "slack")
    for second in range(seconds):
        if second % switch_every == 0:
            desk.app = apps[(second // switch_every) % len(apps)]
        clock.advance(1.0)
        assert service.poll() is not None  # the loop never stops on a storage error


def covered(service) -> float:
    return sum(span.duration for span in service.store.all_events())


def fill_the_disk(store: Store) -> None:
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")


def test_full_disk_is_said_once_and_nothing_is_lost_when_space_returns(app):
    service, clock, desk, errors = app
    work(service, clock, desk, 120)
    before = [(s.app, s.start, s.duration) for s in service.store.all_events()]
    fill_the_disk(service.store)
    work(service, clock, desk, 3600)  # an hour on a full disk, switching apps every 20 s
    assert len(errors) == 1 and "\n" not in errors[0] and "disk is full" in errors[0], errors
    assert service.store.pending_polls > 0  # held in memory, bounded (one entry per span)
    assert service.tick() is None or True  # suggesting on a full disk must not raise either
    # What was stored before the disk filled is still there, unchanged or extended.
    assert [(a, s) for a, s, _ in before] == [
        (s.app, s.start) for s in service.store.all_events()[: len(before)]
    ]
    service.store.db.execute("PRAGMA max_page_count = 1073741823")  # space returns
    work(service, clock, desk, 5)
    assert service.store.pending_polls == 0
    assert len(errors) == 1  # recovering is silent
    spans = service.store.all_events()
    # No hole: the spans tile the whole time polled, switch by switch, and never overlap.
    assert covered(service) == pytest.approx(120 + 3600 + 5 - 1, abs=1.0)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(spans, spans[1:], strict=False))
    assert len(spans) == pytest.approx((120 + 3600 + 5) / 20, abs=2)
    with service.store.db.conn:
        assert service.store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_read_only_while_running_is_said_once_and_recovers(app):
    service, clock, desk, errors = app
    work(service, clock, desk, 60)
    service.store.db.execute("PRAGMA query_only = ON")
    work(service, clock, desk, 600)
    assert len(errors) == 1 and "read-only" in errors[0] and "\n" not in errors[0], errors
    assert service.store.event_count() == 3  # what it had stays readable meanwhile
    service.store.db.execute("PRAGMA query_only = OFF")
    work(service, clock, desk, 5)
    assert covered(service) == pytest.approx(60 + 600 + 5 - 1, abs=1.0)
    assert service.store.pending_polls == 0


def test_an_outage_longer_than_the_buffer_drops_the_oldest_and_says_so(tmp_path, monkeypatch):
    from desktop import store as store_module

    monkeypatch.setattr(store_module, "MAX_PENDING_SPANS", 10)
    service = AppService(tmp_path, Config(), FakeClock(START), watcher=Desk())
    clock, desk = service.clock, service.watcher
    work(service, clock, desk, 10)
    service.store.db.execute("PRAGMA query_only = ON")
    messages = set()
    for _ in range(15):  # 15 switches: 15 spans waiting, the newest 10 kept
        desk.app = "firefox" if desk.app == "code" else "code"
        clock.advance(1.0)
        with pytest.raises(StoreError) as caught:
            service.store.heartbeat(
                store_module.Event(start=clock.now(), duration=0, source="window", app=desk.app),
                pulsetime=2.5,
            )
        messages.add(str(caught.value))
    assert service.store.dropped_spans == 5
    assert len(messages) == 2  # "read-only", then once the buffer overflows, one more line
    assert any("dropping the oldest activity" in m for m in messages)
    assert service.store.pending_polls == 10
    service.store.db.execute("PRAGMA query_only = OFF")
    service.poll()
    assert service.store.pending_polls == 0
    service.close()


def _without_dac_override(*command: str) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: root ignores file permissions")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "desktop", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.mark.slow
def test_read_only_data_dir_at_start_is_one_line_and_changes_nothing(tmp_path):
    data = tmp_path / "data"
    assert _without_dac_override("demo", "--keep", str(data)).returncode == 0
    database = data / DB_NAME
    content = database.read_bytes()
    for path in data.iterdir():
        path.chmod(0o400)
    data.chmod(0o500)
    try:
        result = _without_dac_override("--data-dir", str(data), "status")
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert "read-only" in line and "nothing was changed" in line, line
        assert database.read_bytes() == content
    finally:
        data.chmod(0o700)
    assert stat.S_IMODE(database.stat().st_mode) == 0o400  # the app did not "fix" it silently
