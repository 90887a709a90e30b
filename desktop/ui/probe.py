"""Starts Qt's GUI layer and prints what it sees as one JSON line (run in a child process).

    time-sculptor _probe-desktop   # {"platform": "xcb", "tray": true}

`doctor` runs it apart from itself: Qt aborts the whole process when its platform plugin
cannot load, and the child's exit status is then the finding.
"""

from __future__ import annotations

import json

from desktop.ui.qt import QApplication, QSystemTrayIcon


def main() -> int:
    """Print {"platform": ..., "tray": ...} and return 0."""
    app = QApplication.instance() or QApplication([])
    seen = {
        "platform": QApplication.platformName(),
        "tray": bool(QSystemTrayIcon.isSystemTrayAvailable()),
    }
    print(json.dumps(seen), flush=True)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
