"""The first open of a data directory cannot brick it: killed at any moment, or raced.

What a user notices: after a crash (or an OOM kill, or logging out) while the app was starting
for the first time, or after starting the tray app and an import at the same moment, every
later command refuses the database ("table events already exists"). Here the first open runs
in a forked child that is killed with SIGKILL (at every SQL statement of the open in turn, and
at random moments), and several children open and import into one new directory at once; the
app must open whatever is left, at the current schema, with nothing imported lost.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop import store as store_module
from desktop.store import DB_NAME, SCHEMA_VERSION, Event, Store

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")

RANDOM_KILLS = 120
RACE_ROUNDS = 10
RACERS = 4
TABLES = {"events", "suggestions", "feedback", "models", "settings", "activity", "plan_items"}


def _fork(child: Callable[[], None]) -> int:
    """Run `child` in a forked process that exits 0 when it returns, 1 when it raises."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's exit status is what the parent checks
        code = 1
        try:
            child()
            code = 0
        except BaseException as exc:
            os.write(2, f"child: {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, timeout_s: float = 30.0) -> int:
    """Return the child's exit code, or minus the signal that ended it."""
    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"child {pid} did not finish in {timeout_s} s")
        time.sleep(0.002)


def _die_at_statement(path: Path, n: int) -> Callable[[], None]:
    """Return a child body that opens a store and kills itself just before SQL statement n."""

    def child() -> None:
        real_connect = sqlite3.connect
        count = 0

        def trace(_sql: str) -> None:
            nonlocal count
            count += 1
            if count == n:
                os.kill(os.getpid(), signal.SIGKILL)

        def connect(*args, **kwargs):  # type: ignore[no-untyped-def]
            connection = real_connect(*args, **kwargs)
            connection.set_trace_callback(trace)
            return connection

        store_module.sqlite3.connect = connect  # type: ignore[assignment]  # the child only
        Store(path).close()

    return child


def _open_after_signalling(path: Path, read_end: int, write_end: int) -> Callable[[], None]:
    """Return a child body that says "go" on the pipe, then opens the store."""

    def child() -> None:
        os.close(read_end)
        os.write(write_end, b"go")
        Store(path).close()

    return child


def _statements_of_a_first_open(path: Path) -> int:
    statements: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):  # type: ignore[no-untyped-def]
        connection = real_connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    store_module.sqlite3.connect = connect  # type: ignore[assignment]
    try:
        Store(path).close()
    finally:
        store_module.sqlite3.connect = real_connect  # type: ignore[assignment]
    return len(statements)


def _assert_opens(path: Path) -> None:
    """The app opens what is left, at the current schema, and can write to it."""
    store = Store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert set(store.db.table_names()) >= TABLES
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        salt = store.get_setting("title_salt")
        assert salt
        store.insert_events([Event(start=1.0, duration=1.0, source="window", app="a")])
    finally:
        store.close()
    again = Store(path)  # and again: the salt (which hashes titles) does not change
    assert again.get_setting("title_salt") == salt
    again.close()


@pytest.mark.slow
def test_a_kill_at_every_statement_of_the_first_open_leaves_a_database_that_opens(tmp_path):
    total = _statements_of_a_first_open(tmp_path / "probe" / DB_NAME)
    assert total > 10
    killed = 0
    for n in range(1, total + 1):
        path = tmp_path / f"kill{n}" / DB_NAME
        code = _wait(_fork(_die_at_statement(path, n)))
        assert code in (-signal.SIGKILL, 0), (n, code)
        killed += code == -signal.SIGKILL
        if path.exists():
            _assert_opens(path)
    print(f"\nfirst open: killed at each of its {total} SQL statements")
    assert killed == total  # every statement of the open was a place to die


@pytest.mark.slow
def test_kill_nines_at_random_moments_of_the_first_open_never_brick_it(tmp_path):
    rng = random.Random(20261124)
    probes = []
    for probe in range(5):
        started = time.perf_counter()
        Store(tmp_path / f"probe{probe}" / DB_NAME).close()
        probes.append(time.perf_counter() - started)
    open_s = sorted(probes)[2]  # how long a first open takes here, now
    landed = 0
    for trial in range(RANDOM_KILLS):
        path = tmp_path / f"t{trial}" / DB_NAME
        read_end, write_end = os.pipe()
        pid = _fork(_open_after_signalling(path, read_end, write_end))
        os.close(write_end)
        assert os.read(read_end, 2) == b"go"
        os.close(read_end)
        time.sleep(rng.uniform(0.0, open_s))
        os.kill(pid, signal.SIGKILL)
        code = _wait(pid)
        landed += code == -signal.SIGKILL
        if path.exists():
            _assert_opens(path)
    print(f"\nfirst open: {RANDOM_KILLS} kills at random moments, {landed} while opening")
    assert landed > RANDOM_KILLS // 4  # the kills did land while the child was opening


def _racer(path: Path, gate: tuple[int, int], index: int) -> Callable[[], None]:
    def child() -> None:
        os.close(gate[1])
        os.read(gate[0], 1)  # everyone starts when the parent closes the gate's write end
        store = Store(path)
        try:
            shared = [Event(100.0 + i, 1.0, "import", app="s") for i in range(5)]
            own = [Event(1000.0 * (index + 1), 1.0, "import", app="o")]
            store.import_events(shared + own)
        finally:
            store.close()

    return child


def test_processes_opening_and_importing_into_a_new_directory_at_once_all_succeed(tmp_path):
    failures = []
    for round_number in range(RACE_ROUNDS):
        path = tmp_path / f"r{round_number}" / DB_NAME
        gate, release = os.pipe()
        pids = [_fork(_racer(path, (gate, release), index)) for index in range(RACERS)]
        os.close(release)  # EOF for every racer at the same moment
        codes = [_wait(pid) for pid in pids]
        os.close(gate)
        failures += [(round_number, code) for code in codes if code != 0]
        store = Store(path)
        try:
            assert store.schema_version == SCHEMA_VERSION
            # The five shared spans once (one salt, so one import key each), plus one per racer.
            if not failures:
                assert store.event_count() == 5 + RACERS
        finally:
            store.close()
    print(f"\n{RACE_ROUNDS} rounds of {RACERS} processes opening a new directory at once")
    assert failures == [], f"{len(failures)} of {RACE_ROUNDS * RACERS} openers failed"
