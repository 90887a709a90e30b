"""The suggestion engine: store -> featurizer -> model -> policy -> a suggestion, or why not.

Plain Python, no Qt: the scheduler calls `SuggestionEngine.consider`, the UI only shows results.
At each tick: the hard rules (desktop.policy.HardRules) first, before any scoring; then a due
snooze comes back; then each kind's candidate generator says whether its moment has come; the
model scores the candidates, the personal head adjusts the scores, and the Thompson-sampling
bandit (desktop.policy.ThompsonPolicy) shows one or holds, with the probability of its choice
logged next to the exact features, so offline learning stays unbiased.

When the current activity ends (the "natural break" every timed kind waits for) is the
network's switch-soon output read through the timing head (`edge_model.timing`) with the user's
own stays in the current app, when a timing head is loaded (the service loads one).

Which model head is used: the shipped model's acceptance head has one output per kind, but only
`break` was trained with labels (synthetic people's reactions); the other outputs are untrained.
So `break` uses the model's head and every other kind a stated prior (`KIND_PRIORS`), both then
adjusted by the user's own reactions (personal head + bandit posteriors).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from desktop import localtime, policy
from desktop.config import Config
from desktop.models import ModelManager
from desktop.store import Event, Store, SuggestionRecord
from edge_model import features, timing
from edge_model.categories import CATEGORIES, DISTRACTION_CATEGORIES

HISTORY_S = 16 * 3600.0  # enough history to find the last break and fill the sequence
PROFILE_DAYS = 14  # habits (focus hours, usual end of day) come from this much history
PROFILE_MIN_DAYS = 3  # fewer active days than this: no habit-based suggestion yet
RECORDS_DAYS = 28  # outcomes the bandit learns from
MIN_SHOW_PROBABILITY = 0.05
IDLE_HOLD_S = 60.0
MAIN_WORK = frozenset({"development", "office", "design"})
BREAK_TEXT = "Time for a short break: stand up, stretch and rest your eyes for five minutes."
MICRO_BREAK_TEXT = (
    "A micro-break? Look away from the screen for twenty seconds and roll your shoulders."
)
TEXTS = {
    "focus": "Your best focus hours start now: close chat, pick one task, give it the next hour.",
    "distraction": "Still on this? If it was meant to be a short pause, now is a good moment to "
    "get back to what you planned.",
    "wrap_up": "Wrapping up soon? Take five minutes to note where you stopped and plan tomorrow.",
    "meeting_prep": "A meeting starts soon: a minute to read the agenda, get water, close tabs.",
}
# Kinds without trained labels in the model use these priors (the chance a user welcomes one at a
# moment its generator chose), then learn from the user's reactions.
KIND_PRIORS = {"focus": 0.55, "distraction": 0.4, "wrap_up": 0.5, "meeting_prep": 0.6}
MODEL_KINDS = frozenset({"break"})  # kinds whose model head was trained with labels
# Kinds that are fine mid-flow (tied to a moment) get no natural-break timing factor.
UNTIMED_KINDS = frozenset({"meeting_prep", "distraction"})
# Kinds whose generator already waits for a natural break inside their window (a predicted
# switch, or the window's last chance): only being in flow lowers their timing factor. Scaling
# them by the switch prediction a second time put their prior x timing under the threshold at
# nearly every tick of their window, so they almost never fired.
GENERATOR_TIMED_KINDS = frozenset({"wrap_up"})
DISTRACTION_AFTER_MIN = 20.0
# A distraction stretch tolerates glances (<= this long) at anything, and browsing (which may be
# aimless), as long as at least DISTRACTION_MIN_SHARE of it is social, video or games.
DISTRACTION_GLANCE_S = 60.0
DISTRACTION_MIN_SHARE = 1.0 / 3.0
# The wrap-up window around the usual end of work (hours before and after it); in its last
# WRAP_UP_LAST_CHANCE_H it no longer waits for a predicted switch.
WRAP_UP_BEFORE_H = 0.5
WRAP_UP_AFTER_H = 0.25
WRAP_UP_LAST_CHANCE_H = 0.25
WRAP_UP_MIN_WORK_MIN = 180.0
# The end of a day's work: when all but this much of its main work was done (evening glances
# at a document, seconds each, do not move it; the median over days smooths overtime), then on
# through the activity that follows without a pause (the last messages, closing up), for at
# most WORK_END_TAIL_S; a gap of WORK_END_PAUSE_S ends it.
WORK_END_SLACK_S = 300.0
WORK_END_TAIL_S = 1800.0
WORK_END_PAUSE_S = 300.0
# Deep work: main work in one app for at least this long. The focus hours are the two hours with
# the most of it: volume alone (all main-work seconds) pointed at hours that are merely busy,
# full of glances and chats, and on simulated people missed their focus hours about half the
# time; deep work found them.
DEEP_WORK_S = 300.0
LONG_BREAK_AFTER_MIN = 90.0
# Occlusion groups: context feature indices -> a neutral value (edge_model.features._one).
NEVER_SUGGESTED = float(np.log1p(24 * 60.0) / 5.0)
OCCLUSION: dict[str, dict[int, float]] = {
    "minutes_active": {5: 0.0},
    "current_activity": {6: 0.0},
    "time_of_day": {0: 0.0, 1: 0.0},  # the centre of the daily circle: no time of day
    "weekday": {2: 0.0, 3: 0.0, 4: 2.0 / 7.0},
    "since_suggestion": {8: NEVER_SUGGESTED},
    "meeting": {9: 0.0},
    "battery": {10: 0.0},
}
OCCLUSION_MIN_DROP = 0.02


@dataclass(frozen=True)
class Suggestion:
    """A suggestion that was logged and should be shown now."""

    id: int
    kind: str
    text: str
    explanation: str
    score: float
    propensity: float
    created_at: float
    model_version: str


@dataclass
class Decision:
    """What the engine concluded at one moment, shown or not, and why."""

    at: float
    kind: str = "break"
    shown: bool = False
    reason: str = ""
    score: float | None = None
    switch_soon: float | None = None
    propensity: float | None = None
    minutes_active: float = 0.0
    next_category: str | None = None
    suggestion: Suggestion | None = None
    context: dict[str, Any] = field(default_factory=dict)
    candidates: dict[str, str] = field(default_factory=dict)  # kind -> "candidate" or why not
    show_probabilities: dict[str, float] = field(default_factory=dict)
    # kind -> (acceptance prior, timing factor) of each candidate offered to the bandit
    arms: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """The user's habits, from the store's last PROFILE_DAYS days (local time)."""

    active_days: int = 0
    focus_start: float | None = None  # start of the 2-hour window with most deep work
    work_start: float | None = None  # median first hour of work on work days
    work_end: float | None = None  # median hour at which work was done, on work days
    works_weekends: bool = False

    def is_work_time(self, hour: float, weekday: int) -> bool:
        """Return True in the user's usual working time (9-17 on weekdays until known)."""
        if weekday >= 5 and not self.works_weekends:
            return False
        start = self.work_start if self.work_start is not None else 9.0
        end = self.work_end if self.work_end is not None else 17.0
        return start <= hour < end


