import os
import sqlite3
import stat

import pytest

from desktop.store import SCHEMA_VERSION, Event, Store, StoreError


def window(start: float, app: str, duration: float = 0.0, title: str = "t") -> Event:
    return Event(
        start=start,
        duration=duration,
        source="window",
        app=app,
        title=title,
        category="development",
    )


def test_new_store_is_private_versioned_and_wal(tmp_path):
    store = Store(tmp_path / "data" / "db.sqlite3")
    assert store.schema_version == SCHEMA_VERSION
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"events", "suggestions", "feedback", "models"} <= set(store.db.table_names())


def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    store.insert_events([window(0, "code", 10)])
    store.close()
    again = Store(path)
    assert again.event_count() == 1
    assert again.schema_version == SCHEMA_VERSION


def test_newer_schema_is_refused_with_one_line(tmp_path):
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="newer than this app"):
        Store(path)


def test_heartbeats_merge_into_contiguous_spans(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    for t in range(5):
        store.heartbeat(window(t, "code"), pulsetime=2.0)
    for t in range(5, 8):
        store.heartbeat(window(t, "firefox"), pulsetime=2.0)
    spans = store.all_events()
    assert [(s.app, s.start, s.duration) for s in spans] == [("code", 0, 5), ("firefox", 5, 2)]


def test_heartbeat_after_a_gap_starts_a_new_span(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    store.heartbeat(window(0, "code"), pulsetime=2.0)
    store.heartbeat(window(1, "code"), pulsetime=2.0)
    store.heartbeat(window(100, "code"), pulsetime=2.0)
    assert [(s.start, s.duration) for s in store.all_events()] == [(0, 1), (100, 0)]


def test_titles_are_hashed_unless_opted_in(tmp_path):
    hashed = Store(tmp_path / "a.sqlite3")
    hashed.insert_events([window(0, "code", 1, title="secret plan.txt")])
    assert "secret" not in hashed.all_events()[0].title
    clear = Store(tmp_path / "b.sqlite3", store_titles=True)
    clear.insert_events([window(0, "code", 1, title="secret plan.txt")])
    assert clear.all_events()[0].title == "secret plan.txt"


def test_feedback_is_stored_once_with_context(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    sid = store.add_suggestion(
        created_at=10,
        kind="break",
        text="t",
        explanation="e",
        model_version="v1",
        features={"context": [1.0]},
        score=0.7,
        propensity=0.9,
    )
    assert store.record_feedback(sid, "snoozed", 20, snooze_minutes=10, context={"k": 1})
    assert not store.record_feedback(sid, "accepted", 30)
    [record] = store.suggestions()
    assert (record.outcome, record.outcome_at, record.propensity) == ("snoozed", 20, 0.9)
    assert store.snooze_minutes(sid) == 10
    with pytest.raises(KeyError):
        store.record_feedback(999, "accepted", 1)


def test_locked_database_is_a_one_line_error_and_loses_nothing(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    store.insert_events([window(0, "code", 1)])
    store.db.conn.execute("PRAGMA busy_timeout = 100")
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreError, match="locked") as caught:
        store.insert_events([window(5, "code", 1)])
    assert "\n" not in str(caught.value)
    blocker.rollback()
    blocker.close()
    assert store.event_count() == 1
    store.insert_events([window(5, "code", 1)])
    assert store.event_count() == 2


def test_a_version_1_database_migrates_and_keeps_its_spans(tmp_path):
    import sqlite_utils

    from desktop.store import MIGRATIONS

    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:  # a database as the first release wrote it
        MIGRATIONS[0](sqlite_utils.Database(conn))
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO events (start, duration, source, app) VALUES (5, 10, 'window', 'vim')"
        )
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION >= 2
    assert [(s.app, s.duration) for s in store.all_events()] == [("vim", 10)]
    imported = window(100, "code", 5)
    assert store.import_events([imported, imported]).added == 1  # the key is unique
    assert store.import_events([imported]).duplicates == 1
    store.insert_events([window(200, "code", 1), window(200, "code", 1)])  # collected: no key
    assert store.event_count() == 4


def test_read_back_hashed_titles_are_never_hashed_twice(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    store.insert_events([window(0, "code", 1, title="secret")])
    [stored] = store.all_events()
    assert stored.title_hashed
    store.insert_events([stored])
    assert {s.title for s in store.all_events()} == {stored.title}
