"""The synthetic generator's statistics against real data (training.realism, `realism` command).

The comparison with ../shared/data replaces ranges that were once read off the real traces by
hand: the real figures are recomputed from the traces and the time-use survey on every run.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from training import realism
from training.cli import main as train_main
from training.synthetic.days import corpus
from training.synthetic.persons import Span, is_student

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
HERE = (DATA / "desktop-windows").is_dir()
NOT_HERE = "../shared/data is not here (it is not part of the repository)"

# Rows where the generator is known to sit outside the real data, with why. Strict xfails: when a
# change to the generator brings one inside, the test says so and the entry must go. None now:
# the rhythm rows came inside when the generator's students got their own laptops' evening day
# (session 7), the weekend rows when desk workers' weekend work followed the survey.
KNOWN_OFF: dict[str, str] = {}


@pytest.fixture(scope="module")
def result() -> dict:
    if not HERE:
        pytest.skip(NOT_HERE)
    return realism.compare(DATA, personas=60, weeks=2, seed=0)  # the corpus pretrain uses


@pytest.mark.parametrize(
    "stat",
    [
        pytest.param(
            s,
            id=s.key,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_OFF[s.key])]
            if s.key in KNOWN_OFF
            else [],
        )
        for s in realism.TRACE_STATS + realism.ATUS_STATS
    ],
)
def test_synthetic_people_sit_inside_the_real_range(result: dict, stat: realism.Stat) -> None:
    row = next(r for r in result["rows"] if r["key"] == stat.key)
    if row["real"] is None:
        pytest.skip(f"no real figure for {stat.key} in {DATA}")
    assert row["real"]["n"] >= (2 if stat.source == "traces" else 10)
    assert row["synthetic"]["n"] >= {"everyone": 60, "students": 8, "workers": 40}[stat.people]
    assert row["inside"], (
        f"{stat.label}: synthetic {row['checked']:.3g} outside real "
        f"{row['real']['min']:.3g}..{row['real']['max']:.3g} (tolerance {row['tolerance']:.3g})"
    )


def test_every_real_trace_is_read_in_its_local_time(result: dict) -> None:
    traces = result["traces"]
    assert len(traces) == 6
    assert traces["user_a.csv"]["zone"] == "local"  # no zone in the file: its own wall clock
    assert traces["user_c.csv"]["zone"] == "America/Los_Angeles"
    assert traces["linux-pc-window-bucket.json"]["activity_centre_hour"] is None  # zone unknown
    assert result["atus"]["by_year"].keys() >= {"2003", "2016", "all"}


def test_the_check_fails_a_generator_with_one_second_spans() -> None:
    if not HERE:
        pytest.skip(NOT_HERE)
    people = [
        (p, [dataclasses.replace(s, duration=1.0) if s.source == "window" else s for s in spans])
        for p, spans in corpus(6, 1, seed=3)
    ]
    off = realism.compare(DATA, people=people)["off"]
    assert {"median_span_s", "p90_span_s", "short_span_fraction"} <= set(off)


def test_the_rhythm_is_checked_on_the_students_and_fails_office_hours() -> None:
    if not HERE:
        pytest.skip(NOT_HERE)
    people = corpus(60, 2, seed=0)
    students = [(p, spans) for p, spans in people if is_student(p.name)]
    assert 8 <= len(students) < 20  # 15% of the generator's people
    # The same students with their day moved 7 hours earlier (an office day): the rhythm rows go.
    early = [
        (p, [dataclasses.replace(s, start=s.start - 7 * 3600.0) for s in spans])
        if is_student(p.name)
        else (p, spans)
        for p, spans in people
    ]
    off = realism.compare(DATA, people=early)["off"]
    assert {"activity_centre_hour", "evening_share", "rhythm_correlation"} <= set(off)
    assert "median_span_s" not in off and "work_min_weekday" not in off


# --- without ../shared/data: a made-up data folder -----------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """One synthetic person's two weeks as a UTC CSV export, plus a tiny time-use survey."""
    [(_, spans)] = corpus(1, 2, seed=5)
    folder = tmp_path / "desktop-windows"
    folder.mkdir()
    rows = ["timestamp,app,duration"]
    for s in spans:
        if s.source == "window":
            stamp = dt.datetime.fromtimestamp(s.start, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            rows.append(f"{stamp},{s.app},{s.duration:.3f}")
    (folder / "user_z.csv").write_text("\n".join(rows) + "\n")
    survey = tmp_path / "time-use"
    survey.mkdir()
    people = [
        # tucaseid, year, month, day (2015-03-02 a Monday, 03-07 a Saturday), status, ptft, job
        ("1", 2015, 3, 2, "employed-at work", "FT", "professional", 2.0),
        ("2", 2015, 3, 2, "employed-at work", "FT", "office_admin", 1.0),
        ("3", 2015, 3, 6, "employed-at work", "FT", "mgmt_biz_finance", 1.0),
        ("4", 2015, 3, 7, "employed-at work", "FT", "professional", 1.0),
        ("5", 2015, 3, 2, "employed-at work", "PT", "professional", 1.0),  # part time: out
        ("6", 2015, 3, 2, "employed-at work", "FT", "sales", 1.0),  # not a desk job: out
    ]
    with gzip.open(survey / "atus_respondents.csv.gz", "wt", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(  # the columns it reads; the real file has more
            [
                "tucaseid",
                "tuyear",
                "diary_mo",
                "diary_day",
                "labor_status",
                "ptft",
                "occup_code",
                "wt",
            ]
        )
        out.writerows(people)
    minutes = [
        ("1", "10101", "480"),  # sleeping
        ("1", "50101", "500"),  # working, main job
        ("1", "50201", "30"),  # work-related activities: not working
        ("2", "50101", "400"),
        ("2", "50102", "20"),  # working, other job
        ("3", "50101", "420"),
        ("4", "120303", "240"),  # television: a Saturday off
        ("5", "50101", "240"),
        ("6", "50101", "480"),
    ]
    with gzip.open(survey / "atus_activity_minutes.csv.gz", "wt", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["tucaseid", "tiercode", "dur"])
        out.writerows(minutes)
    return tmp_path


def test_survey_work_minutes_are_weighted_working_codes_by_weekday(data_dir: Path) -> None:
    atus = realism.atus_work(data_dir)
    assert atus is not None and "4 diary days" in atus["population"]
    year = atus["by_year"]["2015"]
    assert year["work_min_weekday"] == pytest.approx((2 * 500 + 420 + 420) / 4)
    assert year["work_min_worked_weekday"] == pytest.approx(year["work_min_weekday"])
    assert year["worked_share_weekday"] == 1.0
    assert year["friday_to_mon_thu"] == pytest.approx(420 / ((2 * 500 + 420) / 3))
    assert year["worked_share_weekend"] == 0.0 and year["work_min_weekend"] == 0.0
    assert realism.atus_work(data_dir / "nowhere") is None


def test_a_utc_trace_is_shifted_into_its_zone() -> None:
    winter = dt.datetime(2022, 1, 10, 17, 0, tzinfo=dt.UTC).timestamp()  # 09:00 in San Diego
    [span] = realism.local_spans(
        [Span(winter, 60.0, "a.exe", "unknown", "window")], "America/Los_Angeles"
    )
    assert span.start == winter - 8 * 3600
    assert (
        realism.local_spans([Span(winter, 60.0, "a", "unknown", "window")], None)[0].start == winter
    )


def test_work_minutes_count_work_sittings_less_meals() -> None:
    day = dt.datetime(2024, 3, 4, tzinfo=dt.UTC).timestamp()  # a Monday
    at = day + 9 * 3600
    spans = [
        Span(at, 3 * 3600.0, "code", "development", "window"),
        Span(at + 3 * 3600, 45 * 60.0, "", "away", "afk"),  # lunch: not work
        Span(at + 3.75 * 3600, 4 * 3600.0, "code", "development", "window"),
        Span(day + 20 * 3600, 3600.0, "firefox", "browsing", "window"),  # evening: leisure
    ]
    assert realism.work_minutes_by_day(spans) == {int(day // 86400): 7 * 60.0}
    stats = realism.person_statistics(spans)
    assert stats["night_share"] == 0.0 and stats["evening_share"] == pytest.approx(1 / 8)
    assert stats["hours_per_active_weekday"] is None  # one day is not a week


def test_realism_command_prints_the_table_and_writes_json(data_dir, tmp_path, capsys) -> None:
    out = tmp_path / "realism.json"
    args = ["realism", "--data", str(data_dir), "--personas", "4", "--weeks", "1", "--seed", "2"]
    assert train_main([*args, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for stat in realism.TRACE_STATS + realism.ATUS_STATS:
        assert stat.label in printed
    assert "user_z.csv: unknown" in printed  # a UTC file from nowhere known
    result = json.loads(out.read_text())
    assert set(result["traces"]) == {"user_z.csv"} and len(result["people"]) == 4
    assert result["synthetic"] == {"personas": 4, "weeks": 1, "seed": 2}
    rows = {r["key"]: r for r in result["rows"]}
    assert rows["median_span_s"]["real"]["n"] == 1
    assert rows["median_span_s"]["inside"] in (True, False)
    assert rows["work_min_weekday"]["real"]["all_years"] == pytest.approx(460.0)
    assert np.isclose(sum(result["people"][next(iter(result["people"]))]["hourly_share"]), 1.0)
    assert train_main(["realism", "--data", str(tmp_path / "none-here")]) == 2
    assert "no data folder" in capsys.readouterr().err
