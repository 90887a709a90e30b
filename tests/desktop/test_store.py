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


def test_events_finds_spans_that_began_long_before_the_range(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    store.insert_events(
        [
            Event(start=0, duration=10 * 86_400, source="calendar", app="trip"),  # ten days
            window(86_400 * 5 - 10, "code", 20),  # across the range's start
            window(86_400 * 5 - 30, "vim", 20),  # ends before it
            window(86_400 * 5 - 100, "zero", 0),  # zero length, before: overlaps nothing
            window(86_400 * 5 + 100, "poll", 0),  # zero length, inside: a single poll
        ]
    )
    found = store.events(86_400 * 5, 86_400 * 6)
    assert [e.app for e in found] == ["trip", "code", "poll"]
    assert [e.app for e in store.events(86_400 * 5, 86_400 * 6, sources=["calendar"])] == ["trip"]


def test_schema_3_indexes_duration_for_the_range_query(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    assert store.schema_version == SCHEMA_VERSION >= 3
    plan = store.db.execute("EXPLAIN QUERY PLAN SELECT max(duration) FROM events").fetchall()
    assert "idx_events_duration" in str(plan)


def _read_only(store: Store, on: bool) -> None:
    store.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


def test_polls_that_cannot_be_written_are_kept_coalesced_and_written_in_order(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    store.heartbeat(window(0, "code"), pulsetime=2.0)
    _read_only(store, True)
    for t in range(1, 50):
        with pytest.raises(StoreError, match="read-only"):
            store.heartbeat(window(t, "code" if t < 30 else "firefox"), pulsetime=2.0)
    assert store.pending_polls == 2  # 49 polls, two activities: two entries
    _read_only(store, False)
    store.heartbeat(window(50, "firefox"), pulsetime=2.0)
    assert store.pending_polls == 0
    assert [(s.app, s.start, s.duration) for s in store.all_events()] == [
        ("code", 0, 30),
        ("firefox", 30, 20),
    ]


def test_a_gap_during_an_outage_still_separates_the_spans(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    _read_only(store, True)
    for t in (0, 1, 2):
        with pytest.raises(StoreError):
            store.heartbeat(window(t, "code"), pulsetime=2.0)
    store.end_span("window")  # the service saw a suspend here
    with pytest.raises(StoreError):
        store.heartbeat(window(3, "code"), pulsetime=2.0)
    _read_only(store, False)
    store.heartbeat(window(4, "code"), pulsetime=2.0)
    assert [(s.start, s.duration) for s in store.all_events()] == [(0, 2), (3, 1)]


def test_deleting_a_range_also_drops_the_polls_kept_for_it(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    _read_only(store, True)
    for t in range(0, 10):
        with pytest.raises(StoreError):
            store.heartbeat(window(t, "code" if t < 5 else "firefox"), pulsetime=2.0)
    _read_only(store, False)
    store.delete_range(0, 5)
    store.heartbeat(window(10, "firefox"), pulsetime=2.0)
    assert [(s.app, s.start) for s in store.all_events()] == [("firefox", 5)]


def test_input_tallies_add_up_per_minute_and_are_deleted_with_their_range(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    store.record_activity([(600.0, 10.0, 30.0), (660.0, 60.0, 60.0)])
    store.close()
    store = Store(path)  # another process, or the app after a restart, adds to the same minute
    store.record_activity([(600.0, 20.0, 30.0), (720.0, 5.0, 60.0)])
    assert store.activity(0, 10_000) == [(600.0, 30.0, 60.0), (660.0, 60.0, 60.0),
                                         (720.0, 5.0, 60.0)]  # fmt: skip
    store.delete_range(700.0, 710.0)  # touches the minute from 660 only
    assert [m for m, _, _ in store.activity(0, 10_000)] == [600.0, 720.0]
    store.delete_all()
    assert store.activity(0, 10_000) == []
    store.close()


def test_a_version_3_database_gains_the_input_table_and_keeps_its_spans(tmp_path):
    import sqlite_utils

    from desktop.store import MIGRATIONS

    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        for migrate in MIGRATIONS[:3]:
            migrate(sqlite_utils.Database(conn))
        conn.execute("PRAGMA user_version = 3")
        conn.execute(
            "INSERT INTO events (start, duration, source, app) VALUES (5, 10, 'window', 'vim')"
        )
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION >= 4
    assert [(s.app, s.duration) for s in store.all_events()] == [("vim", 10)]
    store.record_activity([(0.0, 1.0, 1.0)])
    assert store.activity(0, 60) == [(0.0, 1.0, 1.0)]
    store.close()


def test_a_watched_file_s_spans_are_replaced_not_duplicated(tmp_path):
    store = Store(tmp_path / "db.sqlite3")

    def meeting(start: float, title: str = "sync") -> Event:
        return Event(start=start, duration=1800, source="calendar", app="calendar",
                     title=title, category="meetings")  # fmt: skip

    store.import_events([meeting(0.0)])  # imported by hand once: never touched below
    first = store.replace_origin("ics:/a.ics", [meeting(0.0), meeting(3600.0)])
    assert (first.added, first.removed, first.unchanged) == (2, 0, 0)
    ids = {e.start: e.id for e in store.all_events() if e.data.get("origin")}
    again = store.replace_origin("ics:/a.ics", [meeting(0.0), meeting(3600.0)])
    assert (again.added, again.removed, again.unchanged) == (0, 0, 2)
    moved = store.replace_origin("ics:/a.ics", [meeting(0.0), meeting(7200.0)])
    assert (moved.added, moved.removed, moved.unchanged) == (1, 1, 1)
    spans = [(e.start, e.data.get("origin")) for e in store.all_events()]
    assert spans == [(0.0, None), (0.0, "ics:/a.ics"), (7200.0, "ics:/a.ics")]
    assert {e.start: e.id for e in store.all_events() if e.data.get("origin")}[0.0] == ids[0.0]
    store.replace_origin("ics:/b.ics", [])  # another watched file: nothing of /a.ics goes
    assert store.event_count() == 3
    with pytest.raises(ValueError, match="window span"):
        store.replace_origin("ics:/a.ics", [window(0.0, "code", 5)])
    store.close()


def test_a_database_half_made_by_an_older_release_is_completed_not_refused(tmp_path):
    import sqlite_utils

    from desktop.store import MIGRATIONS

    path = tmp_path / "db.sqlite3"
    # An older release committed each table of a migration on its own and the version last:
    # killed in between, it left tables of version 1 (and a column of version 2) at version 0.
    with sqlite3.connect(path) as conn:
        db = sqlite_utils.Database(conn)
        db.table("events").create({"id": int, "start": float, "duration": float, "source": str,
                                   "app": str, "title": str, "title_hashed": int,
                                   "category": str, "data": str}, pk="id")  # fmt: skip
        db.table("events").add_column("import_key", str)
        conn.execute("INSERT INTO events (start, duration, source) VALUES (5, 10, 'window')")
    conn.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    assert {"suggestions", "feedback", "settings", "activity"} <= set(store.db.table_names())
    assert [(s.start, s.duration) for s in store.all_events()] == [(5, 10)]
    store.close()
    # A half-made step in the middle (version 3, the table of version 4 already there) too.
    path = tmp_path / "mid.sqlite3"
    with sqlite3.connect(path) as conn:
        db = sqlite_utils.Database(conn)
        for migration in MIGRATIONS[:4]:
            migration(db)
        conn.execute("PRAGMA user_version = 3")
    conn.close()
    assert Store(path).schema_version == SCHEMA_VERSION


def _categories_after_recategorize(data, rules_toml: str | None) -> list[tuple[str, str]]:
    from desktop import cli
    from desktop.store import DB_NAME

    rules = data / "categories.toml"
    if rules_toml is None:
        rules.unlink(missing_ok=True)
    else:
        rules.write_text(rules_toml)
    assert cli.main(["--data-dir", str(data), "recategorize"]) == 0
    store = Store(data / DB_NAME)
    try:
        return [(s.app, s.category) for s in store.all_events()]
    finally:
        store.close()


def test_recategorize_is_undone_by_taking_the_rule_out_again(tmp_path, capsys):
    from desktop import cli

    data = tmp_path / "data"
    data.mkdir()
    log = tmp_path / "log.csv"
    log.write_text(
        "timestamp,app,title,duration,source,category\n"
        "2024-04-01T09:00:00Z,firefox,Cats - YouTube,60,window,\n"
        "2024-04-01T09:01:00Z,firefox,Weather,60,window,\n"
    )
    assert cli.main(["--data-dir", str(data), "import", str(log)]) == 0
    original = [("firefox", "entertainment"), ("firefox", "browsing")]
    assert _categories_after_recategorize(data, None) == original  # titles now hashed
    # A rule on the app alone decides without the title, and taking it out undoes it.
    app_rule = '[[rule]]\ncategory = "office"\napp = "firefox"\n'
    assert _categories_after_recategorize(data, app_rule) == [("firefox", "office")] * 2
    assert _categories_after_recategorize(data, None) == original


def test_a_title_rule_taken_out_gives_hashed_spans_their_category_back(tmp_path, capsys):
    from desktop import cli

    data = tmp_path / "data"
    data.mkdir()
    # Collected while the user's title rule was in place: the title is hashed at once.
    (data / "categories.toml").write_text(
        '[[rule]]\ncategory = "office"\napp = "firefox"\ntitle = "weather"\n'
    )
    log = tmp_path / "log.csv"
    log.write_text(
        "timestamp,app,title,duration,source,category\n"
        "2024-04-01T09:00:00Z,firefox,Weather,60,window,\n"
        "2024-04-01T09:01:00Z,firefox,Cats - YouTube,60,window,\n"
        "2024-04-01T09:02:00Z,firefox,Local news,60,window,\n"
    )
    assert cli.main(["--data-dir", str(data), "import", str(log)]) == 0
    with_rule = [("firefox", "office"), ("firefox", "entertainment"), ("firefox", "browsing")]
    assert _categories_after_recategorize(data, None) == [
        ("firefox", "browsing"),  # the weather rule is gone: what the defaults say
        ("firefox", "entertainment"),
        ("firefox", "browsing"),
    ]
    # And put back: the title matched it when it was known, so it applies again.
    title_rule = '[[rule]]\ncategory = "office"\napp = "firefox"\ntitle = "weather"\n'
    assert _categories_after_recategorize(data, title_rule) == with_rule
    # A title rule the titles were never checked against cannot be judged: kept as they are.
    new_rule = '[[rule]]\ncategory = "games"\napp = "firefox"\ntitle = "news"\n'
    assert _categories_after_recategorize(data, new_rule + title_rule) == with_rule
