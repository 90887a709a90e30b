"""Activity categories: the shared vocabulary and the rule table that maps apps onto it.

Categories, not raw app names, are what lets a model trained on one person's apps transfer
to another's. The vocabulary order is part of the feature spec: append, never reorder.
"""

from __future__ import annotations

import re
import tomllib
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


# Browsers, by Windows executable, macOS name/bundle id, Linux WM_CLASS, and the window classes
# a foreground logger records when it reads a window instead of its process.
_BROWSERS = (
    r"firefox|mozilla|^navigator$|chrome|chromium|brave|opera|vivaldi|msedge"
    r"|microsoft edge|^edge$|safari|epiphany|librewolf|waterfox|floorp|tor ?browser|iexplore"
    r"|thebrowser|^arc$|yandex|duckduckgo|whale"
)

# A first table covering common Windows executables, macOS app names and bundle ids, and Linux
# WM_CLASS values; first matching rule wins. Title rules come first so that a browser tab can
# be more specific than "browsing" (they only fire where the title is known: at collection and
# import, never on stored hashes). Users put their own rules in front of these (categories.toml).
# Apps deliberately left out (`unknown`): ambiguous hosts such as javaw.exe, electron or
# Qt5QWindowIcon, and apps whose use does not say what the time was for (camera, photo
# viewers); training.synthetic's "unknown" pool draws from these. Utilities (screenshots,
# password managers, VPN clients, calculators, volume mixer, sign-in brokers) are "system".
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "entertainment",
        _BROWSERS,
        r"youtube|netflix|twitch|prime video|disney\+|hulu|crunchyroll|spotify|soundcloud",
    ),
    Rule(
        "social",
        _BROWSERS,
        r"facebook|instagram|twitter|\bx\.com|reddit|tiktok|linkedin|mastodon|bluesky|tumblr",
    ),
    Rule("meetings", _BROWSERS, r"google meet|meet\.google|zoom meeting|jitsi|whereby"),
    Rule(
        "communication",
        _BROWSERS,
        r"gmail|outlook|proton ?mail|inbox|slack|discord|whatsapp|messenger|telegram",
    ),
    Rule(
        "office",
        _BROWSERS,
        r"google (docs|sheets|slides|drive)|microsoft 365|office 365|overleaf|confluence|jira"
        r"|trello|asana|notion",
    ),
    Rule(
        "development",
        _BROWSERS,
        r"github|gitlab|bitbucket|stack ?overflow|jupyter|colab|read the docs|localhost",
    ),
    Rule(
        "meetings",
        r"zoom|zcefagent|teams|webex|gotomeeting|skype|jitsi|meet|facetime|bluejeans"
        r"|ringcentral",
    ),
    Rule(
        "development",
        r"code|vscodium|cursor|pycharm|idea|clion|goland|webstorm|rider|datagrip|phpstorm"
        r"|rubymine|jetbrains|android.?studio|eclipse|netbeans|qtcreator|sublime|atom|vim|nvim"
        r"|emacs|kate|gedit|xterm|konsole|gnome-terminal|alacritty|kitty|wezterm|tilix|terminator"
        r"|terminal|iterm|windowsterminal|openconsole|conhost|wt\.exe|cmd\.exe|powershell|pwsh"
        r"|mintty|git-(cmd|bash)|wsl|devenv|vsdebugconsole|jupyter|rstudio|spyder|matlab|xcode"
        r"|github ?desktop|gitkraken|sourcetree|postman|insomnia|dbeaver|db ?browser"
        r"|sqlitebrowser|pgadmin|docker|virtualbox|vmware|putty|winscp|filezilla|mobaxterm"
        r"|^python[\d.]*w?(\.exe)?$|conda",
    ),
    Rule(
        "communication",
        r"slack|discord|thunderbird|outlook|mail|evolution|geary|signal|telegram|whatsapp"
        r"|element|mattermost|rocket\.chat|wechat|line\.exe|hexchat|talkdesk|viber|kakaotalk"
        r"|zulip|^messages$|mobilesms",
    ),
    Rule(
        "office",
        r"libreoffice|soffice|winword|^word$|microsoft word|excel|powerpnt|powerpoint|onenote"
        r"|acrobat|acrord|foxit|sumatra|pdf|evince|okular|zathura|^preview$|com\.apple\.preview"
        r"|notion|obsidian|evernote|logseq|joplin|onlyoffice|wps|pages|numbers|keynote|calendar"
        r"|ical|todoist|zotero|mendeley|notepad|wordpad|textedit|featherpad|mousepad|leafpad"
        r"|notes|calibre",
    ),
    Rule(
        "design",
        r"gimp|inkscape|krita|blender|figma|photoshop|illustrator|lightroom|darktable|affinity"
        r"|kdenlive|davinci|resolve|premiere|aftereffects|shotcut|openshot|handbrake|audacity"
        r"|reaper|ableton|fl ?studio|garageband|musescore|obs|paint|canva|^sketch$"
        r"|bohemiancoding",
    ),
    Rule(
        "games",
        r"steam|lutris|heroic|epicgameslauncher|minecraft|league|riot|rclient|valorant"
        r"|battle\.net|blizzard|overwatch|hearthstone|origin|eadesktop|ealaunch|ubisoft|uplay"
        r"|gog|xbox|gamebar|-win64-shipping|fortnite|roblox|genshin|factorio|dota|csgo|cs2"
        r"|rocketleague|ts4_x64|sims ?4|terraria|stardew|osu!"
        # Well-known titles whose executables carry no launcher or engine hint.
        r"|yakuza|just ?cause|outer ?wilds|clustertruck|donut ?county|dbfighterz|dragon ?ball"
        r"|peggle|night in the woods|elden ?ring|witcher|cyberpunk2077|gta5|gtav|rdr2"
        r"|hollow.?knight|celeste|hades|baldur|bg3|skyrim|fallout|starfield|r5apex|tslgame|pubg"
        r"|destiny2|warframe|eurotrucks2|cities ?skylines|civilization|stellaris|rimworld|hoi4"
        r"|valheim|among ?us|fifa|forza",
    ),
    Rule(
        "entertainment",
        r"spotify|vlc|mpv|netflix|music|itunes|rhythmbox|totem|celluloid|kodi|plex|jellyfin"
        r"|youtube|twitch|primevideo|disney|video\.ui|movies|com\.apple\.tv|podcasts|audible"
        r"|deezer|tidal|foobar|winamp|aimp|musicbee|potplayer|mpc-h[ce]|smplayer|stremio|kindle",
    ),
    Rule(
        "social",
        r"facebook|instagram|twitter|tiktok|reddit|mastodon|tweetdeck|pinterest|snapchat"
        r"|bluesky|tumblr",
    ),
    Rule("browsing", _BROWSERS),
    Rule(
        "system",
        # Windows shell processes and the window classes foreground loggers see for them.
        r"explorer\.exe|searchapp|searchui|searchhost|shellexperiencehost|startmenuexperiencehost"
        r"|lockapp|applicationframe|applicationmanager_|taskmgr|systemsettings|control|mmc|esrv"
        r"|dwm|rundll32|consent|setup|install|msiexec|werfault|openwith|pickerhost|textinputhost"
        r"|easeofaccess|wwahost|winstore|shell_traywnd|mstasklistwclass|directuihwnd"
        r"|syslistview32|toolbarwindow32|^button$|^#327\d\d$|windows\.ui\.core|splashscreen"
        r"|powertoys|onedrive|dropbox|icloud|7zfm|winrar|peazip|securityhealth|mcuicnt|mcafee"
        r"|bescli|nvidia|amdbugreport|radeon|razer|logitech|lghub|lenovo|supportassist|gup\.exe"
        r"|uihost|update"
        # Utilities: screenshots, volume, sign-in broker, VPN clients, password managers,
        # calculators and character maps (Windows, macOS and Linux names).
        r"|snippingtool|screenclippinghost|screensketch|sharex|greenshot|lightshot|flameshot"
        r"|spectacle|gnome-screenshot|sndvol|aad\.brokerplugin|vpnui|vpndownloader|anyconnect"
        r"|openvpn|wireguard|globalprotect|pangpa|forticlient|nordvpn|protonvpn|keepass"
        r"|1password|bitwarden|lastpass|dashlane|enpass|calculator|calc\.exe|kcalc|galculator"
        r"|qalculate|charmap|org\.gnome\.characters|gucharmap"
        # macOS and Linux desktops: file managers, settings, panels, launchers, monitors.
        r"|finder|loginwindow|dock|systemuiserver|system ?preferences|systempreferences"
        r"|activity ?monitor|spotlight|alfred|raycast|nautilus|dolphin|thunar|pcmanfm|nemo"
        r"|caja|settings|pavucontrol|lxqt|xfce4|plasmashell|krunner|gnome-shell"
        r"|system-?monitor|ksysguard|albert|ulauncher|rofi|dmenu|^aw-(qt|server)",
    ),
)

