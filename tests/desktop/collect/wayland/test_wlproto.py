"""The Wayland wire-protocol client against a fake compositor on a real Unix socket.

The compositor side (tests/desktop/collect/wayland/fakewayland.py) has a codec of its own;
what is asserted is what the collector makes of the events: the activated toplevel and idle
time.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.collect import CollectorUnavailable, WindowInfo
from desktop.collect import wayland as wl
from desktop.collect.wayland import wlproto
from tests.desktop.collect.wayland.fakewayland import (
    ACTIVATED,
    APP_ID,
    DEFAULT_GLOBALS,
    DISPLAY_ERROR,
    FULLSCREEN,
    MAXIMIZED,
    FakeCompositor,
    Toplevel,
    message,
    string,
    wait_until,
    word,
)

Make = Callable[..., FakeCompositor]
FOOT = Toplevel("foot", "~/src — foot", (ACTIVATED,))
FIREFOX = Toplevel("firefox", "Mozilla Firefox", (MAXIMIZED,))


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    # Short on purpose: a Unix socket path must fit in 108 bytes.
    path = Path(tempfile.mkdtemp(prefix="ts-wl-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def compositor(runtime_dir: Path) -> Iterator[Make]:
    made: list[FakeCompositor] = []

    def make(**options: object) -> FakeCompositor:
        fake = FakeCompositor(runtime_dir, **options)  # type: ignore[arg-type]
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


def env(runtime_dir: Path, **extra: str) -> dict[str, str]:
    return {"XDG_RUNTIME_DIR": str(runtime_dir), "WAYLAND_DISPLAY": "wayland-test", **extra}


def raised_soon(poll: Callable[[], object], timeout_s: float = 3.0) -> str:
    """Call `poll` until it raises CollectorUnavailable; return the message."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            poll()
        except CollectorUnavailable as exc:
            return str(exc)
        time.sleep(0.01)
    raise AssertionError(f"{poll} kept answering for {timeout_s}s")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the wire format --------------------------------------------------------------------------


def test_arguments_round_trip_with_padding():
    body = wlproto.pack_args("iufs?sao", [-5, 7, -1.5, "naïve", None, b"\x02\x00\x00\x00", 9])
    # string "naïve" is 6 bytes + NUL = 7, padded to 8; the null string is a bare 0 length.
    assert len(body) == 4 * 3 + (4 + 8) + 4 + (4 + 4) + 4
    assert body[12:16] == struct.pack("=I", 7)
    assert wlproto.unpack_args("iufs?sao", body) == [-5, 7, -1.5, "naïve", None, b"\2\0\0\0", 9]
    # The compositor's codec and ours agree on the bytes.
    assert wlproto.pack_args("s", ["foot"]) == string("foot")


def test_message_header_and_split():
    data = wlproto.encode_message(3, 2, word(5)) + wlproto.encode_message(1, 0, b"")[:6]
    assert data[:8] == struct.pack("=II", 3, 12 << 16 | 2)
    messages, rest = wlproto.split_messages(data)
    assert messages == [(3, 2, word(5))]
    assert len(rest) == 6  # half a header waits for more bytes


@pytest.mark.parametrize(
    "signature, body, error",
    [
        ("s", word(8) + b"abc", "string runs past the message"),
        ("s", word(4) + b"abcd", "string without its terminating NUL"),
        ("s", word(0), "null string where the protocol requires one"),
        ("u", b"\1\0", "message body too short"),
        ("u", word(1) + word(2), "4 stray bytes after the arguments"),
        ("o", word(0), "null object where the protocol requires one"),
    ],
)
def test_malformed_arguments_are_one_line_errors(signature: str, body: bytes, error: str):
    with pytest.raises(wlproto.WaylandError, match=error):
        wlproto.unpack_args(signature, body)


