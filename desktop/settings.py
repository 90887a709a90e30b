"""The settings service behind the settings and first-run dialogs, Qt-free.

- `config.toml` (in the data dir) holds desktop.config.Config's fields only: load_config
  refuses unknown keys and tables, so nothing else is written there. Values equal to the
  default stay commented out, as on first run, so a later default change reaches the user.
- `ui-state.json` (beside it) holds what only the UI needs: whether the first-run dialog was
  completed and whether the gentle learning mode is on.
- Start at login is a copy of packaging/linux/time-sculptor-autostart.desktop in the XDG
  autostart directory (injectable, so tests never touch the real one).
- The nightly full fine-tune is packaging/systemd's user timer, installed into the user's
  systemd directory and enabled or disabled with `systemctl --user` (the command runner is
  injectable: tests fake the process boundary). The installed service runs the
  `sculptor-train` that is actually installed (beside this Python, else on PATH) on this data
  directory, whatever the shipped unit's default says.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from desktop.config import CONFIG_NAME, Config, load_config, render_config

UI_STATE_NAME = "ui-state.json"
AUTOSTART_NAME = "time-sculptor.desktop"
AUTOSTART_TEMPLATE = (
    Path(__file__).resolve().parent.parent
    / "packaging"
    / "linux"
    / "time-sculptor-autostart.desktop"
)
# The same entry, for installs that ship without the packaging folder (the wheel has none).
AUTOSTART_FALLBACK = """[Desktop Entry]
Type=Application
Name=Time Sculptor
Comment=Start Time Sculptor in the tray at login
Exec=time-sculptor run
Icon=appointment-soon
Terminal=false
X-GNOME-Autostart-enabled=true
NoDisplay=true
"""

FINETUNE_TIMER = "time-sculptor-finetune.timer"
FINETUNE_SERVICE = "time-sculptor-finetune.service"
FINETUNE_UNITS = (FINETUNE_SERVICE, FINETUNE_TIMER)
TRAIN_COMMAND = "sculptor-train"
SYSTEMD_SOURCE = Path(__file__).resolve().parent.parent / "packaging" / "systemd"
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]

# Bounds the dialog enforces; the engine itself accepts any value.
DAILY_CAP_RANGE = (0, 48)  # 0 turns suggestions off
MIN_GAP_RANGE_MIN = (5.0, 480.0)
MAX_APP_NAME = 200


class SettingsError(ValueError):
    """Invalid settings; `errors` maps each setting to a one-line reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class UiState:
    """What the UI remembers that the app's Config does not know about."""

    first_run_done: bool = False
    learning_mode: bool = False  # the gentle start offered by the first-run dialog
    learning_since: float | None = None


def clean_app_names(names: Any) -> tuple[str, ...]:
    """Return app names stripped, without blanks or case-insensitive duplicates, in order."""
    if isinstance(names, str) or not isinstance(names, list | tuple):
        raise SettingsError({"excluded_apps": "expected a list of app names"})
    seen: set[str] = set()
    clean: list[str] = []
    for name in names:
        text = str(name).strip()
        if not text or text.lower() in seen:
            continue
        if len(text) > MAX_APP_NAME or any(c in text for c in "\r\n\t"):
            raise SettingsError({"excluded_apps": f"not an app name: {text[:40]!r}"})
        seen.add(text.lower())
        clean.append(text)
    return tuple(clean)


def _write_private(path: Path, text: str) -> None:
    """Replace a file atomically with mode 0600 (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Autostart:
    """Start at login through the XDG autostart directory."""

    def __init__(self, directory: Path | None = None, template: Path | None = None) -> None:
        if directory is None:
            base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
            directory = Path(base) / "autostart"
        self.directory = Path(directory)
        self.template = AUTOSTART_TEMPLATE if template is None else Path(template)

    @property
    def path(self) -> Path:
        return self.directory / AUTOSTART_NAME

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def set_enabled(self, enabled: bool) -> None:
        """Write or remove the autostart entry."""
        if not enabled:
            self.path.unlink(missing_ok=True)
            return
        text = (
            self.template.read_text(encoding="utf-8")
            if self.template.is_file()
            else AUTOSTART_FALLBACK
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path.write_text(text, encoding="utf-8")


def run_command(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a short command and return its result (output captured, 15 s at most)."""
    return subprocess.run(list(args), capture_output=True, text=True, timeout=15, check=False)


