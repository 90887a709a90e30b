"""desktop.settings: config.toml round trips through the app's own loader; UI state; autostart."""

from __future__ import annotations

import os
import stat

import pytest

from desktop.config import Config, load_config, render_config
from desktop.settings import (
    AUTOSTART_FALLBACK,
    AUTOSTART_TEMPLATE,
    Autostart,
    Settings,
    SettingsError,
    UiState,
)


@pytest.fixture
def settings(tmp_path):
    return Settings(tmp_path / "data", autostart=Autostart(tmp_path / "autostart"))


def test_saved_settings_load_with_the_apps_loader(settings):
    config = settings.update(
        daily_cap=3, min_gap_min=55, store_titles=True, excluded_apps=[" KeePassXC ", "signal"]
    )
    assert load_config(settings.data_dir) == config
    assert (config.daily_cap, config.min_gap_min, config.store_titles) == (3, 55.0, True)
    assert config.excluded_apps == ("KeePassXC", "signal")
    assert stat.S_IMODE(os.stat(settings.config_path).st_mode) == 0o600
    text = settings.config_path.read_text()
    assert "\ndaily_cap = 3\n" in text
    assert "# poll_interval_s = 1.0" in text  # defaults stay commented out


def test_every_default_renders_commented_and_reloads_as_defaults(tmp_path):
    (tmp_path / "config.toml").write_text(render_config(Config()))
    assert load_config(tmp_path) == Config()


def test_app_names_are_cleaned_and_deduplicated(settings):
    config = settings.validate({"excluded_apps": ["Slack", "slack", "", "  ", "zoom"]})
    assert config.excluded_apps == ("Slack", "zoom")
    with pytest.raises(SettingsError) as excinfo:
        settings.validate({"excluded_apps": "slack"})
    assert "excluded_apps" in excinfo.value.errors


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"daily_cap": 100}, "daily_cap"),
        ({"daily_cap": 2.5}, "daily_cap"),
        ({"min_gap_min": 1}, "min_gap_min"),
        ({"min_gap_min": float("nan")}, "min_gap_min"),
        ({"store_titles": "yes"}, "store_titles"),
        ({"afk_after_s": -5}, "afk_after_s"),
        ({"quiet_hours": "22-8"}, "quiet_hours"),
    ],
)
def test_invalid_values_are_refused_with_the_setting_named(settings, changes, key):
    with pytest.raises(SettingsError) as excinfo:
        settings.update(**changes)
    assert key in excinfo.value.errors
    assert not settings.config_path.exists()


def test_ui_state_defaults_persists_and_survives_a_damaged_file(settings):
    assert settings.ui_state() == UiState()
    state = settings.finish_first_run(learning_mode=True, now=123.0)
    assert settings.ui_state() == state == UiState(True, True, 123.0)
    assert settings.set_learning_mode(False, now=200.0).learning_mode is False
    assert settings.ui_state().first_run_done is True
    settings.ui_state_path.write_text("{not json")
    assert settings.ui_state() == UiState()


def test_autostart_copies_the_packaged_entry_and_removes_it(tmp_path):
    autostart = Autostart(tmp_path / "autostart")
    assert not autostart.is_enabled()
    autostart.set_enabled(True)
    assert autostart.is_enabled()
    assert autostart.path.name == "time-sculptor.desktop"
    assert autostart.path.read_text() == AUTOSTART_TEMPLATE.read_text()
    autostart.set_enabled(False)
    assert not autostart.path.exists()
    autostart.set_enabled(False)  # idempotent


def test_autostart_without_the_packaging_folder_uses_the_same_entry(tmp_path):
    autostart = Autostart(tmp_path / "autostart", template=tmp_path / "missing.desktop")
    autostart.set_enabled(True)
    assert autostart.path.read_text() == AUTOSTART_FALLBACK == AUTOSTART_TEMPLATE.read_text()


def test_autostart_defaults_to_xdg_config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert Autostart().path == tmp_path / "xdg" / "autostart" / "time-sculptor.desktop"


class Systemctl:
    """The process boundary: records `systemctl --user` calls and answers like systemd."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.returncode, self.stderr = returncode, stderr
        self.commands: list[list[str]] = []

    def __call__(self, args):
        import subprocess

        self.commands.append(list(args))
        return subprocess.CompletedProcess(list(args), self.returncode, "", self.stderr)


def test_nightly_finetune_installs_the_shipped_units_and_enables_the_timer(tmp_path):
    from desktop.settings import FINETUNE_TIMER, SYSTEMD_SOURCE, NightlyFinetune

    runner = Systemctl()
    finetune = NightlyFinetune(unit_dir=tmp_path / "user", runner=runner, which=lambda n: "/bin/x")
    assert finetune.unavailable() is None
    assert finetune.set_enabled(True) == f"nightly fine-tune enabled ({FINETUNE_TIMER})"
    assert runner.commands == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", FINETUNE_TIMER],
    ]
    shipped = (SYSTEMD_SOURCE / FINETUNE_TIMER).read_text()
    assert (tmp_path / "user" / FINETUNE_TIMER).read_text() == shipped
    assert finetune.is_enabled()
    assert runner.commands[-1] == ["systemctl", "--user", "is-enabled", "--quiet", FINETUNE_TIMER]
    finetune.set_enabled(False)
    assert runner.commands[-1] == ["systemctl", "--user", "disable", "--now", FINETUNE_TIMER]


def test_nightly_finetune_problems_are_one_line(tmp_path):
    from desktop.settings import NightlyFinetune

    runner = Systemctl()
    missing = NightlyFinetune(unit_dir=tmp_path / "u", runner=runner, which=lambda name: None)
    assert missing.unavailable().startswith("systemctl not found")
    assert not missing.is_enabled()
    with pytest.raises(SettingsError, match="systemctl not found"):
        missing.set_enabled(True)
    assert runner.commands == []
    no_units = NightlyFinetune(
        unit_dir=tmp_path / "u", source_dir=tmp_path, runner=runner, which=lambda n: "/bin/x"
    )
    with pytest.raises(SettingsError, match="unit files are not in"):
        no_units.set_enabled(True)
    assert runner.commands == []  # nothing half-done
    refusing = NightlyFinetune(
        unit_dir=tmp_path / "u",
        runner=Systemctl(1, "Failed to connect to bus: No medium found\n"),
        which=lambda n: "/bin/x",
    )
    with pytest.raises(SettingsError) as excinfo:
        refusing.set_enabled(False)
    message = str(excinfo.value)
    assert "\n" not in message and message.endswith(
        "failed: Failed to connect to bus: No medium found"
    )
    assert not refusing.is_enabled()
