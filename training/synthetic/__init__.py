"""Synthetic people: seeded personas, the timelines they would produce, how they react.

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
