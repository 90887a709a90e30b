"""Reading files that may be hostile, and writing files that belong to the user alone.

`read_regular` never blocks and never reads without bound: a FIFO, a device (`/dev/zero`), a
socket or a directory is refused before a byte is read, and a file over its size limit (or one
that grows past it while being read) is refused instead of filling memory. `write_private`
writes to a temporary file beside the target and renames it over the target, so a full disk or
a crash leaves the previous file whole, and the result is readable by its owner alone (0600).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

MIB = 1 << 20


class UnsafeFile(ValueError):
    """A file that is not read: str(exc) says why in one line (without the path)."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _size(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB else f"{size:,} bytes"


def read_regular(path: Path | str, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """Return the bytes of a regular file of at most `limit` bytes, or raise UnsafeFile / OSError.

    Opened non-blocking (a FIFO without a writer would otherwise hang the open) and checked on
    the open descriptor, so a file swapped between check and read cannot slip through.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if not follow_symlinks and Path(path).is_symlink():
            raise UnsafeFile("a symbolic link (not followed here)") from None
        raise exc
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise UnsafeFile(f"too large ({_size(info.st_size)}; the limit is {_size(limit)})")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise UnsafeFile(f"too large (over {_size(limit)}, still growing)")
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def private_dir(directory: Path | str) -> Path:
    """Create `directory` (0700) if needed, tighten it to 0700 if it is looser; return it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        mode = stat.S_IMODE(directory.stat().st_mode)
        if mode & 0o077:
            with contextlib.suppress(PermissionError):  # not ours to change: doctor says so
                os.chmod(directory, mode & 0o700)
    return directory


def write_private(path: Path | str, data: bytes) -> Path:
    """Write `data` to `path` atomically, mode 0600; return the path.

    The bytes go to a temporary file in the same directory, are flushed to disk, and replace
    the target in one rename: on a full disk the target keeps its previous content.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp creates it 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path
