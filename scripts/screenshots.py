"""Screenshots of every screen on a week of synthetic history, for docs/screenshots/.

    python scripts/screenshots.py [--out docs/screenshots] [--dark]

Needs an X display; without one it re-runs itself under `xvfb-run -a`. The history is the
shipped sample day (desktop/resources/sample_day.csv) shifted over three weeks, thinned on the
weekends, with break suggestions at the engine's own trigger (50+ minutes without a break) and
answers that are likelier mid-morning and mid-afternoon, so the model page has something to
show. The Plan tab's shots follow three habits through those weeks and a report due on the
last one's Friday, so every block state and the review's trend show (`stage_plan`).
Everything goes into a temporary data directory; the real one is never touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from desktop import localtime, reports  # noqa: E402
from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.engine import BREAK_TEXT, Suggestion  # noqa: E402
from desktop.replay import load_day  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.store import Event  # noqa: E402
from edge_model.categories import categorize  # noqa: E402

DAY_S = localtime.DAY_S
SIZE = "-screen 0 1600x1200x24"


def break_explanation(minutes_active: float, score: float, switch_soon: float) -> str:
    """Return a break's "why now" as the engine words it when no context feature stands out."""
    hours, minutes = divmod(int(round(minutes_active)), 60)
    stretch = f"{hours} h {minutes} min" if hours else f"{minutes} minutes"
    switch = (
        f"; you usually switch around now (the model gives {switch_soon:.0%})"
        if switch_soon >= 0.6
        else ""
    )
    return (
        f"You have been active for {stretch} without a break{switch}. The model puts the "
        f"chance you would welcome a break now at {score:.0%}."
    )


def fill_weeks(service: AppService, days: int = 21, seed: int = 3) -> float:
    """Insert `days` days of history ending with the sample day; return "now" (its last span)."""
    rng = np.random.default_rng(seed)
    sample = load_day()
    events: list[Event] = []
    for days_back in range(days - 1, -1, -1):
        shift = -days_back * DAY_S + float(rng.integers(-40, 41)) * 60.0
        weekend = localtime.weekday(sample[0].start - days_back * DAY_S) >= 5
        for span in sample:
            if weekend and (span.source == "calendar" or rng.random() < 0.7):
                continue
            if span.source == "window" and rng.random() < 0.05:
                continue  # a little day-to-day variety
            category = (
                "away"
                if span.source == "afk"
                else "meetings"
                if span.source == "calendar"
                else categorize(span.app, span.title)
            )
            events.append(
                Event(
                    start=span.start + shift,
                    duration=span.duration,
                    source=span.source,
                    app=span.app,
                    title=span.title,
                    category=category,
                )
            )
    service.store.insert_events(events)
    add_answered_suggestions(service, events, rng)
    return max(e.start + e.duration for e in events if e.source != "calendar")


def add_answered_suggestions(
    service: AppService, events: list[Event], rng: np.random.Generator
) -> None:
    """Log a break suggestion after each 50 active minutes without a break, and answer it."""
    active = sorted(
        (e for e in events if e.source == "window" and e.category != "away"), key=lambda e: e.start
    )
    stretch_start = None
    last_end = -1e18
    last_suggestion = -1e18
    version = service.models.version or "rules"
    for span in active:
        if span.start - last_end >= reports.BREAK_S or stretch_start is None:
            stretch_start = span.start
        last_end = max(last_end, span.start + span.duration)
        at = span.start
        minutes = (at - stretch_start) / 60.0
        if minutes >= 50 and at - last_suggestion >= 40 * 60:
            hour = int(localtime.local_hour(at))
            welcome = 0.75 if hour in (10, 11, 15, 16) else 0.3
            score = float(np.clip(welcome + rng.normal(0, 0.08), 0.05, 0.95))
            sid = service.store.add_suggestion(
                created_at=at,
                kind="break",
                text=BREAK_TEXT,
                explanation=break_explanation(minutes, score, 0.5),
                model_version=version,
                features={},
                score=score,
                propensity=0.8,
            )
            draw = rng.random()
            outcome = (
                "accepted"
                if draw < welcome
                else "snoozed"
                if draw < welcome + 0.15
                else "dismissed"
                if draw < welcome + 0.3
                else "ignored"
            )
            snooze = 10.0 if outcome == "snoozed" else None
            # Some dismissals say why ("Not like this"), so the model page has lessons to show.
            reason = (
                ("too_frequent", "bad_moment")[int(rng.random() < 0.5)]
                if outcome == "dismissed" and rng.random() < 0.5
                else None
            )
            service.store.record_feedback(
                sid,
                outcome,
                at + 30.0,
                snooze_minutes=snooze,
                context={"reason": reason} if reason else None,
            )
            last_suggestion = at