@dataclass(frozen=True)
class DaySummary:
    """One local day of window activity, as the profile needs it."""

    weekend: bool
    work_per_hour: np.ndarray  # seconds of main work in each local hour (24 values)
    work_s: float
    first_work: float | None  # local hour of the first main-work span
    last_active: float | None  # local hour at which the last window span ended
    last_work: float | None = None  # local hour by which all but WORK_END_SLACK_S of work was done
    # seconds of deep work (main-work spans of DEEP_WORK_S or longer) by local half hour (48)
    deep_per_half_hour: np.ndarray | None = None


def summarize_day(spans: list[Event], day: int, utc_offset_s: float) -> DaySummary:
    """Return the summary of local day `day` from the window spans that start in it."""
    per_hour = np.zeros(24)
    deep = np.zeros(48)
    first = last = None
    work_s = 0.0
    work_spans: list[tuple[float, float]] = []  # (local start hour, seconds) of main work
    activity: list[tuple[float, float]] = []  # (start hour, end hour) of the day's spans
    for span in spans:
        if span.source not in ("window", "import") or span.duration <= 0:
            continue
        if localtime.local_day(span.start, utc_offset_s) != day:
            continue
        hour = localtime.local_hour(span.start, utc_offset_s)
        end = min(24.0, hour + span.duration / 3600.0)
        activity.append((hour, end))
        last = end if last is None else max(last, end)
        if span.category in MAIN_WORK:
            per_hour[int(hour) % 24] += span.duration
            work_s += span.duration
            first = hour if first is None else min(first, hour)
            work_spans.append((hour, span.duration))
            if span.duration >= DEEP_WORK_S:
                deep[int(hour * 2) % 48] += span.duration
    last_work = None
    done = 0.0
    for hour, duration in sorted(work_spans):
        if done + duration >= work_s - WORK_END_SLACK_S:
            # The moment inside this span at which the day's work was all but done.
            needed = max(0.0, work_s - WORK_END_SLACK_S - done)
            last_work = min(24.0, hour + needed / 3600.0)
            break
        done += duration
    if last_work is not None:
        limit = last_work + WORK_END_TAIL_S / 3600.0
        for start, end in sorted(activity):  # window spans only: time away is a gap
            if end <= last_work:
                continue
            if start - last_work >= WORK_END_PAUSE_S / 3600.0 or start >= limit:
                break
            last_work = min(limit, max(last_work, end))
    return DaySummary(
        localtime.day_weekday(day) >= 5, per_hour, work_s, first, last, last_work, deep
    )


