"""Run one blocking call off the GUI thread and hand its result back to the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from desktop.ui.qt import QObject, Signal

Done = Callable[[Any, BaseException | None], object]


class _Relay(QObject):
    finished = Signal(object, object)


_running: set[_Relay] = set()  # keeps each relay alive until its result is delivered


def run_in_background(work: Callable[[], Any], done: Done) -> threading.Thread:
    """Start `work()` on a daemon thread; `done(result, error)` runs later on the GUI thread."""
    relay = _Relay()
    _running.add(relay)

    def deliver(result: Any, error: BaseException | None) -> None:
        _running.discard(relay)
        done(result, error)

    relay.finished.connect(deliver)

    def target() -> None:
        try:
            result = work()
        except Exception as exc:  # handed to `done`, which says it in one line
            relay.finished.emit(None, exc)
            return
        relay.finished.emit(result, None)

    thread = threading.Thread(target=target, name="ui-background", daemon=True)
    thread.start()
    return thread
