"""The Plan tab draws the planner's week from a real store and forwards clicks to the planner."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pytest

pytest.importorskip("PySide6")

from desktop.clock import FakeClock  # noqa: E402
from desktop.config import Config  # noqa: E402
from desktop.plan import items  # noqa: E402
from desktop.plan.planner import Planner  # noqa: E402
from desktop.service import AppService  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.store import DB_NAME, Event, Store  # noqa: E402
from desktop.ui import app as ui_app  # noqa: E402
from desktop.ui.plan_tab import STATE_HUES, PlanTab  # noqa: E402
from desktop.ui.qt import QColor, QPoint, Qt  # noqa: E402
from tests.helpers import DEEP_WORK_HABIT

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TZ)
HOUR = 3600.0
PLAN = (
    """
[plan]
daily_cap = "6h"
"""
    + DEEP_WORK_HABIT
)


def at(day: int, hour: float) -> float:
    return (MONDAY + dt.timedelta(days=day, hours=hour)).timestamp()


def run_now(work, done) -> None:
    """Run the tab's background work at once (the tests' stand-in for a worker thread)."""
    try:
        result = work()
    except Exception as exc:  # handed on, as the real runner does
        done(None, exc)
        return
    done(result, None)


@pytest.fixture
def planner(tmp_path):
    """Four weeks of a person who writes code on weekdays 14:00-17:00, and a deep-work habit."""
    store = Store(tmp_path / DB_NAME)
    store.insert_events(
        [
            Event(at(day, 14), 3 * HOUR, "window", "code", category="development")
            for day in range(-28, 0)
            if (MONDAY + dt.timedelta(days=day)).weekday() < 5
        ]
    )
    (tmp_path / items.PLAN_NAME).write_text(PLAN)
    app = Planner(store, tmp_path, FakeClock(at(0, 6)), TZ)
    app.plan_file.check_every_s = 0.0
    yield app
    store.close()


@pytest.fixture
def confirmations():
    return {"answer": True, "asked": []}


@pytest.fixture
def tab(qtbot, planner, confirmations):
    def confirm(parent, title, question):
        confirmations["asked"].append(question)
        return confirmations["answer"]

    widget = PlanTab(planner, planner.clock.now, run=run_now, confirm=confirm)
    qtbot.addWidget(widget)
    widget.resize(1100, 1000)
    widget.show()  # showing it places the week
    qtbot.waitExposed(widget)
    return widget


def worked(planner, block, minutes: float) -> None:
    planner.store.insert_events(
        [Event(block.start, minutes * 60, "window", "code", category="development")]
    )


def color_inside(tab, block) -> QColor:
    """Return the colour drawn inside a block, right of its text."""
    image = tab.chart.grab().toImage()
    rect = tab.chart.block_rect(block)
    return image.pixelColor(int(rect.right()) - 4, int(rect.center().y()))


def click_block(qtbot, tab, block_id: int) -> None:
    rect = tab.chart.block_rect(tab.week.block(block_id))
    qtbot.mouseClick(
        tab.chart,
        Qt.MouseButton.LeftButton,
        pos=QPoint(int(rect.center().x()), int(rect.center().y())),
    )


@pytest.fixture
def lived_week(tab, planner):
    """Block ids by state: Monday kept, Tuesday partly kept, Wednesday missed, Thursday skipped
    (the missed and skipped hours are placed again), and Friday's block still to come."""
    blocks = planner.blocks(at(0, 0), at(5, 0))
    assert len(blocks) == 5
    worked(planner, blocks[0], 60)
    worked(planner, blocks[1], 30)
    planner.clock.set(blocks[2].end + 60)
    planner.skip(blocks[3].id)
    tab.replan()
    [friday] = tab.week.day_blocks(4)
    return {
        "kept": blocks[0].id,
        "partly kept": blocks[1].id,
        "missed": blocks[2].id,
        "skipped": blocks[3].id,
        "planned": friday.id,
    }


