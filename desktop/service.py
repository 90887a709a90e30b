"""The app without its face: collection, model refresh, suggestions and reactions, Qt-free.

The scheduler (desktop.scheduling) calls `poll`, `tick` and `refresh_model`; the tray or the
headless runner receives suggestions through `on_suggestion` and answers with `react`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from desktop import importers, localtime, policy
from desktop.clock import Clock
from desktop.collect.activity import MinuteTally
from desktop.collect.base import CollectorUnavailable, WindowWatcher
from desktop.collect.system import SystemMonitor, SystemState
from desktop.config import CategoryRules, Config
from desktop.engine import HISTORY_S, Decision, Suggestion, SuggestionEngine
from desktop.models import ModelManager
from desktop.plan import notices
from desktop.plan.planner import Planner
from desktop.store import DB_NAME, DeleteResult, Event, ReplaceResult, Store, StoreError
from edge_model import features, timing
from edge_model.registry import Registry

log = logging.getLogger(__name__)
STREAM = "activity"  # window and afk polls share one heartbeat stream
PERSONALIZED_KEY = "personalized_at"  # when the nightly personal head was last fitted
PERSONALIZE_DAYS = 56  # outcomes the personal head is fitted on
MAX_PENDING_MINUTES = 24 * 60  # input tallies kept in memory while the store cannot be written
TIMING_HEAD_NAME = "timing_head.json"  # the timing head personalized on the user's timeline
TIMING_DAYS = 28  # moments the timing head is personalized on (each with its stays before it)
CONSENT_KEY = "collection_consent"  # the user's yes or no to collection, and when
HEAD_UPDATES_KEY = "head_updates"  # the nightly refits' comparisons, newest last
HEAD_UPDATES_KEPT = 30


def read_consent(store: Store) -> tuple[bool, float] | None:
    """Return (agreed, when) as the user last answered, or None when never asked."""
    try:
        answer = json.loads(store.get_setting(CONSENT_KEY) or "null")
        return bool(answer["agreed"]), float(answer["at"])
    except (ValueError, TypeError, KeyError):
        return None


def write_consent(store: Store, agreed: bool, at: float) -> None:
    """Store the user's answer to "record my activity?"."""
    store.set_setting(CONSENT_KEY, json.dumps({"agreed": bool(agreed), "at": at}))


def head_updates(store: Store) -> list[dict[str, Any]]:
    """Return the nightly refits of the personal heads, oldest first, as recorded."""
    try:
        entries = json.loads(store.get_setting(HEAD_UPDATES_KEY) or "[]")
    except ValueError:
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def record_head_update(store: Store, entry: dict[str, Any]) -> None:
    """Add one refit's comparison to the record (the newest HEAD_UPDATES_KEPT are kept)."""
    entries = (head_updates(store) + [entry])[-HEAD_UPDATES_KEPT:]
    store.set_setting(HEAD_UPDATES_KEY, json.dumps(entries))


def load_timing_head(data_dir: Path, learning: bool) -> timing.TimingHead | None:
    """Return the user's personalized timing head (when learning), else the shipped prior."""
    personal = timing.TimingHead.load(Path(data_dir) / TIMING_HEAD_NAME) if learning else None
    return personal or timing.TimingHead.load(timing.SHIPPED_PRIOR)


def forget_personal_heads(data_dir: Path) -> list[str]:
    """Remove the heads fitted on the user's own data (after "delete everything")."""
    removed = []
    for name in (policy.HEAD_NAME, TIMING_HEAD_NAME):
        path = Path(data_dir) / name
        if path.exists():
            path.unlink()
            removed.append(name)
    return removed


def system_utc_offset(at: float) -> float:
    """Return the system time zone's UTC offset in seconds at `at`, as the zone is now.

    `time.tzset()` re-reads TZ and /etc/localtime, so a zone the user changed (travel) counts
    without a restart; the offset at `at` itself follows DST.
    """
    time.tzset()
    offset = datetime.fromtimestamp(at, UTC).astimezone().utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


@dataclass
class Status:
    """What `time-sculptor status` and the tray tooltip show."""

    data_dir: str
    events: int
    collector: str
    paused_until: float | None
    model_version: str | None
    interpreter: str | None
    last_suggestion: dict[str, Any] | None
    refused_models: dict[str, str]


