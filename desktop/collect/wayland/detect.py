"""Which Wayland desktop this is, and the focus and idle sources to read there.

The session's environment names the desktop (SWAYSOCK, HYPRLAND_INSTANCE_SIGNATURE,
XDG_CURRENT_DESKTOP); without a hint the session bus is asked who is there. Focus then comes
from the family's own module; idle from the first source that answers (Mutter, ext-idle-notify-v1,
org.freedesktop.ScreenSaver).

Run alone to see what the collector sees: ``python -m desktop.collect.wayland --count 5``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping

from desktop.collect.base import CollectorUnavailable, one_line
from desktop.collect.sessionbus import BusError, SessionBus
from desktop.collect.wayland.gnome import GNOME_SHELL, MUTTER_IDLE_MISSING, GnomeFocus, MutterIdle
from desktop.collect.wayland.kwin import KWIN, KWinFocus, ScreenSaverIdle, kwin_on_bus
from desktop.collect.wayland.watcher import FocusSource, IdleSource, WaylandWatcher, run_alone
from desktop.collect.wayland.wlroots import (
    IDLE_PROTOCOL,
    TOPLEVEL_PROTOCOL,
    WAYLAND_TIMEOUT_S,
    HyprlandFocus,
    IdleNotifyIdle,
    Runner,
    SwayFocus,
    ToplevelFocus,
    WaylandSession,
    open_wayland_session,
    run_command,
)


def detect_desktop(environ: Mapping[str, str]) -> str:
    """Return "sway", "hyprland", "gnome", "kde" or "" from the session's environment."""
    if environ.get("SWAYSOCK"):
        return "sway"
    if environ.get("HYPRLAND_INSTANCE_SIGNATURE"):
        return "hyprland"
    tokens = {t.strip().lower() for t in environ.get("XDG_CURRENT_DESKTOP", "").split(":")}
    if "gnome" in tokens:  # also "ubuntu:GNOME", "pop:GNOME"
        return "gnome"
    if "kde" in tokens:
        return "kde"
    if "sway" in tokens:
        return "sway"
    if "hyprland" in tokens:
        return "hyprland"
    return ""


DESKTOP_LABELS = {"sway": "Sway", "hyprland": "Hyprland", "gnome": "GNOME", "kde": "KDE Plasma"}


def _idle_source(
    bus: SessionBus | None,
    desktop: str,
    label: str,
    session: WaylandSession | None,
    no_session: str,
) -> tuple[IdleSource | None, str]:
    candidates: list[Callable[[], IdleSource]] = []
    if bus is not None and desktop in ("gnome", ""):
        candidates.append(lambda: MutterIdle(bus))
    if session is not None and session.idle_version:
        candidates.append(lambda: IdleNotifyIdle(session, label))
    if bus is not None:
        candidates.append(lambda: ScreenSaverIdle(bus))
    for make in candidates:
        try:
            return make(), ""
        except (BusError, CollectorUnavailable):
            continue
    if desktop == "gnome":
        return None, MUTTER_IDLE_MISSING
    if session is None:
        why = f"no Wayland connection for {IDLE_PROTOCOL}: {no_session}"
    else:
        why = (
            f"the compositor does not offer {IDLE_PROTOCOL}: update it (Sway 1.8+, a current "
            "Hyprland, KDE Plasma 6 have it)"
        )
    if bus is None:
        return None, f"{why}; and no session D-Bus"
    return None, f"{why}; and org.freedesktop.ScreenSaver does not answer"


def _command_focus(
    make: Callable[[Runner], FocusSource], run: Runner, label: str, no_toplevels: str
) -> FocusSource:
    try:
        return make(run)
    except CollectorUnavailable as exc:
        raise CollectorUnavailable(f"{exc}; and no {TOPLEVEL_PROTOCOL}: {no_toplevels}") from None


def open_wayland_watcher(
    environ: Mapping[str, str] | None = None,
    run: Runner = run_command,
    timeout_s: float = WAYLAND_TIMEOUT_S,
) -> WaylandWatcher:
    """Return a watcher for this Wayland session; raises CollectorUnavailable (one line)."""
    env = os.environ if environ is None else environ
    display = env.get("WAYLAND_DISPLAY", "")
    if not display:
        raise CollectorUnavailable("not a Wayland session: WAYLAND_DISPLAY is not set")
    desktop = detect_desktop(env)
    bus: SessionBus | None = None
    session: WaylandSession | None = None
    try:
        bus = SessionBus(env.get("DBUS_SESSION_BUS_ADDRESS") or None)
    except BusError as exc:
        if desktop in ("gnome", "kde"):
            raise CollectorUnavailable(f"{DESKTOP_LABELS[desktop]} on Wayland: {exc}") from None
    try:
        if not desktop and bus is not None:
            # No hint in the environment (a bare `ssh -X` or a custom session): ask the bus.
            with contextlib.suppress(BusError):
                if bus.has_owner(GNOME_SHELL):
                    desktop = "gnome"
                elif bus.has_owner(KWIN):
                    desktop = "kde"
        no_session = ""
        if desktop != "gnome":  # Mutter offers neither protocol to ordinary clients
            session, no_session = open_wayland_session(env, timeout_s)
        no_toplevels = no_session or "the compositor does not offer it"
        seen = env.get("XDG_CURRENT_DESKTOP", "")
        label = DESKTOP_LABELS.get(desktop) or seen.split(":")[0] or "Wayland compositor"
        focus: FocusSource
        if desktop in ("sway", "hyprland", "") and session is not None and session.has_toplevels:
            focus = ToplevelFocus(session, label)
        elif desktop == "sway":
            focus = _command_focus(SwayFocus, run, label, no_toplevels)
        elif desktop == "hyprland":
            focus = _command_focus(HyprlandFocus, run, label, no_toplevels)
        elif desktop == "gnome" and bus is not None:
            focus = GnomeFocus(bus)
        elif desktop == "kde" and bus is not None:
            if not kwin_on_bus(bus):
                raise CollectorUnavailable("KDE Plasma on Wayland: KWin is not on the session bus")
            focus = KWinFocus(bus)
        else:
            raise CollectorUnavailable(
                f"Wayland session ({display}, desktop {seen or 'unknown'!r}): no way to see the "
                "focused window here; supported are GNOME (with the 'Focused Window D-Bus' "
                f"extension), KDE Plasma, Sway, Hyprland and compositors offering "
                f"{TOPLEVEL_PROTOCOL} (river, labwc, Wayfire, niri; here: {no_toplevels})"
            )
        idle, missing = _idle_source(bus, desktop, label, session, no_session)
        uses_session = isinstance(focus, ToplevelFocus) or isinstance(idle, IdleNotifyIdle)
        if session is not None and not uses_session:
            session.close()
            session = None
    except BaseException:
        if session is not None:
            session.close()
        if bus is not None:
            bus.close()
        raise
    return WaylandWatcher(label, focus, idle, missing, bus, session)


def wayland_report(environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Return (usable, one-line detail) for `doctor`; opens and closes a watcher."""
    try:
        watcher = open_wayland_watcher(environ)
    except CollectorUnavailable as exc:
        return False, one_line(exc)
    try:
        return True, watcher.capabilities().describe()
    finally:
        watcher.close()


def main(argv: list[str] | None = None) -> int:
    """Print the focused window and idle time once per interval; return the exit status."""
    return run_alone("desktop.collect.wayland", "wayland", open_wayland_watcher, argv)


if __name__ == "__main__":
    sys.exit(main())
