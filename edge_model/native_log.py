"""Keeps the TFLite interpreter's native INFO lines off the user's terminal.

LiteRT's C++ code writes "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." to the
process's stderr whenever an interpreter is created, and offers no Python switch for it. While
an interpreter is created, the stderr descriptor goes to a temporary file; afterwards every line
except those INFO lines is written back, so warnings and errors still reach the user.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

INFO_PREFIX = b"INFO: "


@contextlib.contextmanager
def without_native_info(descriptor: int = 2) -> Iterator[None]:
    """Drop the "INFO: " lines native code writes to `descriptor` meanwhile; keep the rest."""
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        saved = os.dup(descriptor)
    except OSError:  # no stderr at all (a windowed app): nothing to keep clean
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), descriptor)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, descriptor)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().splitlines(keepends=True)
            kept = b"".join(line for line in lines if not line.startswith(INFO_PREFIX))
            if kept:
                os.write(descriptor, kept)
