"""The real desktop traces of the data folder, split in time the way every tool here splits them.

The data folder (docs/data.md, "The evaluation data") holds public traces that are not part of
the repository: `TIME_SCULPTOR_TRACES` names it, else `data/` at the repository's root.

`sculptor-train evaluate` personalizes on the first 70% of a user's app switches and predicts the
rest. So everything that learns from a real trace — the network's pretraining (`pretrain
--real-data`), the next-app head's prior (`pretrain-app-head`) — takes only the part before that
cut, and the benchmark's real evaluation moments come only from after it: no tool ever scores a
moment that a shipped weight was fitted on.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from desktop.config import Config
from desktop.importers import ImportFailed, parse_activitywatch, parse_csv, prepare
from training.dataset import Examples, examples_from_spans
from training.switches import switches_of

DATA_ENV = "TIME_SCULPTOR_TRACES"
DEFAULT_DATA = Path(os.environ.get(DATA_ENV) or Path(__file__).resolve().parents[1] / "data")
SPLIT = 0.7


def traces(data_dir: Path, exclude: list[str] | None = None) -> list[tuple[str, list[Any]]]:
    """Return (file name, chronological spans) for every readable real trace in data_dir.

    CSV exports under desktop-windows/ and ActivityWatch exports under activitywatch/, read
    through desktop.importers' parsers; names containing a word of `exclude` are left out.
    """
    found: list[tuple[str, list[Any]]] = []
    files = sorted(data_dir.glob("desktop-windows/*.csv")) + sorted(
        data_dir.glob("activitywatch/*.json")
    )
    for path in files:
        if any(word and word in path.name for word in exclude or []):
            continue
        try:
            data = path.read_bytes()
            parsed = (
                parse_csv(data, str(path))
                if path.suffix == ".csv"
                else parse_activitywatch(data, str(path))
            )
        except (OSError, ImportFailed) as exc:
            print(f"sculptor-train: skipping {exc}", file=sys.stderr)
            continue
        found.append((path.name, sorted(prepare(parsed, Config()), key=lambda e: e.start)))
    return found


def cut_time(spans: list[Any], fraction: float = SPLIT) -> float:
    """Return the time of the switch at `fraction` of the trace's app switches (evaluate's cut)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is not in (0, 1]")
    switches = switches_of(spans)
    if not switches or fraction >= 1.0:
        return float("inf")
    return float(switches[int(len(switches) * fraction)].at)


def examples(
    data_dir: Path,
    rng: np.random.Generator,
    *,
    part: str,
    fraction: float = SPLIT,
    exclude: list[str] | None = None,
    per_hour: float = 4.0,
    per_trace: int | None = None,
):
    """Return (Examples, trace count) of moments before ("head") or after ("tail") each cut.

    Break acceptance is unknown on real traces (masked in training). `per_trace` samples at
    most that many moments of each trace.
    """
    if part not in ("head", "tail"):
        raise ValueError(f"part {part!r} is not head or tail")
    parts = []
    for _, spans in traces(data_dir, exclude):
        cut = cut_time(spans, fraction)
        if part == "head":
            found = examples_from_spans([s for s in spans if s.start < cut], rng, per_hour=per_hour)
        else:
            found = examples_from_spans(spans, rng, per_hour=per_hour, since=cut)
        if not len(found):
            continue
        if per_trace is not None and len(found) > per_trace:
            found = found.take(np.sort(rng.choice(len(found), per_trace, replace=False)))
        parts.append(found)
    return (Examples.concat(parts) if parts else Examples.empty()), len(parts)
