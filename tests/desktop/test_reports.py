"""desktop.reports on a real SQLite store filled with spans whose summaries are known by hand."""

from __future__ import annotations

import pytest

from desktop import reports
from desktop.store import Event, Store
from edge_model.manifest import read_manifest
from edge_model.registry import SHIPPED_DIR

DAY = 20_000 * 86_400.0  # a UTC midnight
H = 3600.0
M = 60.0


def window(start: float, end: float, app: str, category: str) -> Event:
    return Event(start=start, duration=end - start, source="window", app=app, category=category)


def at(hour: float, minute: float = 0.0, day: float = DAY) -> float:
    return day + hour * H + minute * M


# The day, by hand:
#   09:00-10:00 development | 10:00-10:03 social (a short detour) | 10:03-10:30 development
#   10:30-10:40 away | 10:40-11:00 browsing | 11:00-11:30 zoom (+ a calendar meeting)
#   11:30-12:00 nothing recorded (a break) | 12:00-12:10 office
DAY_EVENTS = [
    window(at(9), at(10), "code", "development"),
    window(at(10), at(10, 3), "reddit", "social"),
    window(at(10, 3), at(10, 30), "code", "development"),
    Event(start=at(10, 30), duration=10 * M, source="afk", category="away"),
    window(at(10, 40), at(11), "firefox", "browsing"),
    window(at(11), at(11, 30), "zoom", "meetings"),
    Event(start=at(11), duration=30 * M, source="calendar", app="standup", category="meetings"),
    window(at(12), at(12, 10), "libreoffice", "office"),
]


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "db.sqlite3")
    db.insert_events(DAY_EVENTS)
    yield db
    db.close()


def suggest(store: Store, created_at: float, outcome: str | None) -> int:
    sid = store.add_suggestion(
        created_at=created_at,
        kind="break",
        text="Time for a break.",
        explanation="",
        model_version="v1",
        features={},
        score=0.7,
        propensity=0.9,
    )
    if outcome is not None:
        store.record_feedback(sid, outcome, created_at + 30)
    return sid


def test_day_start_and_hours_follow_the_offset():
    assert reports.day_start(at(23, 59)) == DAY
    assert reports.day_start(at(23, 30), utc_offset_s=H) == DAY + 23 * H  # 00:30 local
    assert reports.minutes_until_tomorrow(at(22)) == 120.0


def test_timeline_has_categories_away_and_meetings(store):
    timeline = reports.day_timeline(store.events(DAY, DAY + 86_400), DAY, DAY + 86_400)
    kinds = [(s.kind, s.category) for s in timeline.spans]
    assert kinds == [
        ("active", "development"),
        ("active", "social"),
        ("active", "development"),
        ("away", "away"),
        ("active", "browsing"),
        ("active", "meetings"),
        ("active", "office"),
    ]
    [meeting] = timeline.meetings
    assert (meeting.start, meeting.end, meeting.app) == (at(11), at(11, 30), "standup")


def test_category_totals_exclude_away_and_sort_largest_first(store):
    totals = reports.category_totals(store.events(DAY, DAY + 86_400), DAY, DAY + 86_400)
    assert totals == [
        ("development", 87 * M),
        ("meetings", 30 * M),
        ("browsing", 20 * M),
        ("office", 10 * M),
        ("social", 3 * M),
    ]


def test_balance_counts_breaks_and_tolerates_short_detours_in_focus(store):
    suggest(store, at(10, 15), "accepted")
    result = reports.balance(
        store.events(DAY, DAY + 86_400), DAY, DAY + 86_400, store.suggestions()
    )
    assert result.active_s == 150 * M
    assert result.away_s == 10 * M
    assert result.breaks_taken == 2  # the away span and the unrecorded half hour
    assert result.longest_stretch_s == 90 * M  # 09:00-10:30
    assert result.longest_focus_s == 90 * M  # the 3-minute detour does not end it
    assert result.longest_focus_start == at(9)
    assert result.suggested_breaks_accepted == 1


