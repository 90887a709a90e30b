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


def short_day_label(at: float, utc_offset_s: float) -> str:
    """Return e.g. "Mon 23 Nov" for the local day of a Unix time."""
    return local_datetime(at, utc_offset_s).strftime("%a %d %b")


def period_label(period: str, start: float, end: float, utc_offset_s: float) -> str:
    """Return "Mon 23 Nov 2026", "16 – 22 Nov 2026" or "November 2026" for a shown period."""
    if period == "day":
        return day_label(start, utc_offset_s)
    first = local_datetime(start, utc_offset_s)
    if period == "month":
        return first.strftime("%B %Y")
    last = local_datetime(end - 1.0, utc_offset_s)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} – {last.strftime('%d %b %Y').lstrip('0')}"
    if first.year == last.year:
        return f"{first.strftime('%d %b').lstrip('0')} – {last.strftime('%d %b %Y').lstrip('0')}"
    return f"{first.strftime('%d %b %Y').lstrip('0')} – {last.strftime('%d %b %Y').lstrip('0')}"


def current_period(period: str) -> str:
    """Return "today", "this week" or "this month"."""
    return {"day": tr("today"), "week": tr("this week"), "month": tr("this month")}[period]


def step_label(period: str, forward: bool) -> str:
    """Return the previous/next button's text for a period."""
    if forward:
        return {"day": tr("&Next day ▶"), "week": tr("&Next week ▶"), "month": tr("&Next month ▶")}[
            period
        ]
    return {
        "day": tr("◀ &Previous day"),
        "week": tr("◀ &Previous week"),
        "month": tr("◀ &Previous month"),
    }[period]


def empty_state(data: reports.Dashboard) -> str:
    """Return what the dashboard says, and what to do, when nothing was recorded in a period."""
    offset = data.utc_offset_s
    if data.is_current:
        what = {
            "day": tr("Nothing recorded yet today."),
            "week": tr("Nothing recorded yet this week."),
            "month": tr("Nothing recorded yet this month."),
        }[data.period]
        todo = tr("Time Sculptor records while it runs and you work.")
    else:
        shown = period_label(data.period, data.period_start, data.period_end, offset)
        what = {
            "day": tr("Nothing recorded on {shown}."),
            "week": tr("Nothing recorded in the week {shown}."),
            "month": tr("Nothing recorded in {shown}."),
        }[data.period].format(shown=shown)
        todo = {
            "day": tr("Pick another day, or import history."),
            "week": tr("Pick another week, or import history."),
            "month": tr("Pick another month, or import history."),
        }[data.period]
    how = tr(
        "To import: time-sculptor import FILE (an ActivityWatch export, a CSV log or a calendar)."
    )
    return f"{what}\n{todo}\n{how}"


def latest_day_button(latest_day: float | None, utc_offset_s: float) -> str:
    """Return the "jump to the latest day with data" button's text."""
    if latest_day is None:
        return tr("&Latest day with data")
    return tr("&Latest day with data ({day})").format(day=short_day_label(latest_day, utc_offset_s))


def heat_legend() -> list[str]:
    """Return the heatmap legend's labels, one per shade from reports.heat_level 1 up."""
    bounds = [int(b) for b in reports.HEAT_LEVELS]
    labels = [tr("under {m} min").format(m=bounds[0])]
    labels += [f"{lo}–{hi} min" for lo, hi in zip(bounds, bounds[1:], strict=False)]
    labels.append(tr("{m} min or more").format(m=bounds[-1]))
    return labels


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


def usage_label(name: str, depth: int) -> str:
    """Return how a row of the apps tree is named: a category, an app or a window title."""
    if depth == 0:
        return category_label(name)
    if not name:
        return tr("Other windows") if depth == 2 else tr("Unnamed app")
    return name


def calendar_label(kind: str) -> str:
    """Return the legend's name of a calendar entry ("meeting" or "event")."""
    return tr("Meeting (calendar)") if kind == "meeting" else tr("Other calendar event")


def plan_state_label(state: str) -> str:
    """Return the legend's name of a plan block's state."""
    return {
        "planned": tr("Planned"),
        "running": tr("Running now"),
        "kept": tr("Kept"),
        "partly kept": tr("Partly kept"),
        "missed": tr("Missed"),
        "skipped": tr("Skipped"),
    }[state]


def metric_label(key: str) -> str:
    """Return a metric's technical name (the model page's details)."""
    return {
        "held_out_examples": tr("Held-out moments"),
        "tflite.next_category_top1": tr("Next activity, top-1 accuracy"),
        "tflite.next_category_top3": tr("Next activity, top-3 accuracy"),
        "tflite.next_category_mrr": tr("Next activity, mean reciprocal rank"),
        "tflite.switch_soon_accuracy": tr('"Switching soon" accuracy'),
        "tflite.accept_mae": tr("Break acceptance, mean abs. error"),
        "parity.top1_agreement": tr("On-device vs. trained model agreement"),
    }.get(key, key)


# The model page in plain words: (metric, what it says, how the value reads).
PLAIN_METRICS = (
    ("tflite.next_category_top1", "Next activity guessed right", "{p} of the time"),
    ("tflite.next_category_top3", "Among its three best guesses", "{p} of the time"),
    ("tflite.switch_soon_accuracy", "Knew you were about to switch", "{p} of the time"),
    ("tflite.accept_mae", "Break guesses off by", "{p} on average"),
    ("parity.top1_agreement", "Same answer here as in training", "{p} of the time"),
    ("held_out_examples", "Tested on", "{n} moments new to it"),
)


def plain_metrics(metrics: tuple[tuple[str, float], ...]) -> list[tuple[str, str]]:
    """Return the model's measured quality as (what it says, value) rows a user can read."""
    values = dict(metrics)
    rows = []
    for key, label, value in PLAIN_METRICS:
        if key in values:
            number = values[key]
            rows.append((tr(label), tr(value).format(p=f"{number:.0%}", n=f"{int(number):,}")))
    return rows


def model_in_use(model: reports.ModelSummary) -> str:
    """Return the model in use in words: when it was trained, never its version id."""
    if model.version is None:
        return tr("None yet: simple rules decide")
    if model.created_at:
        try:
            trained = datetime.fromisoformat(model.created_at.replace("Z", "+00:00"))
        except ValueError:
            return tr("Installed model")
        return tr("Trained {date}").format(date=trained.strftime("%d %b %Y").lstrip("0"))
    return tr("Installed model")


def metric_value(key: str, value: float) -> str:
    if key == "held_out_examples":
        return f"{int(value):,}"
    if key.endswith("mae"):
        return f"{value:.3f}"
    return f"{value:.1%}"
