"""Windows backend: the foreground window via user32, its executable via kernel32, idle via
GetLastInputInfo.

All OS calls go through the `user32` and `kernel32` objects given to the watcher (ctypes DLLs
on Windows, fakes in tests), so the buffer handling, the NULL-handle and access-denied paths and
the 32-bit tick wraparound run everywhere.

Run alone to see what it sees: ``python -m desktop.collect.windows --count 5``.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import ntpath
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.collect import show
from desktop.collect.base import CollectorUnavailable, WindowInfo, one_line

PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
ERROR_ACCESS_DENIED = 5
ERROR_INSUFFICIENT_BUFFER = 122
# QueryFullProcessImageNameW takes up to 32,767 characters for \\?\ paths; start at MAX_PATH.
_PATH_SIZES = (260, 1024, 32768)
_TICKS = 1 << 32  # GetLastInputInfo's dwTime is 32-bit milliseconds: it wraps every 49.7 days
# UWP apps' top-level window belongs to this host; the app itself owns a child window.
UWP_HOST = "applicationframehost.exe"
_MAX_CHILDREN = 64
_CACHE_SIZE = 64

DWORD = ctypes.c_uint32  # wintypes.DWORD is c_ulong: 8 bytes on LP64, so not in fakes' tests


class LASTINPUTINFO(ctypes.Structure):
    """The struct GetLastInputInfo fills: the tick count of the last input event."""

    _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", DWORD)]


def load_win32() -> tuple[Any, Any, Callable[[], int]]:
    """Return (user32, kernel32, get_last_error) with prototypes declared; Windows only."""
    if sys.platform != "win32":
        raise CollectorUnavailable(
            f"the Windows collector runs on Windows only (this is {sys.platform})"
        )
    try:
        user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    except (OSError, AttributeError) as exc:
        raise CollectorUnavailable(
            f"the Windows collector cannot load user32/kernel32: {one_line(exc)}"
        ) from None
    _declare(user32, kernel32)
    return user32, kernel32, ctypes.get_last_error  # type: ignore[attr-defined]


def _declare(user32: Any, kernel32: Any) -> None:
    # Handles are pointer-sized: without restype, ctypes would cut them to a 32-bit int.
    handle, wstr, cwstr = ctypes.c_void_p, ctypes.c_wchar_p, ctypes.c_wchar_p
    bool_ = ctypes.c_int
    prototypes: list[tuple[Any, str, Any, list[Any]]] = [
        (user32, "GetForegroundWindow", handle, []),
        (user32, "GetWindowTextLengthW", ctypes.c_int, [handle]),
        (user32, "GetWindowTextW", ctypes.c_int, [handle, wstr, ctypes.c_int]),
        (user32, "GetWindowThreadProcessId", DWORD, [handle, ctypes.POINTER(DWORD)]),
        (user32, "FindWindowExW", handle, [handle, handle, cwstr, cwstr]),
        (user32, "GetLastInputInfo", bool_, [ctypes.POINTER(LASTINPUTINFO)]),
        (user32, "OpenInputDesktop", handle, [DWORD, bool_, DWORD]),
        (user32, "GetUserObjectInformationW", bool_,
         [handle, ctypes.c_int, ctypes.c_void_p, DWORD, ctypes.POINTER(DWORD)]),
        (user32, "CloseDesktop", bool_, [handle]),
        (kernel32, "GetTickCount64", ctypes.c_uint64, []),
        (kernel32, "OpenProcess", handle, [DWORD, bool_, DWORD]),
        (kernel32, "QueryFullProcessImageNameW", bool_,
         [handle, DWORD, wstr, ctypes.POINTER(DWORD)]),
        (kernel32, "CloseHandle", bool_, [handle]),
        (kernel32, "QueryUnbiasedInterruptTime", bool_, [ctypes.POINTER(ctypes.c_uint64)]),
    ]  # fmt: skip
    for dll, name, restype, argtypes in prototypes:
        function = getattr(dll, name)
        function.restype = restype
        function.argtypes = argtypes


def idle_from_ticks(now_ticks: int, last_input_ticks: int) -> float:
    """Return seconds between the 32-bit last-input tick and now, across a tick wraparound."""
    return ((int(now_ticks) - int(last_input_ticks)) % _TICKS) / 1000.0


@dataclass(frozen=True)
class WindowsCapabilities:
    """What the watcher can see on this Windows session."""

    psutil: bool  # the fallback for executables OpenProcess may not open

    def describe(self) -> str:
        """Return a one-line human summary for `doctor`."""
        fallback = "psutil fallback" if self.psutil else "no psutil fallback (pip install psutil)"
        return (
            "foreground window via user32 GetForegroundWindow; executable via "
            f"QueryFullProcessImageNameW ({fallback}); idle via GetLastInputInfo"
        )


class WindowsWatcher:
    """WindowWatcher over user32/kernel32 (real DLLs by default, injectable for tests)."""

    name = "windows"

    def __init__(
        self,
        user32: Any = None,
        kernel32: Any = None,
        last_error: Callable[[], int] | None = None,
        psutil_module: Any = None,
    ) -> None:
        if user32 is None or kernel32 is None:
            user32, kernel32, last_error = load_win32()
        self._user32 = user32
        self._kernel32 = kernel32
        self._last_error = last_error or (lambda: 0)
        if psutil_module is None:
            try:
                psutil_module = importlib.import_module("psutil")
            except Exception:  # not installed, or no build for this platform
                psutil_module = None
        self._psutil = psutil_module
        # (hwnd, pid) -> exe name: a new process never reuses both, unlike a bare pid.
        self._exe_cache: dict[tuple[int, int], tuple[str, int | None]] = {}

    # -- WindowWatcher ---------------------------------------------------------------------

    def active_window(self) -> WindowInfo | None:
        """Return the foreground window; None while none has the foreground (e.g. locked)."""
        hwnd = self._user32.GetForegroundWindow()
        if not hwnd:  # NULL: focus is changing, or the secure desktop is up
            return None
        hwnd = int(hwnd)
        pid = self._pid(hwnd)
        app, app_pid = self._app(hwnd, pid) if pid else ("", None)
        return WindowInfo(app=app, title=self._title(hwnd), pid=app_pid, instance="")

    def idle_seconds(self) -> float:
        """Return seconds since the last keyboard/mouse input in this session."""
        info = LASTINPUTINFO()
        info.cbSize = ctypes.sizeof(LASTINPUTINFO)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            raise CollectorUnavailable(f"GetLastInputInfo failed (error {self._last_error()})")
        return idle_from_ticks(self._kernel32.GetTickCount64(), info.dwTime)

    def close(self) -> None:
        """Nothing to release: the DLLs stay loaded for the process."""
        self._exe_cache.clear()

    def capabilities(self) -> WindowsCapabilities:
        """Return what this watcher can use."""
        return WindowsCapabilities(psutil=self._psutil is not None)

    def __enter__(self) -> WindowsWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _title(self, hwnd: int) -> str:
        length = int(self._user32.GetWindowTextLengthW(hwnd))
        if length <= 0:
            return ""
        buffer = ctypes.create_unicode_buffer(length + 1)
        copied = int(self._user32.GetWindowTextW(hwnd, buffer, length + 1))
        return buffer.value[: max(0, copied)]

    def _pid(self, hwnd: int) -> int:
        pid = DWORD(0)
        self._user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
        return int(pid.value)

    def _app(self, hwnd: int, pid: int) -> tuple[str, int | None]:
        key = (hwnd, pid)
        cached = self._exe_cache.get(key)
        if cached is not None:
            return cached
        app, app_pid = self._exe_name(pid), pid
        if app.lower() == UWP_HOST:
            # The frame hosts the real app (Calculator, Settings...) in a child of another pid.
            for child_pid in self._child_pids(hwnd):
                if child_pid != pid:
                    app, app_pid = self._exe_name(child_pid) or app, child_pid
                    break
        if len(self._exe_cache) >= _CACHE_SIZE:
            self._exe_cache.clear()
        self._exe_cache[key] = (app, app_pid)
        return app, app_pid

    def _child_pids(self, hwnd: int) -> list[int]:
        pids: list[int] = []
        child = None
        for _ in range(_MAX_CHILDREN):
            child = self._user32.FindWindowExW(hwnd, child, None, None)
            if not child:
                break
            pids.append(self._pid(int(child)))
        return pids

    def _exe_name(self, pid: int) -> str:
        path = self._exe_path(pid)
        if path:
            return ntpath.basename(path)
        # Access denied (protected or other-session processes) or gone: ask psutil, which
        # tries the other documented ways (NtQueryInformationProcess, the process snapshot).
        if self._psutil is not None:
            try:
                return str(self._psutil.Process(pid).name())
            except Exception:  # psutil.Error: NoSuchProcess, AccessDenied, ZombieProcess
                return ""
        return ""

    def _exe_path(self, pid: int) -> str:
        handle = self._kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return ""  # ERROR_ACCESS_DENIED, or ERROR_INVALID_PARAMETER for a pid gone
        try:
            for size in _PATH_SIZES:
                buffer = ctypes.create_unicode_buffer(size)
                length = DWORD(size)
                if self._kernel32.QueryFullProcessImageNameW(
                    handle, 0, buffer, ctypes.byref(length)
                ):
                    return buffer.value[: int(length.value)]
                if self._last_error() != ERROR_INSUFFICIENT_BUFFER:
                    return ""
            return ""
        finally:
            self._kernel32.CloseHandle(handle)


def main(argv: list[str] | None = None) -> int:
    """Print the foreground window and idle time once per interval; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m desktop.collect.windows",
        description="Show what the Windows collector sees.",
    )
    parser.add_argument("--count", type=int, default=0, help="stop after N samples (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)

    def describe(watcher: Any) -> str:
        return str(watcher.capabilities().describe())

    return show.print_samples("windows", WindowsWatcher, describe, args.count, args.interval)


if __name__ == "__main__":
    sys.exit(main())
