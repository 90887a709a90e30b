"""Activity categories: the shared vocabulary and the rule table that maps apps onto it.

Categories, not raw app names, are what lets a model trained on one person's apps transfer
to another's. The vocabulary order is part of the feature spec: append, never reorder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAD = "<pad>"
UNKNOWN = "unknown"
AWAY = "away"

CATEGORIES: tuple[str, ...] = (
    PAD,
    UNKNOWN,
    "development",
    "communication",
    "meetings",
    "office",
    "browsing",
    "social",
    "entertainment",
    "games",
    "system",
    "design",
    AWAY,
)
CATEGORY_INDEX: dict[str, int] = {name: index for index, name in enumerate(CATEGORIES)}

# Categories that count as "work" when computing focus stretches.
WORK_CATEGORIES = frozenset({"development", "office", "design", "communication", "meetings"})
DISTRACTION_CATEGORIES = frozenset({"social", "entertainment", "games"})


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: a case-insensitive regex on the app name (and title)."""

    category: str
    app: str
    title: str | None = None


# A first table covering common Linux WM_CLASS values, Windows executables and macOS bundle
# ids. Users override it in their config; first matching rule wins.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("meetings", r"zoom|teams|webex|gotomeeting|skype|jitsi|meet"),
    Rule(
        "development",
        r"code|vscodium|pycharm|idea|clion|goland|webstorm|rider|android.?studio"
        r"|sublime|atom|vim|nvim|emacs|kate|gedit|xterm|konsole|gnome-terminal|alacritty|kitty"
        r"|terminal|iterm|windowsterminal|wt\.exe|cmd\.exe|powershell|devenv|jupyter|rstudio"
        r"|spyder|matlab|xcode|github ?desktop|gitkraken|postman|dbeaver|docker",
    ),
    Rule(
        "communication",
        r"slack|discord|thunderbird|outlook|mail|evolution|geary|signal"
        r"|telegram|whatsapp|element|mattermost|rocket\.chat|wechat|line\.exe|hexchat",
    ),
    Rule(
        "office",
        r"libreoffice|soffice|winword|excel|powerpnt|onenote|word|acrobat|acrord|evince"
        r"|okular|zathura|notion|obsidian|evernote|logseq|joplin|onlyoffice|wps|pages|numbers"
        r"|keynote|calendar|todoist|zotero|mendeley|notepad",
    ),
    Rule(
        "design",
        r"gimp|inkscape|krita|blender|figma|photoshop|illustrator|lightroom|darktable"
        r"|kdenlive|davinci|premiere|aftereffects|audacity|obs",
    ),
    Rule(
        "games",
        r"steam|lutris|heroic|epicgameslauncher|minecraft|league|riotclient|battle\.net"
        r"|origin|gog|factorio|dota|csgo|valorant",
    ),
    Rule(
        "entertainment",
        r"spotify|vlc|mpv|netflix|music|itunes|rhythmbox|totem|celluloid"
        r"|kodi|plex|youtube|twitch|primevideo|disney",
    ),
    Rule("social", r"facebook|instagram|twitter|tiktok|reddit|mastodon|tweetdeck"),
    Rule(
        "browsing",
        r"firefox|chrome|chromium|brave|opera|vivaldi|msedge|edge|safari|epiphany"
        r"|librewolf|waterfox|tor ?browser|iexplore",
    ),
    Rule(
        "system",
        r"explorer\.exe|searchapp|searchui|shellexperiencehost|startmenuexperiencehost"
        r"|lockapp|applicationframehost|taskmgr|systemsettings|control|mmc|esrv|dwm|finder"
        r"|nautilus|dolphin|thunar|pcmanfm|nemo|caja|settings|pavucontrol|lxqt|xfce4|plasmashell"
        r"|gnome-shell|loginwindow|dock|systemuiserver|rundll32|consent|setup|install",
    ),
)

_COMPILED: dict[tuple[Rule, ...], list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]] = {}


def _compiled(rules: tuple[Rule, ...]) -> list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]:
    if rules not in _COMPILED:
        _COMPILED[rules] = [
            (
                rule.category,
                re.compile(rule.app, re.IGNORECASE),
                re.compile(rule.title, re.IGNORECASE) if rule.title else None,
            )
            for rule in rules
        ]
    return _COMPILED[rules]


def categorize(app: str, title: str = "", rules: tuple[Rule, ...] = DEFAULT_RULES) -> str:
    """Return the category of an app (and window title) by the first matching rule."""
    for category, app_pattern, title_pattern in _compiled(rules):
        if app_pattern.search(app or "") and (title_pattern is None or title_pattern.search(title)):
            return category
    return UNKNOWN
