"""Does the on-device model's time perception improve the planner's forecast? Measured.

    python benchmarks/forecast_model.py TRACE.csv [TRACE.csv ...] [--tz ZONE] [--split 0.7]
        [--model DIR] [--l2 30] [--json OUT]

The planner forecasts, per quarter hour, the chance that the user is at the computer: their own
history per weekday and quarter hour, moved by how the last half hour ran (`desktop.plan
.forecast`). The network reads the last 24 spans and says what comes next (the chance the next
activity is "away"), whether the current one ends within 5 minutes and how long it has left.
This asks whether those outputs carry anything the history statistics do not.

For every trace (the CSV import format, as `sculptor-train evaluate-plan` reads it): at each
quarter hour from 07:00 to 23:00 of every day, the forecast of each of the next eight quarter
hours as the planner makes it (history before that day, moved by the present), and the network's
outputs at that moment. Per lead, a logistic regression with the forecast's log-odds as offset
and the network's outputs as inputs is fitted on the days before the cut (at `split` of the
trace's time, as evaluate-plan cuts) and scored on the days after it, against the forecast
alone. Reported: log loss and Brier score of both on the held-out days, per trace and pooled,
on all moments and on the moments when the user is at the computer (where the network has a
current activity to read). The timeline is evaluate-plan's: a row's span lasts until the next
row, at most 15 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from desktop.plan import forecast as fc  # noqa: E402
from edge_model import features  # noqa: E402
from edge_model.categories import AWAY, categorize  # noqa: E402
from edge_model.runtime import ModelRuntime  # noqa: E402
from training import plan_eval  # noqa: E402

SHIPPED = REPO / "edge_model" / "shipped"
LEADS = 8  # quarter hours ahead: the planner commits a block up to two hours out
FIRST, LAST = 7 * 60, 23 * 60
L2 = 30.0  # ridge on the weights, the default of --l2 (the offset's is fixed at 1)
AWAY_INDEX = features.CATEGORY_INDEX[AWAY]


@dataclass
class Moments:
    """Per decision moment: which day, at the computer now, the forecast, the network, the truth."""

    day: np.ndarray  # (n,) timeline day index
    present: np.ndarray  # (n,) at the computer in the last 15 minutes
    forecast: np.ndarray  # (n, LEADS) the planner's chance of being at the computer
    network: np.ndarray  # (n, 3) P(next is away), P(ends within 5 min), log1p(minutes left)
    actual: np.ndarray  # (n, LEADS) share of each coming quarter hour at the computer


def spans_of(rows: list[tuple[dt.datetime, str]]) -> list[features.SpanLike]:
    """Return the trace as window spans on a local clock (naive times read as UTC, offset 0)."""

    @dataclass(frozen=True)
    class Span:
        start: float
        duration: float
        app: str
        category: str
        source: str = "window"

    out = []
    for (this, app), (following, _) in zip(rows, rows[1:], strict=False):
        start = this.replace(tzinfo=dt.UTC).timestamp()
        seconds = min((following - this).total_seconds(), plan_eval.SPAN_CAP_S)
        out.append(Span(start, seconds, app, categorize(app)))
    return out


def moments(
    rows: list[tuple[dt.datetime, str]], runtime: ModelRuntime, split: float = 0.7
) -> tuple[Moments, int]:
    """Return every decision moment of a trace and the index of the first day after the cut."""
    times = [moment for moment, _ in rows]
    timeline = plan_eval.timeline_of(times)
    spans = features.Timeline.from_spans(spans_of(rows))
    first_day = (timeline.first_minute or 0) // fc.DAY_MIN
    last_day = timeline.minute_of(times[-1]) // fc.DAY_MIN
    days, present, forecasts, network, actual = [], [], [], [], []
    for day in range(int(first_day) + 7, int(last_day)):
        forecast = fc.forecast(timeline, day, 2)
        contexts, rows_of_day = [], []
        for minute in range(FIRST, LAST, fc.SLOT_MIN):
            now = day * fc.DAY_MIN + minute
            if now + LEADS * fc.SLOT_MIN > timeline.days * fc.DAY_MIN:
                break
            conditioned = forecast.conditioned(now)
            slots = [forecast.slot_of(now + lead * fc.SLOT_MIN) for lead in range(LEADS)]
            forecasts.append([conditioned[d, s] for d, s in slots])
            coming = timeline.active[now : now + LEADS * fc.SLOT_MIN]
            actual.append(list(coming.reshape(LEADS, fc.SLOT_MIN).mean(axis=1)))
            days.append(day)
            present.append(float(timeline.active[now - fc.SLOT_MIN : now].mean()) > 0.0)
            epoch = timeline.when(now).replace(tzinfo=dt.UTC).timestamp()
            contexts.append(features.Context(now=epoch))
            rows_of_day.append(len(days) - 1)
        if not contexts:
            continue
        batch = features.featurize_many(spans, contexts)
        out = runtime.run_batch(batch)
        minutes = np.expm1(
            features.TIME_TO_SWITCH_SCALE * np.maximum(out["time_to_switch"][:, 0], 0.0)
        )
        network += list(
            zip(
                out["next_category"][:, AWAY_INDEX],
                out["switch_soon"][:, 0],
                np.log1p(minutes),
                strict=True,
            )
        )
    cut = times[0] + (times[-1] - times[0]) * split
    cut_day = (cut.date() - timeline.origin).days + 1
    result = Moments(
        np.asarray(days),
        np.asarray(present, bool),
        np.clip(np.asarray(forecasts), fc.EDGE, 1 - fc.EDGE),
        np.asarray(network, np.float64),
        np.asarray(actual),
    )
    return result, cut_day


def fit(offset: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Return the weights (bias first) of a ridge logistic regression with a fixed offset."""
    design = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(design.shape[1])
    for _ in range(25):
        p = fc._sigmoid(offset + design @ w)
        gradient = design.T @ (y - p) - l2 * w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w += step
        if np.abs(step).max() < 1e-7:
            break
    return w