PLAN_TOML = """\
[plan]
work_hours = "08:00-18:00"
daily_cap = "6h"
buffer = "10m"

[[habit]]
name = "Deep work"
minutes = 60
days = "weekdays"
window = "09:00-18:00"
categories = ["development"]

[[habit]]
name = "Mail and chat"
minutes = 30
days = "weekdays"
window = "09:00-13:00"
categories = ["communication", "browsing"]
priority = 3

[[habit]]
name = "Lunch walk"
minutes = 45
days = "weekdays"
window = "12:00-15:00"
away = true
"""

REPORT_TOML = """
[[task]]
name = "Write the report"
hours = 6
due = "{due}"
chunk = "60-120"
categories = ["office", "development"]
priority = 1
"""


def stage_plan(service: AppService, now: float) -> None:
    """Live the plan for three weeks and the day of `now` (a Monday), so every state shows.

    Each earlier week is placed on its Monday morning and measured against the history the next
    Monday; this week gets a report due on Friday. On the Monday, one block is moved by hand to
    the quiet early morning (missed) and Tuesday's walk is skipped.
    """
    planner = service.planner
    planner.plan_file.check_every_s = 0.0
    path = service.data_dir / "plan.toml"
    path.write_text(PLAN_TOML)
    monday = planner.local(now).date()
    for weeks_back in (3, 2, 1):
        planner.refresh(planner.epoch(monday - dt.timedelta(days=7 * weeks_back), 6 * 60))
    friday = monday + dt.timedelta(days=4)
    meetings = [(day, 10 * 60, 30, "Standup") for day in range(1, 5)]
    meetings += [(2, 15 * 60, 90, "Design review"), (3, 13 * 60, 60, "1:1")]
    service.store.insert_events(
        [
            Event(
                start=planner.epoch(monday + dt.timedelta(days=day), minute),
                duration=minutes * 60.0,
                source="calendar",
                app="calendar",
                title=title,
                category="meetings",
            )
            for day, minute, minutes, title in meetings
        ]
    )
    path.write_text(PLAN_TOML + REPORT_TOML.format(due=friday.isoformat()))
    service.clock.set(planner.epoch(monday, 6 * 60))
    planner.refresh()
    mail = next(
        b for b in planner.blocks(planner.epoch(monday, 0), now) if b.item == "mail-and-chat"
    )
    planner.move(mail.id, planner.epoch(monday, 7 * 60 + 30))
    service.clock.set(now)
    planner.refresh()
    tuesday = monday + dt.timedelta(days=1)
    walk = next(
        b
        for b in planner.blocks(planner.epoch(tuesday, 0), planner.epoch(tuesday, 24 * 60))
        if b.item == "lunch-walk"
    )
    planner.skip(walk.id)


