"""The one owner of the database: every SQL statement of the app lives in this module.

One SQLite file (WAL, mode 0600) in the user's data directory. The schema carries a version
number (PRAGMA user_version); `MIGRATIONS[i]` upgrades version i to i + 1 and runs at open.
All pending migrations and their version bumps run as one transaction under SQLite's write
lock, so a process killed while opening leaves the old schema or the new one, never half of
it, and processes opening a new directory at once migrate it once. Each migration is also
idempotent (IF NOT EXISTS, a column added only when missing): a database half-made by an
older release, which committed table by table, is completed rather than refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop.records import Event, SuggestionRecord
from edge_model import categories, files

DB_NAME = "time-sculptor.sqlite3"
OUTCOMES = ("accepted", "snoozed", "dismissed", "ignored")
# Polls held in memory while the database cannot be written (disk full, read-only, locked).
# Consecutive polls of one activity coalesce into one entry, so this is spans, not seconds:
# at most ~1 MB however long the outage lasts; past it the oldest spans are dropped (and said).
MAX_PENDING_SPANS = 5000
# How long a write waits for another process's write lock (SQLite retries within this bound).
BUSY_TIMEOUT_S = 5.0
# How long a collector's write waits (for another process, or another thread of this app),
# before its poll is kept in memory for the next one: well under a poll interval, so the poll
# loop never stalls long enough to leave a hole between two polls.
COLLECTOR_WAIT_S = 0.25


class StoreError(RuntimeError):
    """A database problem, said in one line (locked, full, read-only, corrupt)."""


@dataclass(frozen=True)
class ImportResult:
    """What one import transaction did."""

    added: int
    duplicates: int


@dataclass(frozen=True)
class ReplaceResult:
    """What bringing a watched file's spans up to date did."""

    added: int
    removed: int
    unchanged: int


@dataclass(frozen=True)
class DeleteResult:
    """What a delete removed: spans deleted and cut at the edges, suggestions with feedback."""

    spans_deleted: int
    spans_trimmed: int
    suggestions_deleted: int


def _v1(db: sqlite_utils.Database) -> None:
    db.table("events").create(
        {
            "id": int,
            "start": float,
            "duration": float,
            "source": str,
            "app": str,
            "title": str,
            "title_hashed": int,
            "category": str,
            "data": str,
        },
        pk="id",
        not_null={"start", "duration", "source"},
        defaults={"app": "", "title": "", "title_hashed": 1, "category": "unknown", "data": "{}"},
        if_not_exists=True,
    )
    db.table("events").create_index(["start"], if_not_exists=True)
    db.table("events").create_index(["source", "start"], if_not_exists=True)
    db.table("suggestions").create(
        {
            "id": int,
            "created_at": float,
            "kind": str,
            "text": str,
            "explanation": str,
            "model_version": str,
            "features": str,
            "score": float,
            "propensity": float,
        },
        pk="id",
        not_null={"created_at", "kind"},
        if_not_exists=True,
    )
    db.table("suggestions").create_index(["created_at"], if_not_exists=True)
    db.table("feedback").create(
        {
            "id": int,
            "suggestion_id": int,
            "outcome": str,
            "at": float,
            "snooze_minutes": float,
            "context": str,
        },
        pk="id",
        foreign_keys=[("suggestion_id", "suggestions", "id")],
        not_null={"suggestion_id", "outcome", "at"},
        if_not_exists=True,
    )
    db.table("feedback").create_index(["suggestion_id"], unique=True, if_not_exists=True)
    db.table("models").create(
        {
            "version": str,
            "path": str,
            "sha256": str,
            "feature_spec_version": int,
            "status": str,
            "reason": str,
            "at": float,
        },
        pk="version",
        if_not_exists=True,
    )
    db.table("settings").create({"key": str, "value": str}, pk="key", if_not_exists=True)


def _v2(db: sqlite_utils.Database) -> None:
    # Imported spans carry a key derived from their content, so importing a file twice adds
    # nothing; collected spans have none (NULLs never collide in a unique index).
    if "import_key" not in db.table("events").columns_dict:
        db.table("events").add_column("import_key", str)
    db.table("events").create_index(["import_key"], unique=True, if_not_exists=True)


def _v3(db: sqlite_utils.Database) -> None:
    # `events(start, end)` asks for spans overlapping a range: `start < end AND start +
    # duration > start`. The start index alone scans every span since the first one (140 ms
    # for a day at a year of history); with the longest duration known from this index in
    # O(log n), the scan starts at `start - longest` instead (benchmarks/scale.py).
    db.table("events").create_index(["duration"], if_not_exists=True)


def _v4(db: sqlite_utils.Database) -> None:
    # Input intensity: per clock minute, the seconds in which there was input and
    # the seconds that polling covered, both from idle-time deltas alone (never what was
    # typed or where). Kept as two sums so that two processes or a restart add up correctly.
    db.table("activity").create(
        {"minute": float, "active_s": float, "covered_s": float},
        pk="minute",
        not_null={"active_s", "covered_s"},
        if_not_exists=True,
    )


def _v5(db: sqlite_utils.Database) -> None:
    # The plan: what the user wants time for (each item as declared, kept after it is removed
    # so past blocks still say what they were for), the blocks placed for it, and how each
    # block went: the share kept, measured from activity, and the user's optional answer.
    db.table("plan_items").create(
        {"key": str, "spec": str, "first_seen": float, "updated": float, "removed": float},
        pk="key",
        not_null={"spec", "first_seen", "updated"},
        if_not_exists=True,
    )
    db.table("plan_blocks").create(
        {
            "id": int,
            "item": str,
            "start": float,
            "end": float,
            "status": str,
            "decided_at": float,
            "why": str,
            "kept_share": float,
            "kept_s": float,
            "answer": str,
            "answered_at": float,
        },
        pk="id",
        not_null={"item", "start", "end", "status", "decided_at"},
        defaults={"why": ""},
        if_not_exists=True,
    )
    db.table("plan_blocks").create_index(["start"], if_not_exists=True)
    db.table("plan_blocks").create_index(["item", "start"], if_not_exists=True)


