"""One running app per data directory: a lock that dies with its process, and a knock.

The lock is `fcntl.flock` on a file in the data directory (a byte-range lock on Windows): the
kernel drops it when the process ends, however it ends, so a crash never leaves a stale lock.
The holder writes its process id into the file, so a second start can say which process holds
the data. The running tray app also listens on a local socket beside the lock; a second start
knocks there and the first one raises its dashboard.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

LOCK_NAME = "time-sculptor.lock"
SOCKET_NAME = "time-sculptor.sock"
SHOW = b"show\n"
# AF_UNIX paths are limited to 108 bytes on Linux (104 on macOS); longer ones cannot listen.
MAX_SOCKET_PATH = 100
_WINDOWS_LOCK_OFFSET = 1 << 20  # lock a byte past the PID so that others can still read it


class AlreadyRunning(RuntimeError):
    """Another process holds the data directory; `pid` is its process id (None if unknown)."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"Time Sculptor is already running on {directory} ({holder}); "
            "one app collects into a data directory at a time"
        )
        self.directory = directory
        self.pid = pid


def lock_path(directory: Path) -> Path:
    """Return the lock file of a data directory."""
    return Path(directory) / LOCK_NAME


def socket_path(directory: Path) -> Path | None:
    """Return where the running app listens for a knock, or None where it cannot listen."""
    path = Path(directory).resolve() / SOCKET_NAME
    if sys.platform == "win32" or len(os.fsencode(path)) > MAX_SOCKET_PATH:
        return None
    return path


def holder_pid(directory: Path) -> int | None:
    """Return the process id written in the lock file, or None when there is none."""
    try:
        text = lock_path(directory).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _try_lock(descriptor: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(descriptor, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class InstanceLock:
    """Holds a data directory for this process; `acquire` raises AlreadyRunning when taken."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def acquire(self) -> InstanceLock:
        """Take the lock and write this process id into it; return self."""
        if self._descriptor is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(lock_path(self.directory), os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(descriptor):
            os.close(descriptor)
            raise AlreadyRunning(self.directory, holder_pid(self.directory))
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        self._descriptor = descriptor
        return self

    def release(self) -> None:
        """Let the directory go (the process ending does the same)."""
        if self._descriptor is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._descriptor, 0)
        os.close(self._descriptor)  # closing the descriptor drops the lock
        self._descriptor = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def knock(directory: Path, timeout_s: float = 2.0) -> bool:
    """Ask the app running on `directory` to show its dashboard; return True if it heard."""
    path = socket_path(directory)
    if path is None or not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout_s)
            client.connect(os.fspath(path))
            client.sendall(SHOW)
            return client.recv(16).startswith(b"ok")
    except OSError:
        return False


class KnockListener:
    """Listens beside the lock for a second start's knock and calls `on_knock` (on its thread)."""

    def __init__(self, directory: Path, on_knock: Callable[[], object]) -> None:
        self.path = socket_path(directory)
        self.on_knock = on_knock
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start listening; return False where this platform or path cannot (nothing is raised)."""
        if self.path is None:
            return False
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # The caller holds the lock: a socket file left here belongs to an app that died.
            self.path.unlink(missing_ok=True)
            server.bind(os.fspath(self.path))
            server.listen(4)
        except OSError as exc:
            log.warning(
                "cannot listen on %s (%s): a second start cannot raise this app", self.path, exc
            )
            server.close()
            return False
        server.settimeout(0.5)
        self._server = server
        self._thread = threading.Thread(target=self._serve, name="instance-knock", daemon=True)
        self._thread.start()
        return True

    def _serve(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(2.0)
                try:
                    knocked = connection.recv(16).startswith(SHOW.strip())
                    if knocked:
                        connection.sendall(b"ok\n")
                except OSError:
                    continue
            if knocked:
                self.on_knock()

    def close(self) -> None:
        """Stop listening and remove the socket file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if self._server is not None:
            self._server.close()
            self._server = None
            if self.path is not None:
                self.path.unlink(missing_ok=True)
