"""Synthetic routines: seeded personas and the foreground-app timelines they would produce.

Used to pretrain the first on-device model before any real user data exists. A persona has a
work schedule, a break rhythm, a focus window, a meeting calendar and habits; a timeline is
what a desktop collector would record for them: window spans (heavy-tailed, with alt-tab
glances and system-process blips), AFK spans for breaks, and calendar spans for meetings.
Everything is plain numpy + stdlib, deterministic for a seed, and fast (pure scalar Python on
`random.Random`, which is much quicker per draw than numpy for this kind of sequential work).

Personas live in UTC, so local time equals UTC. The first work category (development, office,
design) listed in `Persona.apps` is the person's main kind of work.

Two kinds of day, each checked against the real data that describes such people
(`training/realism.py`): desk workers keep office hours at a desk computer (work minutes per
weekday and weekend day as the American Time Use Survey's full-time desk workers), and students
use their own laptop between classes and in the evening (hours and daily rhythm as the real
desktop traces of docs/data.md, which are students' laptops).
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edge_model.categories import AWAY, UNKNOWN, categorize

WINDOW = "window"
AFK = "afk"
CALENDAR = "calendar"
REACTIONS: tuple[str, ...] = ("accepted", "dismissed", "snoozed", "ignored")
WORK_KINDS: tuple[str, ...] = ("development", "office", "design")
BREAK_RESET_S = 5 * 60.0  # an away span or gap at least this long ends an active stretch
CORPUS_START = datetime.date(2024, 1, 1)  # a Monday
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Span:
    """One recorded span: a foreground window, an away period, or a calendar meeting."""

    start: float  # Unix seconds (UTC; personas live in UTC so local time == UTC)
    duration: float  # seconds
    app: str
    category: str  # a name from edge_model.categories.CATEGORIES; "away" for AFK spans
    source: str  # "window" | "afk" | "calendar"
    title: str = ""


@dataclass(frozen=True)
class Persona:
    """A synthetic person: schedule, rhythms, habits and the apps they use per category."""

    name: str
    platform: str  # "linux" | "windows"
    work_start_hour: float
    work_end_hour: float
    lunch_hour: float
    break_rhythm_minutes: float
    focus_hours: tuple[float, float]
    distraction_propensity: float
    meeting_load: float
    interruption_tolerance: float
    works_weekends: bool
    apps: dict[str, tuple[str, ...]] = field(hash=False)  # category -> apps, favourite first


# --- app pools -------------------------------------------------------------------------------
# Every name here maps onto its category with edge_model.categories.categorize (tested), so a
# model trained on synthetic spans sees the same app -> category relation as the product.

# fmt: off
_POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "windows": {
        "development": (
            "Code.exe", "devenv.exe", "WindowsTerminal.exe", "cmd.exe", "powershell.exe",
            "pycharm64.exe", "idea64.exe", "GitHubDesktop.exe", "Postman.exe", "dbeaver.exe",
            "rstudio.exe", "sublime_text.exe",
        ),
        "communication": (
            "Slack.exe", "OUTLOOK.EXE", "Discord.exe", "WeChat.exe", "Telegram.exe",
            "thunderbird.exe", "Signal.exe", "WhatsApp.exe",
        ),
        "meetings": ("Zoom.exe", "Teams.exe", "ms-teams.exe", "Skype.exe"),
        "office": (
            "WINWORD.EXE", "EXCEL.EXE", "POWERPNT.EXE", "ONENOTE.EXE", "Acrobat.exe",
            "AcroRd32.exe", "Notion.exe", "Obsidian.exe", "notepad.exe", "notepad++.exe",
        ),
        "browsing": ("chrome.exe", "firefox.exe", "msedge.exe", "brave.exe", "opera.exe"),
        "social": ("Instagram.exe", "Facebook.exe", "TikTok.exe", "Twitter.exe"),
        "entertainment": ("Spotify.exe", "vlc.exe", "Netflix.exe", "mpv.exe", "Music.UI.exe"),
        "games": (
            "steam.exe", "LeagueClientUx.exe", "League of Legends.exe", "RiotClientUx.exe",
            "Minecraft.exe", "EpicGamesLauncher.exe", "factorio.exe",
        ),
        "design": (
            "Figma.exe", "Photoshop.exe", "Illustrator.exe", "krita.exe", "blender.exe",
            "obs64.exe", "Audacity.exe", "inkscape.exe", "gimp-2.10.exe",
        ),
        # Names the rule table cannot place: generic hosts, camera and photo viewers.
        "unknown": (
            "javaw.exe", "java.exe", "Qt5QWindowIcon", "electron.exe", "wscript.exe",
            "WindowsCamera.exe", "webcam.exe", "Microsoft.Photos.exe", "PhotosApp.exe",
        ),
    },
    "linux": {
        "development": (
            "code", "jetbrains-pycharm", "jetbrains-idea", "gnome-terminal-server", "konsole",
            "Alacritty", "kitty", "emacs", "sublime_text", "Postman", "DBeaver", "rstudio",
        ),
        "communication": (
            "Slack", "thunderbird", "discord", "Signal", "telegram-desktop", "Element",
            "evolution", "Mattermost",
        ),
        "meetings": ("zoom", "teams-for-linux", "skypeforlinux"),
        "office": (
            "libreoffice-writer", "libreoffice-calc", "libreoffice-impress", "evince", "okular",
            "obsidian", "notion-app", "Zotero", "logseq",
        ),
        "browsing": ("firefox", "google-chrome", "chromium", "brave-browser"),
        "social": ("mastodon", "reddit", "tweetdeck"),
        "entertainment": ("Spotify", "vlc", "mpv", "rhythmbox", "celluloid", "kodi"),
        "games": ("steam", "lutris", "heroic", "factorio", "minecraft-launcher"),
        "design": (
            "gimp", "inkscape", "krita", "blender", "figma-linux", "darktable", "kdenlive",
            "obs", "audacity",
        ),
        "unknown": ("java-lang-Thread", "sun-awt-X11-XFramePeer", "electron", "eog", "lximage-qt"),
    },
}

# Windows: the shell processes a foreground collector sees (taskbar, start menu, flyouts, lock).
_WINDOWS_SYSTEM = (
    "explorer.exe", "SearchApp.exe", "ShellExperienceHost.exe", "StartMenuExperienceHost.exe",
    "ApplicationFrameHost.exe", "Taskmgr.exe", "SystemSettings.exe", "LockApp.exe",
)
# Linux: one desktop environment per persona -> (shell/overview, file manager, settings).
_LINUX_DESKTOPS: tuple[tuple[str, ...], ...] = (
    ("gnome-shell", "org.gnome.Nautilus", "gnome-control-center"),
    ("plasmashell", "dolphin", "systemsettings"),
    ("xfce4-panel", "Thunar", "xfce4-settings-manager"),
    ("lxqt-panel", "pcmanfm-qt", "pavucontrol"),
)
_FIRST_NAMES = (
    "ana", "ben", "chen", "dana", "eli", "fatima", "gus", "hana", "ivan", "jo", "kemal", "lea",
    "mira", "nils", "omar", "pia", "quinn", "ravi", "sofia", "tomas", "uma", "vera", "wei",
    "yara", "zane",
)
# fmt: on
_ROLES = (("developer", 0.45), ("office", 0.28), ("designer", 0.12), ("student", 0.15))
_MEETING_TITLES = (
    "Sync",
    "1:1",
    "Sprint planning",
    "Design review",
    "Customer call",
    "Retro",
    "All hands",
    "Interview",
    "Project kickoff",
    "Office hours",
)


# --- personas --------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, pool: Sequence[str], low: int, high: int) -> tuple[str, ...]:
    count = int(rng.integers(low, high + 1))
    count = min(count, len(pool))
    if count <= 0:
        return ()
    # Popular apps first in the pool are more likely to be picked (and to be the main one).
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.8
    chosen = rng.choice(len(pool), size=count, replace=False, p=weights / weights.sum())
    return tuple(pool[int(i)] for i in chosen)


def _persona(rng: np.random.Generator, index: int) -> Persona:
    role = str(rng.choice([r for r, _ in _ROLES], p=[w for _, w in _ROLES]))
    linux_share = {"developer": 0.6, "office": 0.15, "designer": 0.3, "student": 0.35}[role]
    platform = "linux" if rng.random() < linux_share else "windows"
    pool = _POOLS[platform]
    if role == "student":
        # A student's own laptop (like the real traces of docs/data.md): opened between
        # classes from `start`, then the evening's study until `end` (see _study_day).
        start = float(rng.uniform(11.0, 13.5))
        length = float(rng.uniform(7.5, 9.0))
    else:
        start = float(rng.uniform(7.0, 10.0))
        length = float(rng.uniform(7.5, 9.5))
    start = round(start * 4) / 4
    end = start + round(length * 4) / 4
    lunch = float(np.clip(start + rng.uniform(3.25, 4.5), 11.5, 14.0))
    lunch = round(lunch * 4) / 4
    if role == "student":  # focus is the evening's study
        rng.random()  # drawn as for everyone else, so the personas after this one stay the same
        focus_start = end - 2.0 + float(rng.uniform(0.0, 0.75))
        focus_end = min(end - 0.1, focus_start + float(rng.uniform(1.5, 3.0)))
    elif rng.random() < 0.6:  # a morning person: focus after settling in, before lunch
        focus_start = start + float(rng.uniform(0.5, 1.5))
        focus_end = min(lunch - 0.25, focus_start + float(rng.uniform(1.5, 3.0)))
    else:
        focus_start = lunch + float(rng.uniform(1.0, 1.75))
        focus_end = min(end - 0.5, focus_start + float(rng.uniform(1.5, 3.0)))
    focus_end = max(focus_end, focus_start + 1.0)
    distraction = float(rng.beta(3, 3) if role == "student" else rng.beta(2, 4.5))
    meetings = {
        "developer": rng.gamma(3.0, 0.6),
        "office": rng.gamma(4.0, 0.8),
        "designer": rng.gamma(3.0, 0.6),
        "student": rng.gamma(2.0, 0.5),
    }[role]
    main = {"developer": "development", "office": "office", "designer": "design"}.get(
        role, "development" if rng.random() < 0.5 else "office"
    )
    apps: dict[str, tuple[str, ...]] = {}
    apps[main] = _pick(rng, pool[main], 2, 4)
    for kind in WORK_KINDS:
        if kind != main:
            has = {"development": 0.25, "office": 0.85, "design": 0.15}[kind]
            if rng.random() < has:
                apps[kind] = _pick(rng, pool[kind], 1, 2)
    apps["communication"] = _pick(rng, pool["communication"], 1, 3)
    apps["meetings"] = _pick(rng, pool["meetings"], 1, 2)
    apps["browsing"] = _pick(rng, pool["browsing"], 1, 2)
    if rng.random() < 0.35 + 0.5 * distraction:
        apps["social"] = _pick(rng, pool["social"], 1, 2)
    apps["entertainment"] = _pick(rng, pool["entertainment"], 1, 2)
    if rng.random() < (0.7 if role == "student" else 0.25):
        apps["games"] = _pick(rng, pool["games"], 1, 3)
    if platform == "windows":
        apps["system"] = _WINDOWS_SYSTEM
    else:
        apps["system"] = _LINUX_DESKTOPS[int(rng.integers(len(_LINUX_DESKTOPS)))]
    apps["unknown"] = _pick(rng, pool["unknown"], 1, 3)
    return Persona(
        name=f"{_FIRST_NAMES[index % len(_FIRST_NAMES)]}-{role}-{index:03d}",
        platform=platform,
        work_start_hour=start,
        work_end_hour=end,
        lunch_hour=lunch,
        break_rhythm_minutes=float(rng.uniform(45.0, 120.0)),
        focus_hours=(round(focus_start, 2), round(focus_end, 2)),
        distraction_propensity=round(distraction, 3),
        meeting_load=round(float(meetings), 2),
        interruption_tolerance=round(float(rng.beta(2.0, 2.0)), 3),
        # ATUS: full-time desk workers work on 24-28% of weekend days (realism.py).
        works_weekends=bool(rng.random() < (0.5 if role == "student" else 0.45)),
        apps=apps,
    )


def is_student(name: str) -> bool:
    """Whether a persona (by its name, `first-role-index`) is one of the generator's students."""
    return "-student-" in name