def _v6(db: sqlite_utils.Database) -> None:
    # What categorizing a span needs once its title is hashed: which title rules the title
    # matched while it was known (`title_hits`), out of which table of title patterns
    # (`title_rules`, a digest of `title_rule_sets`, one row per table), so that a rule taken
    # out again gives the span its category back.
    db.table("title_rule_sets").create(
        {"digest": str, "patterns": str}, pk="digest", not_null={"patterns"}, if_not_exists=True
    )
    for column in ("title_rules", "title_hits"):
        if column not in db.table("events").columns_dict:
            db.table("events").add_column(column, str)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
SCHEMA_VERSION = len(MIGRATIONS)


BLOCK_STATUSES = ("planned", "held", "started", "skipped", "done")
BLOCK_ANSWERS = ("well", "partly", "badly")


@dataclass(frozen=True)
class PlanBlock:
    """A block of time placed for a plan item, and how it went once it ended."""

    id: int
    item: str
    start: float
    end: float
    status: str  # planned | held (placed by the user) | started | skipped | done (measured)
    decided_at: float
    why: str = ""
    kept_share: float | None = None
    kept_s: float | None = None
    answer: str | None = None
    answered_at: float | None = None

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / 60.0


_BLOCK_COLUMNS = (
    "id, item, start, end, status, decided_at, why, kept_share, kept_s, answer, answered_at"
)


def _event_from_row(row: dict[str, Any]) -> Event:
    return Event(
        start=row["start"],
        duration=row["duration"],
        source=row["source"],
        app=row["app"],
        title=row["title"],
        category=row["category"],
        data=json.loads(row["data"] or "{}"),
        id=row["id"],
        title_hashed=bool(row["title_hashed"]) and bool(row["title"]),
    )


# Read as plain tuples in this order: building a dict per row (sqlite-utils' query) and parsing
# an empty JSON object per row were half of the dashboard's time at a year of history.
_EVENT_COLUMNS = "start, duration, source, app, title, category, data, id, title_hashed"


def _event_from_tuple(row: tuple[Any, ...]) -> Event:
    start, duration, source, app, title, category, data, row_id, hashed = row
    return Event(
        start=start,
        duration=duration,
        source=source,
        app=app,
        title=title,
        category=category,
        data=json.loads(data) if data and data != "{}" else {},
        id=row_id,
        title_hashed=bool(hashed) and bool(title),
    )


def _categorize_hashed(
    app: str,
    rules: list[tuple[str, re.Pattern[str], str | None]],
    checked: frozenset[str] | None,
    hits: frozenset[str],
) -> str | None:
    """Return the category of a span whose title is hashed, or None where it cannot be told.

    `rules` are (category, compiled app pattern, title pattern); `checked` the title patterns
    the title was matched against while it was known (None: not recorded), `hits` those it
    matched. The first rule that applies decides, as in `categories.categorize`.
    """
    for category, app_pattern, title_pattern in rules:
        if not app_pattern.search(app):
            continue
        if not title_pattern:
            return category
        if checked is None or title_pattern not in checked:
            return None  # a title rule this title was never matched against
        if title_pattern in hits:
            return category
    return categories.UNKNOWN