def test_each_state_is_drawn_in_its_own_colour(tab, lived_week):
    for state, block_id in lived_week.items():
        block = tab.week.block(block_id)
        assert block.state == state
        assert color_inside(tab, block) == tab.chart.fill(state), state
    # Kept and planned are told apart at a glance (not two shades of one hue).
    assert tab.chart.fill("kept") == QColor(STATE_HUES["kept"])
    assert tab.chart.fill("planned") != tab.chart.fill("kept")
    assert "1 kept, 1 partly kept, 1 missed, 1 skipped" in tab.chart.accessibleDescription()


def test_a_meeting_is_drawn_beside_the_blocks(qtbot, tab, planner):
    planner.store.insert_events(
        [Event(at(2, 9), HOUR, "calendar", "calendar", "Standup", category="meetings")]
    )
    tab.redraw()
    [meeting] = tab.week.meetings
    rect = tab.chart.meeting_rect(meeting)
    image = tab.chart.grab().toImage()
    assert image.pixelColor(int(rect.center().x()), int(rect.center().y())) == (
        tab.chart.meeting_fill("meeting")
    )
    for block in tab.week.day_blocks(2):  # beside, never under, the day's blocks
        assert tab.chart.block_rect(block).right() < rect.left()
    assert tab.chart.tooltip_at(rect.center().x(), rect.center().y()).startswith(
        "Meeting (calendar) 09:00-10:00"
    )


def test_clicking_a_block_says_why_here_and_offers_what_fits(qtbot, tab, lived_week):
    click_block(qtbot, tab, lived_week["partly kept"])
    shown = tab.block_label.text()
    assert "Deep work, Tue" in shown
    assert "Partly kept: 50% of the block went to it" in shown
    assert "Why here: you were at the computer" in shown
    assert tab.answer_button.isEnabled()
    assert not (tab.start_button.isEnabled() or tab.skip_button.isEnabled())
    friday = tab.week.block(lived_week["planned"])
    click_block(qtbot, tab, friday.id)
    assert "Planned" in tab.block_label.text()
    assert tab.start_button.isEnabled() and tab.move_button.isEnabled()
    assert tab.skip_button.isEnabled() and not tab.answer_button.isEnabled()
    rect = tab.chart.block_rect(tab.week.block(friday.id))
    assert "Why here:" in tab.chart.tooltip_at(rect.center().x(), rect.center().y())
    # A click on empty grid clears the choice.
    qtbot.mouseClick(tab.chart, Qt.MouseButton.LeftButton, pos=QPoint(60, 50))
    assert tab.selected is None and not tab.skip_button.isEnabled()


def test_skip_skips_the_block_and_places_the_week_again(qtbot, tab, planner, lived_week):
    friday = tab.week.block(lived_week["planned"])
    click_block(qtbot, tab, friday.id)
    qtbot.mouseClick(tab.skip_button, Qt.MouseButton.LeftButton)
    assert planner.store.plan_block(friday.id).status == "skipped"
    skipped = tab.week.block(friday.id)
    assert skipped.state == "skipped"
    assert color_inside(tab, skipped) == tab.chart.fill("skipped")
    assert not tab.skip_button.isEnabled()
    # The hour went back to the habit: Friday has a planned block again, drawn beside the
    # skipped one where they overlap, so neither hides the other.
    [again] = [b for b in tab.week.day_blocks(4) if b.id != friday.id]
    assert again.state == "planned"
    assert color_inside(tab, again) == tab.chart.fill("planned")
    if again.start < skipped.end and skipped.start < again.end:
        assert not tab.chart.block_rect(again).intersects(tab.chart.block_rect(skipped))


def test_start_and_how_did_it_go_reach_the_store(qtbot, tab, planner, lived_week):
    monday, friday = tab.week.block(lived_week["kept"]), tab.week.block(lived_week["planned"])
    click_block(qtbot, tab, friday.id)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert planner.store.plan_block(friday.id).status == "started"
    assert not tab.start_button.isEnabled() and tab.skip_button.isEnabled()
    click_block(qtbot, tab, monday.id)
    [well] = [a for a in tab.answer_menu.actions() if a.text() == "Well"]
    well.trigger()
    assert planner.store.plan_block(monday.id).answer == "well"
    assert "You said it went well" in tab.block_label.text()