def make_personas(count: int, seed: int) -> list[Persona]:
    """Return `count` varied personas, deterministic for `seed`."""
    rng = np.random.default_rng([seed, 0x5E75])
    return [_persona(rng, i) for i in range(count)]


# --- hidden traits and calendar ----------------------------------------------------------------


@dataclass(frozen=True)
class _Traits:
    main: str
    evening_use: float  # chance of a leisure session on a workday evening
    weekend_use: float  # chance of light use on a day off
    anchor_s: float  # median dwell in the main app between glances
    glance_s: float  # median glance (alt-tab) length
    burst: float  # chance that a glance is followed by another
    blip: float  # chance a switch passes through a shell process first
    lock_habit: float  # chance the lock screen shows up around a break
    lunch_at_desk: float
    standup: tuple[float, float] | None  # (hour, minutes)
    weekly: tuple[tuple[int, float, float, str], ...]  # (weekday, hour, minutes, title)
    adhoc_rate: float  # extra meetings per workday
    meeting_app: str


def _stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _traits(persona: Persona) -> _Traits:
    """Derive the persona's fixed habits and recurring calendar from its fields (stable)."""
    rnd = random.Random(_stable_seed("traits", repr(persona)))
    main = next((k for k in persona.apps if k in WORK_KINDS and persona.apps[k]), "browsing")
    student = is_student(persona.name)
    start, end = persona.work_start_hour, persona.work_end_hour
    standup = None
    if persona.meeting_load >= 0.8 and rnd.random() < 0.6:
        standup = (round((start + rnd.uniform(0.25, 1.25)) * 4) / 4, 15.0)
    weekly = []
    for _ in range(int(round(persona.meeting_load * rnd.uniform(0.4, 0.9)))):
        hour = round(rnd.uniform(start + 0.5, end - 1.0) * 2) / 2
        if abs(hour - persona.lunch_hour) < 1.0:
            hour = persona.lunch_hour + 1.5
        weekly.append(
            (rnd.randrange(5), hour, rnd.choice((30.0, 60.0)), rnd.choice(_MEETING_TITLES))
        )
    per_day = (1.0 if standup else 0.0) + len(weekly) / 5.0
    meeting_apps = persona.apps.get("meetings") or _POOLS[persona.platform]["meetings"][:1]
    return _Traits(
        main=main,
        evening_use=rnd.uniform(0.3, 0.8) if student else rnd.uniform(0.0, 0.5) ** 1.3,
        weekend_use=rnd.uniform(0.1, 0.75),
        anchor_s=rnd.uniform(90.0, 260.0),
        glance_s=rnd.uniform(1.5, 4.5),
        burst=rnd.uniform(0.4, 0.65),
        blip=rnd.uniform(0.1, 0.25) if persona.platform == "windows" else rnd.uniform(0.03, 0.1),
        lock_habit=rnd.uniform(0.2, 0.9),
        lunch_at_desk=rnd.uniform(0.0, 0.3),
        standup=standup,
        weekly=tuple(weekly),
        adhoc_rate=max(0.0, persona.meeting_load - per_day),
        meeting_app=meeting_apps[0],
    )