def scores(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    log_loss = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    return log_loss, float(((p - y) ** 2).mean())


def compare(found: Moments, cut_day: int, l2: float = L2) -> dict:
    """Return held-out log loss / Brier of the forecast alone and with the network, per subset."""
    train, test = found.day < cut_day, found.day >= cut_day
    standardized = (found.network - found.network[train].mean(0)) / (
        found.network[train].std(0) + 1e-9
    )
    shape = (len(found.day), LEADS)
    alone, shifted, both = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for lead in range(LEADS):
        offset = fc._logit(found.forecast[:, lead])
        y = found.actual[train, lead]
        # The same fit without the network: what a recalibration of the forecast alone gains.
        bias = fit(offset[train], np.zeros((int(train.sum()), 0)), y, l2)
        w = fit(offset[train], standardized[train], y, l2)
        alone[:, lead] = found.forecast[:, lead]
        shifted[:, lead] = fc._sigmoid(offset + bias[0])
        both[:, lead] = fc._sigmoid(offset + w[0] + standardized @ w[1:])
    result = {"train_moments": int(train.sum()), "test_moments": int(test.sum())}
    for name, mask in (("all", test), ("at_computer", test & found.present)):
        y = found.actual[mask].reshape(-1)
        if not len(y):
            continue
        result[name] = {
            "moments": int(mask.sum()),
            "forecast": scores(alone[mask].reshape(-1), y),
            "recalibrated": scores(shifted[mask].reshape(-1), y),
            "with_network": scores(both[mask].reshape(-1), y),
        }
    return result


COLUMNS = ("forecast", "recalibrated", "with_network")


def _cells(result: dict) -> str:
    return " ".join(f"{result[key][0]:8.4f} {result[key][1]:7.4f}" for key in COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("traces", nargs="+", type=Path)
    parser.add_argument("--tz", default=None, help="zone of Z timestamps (default: the machine's)")
    parser.add_argument("--split", type=float, default=0.7, help="the cut, as evaluate-plan's")
    parser.add_argument("--model", type=Path, default=SHIPPED)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--l2", type=float, default=L2, help=f"ridge strength (default {L2:g})")
    args = parser.parse_args(argv)
    runtime = ModelRuntime(args.model)
    tz = plan_eval.local_zone(args.tz)
    report: dict = {"model": runtime.version, "l2": args.l2, "traces": {}}
    pooled: dict[str, list] = {}
    began = time.perf_counter()
    for path in args.traces:
        found, cut_day = moments(plan_eval.read_rows(path, tz), runtime, args.split)
        result = compare(found, cut_day, args.l2)
        report["traces"][path.stem] = result
        for name in ("all", "at_computer"):
            if name in result:
                pooled.setdefault(name, []).append(result[name])
    print(f"model {runtime.version}; log loss / Brier on the days after the cut (lower is better)")
    print(
        f"{'trace':10} {'moments':>8} {'subset':12} {'forecast':>16} {'recalibrated':>16} "
        f"{'with network':>16}"
    )
    for stem, result in report["traces"].items():
        for name in ("all", "at_computer"):
            if name not in result:
                continue
            r = result[name]
            print(f"{stem:10} {r['moments']:8d} {name:12} " + _cells(r))
    report["pooled"] = {}
    for name, parts in pooled.items():
        weights = np.array([p["moments"] for p in parts], float)
        report["pooled"][name] = {
            key: [float(v) for v in np.average([p[key] for p in parts], axis=0, weights=weights)]
            for key in COLUMNS
        }
        print(f"{'pooled':10} {int(weights.sum()):8d} {name:12} " + _cells(report["pooled"][name]))
    print(f"{time.perf_counter() - began:.1f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