def test_a_long_detour_ends_focus(tmp_path):
    db = Store(tmp_path / "db.sqlite3")
    db.insert_events(
        [
            window(at(9), at(9, 40), "code", "development"),
            window(at(9, 40), at(9, 50), "youtube", "entertainment"),
            window(at(9, 50), at(10, 10), "code", "development"),
        ]
    )
    result = reports.balance(db.events(DAY, DAY + 86_400), DAY, DAY + 86_400)
    assert result.longest_focus_s == 40 * M
    assert result.longest_stretch_s == 70 * M and result.breaks_taken == 0
    db.close()


def test_week_heatmap_splits_spans_across_hours_and_midnight(tmp_path):
    db = Store(tmp_path / "db.sqlite3")
    db.insert_events(DAY_EVENTS + [window(at(23, 30, DAY - 86_400), at(0, 30), "code", "office")])
    first = DAY - 6 * 86_400
    heatmap = reports.week_heatmap(db.events(first, DAY + 86_400), first)
    assert len(heatmap.day_starts) == 7 and heatmap.day_starts[-1] == DAY
    today, yesterday = heatmap.minutes[6], heatmap.minutes[5]
    assert yesterday[23] == pytest.approx(30)
    assert today[0] == pytest.approx(30)
    assert today[9] == pytest.approx(60)
    assert today[10] == pytest.approx(3 + 27 + 20)  # away time is not active
    assert today[11] == pytest.approx(30) and today[12] == pytest.approx(10)
    assert heatmap.peak == pytest.approx(60)
    db.close()


def test_suggestion_history_outcomes_and_acceptance_by_hour(store):
    suggest(store, at(10, 20, DAY - 86_400), "accepted")
    suggest(store, at(10, 15), "accepted")
    suggest(store, at(10, 45), "dismissed")
    pending = suggest(store, at(14), None)
    rows = reports.suggestion_rows(store.suggestions(), DAY, DAY + 86_400)
    assert [r.outcome for r in rows] == ["pending", "dismissed", "accepted"]
    assert rows[0].id == pending
    assert reports.outcome_counts(rows) == {
        "accepted": 1,
        "snoozed": 0,
        "dismissed": 1,
        "ignored": 0,
        "pending": 1,
    }
    by_hour = reports.acceptance_by_hour(store.suggestions())
    assert (by_hour[10].answered, by_hour[10].accepted) == (3, 2)
    assert by_hour[10].rate == pytest.approx(2 / 3)
    assert by_hour[14].answered == 0 and by_hour[14].rate is None
    assert reports.best_hours(by_hour) == []  # 3 answers are too few to tell


def test_best_hours_rank_by_acceptance_once_there_are_enough_answers(store):
    for day in range(3):
        suggest(store, at(15, 0, DAY - day * 86_400), "accepted")
        suggest(store, at(9, 30, DAY - day * 86_400), "dismissed")
    suggest(store, at(11, 0), "accepted")
    suggest(store, at(11, 30), "ignored")
    rates = reports.acceptance_by_hour(store.suggestions())
    assert reports.best_hours(rates) == [11, 15]


def test_model_summary_reads_history_manifest_and_answers(store):
    store.record_model("v1", "/m/v1", sha256="a", feature_spec_version=1, status="active", at=DAY)
    store.record_model(
        "v2",
        "/m/v2",
        sha256="b",
        feature_spec_version=9,
        status="refused",
        reason="spec",
        at=DAY + H,
    )
    suggest(store, at(10), "accepted")
    manifest = read_manifest(SHIPPED_DIR)
    summary = reports.model_summary(store.model_history(), store.suggestions(), manifest)
    assert summary.version == manifest.version
    assert [r.version for r in summary.history] == ["v2", "v1"]
    assert summary.history[0].reason == "spec"
    metrics = dict(summary.metrics)
    assert metrics["held_out_examples"] == manifest.metrics["held_out_examples"]
    assert metrics["tflite.next_category_top1"] == manifest.metrics["tflite"]["next_category_top1"]
    assert summary.answers == 1 and summary.by_hour[10].accepted == 1
    # Without a manifest (no model served), the newest active version from the history.
    bare = reports.model_summary(store.model_history(), [], None)
    assert (bare.version, bare.active_since, bare.metrics) == ("v1", DAY, ())