# --- the simulator -----------------------------------------------------------------------------

_GLANCE_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "development": (
        ("development", 0.32),
        ("browsing", 0.30),
        ("communication", 0.15),
        ("office", 0.06),
        ("system", 0.07),
        ("unknown", 0.06),
        ("entertainment", 0.03),
        ("social", 0.02),
        ("design", 0.02),
    ),
    "office": (
        ("office", 0.28),
        ("browsing", 0.28),
        ("communication", 0.25),
        ("system", 0.07),
        ("unknown", 0.06),
        ("entertainment", 0.03),
        ("social", 0.03),
        ("development", 0.03),
    ),
    "design": (
        ("design", 0.28),
        ("browsing", 0.25),
        ("communication", 0.16),
        ("office", 0.1),
        ("system", 0.08),
        ("unknown", 0.06),
        ("entertainment", 0.07),
        ("social", 0.03),
    ),
}
_GLANCE_MIX["browsing"] = _GLANCE_MIX["office"]
# How often each shell process shows up in a Windows foreground log (from real traces' mix).
_WINDOWS_BLIPS = (
    "explorer.exe", "SearchApp.exe", "ShellExperienceHost.exe", "StartMenuExperienceHost.exe",
    "ApplicationFrameHost.exe", "Taskmgr.exe",
)  # fmt: skip
_WINDOWS_BLIP_CUM = (0.62, 0.74, 0.84, 0.9, 0.97)
_LEISURE_MIX = (
    ("browsing", 0.45),
    ("entertainment", 0.2),
    ("social", 0.15),
    ("games", 0.15),
    ("communication", 0.1),
)
_DISTRACTION_MIX = (("browsing", 0.45), ("social", 0.3), ("entertainment", 0.2), ("games", 0.05))