# Categories a user's rule may name: everything but padding and "away" (which only the idle
# detector assigns, to afk spans).
RULE_CATEGORIES = frozenset(CATEGORIES) - {PAD, AWAY}

_Compiled = list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]
# Keyed by the table's identity: hashing a whole table on every lookup cost more than matching.
_COMPILED: dict[int, tuple[tuple[Rule, ...], _Compiled]] = {}


def _compiled(rules: tuple[Rule, ...]) -> _Compiled:
    entry = _COMPILED.get(id(rules))
    if entry is None or entry[0] is not rules:
        compiled = [
            (
                rule.category,
                re.compile(rule.app, re.IGNORECASE),
                re.compile(rule.title, re.IGNORECASE) if rule.title else None,
            )
            for rule in rules
        ]
        if len(_COMPILED) > 64:  # tables come and go as a user edits theirs; keep a few
            _COMPILED.clear()
        entry = _COMPILED[id(rules)] = (rules, compiled)
    return entry[1]


def categorize(app: str, title: str = "", rules: tuple[Rule, ...] = DEFAULT_RULES) -> str:
    """Return the category of an app (and window title) by the first matching rule."""
    for category, app_pattern, title_pattern in _compiled(rules):
        if app_pattern.search(app or "") and (title_pattern is None or title_pattern.search(title)):
            return category
    return UNKNOWN