def installed_train_command(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """Return the installed `sculptor-train`: beside this Python (its virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / TRAIN_COMMAND
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return which(TRAIN_COMMAND)


def _systemd_quote(word: str) -> str:
    """Return a word as systemd's ExecStart reads it (quoted when it holds spaces or quotes)."""
    if word and not any(c in word for c in " \t\"'\\%$"):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("%", "%%").replace("$", "$$") + '"'


def finetune_service_text(template: str, command: str, data_dir: Path | None) -> str:
    """Return the service unit with ExecStart running `command finetune` on `data_dir`."""
    words = [command, "finetune"] + (["--data-dir", str(data_dir)] if data_dir else [])
    exec_start = "ExecStart=" + " ".join(_systemd_quote(w) for w in words)
    lines = [
        exec_start if line.startswith("ExecStart=") else line for line in template.splitlines()
    ]
    return "\n".join(lines) + "\n"


class NightlyFinetune:
    """The nightly full fine-tune as a systemd user timer, switched with `systemctl --user`."""

    def __init__(
        self,
        unit_dir: Path | None = None,
        source_dir: Path = SYSTEMD_SOURCE,
        runner: Runner = run_command,
        which: Callable[[str], str | None] = shutil.which,
        data_dir: Path | None = None,
    ) -> None:
        if unit_dir is None:
            base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
            unit_dir = Path(base) / "systemd" / "user"
        self.unit_dir = Path(unit_dir)
        self.source_dir = Path(source_dir)
        self.runner = runner
        self.which = which
        self.data_dir = data_dir  # None: sculptor-train's own default data directory

    def unavailable(self) -> str | None:
        """Return why the timer cannot be switched here (one line), or None."""
        if self.which("systemctl") is None:
            return (
                "systemctl not found: the nightly fine-tune needs systemd"
                " (run `sculptor-train finetune` yourself)"
            )
        if installed_train_command(self.which) is None:
            return (
                "sculptor-train is not installed: the nightly fine-tune needs the train extra"
                " (pip install 'time-sculptor[train]')"
            )
        return None

    def _systemctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        try:
            return self.runner(["systemctl", "--user", *args])
        except (OSError, subprocess.SubprocessError) as exc:
            raise SettingsError(
                {"nightly_finetune": f"systemctl --user {args[0]}: {exc}"}
            ) from None

    def is_enabled(self) -> bool:
        """Return True when the timer is enabled for this user (False when unknowable)."""
        if self.unavailable() is not None:
            return False
        try:
            return self._systemctl("is-enabled", "--quiet", FINETUNE_TIMER).returncode == 0
        except SettingsError:
            return False

    def _install_units(self) -> None:
        missing = [name for name in FINETUNE_UNITS if not (self.source_dir / name).is_file()]
        if missing:
            where = f"{self.source_dir}: {', '.join(missing)}"
            raise SettingsError({"nightly_finetune": f"the unit files are not in {where}"})
        command = installed_train_command(self.which)
        if command is None:
            raise SettingsError({"nightly_finetune": str(self.unavailable())})
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.source_dir / FINETUNE_TIMER, self.unit_dir / FINETUNE_TIMER)
        template = (self.source_dir / FINETUNE_SERVICE).read_text(encoding="utf-8")
        (self.unit_dir / FINETUNE_SERVICE).write_text(
            finetune_service_text(template, command, self.data_dir), encoding="utf-8"
        )

    def set_enabled(self, enabled: bool) -> str:
        """Enable (installing the units) or disable the timer; return what was done in one line.

        Raises SettingsError with a one-line reason when systemd is missing or refuses.
        """
        reason = self.unavailable()
        if reason is not None:
            raise SettingsError({"nightly_finetune": reason})
        if enabled:
            self._install_units()
            steps = [("daemon-reload",), ("enable", "--now", FINETUNE_TIMER)]
        else:
            steps = [("disable", "--now", FINETUNE_TIMER)]
        for step in steps:
            result = self._systemctl(*step)
            if result.returncode != 0:
                detail = " ".join((result.stderr or result.stdout or "").split())[:200]
                command = f"systemctl --user {' '.join(step)}"
                reason = f"{command} failed: {detail or f'exit status {result.returncode}'}"
                raise SettingsError({"nightly_finetune": reason})
        return f"nightly fine-tune {'enabled' if enabled else 'disabled'} ({FINETUNE_TIMER})"


