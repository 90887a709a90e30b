"""What every notification backend shares: the notice, the user's response, the contract.

A backend shows a suggestion through the platform's notification service and reports what the
user did with it as a `Response`; `NotificationCenter` (desktop.ui.notifications) turns that
into the same `react(...)` call the Qt popup makes. Backends are Qt-free and block: the
centre calls them from one worker thread, never from the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# Stable action keys: D-Bus action keys, toast arguments and macOS action identifiers alike.
ACCEPT = "accept"
SNOOZE = "snooze"
DISMISS = "dismiss"
NOT_LIKE_THIS = "not_like_this"
WHY = "why"  # also the body click ("default" on freedesktop): open the popup, "why" shown
EXPIRED = "expired"  # the service let it time out: recorded as ignored
CLOSED = "closed"  # the user closed it without choosing: recorded as dismissed
ACTIONS = (ACCEPT, SNOOZE, DISMISS, NOT_LIKE_THIS, WHY)


class NotifyUnavailable(RuntimeError):
    """The platform's notification service cannot show actionable notifications here."""


@dataclass(frozen=True)
class Notice:
    """One suggestion as a notification: what to say, why now, and the button labels."""

    suggestion_id: int
    title: str
    text: str
    why: str
    expire_after_s: float
    labels: dict[str, str]  # action key -> translated label

    def body(self, why_prefix: str) -> str:
        """Return the body text: the suggestion, then the "why now" line."""
        return f"{self.text}\n\n{why_prefix} {self.why}" if self.why else self.text


@dataclass(frozen=True)
class Response:
    """What the user (or the service) did with a notice; `action` is one of the keys above."""

    suggestion_id: int
    action: str
    snooze_minutes: float | None = None
    reason: str | None = None


OnResponse = Callable[[Response], None]


class Backend(Protocol):
    """A platform notification service; every method may block and may raise."""

    name: str

    def start(self, on_response: OnResponse) -> None:
        """Connect and check that actions are supported; raise NotifyUnavailable otherwise."""

    def show(self, notice: Notice) -> None:
        """Show a notice; raise NotifyUnavailable (or OSError) when it cannot be shown."""

    def withdraw(self, suggestion_id: int) -> None:
        """Take a notice off the screen (it expired or was answered elsewhere)."""

    def stop(self) -> None:
        """Disconnect (idempotent)."""
