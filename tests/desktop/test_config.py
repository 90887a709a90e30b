"""desktop.config: the first run writes every setting, commented out at its default."""

from __future__ import annotations

import os
import stat
from dataclasses import fields

from desktop.config import CONFIG_NAME, Config, load_config, write_default_config


def test_first_run_writes_every_setting_commented_out_at_its_default(tmp_path):
    directory = tmp_path / "fresh" / "data"
    path = write_default_config(directory)
    assert path == directory / CONFIG_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert load_config(directory) == Config()
    for field in fields(Config):
        assert f"\n# {field.name} = " in text, field.name
        assert f"# {field.metadata['help']}\n" in text
    assert '# quiet_hours = "22:00-08:00"' in text
    # The user changes a setting by uncommenting its line.
    path.write_text(text.replace("# daily_cap = 6\n", "daily_cap = 3\n"), encoding="utf-8")
    assert load_config(directory).daily_cap == 3
    assert sorted(p.name for p in directory.iterdir()) == [CONFIG_NAME]  # no temporary left


def test_an_existing_config_is_never_replaced(tmp_path):
    mine = "daily_cap = 2\n# my own notes\n"
    (tmp_path / CONFIG_NAME).write_text(mine, encoding="utf-8")
    assert write_default_config(tmp_path) is None
    assert (tmp_path / CONFIG_NAME).read_text(encoding="utf-8") == mine
    assert load_config(tmp_path).daily_cap == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [CONFIG_NAME]


def test_an_unwritable_folder_writes_nothing_and_raises_nothing(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: nothing to show
            return
        assert write_default_config(locked) is None
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)
