"""A collector stand-in for the crash test: heartbeats through the real Store as fast as it can.

`python -m tests.reliability.crash_writer DB SEED` opens the store (recovering whatever the last
kill left), continues one simulated second after the stored end, and prints each heartbeat's
timestamp only after Store.heartbeat returned, i.e. after its transaction committed. The test
kills it with SIGKILL at a random moment and compares the store with the last printed line.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from desktop.store import Event, Store

POLL_S = 1.0
APPS = ("code", "firefox", "slack", "terminal")


def main(path: str, seed: int) -> None:
    store = Store(Path(path))
    stored_end = store.db.execute("SELECT max(start + duration) FROM events").fetchone()[0]
    now = float(stored_end or 1_800_000_000.0)
    rng = random.Random(seed)
    app = rng.choice(APPS)
    print("ready", flush=True)
    polls = 0
    while True:
        now += POLL_S
        polls += 1
        if rng.random() < 0.1:  # a switch: the open span is cut and a new row is inserted
            app = rng.choice(APPS)
        store.heartbeat(
            Event(start=now, duration=0.0, source="window", app=app, title=f"{app} window"),
            pulsetime=1.5 * POLL_S + 1.0,
            stream="activity",
        )
        if polls % 25 == 0:  # the other writes of a running app: a suggestion and its outcome
            suggestion = store.add_suggestion(
                created_at=now, kind="break", text="t", explanation="e", model_version="v",
                features={"x": [1.0]}, score=0.5, propensity=0.5,
            )  # fmt: skip
            store.record_feedback(suggestion, "ignored", now)
        print(repr(now), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