def build_profile(days: list[DaySummary]) -> Profile:
    """Return the habits found in day summaries (work time per hour, start and end of days)."""
    active = [d for d in days if d.last_active is not None]
    if not active:
        return Profile()
    per_hour = np.sum([d.work_per_hour for d in active], axis=0)
    work_days = [d for d in active if d.work_s >= 2 * 3600.0]
    weekends = [d for d in days if d.weekend]
    weekend_work = sum(1 for d in work_days if d.weekend)
    focus_start = None
    deep = np.sum([d.deep_per_half_hour for d in active if d.deep_per_half_hour is not None], 0)
    if work_days and np.sum(deep) > 0:
        window = sum(np.roll(deep, -k) for k in range(4))  # two hours from each half hour
        focus_start = float(np.argmax(window)) / 2.0
    elif work_days and per_hour.sum() > 0:
        focus_start = float(np.argmax(per_hour + np.roll(per_hour, -1)))
    firsts = [d.first_work for d in work_days if d.first_work is not None]
    # The end of work, not of the day: evening videos or games after work do not move it.
    lasts = [d.last_work for d in work_days if d.last_work is not None]
    return Profile(
        active_days=len(active),
        focus_start=focus_start,
        work_start=float(np.median(firsts)) if firsts else None,
        work_end=float(np.median(lasts)) if lasts else None,
        works_weekends=bool(weekends) and weekend_work / len(weekends) >= 0.5,
    )


@dataclass(frozen=True)
class Candidate:
    kind: str
    text: str
    why: str  # the generator's own reason, from the inputs


