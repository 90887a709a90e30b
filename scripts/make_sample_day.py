"""Regenerate desktop/resources/sample_day.csv: one synthetic developer's Monday (seeded)."""

import csv
import datetime as dt
from pathlib import Path

from training.synthetic import days, persons

OUT = Path(__file__).resolve().parents[1] / "desktop" / "resources" / "sample_day.csv"

persona = persons.make_personas(6, 3)[5]
spans = days.generate_timeline(persona, dt.date(2026, 11, 23), 1, seed=1)
with OUT.open("w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["start", "duration", "source", "app", "title"])
    for span in spans:
        start = dt.datetime.fromtimestamp(span.start, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        writer.writerow([start, f"{span.duration:.3f}", span.source, span.app, span.title])
print(f"{persona.name}: {len(spans)} spans -> {OUT}")
