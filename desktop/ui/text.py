"""User-facing wording shared by the tray and the dashboard, all translatable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from desktop import reports
from desktop.ui.qt import QCoreApplication

CONTEXT = "TimeSculptor"


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """Translate `text` in the app's one translation context.

    Plural sources are written "%n break(s)"; with no translator loaded (English), "(s)" is
    resolved here so untranslated builds still read naturally.
    """
    result = QCoreApplication.translate(CONTEXT, text, disambiguation, n)
    if n >= 0 and "(s)" in result:
        result = result.replace("(s)", "" if n == 1 else "s")
    return result


def duration(seconds: float) -> str:
    """Return "2 h 05 min", "17 min" or "< 1 min"."""
    minutes = int(round(seconds / 60.0))
    if minutes < 1:
        return tr("< 1 min")
    hours, minutes = divmod(minutes, 60)
    if hours:
        return tr("{h} h {m:02d} min").format(h=hours, m=minutes)
    return tr("{m} min").format(m=minutes)


def local_datetime(at: float, utc_offset_s: float) -> datetime:
    return datetime.fromtimestamp(at, UTC).astimezone(timezone(timedelta(seconds=utc_offset_s)))


def clock_time(at: float, utc_offset_s: float) -> str:
    """Return the local "HH:MM" of a Unix time."""
    return local_datetime(at, utc_offset_s).strftime("%H:%M")


def day_label(at: float, utc_offset_s: float) -> str:
    """Return e.g. "Mon 23 Nov 2026" for the local day of a Unix time."""
    return local_datetime(at, utc_offset_s).strftime("%a %d %b %Y")


def state_label(state: str) -> str:
    return {
        "collecting": tr("Collecting"),
        "learning": tr("Learning (gentle start)"),
        "paused": tr("Paused"),
    }.get(state, state)


def glance_line(glance: reports.Glance) -> str:
    """Return the tray's "Today at a glance" line."""
    return tr("Today: {active} active · {breaks} · {suggestions}").format(
        active=duration(glance.active_s),
        breaks=tr("%n break(s)", "", glance.breaks),
        suggestions=tr("%n suggestion(s)", "", glance.suggestions),
    )


def outcome_label(outcome: str) -> str:
    return {
        "accepted": tr("Accepted"),
        "snoozed": tr("Snoozed"),
        "dismissed": tr("Dismissed"),
        "ignored": tr("Ignored"),
        "pending": tr("Pending"),
    }.get(outcome, outcome)


def category_label(category: str) -> str:
    return {
        "unknown": tr("Other"),
        "development": tr("Development"),
        "communication": tr("Communication"),
        "meetings": tr("Meetings"),
        "office": tr("Office"),
        "browsing": tr("Browsing"),
        "social": tr("Social"),
        "entertainment": tr("Entertainment"),
        "games": tr("Games"),
        "system": tr("System"),
        "design": tr("Design"),
        "away": tr("Away"),
    }.get(category, category)


def metric_label(key: str) -> str:
    return {
        "held_out_examples": tr("Held-out moments"),
        "tflite.next_category_top1": tr("Next activity, top-1 accuracy"),
        "tflite.next_category_top3": tr("Next activity, top-3 accuracy"),
        "tflite.next_category_mrr": tr("Next activity, mean reciprocal rank"),
        "tflite.switch_soon_accuracy": tr('"Switching soon" accuracy'),
        "tflite.accept_mae": tr("Break acceptance, mean abs. error"),
        "parity.top1_agreement": tr("On-device vs. trained model agreement"),
    }.get(key, key)


def metric_value(key: str, value: float) -> str:
    if key == "held_out_examples":
        return f"{int(value):,}"
    if key.endswith("mae"):
        return f"{value:.3f}"
    return f"{value:.1%}"