class Settings:
    """Reads, validates and saves the user's settings in the data directory."""

    def __init__(
        self,
        data_dir: Path,
        autostart: Autostart | None = None,
        finetune: NightlyFinetune | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.autostart = autostart or Autostart()
        # None: the nightly fine-tune switch is not offered (tests, installs without systemd).
        self.finetune = finetune

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_NAME

    @property
    def ui_state_path(self) -> Path:
        return self.data_dir / UI_STATE_NAME

    def load(self) -> Config:
        """Return the saved Config (defaults where the file is silent); ValueError if broken."""
        return load_config(self.data_dir)

    def validate(self, changes: dict[str, Any], base: Config | None = None) -> Config:
        """Return `base` (the saved Config) with `changes` applied, or raise SettingsError."""
        base = self.load() if base is None else base
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        known = {f.name for f in fields(Config)}
        for key, value in changes.items():
            if key not in known:
                errors[key] = "unknown setting"
                continue
            try:
                clean[key] = self._check(key, value)
            except SettingsError as exc:
                errors.update(exc.errors)
            except (TypeError, ValueError) as exc:
                errors[key] = str(exc)
        if errors:
            raise SettingsError(errors)
        return base.with_overrides(clean)

    @staticmethod
    def _check(key: str, value: Any) -> Any:
        if key == "excluded_apps":
            return clean_app_names(value)
        if key == "store_titles":
            if not isinstance(value, bool):
                raise SettingsError({key: "expected true or false"})
            return value
        if key == "daily_cap":
            if isinstance(value, bool) or int(value) != value:
                raise SettingsError({key: "expected a whole number"})
            low, high = DAILY_CAP_RANGE
            if not low <= int(value) <= high:
                raise SettingsError({key: f"must be between {low} and {high}"})
            return int(value)
        if key == "min_gap_min":
            minutes = float(value)
            low_f, high_f = MIN_GAP_RANGE_MIN
            if not math.isfinite(minutes) or not low_f <= minutes <= high_f:
                raise SettingsError({key: f"must be between {low_f:g} and {high_f:g} minutes"})
            return minutes
        if key == "quiet_hours":
            from desktop.config import parse_quiet_hours

            try:
                parse_quiet_hours(str(value))
            except ValueError as exc:
                raise SettingsError({key: str(exc)}) from None
            return str(value)
        default = getattr(Config(), key)
        if isinstance(default, float | int) and not isinstance(default, bool):
            number = float(value)
            if not math.isfinite(number) or number < 0:
                raise SettingsError({key: "must be a non-negative number"})
        return value

    def save(self, config: Config) -> Path:
        """Write config.toml (0600, atomically) and return its path."""
        _write_private(self.config_path, render_config(config))
        return self.config_path

    def update(self, **changes: Any) -> Config:
        """Validate `changes` against the saved settings, save and return the new Config."""
        config = self.validate(changes)
        self.save(config)
        return config

    # UI state -------------------------------------------------------------------------------
    def ui_state(self) -> UiState:
        """Return the UI state; a missing or unreadable file means a first run."""
        try:
            data = json.loads(self.ui_state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return UiState()
        if not isinstance(data, dict):
            return UiState()
        known = {f.name for f in fields(UiState)}
        try:
            return UiState(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            return UiState()

    def save_ui_state(self, state: UiState) -> None:
        _write_private(self.ui_state_path, json.dumps(asdict(state), indent=2) + "\n")

    def finish_first_run(self, *, learning_mode: bool, now: float) -> UiState:
        """Remember that the first-run dialog was completed, and whether to start gently."""
        state = UiState(
            first_run_done=True,
            learning_mode=learning_mode,
            learning_since=now if learning_mode else None,
        )
        self.save_ui_state(state)
        return state

    def set_learning_mode(self, enabled: bool, now: float) -> UiState:
        current = self.ui_state()
        state = UiState(
            first_run_done=current.first_run_done,
            learning_mode=enabled,
            learning_since=(current.learning_since or now) if enabled else None,
        )
        self.save_ui_state(state)
        return state
