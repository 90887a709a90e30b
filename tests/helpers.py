"""Small builders shared by tests: a logged suggestion with only what a test cares about, and
the plan habit the plan's tests place."""

from __future__ import annotations

from typing import Any

# An hour of "Deep work" in development on weekdays between 08:00 and 18:00, as plan.toml says it.
DEEP_WORK_HABIT = """
[[habit]]
name = "Deep work"
minutes = 60
days = "weekdays"
window = "08:00-18:00"
categories = ["development"]
"""


def log_suggestion(
    store: Any,
    at: float,
    *,
    kind: str = "break",
    score: float = 0.9,
    propensity: float = 1.0,
    features: dict[str, Any] | None = None,
) -> int:
    """Log a suggestion shown at `at` (placeholder text and model) and return its id."""
    return int(
        store.add_suggestion(
            created_at=at,
            kind=kind,
            text="t",
            explanation="e",
            model_version="m",
            features=features or {},
            score=score,
            propensity=propensity,
        )
    )
