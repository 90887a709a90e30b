"""The nightly fine-tune timer runs the sculptor-train that is installed, on the app's data."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from desktop.settings import FINETUNE_SERVICE, FINETUNE_TIMER, NightlyFinetune


class Systemctl:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, args):
        self.commands.append(list(args))
        return subprocess.CompletedProcess(args, 0, "", "")


def exec_start(unit: Path) -> list[str]:
    [line] = [x for x in unit.read_text().splitlines() if x.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_installed_service_runs_the_installed_entry_point_on_this_data(tmp_path):
    data = tmp_path / "my data"  # a space: the unit must quote it
    which = {"systemctl": "/usr/bin/systemctl"}.get
    finetune = NightlyFinetune(
        unit_dir=tmp_path / "user", runner=Systemctl(), which=which, data_dir=data
    )
    finetune.set_enabled(True)
    command = exec_start(tmp_path / "user" / FINETUNE_SERVICE)
    program = Path(command[0].replace("%h", str(Path.home())))
    assert program.is_file() and os.access(program, os.X_OK), command
    assert program == Path(sys.executable).parent / "sculptor-train"
    assert command[1:] == ["finetune", "--data-dir", str(data)]
    assert (tmp_path / "user" / FINETUNE_TIMER).is_file()
    help_text = subprocess.run([str(program), "finetune", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "--data-dir" in help_text.stdout


def test_without_sculptor_train_the_switch_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no sculptor-train beside
    which = {"systemctl": "/usr/bin/systemctl"}.get
    finetune = NightlyFinetune(unit_dir=tmp_path / "user", runner=Systemctl(), which=which)
    assert finetune.unavailable() == (
        "sculptor-train is not installed: the nightly fine-tune needs the train extra"
        " (pip install 'time-sculptor[train]')"
    )
