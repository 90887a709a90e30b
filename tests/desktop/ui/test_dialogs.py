"""Settings and first-run dialogs: every click lands in config.toml, ui-state.json or a callable."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6")

from desktop.config import load_config  # noqa: E402
from desktop.settings import Autostart, Settings  # noqa: E402
from desktop.ui.first_run import FirstRunDialog  # noqa: E402
from desktop.ui.qt import QDialog, Qt, QTime  # noqa: E402
from desktop.ui.settings_dialog import SettingsDialog  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    return Settings(tmp_path / "data", autostart=Autostart(tmp_path / "autostart"))


@pytest.fixture
def dialog(qtbot, settings):
    calls: list[tuple] = []
    answers = {"confirm": False}
    window = SettingsDialog(
        settings,
        export_data=lambda path: calls.append(("export", path, threading.current_thread().name)),
        delete_data=lambda: calls.append(("delete",)),
        on_saved=lambda config: calls.append(("saved", config)),
        confirm=lambda parent, title, question: answers["confirm"],
        choose_path=lambda parent: "/tmp/out.json",
        now=lambda: 42.0,
    )
    window.calls = calls
    window.answers = answers
    qtbot.addWidget(window)
    window.show()
    return window


def test_save_writes_what_the_user_changed(qtbot, dialog, settings):
    dialog.daily_cap.setValue(2)
    dialog.min_gap.setValue(90)
    qtbot.keyClick(dialog.store_titles, Qt.Key.Key_Space)
    qtbot.keyClicks(dialog.new_app, "KeePassXC")
    qtbot.mouseClick(dialog.add_app_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.new_app, "keepassxc")  # a duplicate is not added twice
    qtbot.keyClick(dialog.new_app, Qt.Key.Key_Return)
    assert dialog.apps() == ["KeePassXC"]
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    config = load_config(settings.data_dir)
    assert (config.daily_cap, config.min_gap_min, config.store_titles) == (2, 90.0, True)
    assert config.excluded_apps == ("KeePassXC",)
    assert dialog.calls == [("saved", config)]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_removing_an_app_and_cancel_changes_nothing(qtbot, dialog, settings):
    settings.update(excluded_apps=["slack", "zoom"])
    window = SettingsDialog(settings)
    qtbot.addWidget(window)
    window.excluded.setCurrentRow(0)
    qtbot.mouseClick(window.remove_app_button, Qt.MouseButton.LeftButton)
    assert window.apps() == ["zoom"]
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # Escape cancels
    assert window.result() == QDialog.DialogCode.Rejected
    assert load_config(settings.data_dir).excluded_apps == ("slack", "zoom")
    again = SettingsDialog(settings)
    qtbot.addWidget(again)
    again.excluded.setCurrentRow(0)
    again.remove_app()
    again.save()
    assert load_config(settings.data_dir).excluded_apps == ("zoom",)


def test_start_at_login_writes_and_removes_the_autostart_entry(dialog, settings):
    dialog.autostart.setChecked(True)
    dialog.save()
    assert settings.autostart.path.is_file()
    again = SettingsDialog(settings)
    assert again.autostart.isChecked()
    again.autostart.setChecked(False)
    again.save()
    assert not settings.autostart.path.exists()


def test_learning_mode_checkbox_is_saved_in_ui_state(dialog, settings):
    assert not dialog.learning.isChecked()
    dialog.learning.setChecked(True)
    dialog.save()
    state = settings.ui_state()
    assert state.learning_mode and state.learning_since == 42.0


def test_export_and_delete_call_the_injected_functions(qtbot, dialog):
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    # Off the GUI thread: a year of history takes seconds to write.
    assert dialog.calls == [("export", "/tmp/out.json", "ui-background")]
    assert "/tmp/out.json" in dialog.message.text()
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert len(dialog.calls) == 1  # not confirmed: nothing deleted
    dialog.answers["confirm"] = True
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.data_busy)
    assert dialog.calls[-1] == ("delete",)
    assert dialog.message.text() == "All data deleted."


def test_without_callables_data_buttons_are_disabled(qtbot, settings):
    window = SettingsDialog(settings)
    qtbot.addWidget(window)
    assert not window.export_button.isEnabled() and not window.delete_button.isEnabled()
    assert not window.delete_range_button.isEnabled()
    assert not window.finetune.isEnabled()  # no NightlyFinetune given: not offered
    assert window.data_location.isReadOnly()
    assert window.data_location.text() == str(settings.data_dir)


def test_quiet_hours_are_shown_edited_saved_and_switched_off(qtbot, dialog, settings):
    assert dialog.quiet_enabled.isChecked() and dialog.quiet_start.isEnabled()
    assert dialog.quiet_start.time().toString("HH:mm") == "22:00"  # the default
    assert dialog.quiet_end.time().toString("HH:mm") == "08:00"
    dialog.quiet_start.setTime(QTime(21, 30))
    dialog.quiet_end.setTime(QTime(7, 15))
    dialog.save()
    assert load_config(settings.data_dir).quiet_hours == "21:30-07:15"
    again = SettingsDialog(settings)
    qtbot.addWidget(again)
    again.show()
    assert again.quiet_start.time() == QTime(21, 30)
    qtbot.mouseClick(again.quiet_enabled, Qt.MouseButton.LeftButton)
    assert not again.quiet_start.isEnabled()
    again.save()
    assert load_config(settings.data_dir).quiet_hours == ""
    off = SettingsDialog(settings)
    qtbot.addWidget(off)
    assert not off.quiet_enabled.isChecked() and not off.quiet_end.isEnabled()


def test_first_run_start_saves_choices_and_import_reports_count(qtbot, settings):
    imported = []
    dialog = FirstRunDialog(
        settings,
        import_activitywatch=lambda path: imported.append(path) or 1234,
        choose_file=lambda parent: "/tmp/aw-export.json",
        now=lambda: 7.0,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert str(settings.data_dir) in dialog.findChildren(type(dialog.import_result))[1].text()
    assert dialog.learning.isChecked()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_result.text() == "Imported 1234 spans.", timeout=5000)
    assert imported == ["/tmp/aw-export.json"]
    qtbot.keyClick(dialog.store_titles, Qt.Key.Key_Space)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    state = settings.ui_state()
    assert state.first_run_done and state.learning_mode and state.learning_since == 7.0
    assert load_config(settings.data_dir).store_titles is True


def test_first_run_later_leaves_it_to_show_again(qtbot, settings):
    dialog = FirstRunDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.import_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not settings.ui_state().first_run_done
    assert not settings.config_path.exists()
