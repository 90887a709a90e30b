"""The synthetic people: their traits, schedules and the apps they use per category."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

WINDOW = "window"
AFK = "afk"
CALENDAR = "calendar"
REACTIONS: tuple[str, ...] = ("accepted", "dismissed", "snoozed", "ignored")
WORK_KINDS: tuple[str, ...] = ("development", "office", "design")
BREAK_RESET_S = 5 * 60.0  # an away span or gap at least this long ends an active stretch
CORPUS_START = datetime.date(2024, 1, 1)  # a Monday


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
POOLS: dict[str, dict[str, tuple[str, ...]]] = {
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
LINUX_DESKTOPS: tuple[tuple[str, ...], ...] = (
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
MEETING_TITLES = (
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
    pool = POOLS[platform]
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
        apps["system"] = LINUX_DESKTOPS[int(rng.integers(len(LINUX_DESKTOPS)))]
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