class _Sim:
    """A cursor over one persona's time that appends non-overlapping window/afk spans."""

    def __init__(self, persona: Persona, traits: _Traits, rnd: random.Random) -> None:
        self.p = persona
        self.tr = traits
        self.rnd = rnd
        self.student = is_student(persona.name)  # their own laptop: see _study_day
        self.rows: list[list] = []  # [start, end, app, category, source, title]
        self.calendar: list[Span] = []
        self.t = 0.0
        self.stretch_start = 0.0
        self.break_due = 0.0
        self.windows = persona.platform == "windows"
        self.apps = {k: v for k, v in persona.apps.items() if v}
        self.cum: dict[str, list[float]] = {}
        for cat, apps in self.apps.items():
            total, cum = 0.0, []
            for i in range(len(apps)):
                total += 1.0 / (i + 1) ** 1.3
                cum.append(total)
            self.cum[cat] = cum
        self.system = self.apps.get("system", ())
        self.shell = self.system[0] if self.system else ""
        self.anchor_app = ""
        browsers = self.apps.get("browsing") or next(iter(self.apps.values()), ())
        self.fallback = browsers[0] if browsers else _POOLS[persona.platform]["browsing"][0]
        self.category: dict[str, str] = {}
        self.tables: dict[int, tuple[tuple[str, ...], list[float]]] = {}
        self.meeting_mix = (
            ("browsing", 0.35),
            ("communication", 0.35),
            (traits.main, 0.2),
            ("system", 0.1),
        )
        self._new_stretch(0.0)

    # -- primitives --

    def app(self, category: str) -> str:
        """Draw one of the persona's apps of a category (the first listed is the favourite)."""
        apps = self.apps.get(category)
        if not apps:
            return self.fallback
        cum = self.cum[category]
        if len(apps) == 1:
            return apps[0]
        return apps[min(len(apps) - 1, bisect.bisect_right(cum, self.rnd.random() * cum[-1]))]

    def mix(self, table: tuple[tuple[str, float], ...]) -> str:
        """Draw a category from a weighted table, skipping categories this persona lacks."""
        entry = self.tables.get(id(table))
        if entry is None:
            names = tuple(c for c, _ in table if c in self.apps) or (table[0][0],)
            total, cum = 0.0, []
            for c, w in table:
                if c in names:
                    total += w
                    cum.append(total)
            entry = self.tables[id(table)] = (names, cum or [1.0])
        names, cum = entry
        return names[min(len(names) - 1, bisect.bisect_right(cum, self.rnd.random() * cum[-1]))]

    def _new_stretch(self, at: float) -> None:
        self.stretch_start = at
        self.break_due = self.p.break_rhythm_minutes * 60.0 * self.rnd.lognormvariate(0.0, 0.3)

    def minutes_active(self) -> float:
        return (self.t - self.stretch_start) / 60.0

    def jump(self, to: float) -> None:
        """Move the cursor forward over a gap (machine asleep / user elsewhere)."""
        if to - self.t >= BREAK_RESET_S:
            self._new_stretch(to)
        self.t = max(self.t, to)

    def window(self, app: str, duration: float, title: str = "") -> None:
        if not app or duration <= 0.05:
            self.t += max(0.0, duration)  # too short for a collector to record
            return
        rows = self.rows
        if rows and rows[-1][2] == app and rows[-1][4] == WINDOW and rows[-1][1] == self.t:
            rows[-1][1] = self.t + duration  # same app again: the collector sees no change
        else:
            category = self.category.get(app)
            if category is None:
                category = self.category[app] = categorize(app)
            rows.append([self.t, self.t + duration, app, category, WINDOW, title])
        self.t += duration

    def blip(self, app: str | None = None) -> None:
        """A shell process in the foreground for a moment (taskbar click, start menu, flyout)."""
        if app is None:
            if not self.system:
                return
            u = self.rnd.random()
            if self.windows:
                app = _WINDOWS_BLIPS[bisect.bisect_right(_WINDOWS_BLIP_CUM, u)]
            else:
                app = (
                    self.shell
                    if u < 0.75
                    else self.system[1 + int(self.rnd.random() * (len(self.system) - 1))]
                )
        self.window(app, min(20.0, 0.3 + self.rnd.lognormvariate(0.2, 0.8)))

    def switch_to(self, app: str, duration: float, title: str = "") -> None:
        if self.rnd.random() < self.tr.blip:
            self.blip()
        self.window(app, duration, title)

    def away(self, duration: float) -> None:
        if duration <= 0:
            return
        if self.system and self.rnd.random() < self.tr.lock_habit:
            self.window("LockApp.exe" if self.windows else self.shell, 0.5 + self.rnd.random() * 2)
        self.rows.append([self.t, self.t + duration, "", AWAY, AFK, ""])
        self.t += duration
        if duration >= BREAK_RESET_S:
            self._new_stretch(self.t)
        if self.system and self.rnd.random() < self.tr.lock_habit:
            self.window(
                "LockApp.exe" if self.windows else self.shell,
                1.5 + self.rnd.lognormvariate(1.0, 0.6),
            )

    def hour(self) -> float:
        return (self.t % 86400.0) / 3600.0

    def in_focus(self) -> bool:
        lo, hi = self.p.focus_hours
        return lo <= self.hour() < hi

    # -- episodes --

    def glance(self, mix: tuple[tuple[str, float], ...], end: float) -> None:
        """A burst of short alt-tab visits away from the anchor app."""
        while self.t < end:
            cat = self.mix(mix)
            if cat == "system":
                self.blip()
            else:
                app = self.app(cat)
                if app == self.anchor_app:
                    app = self.app("browsing")
                dur = self.rnd.lognormvariate(math.log(self.tr.glance_s), 1.05)
                if self.rnd.random() < 0.08:  # a glance that turns into a short look-up
                    dur += self.rnd.uniform(20.0, 150.0)
                self.switch_to(app, min(dur, end - self.t, 600.0))
            if self.rnd.random() > self.tr.burst:
                break

    def focus_block(self, end: float, category: str, dwell_scale: float = 1.0) -> None:
        """Work in one anchor app with glances at others; long spans, many short ones."""
        self.anchor_app = self.app(category) or self.app("browsing")
        mix = _GLANCE_MIX.get(category, _GLANCE_MIX["office"])
        scale = self.tr.anchor_s * dwell_scale * (1.4 if self.in_focus() else 1.0)
        while end - self.t > 0.5:
            dwell = self.rnd.lognormvariate(math.log(scale), 1.0)
            self.switch_to(self.anchor_app, min(dwell, end - self.t))
            if end - self.t <= 0.5:
                break
            self.glance(mix, end)
            if self.rnd.random() < 0.12 and len(self.apps.get(category, ())) > 1:
                self.anchor_app = self.app(category)  # another file/tool of the same kind

    def chat_block(self, end: float) -> None:
        """Answering messages: communication spans with quick looks back at the work."""
        anchor = self.anchor_app or self.app(self.tr.main)
        while end - self.t > 0.5:
            self.switch_to(
                self.app("communication"),
                min(self.rnd.lognormvariate(math.log(22.0), 1.0), end - self.t),
            )
            if self.rnd.random() < 0.5 and end - self.t > 0.5:
                self.switch_to(
                    anchor, min(self.rnd.lognormvariate(math.log(8.0), 1.0), end - self.t)
                )
            elif self.rnd.random() < 0.3:
                self.glance(_GLANCE_MIX["office"], end)

    def distraction(
        self, end: float, mix: tuple[tuple[str, float], ...] = _DISTRACTION_MIX
    ) -> None:
        """A burst of social / entertainment / aimless browsing."""
        while end - self.t > 0.5:
            cat = self.mix(mix)
            app = self.app(cat)
            if cat == "entertainment" and self.rnd.random() < 0.6:
                dur = self.rnd.lognormvariate(math.log(12.0), 0.8)  # skip a song, pick a playlist
            elif cat == "games":
                dur = self.rnd.lognormvariate(math.log(900.0), 0.8)
            else:
                dur = self.rnd.lognormvariate(math.log(30.0), 1.1)
            self.switch_to(app, min(dur, end - self.t))
            if self.rnd.random() < 0.35 and end - self.t > 0.5:
                if self.rnd.random() < 0.3:
                    self.blip()
                else:
                    dur = self.rnd.lognormvariate(math.log(8.0), 0.9)
                    self.switch_to(self.app("communication"), min(dur, end - self.t))

    def short_break(self, end: float) -> None:
        minutes = min(20.0, max(5.0, self.rnd.lognormvariate(math.log(9.0), 0.4)))
        self.away(min(minutes * 60.0, max(0.0, end - self.t)))

    def work(self, end: float) -> None:
        """Fill [t, end) with work: focus blocks, chats, look-ups, distractions and breaks."""
        p = self.p
        dp = p.distraction_propensity
        rnd = self.rnd
        while end - self.t > 1.0:
            remaining = end - self.t
            if self.minutes_active() * 60.0 >= self.break_due and remaining > 12 * 60:
                self.short_break(end)
                continue
            if rnd.random() < 0.04 and remaining > 6 * 60:  # coffee refill, a colleague at the desk
                self.away(rnd.uniform(40.0, 200.0))
                continue
            hour = self.hour()
            fatigue = max(0.0, self.minutes_active() / p.break_rhythm_minutes - 0.6)
            late = 1.6 if hour >= 15.0 else 1.0
            after_lunch = 1.3 if 0.0 <= hour - p.lunch_hour < 1.5 else 1.0
            focus = 0.45 if self.in_focus() else 1.0
            p_distract = 0.01 + dp * (0.22 + 0.5 * fatigue) * late * after_lunch * focus
            u = rnd.random()
            if u < p_distract:
                minutes = rnd.lognormvariate(math.log(2.5 + 8.0 * dp), 0.8)
                self.distraction(min(end, self.t + minutes * 60.0))
                continue
            u = rnd.random()
            if u < 0.62:
                minutes = rnd.lognormvariate(math.log(22.0 if self.in_focus() else 12.0), 0.75)
                self.focus_block(min(end, self.t + minutes * 60.0), self.tr.main)
            elif u < 0.78:
                minutes = rnd.lognormvariate(math.log(3.0), 0.7)
                self.chat_block(min(end, self.t + minutes * 60.0))
            elif u < 0.9:
                minutes = rnd.lognormvariate(math.log(4.0), 0.8)
                self.focus_block(min(end, self.t + minutes * 60.0), "browsing", 0.8)
            else:
                others = [k for k in WORK_KINDS if k in self.apps and k != self.tr.main]
                kind = others[int(rnd.random() * len(others))] if others else self.tr.main
                minutes = rnd.lognormvariate(math.log(7.0), 0.7)
                self.focus_block(min(end, self.t + minutes * 60.0), kind)

    def leisure(self, end: float) -> None:
        """Evening / weekend use: long browsing, videos, games, chats."""
        rnd = self.rnd
        while end - self.t > 1.0:
            cat = self.mix(_LEISURE_MIX)
            if cat == "games":
                self.switch_to(
                    self.app("games"), min(rnd.lognormvariate(math.log(1500.0), 0.7), end - self.t)
                )
            elif cat == "entertainment" and rnd.random() < 0.5:
                self.switch_to(
                    self.app(cat), min(rnd.lognormvariate(math.log(900.0), 0.7), end - self.t)
                )
            elif cat == "communication":
                self.chat_block(min(end, self.t + rnd.lognormvariate(math.log(4.0), 0.7) * 60.0))
            else:
                minutes = rnd.lognormvariate(math.log(10.0), 0.8)
                self.focus_block(
                    min(end, self.t + minutes * 60.0), cat if cat in self.apps else "browsing"
                )
            if rnd.random() < 0.06 and end - self.t > 10 * 60:
                self.away(rnd.uniform(3.0, 15.0) * 60.0)

    def meeting(self, t0: float, t1: float, title: str) -> None:
        """Join a calendar meeting: mostly the meeting app, with a few glances elsewhere."""
        rnd = self.rnd
        app = self.tr.meeting_app
        self.calendar.append(Span(t0, t1 - t0, app, "meetings", CALENDAR, title))
        join = t0 + (rnd.uniform(-90.0, 30.0) if rnd.random() < 0.8 else rnd.uniform(30.0, 240.0))
        if join > self.t:
            self.work(join)
        leave = t1 + (rnd.uniform(0.0, 420.0) if rnd.random() < 0.3 else rnd.uniform(-90.0, 30.0))
        while leave - self.t > 1.0:
            self.switch_to(app, min(rnd.lognormvariate(math.log(420.0), 0.9), leave - self.t))
            if leave - self.t > 1.0:
                cat = self.mix(self.meeting_mix)
                if cat == "system":
                    self.blip()
                else:
                    self.switch_to(
                        self.app(cat), min(rnd.lognormvariate(math.log(10.0), 1.0), leave - self.t)
                    )


