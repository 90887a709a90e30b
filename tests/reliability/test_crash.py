"""Crash safety: `kill -9` at random moments of a writing process never costs more than a poll.

A user notices a crash (or an OOM kill, or a logout that SIGKILLs the session) as: the app does
not start any more ("database disk image is malformed"), or a stretch of the day is missing.
The writer (crash_writer.py) drives the real Store.heartbeat in a loop and prints each poll's
timestamp after its commit; after every kill the database must pass `PRAGMA integrity_check`,
open with the app's Store, and end no earlier than the last printed commit and no later than
one poll after it (a commit may land between the heartbeat and its print).

What this does not show: power loss. The store runs WAL with synchronous=NORMAL, which keeps
the database consistent across power loss but may lose the last commits since the previous
checkpoint; a process kill loses nothing committed, because the OS keeps the written pages.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.store import DB_NAME, Store
from tests.reliability.crash_writer import POLL_S

KILLS = 50
ROOT = Path(__file__).resolve().parents[2]


def _stored_end(path: Path) -> float:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        value = conn.execute("SELECT max(start + duration) FROM events").fetchone()[0]
    conn.close()
    return float(value or 0.0)


@pytest.mark.slow
def test_fifty_kill_nines_lose_at_most_the_last_poll(tmp_path):
    path = tmp_path / "data" / DB_NAME
    rng = random.Random(20261123)
    committed_total = 0
    early_kills = 0
    for attempt in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_writer", str(path), str(attempt)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        if rng.random() < 0.1:
            # Now and then die while opening: connecting, recovering the WAL, migrating.
            time.sleep(rng.uniform(0.0, 0.15))
            early_kills += 1
        else:
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
            time.sleep(rng.uniform(0.0, 0.08))
        os.kill(writer.pid, signal.SIGKILL)
        out, err = writer.communicate(timeout=10)
        assert writer.returncode == -signal.SIGKILL, err
        printed = [float(line) for line in out.split() if line != "ready"]
        if not path.exists():
            continue  # killed before the file was created: nothing to lose yet
        end = _stored_end(path)
        if printed:
            committed_total += len(printed)
            assert printed[-1] <= end <= printed[-1] + POLL_S, (attempt, printed[-3:], end)
    print(f"\ncrash loop: {KILLS} kills ({early_kills} while opening), {committed_total} commits")
    store = Store(path)  # the app itself opens what fifty crashes left
    spans = store.all_events()
    assert store.event_count() > KILLS  # polls became spans, across restarts
    assert all(span.duration >= 0 for span in spans)
    store.close()
    assert committed_total > 10 * KILLS, committed_total  # the kills did land mid-writing
    assert early_kills < KILLS