class SuggestionEngine:
    """Decides, at each tick, whether one suggestion is due now and which, and says why."""

    def __init__(
        self,
        store: Store,
        models: ModelManager,
        config: Config,
        rng: np.random.Generator,
        utc_offset_s: float = 0.0,
        *,
        head: policy.PersonalHead | None = None,
        timing_head: timing.TimingHead | None = None,
    ) -> None:
        self.store = store
        self.models = models
        self.config = config
        self.rng = rng
        self.utc_offset_s = utc_offset_s
        self.rules = policy.HardRules(config)
        self.bandit = policy.ThompsonPolicy(config, rng)
        self.head = head
        # Kinds that something else now does (the plan's block starts replace "focus").
        self.replaced_kinds: frozenset[str] = frozenset()
        self._taught = policy.Lessons()
        # When the current activity ends: the network's guess, corrected by the timing head.
        self.timing_head = timing_head
        self._stays = timing.AppStays()  # finished stays up to `_stays_until`
        self._stays_until: float | None = None
        self._stays_day: int | None = None
        self._records: list[SuggestionRecord] = []
        self._records_key: tuple[Any, ...] | None = None
        self._records_at = -math.inf
        self._posterior_key: tuple[Any, ...] | None = None
        self._posterior_cache: dict[tuple[str, int], tuple[float, float]] = {}
        self._profile = Profile()
        self._profile_day: int | None = None
        self._days: dict[int, DaySummary] = {}
        self._spans: list[Event] = []  # spans that ended before `_spans_cut` (they do not change)
        self._spans_cut: float | None = None
        self._spans_full_at = -math.inf

    def taught(self, now: float, records: list[SuggestionRecord]) -> policy.Lessons:
        """Return what the user's "Not like this" answers of the last month teach.

        Nothing while learning is off: then the app does not adapt to answers at all.
        """
        if not self.config.learning:
            return policy.Lessons()
        return policy.lessons(records, now, self.utc_offset_s, forgotten_reasons(self.store))

    # cached store reads ---------------------------------------------------------------------
    def records(self, now: float) -> list[SuggestionRecord]:
        """Return recent suggestions with outcomes (re-read when the last one changes)."""
        last = self.store.last_suggestion()
        key = None if last is None else (last.id, last.outcome, last.outcome_at)
        if key != self._records_key or now - self._records_at > 1800.0 or now < self._records_at:
            self._records = self.store.suggestions(since=now - RECORDS_DAYS * localtime.DAY_S)
            self._records_key, self._records_at = key, now
        return self._records

    def _posteriors(
        self, records: list[SuggestionRecord]
    ) -> dict[tuple[str, int], tuple[float, float]]:
        """Return the bandit's arm posteriors (recomputed when the records or the head change)."""
        key = (self._records_key, self._records_at, id(self.head), len(records))
        if self._posterior_key != key:
            outcomes = []
            for r in records:
                if r.outcome is None:
                    continue
                prior = r.score
                context = r.features.get("context") if r.features else None
                if self.head is not None and self.config.learning and context:
                    prior = self.head.adjust(r.kind, prior, np.asarray(context))
                outcomes.append((r.kind, r.created_at, prior, r.outcome))
            self._posterior_cache = self.bandit.posteriors(outcomes, self.utc_offset_s)
            self._posterior_key = key
        return self._posterior_cache

    def invalidate(self) -> None:
        """Forget cached suggestions (after a reaction was stored)."""
        self._records_key = ("stale",)

    def set_utc_offset(self, utc_offset_s: float) -> None:
        """Take up a new local UTC offset (a DST change, a new time zone).

        What was derived from local days and hours is stale: the per-day summaries, the
        profile of the last days and the bandit's posteriors by part of day.
        """
        self.utc_offset_s = utc_offset_s
        self._days.clear()
        self._profile_day = None
        self._posterior_key = None
        self._stays_until = None

    def forget_history(self) -> None:
        """Drop everything derived from stored history (after the user deleted some of it)."""
        self.set_utc_offset(self.utc_offset_s)
        self.invalidate()

    def profile(self, now: float) -> Profile:
        """Return the user's habits over the past PROFILE_DAYS days, recomputed once a day.

        Finished days never change, so each is summarized once (a day's spans, not two weeks').
        """
        today = localtime.local_day(now, self.utc_offset_s)
        if self._profile_day == today:
            return self._profile
        wanted = range(today - PROFILE_DAYS, today)
        self._days = {d: v for d, v in self._days.items() if d in wanted}
        for day in wanted:
            if day not in self._days:
                start = day * localtime.DAY_S - self.utc_offset_s
                spans = self.store.events(
                    start, start + localtime.DAY_S, sources=("window", "import")
                )
                self._days[day] = summarize_day(spans, day, self.utc_offset_s)
        self._profile = build_profile([self._days[d] for d in wanted])
        self._profile_day = today
        return self._profile

    def history(self, now: float) -> list[Event]:
        """Return window/afk spans of the last HISTORY_S, reading only the recent ones anew.

        Spans that ended more than ten minutes ago do not change (heartbeats extend only the
        current one), so they are kept; the whole window is re-read every 30 minutes, so an
        edit such as `time-sculptor delete` reaches the engine within that time.
        """
        sources = ("window", "afk", "import")
        cut = self._spans_cut
        if cut is None or now < cut or now - self._spans_full_at > 1800.0:
            spans = self.store.events(now - HISTORY_S, now, sources=sources)
            self._spans_full_at = now
        else:
            fresh = self.store.events(cut, now, sources=sources)
            ids = {s.id for s in fresh}
            kept = [s for s in self._spans if s.end > now - HISTORY_S and s.id not in ids]
            spans = sorted(kept + fresh, key=lambda s: (s.start, s.id or 0))
        self._spans_cut = now - 600.0
        self._spans = [s for s in spans if s.end <= self._spans_cut]
        return spans

    # the decision -----------------------------------------------------------------------------
    def consider(
        self,
        now: float,
        *,
        idle_s: float = 0.0,
        in_meeting: bool = False,
        on_battery: bool = False,
        fullscreen: bool = False,
        foreground_app: str | None = None,
        foreground_category: str | None = None,
    ) -> Decision:
        """Return the decision for this moment; a shown suggestion is logged in the store."""
        full_history = self.history(now)
        spans = trim_history(full_history, now)
        timeline = features.Timeline.from_spans(spans)
        minutes_active = features.minutes_active_without_break(timeline, now)
        decision = Decision(at=now, minutes_active=minutes_active)
        current = next((s for s in reversed(spans) if s.source != "afk" and s.start <= now), None)
        app = foreground_app if foreground_app is not None else (current.app if current else "")
        category = (
            foreground_category
            if foreground_category is not None
            else (current.category if current else "")
        )
        moment = policy.Moment(
            now, self.utc_offset_s, in_meeting, fullscreen, app or "", category or ""
        )
        # 1. Hard rules about the moment: before any scoring.
        block = self.rules.moment_block(moment)
        if block:
            decision.reason = block
            return decision
        runtime = self.models.current
        if runtime is None:
            decision.reason = "no valid model installed"
            return decision
        records = self.records(now)
        last = records[-1] if records else None
        calendar = self.store.events(now, now + 16 * 60.0, sources=("calendar",))
        upcoming = [e for e in calendar if e.start > now]
        context = features.Context(
            now=now,
            utc_offset_s=self.utc_offset_s,
            idle_seconds=idle_s,
            in_meeting=in_meeting,
            meeting_minutes_next_hour=sum(min(e.duration, 3600.0) for e in upcoming) / 60.0,
            on_battery=on_battery,
            minutes_since_suggestion=(now - last.created_at) / 60.0 if last else 24 * 60.0,
        )
        inputs = features.featurize(timeline, context)
        prediction = runtime.predict(inputs)
        if self.timing_head is not None and current is not None:
            prediction = self._timed(prediction, inputs, now, full_history, current)
        decision.switch_soon = prediction.switch_soon
        decision.next_category = CATEGORIES[int(np.argmax(prediction.next_category))]
        decision.context = features.describe_context(inputs)
        decision.score = self._base_score("break", prediction)
        if idle_s >= IDLE_HOLD_S:
            decision.reason = "the user is away from the keyboard"
            return decision
        # 2. A snoozed suggestion comes back at the first tick at or after its snooze end.
        snooze = self.rules.pending_snooze(records, self._snoozes(records))
        if snooze is not None:
            decision.kind = snooze.kind
            if now < snooze.due_at:
                decision.reason = f"snoozed until {snooze.due_at:.0f}"
                return decision
            return self._show_due(decision, snooze, timeline, inputs, prediction, runtime, app)
        # 3. Rules about the history that hold whatever the kind.
        block = self.rules.history_block(now, records, self.utc_offset_s)
        if block:
            decision.reason = block
            return decision
        # 4. Candidates, each with its own rules, then the bandit; what the user said with their
        # "Not like this" answers stretches gaps and lowers kinds and moments.
        self._taught = self.taught(now, records)
        hour = localtime.local_hour(now, self.utc_offset_s)
        in_flow = self._in_flow(timeline, now, category)
        candidates = self._candidates(
            now,
            hour,
            timeline,
            full_history,
            upcoming,
            records,
            prediction,
            minutes_active,
            app,
        )
        decision.candidates = {k: v if isinstance(v, str) else "candidate" for k, v in candidates}
        offered = [c for _, c in candidates if isinstance(c, Candidate)]
        if not offered:
            decision.reason = "; ".join(v for _, v in candidates if isinstance(v, str)) or "idle"
            return decision
        bucket = policy.time_bucket(hour)
        arms = [
            policy.Arm(
                c.kind,
                self._prior(c.kind, prediction, inputs) * self._taught.prior_factor(c.kind),
                self._timing(c.kind, prediction, in_flow)
                * self._taught.timing_factor(c.kind, bucket),
            )
            for c in offered
        ]
        decision.arms = {arm.kind: (arm.prior, arm.timing) for arm in arms}
        choice = self.bandit.choose(arms, hour, self._posteriors(records))
        decision.show_probabilities = choice.show_probabilities
        best = max(offered, key=lambda c: choice.show_probabilities.get(c.kind, 0.0))
        decision.kind = choice.kind or best.kind
        decision.score = self._base_score(decision.kind, prediction)
        if choice.kind is None:
            shown_p = sum(choice.show_probabilities.values())
            decision.propensity = shown_p
            means = ", ".join(f"{k} {v:.2f}" for k, v in choice.posterior_means.items())
            decision.reason = f"held (show probability {shown_p:.2f}; posterior means {means})"
            return decision
        candidate = next(c for c in offered if c.kind == choice.kind)
        decision.propensity = choice.propensity
        explanation = self._explain(candidate, inputs, prediction, runtime, minutes_active)
        return self._log(decision, candidate.kind, candidate.text, explanation, inputs, runtime)

    # pieces -------------------------------------------------------------------------------------
    def _timed(
        self,
        prediction: Any,
        inputs: dict[str, np.ndarray],
        now: float,
        spans: list[Event],
        current: Event,
    ) -> Any:
        """Return the prediction with the timing head's switch-soon and minutes-left."""
        assert self.timing_head is not None
        stable = now - 600.0  # spans that ended before this do not change any more
        day = localtime.local_day(now, self.utc_offset_s)
        until = self._stays_until
        if until is None or day != self._stays_day or now < until or stable - until > HISTORY_S:
            # Once a local day (and after a clock jump or a long sleep) from the store, so an
            # edit such as `time-sculptor delete` reaches the statistics within a day.
            self._stays = stays_from_store(
                self.store, now - timing.STAY_DAYS * localtime.DAY_S, stable
            )
            self._stays_day = day
        else:  # the spans that finished since the last tick (the history holds the last 16 h)
            for span in sorted(spans, key=lambda s: s.end):
                if until < span.end <= stable and span.source != "afk":
                    self._stays.add(span.app, span.end, span.duration)
            self._stays.prune(now - timing.STAY_DAYS * localtime.DAY_S)
        self._stays_until = stable
        fresh = [
            s.duration
            for s in spans
            if s.app == current.app
            and stable < s.end <= now
            and s is not current
            and s.source != "afk"
        ]
        statistics = self._stays.statistics(current.app, now - current.start, now, fresh)
        rows = timing.rows(
            inputs,
            np.array([prediction.switch_soon]),
            None
            if prediction.time_to_switch_minutes is None
            else np.array([prediction.time_to_switch_minutes]),
            statistics[None, :],
        )
        soon, minutes = self.timing_head.predict(rows)
        return replace(
            prediction, switch_soon=float(soon[0]), time_to_switch_minutes=float(minutes[0])
        )

    def _snoozes(self, records: list[SuggestionRecord]) -> dict[int, float]:
        if not records or records[-1].outcome != "snoozed":
            return {}
        minutes = self.store.snooze_minutes(records[-1].id)
        return {records[-1].id: minutes} if minutes else {}

    def _base_score(self, kind: str, prediction: Any) -> float:
        """Return the model's acceptance score for a kind with trained labels, else its prior."""
        if kind in MODEL_KINDS:
            return float(prediction.accept[features.SUGGESTION_KINDS.index(kind)])
        return KIND_PRIORS.get(kind, 0.5)

    def _prior(self, kind: str, prediction: Any, inputs: dict[str, np.ndarray]) -> float:
        base = self._base_score(kind, prediction)
        if self.head is None or not self.config.learning:
            return base
        return self.head.adjust(kind, base, inputs["context"][0])

    def _timing(self, kind: str, prediction: Any, in_flow: bool) -> float:
        """Return the natural-break factor: 1 when the model expects a switch, less mid-flow."""
        if kind in UNTIMED_KINDS:
            return 1.0
        if kind in GENERATOR_TIMED_KINDS:
            return 0.85 if in_flow else 1.0
        factor = 0.55 + 0.45 * float(prediction.switch_soon)
        return factor * (0.85 if in_flow else 1.0)

    @staticmethod
    def _in_flow(timeline: features.Timeline, now: float, category: str) -> bool:
        """Return True in a focused stretch: main work in front for the last ten minutes."""
        if category not in MAIN_WORK:
            return False
        n = timeline.index_at(now)
        work_s = total = 0.0
        for i in range(n - 1, -1, -1):
            a, b = max(timeline.start[i], now - 600.0), min(timeline.end[i], now)
            if b <= now - 600.0:
                break
            if b > a:
                total += b - a
                if CATEGORIES[int(timeline.category[i])] in MAIN_WORK:
                    work_s += b - a
        return total >= 540.0 and work_s / total >= 0.75

    def _candidates(
        self,
        now: float,
        hour: float,
        timeline: features.Timeline,
        spans: list[Event],
        upcoming: list[Event],
        records: list[SuggestionRecord],
        prediction: Any,
        minutes_active: float,
        app: str,
    ) -> list[tuple[str, Candidate | str]]:
        """Return, for each enabled kind, its candidate now or why it is not one."""
        cfg = self.config
        weekday = localtime.weekday(now, self.utc_offset_s)
        today = localtime.local_day(now, self.utc_offset_s)
        shown_today = {
            r.kind for r in records if localtime.local_day(r.created_at, self.utc_offset_s) == today
        }
        result: list[tuple[str, Candidate | str]] = []
        profile: Profile | None = None
        for kind in cfg.suggestion_kinds:
            if kind not in features.SUGGESTION_KINDS:
                continue
            outcome: Candidate | str
            if kind in self.replaced_kinds:
                outcome = "your plan's block starts take its place"
            elif kind == "break":
                if minutes_active < cfg.break_after_min:
                    outcome = f"only {minutes_active:.0f} min active (< {cfg.break_after_min:.0f})"
                else:
                    long = minutes_active >= LONG_BREAK_AFTER_MIN
                    outcome = Candidate(
                        kind,
                        BREAK_TEXT if long else MICRO_BREAK_TEXT,
                        _stretch_sentence(minutes_active),
                    )
            elif kind == "meeting_prep":
                soon = [e for e in upcoming if 5 * 60.0 <= e.start - now <= 15 * 60.0]
                if not soon:
                    outcome = "no meeting in 5-15 min"
                elif any(
                    r.kind == kind and r.created_at >= soon[0].start - 20 * 60.0 for r in records
                ):
                    outcome = "already suggested for this meeting"
                else:
                    lead = (soon[0].start - now) / 60.0
                    outcome = Candidate(
                        kind, TEXTS[kind], f"your next meeting starts in {lead:.0f} minutes"
                    )
            else:
                profile = profile or self.profile(now)
                outcome = self._habit_candidate(
                    kind, now, hour, weekday, timeline, spans, prediction, profile, shown_today
                )
            if isinstance(outcome, Candidate):
                block = self.rules.kind_block(kind, now, records, self._taught)
                if block:
                    outcome = block
            result.append((kind, outcome))
        return result

    def _habit_candidate(
        self,
        kind: str,
        now: float,
        hour: float,
        weekday: int,
        timeline: features.Timeline,
        spans: list[Event],
        prediction: Any,
        profile: Profile,
        shown_today: set[str],
    ) -> Candidate | str:
        """Return the focus, distraction or wrap-up candidate now, or why not."""
        if kind in ("focus", "wrap_up") and kind in shown_today:
            return f"one {kind} suggestion a day"
        if kind == "distraction":
            if not profile.is_work_time(hour, weekday):
                return "outside your usual work time"
            stretch = distraction_minutes(spans, now)
            if stretch < DISTRACTION_AFTER_MIN:
                return f"{stretch:.0f} min of distraction (< {DISTRACTION_AFTER_MIN:.0f})"
            return Candidate(
                kind,
                TEXTS[kind],
                f"you have spent {stretch:.0f} minutes on social media, video or games during "
                "your usual work time",
            )
        if profile.active_days < PROFILE_MIN_DAYS:
            return f"learning your habits ({profile.active_days} of {PROFILE_MIN_DAYS} days)"
        if kind == "focus":
            start = profile.focus_start
            if start is None or not profile.is_work_time(hour, weekday):
                return "not your usual work time"
            if not 0.0 <= (hour - start) % 24.0 < 0.5:
                return f"your best focus hours start at {_clock(start)}"
            if prediction.switch_soon < 0.5:
                return "mid-activity: the model does not expect a switch now"
            return Candidate(
                kind,
                TEXTS[kind],
                f"your most focused two hours usually start at {_clock(start)} and the model "
                f"expects you to switch activity now ({prediction.switch_soon:.0%})",
            )
        # wrap_up
        end = profile.work_end
        if end is None or (weekday >= 5 and not profile.works_weekends):
            return "no usual end of the working day known"
        if not -WRAP_UP_BEFORE_H <= hour - end < WRAP_UP_AFTER_H:
            return f"you usually stop around {_clock(end)}"
        # The whole day's activity, not the trimmed timeline (that one starts at the last break).
        worked = worked_minutes_today(features.Timeline.from_spans(spans), now, self.utc_offset_s)
        if worked < WRAP_UP_MIN_WORK_MIN:
            return f"only {worked:.0f} min of work today"
        last_chance = hour - end >= WRAP_UP_AFTER_H - WRAP_UP_LAST_CHANCE_H
        if prediction.switch_soon < 0.5 and not last_chance:
            return "mid-activity: the model does not expect a switch now"
        return Candidate(
            kind,
            TEXTS[kind],
            f"you usually stop around {_clock(end)} and have worked {worked / 60:.1f} h today",
        )

    def _show_due(
        self,
        decision: Decision,
        snooze: policy.SnoozeState,
        timeline: features.Timeline,
        inputs: dict[str, np.ndarray],
        prediction: Any,
        runtime: Any,
        app: str,
    ) -> Decision:
        text = {
            "break": BREAK_TEXT
            if decision.minutes_active >= LONG_BREAK_AFTER_MIN
            else MICRO_BREAK_TEXT
        }.get(snooze.kind, TEXTS.get(snooze.kind, BREAK_TEXT))
        minutes = (decision.at - snooze.due_at) / 60.0
        why = "You asked to be reminded now" + (f" ({minutes:.0f} min ago)" if minutes >= 1 else "")
        if snooze.kind == "break":
            why += ". " + _stretch_sentence(decision.minutes_active)
        decision.kind = snooze.kind
        decision.score = self._base_score(snooze.kind, prediction)
        decision.propensity = 1.0  # a snooze return is deterministic
        decision = self._log(decision, snooze.kind, text, why + ".", inputs, runtime)
        decision.reason = "shown: the reminder you asked for is due"
        return decision

    def _log(
        self,
        decision: Decision,
        kind: str,
        text: str,
        explanation: str,
        inputs: dict[str, np.ndarray],
        runtime: Any,
    ) -> Decision:
        score = decision.score if decision.score is not None else 0.0
        propensity = decision.propensity if decision.propensity is not None else 1.0
        suggestion_id = self.store.add_suggestion(
            created_at=decision.at,
            kind=kind,
            text=text,
            explanation=explanation,
            model_version=runtime.version,
            features=features.features_to_json(inputs),
            score=score,
            propensity=propensity,
        )
        self.invalidate()
        decision.shown = True
        decision.reason = "shown"
        decision.suggestion = Suggestion(
            id=suggestion_id,
            kind=kind,
            text=text,
            explanation=explanation,
            score=score,
            propensity=propensity,
            created_at=decision.at,
            model_version=runtime.version,
        )
        return decision

    # why now ----------------------------------------------------------------------------------
    def occlusion(
        self, kind: str, inputs: dict[str, np.ndarray], runtime: Any
    ) -> list[tuple[str, float]]:
        """Return (feature group, score drop) when each context group is reset, largest first."""
        index = features.SUGGESTION_KINDS.index(kind)
        base = float(runtime.predict(inputs).accept[index])
        drops = []
        for group, values in OCCLUSION.items():
            changed = {k: v.copy() for k, v in inputs.items()}
            for i, value in values.items():
                changed["context"][0, i] = value
            drops.append((group, base - float(runtime.predict(changed).accept[index])))
        # The sequence of recent spans as a whole: keep only the current one.
        changed = {k: v.copy() for k, v in inputs.items()}
        for name in ("category_ids", "app_ids", "span_features"):
            changed[name][0, :-1] = 0
        drops.append(("recent_pattern", base - float(runtime.predict(changed).accept[index])))
        return sorted(drops, key=lambda d: -d[1])

    def _explain(
        self,
        candidate: Candidate,
        inputs: dict[str, np.ndarray],
        prediction: Any,
        runtime: Any,
        minutes_active: float,
    ) -> str:
        """Return the 'why now': the generator's reason, the occlusion's top features, the score."""
        kind = candidate.kind
        parts = [candidate.why]
        if kind in MODEL_KINDS:
            described = features.describe_context(inputs)
            for group, drop in self.occlusion(kind, inputs, runtime)[:2]:
                if drop < OCCLUSION_MIN_DROP:
                    break
                phrase = _occlusion_phrase(group, described, kind)
                if (
                    phrase
                    and phrase not in parts
                    and not (group == "minutes_active" and candidate.why)
                ):
                    parts.append(phrase)
        if kind not in UNTIMED_KINDS and prediction.switch_soon >= 0.6:
            parts.append(
                f"you usually switch around now (the model gives {prediction.switch_soon:.0%})"
            )
        text = "; ".join(parts)
        text = text[0].upper() + text[1:] + "."
        base = self._base_score(kind, prediction)
        if kind in MODEL_KINDS:
            text += (
                f" The model puts the chance you would welcome a {_noun(kind)} now at {base:.0%}."
            )
        else:
            text += (
                f" The model has not learned {_noun(kind)} suggestions yet, so this starts from a "
                f"prior of {base:.0%} and learns from how you answer."
            )
        return text


