"""The one featurizer: stored activity spans + present context -> fixed-size model inputs (numpy).

Training and the desktop app both call `featurize` / `featurize_many`; nothing else builds
model inputs. Changing what this produces means bumping SPEC_VERSION, which makes every
installed model with the old version refuse to load (see edge_model.registry).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge_model.categories import AWAY, CATEGORIES, CATEGORY_INDEX, UNKNOWN

SPEC_VERSION = 1
SEQ_LEN = 24
APP_BUCKETS = 512
SPAN_FEATURES = 6
CONTEXT_FEATURES = 11
SUGGESTION_KINDS: tuple[str, ...] = ("break", "focus", "distraction", "wrap_up", "meeting_prep")
BREAK_MINUTES = 5.0  # an away span or a gap at least this long resets "minutes active"
INPUT_NAMES = ("category_ids", "app_ids", "span_features", "context")
OUTPUT_NAMES = ("next_category", "switch_soon", "accept", "state", "time_to_switch")
# Heads a model may lack: models made before the head existed still load without it.
OPTIONAL_OUTPUTS = ("time_to_switch",)
# time_to_switch = log1p(minutes until the current activity ends) / TIME_TO_SWITCH_SCALE,
# the same log-minutes scale the span features use.
TIME_TO_SWITCH_SCALE = 5.0
SWITCH_HORIZON_S = 300.0  # "switch_soon" means: the current activity ends within 5 minutes


class SpanLike(Protocol):
    """Anything with a span's fields: store events, synthetic spans, replayed rows."""

    @property
    def start(self) -> float: ...
    @property
    def duration(self) -> float: ...
    @property
    def app(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def source(self) -> str: ...


def app_bucket(app: str) -> int:
    """Return the hashed id (1..APP_BUCKETS-1) of an app name; 0 is padding and 'no app'."""
    if not app:
        return 0
    digest = hashlib.blake2b(app.strip().lower().encode("utf-8"), digest_size=4).digest()
    return 1 + int.from_bytes(digest, "little") % (APP_BUCKETS - 1)


def category_id(category: str) -> int:
    """Return the vocabulary index of a category name (unknown names map to 'unknown')."""
    return CATEGORY_INDEX.get(category, CATEGORY_INDEX[UNKNOWN])


@dataclass(frozen=True)
class Timeline:
    """A chronological, columnar view of window/afk spans (calendar spans are context only)."""

    start: np.ndarray  # float64 Unix seconds
    end: np.ndarray  # float64
    category: np.ndarray  # int32 vocabulary ids
    app: np.ndarray  # int32 hashed app ids
    away: np.ndarray  # bool

    @classmethod
    def from_spans(cls, spans: Iterable[SpanLike]) -> Timeline:
        """Build a timeline from span objects, dropping calendar spans and sorting by start."""
        rows = sorted(
            (s for s in spans if s.source != "calendar" and s.duration >= 0), key=lambda s: s.start
        )
        start = np.array([s.start for s in rows], dtype=np.float64)
        end = start + np.array([s.duration for s in rows], dtype=np.float64)
        away = np.array([s.source == "afk" or s.category == AWAY for s in rows], dtype=bool)
        category = np.array(
            [
                CATEGORY_INDEX[AWAY] if a else category_id(s.category)
                for s, a in zip(rows, away, strict=True)
            ],
            dtype=np.int32,
        )
        app = np.array(
            [0 if a else app_bucket(s.app) for s, a in zip(rows, away, strict=True)], dtype=np.int32
        )
        return cls(start, end, category, app, away)

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def index_at(self, now: float) -> int:
        """Return the number of spans that started strictly before `now`."""
        return int(np.searchsorted(self.start, now, side="left"))


@dataclass(frozen=True)
class Context:
    """What is true at the moment of prediction, beyond the span history."""

    now: float
    utc_offset_s: float = 0.0
    idle_seconds: float = 0.0
    minutes_since_suggestion: float = 24 * 60.0
    in_meeting: bool = False
    meeting_minutes_next_hour: float = 0.0
    on_battery: bool = False


def minutes_active_without_break(timeline: Timeline, now: float, upto: int | None = None) -> float:
    """Return minutes of activity since the last break (away span or gap >= BREAK_MINUTES)."""
    n = timeline.index_at(now) if upto is None else upto
    if n == 0:
        return 0.0
    ends = np.minimum(timeline.end[:n], now)
    if now - ends[-1] >= BREAK_MINUTES * 60 or (
        timeline.away[n - 1] and ends[-1] - timeline.start[n - 1] >= BREAK_MINUTES * 60
    ):
        return 0.0
    active_from = timeline.start[n - 1]
    for i in range(n - 1, -1, -1):
        if timeline.away[i] and ends[i] - timeline.start[i] >= BREAK_MINUTES * 60:
            break
        active_from = timeline.start[i]
        if i > 0 and timeline.start[i] - ends[i - 1] >= BREAK_MINUTES * 60:
            break
    return max(0.0, (now - active_from) / 60.0)


def _log_minutes(seconds: float | np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(seconds, 0.0) / 60.0) / 5.0


def minutes_from_log(encoded: float | np.ndarray) -> np.ndarray:
    """Return minutes from a duration as the inputs encode it (span lengths, gaps, elapsed)."""
    return np.expm1(5.0 * np.asarray(encoded, dtype=np.float64))


def _cyclic(value: float, period: float) -> tuple[float, float]:
    angle = 2.0 * math.pi * value / period
    return math.sin(angle), math.cos(angle)


def _one(timeline: Timeline, context: Context, out: dict[str, np.ndarray], row: int) -> None:
    now = context.now
    n = timeline.index_at(now)
    lo = max(0, n - SEQ_LEN)
    k = n - lo
    if k:
        starts = timeline.start[lo:n]
        ends = np.minimum(timeline.end[lo:n], now)
        prev_ends = (
            np.concatenate(([starts[0]], ends[:-1]))
            if lo == 0
            else np.minimum(timeline.end[lo - 1 : n - 1], now)
        )
        local_hour = ((starts + context.utc_offset_s) % 86400.0) / 3600.0
        angle = 2.0 * np.pi * local_hour / 24.0
        feats = out["span_features"][row, SEQ_LEN - k :]
        feats[:, 0] = _log_minutes(ends - starts)
        feats[:, 1] = _log_minutes(starts - prev_ends)
        feats[:, 2] = timeline.away[lo:n]
        feats[:, 3] = np.sin(angle)
        feats[:, 4] = np.cos(angle)
        feats[:, 5] = 1.0  # "a real span is here" (padding rows are all zero)
        out["category_ids"][row, SEQ_LEN - k :] = timeline.category[lo:n]
        out["app_ids"][row, SEQ_LEN - k :] = timeline.app[lo:n]
    local = now + context.utc_offset_s
    hour = (local % 86400.0) / 3600.0
    weekday = int(((local // 86400.0) + 3) % 7)  # 1970-01-01 was a Thursday (weekday 3)
    current_elapsed = (now - timeline.start[n - 1]) if n else 0.0
    ctx = out["context"][row]
    ctx[0], ctx[1] = _cyclic(hour, 24.0)
    ctx[2], ctx[3] = _cyclic(weekday, 7.0)
    ctx[4] = 1.0 if weekday >= 5 else 0.0
    ctx[5] = _log_minutes(minutes_active_without_break(timeline, now, n) * 60.0)
    ctx[6] = _log_minutes(current_elapsed)
    ctx[7] = _log_minutes(context.idle_seconds)
    ctx[8] = _log_minutes(min(context.minutes_since_suggestion, 24 * 60.0) * 60.0)
    ctx[9] = 1.0 if context.in_meeting else min(context.meeting_minutes_next_hour, 60.0) / 60.0
    ctx[10] = 1.0 if context.on_battery else 0.0


def empty_batch(size: int) -> dict[str, np.ndarray]:
    """Return zeroed model inputs for `size` examples."""
    return {
        "category_ids": np.zeros((size, SEQ_LEN), dtype=np.int32),
        "app_ids": np.zeros((size, SEQ_LEN), dtype=np.int32),
        "span_features": np.zeros((size, SEQ_LEN, SPAN_FEATURES), dtype=np.float32),
        "context": np.zeros((size, CONTEXT_FEATURES), dtype=np.float32),
    }


def featurize(timeline: Timeline, context: Context) -> dict[str, np.ndarray]:
    """Return the model inputs (batch of one) for the moment `context.now`."""
    out = empty_batch(1)
    _one(timeline, context, out, 0)
    return out


def featurize_many(timeline: Timeline, contexts: Sequence[Context]) -> dict[str, np.ndarray]:
    """Return stacked model inputs for several moments of one timeline."""
    out = empty_batch(len(contexts))
    for row, context in enumerate(contexts):
        _one(timeline, context, out, row)
    return out


def features_to_json(features: dict[str, np.ndarray]) -> dict[str, list]:
    """Return a JSON-ready copy of one example's inputs (how suggestions log their context)."""
    return {name: features[name][0].tolist() for name in INPUT_NAMES}


def features_from_json(data: dict[str, list]) -> dict[str, np.ndarray]:
    """Return batch-of-one inputs from a logged JSON copy."""
    batch = empty_batch(1)
    for name in INPUT_NAMES:
        batch[name][0] = np.asarray(data[name], dtype=batch[name].dtype)
    return batch


def describe_context(features: dict[str, np.ndarray]) -> dict[str, float]:
    """Return the human-meaningful context values (minutes etc.) encoded in one example."""
    ctx = features["context"][0]

    def minutes(v: float) -> float:
        return float(minutes_from_log(v))

    hour = (math.degrees(math.atan2(ctx[0], ctx[1])) % 360.0) / 15.0
    return {
        "hour": hour,
        "minutes_active": minutes(ctx[5]),
        "minutes_in_current_activity": minutes(ctx[6]),
        "idle_minutes": minutes(ctx[7]),
        "minutes_since_suggestion": minutes(ctx[8]),
    }


assert len(CATEGORIES) == 13, "the model's next_category head is sized by the vocabulary"
