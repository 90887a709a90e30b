from dataclasses import dataclass

import numpy as np

from edge_model import features
from edge_model.categories import CATEGORY_INDEX, categorize


@dataclass
class S:
    start: float
    duration: float
    app: str
    category: str
    source: str = "window"


def test_shapes_padding_and_most_recent_span_last():
    spans = [S(0, 600, "code", "development"), S(600, 60, "slack", "communication")]
    out = features.featurize(features.Timeline.from_spans(spans), features.Context(now=700))
    assert out["category_ids"].shape == (1, features.SEQ_LEN)
    assert out["span_features"].shape == (1, features.SEQ_LEN, features.SPAN_FEATURES)
    assert out["context"].shape == (1, features.CONTEXT_FEATURES)
    assert list(out["category_ids"][0, -2:]) == [
        CATEGORY_INDEX["development"],
        CATEGORY_INDEX["communication"],
    ]
    assert not out["category_ids"][0, :-2].any() and not out["span_features"][0, :-2].any()


def test_future_spans_are_invisible():
    spans = [S(0, 100, "code", "development"), S(100, 100, "steam", "games")]
    out = features.featurize(features.Timeline.from_spans(spans), features.Context(now=50))
    assert CATEGORY_INDEX["games"] not in out["category_ids"][0]


def test_minutes_active_resets_after_a_break_or_a_gap():
    work = [
        S(0, 1800, "code", "development"),
        S(1800, 600, "", "away", "afk"),
        S(2400, 1200, "code", "development"),
    ]
    timeline = features.Timeline.from_spans(work)
    assert round(features.minutes_active_without_break(timeline, 1800)) == 30
    assert round(features.minutes_active_without_break(timeline, 3600)) == 20
    gap = features.Timeline.from_spans(
        [S(0, 1800, "code", "development"), S(3000, 600, "code", "development")]
    )
    assert round(features.minutes_active_without_break(gap, 3600)) == 10


def test_app_ids_are_stable_hashes_and_calendar_is_not_a_step():
    assert features.app_bucket("Firefox") == features.app_bucket("firefox") != 0
    assert features.app_bucket("") == 0
    spans = [S(0, 100, "code", "development"), S(0, 3600, "Standup", "meetings", "calendar")]
    assert len(features.Timeline.from_spans(spans)) == 1


def test_json_round_trip_is_exact():
    spans = [S(0, 600, "code", "development")]
    out = features.featurize(features.Timeline.from_spans(spans), features.Context(now=650))
    back = features.features_from_json(features.features_to_json(out))
    for name in features.INPUT_NAMES:
        np.testing.assert_array_equal(back[name], out[name])


def test_rule_table_maps_real_app_names():
    assert categorize("chrome.exe") == "browsing"
    assert categorize("Code") == "development"
    assert categorize("zoom.us") == "meetings"
    assert categorize("explorer.exe") == "system"
    assert categorize("mystery-app") == "unknown"