def test_move_offers_the_next_three_good_slots_and_holds_the_block_there(
    qtbot, tab, planner, lived_week
):
    friday = tab.week.block(lived_week["planned"])
    click_block(qtbot, tab, friday.id)
    tab.fill_move_menu()
    options = tab.move_menu.actions()
    assert len(options) == 3
    wanted = planner.move_options(friday.id)
    assert [action.toolTip() for action in options] == [why for _, why in wanted]
    options[0].trigger()
    moved = planner.store.plan_block(friday.id)
    assert moved.start == wanted[0][0] and moved.status == "held"
    assert tab.week.block(friday.id).start == wanted[0][0]


def test_the_review_shows_planned_against_kept(tab, planner, lived_week):
    planner.clock.set(at(5, 12))  # Saturday: the week's blocks ended
    tab.replan()
    ended = [b for b in planner.blocks(at(0, 0), at(7, 0)) if b.end <= at(5, 12)]
    [row] = tab.review.rows
    assert row.planned_min == pytest.approx(60 * len(ended))
    assert row.kept_min == pytest.approx(90)  # Monday's hour and half of Tuesday's
    planned = f"{len(ended)} h"
    share = f"{90 / (60 * len(ended)):.0%}"
    assert tab.review_label.text() == f"Of {planned} planned, 1.5 h kept ({share})."
    assert tab.review_lines.text() == f"Of {planned} of deep work planned, 1.5 h kept."
    cells = [tab.review_table.item(0, c).text() for c in range(5)]
    missed = len(ended) - 2
    assert cells == [
        "Deep work",
        planned,
        "1.5 h",
        share,
        f"1 kept, 1 partly, {missed} missed or skipped",
    ]
    assert [week.monday for week in tab.trend.weeks][-1] == MONDAY.date()
    assert len(tab.trend.weeks) == 4
    assert tab.trend.accessibleDescription().endswith(f"{share} kept (1.5 h of {planned})")


def test_week_navigation(qtbot, tab):
    assert tab.week_label.text().endswith("· this week")
    assert not tab.this_week_button.isEnabled()
    qtbot.mouseClick(tab.next_button, Qt.MouseButton.LeftButton)
    assert tab.week.monday == (MONDAY + dt.timedelta(days=7)).date()
    assert tab.week_label.text() == "7 Dec – 13 Dec 2026"
    qtbot.mouseClick(tab.this_week_button, Qt.MouseButton.LeftButton)
    assert tab.week.monday == MONDAY.date()


# the items and the dialog ---------------------------------------------------------------------
def test_an_empty_plan_says_what_to_do_and_the_dialog_adds_a_habit(qtbot, planner, confirmations):
    (planner.directory / items.PLAN_NAME).write_text("")
    widget = PlanTab(planner, planner.clock.now, run=run_now)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.stack.currentIndex() == 1
    assert "No habits or tasks yet" in widget.empty_label.text()
    qtbot.mouseClick(widget.empty_add_button, Qt.MouseButton.LeftButton)
    dialog = widget.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name, "Deep work")
    dialog.length.setText("60")
    dialog.categories["development"].setChecked(True)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert not dialog.isVisible()
    written = items.read_plan_file(planner.directory / items.PLAN_NAME, MONDAY.date())
    assert [i.describe() for i in written.items] == ["Deep work: 1 h on Mon-Fri (development)"]
    assert widget.stack.currentIndex() == 0  # saving placed the week
    assert len(widget.week.blocks) == 5
    assert [widget.items.item(r).text() for r in range(widget.items.count())] == [
        "Deep work: 1 h on Mon-Fri (development)"
    ]


def test_a_bad_entry_is_one_line_and_nothing_is_written(qtbot, tab, planner):
    before = (planner.directory / items.PLAN_NAME).read_text()
    dialog = tab.add_item()
    dialog.name.setText("Lunch")
    dialog.length.setText("45")
    dialog.windowed.setChecked(True)
    dialog.window_from.setTime(dialog.window_from.time().fromString("14:00", "HH:mm"))
    dialog.window_to.setTime(dialog.window_to.time().fromString("12:00", "HH:mm"))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.isVisible()
    assert dialog.error.text() == (
        "habit (Lunch): window: '14:00-12:00' must end after it starts on the same day"
    )
    dialog.name.setText("Deep work")  # a name already used
    dialog.windowed.setChecked(False)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert "already an item named 'Deep work'" in dialog.error.text()
    assert (planner.directory / items.PLAN_NAME).read_text() == before