def test_glance_counts_today_up_to_now(store):
    suggest(store, at(10, 15), "accepted")
    suggest(store, at(10, 45), "dismissed")
    suggest(store, at(13), None)  # after "now"
    glance = reports.glance(store, now=at(12, 5))
    assert glance == reports.Glance(active_s=145 * M, breaks=2, suggestions=2, accepted=1)


def test_app_state_paused_wins_then_learning():
    assert reports.app_state(100.0, paused_until=200.0, learning=True) == "paused"
    assert reports.app_state(300.0, paused_until=200.0, learning=True) == "learning"
    assert reports.app_state(300.0, paused_until=None, learning=False) == "collecting"


def test_dashboard_bundles_day_and_week(store):
    suggest(store, at(10, 15), "accepted")
    suggest(store, at(10, 15, DAY - 10 * 86_400), "accepted")  # outside the week
    data = reports.dashboard(store, at(15), now=at(15), period="week")
    assert data.day_start == DAY
    assert (data.period_start, data.period_end) == (DAY - 4 * 86_400, DAY + 3 * 86_400)
    assert dict(data.day_categories)["development"] == 87 * M
    assert data.day_balance.breaks_taken == 2
    assert data.balance.active_s == data.day_balance.active_s  # nothing else this week
    assert [r.at for r in data.suggestions] == [at(10, 15)]
    assert data.outcomes["accepted"] == 1
    assert data.model.answers == 2  # the model page learns from all answers
    assert data.is_current and data.has_data


def test_periods_are_calendar_days_weeks_and_months():
    # DAY (2024-10-04) is a Friday.
    assert reports.period_bounds(at(15), "day") == (DAY, DAY + 86_400)
    monday = DAY - 4 * 86_400
    assert reports.period_bounds(at(15), "week") == (monday, monday + 7 * 86_400)
    first = DAY - 3 * 86_400  # 2024-10-01
    assert reports.period_bounds(at(15), "month") == (first, first + 31 * 86_400)
    # Local time decides: 23:30 UTC on Sunday is already Monday at +1 h.
    sunday_night = at(23, 30, monday + 6 * 86_400)
    assert reports.period_bounds(sunday_night, "week", utc_offset_s=H)[0] == monday + 7 * 86_400 - H
    # A month back from 31 October is the last day of September; from 31 March, 29 February.
    october_31 = at(12, 0, first + 30 * 86_400)
    assert reports.step_period(october_31, "month", -1) == at(12, 0, first - 86_400)
    march_31 = reports.local_noon(2024, 3, 31)
    assert reports.step_period(march_31, "month", -1) == reports.local_noon(2024, 2, 29)
    assert reports.step_period(march_31, "month", 10) == reports.local_noon(2025, 1, 31)
    assert reports.step_period(at(15), "week", -2) == at(15) - 14 * 86_400


def test_a_past_day_without_data_knows_the_latest_day_that_has_some(store):
    """Years of imported history and no collection since: the dashboard can get back to it."""
    now = DAY + 400 * 86_400 + 10 * H
    past = reports.dashboard(store, DAY + 30 * 86_400, now=now)
    assert not past.has_data and not past.is_current
    assert past.latest_day == DAY
    today = reports.dashboard(store, now, now=now, period="month")
    assert not today.has_data and today.is_current and today.latest_day == DAY
    assert reports.dashboard(store, at(15), now=now).has_data
    # A span across midnight makes the day it ends in the latest; nothing after `now` counts.
    store.insert_events([window(at(23, 50), at(0, 20, DAY + 86_400), "code", "development")])
    store.insert_events([window(now + H, now + 2 * H, "code", "development")])
    assert reports.dashboard(store, now, now=now).latest_day == DAY + 86_400


