"""Platform notifications with actions (freedesktop D-Bus, Windows toasts, macOS)."""

from desktop.notify.base import (
    ACTIONS,
    Backend,
    Notice,
    NotifyUnavailable,
    Response,
    platform_backend,
)

__all__ = ["ACTIONS", "Backend", "Notice", "NotifyUnavailable", "Response", "platform_backend"]