def test_a_task_with_a_due_date_and_the_shortfall_line(qtbot, tab, planner):
    dialog = tab.add_item()
    dialog.name.setText("Write the report")
    dialog.kind.setCurrentIndex(1)
    assert dialog.length_label.text() == "&How long in all"
    dialog.length.setText("20h")
    dialog.chunk.setText("60-120")
    dialog.has_due.setChecked(True)
    dialog.due.setDate(dialog.due.date().fromString("2026-12-01", "yyyy-MM-dd"))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert not dialog.isVisible()
    task = planner.plan().item("write-the-report")
    assert (task.total_minutes, task.due) == (1200, dt.date(2026, 12, 1))
    assert tab.notice.isVisible()
    assert "Not everything fits: Write the report needs 20 h" in tab.notice.text()


def test_edit_keeps_the_items_place_and_remove_asks_first(qtbot, tab, planner, confirmations):
    path = planner.directory / items.PLAN_NAME
    tab.add_item()
    tab.dialog.name.setText("Read")
    tab.dialog.length.setText("30")
    tab.dialog.buttons.button(tab.dialog.buttons.StandardButton.Save).click()
    tab.items.setCurrentRow(0)
    dialog = tab.edit_item()
    assert dialog.name.text() == "Deep work" and dialog.categories["development"].isChecked()
    dialog.name.setText("Focus")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert [i.name for i in items.read_plan_file(path, MONDAY.date()).items] == ["Focus", "Read"]
    tab.items.setCurrentRow(1)
    confirmations["answer"] = False
    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    assert confirmations["asked"] == ["Remove Read from the plan? Its coming blocks go too."]
    assert [i.name for i in items.read_plan_file(path, MONDAY.date()).items] == ["Focus", "Read"]
    confirmations["answer"] = True
    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    assert [i.name for i in items.read_plan_file(path, MONDAY.date()).items] == ["Focus"]
    assert {block.name for block in tab.week.blocks} == {"Focus"}


def test_a_broken_plan_toml_is_said_in_one_line(qtbot, tab, planner):
    (planner.directory / items.PLAN_NAME).write_text(PLAN + "\n[[habit]]\nname = 'Oops'\n")
    tab.replan()
    assert tab.notice.isVisible()
    assert "how long? give minutes = 60 or hours = 2; keeping the previous plan" in (
        tab.notice.text()
    )
    assert len(tab.notice.text().splitlines()) == 1
    assert len(tab.week.blocks) == 5  # the previous plan still stands


def test_the_dashboard_has_the_plan_tab(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "local_utc_offset", lambda at: 0.0)
    service = AppService(
        tmp_path / "data", Config(), FakeClock(at(0, 6)), rng=np.random.default_rng(0)
    )
    try:
        shell = ui_app.Shell(service, Settings(service.data_dir, Autostart(tmp_path / "a")))
        window = shell.open_dashboard()
        qtbot.addWidget(window)
        labels = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert labels[-1] == "Plan"
        assert window.plan is not None and window.plan.planner is service.planner
        window.plan.run = run_now
        window.tabs.setCurrentWidget(window.plan)
        assert window.plan.loaded and window.plan.stack.currentIndex() == 1  # nothing planned
    finally:
        service.close()


def test_a_store_that_went_away_is_one_line_not_a_crash(qtbot, tab, planner):
    planner.store.close()  # e.g. the app closing while a re-plan was on its way
    tab.replan()
    assert tab.notice.isVisible()
    [line] = tab.notice.text().splitlines()
    assert line.startswith("Could not ")


def test_the_keyboard_walks_the_blocks(qtbot, tab):
    tab.chart.setFocus()
    qtbot.keyClick(tab.chart, Qt.Key.Key_Right)
    first = tab.week.blocks[0]
    assert tab.selected == first.id and "Deep work, Mon" in tab.block_label.text()
    qtbot.keyClick(tab.chart, Qt.Key.Key_Right)
    assert tab.selected == tab.week.blocks[1].id and tab.skip_button.isEnabled()
    qtbot.keyClick(tab.chart, Qt.Key.Key_Left)
    assert tab.selected == first.id