def categorize_known(
    app: str, title: str | None, rules: tuple[Rule, ...] = DEFAULT_RULES
) -> str | None:
    """Return the category, or None where it hangs on a title that is not known (hashed)."""
    for category, app_pattern, title_pattern in _compiled(rules):
        if not app_pattern.search(app or ""):
            continue
        if title_pattern is None:
            return category
        if title is None:
            return None  # a title rule for this app might match the title we cannot read
        if title_pattern.search(title):
            return category
    return UNKNOWN


class RulesError(ValueError):
    """A user rule table that cannot be used, said in one line."""


def rules_from_toml(text: str, source: str = "categories.toml") -> tuple[Rule, ...]:
    """Return the rules of a TOML table (`[[rule]] category, app, title?`), in file order."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: {exc}") from None
    unknown_keys = set(document) - {"rule"}
    if unknown_keys:
        raise RulesError(f"{source}: unknown key(s) {sorted(unknown_keys)}; expected [[rule]]")
    entries = document.get("rule", [])
    if not isinstance(entries, list):
        raise RulesError(f"{source}: 'rule' must be an array of tables ([[rule]])")
    rules: list[Rule] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: rule {number}"
        if not isinstance(entry, dict):
            raise RulesError(f"{where}: expected a table with category and app")
        extra = set(entry) - {"category", "app", "title"}
        if extra:
            raise RulesError(f"{where}: unknown key(s) {sorted(extra)}")
        category, app, title = entry.get("category"), entry.get("app"), entry.get("title")
        if category not in RULE_CATEGORIES:
            raise RulesError(
                f"{where}: category {category!r} is not one of {sorted(RULE_CATEGORIES)}"
            )
        if not isinstance(app, str) or not app:
            raise RulesError(f"{where}: 'app' must be a non-empty regular expression")
        if title is not None and not isinstance(title, str):
            raise RulesError(f"{where}: 'title' must be a regular expression")
        for name, pattern in (("app", app), ("title", title)):
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise RulesError(f"{where}: bad {name} regex {pattern!r}: {exc}") from None
        rules.append(Rule(category, app, title or None))
    return tuple(rules)