# --- days ------------------------------------------------------------------------------------


def _jitter_hour(rnd: random.Random, base: float, sd: float) -> float:
    return base + max(-2.5 * sd, min(2.5 * sd, rnd.gauss(0.0, sd)))


def _meetings_for(
    persona: Persona,
    traits: _Traits,
    rnd: random.Random,
    weekday: int,
    start_h: float,
    end_h: float,
    lunch: tuple[float, float],
) -> list[tuple[float, float, str]]:
    """Today's meetings as (start hour, end hour, title): recurring ones plus ad hoc ones."""
    booked: list[tuple[float, float, str]] = []

    def free(a: float, b: float) -> bool:
        if a < start_h or b > end_h + 0.5 or (a < lunch[1] and b > lunch[0]):
            return False
        return all(b <= x or a >= y for x, y, _ in booked)

    if traits.standup and rnd.random() < 0.92:
        h, minutes = traits.standup
        if free(h, h + minutes / 60.0):
            booked.append((h, h + minutes / 60.0, "Daily standup"))
    for day, h, minutes, title in traits.weekly:
        if day == weekday and rnd.random() < 0.9 and free(h, h + minutes / 60.0):
            booked.append((h, h + minutes / 60.0, title))
    lam = traits.adhoc_rate
    count = 0
    limit, prod = math.exp(-lam), rnd.random()
    while prod > limit and count < 8:  # Poisson draw
        count += 1
        prod *= rnd.random()
    for _ in range(count):
        for _try in range(8):
            minutes = 30.0 if rnd.random() < 0.6 else 60.0
            h = math.floor(rnd.uniform(start_h + 0.25, end_h - minutes / 60.0) * 2) / 2
            if free(h, h + minutes / 60.0):
                booked.append((h, h + minutes / 60.0, rnd.choice(_MEETING_TITLES)))
                break
    booked.sort()
    return booked