def test_socket_path():
    assert wlproto.socket_path({"XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/user/7/wayland-0"
    assert wlproto.socket_path({"WAYLAND_DISPLAY": "/tmp/w-1"}) == "/tmp/w-1"
    with pytest.raises(wlproto.WaylandError, match="XDG_RUNTIME_DIR is not set"):
        wlproto.socket_path({"WAYLAND_DISPLAY": "wayland-1"})


# -- the session ------------------------------------------------------------------------------


def test_focus_follows_toplevel_events(compositor: Make, runtime_dir: Path):
    fake = compositor(toplevels=[FOOT, FIREFOX])
    session = wl.WaylandSession(env(runtime_dir))
    try:
        # The toplevels that existed at bind time are known when the constructor returns.
        assert session.active_window() == WindowInfo("foot", "~/src — foot")
        [(_, interface, version, _)] = [a for a in fake.requested("bind") if "toplevel" in a[1]]
        assert (interface, version) == ("zwlr_foreign_toplevel_manager_v1", 3)
        foot, firefox = fake.handle_of("foot"), fake.handle_of("firefox")

        # Focus moves: the compositor updates both, each followed by done.
        fake.update(foot, states=[])
        fake.update(firefox, states=[MAXIMIZED, ACTIVATED])
        wait_until(lambda: session.active_window() == WindowInfo("firefox", "Mozilla Firefox"),
                   "firefox to be active")  # fmt: skip
        fake.update(firefox, title="GitHub — Mozilla Firefox")
        wait_until(lambda: session.active_window().title.startswith("GitHub"),  # type: ignore[union-attr]
                   "the title change")  # fmt: skip

        # Pending events only count once done arrives.
        fake.send_raw(message(firefox, APP_ID, string("org.mozilla.firefox")))
        time.sleep(0.1)
        assert session.active_window().app == "firefox"  # type: ignore[union-attr]
        fake.update(firefox, states=[ACTIVATED, FULLSCREEN])
        full = WindowInfo("org.mozilla.firefox", "GitHub — Mozilla Firefox", fullscreen=True)
        wait_until(lambda: session.active_window() == full, "fullscreen")

        # A new window opens activated; then it closes and nothing is active.
        mpv = fake.open_toplevel(Toplevel("mpv", "film.mkv — mpv", (ACTIVATED,)))
        fake.update(firefox, states=[])
        wait_until(lambda: session.active_window() == WindowInfo("mpv", "film.mkv — mpv"), "mpv")
        fake.close_toplevel(mpv)
        wait_until(lambda: session.active_window() is None, "no active window after close")
        wait_until(lambda: mpv not in fake.client.handles, "the client to destroy the handle")
    finally:
        session.close()
    wait_until(fake.client.closed.is_set, "the client to disconnect")


def test_idle_seconds_follow_idled_and_resumed(compositor: Make, runtime_dir: Path):
    fake = compositor()
    clock = Clock()
    session = wl.WaylandSession(env(runtime_dir), idle_timeouts_ms=(1_000, 60_000), clock=clock)
    try:
        notifications = fake.requested("get_input_idle_notification")
        assert [timeout for _, timeout, _ in notifications] == [1_000, 60_000]
        [seat_bind] = [a for a in fake.requested("bind") if a[1] == "wl_seat"]
        assert {seat for _, _, seat in notifications} == {seat_bind[3]}
        assert session.idle_seconds() == 0.0

        fake.idled(1_000)  # a second after the last input
        wait_until(lambda: session.idle_seconds() > 0, "idled")
        assert session.idle_seconds() == 1.0
        clock.now += 30
        assert session.idle_seconds() == 31.0  # grows while idled
        clock.now += 29
        fake.idled(60_000)  # the long timer agrees: last input 60 s ago
        clock.now += 5
        time.sleep(0.05)
        assert session.idle_seconds() == 65.0

        fake.resumed()
        wait_until(lambda: session.idle_seconds() == 0.0, "resumed")
        clock.now += 100
        assert session.idle_seconds() == 0.0  # active until the next idled
    finally:
        session.close()


def test_version_1_notifier_uses_the_plain_notification(compositor: Make, runtime_dir: Path):
    globals_ = [(name, 1 if name == "ext_idle_notifier_v1" else v) for name, v in DEFAULT_GLOBALS]
    fake = compositor(globals_=globals_)
    session = wl.WaylandSession(env(runtime_dir))
    try:
        assert session.idle_version == 1
        assert [t for _, t, _ in fake.requested("get_idle_notification")] == [1_000]
        assert fake.requested("get_input_idle_notification") == []
        assert "idle inhibitors" in wl.IdleNotifyIdle(session, "Sway").label
    finally:
        session.close()


@pytest.mark.parametrize(
    "reply, error",
    [
        (word(2) + word(4 << 16), "malformed message header (size 4"),
        (message(77, 0, word(1)), "event for unknown object 77"),
        (message(2, 9), "wl_registry has no event with opcode 9"),
        (message(2, 0, word(1) + word(4) + b"seat" + word(1)), "without its terminating NUL"),
        (word(2) + word(32 << 16) + word(1), "closed the Wayland connection in the middle"),
        (message(1, DISPLAY_ERROR, word(2) + word(1) + string("invalid arguments")),
         "protocol error on wl_registry@2: invalid arguments (code 1)"),
    ],
    ids=["short-header", "unknown-object", "bad-opcode", "no-nul", "truncated", "display-error"],
)  # fmt: skip
def test_garbage_from_the_compositor_is_one_line_and_quick(
    compositor: Make, runtime_dir: Path, reply: bytes, error: str
):
    compositor(on_get_registry=reply, close_after_reply="middle" in error)
    started = time.monotonic()
    with pytest.raises(wlproto.WaylandError) as caught:
        wl.WaylandSession(env(runtime_dir), timeout_s=1.0)
    assert error in str(caught.value)
    assert "\n" not in str(caught.value)
    assert time.monotonic() - started < 1.5


def test_a_compositor_that_never_answers_times_out(compositor: Make, runtime_dir: Path):
    compositor(silent=True)
    started = time.monotonic()
    with pytest.raises(wlproto.WaylandError, match=r"did not answer on .*wayland-test within 0.3s"):
        wl.WaylandSession(env(runtime_dir), timeout_s=0.3)
    assert time.monotonic() - started < 1.0


def test_no_socket_is_one_line(runtime_dir: Path):
    with pytest.raises(wlproto.WaylandError, match="cannot connect to the Wayland socket .*"):
        wl.WaylandSession(env(runtime_dir))


def test_errors_after_setup_reach_the_poll_and_never_block(compositor: Make, runtime_dir: Path):
    fake = compositor(toplevels=[FOOT])
    session = wl.WaylandSession(env(runtime_dir))
    focus = wl.ToplevelFocus(session, "Sway")
    idle = wl.IdleNotifyIdle(session, "Sway")
    try:
        [manager] = fake.client.managers
        fake.send_raw(message(1, DISPLAY_ERROR, word(manager) + word(0) + string("bad handle")))
        expected = (
            "Sway on Wayland: the compositor reported a protocol error on "
            f"zwlr_foreign_toplevel_manager_v1@{manager}: bad handle (code 0)"
        )

        assert raised_soon(focus.active_window) == expected
        with pytest.raises(CollectorUnavailable, match="protocol error"):
            idle.idle_seconds()
    finally:
        session.close()


def test_compositor_going_away_is_reported(compositor: Make, runtime_dir: Path):
    fake = compositor(toplevels=[FOOT])
    session = wl.WaylandSession(env(runtime_dir))
    try:
        fake.close()
        focus = wl.ToplevelFocus(session, "Hyprland")
        message = raised_soon(focus.active_window)
        assert message == "Hyprland on Wayland: the compositor closed the Wayland connection"
    finally:
        session.close()


def test_polls_do_not_wait_for_the_compositor(compositor: Make, runtime_dir: Path):
    fake = compositor(toplevels=[FOOT])
    session = wl.WaylandSession(env(runtime_dir))
    try:
        fake.silent = True  # from now on it answers nothing
        started = time.monotonic()
        for _ in range(1000):
            session.active_window()
            session.idle_seconds()
        assert time.monotonic() - started < 0.5
        assert threading.active_count() >= 2
    finally:
        started = time.monotonic()
        session.close()
        assert time.monotonic() - started < 1.0  # close wakes the reader thread at once
