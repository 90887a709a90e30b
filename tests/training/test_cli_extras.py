"""`sculptor-train` without the train extra says in one line how to install it."""

from __future__ import annotations

import subprocess
import sys

WITHOUT_TRAIN_EXTRA = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "tensorflow", "tensorboard", "optuna"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from training.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_command_that_needs_the_train_extra_says_how_to_install_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TRAIN_EXTRA, "finetune", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "sculptor-train: this needs the train extra (keras is not installed): "
        "pip install 'time-sculptor[train]'\n"
    )
