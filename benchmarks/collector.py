"""What collecting costs: the real X11 collector polled at 1 Hz, and the store's heartbeat.

    python benchmarks/collector.py [--minutes 10] [--heartbeats 10000]

Starts its own X session (Xvfb + openbox, as the tests do) with three real windows and a
separate process that switches the focus between them every few seconds and moves the pointer
now and then. This process then polls the focused window and idle time once a second, plus the
system context (power, CPU load, screen lock, media), and reports the CPU time it used as a
share of one core. Last, the median cost of one `Store.heartbeat` on a temporary database.
Goal: collection costs at most 1% of one core.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop.collect.system import SystemMonitor  # noqa: E402
from desktop.collect.x11 import X11Watcher  # noqa: E402
from desktop.store import Event, Store  # noqa: E402

APPS = (("editor", "Editor"), ("browser", "Browser"), ("chat", "Chat"))


def _rusage_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(cpu_s: float, wall_s: float) -> float:
    return 100.0 * cpu_s / wall_s if wall_s > 0 else 0.0


def drive(display: str, every_s: float, window_ids: list[str]) -> int:
    """Switch the focus round-robin and nudge the pointer, until terminated (a child process)."""
    env = {**os.environ, "DISPLAY": display}
    n = 0
    while True:
        target = window_ids[n % len(window_ids)]
        subprocess.run(["xdotool", "windowactivate", target], env=env, capture_output=True)
        if n % 2 == 0:  # input half of the time: idle both resets and grows
            subprocess.run(
                ["xdotool", "mousemove_relative", "1", "1", "mousemove_relative", "--", "-1", "-1"],
                env=env,
                capture_output=True,
            )
        n += 1
        time.sleep(every_s)


def poll(display: str, minutes: float) -> dict[str, float]:
    """Poll at 1 Hz for `minutes`; return CPU and latency figures."""
    seconds = max(1, round(minutes * 60))
    collector_cpu = system_cpu = 0.0
    latencies: list[float] = []
    seen: set[str] = set()
    with X11Watcher(display) as watcher, SystemMonitor() as monitor:
        watcher.active_window()  # warm up: atoms, first round trips
        start_wall = time.monotonic()
        start_process = time.process_time()
        start_rusage = _rusage_s()
        next_at = start_wall
        for _ in range(seconds):
            next_at += 1.0
            time.sleep(max(0.0, next_at - time.monotonic()))
            t0, c0 = time.perf_counter(), time.thread_time()
            info = watcher.active_window()
            watcher.idle_seconds()
            c1 = time.thread_time()
            latencies.append(time.perf_counter() - t0)
            monitor.sample(time.time())
            c2 = time.thread_time()
            collector_cpu += c1 - c0
            system_cpu += c2 - c1
            if info is not None:
                seen.add(info.app)
        wall = time.monotonic() - start_wall
        process = time.process_time() - start_process
        rusage = _rusage_s() - start_rusage
    latencies.sort()
    return {
        "polls": float(seconds),
        "wall_s": wall,
        "process_cpu_s": process,
        "rusage_cpu_s": rusage,
        "collector_cpu_s": collector_cpu,
        "system_cpu_s": system_cpu,
        "latency_median_us": 1e6 * statistics.median(latencies),
        "latency_p99_us": 1e6 * latencies[int(0.99 * (len(latencies) - 1))],
        "apps_seen": float(len(seen)),
    }


def heartbeats(count: int) -> dict[str, float]:
    """Return the median and p99 cost of Store.heartbeat over `count` realistic polls."""
    with tempfile.TemporaryDirectory(prefix="ts-bench-") as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        try:
            times: list[int] = []
            now = 1_700_000_000.0
            for i in range(count):
                # Mostly the same window (extends the open span), a switch every 30 polls.
                app, _ = APPS[(i // 30) % len(APPS)]
                event = Event(
                    now + i, 0.0, "window", app=app, title=f"{app} document", category="work"
                )
                t0 = time.perf_counter_ns()
                store.heartbeat(event, pulsetime=2.5, stream="activity")
                times.append(time.perf_counter_ns() - t0)
        finally:
            store.close()
    times.sort()
    return {
        "median_us": statistics.median(times) / 1000.0,
        "p99_us": times[int(0.99 * (len(times) - 1))] / 1000.0,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return the exit status."""
    parser = argparse.ArgumentParser(prog="benchmarks/collector.py", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="polling time (default 10)")
    parser.add_argument("--heartbeats", type=int, default=10_000, help="heartbeats to time")
    parser.add_argument("--switch-every", type=float, default=3.0, help="seconds between focuses")
    parser.add_argument("--drive", nargs="+", metavar=("DISPLAY", "WINDOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        return drive(args.drive[0], args.switch_every, args.drive[1:])

    from tests.x11env import XServer, spawn_window, x_available

    missing = x_available()
    if missing:
        print(f"cannot start an X session: {missing}", file=sys.stderr)
        return 2
    with XServer() as server:
        windows = [spawn_window(server.display, cls, f"{cls[1]} document") for cls in APPS]
        driver = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--switch-every",
                str(args.switch_every),
                "--drive",
                server.display,
                *(str(w.window_id) for w in windows),
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            print(
                f"polling the X11 collector at 1 Hz for {args.minutes:g} min on Xvfb "
                f"{server.display} (focus moves every {args.switch_every:g} s)...",
                flush=True,
            )
            figures = poll(server.display, args.minutes)
        finally:
            driver.terminate()
            driver.wait(5)
            for window in windows:
                window.close(wait=False)
    wall = figures["wall_s"]
    n = figures["polls"]
    print(
        f"polls                  : {n:.0f} in {wall:.1f} s; apps seen: {figures['apps_seen']:.0f}"
    )
    print(
        f"window + idle per poll : {1e6 * figures['collector_cpu_s'] / n:8.1f} µs CPU, "
        f"latency median {figures['latency_median_us']:.0f} µs, "
        f"p99 {figures['latency_p99_us']:.0f} µs"
    )
    print(f"system context per poll: {1e6 * figures['system_cpu_s'] / n:8.1f} µs CPU")
    print(f"collector alone        : {_pct(figures['collector_cpu_s'], wall):.4f} % of one core")
    print(
        f"collector + system     : "
        f"{_pct(figures['collector_cpu_s'] + figures['system_cpu_s'], wall):.4f} % of one core"
    )
    print(
        f"whole polling process  : {_pct(figures['process_cpu_s'], wall):.4f} % of one core "
        f"(process_time; getrusage {_pct(figures['rusage_cpu_s'], wall):.4f} %)"
    )
    beats = heartbeats(args.heartbeats)
    print(
        f"Store.heartbeat        : median {beats['median_us']:.1f} µs, p99 {beats['p99_us']:.1f} "
        f"µs over {args.heartbeats} ({beats['median_us'] / 1e4:.4f} % of one core at 1 Hz)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