def _noun(kind: str) -> str:
    return {"wrap_up": "wrap-up", "meeting_prep": "meeting preparation"}.get(kind, kind)


def _clock(hour: float) -> str:
    h, m = divmod(int(round(hour * 60)) % 1440, 60)
    return f"{h:02d}:{m:02d}"


def _stretch_sentence(minutes_active: float) -> str:
    hours, minutes = divmod(int(round(minutes_active)), 60)
    stretch = f"{hours} h {minutes} min" if hours else f"{minutes} minutes"
    return f"you have been active for {stretch} without a break"


def _occlusion_phrase(group: str, described: dict[str, float], kind: str) -> str:
    noun = _noun(kind)
    return {
        "minutes_active": _stretch_sentence(described["minutes_active"]),
        "current_activity": f"you have been on the same activity for "
        f"{described['minutes_in_current_activity']:.0f} minutes",
        "time_of_day": f"around {_clock(described['hour'])} is when a {noun} usually suits you",
        "weekday": f"this day of the week usually suits a {noun}",
        "since_suggestion": "it has been a while since the last suggestion",
        "meeting": "your calendar is busy soon",
        "battery": "you are on battery",
        "recent_pattern": "your recent switching between apps looks like a pause is near",
    }.get(group, "")


def stays_from_store(store: Store, since: float, until: float) -> timing.AppStays:
    """Return the window stays that ended in [since, until] (the timing head's app history)."""
    stays = timing.AppStays()
    found = [s for s in store.events(since, until, sources=("window", "import")) if s.end <= until]
    for span in sorted(found, key=lambda s: s.end):
        stays.add(span.app, span.end, span.duration)
    return stays