def _workday(sim: _Sim, day0: float, weekday: int) -> None:
    p, tr, rnd = sim.p, sim.tr, sim.rnd
    start = _jitter_hour(rnd, p.work_start_hour, 0.2)
    if rnd.random() < 0.1:
        start += rnd.uniform(0.25, 1.0)  # a late morning
    end = _jitter_hour(rnd, p.work_end_hour - (0.3 if weekday == 4 else 0.0), 0.3)
    if rnd.random() < 0.1:
        end += rnd.uniform(0.5, 1.5)  # overtime
    lunch_start = _jitter_hour(rnd, p.lunch_hour, 0.2)
    lunch_len = rnd.uniform(30.0, 60.0) / 60.0
    lunch = (lunch_start, lunch_start + lunch_len)
    meetings = _meetings_for(p, tr, rnd, weekday, start, end, lunch)
    if meetings:
        end = max(end, meetings[-1][1] + rnd.uniform(0.05, 0.4))
    sim.jump(day0 + start * 3600.0)
    sim.blip()  # unlock / login shell
    events: list[tuple[float, float, str]] = [*meetings, (lunch[0], lunch[1], "")]
    events.sort()
    inbox = sim.t + rnd.uniform(4.0, 18.0) * 60.0
    sim.chat_block(min(inbox, day0 + events[0][0] * 3600.0 - 120.0))  # the morning inbox
    for h0, h1, title in events:
        t0, t1 = day0 + h0 * 3600.0, day0 + h1 * 3600.0
        if t1 <= sim.t:
            continue
        if title:
            sim.meeting(t0, t1, title)
        else:
            sim.work(t0)
            if rnd.random() < tr.lunch_at_desk:
                sim.leisure(sim.t + rnd.uniform(15.0, 30.0) * 60.0)
                sim.away(max(5 * 60.0, t1 - sim.t))
            else:
                sim.away(max(20 * 60.0, t1 - sim.t))
    sim.work(day0 + end * 3600.0)
    sim.chat_block(sim.t + rnd.uniform(1.0, 5.0) * 60.0)  # wrap up
    if rnd.random() < tr.evening_use:
        begin = day0 + _jitter_hour(rnd, max(p.work_end_hour + 1.5, 19.5), 0.6) * 3600.0
        sim.jump(begin)
        length = min(200.0, max(10.0, rnd.lognormvariate(math.log(55.0), 0.7)))
        sim.leisure(min(day0 + 23.9 * 3600.0, sim.t + length * 60.0))