class AppService:
    """Wires store, collector, model and engine; every method is safe to call from a job thread."""

    def __init__(
        self,
        data_dir: Path,
        config: Config,
        clock: Clock,
        *,
        watcher: WindowWatcher | None = None,
        registry: Registry | None = None,
        rng: np.random.Generator | None = None,
        utc_offset_s: float = 0.0,
        poll_step_s: float | None = None,
        system: SystemMonitor | None = None,
        utc_offset: Callable[[float], float] | None = None,
        require_consent: bool = False,
    ) -> None:
        # `utc_offset(at)` gives the local offset at a moment (`system_utc_offset` in the app)
        # and is asked again at every tick, so DST and travel move the model's local hour and
        # day without a restart; without it the offset stays `utc_offset_s`.
        # With `require_consent` nothing is collected or suggested until the user said yes
        # (`set_consent`, the first-run dialog, `time-sculptor consent yes`); re-read each poll.
        self.data_dir = Path(data_dir)
        self.system = system
        self.config = config
        self.clock = clock
        self.watcher = watcher
        self.store = Store(self.data_dir / DB_NAME, store_titles=config.store_titles)
        # The user's categories.toml before the shipped rules; reloaded when the file changes.
        self.categories = CategoryRules(self.data_dir)
        self.registry = registry or Registry(self.data_dir / "models")
        self.models = ModelManager(self.registry, self.store, clock, on_change=self._model_changed)
        self.utc_offset = utc_offset
        self.utc_offset_s = utc_offset(clock.now()) if utc_offset is not None else utc_offset_s
        self.engine = SuggestionEngine(
            self.store,
            self.models,
            config,
            rng or np.random.default_rng(),
            utc_offset_s,
            head=policy.PersonalHead.load(self.data_dir) if config.learning else None,
            timing_head=load_timing_head(self.data_dir, config.learning),
        )
        # The week's plan: placed from this store's history, kept in step by `plan_tick`.
        self.planner = Planner(self.store, self.data_dir, clock)
        # Simulated seconds between polls (the scheduler may run faster than real time).
        self.poll_step_s = poll_step_s or config.poll_interval_s
        self.on_suggestion: Callable[[Suggestion], None] | None = None
        self.on_model_change: Callable[[str, str], None] | None = None
        self.on_error: Callable[[str], None] | None = None
        # Called with the time a snoozed suggestion is due (the scheduler adds a one-off job).
        self.on_due: Callable[[float], None] | None = None
        # Kept in the store so that `time-sculptor pause` reaches a running app; re-read each poll.
        self.paused_until: float | None = self.store.paused_until()
        self.require_consent = require_consent
        self.consent: tuple[bool, float] | None = read_consent(self.store)
        self.last_decision: Decision | None = None
        self._last_poll: float | None = None
        self._last_error: str | None = None
        self._idle_s = 0.0
        self._on_battery = False
        self._fullscreen = False
        self._foreground: tuple[str, str] | None = None  # (app, category) of the last poll
        self._calendar_stamp: tuple[str, int, int, int] | None = None  # the watched file, read
        # Input intensity per minute from idle-time deltas (never keys): one write a minute.
        self._input = MinuteTally(max_gap_s=max(3.0 * self.poll_step_s, 5.0))
        self._input_pending: list[tuple[float, float, float]] = []
        self._lock = threading.Lock()

    # collection -----------------------------------------------------------------------------
    def _report(self, message: str) -> None:
        if message != self._last_error:  # say a persistent problem once, not once a second
            log.warning("%s", message)
            if self.on_error:
                self.on_error(message)
        self._last_error = message

    def poll(self) -> Event | None:
        """Sample the foreground window and idle time once and merge it into the store."""
        if self.watcher is None:
            return None
        now = self.clock.now()
        with self._lock:
            if self._last_poll is not None and not (
                0.0 <= now - self._last_poll <= max(3.0 * self.poll_step_s, 10.0)
            ):
                # Suspend, a clock jump or a stalled loop: a gap, never counted as activity.
                self.store.end_span(STREAM)
            self._last_poll = now
            state = self._system_state(now)
            if state is not None and (state.is_gap or state.slept_s > 0):
                self.store.end_span(STREAM)  # the machine slept: a gap, not activity
            paused_until = self._read_pause()
            if (paused_until is not None and now < paused_until) or not self.collecting():
                self.store.end_span(STREAM)
                return None
        try:
            window = self.watcher.active_window()
            self._idle_s = idle = self.watcher.idle_seconds()
        except CollectorUnavailable as exc:
            self._report(str(exc))
            return None
        self._save_input(self._input.add(now, idle))
        if state is not None and state.media_playing:
            idle = 0.0  # watching or listening is not being away
        pulse = 1.5 * self.poll_step_s + 1.0
        self._fullscreen = bool(window is not None and window.fullscreen)
        self._foreground = None
        if state is not None and state.screen_locked:
            event = Event(start=now, duration=0.0, source="afk", category="away")
        elif idle >= self.config.afk_after_s:
            # The away span reaches back to the last input and cuts the window span there.
            event = Event(start=now - idle, duration=idle, source="afk", category="away")
        elif window is None:
            return None
        elif self.config.is_excluded(window.app):
            event = Event(
                start=now, duration=0.0, source="window", app="excluded", category="unknown"
            )
        else:
            event = Event(
                start=now,
                duration=0.0,
                source="window",
                app=window.app,
                title=window.title,
                category=self.categories.categorize(window.app, window.title),
            )
        if event.source == "window":
            self._foreground = (event.app, event.category)
        try:
            self.store.heartbeat(event, pulsetime=pulse, stream=STREAM)
            self._last_error = None
        except StoreError as exc:
            self._report(str(exc))
        return event

    def _save_input(self, minutes: list[tuple[float, float, float]]) -> None:
        """Store finished minutes of input intensity; kept in memory while the store cannot."""
        if not minutes and not self._input_pending:
            return
        self._input_pending.extend(minutes)
        del self._input_pending[:-MAX_PENDING_MINUTES]
        try:
            self.store.record_activity(self._input_pending, collecting=True)
        except StoreError as exc:
            self._report(str(exc))
            return
        self._input_pending.clear()

    def _system_state(self, now: float) -> SystemState | None:
        """Return the machine's context (power, lock, media, sleep), or None without a monitor."""
        if self.system is None:
            return None
        try:
            state = self.system.sample(now)
        except Exception as exc:  # a probe must never stop collection; say it once
            self._report(f"system context unavailable: {exc}")
            return None
        self._on_battery = bool(state.on_battery)
        return state

    def _read_pause(self) -> float | None:
        """Return the pause end that the tray or `time-sculptor pause` stored (one key read)."""
        try:
            self.paused_until = self.store.paused_until()
        except StoreError as exc:
            self._report(str(exc))  # keep honouring the last pause we knew of
        return self.paused_until

    def pause(self, minutes: float) -> float:
        """Stop collecting and suggesting for `minutes`; return when it resumes."""
        until = self.clock.now() + 60.0 * minutes
        try:
            self.store.set_paused_until(until)
        except StoreError as exc:
            self._report(str(exc))
        self.paused_until = until
        self.store.end_span(STREAM)
        return until

    def collecting(self) -> bool:
        """Return False while the user has not agreed to collection (when it is required)."""
        if not self.require_consent:
            return True
        try:
            self.consent = read_consent(self.store)
        except StoreError as exc:
            self._report(str(exc))  # keep the last answer we knew of
        return self.consent is not None and self.consent[0]

    def set_consent(self, agreed: bool) -> None:
        """Store the user's yes or no to collection; a no ends the span in progress."""
        now = self.clock.now()
        write_consent(self.store, agreed, now)
        self.consent = (agreed, now)
        if not agreed:
            self.store.end_span(STREAM)

    def resume(self) -> None:
        """Collect and suggest again now (in every process that shares the store)."""
        try:
            self.store.set_paused_until(None)
        except StoreError as exc:
            self._report(str(exc))
        self.paused_until = None

    # model ----------------------------------------------------------------------------------
    def refresh_model(self) -> bool:
        """Pick up a newer model version from the registry; return True if it switched."""
        return self.models.refresh()

    def _model_changed(self, old: str, new: str) -> None:
        if self.on_model_change:
            self.on_model_change(old, new)

    # the watched calendar -----------------------------------------------------------------
    def sync_calendar(self, path: Path) -> ReplaceResult | None:
        """Bring the meetings of a watched .ics file up to date when the file changed.

        The file is the truth for its meetings: one moved or cancelled there moves or goes
        here too (`Store.replace_origin`). An unchanged file (same mtime and size, same day) is
        not even read; a missing or broken one is said in one line and the meetings it gave
        before stay.
        Returns what changed, or None when nothing was done.
        """
        path = Path(path).expanduser()
        # Read again once a day as well: endless repeats then keep reaching `future_days` ahead.
        day = int(self.clock.now() // 86_400)
        try:
            stat = path.stat()
            stamp = (str(path), stat.st_mtime_ns, stat.st_size, day)
            missing = None
        except OSError as exc:
            stamp, missing = (str(path), -1, -1, day), exc.strerror or str(exc)
        if stamp == self._calendar_stamp:
            return None
        # Each state of the file is read once: a broken or missing file is said once, and
        # read again when it changes.
        self._calendar_stamp = stamp
        if missing is not None:
            self._report(
                f"{path}: cannot read the watched calendar ({missing});"
                " keeping the meetings imported from it"
            )
            return None
        try:
            parsed = importers.parse_file(path, "ics", self.config, now=self.clock.now())
            events = importers.prepare(parsed, self.config, self.categories.rules())
            result = self.store.replace_origin(f"ics:{path.resolve()}", events)
        except importers.ImportFailed as exc:
            self._report(f"{exc}; keeping the meetings imported before")
            return None
        except StoreError as exc:
            self._calendar_stamp = None  # nothing was written: try again at the next check
            self._report(str(exc))
            return None
        log.info(
            "%s: %d meetings added, %d removed, %d unchanged",
            path,
            result.added,
            result.removed,
            result.unchanged,
        )
        return result

    # local time -----------------------------------------------------------------------------
    def apply_config(self, config: Config) -> None:
        """Make a saved Config govern the running app now, not only at the next start."""
        with self._lock:
            self.config = config
            self.store.store_titles = config.store_titles
            engine = self.engine
            engine.config = config
            engine.timing_head = load_timing_head(self.data_dir, config.learning)
            engine.rules = policy.HardRules(config)
            engine.bandit.config = config
            engine.invalidate()

    def delete_range(self, start: float, end: float) -> DeleteResult:
        """Delete what was recorded between two moments; forget what was derived from it."""
        result = self.store.delete_range(start, end)
        self.engine.forget_history()
        return result

    def delete_all(self) -> DeleteResult:
        """Delete everything recorded; forget what was derived from it."""
        result = self.store.delete_all()
        forget_personal_heads(self.data_dir)
        self.engine.head = None
        self.engine.timing_head = load_timing_head(self.data_dir, self.config.learning)
        self.engine.forget_history()
        return result

    def _follow_local_time(self, now: float) -> None:
        """Take up the local UTC offset at `now` (a DST change, a new time zone) if it moved."""
        if self.utc_offset is None:
            return
        try:
            offset = float(self.utc_offset(now))
        except (OSError, ValueError, OverflowError) as exc:
            self._report(f"cannot read the local time zone ({exc}); keeping the last offset")
            return
        if offset == self.utc_offset_s:
            return
        log.info("local UTC offset changed from %+.0f s to %+.0f s", self.utc_offset_s, offset)
        self.utc_offset_s = offset
        self.engine.set_utc_offset(offset)

    # suggestions ----------------------------------------------------------------------------
    def tick(self) -> Decision | None:
        """Expire unanswered suggestions, then ask the engine whether to suggest now."""
        now = self.clock.now()
        self._follow_local_time(now)
        paused_until = self._read_pause()
        if (paused_until is not None and now < paused_until) or not self.collecting():
            return None
        try:
            self.expire_unanswered(now)
            in_meeting = bool(self.store.events(now, now + 1.0, sources=("calendar",)))
            foreground = self._foreground
            decision = self.engine.consider(
                now,
                idle_s=self._idle_s,
                in_meeting=in_meeting,
                on_battery=self._on_battery,
                fullscreen=self._fullscreen,
                foreground_app=foreground[0] if foreground else None,
                foreground_category=foreground[1] if foreground else None,
            )
        except StoreError as exc:
            self._report(str(exc))
            return None
        self.last_decision = decision
        if decision.suggestion is not None and self.on_suggestion is not None:
            self.on_suggestion(decision.suggestion)
        return decision

    def plan_tick(self) -> Suggestion | None:
        """Keep the week's plan in step and show a block's start when it is due."""
        now = self.clock.now()
        paused_until = self._read_pause()
        if (paused_until is not None and now < paused_until) or not self.collecting():
            return None
        try:
            self.planner.refresh(now)
            self.engine.replaced_kinds = notices.replaced_kinds(self.planner.plan())
            block, kind = notices.due_block(self.planner, now), notices.BLOCK_KIND
            if block is None:  # no block starts: maybe one the user started just ended
                block, kind = notices.ended_block(self.planner, now), notices.END_KIND
            if block is None:
                return None
            in_meeting = bool(self.store.events(now, now + 1.0, sources=("calendar",)))
            app, category = self._foreground or ("", "")
            moment = policy.Moment(
                now, self.utc_offset_s, in_meeting, self._fullscreen, app, category
            )
            if self.engine.rules.moment_block(moment):
                return None  # tried again at the next tick, until ten minutes into the block
            suggestion_id = notices.log_notice(self.store, self.planner, block, now, kind)
        except StoreError as exc:
            self._report(str(exc))
            return None
        self.engine.invalidate()
        text, why = notices.text_of(self.planner, block, kind)
        suggestion = Suggestion(suggestion_id, kind, text, why, 1.0, 1.0, now, "")
        if self.on_suggestion is not None:
            self.on_suggestion(suggestion)
        return suggestion

    def expire_unanswered(self, now: float) -> int:
        """Record suggestions left unanswered past the expiry as ignored; return how many."""
        expired = 0
        for record in self.store.suggestions(since=now - 24 * 3600.0):
            age = now - record.created_at
            # A suggestion "from the future" means the clock was set back: it is not on screen.
            if record.outcome is None and (age >= self.config.expire_after_s or age < 0):
                expired += self.store.record_feedback(record.id, "ignored", now)
        return expired

    def react(
        self,
        suggestion_id: int,
        outcome: str,
        snooze_minutes: float | None = None,
        reason: str | None = None,
    ) -> bool:
        """Store the user's reaction with the context it happened in; False if already answered.

        `reason` is the "Not like this" choice (bad_moment, too_frequent, not_useful).
        """
        now = self.clock.now()
        recent = self.store.events(now - HISTORY_S, now, sources=("window", "afk"))
        timeline = features.Timeline.from_spans(recent)
        current = recent[-1] if recent else None
        context = {
            "at": now,
            "minutes_active": round(features.minutes_active_without_break(timeline, now), 2),
            "current_app": current.app if current else None,
            "current_category": current.category if current else None,
            "idle_s": self._idle_s,
            "model_version": self.models.version,
        }
        if reason:
            context["reason"] = reason
        if outcome == "snoozed" and snooze_minutes is None:
            snooze_minutes = self.config.default_snooze_min
        stored = self.store.record_feedback(
            suggestion_id, outcome, now, snooze_minutes=snooze_minutes, context=context
        )
        self.engine.invalidate()
        if stored:
            self._answer_block(suggestion_id, outcome)
        due = self.next_due_at()
        if stored and due is not None and self.on_due is not None:
            self.on_due(due)
        return stored

    def _answer_block(self, suggestion_id: int, outcome: str) -> None:
        """Start, move or skip the block a plan notice was about (Start / Move / Skip), or
        record how it went (the question at its end)."""
        recent = self.store.suggestions(since=self.clock.now() - 7 * 86400.0)
        record = next((r for r in recent if r.id == suggestion_id), None)
        if record is None or record.kind not in notices.KINDS:
            return
        block_id = record.features.get("plan_block")
        if isinstance(block_id, int):
            done = notices.apply_answer(self.planner, block_id, outcome, record.kind)
            log.info("plan block %s: %s", block_id, done)

    def next_due_at(self) -> float | None:
        """Return when a snoozed suggestion is due again, or None when none is owed.

        Derived from the store alone (the last suggestion, snoozed, and when), so a restart
        neither loses it nor shows it twice: once it is shown again it is no longer the last.
        """
        last = self.store.last_suggestion()
        if last is None or last.outcome != "snoozed":
            return None
        snooze = self.engine.rules.pending_snooze(
            [last], {last.id: self.store.snooze_minutes(last.id) or 0.0}
        )
        return snooze.due_at if snooze else None

    # personalization --------------------------------------------------------------------------
    def personalize(self) -> dict[str, Any]:
        """Refit the on-device personal head on stored outcomes; save it; return a summary."""
        now = self.clock.now()
        examples, times = [], []
        for record in self.store.suggestions(since=now - PERSONALIZE_DAYS * 86400.0):
            context = record.features.get("context") if record.features else None
            if record.outcome is None or not context:
                continue
            examples.append(
                (
                    record.kind,
                    record.score,
                    np.asarray(context, dtype=np.float64),
                    1.0 if record.outcome == "accepted" else 0.0,
                    record.propensity,
                )
            )
            times.append(record.created_at)
        # The refit replaces the head in use unless that one predicts the answers since it better.
        in_use = policy.PersonalHead.load(self.data_dir)
        head, update = policy.gate_head(in_use, examples, now, times)
        path = None
        if update.installed and head is not None:
            path = head.save(self.data_dir)
            if self.config.learning:
                self.engine.head = head
        record_head_update(self.store, update.record("acceptance", now))
        self.store.set_setting(PERSONALIZED_KEY, repr(now))
        summary = {
            "at": now,
            "path": str(path) if path is not None else None,
            "installed": update.installed,
            "reason": update.reason,
            "outcomes": head.counts if head is not None else {},
            "fitted": sorted(head.weights) if head is not None else [],
            "timing": self._personalize_timing(now),
        }
        log.info("personal head refitted: %s", summary)
        return summary

    def _personalize_timing(self, now: float) -> dict[str, Any]:
        """Refit the timing head on the user's last TIMING_DAYS of moments; save it."""
        prior = timing.TimingHead.load(timing.SHIPPED_PRIOR)
        runtime = self.models.current
        if prior is None or runtime is None:
            return {"skipped": "no timing prior or no valid model"}
        since = now - TIMING_DAYS * localtime.DAY_S
        # Stays from before the first moment too: each moment sees STAY_DAYS of them.
        spans = self.store.events(
            since - timing.STAY_DAYS * localtime.DAY_S, now, sources=("window", "afk", "import")
        )
        rows, soon, minutes, times = timing.labelled_rows(
            spans, runtime, np.random.default_rng(int(now)), since, utc_offset_s=self.utc_offset_s
        )
        in_use = timing.TimingHead.load(self.data_dir / TIMING_HEAD_NAME)
        head, update = timing.gate(prior, in_use, rows, soon, minutes, times, now)
        record_head_update(self.store, {"at": now, "part": "timing"} | update)
        if not update["installed"]:
            return {"installed": False, "reason": update["reason"]}
        path = head.save(self.data_dir / TIMING_HEAD_NAME)
        if self.config.learning:
            self.engine.timing_head = head
        return {"path": str(path), "installed": True, "reason": update["reason"]} | head.trained_on

    def maybe_personalize(self) -> bool:
        """Run the nightly personalization once per local day after `personalize_hour`."""
        now = self.clock.now()
        self._follow_local_time(now)
        if localtime.local_hour(now, self.utc_offset_s) < self.config.personalize_hour:
            return False
        try:
            last = float(self.store.get_setting(PERSONALIZED_KEY) or "nan")
        except ValueError:
            last = float("nan")
        today = localtime.local_day(now, self.utc_offset_s)
        if last == last and localtime.local_day(last, self.utc_offset_s) >= today and last <= now:
            return False
        try:
            self.personalize()
        except StoreError as exc:
            self._report(str(exc))
            return False
        return True

    def status(self) -> Status:
        """Return what the app is doing right now."""
        last = self.store.last_suggestion()
        runtime = self.models.current
        return Status(
            data_dir=str(self.data_dir),
            events=self.store.event_count(),
            collector=self.watcher.name if self.watcher else "none",
            paused_until=self._read_pause(),
            model_version=runtime.version if runtime else None,
            interpreter=runtime.backend if runtime else None,
            last_suggestion=None
            if last is None
            else {
                "id": last.id,
                "kind": last.kind,
                "at": last.created_at,
                "score": last.score,
                "outcome": last.outcome,
                "model_version": last.model_version,
            },
            refused_models=dict(self.models.refused),
        )

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        with self._lock:
            self._save_input(self._input.flush())  # the minute in progress
        self.store.close()