class Store:
    """The SQLite store. Thread-safe: scheduler jobs and the UI share one connection."""

    def __init__(
        self,
        path: Path,
        *,
        store_titles: bool = False,
        category_rules: Callable[[], tuple[categories.Rule, ...]] | None = None,
    ) -> None:
        self.path = Path(path)
        self.store_titles = store_titles
        # The rule table that categorizes what is written (by default the data directory's
        # categories.toml, then the shipped rules): a title about to be hashed is checked
        # against its title rules first, so `recategorize` can judge it later.
        self._category_rules = category_rules
        self._rule_sets: dict[str, str] = {}  # digest -> JSON patterns, written with the spans
        self._lock = threading.RLock()
        self._last: dict[str, tuple[int, float, float, tuple]] = {}
        # Heartbeats that could not be written yet, oldest first: (event, pulsetime, stream);
        # an event of None is an `end_span` that came between them.
        self._pending: deque[tuple[Event | None, float, str]] = deque()
        # Polls (and span ends) handed over while another thread held the store, in order;
        # moved to `_pending` by the next call that gets the store (deque appends are atomic).
        self._inbox: deque[tuple[Event | None, float, str]] = deque()
        self.dropped_spans = 0  # pending spans given up because the outage outlasted the buffer
        self._opening = True
        # The data directory is the user's alone: a folder another tool left 0755 is tightened.
        files.private_dir(self.path.parent)
        old_umask = os.umask(0o077)  # the db, -wal and -shm files are born 0600
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            self.db = sqlite_utils.Database(connection)
            try:
                self._guard(self._open)
            except BaseException:
                connection.close()  # a failed open must not keep the file (or a lock) held
                raise
        finally:
            os.umask(old_umask)
        self._opening = False
        # Files left by an older version or copied in keep their mode: make them private again.
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{self.path}{suffix}", 0o600)

    def _open(self) -> None:
        self._enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA synchronous = NORMAL")
        salt = None
        if self._check_version() == SCHEMA_VERSION:
            salt = self.get_setting("title_salt")
        if salt is None:
            salt = self._migrate()
        self._salt: str = salt

    def _enable_wal(self) -> None:
        """Switch a new database to WAL, retrying within the busy timeout.

        The switch needs the database to itself, and SQLite answers "locked" at once, without
        waiting, while another process opening the same new file holds it.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.db.enable_wal()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.005 + 0.02 * secrets.randbelow(100) / 100)

    def _check_version(self) -> int:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this app ({SCHEMA_VERSION})"
            )
        return version

    def _migrate(self) -> str:
        """Bring the schema up to date and give the store its salt, all in one transaction.

        `BEGIN IMMEDIATE` takes the write lock first, so a second process opening the same new
        directory waits here (busy timeout), then finds the work done. Returns the title salt.
        """
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for target in range(self._check_version(), SCHEMA_VERSION):
                MIGRATIONS[target](self.db)  # sqlite-utils nests its own commits as savepoints
                conn.execute(f"PRAGMA user_version = {target + 1}")
            # The first writer's salt wins: every title and import key hashes with one salt.
            conn.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES ('title_salt', ?)",
                [secrets.token_hex(16)],
            )
            salt = conn.execute("SELECT value FROM settings WHERE key = 'title_salt'").fetchone()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return str(salt[0])

    @contextlib.contextmanager
    def _locked(self, *, keeping: bool = False) -> Iterator[None]:
        """Hold the store; a database error becomes one line (`keeping`: the caller keeps it)."""
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as exc:
                raise StoreError(self._explain(exc, keeping)) from exc
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: database error: {exc}") from exc

    @contextlib.contextmanager
    def _collecting(self) -> Iterator[None]:
        """Make the writes inside wait at most COLLECTOR_WAIT_S for another process's lock."""
        conn = self.db.conn
        previous = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        conn.execute(f"PRAGMA busy_timeout = {min(previous, int(COLLECTOR_WAIT_S * 1000))}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA busy_timeout = {previous}")

    def _guard(self, fn: Callable[[], Any]) -> Any:
        with self._locked():
            return fn()

    def _explain(self, exc: sqlite3.OperationalError, keeping: bool = False) -> str:
        """Say in one line what went wrong and what happens now: kept and retried, or nothing."""
        text = str(exc)
        if "locked" in text or "busy" in text:
            if keeping:
                return (
                    f"{self.path}: database is locked by another process;"
                    " keeping activity in memory and retrying at every poll"
                )
            return (
                f"{self.path}: database is locked by another process"
                " (an import or another copy of the app?); nothing was changed, try again"
            )
        if self._opening and ("full" in text or "readonly" in text):
            what = "disk is full" if "full" in text else "data directory is read-only"
            return f"{self.path}: {what}: cannot open the database (nothing was changed)"
        if "full" in text:
            if keeping:
                return f"{self.path}: disk is full; keeping activity in memory until space returns"
            return f"{self.path}: disk is full; nothing was changed"
        if "readonly" in text:
            if keeping:
                return (
                    f"{self.path}: data directory is read-only;"
                    " keeping activity in memory until it is writable"
                )
            return f"{self.path}: data directory is read-only; nothing was changed"
        if "unable to open" in text:
            return f"{self.path}: cannot open the database file (missing or no permission)"
        return f"{self.path}: {text}"

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    # settings -------------------------------------------------------------------------------
    PAUSE_KEY = "paused_until"

    def paused_until(self) -> float | None:
        """Return until when collection is paused (epoch seconds), or None when it is not."""
        value = self.get_setting(self.PAUSE_KEY)
        try:
            return float(value) if value else None
        except ValueError:
            return None  # a hand-edited setting must not stop collection for good

    def set_paused_until(self, until: float | None) -> None:
        """Pause collection until `until` (epoch seconds) for every process; None resumes."""
        with self._locked(), self.db.conn:
            if until is None:
                self.db.execute("DELETE FROM settings WHERE key = ?", [self.PAUSE_KEY])
            else:
                self.db.table("settings").upsert(
                    {"key": self.PAUSE_KEY, "value": repr(float(until))}, pk="key"
                )

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self._locked():
            row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self._locked(), self.db.conn:
            self.db.table("settings").upsert({"key": key, "value": value}, pk="key")

    # events ---------------------------------------------------------------------------------
    def protect_title(self, title: str) -> tuple[str, int]:
        """Return (stored title, hashed flag): a salted hash unless the user opted in."""
        if self.store_titles or not title:
            return title, 0
        digest = hmac.new(self._salt.encode(), title.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:24], 1

    def _row(self, event: Event) -> dict[str, Any]:
        title, hashed = (
            (event.title, 1)
            if event.title_hashed and event.title
            else self.protect_title(event.title)
        )
        rule_set, hits = (
            self._title_evidence(event.title) if hashed and not event.title_hashed else (None, None)
        )
        return {
            "start": event.start,
            "duration": event.duration,
            "source": event.source,
            "app": event.app,
            "title": title,
            "title_hashed": hashed,
            "category": event.category,
            "data": json.dumps(event.data, sort_keys=True),
            "title_rules": rule_set,
            "title_hits": hits,
        }

    def _rules_now(self) -> tuple[categories.Rule, ...] | None:
        """Return the rule table in force, or None when the user's file cannot be read."""
        if self._category_rules is None:
            from desktop.config import CategoryRules

            try:
                self._category_rules = CategoryRules(self.path.parent).rules
            except categories.RulesError:
                return None  # the import or the app says so; the spans just carry no evidence
        return self._category_rules()

    def _title_evidence(self, title: str) -> tuple[str | None, str | None]:
        """Return (digest of the title patterns in force, JSON of those `title` matches)."""
        rules = self._rules_now()
        if rules is None:
            return None, None
        patterns = sorted({rule.title for rule in rules if rule.title})
        text = json.dumps(patterns, ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        self._rule_sets.setdefault(digest, text)
        hits = [p for p in patterns if re.search(p, title, re.IGNORECASE)]
        return digest, (json.dumps(hits, ensure_ascii=False) if hits else None)

    def _save_rule_sets(self) -> None:
        """Write the title-pattern tables that spans of this transaction refer to (lock held)."""
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO title_rule_sets (digest, patterns) VALUES (?, ?)",
            list(self._rule_sets.items()),
        )

    def heartbeat(self, event: Event, pulsetime: float, stream: str | None = None) -> int:
        """Merge a poll into the open span of its stream (same data -> extend); return its id.

        A stream defaults to the event's source; window and afk polls share one stream so that
        an away span cuts the window span it interrupts. When the database cannot be written
        (disk full, read-only, locked) the poll is kept in memory, StoreError says why in one
        line, and the next heartbeat that can write stores every kept poll first: an outage
        loses nothing up to MAX_PENDING_SPANS spans.

        A heartbeat never waits long: at most COLLECTOR_WAIT_S for another thread of the app
        (then the poll waits in memory, silently, for the next one) and as long again for
        another process's write lock (then StoreError says the poll is kept). Returns 0 when
        nothing was written now.
        """
        self._inbox.append((event, pulsetime, stream or event.source))
        if not self._lock.acquire(timeout=COLLECTOR_WAIT_S):
            return 0  # another thread is writing: this poll goes in with the next one
        try:
            self._take_inbox()
            last = dict(self._last)
            try:
                with self._locked(keeping=True), self._collecting(), self.db.conn:
                    row_id = 0
                    for pending, pulse, name in self._pending:
                        if pending is None:
                            last.pop(name, None)
                        else:
                            row_id = self._beat(last, pending, pulse, name)
            except StoreError as exc:
                if self.dropped_spans:  # a stable text: the app says it once, not every poll
                    raise StoreError(
                        f"{exc}; the memory buffer is full, dropping the oldest activity"
                    ) from exc.__cause__
                raise
            # Committed: only now does the open span move (a rolled-back one never existed).
            self._last = last
            self._pending.clear()
            self.dropped_spans = 0
            return row_id
        finally:
            self._lock.release()

    def _take_inbox(self) -> None:
        """Move what heartbeats and span ends handed over into the pending queue (lock held)."""
        while self._inbox:
            event, pulsetime, stream = self._inbox.popleft()
            if event is not None:
                self._keep(event, pulsetime, stream)
            elif self._pending:  # polls still in memory: the span ends after them, not before
                self._pending.append((None, 0.0, stream))
            else:
                self._last.pop(stream, None)

    @property
    def pending_polls(self) -> int:
        """Return how many spans wait in memory for the database to become writable again."""
        with self._lock:
            self._take_inbox()
            return len(self._pending)

    def _keep(self, event: Event, pulsetime: float, stream: str) -> None:
        """Queue a poll; one that continues the last queued activity coalesces into it."""
        if self._pending:
            previous, _, previous_stream = self._pending[-1]
            if (
                previous is not None
                and previous_stream == stream
                and self._key(previous) == self._key(event)
                and previous.start <= event.start <= previous.end + pulsetime
            ):
                merged = dataclasses.replace(
                    previous, duration=max(previous.end, event.end) - previous.start
                )
                self._pending[-1] = (merged, pulsetime, stream)
                return
        self._pending.append((event, pulsetime, stream))
        while len(self._pending) > MAX_PENDING_SPANS:
            self._pending.popleft()
            self.dropped_spans += 1

    @staticmethod
    def _key(event: Event) -> tuple:
        return (
            event.source,
            event.app,
            event.title,
            event.category,
            json.dumps(event.data, sort_keys=True),
        )

    def _beat(
        self,
        last_spans: dict[str, tuple[int, float, float, tuple]],
        event: Event,
        pulsetime: float,
        stream: str,
    ) -> int:
        """Merge one poll inside the caller's transaction, updating `last_spans`; return the id."""
        key = self._key(event)
        last = last_spans.get(stream)
        if last is not None:
            last_id, last_start, last_end, last_key = last
            # Same data and touching or overlapping the open span: extend it. An away poll
            # starts "idle seconds ago", which jitters by milliseconds from poll to poll.
            extend = (
                last_key == key
                and event.start <= last_end + pulsetime
                and event.end >= last_start - 1e-6
            )
            if extend:
                new_end = max(last_end, event.end)
                # `start = ?` guards against a span that `time-sculptor delete` removed or
                # cut meanwhile: then this poll starts a new span instead.
                cursor = self.db.execute(
                    "UPDATE events SET duration = ? WHERE id = ? AND start = ?",
                    [new_end - last_start, last_id, last_start],
                )
                if cursor.rowcount == 1:
                    last_spans[stream] = (last_id, last_start, new_end, last_key)
                    return last_id
            elif event.start <= last_end + pulsetime:
                # Contiguous polls: the previous span lasted until this one began (never
                # overlapping it, never leaving a sub-poll hole between them).
                self.db.execute(
                    "UPDATE events SET duration = ? WHERE id = ? AND start = ?",
                    [max(0.0, event.start - last_start), last_id, last_start],
                )
        if event.source == "afk":
            self._cut_collected_after(event.start, event.end)
        row = self._row(event)
        if row["title_rules"] is not None:
            self._save_rule_sets()
        # Plain SQL, not sqlite-utils' insert: that one commits by itself, which would split
        # a flush of kept polls into several transactions.
        cursor = self.db.execute(
            f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        row_id = int(cursor.lastrowid or 0)
        last_spans[stream] = (row_id, event.start, event.end, key)
        return row_id

    def _cut_collected_after(self, start: float, end: float) -> None:
        """End every collected window and away span at `start`, where a new away span begins.

        The away span reaches back to the last input; focus that changed after it (a dialog,
        a closed window) left window spans there, and the span before it was extended to the
        first of them. Time is away or in a window, never both: what lies after `start` goes.
        Imported spans (they carry an import key) are never touched.
        """
        longest = self.db.execute("SELECT max(duration) FROM events").fetchone()[0]
        rows = self.db.execute(
            "SELECT id, start FROM events WHERE source IN ('window', 'afk')"
            " AND import_key IS NULL AND start < ? AND start >= ? AND start + duration > ?",
            [max(end, start + 1e-9), start - float(longest or 0.0), start],
        ).fetchall()
        for row_id, row_start in rows:
            if row_start >= start:
                self.db.execute("DELETE FROM events WHERE id = ?", [row_id])
            else:
                self.db.execute(
                    "UPDATE events SET duration = ? WHERE id = ?", [start - row_start, row_id]
                )

    def end_span(self, stream: str) -> None:
        """Close the open span of a stream, so the next poll starts a new one (e.g. after a gap)."""
        self._inbox.append((None, 0.0, stream))
        if self._lock.acquire(timeout=COLLECTOR_WAIT_S):  # else the next heartbeat takes it
            try:
                self._take_inbox()
            finally:
                self._lock.release()

    def insert_events(self, events: Iterable[Event]) -> int:
        """Insert spans in one transaction; return how many."""
        rows = [self._row(e) for e in events]
        with self._locked(), self.db.conn:
            self._save_rule_sets()
            self.db.table("events").insert_all(rows, batch_size=1000)
        return len(rows)

    def import_key(self, event: Event, origin: str | None = None) -> str:
        """Return the key that makes re-importing a span a no-op (salted: it reveals no title).

        Spans kept in step with a watched file (`replace_origin`) carry its name in the key, so
        that a one-off import of the same file stays apart from them.
        """
        fields: list[Any] = [
            event.source,
            round(event.start, 6),
            round(event.duration, 6),
            event.app,
            event.title,
            event.title_hashed,
        ]
        if origin is not None:
            fields.append(origin)
        content = json.dumps(fields, ensure_ascii=False)
        return hmac.new(self._salt.encode(), content.encode("utf-8"), hashlib.sha256).hexdigest()

    def import_events(self, events: Iterable[Event]) -> ImportResult:
        """Insert imported spans all-or-nothing, skipping any already imported; say how many."""
        rows = []
        for event in events:
            row = self._row(event)
            row["import_key"] = self.import_key(event)
            rows.append(row)
        if not rows:
            return ImportResult(added=0, duplicates=0)
        columns = list(rows[0])
        sql = (
            f"INSERT OR IGNORE INTO events ({', '.join(columns)})"
            f" VALUES ({', '.join('?' * len(columns))})"
        )
        with self._locked(), self.db.conn:
            self._save_rule_sets()
            cursor = self.db.conn.executemany(sql, [list(row.values()) for row in rows])
            added = max(cursor.rowcount, 0)
        return ImportResult(added=added, duplicates=len(rows) - added)

    def replace_origin(
        self, origin: str, events: Iterable[Event], source: str = "calendar"
    ) -> ReplaceResult:
        """Make the spans of a watched file exactly `events`, in one transaction.

        Spans the file no longer holds (a cancelled or moved meeting) are deleted, new ones
        added, unchanged ones left as they are (same id): calling it twice changes nothing.
        Each span keeps its origin in `data["origin"]`; other imports are never touched.
        """
        rows: dict[str, dict[str, Any]] = {}
        for event in events:
            if event.source != source:
                raise ValueError(f"a {event.source} span among the {source} spans of {origin}")
            tagged = dataclasses.replace(event, data={**event.data, "origin": origin})
            row = self._row(tagged)
            row["import_key"] = self.import_key(tagged, origin)
            rows[row["import_key"]] = row
        with self._locked(), self.db.conn:
            # `source = ?` first: the (source, start) index keeps this to that source's spans.
            stored = self.db.execute(
                "SELECT import_key, id FROM events"
                " WHERE source = ? AND json_extract(data, '$.origin') = ?",
                [source, origin],
            ).fetchall()
            present = {key for key, _ in stored}
            # A piece left by `delete_range` has no key: it goes too (the file says what stays).
            gone = [(row_id,) for key, row_id in stored if key is None or key not in rows]
            self.db.conn.executemany("DELETE FROM events WHERE id = ?", gone)
            new = [row for key, row in rows.items() if key not in present]
            if new:
                self._save_rule_sets()
                columns = list(new[0])
                self.db.conn.executemany(
                    f"INSERT OR IGNORE INTO events ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' * len(columns))})",
                    [list(row.values()) for row in new],
                )
        return ReplaceResult(added=len(new), removed=len(gone), unchanged=len(rows) - len(new))

    def recategorize(self, rules: tuple[categories.Rule, ...]) -> tuple[int, int]:
        """Re-apply a rule table to collected and imported app spans; return (changed, checked).

        A title kept in clear is read again. A hashed title is judged by what it matched while
        it was known: the title rules it matched then, out of the title rules in force then, so
        taking a rule out gives its spans their category back. A title rule the title was never
        checked against cannot be judged: such a span keeps its category. Away and calendar
        spans and excluded apps are never touched.
        """
        compiled = [(r.category, re.compile(r.app, re.IGNORECASE), r.title) for r in rules]
        with self._locked(), self.db.conn:
            tables = {
                digest: frozenset(json.loads(patterns))
                for digest, patterns in self.db.execute(
                    "SELECT digest, patterns FROM title_rule_sets"
                ).fetchall()
            }
            rows = list(
                self.db.execute(
                    "SELECT id, app, title, title_hashed, category, title_rules, title_hits"
                    " FROM events WHERE source NOT IN ('afk', 'calendar') AND app != 'excluded'"
                ).fetchall()
            )
            changes = []
            for row_id, app, title, hashed, old, rule_set, hits in rows:
                if hashed and title:
                    new = _categorize_hashed(
                        app or "",
                        compiled,
                        tables.get(rule_set) if rule_set else None,
                        frozenset(json.loads(hits)) if hits else frozenset(),
                    )
                else:
                    new = categories.categorize_known(app or "", title or "", rules)
                if new is not None and new != old:
                    changes.append((new, row_id))
            self.db.conn.executemany("UPDATE events SET category = ? WHERE id = ?", changes)
        return len(changes), len(rows)

    def _secure_delete(self) -> None:
        # Deleted rows are overwritten, and the WAL emptied, so they are gone from the file too.
        self.db.execute("PRAGMA secure_delete = ON")

    def _after_delete(self) -> None:
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def delete_range(self, start: float, end: float) -> DeleteResult:
        """Remove all activity in [start, end): spans inside go, spans across an edge are cut."""
        if not end > start:
            raise ValueError("the end of the range must come after its start")
        with self._locked():
            self._secure_delete()
            with self.db.conn:
                rows = list(
                    self.db.query(
                        "SELECT * FROM events WHERE start < ? AND start + duration > ?"
                        " OR (duration = 0 AND start >= ? AND start < ?)",
                        [end, start, start, end],
                    )
                )
                deleted = trimmed = 0
                for row in rows:
                    row_start, row_end = row["start"], row["start"] + row["duration"]
                    keep_left, keep_right = row_start < start, row_end > end
                    if not keep_left and not keep_right:
                        self.db.execute("DELETE FROM events WHERE id = ?", [row["id"]])
                        deleted += 1
                        continue
                    trimmed += 1
                    if keep_left:
                        self.db.execute(
                            "UPDATE events SET duration = ? WHERE id = ?",
                            [start - row_start, row["id"]],
                        )
                    if keep_right and keep_left:
                        # A span across the whole range: its tail becomes a span of its own.
                        tail = {k: v for k, v in row.items() if k not in ("id", "import_key")}
                        tail.update(start=end, duration=row_end - end)
                        self.db.table("events").insert(tail)
                    elif keep_right:
                        self.db.execute(
                            "UPDATE events SET start = ?, duration = ? WHERE id = ?",
                            [end, row_end - end, row["id"]],
                        )
                condition = "created_at >= ? AND created_at < ?"
                self.db.execute(
                    "DELETE FROM feedback WHERE suggestion_id IN"
                    f" (SELECT id FROM suggestions WHERE {condition})",
                    [start, end],
                )
                suggestions = self.db.execute(
                    f"DELETE FROM suggestions WHERE {condition}", [start, end]
                ).rowcount
                # Input tallies of every minute that touches the range go with it.
                self.db.execute(
                    "DELETE FROM activity WHERE minute < ? AND minute + 60 > ?", [end, start]
                )
                # Plan blocks that touch the range go too: what was planned says what was done.
                self.db.execute("DELETE FROM plan_blocks WHERE start < ? AND end > ?", [end, start])
            self._after_delete()
            self._take_inbox()
            self._last.clear()
            # Polls still waiting in memory must not bring deleted activity back.
            self._pending = deque(
                (e, p, n)
                for e, p, n in self._pending
                if e is None or not (e.start < end and (e.end > start or e.start >= start))
            )
        return DeleteResult(deleted, trimmed, suggestions)

    def delete_all(self) -> DeleteResult:
        """Remove every span, input tally, suggestion, reaction and plan (settings, models stay)."""
        with self._locked():
            self._secure_delete()
            with self.db.conn:
                spans = self.db.execute("DELETE FROM events").rowcount
                self.db.execute("DELETE FROM activity")
                self.db.execute("DELETE FROM plan_blocks")
                self.db.execute("DELETE FROM plan_items")
                self.db.execute("DELETE FROM feedback")
                suggestions = self.db.execute("DELETE FROM suggestions").rowcount
            self._after_delete()
            self._take_inbox()
            self._last.clear()
            self._pending.clear()
        return DeleteResult(spans, 0, suggestions)

    def events(self, start: float, end: float, sources: Iterable[str] | None = None) -> list[Event]:
        """Return spans overlapping [start, end), oldest first."""
        with self._locked():
            longest = self.db.execute("SELECT max(duration) FROM events").fetchone()[0]
        # `start >= ?` only bounds the index scan: no span starting earlier can reach `start`.
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM events"
            " WHERE start < ? AND start >= ? AND start + duration > ?"
        )
        params: list[Any] = [end, start - float(longest or 0.0), start]
        if sources is not None:
            names = list(sources)
            sql += f" AND source IN ({','.join('?' * len(names))})"
            params += names
        with self._locked():
            rows = self.db.execute(sql + " ORDER BY start, id", params).fetchall()
        return [_event_from_tuple(r) for r in rows]

    # aggregates for reports -----------------------------------------------------------------
    # The dashboard's week (about 20k spans at a year of history) summed in SQL instead of an
    # Event built per span and walked in Python (benchmarks/scale.py). Spans are cut to
    # [start, end) exactly as desktop.reports cuts them: max(start, lo) .. min(end, hi).

    def _overlap_where(
        self,
        start: float,
        end: float,
        sources: Iterable[str] | None,
        exclude_category: str | None,
        *,
        in_start_order: bool = False,
    ) -> tuple[str, list[Any]]:
        """Return the WHERE clause (and its parameters) of spans overlapping [start, end).

        `in_start_order` filters sources with `+source`, which keeps SQLite off the (source,
        start) index: the start index then yields rows already in (start, id) order, unsorted.
        """
        longest = self.db.execute("SELECT max(duration) FROM events").fetchone()[0]
        # `start >= ?` only bounds the index scan: no span starting earlier can reach `start`.
        sql = "start < ? AND start >= ? AND start + duration > ?"
        params: list[Any] = [end, start - float(longest or 0.0), start]
        if sources is not None:
            names = list(sources)
            column = "+source" if in_start_order else "source"
            sql += f" AND {column} IN ({','.join('?' * len(names))})"
            params += names
        if exclude_category is not None:
            sql += " AND category IS NOT ?"
            params.append(exclude_category)
        return sql, params

    def hourly_totals(
        self, start: float, hours: int, sources: Iterable[str] | None = None
    ) -> list[tuple[int, str, str, float]]:
        """Return (hour, source, category, seconds) of spans inside each hour from `start`.

        Hour h is [start + 3600 h, start + 3600 (h + 1)), h < `hours`; pairs without time are
        left out. A span is cut at every hour boundary it crosses (the recursive part walks it
        hour by hour), so one that runs past midnight counts in both days.
        """
        end = start + hours * 3600.0
        with self._locked():
            where, params = self._overlap_where(start, end, sources, None)
            boundary = "(? + (CAST((lo - ?) / 3600.0 AS INTEGER) + 1) * 3600.0)"
            rows = self.db.execute(
                "WITH RECURSIVE pieces(lo, hi, source, category) AS ("
                " SELECT max(start, ?), min(start + duration, ?), source, category"
                f" FROM events WHERE {where}"
                f" UNION ALL SELECT {boundary}, hi, source, category FROM pieces"
                f" WHERE hi > {boundary}"
                ") SELECT CAST((lo - ?) / 3600.0 AS INTEGER) AS hour, source, category,"
                f" sum(min(hi, {boundary}) - lo) FROM pieces WHERE hi > lo"
                " GROUP BY hour, source, category ORDER BY hour, source, category",
                [start, end, *params, start, start, start, start, start, start, start],
            ).fetchall()
        return [
            (int(hour), source, category, float(seconds))
            for hour, source, category, seconds in rows
            if 0 <= hour < hours
        ]

    def clipped_spans(
        self,
        start: float,
        end: float,
        sources: Iterable[str] | None = None,
        *,
        exclude_category: str | None = None,
    ) -> list[tuple[float, float, str]]:
        """Return (start, end, category) of spans cut to [start, end), non-empty, in start order."""
        with self._locked():
            where, params = self._overlap_where(
                start, end, sources, exclude_category, in_start_order=True
            )
            # (start, id) order is (lo, start, id) order: lo = max(start, ?) never decreases.
            rows = self.db.execute(
                "SELECT max(start, ?) AS lo, min(start + duration, ?) AS hi, category"
                f" FROM events WHERE {where} AND min(start + duration, ?) > max(start, ?)"
                " ORDER BY start, id",
                [start, end, *params, end, start],
            ).fetchall()
        return rows

    # input activity ---------------------------------------------------------------------------
    def record_activity(
        self, minutes: Iterable[tuple[float, float, float]], *, collecting: bool = False
    ) -> None:
        """Add (minute start, active seconds, covered seconds) to the per-minute tallies.

        `collecting`: the caller is the poll loop, which keeps the minutes when this fails; the
        write then waits only briefly for another writer, and the error says they are kept.
        """
        rows = [(float(m), float(a), float(c)) for m, a, c in minutes]
        if not rows:
            return
        waiting = self._collecting() if collecting else contextlib.nullcontext()
        with self._locked(keeping=collecting), waiting, self.db.conn:
            self.db.conn.executemany(
                "INSERT INTO activity (minute, active_s, covered_s) VALUES (?, ?, ?)"
                " ON CONFLICT(minute) DO UPDATE SET active_s = active_s + excluded.active_s,"
                " covered_s = covered_s + excluded.covered_s",
                rows,
            )

    def activity(self, start: float, end: float) -> list[tuple[float, float, float]]:
        """Return (minute start, active seconds, covered seconds) of minutes in [start, end)."""
        with self._locked():
            return [
                (float(m), float(a), float(c))
                for m, a, c in self.db.execute(
                    "SELECT minute, active_s, covered_s FROM activity"
                    " WHERE minute >= ? AND minute < ? ORDER BY minute",
                    [start, end],
                ).fetchall()
            ]

    def recent_events(self, limit: int, before: float) -> list[Event]:
        """Return the last `limit` window/afk spans that started before `before`, oldest first."""
        with self._locked():
            rows = list(
                self.db.query(
                    "SELECT * FROM events WHERE source IN ('window', 'afk', 'import') AND start < ?"
                    " ORDER BY start DESC, id DESC LIMIT ?",
                    [before, limit],
                )
            )
        return [_event_from_row(r) for r in reversed(rows)]

    def all_events(self) -> list[Event]:
        """Return every span, oldest first."""
        with self._locked():
            return [
                _event_from_row(r) for r in self.db.query("SELECT * FROM events ORDER BY start, id")
            ]

    def event_count(self) -> int:
        with self._locked():
            return int(self.db.execute("SELECT count(*) FROM events").fetchone()[0])

    # suggestions and feedback ---------------------------------------------------------------
    def add_suggestion(
        self,
        *,
        created_at: float,
        kind: str,
        text: str,
        explanation: str,
        model_version: str,
        features: dict[str, Any],
        score: float,
        propensity: float,
    ) -> int:
        """Log a shown suggestion with all that learning from its outcome needs; return its id."""
        with self._locked(), self.db.conn:
            return int(
                self.db.table("suggestions")
                .insert(
                    {
                        "created_at": created_at,
                        "kind": kind,
                        "text": text,
                        "explanation": explanation,
                        "model_version": model_version,
                        "features": json.dumps(features),
                        "score": score,
                        "propensity": propensity,
                    }
                )
                .last_pk
                or 0
            )

    def record_feedback(
        self,
        suggestion_id: int,
        outcome: str,
        at: float,
        *,
        snooze_minutes: float | None = None,
        context: dict[str, Any] | None = None,
    ) -> bool:
        """Store the user's reaction once; return False if the suggestion already had one."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        with self._locked(), self.db.conn:
            if not self.db.execute(
                "SELECT 1 FROM suggestions WHERE id = ?", [suggestion_id]
            ).fetchone():
                raise KeyError(f"no suggestion {suggestion_id}")
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO feedback"
                " (suggestion_id, outcome, at, snooze_minutes, context)"
                " VALUES (?, ?, ?, ?, ?)",
                [suggestion_id, outcome, at, snooze_minutes, json.dumps(context or {})],
            )
            return cursor.rowcount == 1

    def suggestions(self, since: float = 0.0) -> list[SuggestionRecord]:
        """Return suggestions created since `since` with their outcomes, oldest first."""
        with self._locked():
            rows = self.db.query(
                "SELECT s.*, f.outcome, f.at AS outcome_at,"
                " json_extract(f.context, '$.reason') AS reason FROM suggestions s"
                " LEFT JOIN feedback f ON f.suggestion_id = s.id WHERE s.created_at >= ?"
                " ORDER BY s.created_at, s.id",
                [since],
            )
            return [
                SuggestionRecord(
                    id=r["id"],
                    created_at=r["created_at"],
                    kind=r["kind"],
                    text=r["text"] or "",
                    explanation=r["explanation"] or "",
                    model_version=r["model_version"] or "",
                    features=json.loads(r["features"] or "{}"),
                    score=r["score"] or 0.0,
                    propensity=r["propensity"] or 1.0,
                    outcome=r["outcome"],
                    outcome_at=r["outcome_at"],
                    reason=r["reason"] if isinstance(r["reason"], str) else None,
                )
                for r in rows
            ]

    def snooze_minutes(self, suggestion_id: int) -> float | None:
        """Return how long the user snoozed a suggestion for, if they did."""
        with self._locked():
            row = self.db.execute(
                "SELECT snooze_minutes FROM feedback"
                " WHERE suggestion_id = ? AND outcome = 'snoozed'",
                [suggestion_id],
            ).fetchone()
        return row[0] if row else None

    def last_suggestion(self) -> SuggestionRecord | None:
        with self._locked():
            row = self.db.execute("SELECT max(created_at) FROM suggestions").fetchone()
        if row[0] is None:
            return None
        return self.suggestions(since=row[0])[-1]

    # models ---------------------------------------------------------------------------------
    def record_model(
        self,
        version: str,
        path: str,
        *,
        sha256: str,
        feature_spec_version: int,
        status: str,
        reason: str = "",
        at: float,
    ) -> None:
        """Remember a model version the app activated or refused."""
        with self._locked(), self.db.conn:
            self.db.table("models").upsert(
                {
                    "version": version,
                    "path": path,
                    "sha256": sha256,
                    "feature_spec_version": feature_spec_version,
                    "status": status,
                    "reason": reason,
                    "at": at,
                },
                pk="version",
            )

    def model_history(self) -> list[dict[str, Any]]:
        with self._locked():
            return list(self.db.query("SELECT * FROM models ORDER BY at DESC"))

    # the plan ---------------------------------------------------------------------------------
    def sync_plan_items(self, specs: dict[str, dict[str, Any]], at: float) -> None:
        """Record the plan's items as declared now: new and changed upserted, missing removed."""
        with self._locked(), self.db.conn:
            stored = dict(
                self.db.execute("SELECT key, spec FROM plan_items WHERE removed IS NULL").fetchall()
            )
            for key, spec in specs.items():
                text = json.dumps(spec, sort_keys=True)
                if stored.get(key) == text:
                    continue
                self.db.execute(
                    "INSERT INTO plan_items (key, spec, first_seen, updated, removed)"
                    " VALUES (?, ?, ?, ?, NULL) ON CONFLICT(key) DO UPDATE SET"
                    " spec = excluded.spec, updated = excluded.updated, removed = NULL",
                    [key, text, at, at],
                )
            gone = [(at, key) for key in stored if key not in specs]
            self.db.conn.executemany("UPDATE plan_items SET removed = ? WHERE key = ?", gone)

    def plan_items(self, *, include_removed: bool = False) -> dict[str, dict[str, Any]]:
        """Return the recorded plan items by key (their declared spec), oldest first."""
        sql = "SELECT key, spec FROM plan_items"
        if not include_removed:
            sql += " WHERE removed IS NULL"
        with self._locked():
            rows = self.db.execute(sql + " ORDER BY first_seen, key").fetchall()
        return {key: json.loads(spec) for key, spec in rows}

    def plan_blocks(self, start: float, end: float, item: str | None = None) -> list[PlanBlock]:
        """Return blocks overlapping [start, end) (of one item if given), in start order."""
        sql = f"SELECT {_BLOCK_COLUMNS} FROM plan_blocks WHERE start < ? AND end > ?"
        params: list[Any] = [end, start]
        if item is not None:
            sql += " AND item = ?"
            params.append(item)
        with self._locked():
            rows = self.db.execute(sql + " ORDER BY start, id", params).fetchall()
        return [PlanBlock(*row) for row in rows]

    def plan_block(self, block_id: int) -> PlanBlock | None:
        with self._locked():
            row = self.db.execute(
                f"SELECT {_BLOCK_COLUMNS} FROM plan_blocks WHERE id = ?", [block_id]
            ).fetchone()
        return PlanBlock(*row) if row else None

    def replace_planned_blocks(
        self, since: float, blocks: Iterable[tuple[str, float, float, str]], decided_at: float
    ) -> list[int]:
        """Make the not yet started blocks from `since` on exactly `blocks`, in one transaction.

        `blocks` are (item, start, end, why). A block that is already stored unchanged keeps its
        id and decision time; started, skipped and measured blocks are never touched.
        """
        wanted = [(item, float(s), float(e), why) for item, s, e, why in blocks]
        with self._locked(), self.db.conn:
            stored = self.db.execute(
                "SELECT id, item, start, end FROM plan_blocks"
                " WHERE status = 'planned' AND start >= ?",
                [since],
            ).fetchall()
            by_slot = {(item, s, e): row_id for row_id, item, s, e in stored}
            ids: list[int] = []
            keep: set[int] = set()
            for item, s, e, why in wanted:
                row_id = by_slot.get((item, s, e))
                if row_id is not None and row_id not in keep:
                    keep.add(row_id)
                    self.db.execute("UPDATE plan_blocks SET why = ? WHERE id = ?", [why, row_id])
                    ids.append(row_id)
                    continue
                cursor = self.db.execute(
                    "INSERT INTO plan_blocks (item, start, end, status, decided_at, why)"
                    " VALUES (?, ?, ?, 'planned', ?, ?)",
                    [item, s, e, decided_at, why],
                )
                ids.append(int(cursor.lastrowid or 0))
            gone = [(row_id,) for row_id, *_ in stored if row_id not in keep]
            self.db.conn.executemany("DELETE FROM plan_blocks WHERE id = ?", gone)
        return ids

    def set_block_status(self, block_id: int, status: str) -> None:
        if status not in BLOCK_STATUSES:
            raise ValueError(f"unknown block status {status!r}; expected one of {BLOCK_STATUSES}")
        with self._locked(), self.db.conn:
            self.db.execute("UPDATE plan_blocks SET status = ? WHERE id = ?", [status, block_id])

    def move_block(self, block_id: int, start: float, end: float, at: float) -> None:
        """Move a block where the user put it; re-plans then leave it there ("held")."""
        with self._locked(), self.db.conn:
            cursor = self.db.execute(
                "UPDATE plan_blocks SET start = ?, end = ?, status = 'held', decided_at = ?,"
                " why = 'moved here by you' WHERE id = ?",
                [start, end, at, block_id],
            )
            if cursor.rowcount != 1:
                raise KeyError(f"no plan block {block_id}")

    def record_block_outcome(self, block_id: int, kept_s: float, kept_share: float) -> None:
        """Store how much of an ended block was kept (measured from activity); it is then done."""
        with self._locked(), self.db.conn:
            self.db.execute(
                "UPDATE plan_blocks SET status = 'done', kept_s = ?, kept_share = ? WHERE id = ?",
                [kept_s, kept_share, block_id],
            )

    def record_block_answer(self, block_id: int, answer: str, at: float) -> None:
        """Store the user's answer to "how did it go" for a block."""
        if answer not in BLOCK_ANSWERS:
            raise ValueError(f"unknown answer {answer!r}; expected one of {BLOCK_ANSWERS}")
        with self._locked(), self.db.conn:
            if not self.db.execute("SELECT 1 FROM plan_blocks WHERE id = ?", [block_id]).fetchone():
                raise KeyError(f"no plan block {block_id}")
            self.db.execute(
                "UPDATE plan_blocks SET answer = ?, answered_at = ? WHERE id = ?",
                [answer, at, block_id],
            )

    def app_totals(
        self,
        start: float,
        end: float,
        sources: Iterable[str] | None = None,
        *,
        exclude_category: str | None = None,
    ) -> list[tuple[str, str, str, float]]:
        """Return (category, app, title, seconds) of spans cut to [start, end), non-empty.

        The title is "" where it is stored hashed: a hash means nothing to the user.
        """
        with self._locked():
            where, params = self._overlap_where(start, end, sources, exclude_category)
            rows = self.db.execute(
                "SELECT category, app, CASE WHEN title_hashed THEN '' ELSE title END AS shown,"
                " sum(min(start + duration, ?) - max(start, ?)) AS seconds"
                f" FROM events WHERE {where} GROUP BY category, app, shown"
                " ORDER BY category, app, shown",
                [end, start, *params],
            ).fetchall()
        return [(c, a, t, float(s)) for c, a, t, s in rows if s > 0]
