"""The timing head and the statistics under it: when does the current activity end?"""

from dataclasses import dataclass

import numpy as np
import pytest

from edge_model import features, timing

DAY = 86400.0
T0 = 1_794_301_200.0  # 2026-11-09 09:00 UTC


@dataclass
class Span:
    start: float
    duration: float
    app: str
    category: str = "development"
    source: str = "window"


def chain(lengths_min, apps, start=T0):
    """Back-to-back spans of the given minutes, cycling through the apps."""
    spans, t = [], start
    for i, minutes in enumerate(lengths_min):
        spans.append(Span(t, minutes * 60.0, apps[i % len(apps)]))
        t += minutes * 60.0
    return spans


def inputs_at(spans, now):
    timeline = features.Timeline.from_spans(spans)
    return features.featurize(timeline, features.Context(now=now))


def test_the_window_says_how_much_longer_spans_like_this_one_went_on():
    # Finished: three 2-min and three 10-min spans of one category; the current one 3 min in.
    spans = chain([2, 2, 2, 10, 10, 10, 20], ["code"])
    now = spans[-1].start + 3 * 60.0
    stats = timing.window_statistics(inputs_at(spans, now))
    # Only the 10-min spans lasted longer than 3 min: 7 more minutes each, none within 5.
    assert stats["remaining"][0] == pytest.approx(7.0, rel=1e-3)
    assert stats["share_soon"][0] == 0.0 and stats["longer"][0] == 3
    # One minute in, all six lasted longer: 1, 1, 1, 9, 9, 9 more -> median 5, half within 5.
    stats = timing.window_statistics(inputs_at(spans, spans[-1].start + 60.0))
    assert stats["remaining"][0] == pytest.approx(5.0, rel=1e-3)
    assert stats["share_soon"][0] == pytest.approx(0.5)
    # Longer than anything finished: "as long again", and no share.
    stats = timing.window_statistics(inputs_at(spans, spans[-1].start + 15 * 60.0))
    assert stats["remaining"][0] == pytest.approx(15.0, rel=1e-3)
    assert np.isnan(stats["share_soon"][0])


def test_app_stays_count_only_the_last_two_weeks_before_now():
    stays = timing.AppStays()
    for day in range(20):  # a 30-min stay in the editor every day for 20 days
        stays.add("code", T0 + day * DAY, 1800.0)
    now = T0 + 19 * DAY + 60.0
    minutes, share, count, too_few = stays.statistics("code", 600.0, now)
    assert np.expm1(count) == pytest.approx(timing.STAY_DAYS)  # not 20
    assert np.expm1(minutes) == pytest.approx(20.0) and share == 0.0 and too_few == 0.0
    # Before the stays happened, none count; a fresh (unrecorded) stay does.
    assert stays.statistics("code", 600.0, T0 - 1.0)[3] == 1.0
    fresh = stays.statistics("code", 600.0, T0 - 1.0, fresh=[700.0, 800.0, 900.0])
    assert fresh[3] == 0.0 and fresh[1] == 1.0  # all three ended within 5 min of 10 min in
    # A stay in another app says nothing about this one.
    assert stays.statistics("terminal", 60.0, now)[3] == 1.0
    stays.prune(T0 + 10 * DAY)
    assert len(stays.ends["code"]) == 10


def test_labelled_moments_see_only_the_past_and_know_what_came_next():
    # Editor stays of 30 min, each followed by a 2-min browser glance, for a few hours.
    spans = chain([30, 2] * 8, ["code", "firefox"])
    timeline = features.Timeline.from_spans(spans)
    moments = timing.moment_times(timeline, np.random.default_rng(0), 60.0)
    assert moments == sorted(moments, key=lambda m: m[1]) and len(moments) > 100
    found = timing.labelled_moments(spans, moments)
    for row, (i, t) in enumerate(moments):
        left = (timeline.end[i] - t) / 60.0
        assert found.minutes[row] == pytest.approx(left)
        assert found.soon[row] == float(left <= 5.0)
        # The app's stays counted are those of this app that ended before the moment.
        earlier = sum(1 for s in spans[:i] if s.app == spans[i].app)
        longer = sum(
            1 for s in spans[:i] if s.app == spans[i].app and s.duration > t - spans[i].start
        )
        assert np.expm1(found.app_statistics[row, 2]) == pytest.approx(longer)
        assert longer <= earlier
    # The last span (its end unknown) gives no moment.
    assert all(i < len(spans) - 1 for i, _ in moments)


def _rows(n, rng):
    x = rng.normal(size=(n, len(timing.FEATURES)))
    share = timing.FEATURES.index("app_share_ending_soon")
    soon = (x[:, share] + 0.3 * rng.normal(size=n) > 0).astype(float)
    minutes = np.expm1(np.clip(1.5 - x[:, share], 0, None))
    return x, soon, minutes


def test_the_head_learns_which_statistic_tells_and_survives_a_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x, soon, minutes = _rows(2000, rng)
    head = timing.TimingHead.fit(x, soon, minutes)
    x_new, soon_new, minutes_new = _rows(500, rng)
    p, predicted = head.predict(x_new)
    assert ((p >= 0.5) == soon_new).mean() > 0.85
    assert np.median(np.abs(np.log1p(predicted) - np.log1p(minutes_new))) < 0.2
    path = head.save(tmp_path / "timing_head.json")
    again = timing.TimingHead.load(path)
    assert again is not None and np.allclose(again.predict(x_new)[0], p)


