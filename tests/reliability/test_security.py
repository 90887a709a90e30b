"""The data is the user's alone: a private directory, and database files only they can read.

The no-network check of the app's main paths (demo replay, import, export, status with every
socket call refused) lives in tests/desktop/test_privacy.py and is not repeated here.
"""

from __future__ import annotations

import os
import stat

from desktop import cli
from desktop.store import DB_NAME, Event, Store


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_app_creates_a_0700_dir_and_0600_files_whatever_the_umask(tmp_path, capsys):
    old = os.umask(0o022)  # a typical desktop umask: files would be world-readable by default
    try:
        data = tmp_path / "fresh" / "data"
        assert cli.main(["--data-dir", str(data), "demo"]) == 0
        store = Store(data / DB_NAME)  # open: WAL mode keeps -wal and -shm while it is
        store.insert_events([Event(start=1.0, duration=1.0, source="window", app="code")])
        assert mode(data) == 0o700
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
            assert mode(data / name) == 0o600, name
        store.close()
        other = [p.name for p in data.iterdir() if p.is_file() and mode(p) & 0o077]
        assert other == []  # nothing else the app wrote there is readable by others either
    finally:
        os.umask(old)
    capsys.readouterr()


def test_database_files_made_readable_by_others_are_made_private_at_open(tmp_path):
    path = tmp_path / DB_NAME
    keep = Store(path)  # a second process keeps -wal and -shm alive
    keep.insert_events([Event(start=1.0, duration=1.0, source="window", app="code")])
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
        os.chmod(tmp_path / name, 0o644)  # e.g. restored from a backup, or copied with cp
    Store(path).close()
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
        assert mode(tmp_path / name) == 0o600, name
    keep.close()


def test_a_data_directory_left_open_by_another_tool_is_made_private_at_open(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # e.g. made by a backup tool or `mkdir` under a loose umask
    Store(data / DB_NAME).close()
    assert mode(data) == 0o700
