"""The records the app passes around: a span of activity and a stored suggestion.

`desktop.store` reads and writes them; reports, the policy and the engine read them. Plain frozen
dataclasses with no behaviour beyond their fields, so this module imports nothing of the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One span of activity."""

    start: float
    duration: float
    source: str  # window | afk | calendar | system | import
    app: str = ""
    title: str = ""
    category: str = "unknown"
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    # True when `title` already is the store's hash (read back, or an exported file re-imported):
    # it is then kept as it is, never hashed twice.
    title_hashed: bool = False

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class SuggestionRecord:
    """A stored suggestion with its outcome, if any."""

    id: int
    created_at: float
    kind: str
    text: str
    explanation: str
    model_version: str
    features: dict[str, Any]
    score: float
    propensity: float
    outcome: str | None
    outcome_at: float | None
    # The "Not like this" reason given with a dismissal: bad_moment, too_frequent, not_useful.
    reason: str | None = None