def shoot(out: Path, dark: bool) -> list[Path]:
    os.environ["TZ"] = "UTC"  # the sample day is in UTC; show it as recorded
    import time

    time.tzset()
    from desktop.settings import Autostart, NightlyFinetune, Settings
    from desktop.ui import app as ui_app
    from desktop.ui.dashboard import DashboardWindow
    from desktop.ui.first_run import FirstRunDialog
    from desktop.ui.qt import QApplication, QColor, QPalette, QPoint, QWidget
    from desktop.ui.settings_dialog import SettingsDialog
    from desktop.ui.tray import SuggestionPopup, TrayController, ensure_app

    app = ensure_app()
    app.setStyle("Fusion")  # the same look on every desktop, so shots compare
    if dark:
        palette = QPalette()
        for role, color in (
            (QPalette.ColorRole.Window, "#1f2227"),
            (QPalette.ColorRole.WindowText, "#e6e6e6"),
            (QPalette.ColorRole.Base, "#2a2e35"),
            (QPalette.ColorRole.AlternateBase, "#30353d"),
            (QPalette.ColorRole.Text, "#e6e6e6"),
            (QPalette.ColorRole.Button, "#2d3138"),
            (QPalette.ColorRole.ButtonText, "#e6e6e6"),
            (QPalette.ColorRole.Highlight, "#4f8ef7"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"),
            (QPalette.ColorRole.ToolTipBase, "#2a2e35"),
            (QPalette.ColorRole.ToolTipText, "#e6e6e6"),
        ):
            palette.setColor(role, QColor(color))
        for role in (
            QPalette.ColorRole.WindowText,
            QPalette.ColorRole.Text,
            QPalette.ColorRole.ButtonText,
        ):
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7f87"))
        app.setPalette(palette)
    suffix = "-dark" if dark else ""
    saved: list[Path] = []

    def save(widget: QWidget, name: str) -> None:
        for _ in range(5):
            QApplication.processEvents()
        path = out / f"{name}{suffix}.png"
        if not widget.grab().save(str(path)):
            raise SystemExit(f"could not write {path}")
        saved.append(path)

    with tempfile.TemporaryDirectory(prefix="sculptor-shots-") as tmp:
        data = Path(tmp) / "data"
        clock = FakeClock(load_day()[0].start)
        service = AppService(data, Config(), clock, rng=np.random.default_rng(0))
        service.refresh_model()
        now = fill_weeks(service)
        clock.set(now)
        settings = Settings(data, autostart=Autostart(Path(tmp) / "autostart"))
        settings.finish_first_run(learning_mode=True, now=now)
        shell = ui_app.Shell(service, settings)

        tray = TrayController(
            react=service.react,
            pause=service.pause,
            resume=service.resume,
            status_text=lambda: ui_app.status_line(service, shell.learning()),
            expire_after_s=600,
            quit_app=app.quit,
            state=shell.state,
            glance_text=shell.glance_text,
            minutes_until_tomorrow=shell.minutes_until_tomorrow,
            open_dashboard=lambda: None,
            open_settings=lambda: None,
        )
        tray.refresh_status()
        tray.menu.popup(QPoint(40, 40))
        save(tray.menu, "tray-menu")
        tray.menu.hide()

        last = service.store.last_suggestion()
        suggestion = Suggestion(
            id=last.id if last else 1,
            kind="break",
            text=BREAK_TEXT,
            explanation=break_explanation(74, 0.78, 0.86),
            score=0.78,
            propensity=0.9,
            created_at=now,
            model_version=service.models.version or "",
        )
        popup = SuggestionPopup(suggestion, expire_after_ms=600_000)
        popup.why_button.setChecked(True)
        popup.show()
        popup.adjustSize()
        save(popup, "notification")
        popup.not_like_this_button.menu().popup(
            popup.mapToGlobal(popup.not_like_this_button.geometry().bottomLeft())
        )
        save(popup.not_like_this_button.menu(), "notification-not-like-this")
        popup.not_like_this_button.menu().hide()
        popup.hide()

        dashboard = DashboardWindow(
            shell.load_dashboard,
            shell.now,
            versions=shell.model_versions,
            roll_back=shell.roll_back_model,
            told=shell.told,
            forget=shell.forget_reasons,
            about=shell.about_you,
        )
        dashboard.resize(1000, 780)
        dashboard.show()
        # "Now" is a Monday morning-to-evening: the week and month shots show the week before
        # (a full one) and this month; the empty shot a day before the history begins.
        last_week = now - 7 * DAY_S
        for name, period, day, tab in (
            ("day", "day", now, 0),
            ("week", "week", last_week, 0),
            ("month", "month", now, 0),
            ("suggestions", "week", last_week, 1),
            ("empty-day", "day", now - 30 * DAY_S, 0),
        ):
            dashboard.period = period
            dashboard.period_buttons[period].setChecked(True)
            dashboard.show_day(day)
            dashboard.tabs.setCurrentIndex(tab)
            save(dashboard, f"dashboard-{name}")

        # The Plan tab: this week with every state, then the week before and its review.
        stage_plan(service, now)
        # The model page after the plan's weeks, so what was learned includes its blocks.
        dashboard.period = "day"
        dashboard.period_buttons["day"].setChecked(True)
        dashboard.show_day(now)
        dashboard.tabs.setCurrentIndex(2)
        save(dashboard, "dashboard-model")
        dashboard.close()
        planning = DashboardWindow(shell.load_dashboard, shell.now, planner=service.planner)
        assert planning.plan is not None
        plan = planning.plan
        plan.run = lambda work, done: done(work(), None)  # placed at once, not on a thread
        planning.resize(1000, 1020)
        planning.show()
        planning.show_day(now)
        planning.tabs.setCurrentWidget(plan)
        chosen = next(b for b in plan.week.blocks if b.state == "kept")
        plan.select(chosen.id)
        save(planning, "plan-week")
        plan.show_week(-7)
        plan.select(next(b.id for b in plan.week.blocks if b.state == "partly kept"))
        plan.scroll_area.ensureWidgetVisible(plan.review_box)
        save(planning, "plan-review")
        plan.show_this_week()
        plan.items.setCurrentRow(len(plan.week.items) - 1)
        dialog = plan.edit_item()
        assert dialog is not None
        dialog.adjustSize()
        save(dialog, "plan-dialog")
        dialog.close()
        planning.close()

        settings.save(Config().with_overrides({"excluded_apps": ["keepassxc", "signal"]}))
        # systemd answers "enabled" without being asked for real: the shot never touches it.
        settings.finetune = NightlyFinetune(
            unit_dir=Path(tmp) / "units",
            runner=lambda args: subprocess.CompletedProcess(list(args), 0, "", ""),
            which=lambda name: "/usr/bin/systemctl",
        )
        dialog = SettingsDialog(
            settings,
            export_data=lambda path: None,
            delete_data=lambda: None,
            delete_range=lambda start, end: None,
            now=lambda: now,
        )
        dialog.show()
        dialog.adjustSize()
        for _ in range(200):  # the systemd check runs off the GUI thread
            if dialog.finetune.isEnabled():
                break
            QApplication.processEvents()
            time.sleep(0.01)
        save(dialog, "settings")
        dialog.close()

        first = FirstRunDialog(Settings(Path(tmp) / "fresh"), import_activitywatch=lambda p: 0)
        first.show()
        first.adjustSize()
        save(first, "first-run")
        first.close()
        # Tear the widgets down while the application is alive: left to interpreter exit,
        # Python and Qt race to delete them (an occasional segfault after the last shot).
        tray.deleteLater()
        tray.menu.deleteLater()
        for widget in QApplication.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()
        service.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--dark", action="store_true", help="also shoot with a dark palette")
    parser.add_argument("--only-dark", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("SCULPTOR_UNDER_XVFB"):
        if shutil.which("xvfb-run") is None:
            print("screenshots: no DISPLAY and no xvfb-run", file=sys.stderr)
            return 2
        env = dict(os.environ, SCULPTOR_UNDER_XVFB="1", QT_QPA_PLATFORM="xcb")
        command = ["xvfb-run", "-a", "-s", SIZE, sys.executable, __file__, *(argv or sys.argv[1:])]
        return subprocess.call(command, env=env)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("QT_SCALE_FACTOR", "1")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = shoot(out, dark=args.only_dark)
    for path in paths:
        print(path, flush=True)
    if args.dark:
        # A fresh process: a palette and style are per application, set before any widget.
        return subprocess.call([sys.executable, __file__, "--out", str(out), "--only-dark"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
