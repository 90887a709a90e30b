"""Settings: defaults declared once (type + description), overridden by the user's TOML file,
then by environment and command-line flags. The first run writes that file with every setting
commented out at its default, so the user sees what can be changed."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from edge_model import categories

APP_NAME = "time-sculptor"
DATA_DIR_ENV = "TIME_SCULPTOR_DATA_DIR"
CONFIG_NAME = "config.toml"
CATEGORIES_NAME = "categories.toml"

log = logging.getLogger(__name__)
_HHMM = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")


def parse_quiet_hours(text: str) -> tuple[float, float] | None:
    """Return (start hour, end hour) of a "22:00-08:00" setting; None when empty or "off"."""
    text = text.strip().lower()
    if not text or text in ("off", "none"):
        return None
    parts = text.split("-")
    matches = [_HHMM.match(part) for part in parts] if len(parts) == 2 else []
    if not matches or not all(matches):
        raise ValueError(f"{text!r}: expected HH:MM-HH:MM, e.g. 22:00-08:00, or '' for none")
    hours = []
    for match in matches:
        assert match is not None
        hour = int(match.group(1)) + int(match.group(2)) / 60.0
        if hour > 24.0:
            raise ValueError(f"{text!r}: {match.group(0).strip()} is not a time of day")
        hours.append(hour % 24.0)
    return hours[0], hours[1]


@dataclass(frozen=True)
class Config:
    """Every user-tunable setting, with its default."""

    poll_interval_s: float = field(
        default=1.0, metadata={"help": "seconds between window/idle polls"}
    )
    afk_after_s: float = field(
        default=180.0, metadata={"help": "no input this long counts as away"}
    )
    infer_interval_s: float = field(default=60.0, metadata={"help": "seconds between model runs"})
    model_check_interval_s: float = field(
        default=30.0, metadata={"help": "seconds between looks for a new model version"}
    )
    break_after_min: float = field(
        default=20.0, metadata={"help": "minutes of activity before a break may be suggested"}
    )
    break_threshold: float = field(
        default=0.5, metadata={"help": "model acceptance score at which a break is usually shown"}
    )
    exploration_temperature: float = field(
        default=0.08,
        metadata={
            "help": "exploration of the suggestion bandit: 0 = always the best-looking choice, "
            "0.08 = Thompson sampling from the posterior, higher = explores more"
        },
    )
    min_gap_min: float = field(default=40.0, metadata={"help": "minutes between two suggestions"})
    daily_cap: int = field(default=6, metadata={"help": "at most this many suggestions a day"})
    expire_after_s: float = field(
        default=120.0,
        metadata={"help": "an unanswered notification is recorded as ignored after this"},
    )
    store_titles: bool = field(
        default=False, metadata={"help": "store window titles in clear (otherwise salted hashes)"}
    )
    excluded_apps: tuple[str, ...] = field(
        default=(),
        metadata={"help": "apps (names as collected, any case) recorded only as 'excluded'"},
    )
    import_max_gap_min: float = field(
        default=30.0,
        metadata={"help": "minutes an imported CSV row without a duration may last (to the next)"},
    )
    calendar_past_days: float = field(
        default=90.0,
        metadata={"help": "days before its first event from which an imported calendar repeats"},
    )
    calendar_future_days: float = field(
        default=365.0,
        metadata={"help": "days after today up to which an imported calendar repeats"},
    )
    calendar_ics_path: str = field(
        default="",
        metadata={
            "help": "an .ics file exported from your calendar, re-imported when it changes "
            "('' for none)"
        },
    )
    quiet_hours: str = field(
        default="22:00-08:00",
        metadata={"help": "local hours without any suggestion, HH:MM-HH:MM ('' for none)"},
    )
    respect_fullscreen: bool = field(
        default=True,
        metadata={
            "help": "never suggest while a full-screen app (slides, video, game) is in front"
        },
    )
    respect_calls: bool = field(
        default=True,
        metadata={"help": "never suggest while a call or screen-sharing app is in front"},
    )
    min_spacing_min: float = field(
        default=10.0,
        metadata={"help": "minutes after a suggestion is answered before any other may come"},
    )
    default_snooze_min: float = field(
        default=10.0, metadata={"help": "minutes a snoozed suggestion waits when none is given"}
    )
    backoff_after: int = field(
        default=2,
        metadata={"help": "dismissals or ignores of a kind in a row that double its minimum gap"},
    )
    backoff_max_factor: float = field(
        default=8.0, metadata={"help": "the most a kind's minimum gap is multiplied by back-off"}
    )
    suggestion_kinds: tuple[str, ...] = field(
        default=("break", "focus", "distraction", "wrap_up", "meeting_prep"),
        metadata={"help": "kinds of suggestion the app may make"},
    )
    learning: bool = field(
        default=True,
        metadata={"help": "adapt to your reactions (bandit posteriors and the nightly head)"},
    )
    prior_strength: float = field(
        default=10.0,
        metadata={"help": "how many reactions the model's score is worth in the bandit's prior"},
    )
    personalize_hour: float = field(
        default=3.0, metadata={"help": "local hour after which the nightly personalization runs"}
    )

    def is_excluded(self, app: str) -> bool:
        """Return True when the user excluded this app from collection and import."""
        name = app.casefold()
        return any(name == excluded.casefold() for excluded in self.excluded_apps)

    def with_overrides(self, values: dict[str, Any]) -> Config:
        """Return a copy with known keys replaced (unknown keys raise ValueError)."""
        known = {f.name: f for f in fields(self)}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown setting {key!r}")
            default = getattr(self, key)
            clean[key] = tuple(value) if isinstance(default, tuple) else type(default)(value)
        if "quiet_hours" in clean:
            try:
                parse_quiet_hours(clean["quiet_hours"])
            except ValueError as exc:
                raise ValueError(f"quiet_hours: {exc}") from None
        return replace(self, **clean)


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the data directory: the flag, else $TIME_SCULPTOR_DATA_DIR, else the platform's."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def load_config(directory: Path) -> Config:
    """Return defaults overridden by `<data dir>/config.toml` when it exists."""
    path = Path(directory) / CONFIG_NAME
    if not path.is_file():
        return Config()
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
        return Config().with_overrides(values)
    except (tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def render_config(config: Config) -> str:
    """Return config.toml text: changed values set, defaults listed commented out."""
    defaults = Config()
    lines = ["# Time Sculptor settings. Uncomment a line to change it.", ""]
    for f in fields(Config):
        value = getattr(config, f.name)
        prefix = "# " if value == getattr(defaults, f.name) else ""
        lines += [f"# {f.metadata['help']}", f"{prefix}{f.name} = {_toml_value(value)}", ""]
    return "\n".join(lines)


def write_default_config(directory: Path) -> Path | None:
    """Write every setting, commented out at its default, as `<data dir>/config.toml` when the
    file does not exist yet; return its path, or None when it was there already (or unwritable).
    """
    path = Path(directory) / CONFIG_NAME
    if path.exists():
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    except OSError:
        return None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render_config(Config()))
        # A link fails when the name exists: a file the user (or another instance) wrote
        # meanwhile is never replaced, and a crash never leaves half a file under the name.
        os.link(temporary, path)
    except OSError:
        return None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def load_category_rules(directory: Path) -> tuple[categories.Rule, ...]:
    """Return the user's rules from `<data dir>/categories.toml` (if any), then the defaults."""
    path = Path(directory) / CATEGORIES_NAME
    if not path.is_file():
        return categories.DEFAULT_RULES
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise categories.RulesError(f"{path}: {exc}") from None
    return categories.rules_from_toml(text, str(path)) + categories.DEFAULT_RULES


def file_stamp(path: Path) -> tuple[int, int] | None:
    """Return (modification time, size) of a file the app re-reads on change; None if absent."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class CategoryRules:
    """The rule table a running app uses, reloaded when the user edits categories.toml."""

    def __init__(self, directory: Path, *, check_every_s: float = 5.0) -> None:
        self.path = Path(directory) / CATEGORIES_NAME
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._checked = time.monotonic()
        self._rules = load_category_rules(Path(directory))  # a broken file stops the app here

    def _file_stamp(self) -> tuple[int, int] | None:
        return file_stamp(self.path)

    def rules(self) -> tuple[categories.Rule, ...]:
        """Return the current table; looks at the file at most every `check_every_s` seconds."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.check_every_s:
                self._checked = now
                stamp = self._file_stamp()
                if stamp != self._stamp:
                    self._stamp = stamp
                    try:
                        self._rules = load_category_rules(self.path.parent)
                    except categories.RulesError as exc:
                        # Keep collecting with the last good table rather than stop mid-day.
                        log.warning("%s; keeping the previous category rules", exc)
            return self._rules

    def categorize(self, app: str, title: str = "") -> str:
        """Return the category of an app (and title) by the user's rules, then the defaults."""
        return categories.categorize(app, title, self.rules())
