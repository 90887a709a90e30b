"""Visible and starting everywhere: Qt's system libraries, the tray, the notification server.

The missing-library tests hide one real system library from one process (a private mount
namespace: root and `unshare` only), which is what a desktop without libxcb-cursor0 looks like.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from desktop import doctor
from tests.desktop.test_cli import BIN

pytestmark = pytest.mark.x11

HIDE = """
set -e
lib=$1; shift
dir=$(dirname "$(readlink -f "$LIBDIR/$lib")")
work=$(mktemp -d)
mkdir "$work/real" "$work/view"
mount --bind "$dir" "$work/real"
for f in "$work"/real/*; do
  n=${f##*/}
  case "$n" in "$lib"*) ;; *) ln -s "$f" "$work/view/$n" ;; esac
done
mount --bind "$work/view" "$dir"
exec "$@"
"""


def without_library(
    library: str, *command: str, env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Run a command that cannot see one system library (the rest of the system as it is)."""
    found = [d for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64") if Path(d, library).exists()]
    if os.geteuid() != 0 or shutil.which("unshare") is None or not found:
        pytest.skip(f"hiding {library} needs root, unshare and the library itself")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no private mount namespace here")
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", HIDE, "hide", library, *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "LIBDIR": found[0]},
    )


@pytest.fixture
def x_env(x_server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return {**env, "DISPLAY": x_server.display, "XDG_CURRENT_DESKTOP": "GNOME"}


def test_debian_packages_are_named_for_the_libraries_qt_needs():
    assert doctor.debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert doctor.debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert doctor.debian_package("libxcb-foo.so.3") == "libxcb-foo3"  # Debian's naming rule
    assert doctor.debian_package("libfoo2.so.1") == "libfoo2-1"


def test_a_missing_qt_library_is_one_line_from_run_and_named_by_doctor(x_env, tmp_path):
    data = str(tmp_path / "data")
    run = without_library("libxcb-cursor.so.0", str(BIN), "--data-dir", data, "run", env=x_env)
    assert run.returncode == 2, run.stderr[-2000:]  # not Qt's abort (exit 134)
    assert run.stderr == (
        "time-sculptor: Qt's xcb platform cannot load: libxcb-cursor.so.0 is missing "
        "(Debian/Ubuntu: sudo apt install libxcb-cursor0); `time-sculptor doctor` checks the rest\n"
    )
    checked = without_library(
        "libxcb-cursor.so.0", str(BIN), "--data-dir", data, "doctor", env=x_env
    )
    assert checked.returncode == 1
    assert (
        "qt libraries : MISSING Qt's xcb platform cannot load: libxcb-cursor.so.0 is missing "
        "(Debian/Ubuntu: sudo apt install libxcb-cursor0)"
    ) in checked.stdout
    assert "tray         : not checked (Qt cannot start; see above)" in checked.stdout


def test_doctor_checks_the_tray_and_the_notification_server(x_env, tmp_path):
    result = subprocess.run(
        [str(BIN), "--data-dir", str(tmp_path), "doctor"],
        capture_output=True,
        text=True,
        env=x_env,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    assert "qt libraries : ok (xcb: every system library found)" in lines
    [tray] = [line for line in lines if line.startswith("tray ")]
    # openbox has no tray; on GNOME the AppIndicator extension brings one.
    assert tray.startswith("tray         : NONE (the dashboard window opens instead): GNOME")
    assert "gnome-shell-extension-appindicator" in tray
    [notices] = [line for line in lines if line.startswith("notifications:")]
    assert "no session D-Bus" in notices
    assert result.returncode == 0, result.stdout


def visible_windows(display: str) -> list[str]:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "Time Sculptor"],
        capture_output=True,
        text=True,
        env={**os.environ, "DISPLAY": display},
    )
    names = []
    for window in found.stdout.split():
        name = subprocess.run(
            ["xdotool", "getwindowname", window],
            capture_output=True,
            text=True,
            env={**os.environ, "DISPLAY": display},
        )
        names.append(name.stdout.strip())
    return names


def test_without_a_tray_the_dashboard_opens_and_a_second_start_raises_it(x_server, x_env, tmp_path):
    if shutil.which("xdotool") is None:
        pytest.skip("needs xdotool")
    data = str(tmp_path / "data")
    app = subprocess.Popen(
        [str(BIN), "--data-dir", data, "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=x_env,
    )
    try:
        assert app.stdout is not None
        ready, _, _ = select.select([app.stdout], [], [], 30)
        assert ready, "the app said nothing (and showed nothing?)"
        line = app.stdout.readline()
        assert line.startswith(
            "time-sculptor: no system tray here, so the dashboard window stands in for it "
            "(closing it quits); GNOME shows tray icons only with the AppIndicator extension"
        ), line
        deadline = time.monotonic() + 30
        while "Time Sculptor — Dashboard" not in visible_windows(x_server.display):
            assert time.monotonic() < deadline, visible_windows(x_server.display)
            time.sleep(0.2)
        second = subprocess.run(
            [str(BIN), "--data-dir", data, "run"],
            capture_output=True,
            text=True,
            env=x_env,
            timeout=60,
        )
        assert second.returncode == 1
        assert second.stderr.strip().endswith(
            f"(process {app.pid}); one app collects into a data directory at a time; "
            "its dashboard is now in front"
        )
        assert app.poll() is None
    finally:
        app.send_signal(signal.SIGINT)
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