def _study_day(sim: _Sim, day0: float, weekday: int) -> None:
    """A student's weekday on their own laptop: short sittings between classes, then the evening.

    The laptop is shut in between (no spans at all, as in the real traces), so the day's window
    time is a few hours centred in the evening, like the UCSD students' traces (docs/data.md).
    """
    p, tr, rnd = sim.p, sim.tr, sim.rnd
    start = _jitter_hour(rnd, p.work_start_hour, 0.5)
    study = min(240.0, max(30.0, rnd.lognormvariate(math.log(80.0), 0.5)))  # minutes
    evening = max(18.0, _jitter_hour(rnd, p.work_end_hour - study / 60.0, 1.0))  # study ends ~end
    day_end = evening - 0.75
    lunch = (p.lunch_hour, p.lunch_hour + 0.5)
    sittings: list[tuple[float, float, str]] = [
        (h, h + rnd.uniform(20.0, 75.0) / 60.0, "")
        for h in (rnd.uniform(start, day_end) for _ in range(rnd.choice((1, 2, 2, 3))))
    ]
    # Group meetings and online office hours, in the daytime, each a sitting of its own.
    sittings += _meetings_for(p, tr, rnd, weekday, start, day_end, lunch)
    for h0, h1, title in sorted(sittings):
        t0, t1 = day0 + h0 * 3600.0, day0 + h1 * 3600.0
        if t1 <= sim.t + 60.0:
            continue
        sim.jump(max(sim.t, t0 - (rnd.uniform(60.0, 300.0) if title else 0.0)))
        sim.blip()  # open the lid
        if title:
            sim.meeting(t0, t1, title)
            sim.chat_block(sim.t + rnd.uniform(1.0, 4.0) * 60.0)
        else:
            sim.work(t1)
    sim.jump(day0 + evening * 3600.0)
    sim.blip()
    sim.work(sim.t + study * 60.0)
    if rnd.random() < tr.evening_use:  # then videos, games, chats: sometimes past midnight
        length = min(200.0, max(10.0, rnd.lognormvariate(math.log(75.0), 0.7)))
        sim.leisure(min(day0 + 25.5 * 3600.0, sim.t + length * 60.0))


def _day_off(sim: _Sim, day0: float, work_light: bool) -> None:
    tr, rnd = sim.tr, sim.rnd
    if work_light and rnd.random() < 0.6:
        sim.jump(day0 + rnd.uniform(9.5, 13.0) * 3600.0)
        sim.blip()
        # Students catch up for a few hours; desk workers who work a weekend day work most of it
        # (ATUS: ~350 min on a worked weekend day).
        hours = rnd.uniform(2.0, 4.5) if sim.student else rnd.uniform(4.0, 7.5)
        sim.work(sim.t + hours * 3600.0)
    sessions = 0
    while sessions < 3 and rnd.random() < (tr.weekend_use if sessions == 0 else 0.35):
        sessions += 1
        begin = day0 + rnd.uniform(9.5 + 4 * (sessions - 1), 21.0) * 3600.0
        if begin <= sim.t:
            continue
        sim.jump(begin)
        sim.blip()
        length = min(180.0, max(8.0, rnd.lognormvariate(math.log(45.0), 0.8)))
        sim.leisure(min(day0 + 23.9 * 3600.0, sim.t + length * 60.0))


def generate_timeline(
    persona: Persona, start_day: datetime.date, days: int, seed: int
) -> list[Span]:
    """Return the chronological spans a collector would record for `persona` over `days` days."""
    rnd = random.Random(_stable_seed("timeline", seed, persona.name, start_day.isoformat()))
    sim = _Sim(persona, _traits(persona), rnd)
    first = float(calendar.timegm(start_day.timetuple()))
    sim.t = sim.stretch_start = first
    for d in range(days):
        day0 = first + d * 86400.0
        weekday = (start_day.weekday() + d) % 7
        if weekday < 5 and rnd.random() >= 0.07:  # 7%: a day off (sick, holiday, vacation)
            (_study_day if sim.student else _workday)(sim, day0, weekday)
        else:
            _day_off(sim, day0, persona.works_weekends and weekday >= 5)
    out = []
    for start, end, app, category, source, title in sim.rows:
        begin = round(start, 3)  # millisecond timestamps, like real collectors
        out.append(Span(begin, round(end, 3) - begin, app, category, source, title))
    if sim.calendar:
        out.extend(sim.calendar)
        out.sort(key=lambda s: s.start)
    return out


def corpus(personas: int, weeks: int, seed: int) -> list[tuple[Persona, list[Span]]]:
    """Return `personas` personas, each with a `weeks`-week timeline starting on a Monday."""
    result = []
    for i, persona in enumerate(make_personas(personas, seed)):
        start = CORPUS_START + datetime.timedelta(weeks=(_stable_seed("week", seed, i) % 52))
        result.append((persona, generate_timeline(persona, start, weeks * 7, seed * 1_000_003 + i)))
    return result


# --- suggestion reactions ----------------------------------------------------------------------


def break_acceptance_probability(
    persona: Persona,
    *,
    minutes_active: float,
    hour: float,
    weekday: int,
    in_flow: bool,
    minutes_since_last_suggestion: float,
    in_meeting: bool,
) -> float:
    """Return the chance that this persona accepts a BREAK suggestion at this moment."""
    if in_meeting:
        return 0.01
    ratio = max(0.0, minutes_active) / max(1.0, persona.break_rhythm_minutes)
    p = 0.04 + 0.84 / (1.0 + math.exp(-4.5 * (ratio - 0.9)))
    if in_flow:
        p *= 1.0 - 0.8 * (1.0 - persona.interruption_tolerance)
    recent = max(0.0, minutes_since_last_suggestion)
    p *= 1.0 - 0.8 * math.exp(-recent / 20.0)
    if 0.0 <= persona.lunch_hour - hour <= 0.75:
        p *= 1.15  # lunch is near anyway
    elif hour >= 15.0 and hour < persona.work_end_hour:
        p *= 1.1  # the afternoon slump
    if not persona.work_start_hour <= hour < persona.work_end_hour or weekday >= 5:
        p *= 0.8  # off hours: a break from what?
    return float(min(0.9, max(0.02, p)))


