"""The Windows backend's real ctypes code path, with user32/kernel32 faked at the DLL boundary."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.collect import CollectorUnavailable, WindowInfo
from desktop.collect import system as system_module
from desktop.collect import windows as win

REPO = Path(__file__).resolve().parents[3]
ACCESS_DENIED, INVALID_PARAMETER = 5, 87


class FakeWin32:
    """user32 + kernel32 as a process would see them: windows, processes, ticks, handles."""

    def __init__(self) -> None:
        self.foreground = 0
        self.windows: dict[int, tuple[int, str]] = {}  # hwnd -> (pid, title)
        self.children: dict[int, list[int]] = {}
        self.processes: dict[int, str | None] = {}  # pid -> image path; None: access denied
        self.tick64 = 0
        self.last_input = 0
        self.input_ok = True
        self.input_desktop: str | None = "Default"  # None: OpenInputDesktop is refused
        self.error = 0
        self.handles: dict[int, int] = {}  # open handle -> pid
        self.opened = 0
        self._next_handle = 0x100

    def last_error(self) -> int:
        return self.error

    # user32 -------------------------------------------------------------------------------
    def GetForegroundWindow(self) -> int | None:
        return self.foreground or None  # restype c_void_p: NULL comes back as None

    def GetWindowTextLengthW(self, hwnd: int) -> int:
        return len(self.windows[hwnd][1])

    def GetWindowTextW(self, hwnd: int, buffer: Any, size: int) -> int:
        assert size <= len(buffer), "the size passed must not exceed the buffer"
        text = self.windows[hwnd][1][: size - 1]
        buffer.value = text
        return len(text)

    def GetWindowThreadProcessId(self, hwnd: int, pid: Any) -> int:
        pid._obj.value = self.windows.get(hwnd, (0, ""))[0]
        return 1234

    def FindWindowExW(self, parent: int, after: int | None, cls: Any, name: Any) -> int | None:
        children = self.children.get(parent, [])
        index = 0 if after is None else children.index(after) + 1
        return children[index] if index < len(children) else None

    def GetLastInputInfo(self, info: Any) -> int:
        assert info._obj.cbSize == ctypes.sizeof(win.LASTINPUTINFO), "cbSize must be set"
        if not self.input_ok:
            self.error = ACCESS_DENIED
            return 0
        info._obj.dwTime = self.last_input & 0xFFFFFFFF
        return 1

    def OpenInputDesktop(self, flags: int, inherit: bool, access: int) -> int | None:
        return None if self.input_desktop is None else 0x77

    def GetUserObjectInformationW(self, handle: int, index: int, buffer: Any, size: int,
                                  needed: Any) -> int:  # fmt: skip
        assert index == system_module.UOI_NAME and size == ctypes.sizeof(buffer)
        buffer.value = self.input_desktop
        return 1

    def CloseDesktop(self, handle: int) -> int:
        return 1

    # kernel32 -----------------------------------------------------------------------------
    def GetTickCount64(self) -> int:
        return self.tick64

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int | None:
        assert access == win.PROCESS_QUERY_LIMITED_INFORMATION
        if pid not in self.processes:
            self.error = INVALID_PARAMETER
            return None
        if self.processes[pid] is None:
            self.error = ACCESS_DENIED
            return None
        self._next_handle += 4
        self.handles[self._next_handle] = pid
        self.opened += 1
        return self._next_handle

    def QueryFullProcessImageNameW(self, handle: int, flags: int, buffer: Any, size: Any) -> int:
        path = self.processes[self.handles[handle]] or ""
        if len(path) + 1 > size._obj.value:
            self.error = win.ERROR_INSUFFICIENT_BUFFER
            return 0
        buffer.value = path
        size._obj.value = len(path)
        return 1

    def CloseHandle(self, handle: int) -> int:
        del self.handles[handle]
        return 1


class FakePsutil:
    class AccessDenied(Exception):
        pass

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names

    def Process(self, pid: int) -> Any:
        name = self.names.get(pid)
        if name is None:
            raise FakePsutil.AccessDenied(pid)
        return type("P", (), {"name": lambda self: name})()


@pytest.fixture
def os_() -> FakeWin32:
    fake = FakeWin32()
    fake.windows = {
        0x1001: (4242, "Inbox — Outlook"),
        0x2002: (5151, "Résumé.docx - Word ✓"),
        0x3003: (666, "Administrator: Command Prompt"),
    }
    fake.processes = {
        4242: r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
        5151: r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        666: None,  # a protected process: OpenProcess is refused
    }
    return fake


def _watcher(fake: FakeWin32, psutil_names: dict[int, str] | None = None) -> win.WindowsWatcher:
    return win.WindowsWatcher(fake, fake, fake.last_error, FakePsutil(psutil_names or {}))


def test_foreground_window_title_exe_and_pid(os_: FakeWin32):
    watcher = _watcher(os_)
    os_.foreground = 0x1001
    assert watcher.active_window() == WindowInfo("OUTLOOK.EXE", "Inbox — Outlook", 4242)
    os_.foreground = 0x2002
    assert watcher.active_window() == WindowInfo("WINWORD.EXE", "Résumé.docx - Word ✓", 5151)
    assert os_.handles == {}, "every process handle must be closed"


def test_no_foreground_window_is_none(os_: FakeWin32):
    os_.foreground = 0  # focus in transit, or the secure desktop (UAC, lock screen) is up
    assert _watcher(os_).active_window() is None


def test_access_denied_falls_back_to_psutil_then_to_no_name(os_: FakeWin32):
    os_.foreground = 0x3003
    with_psutil = _watcher(os_, {666: "cmd.exe"})
    assert with_psutil.active_window() == WindowInfo(
        "cmd.exe", "Administrator: Command Prompt", 666
    )
    # Neither way works: the title still counts, the app is unknown.
    assert _watcher(os_).active_window() == WindowInfo("", "Administrator: Command Prompt", 666)
    assert os_.handles == {}


def test_window_of_an_exited_process(os_: FakeWin32):
    os_.windows[0x4004] = (9999, "Closing…")  # its pid is already gone: OpenProcess fails
    os_.foreground = 0x4004
    assert _watcher(os_).active_window() == WindowInfo("", "Closing…", 9999)


def test_long_image_path_grows_the_buffer(os_: FakeWin32):
    deep = "C:\\" + "\\".join(["very long folder name"] * 40) + "\\tool.exe"
    assert len(deep) > 260
    os_.processes[4242] = deep
    os_.foreground = 0x1001
    assert _watcher(os_).active_window() == WindowInfo("tool.exe", "Inbox — Outlook", 4242)


def test_uwp_app_is_named_by_its_own_process(os_: FakeWin32):
    os_.windows[0x5005] = (700, "Calculator")  # the frame, owned by ApplicationFrameHost
    os_.windows[0x5006] = (700, "")  # a frame child of the host itself
    os_.windows[0x5007] = (701, "Calculator")  # the CoreWindow of the app
    os_.children[0x5005] = [0x5006, 0x5007]
    os_.processes[700] = r"C:\Windows\System32\ApplicationFrameHost.exe"
    os_.processes[701] = (
        r"C:\Program Files\WindowsApps\Microsoft.WindowsCalculator_11.2_x64\CalculatorApp.exe"
    )
    os_.foreground = 0x5005
    assert _watcher(os_).active_window() == WindowInfo("CalculatorApp.exe", "Calculator", 701)


def test_exe_is_looked_up_once_per_window(os_: FakeWin32):
    watcher = _watcher(os_)
    for hwnd in (0x1001, 0x2002, 0x1001, 0x2002, 0x1001):
        os_.foreground = hwnd
        watcher.active_window()
    assert os_.opened == 2


def test_idle_from_last_input_ticks(os_: FakeWin32):
    watcher = _watcher(os_)
    os_.tick64 = 3_600_000
    os_.last_input = 3_600_000 - 4_250
    assert watcher.idle_seconds() == 4.25


def test_idle_across_the_49_day_tick_wraparound(os_: FakeWin32):
    # GetTickCount64 passed 2**32 ms; the last input's 32-bit tick was taken just before.
    os_.tick64 = 2**32 + 500
    os_.last_input = 2**32 - 1500
    assert _watcher(os_).idle_seconds() == 2.0
    os_.tick64 = 5 * 2**32 + 10_000  # the 5th wrap: only the low 32 bits can be compared
    os_.last_input = 5 * 2**32 + 4_000
    assert _watcher(os_).idle_seconds() == 6.0


def test_last_input_failure_is_one_line(os_: FakeWin32):
    os_.input_ok = False
    with pytest.raises(CollectorUnavailable, match=r"^GetLastInputInfo failed \(error 5\)$"):
        _watcher(os_).idle_seconds()


def test_screen_lock_from_the_input_desktop(os_: FakeWin32):
    probe = system_module.windows_lock_probe(os_)
    assert probe() is False
    os_.input_desktop = "Winlogon"
    assert probe() is True
    os_.input_desktop = None  # the secure desktop refuses us outright
    assert probe() is True


def test_on_other_platforms_it_says_so(monkeypatch: pytest.MonkeyPatch):
    if sys.platform == "win32":
        pytest.skip("this is Windows")
    with pytest.raises(CollectorUnavailable, match="runs on Windows only"):
        win.WindowsWatcher()
    done = subprocess.run(
        [sys.executable, "-m", "desktop.collect.windows", "--count", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"windows: the Windows collector runs on Windows only (this is {sys.platform})"
    ]