def test_a_head_of_another_format_is_refused_not_misread(tmp_path):
    rng = np.random.default_rng(0)
    head = timing.TimingHead.fit(*_rows(300, rng))
    text = head.to_json().replace('"app_has_too_few_stays"', '"something_else"')
    with pytest.raises(ValueError, match="another format"):
        timing.TimingHead.from_json(text)
    (tmp_path / "bad.json").write_text("{not json")
    assert timing.TimingHead.load(tmp_path / "bad.json") is None
    assert timing.TimingHead.load(tmp_path / "missing.json") is None


def test_personalizing_follows_a_user_unlike_the_prior_and_keeps_it_otherwise():
    rng = np.random.default_rng(1)
    prior = timing.TimingHead.fit(*_rows(3000, rng))
    # A user like everyone else: the prior already predicts them; it is kept as it is.
    x, soon, minutes = _rows(1500, rng)
    like = timing.personalize(prior, x, soon, minutes)
    assert like.switch == prior.switch or not like.trained_on["switch"]
    # A user whose switches follow the recent window, not their habits in the app (which
    # is what told for everyone else): the personal fit is taken, and predicts them better.
    window = x[:, timing.FEATURES.index("window_share_ending_soon")]
    theirs = (window + 0.3 * rng.normal(size=len(x)) > 0).astype(float)
    unlike = timing.personalize(prior, x, theirs, minutes)
    assert unlike.trained_on["switch"] is True
    x_new = rng.normal(size=(500, len(timing.FEATURES)))
    truth = x_new[:, timing.FEATURES.index("window_share_ending_soon")] > 0
    assert ((unlike.predict(x_new)[0] >= 0.5) == truth).mean() > 0.75
    assert ((prior.predict(x_new)[0] >= 0.5) == truth).mean() < 0.6
    # Too few moments: the prior alone.
    few = timing.personalize(prior, x[:50], theirs[:50], minutes[:50])
    assert few.switch == prior.switch and few.trained_on == {"personal": "too few moments"}


def test_the_shipped_prior_loads_and_reads_the_features_the_code_computes():
    head = timing.TimingHead.load(timing.SHIPPED_PRIOR)
    assert head is not None
    assert head.trained_on["moments"] > 1000 and head.trained_on["real_fraction"] == 0.7
    # A user who always leaves the editor within a minute or two vs one who stays for an hour.
    short = chain([1, 1] * 30, ["code", "firefox"])
    long = chain([60, 1] * 6, ["code", "firefox"])
    results = []
    for spans in (short, long):
        now = spans[-2].start + 30.0  # 30 s into an editor stay
        stays = timing.AppStays()
        for s in spans[:-2]:
            stays.add(s.app, s.start + s.duration, s.duration)
        inputs = inputs_at(spans[:-1], now)
        row = timing.rows(
            inputs, np.array([0.5]), None, stays.statistics("code", 30.0, now)[None, :]
        )
        results.append(head.predict(row))
    (p_short, minutes_short), (p_long, minutes_long) = results
    assert p_short[0] > 0.5 > p_long[0]
    assert minutes_short[0] < 5.0 < minutes_long[0]


def test_a_timing_refit_that_predicts_worse_keeps_the_head_in_use():
    rng = np.random.default_rng(2)
    prior = timing.TimingHead.fit(*_rows(3000, rng))
    x, soon, minutes = _rows(1500, rng)
    window = x[:, timing.FEATURES.index("window_share_ending_soon")]
    theirs = (window + 0.3 * rng.normal(size=len(x)) > 0).astype(float)
    in_use, _ = timing.gate(prior, None, x, theirs, minutes, np.zeros(len(x)), now=100.0)
    assert in_use.trained_on["switch"] is True and in_use.trained_on["fitted_at"] == 100.0
    # The window now: older moments whose labels say nothing (at random), then the newest 300,
    # after the head in use was fitted, in the user's own rhythm again. A refit on the older
    # ones would predict the newest worse: the switch part in use stays.
    x2, _, minutes2 = _rows(1000, rng)
    window2 = x2[:, timing.FEATURES.index("window_share_ending_soon")]
    labels = (rng.random(len(x2)) < 0.5).astype(float)
    labels[-300:] = (window2[-300:] + 0.3 * rng.normal(size=300) > 0).astype(float)
    times = np.where(np.arange(len(x2)) < 700, 50.0, 150.0)
    head, update = timing.gate(prior, in_use, x2, labels, minutes2, times, now=200.0)
    assert head.switch == in_use.switch and head.trained_on["kept_switch"] is True
    assert update["in_use"]["switch_log_loss"] < update["candidate"]["switch_log_loss"]
    assert head.trained_on["fitted_at"] == 200.0
    # Too few moments since the head in use was fitted: the refit is taken as it is.
    few = np.where(np.arange(len(x2)) < 950, 50.0, 150.0)
    first, record = timing.gate(prior, in_use, x2, labels, minutes2, few, now=200.0)
    assert record["installed"] and record["reason"].startswith("50 moments since")
    assert first.switch == timing.personalize(prior, x2, labels, minutes2).switch


def test_a_timing_refit_that_predicts_better_replaces_the_head_in_use():
    rng = np.random.default_rng(5)
    prior = timing.TimingHead.fit(*_rows(3000, rng))
    x, soon, minutes = _rows(1500, rng)
    in_use, _ = timing.gate(prior, None, x, 1.0 - soon, minutes, np.zeros(len(x)), now=100.0)
    # ... a user unlike anyone, who now is like everyone
    times = np.where(np.arange(len(x)) < 1000, 50.0, 150.0)
    head, update = timing.gate(prior, in_use, x, soon, minutes, times, now=200.0)
    assert update["installed"] and head.switch != in_use.switch
    assert update["candidate"]["switch_log_loss"] <= update["in_use"]["switch_log_loss"]