def trim_history(spans: list[Event], now: float) -> list[Event]:
    """Return the spans the featurizer can see: the last SEQ_LEN + 1 and back to the last break.

    The same inputs as the whole history (the sequence, its first gap and "minutes active"),
    at a fraction of the cost of featurizing sixteen hours of spans every minute.
    """
    keep = max(0, len(spans) - features.SEQ_LEN - 1)
    brk = features.BREAK_MINUTES * 60.0
    for i in range(len(spans) - 1, -1, -1):
        span = spans[i]
        if i < keep and (
            (span.source == "afk" and min(span.end, now) - span.start >= brk)
            or (i + 1 < len(spans) and spans[i + 1].start - span.end >= brk)
        ):
            return spans[max(0, i - 1) :]
    return spans


def distraction_minutes(spans: list[Event], now: float) -> float:
    """Return minutes of the current stretch spent mostly on social media, video or games.

    Walking back from now: glances (<= DISTRACTION_GLANCE_S) at anything and browsing (which may
    be aimless) stay inside the stretch; a real return to something else or a minute away ends
    it. The stretch runs from its first social/entertainment/games span, and counts only when
    at least DISTRACTION_MIN_SHARE of it was spent in those categories (else 0).
    """
    first: float | None = None
    distracted_s = 0.0
    later_start = now
    for span in reversed(spans):
        if span.start > now or span.source == "calendar":
            continue
        end = min(span.start + span.duration, now)
        if later_start - end >= 60.0 or (span.source == "afk" and span.duration >= 60.0):
            break  # a pause ends the stretch
        later_start = span.start
        if span.source == "afk":
            continue
        if span.category in DISTRACTION_CATEGORIES:
            first = span.start
            distracted_s += max(0.0, end - span.start)
        elif span.category != "browsing" and span.duration > DISTRACTION_GLANCE_S:
            break  # a real return to something else ends the stretch
    if first is None or now <= first:
        return 0.0
    stretch = now - first
    return stretch / 60.0 if distracted_s >= DISTRACTION_MIN_SHARE * stretch else 0.0


def worked_minutes_today(timeline: features.Timeline, now: float, utc_offset_s: float) -> float:
    """Return minutes of non-away activity since local midnight."""
    midnight = now - localtime.seconds_into_day(now, utc_offset_s)
    starts = np.maximum(timeline.start, midnight)
    ends = np.minimum(timeline.end, now)
    live = (ends > starts) & ~timeline.away
    return float((ends - starts)[live].sum() / 60.0)


FORGOTTEN_KEY = "forgotten_reasons"


def forgotten_reasons(store: Store) -> dict[str, float]:
    """Return, per kind, when the user asked to forget what they had said about it."""
    try:
        value = json.loads(store.get_setting(FORGOTTEN_KEY) or "{}")
    except ValueError:
        return {}  # a hand-edited setting must not stop suggestions
    if not isinstance(value, dict):
        return {}
    return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float)}


def forget_reasons(store: Store, kind: str, at: float) -> None:
    """Make the app forget the "Not like this" answers given about `kind` before `at` (undo)."""
    forgotten = forgotten_reasons(store)
    forgotten[kind] = at
    store.set_setting(FORGOTTEN_KEY, json.dumps(forgotten, sort_keys=True))