def simulate_reaction(
    persona: Persona,
    rng: np.random.Generator,
    *,
    minutes_active: float,
    hour: float,
    weekday: int,
    in_flow: bool,
    minutes_since_last_suggestion: float,
    in_meeting: bool,
) -> str:
    """Draw a reaction to a BREAK suggestion: accepted with the modelled probability."""
    p = break_acceptance_probability(
        persona,
        minutes_active=minutes_active,
        hour=hour,
        weekday=weekday,
        in_flow=in_flow,
        minutes_since_last_suggestion=minutes_since_last_suggestion,
        in_meeting=in_meeting,
    )
    u = float(rng.random())
    if u < p:
        return "accepted"
    # Not accepted: how it is turned down depends on the moment.
    if in_meeting:
        weights = (0.25, 0.05, 0.7)
    elif in_flow:
        weights = (
            0.55 - 0.3 * persona.interruption_tolerance,
            0.25,
            0.2 + 0.3 * persona.interruption_tolerance,
        )
    else:
        tired = min(1.0, max(0.0, minutes_active) / max(1.0, persona.break_rhythm_minutes))
        weights = (0.35, 0.2 + 0.3 * tired, 0.45 - 0.3 * tired)
    v = (u - p) / (1.0 - p) * sum(weights)
    if v < weights[0]:
        return "dismissed"
    if v < weights[0] + weights[1]:
        return "snoozed"
    return "ignored"


def acceptance_context(
    persona: Persona,
    spans: Sequence[Span],
    now: float,
    *,
    minutes_since_last_suggestion: float = 24 * 60.0,
) -> dict[str, float | int | bool]:
    """Return the keyword arguments of `break_acceptance_probability` at `now` in a timeline."""
    steps = [s for s in spans if s.source != CALENDAR]
    starts = [s.start for s in steps]
    n = bisect.bisect_left(starts, now)
    active_from = now
    prev_start = now
    for i in range(n - 1, -1, -1):
        s = steps[i]
        end = min(s.start + s.duration, now)
        if prev_start - end >= BREAK_RESET_S or (
            s.source == AFK and end - s.start >= BREAK_RESET_S
        ):
            break
        active_from = prev_start = s.start
    in_meeting = any(s.source == CALENDAR and s.start <= now < s.start + s.duration for s in spans)
    window_from = now - 15 * 60.0
    work = total = 0.0
    for s in steps[max(0, n - 400) : n]:
        a, b = max(s.start, window_from), min(s.start + s.duration, now)
        if b > a:
            total += b - a
            work += (b - a) if s.category in WORK_KINDS else 0.0
    hour = (now % 86400.0) / 3600.0
    lo, hi = persona.focus_hours
    return {
        "minutes_active": max(0.0, (now - active_from) / 60.0),
        "hour": hour,
        "weekday": int(((now // 86400.0) + 3) % 7),
        "in_flow": bool(lo <= hour < hi and total >= 10 * 60.0 and work / total >= 0.75),
        "minutes_since_last_suggestion": float(minutes_since_last_suggestion),
        "in_meeting": in_meeting,
    }


# --- trace statistics --------------------------------------------------------------------------


def _window_arrays(spans: Sequence[Span]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = sorted(
        (s for s in spans if s.source == WINDOW and s.duration > 0), key=lambda s: s.start
    )
    start = np.array([s.start for s in rows], dtype=np.float64)
    duration = np.array([s.duration for s in rows], dtype=np.float64)
    return start, duration, [s.app for s in rows]


def hourly_share(spans: Sequence[Span]) -> list[float]:
    """Return the fraction of active (window) time falling in each hour of the day (24 values)."""
    start, duration, _ = _window_arrays(spans)
    share = np.zeros(24, dtype=np.float64)
    if start.size == 0:
        return share.tolist()
    end = start + duration
    cursor = start.copy()
    while True:
        live = cursor < end
        if not live.any():
            break
        c, e = cursor[live], end[live]
        boundary = (np.floor(c / 3600.0) + 1.0) * 3600.0
        upto = np.minimum(boundary, e)
        np.add.at(share, ((c % 86400.0) // 3600.0).astype(np.int64), upto - c)
        cursor[live] = upto
    total = share.sum()
    return (share / total if total > 0 else share).tolist()


def weekday_active_hours(spans: Sequence[Span]) -> list[float]:
    """Return mean active (window) hours per calendar day for Monday..Sunday (7 values)."""
    start, duration, _ = _window_arrays(spans)
    hours = np.zeros(7, dtype=np.float64)
    if start.size == 0:
        return hours.tolist()
    day = np.floor(start / 86400.0).astype(np.int64)
    weekday = (day + 3) % 7
    np.add.at(hours, weekday, duration / 3600.0)
    counts = np.zeros(7, dtype=np.float64)
    for d in range(int(day.min()), int(day.max()) + 1):
        counts[(d + 3) % 7] += 1
    return (hours / np.maximum(counts, 1.0)).tolist()


def trace_statistics(spans: Sequence[Span]) -> dict[str, float]:
    """Return summary statistics of a trace, for comparing synthetic against real timelines."""
    start, duration, apps = _window_arrays(spans)
    stats: dict[str, float] = {}
    if start.size == 0:
        return {"spans": 0.0, "active_hours": 0.0}
    active_h = float(duration.sum() / 3600.0)
    switches = sum(1 for a, b in zip(apps, apps[1:], strict=False) if a != b)
    stats["spans"] = float(start.size)
    stats["active_hours"] = active_h
    stats["median_span_s"] = float(np.median(duration))
    stats["p90_span_s"] = float(np.percentile(duration, 90))
    stats["short_span_fraction"] = float(np.mean(duration < 5.0))  # alt-tab / shell blips
    stats["minute_span_fraction"] = float(np.mean(duration < 60.0))
    stats["switches_per_active_hour"] = float(switches / active_h) if active_h > 0 else 0.0
    days = np.unique(np.floor(start / 86400.0))
    stats["active_days"] = float(days.size)
    stats["active_hours_per_active_day"] = active_h / max(1, days.size)
    per_weekday = weekday_active_hours(spans)
    for name, value in zip(_DAY_NAMES, per_weekday, strict=True):
        stats[f"active_hours_{name}"] = value
    stats["active_hours_weekday"] = float(np.mean(per_weekday[:5]))
    stats["active_hours_weekend"] = float(np.mean(per_weekday[5:]))
    categories = [s.category for s in spans if s.source == WINDOW]
    stats["unknown_category_fraction"] = categories.count(UNKNOWN) / max(1, len(categories))
    return stats
