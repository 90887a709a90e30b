"""What `python -m desktop.collect.<backend>` prints: one line per sample, shared by backends."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from desktop.collect.base import CollectorUnavailable, WindowInfo, WindowWatcher


def format_sample(info: WindowInfo | None, idle: float) -> str:
    """Return one human line for a focused window (or none) and the idle seconds."""
    stamp = time.strftime("%H:%M:%S")
    if info is None:
        return f"{stamp}  idle {idle:7.1f}s  (no focused window)"
    return (
        f"{stamp}  idle {idle:7.1f}s  app={info.app!r} instance={info.instance!r} "
        f"pid={info.pid} title={info.title!r}"
    )


def print_samples(
    prefix: str,
    open_watcher: Callable[[], WindowWatcher],
    describe: Callable[[WindowWatcher], str],
    count: int,
    interval: float,
) -> int:
    """Open a watcher, print what it offers, then `count` samples (0: forever); return status."""
    try:
        watcher = open_watcher()
    except CollectorUnavailable as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"{prefix}: {describe(watcher)}", flush=True)
        n = 0
        next_at = time.monotonic()
        while count <= 0 or n < count:
            if n:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            print(format_sample(watcher.active_window(), watcher.idle_seconds()), flush=True)
            n += 1
    except KeyboardInterrupt:
        pass
    except CollectorUnavailable as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 2
    finally:
        watcher.close()
    return 0
