"""Privacy and control: no network, pause/resume across processes, delete, exclusions."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from desktop import cli
from desktop.clock import FakeClock
from desktop.collect.base import WindowInfo
from desktop.config import Config
from desktop.service import AppService
from desktop.store import DB_NAME, Event, Store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


class OneWindow:
    name = "fake"

    def __init__(self, app: str = "Code", title: str = "plan.txt") -> None:
        self.window = WindowInfo(app=app, title=title)

    def active_window(self) -> WindowInfo | None:
        return self.window

    def idle_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


@pytest.fixture
def no_network(monkeypatch):
    """Make every way of opening a socket fail loudly, and record the attempts."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted in an offline test")

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse(*args)

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_demo_import_export_run_without_opening_a_socket(tmp_path, capsys, no_network):
    data = str(tmp_path / "data")
    assert cli.main(["--data-dir", data, "demo"]) == 0
    assert "from the on-device model" in capsys.readouterr().out
    csv_log = DATA / "desktop-windows" / "user_d.csv"
    sources = [csv_log] if csv_log.is_file() else []
    calendar = tmp_path / "c.ics"
    calendar.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:1\nDTSTART:20240101T090000Z\n"
        "DTEND:20240101T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:Sync\nEND:VEVENT\n"
        "END:VCALENDAR\n"
    )
    for path in [*sources, calendar]:
        assert cli.main(["--data-dir", data, "import", str(path)]) == 0
    out = str(tmp_path / "x.json")
    assert cli.main(["--data-dir", data, "export", "--format", "json", "--out", out]) == 0
    assert cli.main(["--data-dir", data, "status"]) == 0
    assert no_network == []


def test_pause_from_the_command_line_reaches_a_running_app(tmp_path, capsys):
    import time

    clock = FakeClock(time.time())
    service = AppService(tmp_path, Config(), clock, watcher=OneWindow())
    assert service.poll() is not None
    assert cli.main(["--data-dir", str(tmp_path), "pause", "--minutes", "10"]) == 0
    assert "paused until" in capsys.readouterr().out
    for _ in range(3):
        clock.advance(1.0)
        assert service.poll() is None and service.tick() is None
    assert [s.duration for s in service.store.all_events()] == [0.0]  # nothing collected since
    assert service.status().paused_until == pytest.approx(time.time() + 600, abs=5)
    assert cli.main(["--data-dir", str(tmp_path), "resume"]) == 0
    clock.advance(1.0)
    assert service.poll() is not None
    assert service.store.event_count() == 2  # a new span after the pause, not an extension
    service.close()


def test_pause_expires_on_its_own(tmp_path):
    clock = FakeClock(1_000_000.0)
    service = AppService(tmp_path, Config(), clock, watcher=OneWindow())
    service.pause(1)
    clock.advance(30)
    assert service.poll() is None
    clock.advance(31)
    assert service.poll() is not None
    other = AppService(tmp_path, Config(), clock)  # another process sees the same pause
    service.pause(5)
    assert other.status().paused_until == 1_000_061.0 + 300
    other.close()
    service.close()


def test_excluded_app_is_recorded_as_nothing_but_time(tmp_path):
    service = AppService(
        tmp_path, Config(excluded_apps=("keepassxc",)), FakeClock(0.0),
        watcher=OneWindow("KeePassXC", "bank passwords.kdbx"),
    )  # fmt: skip
    service.poll()
    [span] = service.store.all_events()
    assert (span.app, span.title, span.category) == ("excluded", "", "unknown")
    service.close()
    assert b"KeePass" not in (tmp_path / DB_NAME).read_bytes()


def _store_with_a_day(path: Path) -> Store:
    store = Store(path)
    store.insert_events(
        [
            Event(start=1000, duration=100, source="window", app="a"),  # before
            Event(start=1900, duration=200, source="window", app="b"),  # across the start
            Event(start=2100, duration=300, source="window", app="c", title="secret c"),  # inside
            Event(start=2900, duration=200, source="window", app="d"),  # across the end
            Event(start=1500, duration=3000, source="calendar", app="cal"),  # across both
            Event(start=5000, duration=100, source="window", app="e"),  # after
        ]
    )
    for created in (1500.0, 2500.0):
        sid = store.add_suggestion(
            created_at=created, kind="break", text="", explanation="", model_version="v",
            features={}, score=0.5, propensity=0.5,
        )  # fmt: skip
        store.record_feedback(sid, "accepted", created + 10)
    return store


def test_delete_range_removes_and_cuts_spans_and_suggestions(tmp_path, capsys):
    data = tmp_path / "data"
    _store_with_a_day(data / DB_NAME).close()
    args = ["--data-dir", str(data), "delete", "--from", "1970-01-01T00:33:20+00:00"]
    args += ["--to", "1970-01-01T00:50:00+00:00"]  # [2000, 3000)
    assert cli.main(args) == 2
    assert "add --yes" in capsys.readouterr().err
    assert cli.main([*args, "--yes"]) == 0
    assert capsys.readouterr().out.strip() == (
        "deleted 1 spans, cut 3 at the edges, 1 suggestions with their reactions"
    )
    store = Store(data / DB_NAME)
    assert [(s.app, s.start, s.end) for s in store.all_events()] == [
        ("a", 1000, 1100),
        ("cal", 1500, 2000),
        ("b", 1900, 2000),
        ("d", 3000, 3100),
        ("cal", 3000, 4500),
        ("e", 5000, 5100),
    ]
    assert [s.created_at for s in store.suggestions()] == [1500.0]
    assert store.db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1
    store.close()
    assert b"secret c" not in (data / DB_NAME).read_bytes()


def test_delete_all_needs_yes_and_keeps_the_app_usable(tmp_path, capsys):
    data = tmp_path / "data"
    _store_with_a_day(data / DB_NAME).close()
    assert cli.main(["--data-dir", str(data), "delete", "--all"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--yes" in err
    assert Store(data / DB_NAME).event_count() == 6
    # What was fitted on this data goes with it: the personal heads of the nightly step.
    for name in ("personal_head.json", "timing_head.json"):
        (data / name).write_text("{}")
    assert cli.main(["--data-dir", str(data), "delete", "--all", "--yes"]) == 0
    assert not (data / "personal_head.json").exists()
    assert not (data / "timing_head.json").exists()
    store = Store(data / DB_NAME)
    assert (store.event_count(), store.suggestions()) == (0, [])
    assert store.get_setting("title_salt")  # settings stay: hashes keep their meaning
    store.close()
    with sqlite3.connect(data / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_delete_while_collecting_starts_a_new_span(tmp_path):
    clock = FakeClock(10_000.0)
    service = AppService(tmp_path, Config(), clock, watcher=OneWindow())
    for _ in range(5):
        service.poll()
        clock.advance(1.0)
    other = Store(tmp_path / DB_NAME)  # `time-sculptor delete` in another process
    other.delete_range(9_000.0, 10_003.0)
    other.close()
    service.poll()
    clock.advance(1.0)
    service.poll()
    # What was left of the cut span stays as it is; collection goes on in a span of its own.
    assert [(s.start, s.end) for s in service.store.all_events()] == [
        (10_003.0, 10_004.0),
        (10_005.0, 10_006.0),
    ]
    service.close()
