"""Files the app writes for the user: whole or not at all, and readable by the user alone."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

from desktop.store import DB_NAME, Event, Store

ROOT = Path(__file__).resolve().parents[2]


def _fill(data_dir: Path, spans: int) -> None:
    store = Store(data_dir / DB_NAME)
    store.insert_events(
        Event(start=1_712_000_000.0 + 60 * i, duration=60.0, source="window", app=f"app{i}")
        for i in range(spans)
    )
    store.close()


def _export(data_dir: Path, out: Path, limit: int | None = None) -> subprocess.CompletedProcess:
    def small_disk() -> None:  # a disk that fills after `limit` bytes of any one file
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--data-dir", str(data_dir), "export"]
        + ["--format", "json", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=small_disk if limit else None,
    )


def test_an_export_that_cannot_be_finished_leaves_the_previous_one_whole(tmp_path):
    data, out = tmp_path / "data", tmp_path / "activity.json"
    _fill(data, 10)
    assert _export(data, out).returncode == 0
    previous = out.read_bytes()
    _fill(data, 5000)  # the next export (1.4 MB) is larger than the space left
    database = max(p.stat().st_size for p in data.iterdir())
    full = _export(data, out, limit=database + 100_000)
    assert full.returncode == 2 and "Traceback" not in full.stderr
    assert full.stderr.strip() == "time-sculptor: [Errno 27] File too large"
    assert out.read_bytes() == previous  # not cut mid-row, not deleted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["activity.json", "data"]  # no debris


def test_exports_and_personal_heads_are_private_whatever_the_umask(tmp_path):
    from desktop import policy
    from edge_model import timing

    old = os.umask(0o022)
    try:
        data, out = tmp_path / "data", tmp_path / "activity.json"
        _fill(data, 3)
        out.write_text("an older export, once readable by all\n")
        out.chmod(0o644)
        assert _export(data, out).returncode == 0
        head = policy.PersonalHead(fitted_at=0.0, counts={}, weights={}, skipped={})
        written = [
            out,
            head.save(data),
            timing.TimingHead.load(timing.SHIPPED_PRIOR).save(data / "timing_head.json"),
        ]
    finally:
        os.umask(old)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
