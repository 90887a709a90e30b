"""Small builders shared by tests: a logged suggestion with only what a test cares about."""

from __future__ import annotations

from typing import Any


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
