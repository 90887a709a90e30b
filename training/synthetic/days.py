"""A persona's days as a desktop collector would record them: windows, away spans, meetings."""

from __future__ import annotations

import bisect
import calendar
import datetime
import hashlib
import math
import random
from dataclasses import dataclass

from edge_model.categories import AWAY, categorize
from training.synthetic.persons import (
    AFK,
    BREAK_RESET_S,
    CALENDAR,
    CORPUS_START,
    MEETING_TITLES,
    POOLS,
    WINDOW,
    WORK_KINDS,
    Persona,
    Span,
    is_student,
    make_personas,
)

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
            (rnd.randrange(5), hour, rnd.choice((30.0, 60.0)), rnd.choice(MEETING_TITLES))
        )
    per_day = (1.0 if standup else 0.0) + len(weekly) / 5.0
    meeting_apps = persona.apps.get("meetings") or POOLS[persona.platform]["meetings"][:1]
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
        self.fallback = browsers[0] if browsers else POOLS[persona.platform]["browsing"][0]
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
                booked.append((h, h + minutes / 60.0, rnd.choice(MEETING_TITLES)))
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