def test_apps_inside_each_category_and_titles_only_where_kept_in_clear(tmp_path):
    spans = [
        Event(start=at(9), duration=40 * M, source="window", app="code", title="a.py",
              category="development"),
        Event(start=at(9, 40), duration=20 * M, source="window", app="code", title="b.py",
              category="development"),
        Event(start=at(10), duration=15 * M, source="window", app="terminal", title="make",
              category="development"),
        Event(start=at(10, 15), duration=5 * M, source="window", app="firefox", title="news",
              category="browsing"),
        Event(start=at(10, 20), duration=30 * M, source="afk", category="away"),
    ]  # fmt: skip
    hashed = Store(tmp_path / "hashed.sqlite3")
    clear = Store(tmp_path / "clear.sqlite3", store_titles=True)
    for db in (hashed, clear):
        db.insert_events(spans)
    [development, browsing] = reports.dashboard(hashed, at(15), now=at(15)).apps
    assert (development.name, development.seconds) == ("development", 75 * M)
    assert [(a.name, a.seconds, a.children) for a in development.children] == [
        ("code", 60 * M, ()),  # titles are hashes here: nothing to show
        ("terminal", 15 * M, ()),
    ]
    assert (browsing.name, browsing.children[0].name) == ("browsing", "firefox")
    [development, _] = reports.dashboard(clear, at(15), now=at(15)).apps
    code = development.children[0]
    assert [(t.name, t.seconds) for t in code.children] == [("a.py", 40 * M), ("b.py", 20 * M)]
    # Past `max_titles`, the rest is one row named "".
    tree = reports.usage_tree(clear.app_totals(DAY, DAY + 86_400), max_titles=1)
    assert [(t.name, t.seconds) for t in tree[0].children[0].children] == [
        ("a.py", 40 * M),
        ("", 20 * M),
    ]
    hashed.close()
    clear.close()


def test_calendar_meetings_and_other_calendar_entries_are_told_apart(tmp_path):
    db = Store(tmp_path / "db.sqlite3")
    db.insert_events(
        [
            Event(start=at(11), duration=30 * M, source="calendar", app="calendar",
                  category="meetings"),
            Event(start=at(13), duration=60 * M, source="calendar", app="calendar",
                  category="unknown"),
        ]
    )  # fmt: skip
    timeline = reports.day_timeline(db.events(DAY, DAY + 86_400), DAY, DAY + 86_400)
    assert [s.kind for s in timeline.meetings] == ["meeting", "event"]
    db.close()


