"""Platform notifications with actions (freedesktop D-Bus, Windows toasts, macOS).

`platform_backend` picks this platform's backend; each backend module imports only `base`, and
is imported here only when it is the one picked, so no module of the package imports another
backend's platform library.
"""

from __future__ import annotations

import sys

from desktop.notify.base import ACTIONS, Backend, Notice, NotifyUnavailable, Response

__all__ = ["ACTIONS", "Backend", "Notice", "NotifyUnavailable", "Response", "platform_backend"]


def platform_backend(platform: str = sys.platform) -> Backend | None:
    """Return this platform's notification backend (not started), or None where there is none."""
    if platform.startswith("linux") or platform.startswith("freebsd"):
        from desktop.notify.freedesktop import FreedesktopBackend

        return FreedesktopBackend()
    if platform == "win32":
        from desktop.notify.windows import ToastBackend

        return ToastBackend()
    if platform == "darwin":
        from desktop.notify.macos import UserNotificationsBackend

        return UserNotificationsBackend()
    return None
