"""Another writer holding the database: the collector keeps every second, and says so truly.

What a user notices: an import (or a second app, or a backup tool) holds SQLite's write lock
for a while, and afterwards the day has a hole where the collector was waiting. Here a second
connection (another process would lock the same way) holds the write lock for seconds while
the real service polls on the real clock; the stored time must still cover the whole run.
And a one-shot write that gives up says it failed and changed nothing, not "will retry".
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time

import pytest

from desktop.clock import SystemClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.service import AppService
from desktop.store import DB_NAME, Event, Store, StoreError

POLL_S = 0.1
HOLD_S = 3.0


class Desk:
    """The same window, a user typing: every poll is activity."""

    name = "fake"

    def active_window(self) -> WindowInfo:
        return WindowInfo(app="code", title="main.py")

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


def _hold_write_lock(path, seconds: float, held: threading.Event) -> None:
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO settings (key, value) VALUES ('blocker', 'x')")
    held.set()
    time.sleep(seconds)
    blocker.execute("COMMIT")
    blocker.close()


@pytest.mark.slow
def test_a_writer_holding_the_lock_for_seconds_costs_the_collector_no_time(tmp_path):
    service = AppService(
        tmp_path, Config(poll_interval_s=POLL_S), SystemClock(), watcher=Desk(), poll_step_s=POLL_S
    )
    errors: list[str] = []
    service.on_error = errors.append
    held = threading.Event()
    blocker = threading.Thread(
        target=_hold_write_lock, args=(tmp_path / DB_NAME, HOLD_S, held), daemon=True
    )
    started = time.time()
    stalls = []
    try:
        while time.time() - started < HOLD_S + 2.0:
            if not held.is_set() and time.time() - started > 1.0:
                blocker.start()
                held.wait()
            before = time.monotonic()
            service.poll()
            stalls.append(time.monotonic() - before)
            time.sleep(POLL_S)
        service.poll()
        ended = time.time()
        blocker.join()
        service.poll()  # the first poll after the lock is free writes what was kept
        spans = [s for s in service.store.all_events() if s.source == "window"]
    finally:
        service.close()
    # One span from the first poll to the last: the held seconds are in it, not a hole.
    assert len(spans) == 1, [(s.start, s.duration) for s in spans]
    assert spans[0].duration == pytest.approx(ended - started, abs=3 * POLL_S + 0.2)
    assert len(errors) == 1 and "locked" in errors[0], errors
    assert "keeping" in errors[0] and "retry" in errors[0]
    assert max(stalls) < 1.0  # the poll loop never waits long for the lock


def test_a_one_shot_write_that_finds_the_lock_held_says_nothing_changed(tmp_path):
    path = tmp_path / DB_NAME
    store = Store(path)
    store.db.conn.execute("PRAGMA busy_timeout = 100")
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            store.import_events([Event(start=5.0, duration=1.0, source="import", app="code")])
    finally:
        blocker.rollback()
        blocker.close()
    message = str(caught.value)
    assert "locked" in message and "nothing was changed" in message, message
    assert "retry" not in message and "memory" not in message
    assert store.event_count() == 0
    store.close()


@pytest.mark.slow
def test_a_thread_of_the_app_waiting_for_the_lock_does_not_hold_up_the_polls(tmp_path):
    # The suggestion job records an outcome while an import holds the lock: it waits its busy
    # timeout holding the store; the polls of those seconds must neither wait nor be lost.
    path = tmp_path / DB_NAME
    store = Store(path)
    held = threading.Event()
    blocker = threading.Thread(target=_hold_write_lock, args=(path, 2.0, held), daemon=True)
    blocker.start()
    held.wait()
    writer = threading.Thread(
        target=store.import_events, args=([Event(1.0, 1.0, "import", app="x")],), daemon=True
    )
    writer.start()
    time.sleep(0.1)  # the writer now holds the store, waiting for the other connection
    waits = []
    for second in range(30):
        before = time.monotonic()
        with contextlib.suppress(StoreError):
            store.heartbeat(Event(100.0 + second, 0.0, "window", app="code"), pulsetime=2.5)
        waits.append(time.monotonic() - before)
        time.sleep(0.1)
    writer.join()
    blocker.join()
    store.heartbeat(Event(130.0, 0.0, "window", app="code"), pulsetime=2.5)
    assert max(waits) < 1.0
    windows = [(s.start, s.duration) for s in store.all_events() if s.source == "window"]
    assert windows == [(100.0, 30.0)]
    store.close()
