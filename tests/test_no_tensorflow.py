"""Architecture rule 1: the desktop app never imports TensorFlow (or Keras)."""

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import desktop
names = [m.name for m in pkgutil.walk_packages(desktop.__path__, 'desktop.')
         if not m.name.endswith('__main__')]
for name in names:
    importlib.import_module(name)
import edge_model.runtime, edge_model.registry, edge_model.features, edge_model.manifest
leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))
print(len(names), leaked)
assert len(names) >= 10, names
assert not leaked, leaked
"""


def test_importing_every_desktop_module_leaves_tensorflow_out():
    # A fresh interpreter: other tests in this process may have imported TensorFlow.
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        capture_output=True,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("[]")
