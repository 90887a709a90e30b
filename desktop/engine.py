"""The suggestion engine: store -> featurizer -> model -> policy -> a suggestion, or why not.

Plain Python, no Qt: the scheduler calls `SuggestionEngine.consider`, the UI only shows results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop.config import Config
from desktop.models import ModelManager
from desktop.store import Store
from edge_model import features
from edge_model.categories import CATEGORIES

HISTORY_S = 16 * 3600.0  # enough history to find the last break and fill the sequence
MIN_SHOW_PROBABILITY = 0.05
BREAK_TEXT = "Time for a short break: stand up, stretch and rest your eyes for five minutes."


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


class SuggestionEngine:
    """Decides, at each tick, whether a break suggestion is due, timed by the model's score."""

    def __init__(
        self,
        store: Store,
        models: ModelManager,
        config: Config,
        rng: np.random.Generator,
        utc_offset_s: float = 0.0,
    ) -> None:
        self.store = store
        self.models = models
        self.config = config
        self.rng = rng
        self.utc_offset_s = utc_offset_s

    def _hold_reason(self, now: float, minutes_active: float, idle_s: float) -> str | None:
        cfg = self.config
        if idle_s >= 60.0:
            return "the user is away from the keyboard"
        if minutes_active < cfg.break_after_min:
            return f"only {minutes_active:.0f} min active (< {cfg.break_after_min:.0f})"
        recent = self.store.suggestions(since=now - 24 * 3600.0)
        today = [s for s in recent if s.created_at >= now - 24 * 3600.0]
        if len(today) >= cfg.daily_cap:
            return f"daily cap of {cfg.daily_cap} reached"
        if recent:
            last = recent[-1]
            if last.outcome is None and now - last.created_at < cfg.expire_after_s:
                return "the previous suggestion is still on screen"
            if last.outcome == "snoozed":
                snooze_end = (last.outcome_at or last.created_at) + 60.0 * self._snooze(last.id)
                if now < snooze_end:
                    return f"snoozed until {snooze_end:.0f}"
            elif now - last.created_at < 60.0 * cfg.min_gap_min:
                return f"last suggestion {(now - last.created_at) / 60:.0f} min ago"
        return None

    def _snooze(self, suggestion_id: int) -> float:
        return self.store.snooze_minutes(suggestion_id) or 10.0

    def consider(
        self,
        now: float,
        *,
        idle_s: float = 0.0,
        in_meeting: bool = False,
        on_battery: bool = False,
    ) -> Decision:
        """Return the decision for this moment; a shown suggestion is logged in the store."""
        spans = self.store.events(now - HISTORY_S, now, sources=("window", "afk", "import"))
        timeline = features.Timeline.from_spans(spans)
        minutes_active = features.minutes_active_without_break(timeline, now)
        decision = Decision(at=now, minutes_active=minutes_active)
        runtime = self.models.current
        if runtime is None:
            decision.reason = "no valid model installed"
            return decision
        last = self.store.last_suggestion()
        context = features.Context(
            now=now,
            utc_offset_s=self.utc_offset_s,
            idle_seconds=idle_s,
            in_meeting=in_meeting,
            on_battery=on_battery,
            minutes_since_suggestion=(now - last.created_at) / 60.0 if last else 24 * 60.0,
        )
        inputs = features.featurize(timeline, context)
        prediction = runtime.predict(inputs)
        kind_index = features.SUGGESTION_KINDS.index("break")
        score = float(prediction.accept[kind_index])
        decision.score = score
        decision.switch_soon = prediction.switch_soon
        decision.next_category = CATEGORIES[int(np.argmax(prediction.next_category))]
        decision.context = features.describe_context(inputs)
        hold = self._hold_reason(now, minutes_active, idle_s)
        if in_meeting:
            hold = "in a calendar meeting"
        if hold:
            decision.reason = hold
            return decision
        # Timing: the acceptance score, nudged towards moments the model expects a switch.
        timed = score * (0.75 + 0.25 * prediction.switch_soon)
        logit = (timed - self.config.break_threshold) / self.config.exploration_temperature
        propensity = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))
        if propensity < MIN_SHOW_PROBABILITY:
            # Evaluated every minute, even a 1% chance adds up to a stray suggestion a day:
            # below the floor the policy never shows (and logs that it could not have).
            propensity = 0.0
        decision.propensity = propensity
        if self.rng.random() >= propensity:
            decision.reason = f"held (score {score:.2f}, show probability {propensity:.2f})"
            return decision
        explanation = explain_break(minutes_active, score, prediction.switch_soon)
        suggestion_id = self.store.add_suggestion(
            created_at=now,
            kind="break",
            text=BREAK_TEXT,
            explanation=explanation,
            model_version=runtime.version,
            features=features.features_to_json(inputs),
            score=score,
            propensity=propensity,
        )
        decision.shown = True
        decision.reason = "shown"
        decision.suggestion = Suggestion(
            id=suggestion_id,
            kind="break",
            text=BREAK_TEXT,
            explanation=explanation,
            score=score,
            propensity=propensity,
            created_at=now,
            model_version=runtime.version,
        )
        return decision


def explain_break(minutes_active: float, score: float, switch_soon: float) -> str:
    """Return the 'why now' line of a break suggestion, from the model's inputs and outputs."""
    hours, minutes = divmod(int(round(minutes_active)), 60)
    stretch = f"{hours} h {minutes} min" if hours else f"{minutes} minutes"
    timing = (
        f" and the model expects your current activity to end within five minutes "
        f"({switch_soon:.0%}), a natural moment to pause"
        if switch_soon >= 0.8
        else ""
    )
    return (
        f"You have been active for {stretch} without a break{timing}. The model puts the "
        f"chance you would welcome a break now at {score:.0%}."
    )