def test_heat_levels_have_fixed_bounds_the_legend_can_name():
    assert [reports.heat_level(m) for m in (0, 0.2, 14.9, 15, 29, 30, 44.9, 45, 60)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip


# The dashboard sums in SQL (desktop/store.py); the functions above walk Event objects in
# Python. Both must show the user the same numbers, including where spans cross midnight, hour
# boundaries and the night clocks change (Europe/Berlin went from +1 h to +2 h at 01:00 UTC on
# 2024-03-31, so that local day had 23 hours; the dashboard shows a day with the offset it is
# given, as desktop/ui/app.py passes it).
BERLIN_DST_DAY = 1_711_839_600.0  # 2024-03-31T00:00+01:00


def _random_history(seed: int) -> list[Event]:
    import random

    rng = random.Random(seed)
    apps = [("code", "development"), ("slack", "communication"), ("youtube", "entertainment"),
            ("firefox", "browsing"), ("gimp", "away"), ("zoom", "meetings")]  # fmt: skip
    events: list[Event] = []
    now = BERLIN_DST_DAY - 9 * 86_400.0
    while now < BERLIN_DST_DAY + 4 * 86_400.0:
        kind = rng.random()
        duration = rng.choice([0.0, 0.5, 30.0, 400.0, 1_900.0, 7_300.0, rng.uniform(1, 3_000)])
        if kind < 0.08:
            events.append(Event(start=now, duration=duration, source="afk", category="away"))
        elif kind < 0.12:
            events.append(
                Event(start=now, duration=1_800.0, source="calendar", app="sync",
                      category="meetings")
            )  # fmt: skip
        else:
            app, category = rng.choice(apps)
            source = "import" if kind < 0.3 else "window"
            events.append(
                Event(start=now, duration=duration, source=source, app=app, category=category)
            )
        # Mostly back to back, sometimes overlapping, sometimes a gap (a break).
        now += duration * rng.choice([1.0, 1.0, 0.5]) + rng.choice([0.0, 0.0, 60.0, 1_200.0])
    # Spans across every local midnight at either offset (23:00 and 22:00 UTC), one across the
    # DST change, one from before the week into it.
    events += [
        window(BERLIN_DST_DAY + d * 86_400.0 - 1.2 * H, BERLIN_DST_DAY + d * 86_400.0 + 0.2 * H,
               "code", "development")
        for d in range(-8, 5)
    ]  # fmt: skip
    events += [
        window(BERLIN_DST_DAY - 1_800.0, BERLIN_DST_DAY + 2_700.0, "code", "development"),
        window(BERLIN_DST_DAY + 2_400.0, BERLIN_DST_DAY + 9_000.0, "code", "development"),
        window(BERLIN_DST_DAY - 8 * 86_400.0, BERLIN_DST_DAY - 5.5 * 86_400.0, "vim", "writing"),
    ]
    return events


def _assert_same(shown, straightforward, where: str = "") -> None:
    if isinstance(shown, float) or isinstance(straightforward, float):
        assert shown == pytest.approx(straightforward, rel=1e-9, abs=1e-6), where
    elif isinstance(shown, tuple | list):
        assert len(shown) == len(straightforward), where
        for index, (a, b) in enumerate(zip(shown, straightforward, strict=True)):
            _assert_same(a, b, f"{where}[{index}]")
    elif hasattr(shown, "__dataclass_fields__"):
        for name in shown.__dataclass_fields__:
            _assert_same(getattr(shown, name), getattr(straightforward, name), f"{where}.{name}")
    else:
        assert shown == straightforward, where


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("period", ["day", "week", "month"])
@pytest.mark.parametrize(
    ("local_day", "offset_h"),
    [(-1, 1), (0, 1), (0, 2), (1, 2), (2, 2)],  # the days around the change, each offset
)
def test_dashboard_sums_in_sql_what_the_span_by_span_functions_compute(
    tmp_path, seed, period, local_day, offset_h
):
    db = Store(tmp_path / f"db-{seed}.sqlite3")
    db.insert_events(_random_history(seed))
    for index in range(12):
        suggest(db, BERLIN_DST_DAY + (index - 8) * 20_000.0, "accepted" if index % 3 else None)
    offset = offset_h * H
    day = BERLIN_DST_DAY + local_day * 86_400.0 + 12 * H
    shown = reports.dashboard(db, day, now=day, utc_offset_s=offset, period=period)
    start = reports.day_start(day, offset)
    end = start + 86_400.0
    first, last = reports.period_bounds(day, period, offset)
    spans = db.events(first, last, sources=reports.TIMELINE_SOURCES)
    in_period = [s for s in db.suggestions() if first <= s.created_at < last]
    assert shown.day_balance.active_s > 3 * H  # the comparison is about something
    assert any(e.start < start < e.end for e in spans)  # a span crosses the local midnight
    _assert_same(shown.day_categories, tuple(reports.category_totals(spans, start, end)), "day")
    _assert_same(shown.categories, tuple(reports.category_totals(spans, first, last)), period)
    _assert_same(shown.day_balance, reports.balance(spans, start, end, in_period), "day")
    _assert_same(shown.balance, reports.balance(spans, first, last, in_period), period)
    days = int(round((last - first) / 86_400.0))
    _assert_same(shown.heatmap, reports.week_heatmap(spans, first, days), "heatmap")
    _assert_same(shown.apps, reports.usage_tree(reports.app_rows(spans, first, last)), "apps")
    assert shown.timeline == reports.day_timeline(spans, start, end)
    db.close()


def test_hourly_totals_cut_a_span_at_each_hour_and_at_the_range(tmp_path):
    db = Store(tmp_path / "db.sqlite3")
    # 22:30 the day before until 01:15: four hours touched, the first outside the range.
    db.insert_events([window(at(22, 30, DAY - 86_400), at(1, 15), "code", "development")])
    hours = db.hourly_totals(DAY - H, 3, sources=("window",))
    assert hours == [
        (0, "window", "development", 3_600.0),
        (1, "window", "development", 3_600.0),
        (2, "window", "development", 900.0),
    ]
    assert db.clipped_spans(DAY, DAY + H) == [(DAY, DAY + H, "development")]
    db.close()
