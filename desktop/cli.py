"""`time-sculptor`: the tray app and its data commands."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from desktop import config as config_module
from desktop.clock import AcceleratedClock, Clock, SystemClock

log = logging.getLogger("time_sculptor")


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in (
        "win32",
        "darwin",
    )


def _clock(args: argparse.Namespace) -> Clock:
    if args.clock_rate == 1.0 and args.clock_start is None:
        return SystemClock()
    start = (
        datetime.fromisoformat(args.clock_start).replace(tzinfo=UTC).timestamp()
        if args.clock_start
        else SystemClock().now()
    )
    return AcceleratedClock(start, rate=args.clock_rate)


def _open_watcher(args: argparse.Namespace):
    from desktop.collect import CollectorUnavailable, open_watcher

    try:
        return open_watcher(args.backend)
    except CollectorUnavailable as exc:
        if args.backend:  # asked for by name: running without it is not what was asked
            raise ValueError(f"--backend {args.backend}: {exc}") from None
        print(f"time-sculptor: no activity collector: {exc}", file=sys.stderr)
        return None


def _service(args: argparse.Namespace, clock: Clock):
    import numpy as np

    from desktop.scheduling import poll_step
    from desktop.service import AppService, system_utc_offset

    directory = config_module.data_dir(args.data_dir)
    cfg = config_module.load_config(directory)  # a broken config stops us before anything opens
    watcher = _open_watcher(args)
    rng = np.random.default_rng(args.seed)
    return AppService(
        directory,
        cfg,
        clock,
        watcher=watcher,
        rng=rng,
        poll_step_s=poll_step(cfg, clock),
        # The zone as the system has it at each tick: DST and travel count without a restart.
        utc_offset=system_utc_offset,
        system=_system_monitor() if watcher is not None else None,
        require_consent=True,  # nothing is recorded until the user says yes
    ), cfg


def _system_monitor():
    """Return the power/lock/media/sleep monitor, or None (with one line) where it cannot run."""
    from desktop.collect.system import SystemMonitor

    try:
        return SystemMonitor()
    except Exception as exc:  # optional context: collection goes on without it
        print(f"time-sculptor: no system context ({exc})", file=sys.stderr)
        return None


CONSENT_TEXT = (
    "Time Sculptor records, once a second, which application is in front and its window title "
    "(stored as a salted hash unless you turn clear titles on), when you are away from the "
    "keyboard, and how you answer its suggestions. Everything stays in {directory} on this "
    "computer; `time-sculptor pause`, `export` and `delete` work at any time, and "
    "`time-sculptor consent no` stops the recording."
)


def _headless_consent(directory: Path, agree: bool) -> int | None:
    """Return None when the user agreed to collection (asking on a terminal), else an exit code."""
    from desktop.service import read_consent, write_consent
    from desktop.store import DB_NAME, Store

    if not agree and (directory / DB_NAME).exists():
        store = Store(directory / DB_NAME)
        try:
            answer = read_consent(store)
        finally:
            store.close()
        if answer is not None and answer[0]:
            return None
    if not agree and not sys.stdin.isatty():
        print(
            "time-sculptor: nothing is recorded until you agree: run "
            "`time-sculptor run --no-gui --agree` (or `time-sculptor consent yes`) once",
            file=sys.stderr,
        )
        return 2
    if not agree:
        print(CONSENT_TEXT.format(directory=directory))
        try:
            agree = input("Start recording? [y/N] ").strip().lower() in ("y", "yes")
        except EOFError:
            print()
            return 2
    store = Store(directory / DB_NAME)
    try:
        write_consent(store, agree, SystemClock().now())
    finally:
        store.close()
    if not agree:
        print("Nothing recorded. `time-sculptor consent yes` or `run --no-gui --agree` starts it.")
        return 0
    return None


def cmd_run(args: argparse.Namespace) -> int:
    from desktop.instance import AlreadyRunning, InstanceLock, knock

    if not args.no_gui and not _has_display():
        print(
            "time-sculptor: no display found (DISPLAY and WAYLAND_DISPLAY are unset): showing "
            "a sample day replayed through the real store, model and engine, in a temporary "
            "folder (your own data is not touched). Use `time-sculptor run --no-gui` to record "
            "headless on a machine with a display."
        )
        return cmd_demo(args)
    directory = config_module.data_dir(args.data_dir)
    config_module.load_config(directory)  # a broken config stops us before anything is created
    if not args.no_gui:
        from desktop.doctor import qt_problem

        problem = qt_problem()  # Qt would abort the process (exit 134) without a word
        if problem is not None:
            print(
                f"time-sculptor: {problem}; `time-sculptor doctor` checks the rest", file=sys.stderr
            )
            return 2
    lock = InstanceLock(directory)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        raised = not args.no_gui and knock(directory)
        print(
            f"time-sculptor: {exc}" + ("; its dashboard is now in front" if raised else ""),
            file=sys.stderr,
        )
        return 1
    try:
        if args.no_gui:
            stop = _headless_consent(directory, args.agree)
            if stop is not None:
                return stop
        config_module.write_default_config(directory)  # first run: every setting, commented
        clock = _clock(args)
        service, cfg = _service(args, clock)
        if args.agree:
            service.set_consent(True)
        if args.no_gui:
            return _run_headless(service, cfg, clock, args.exit_after, args.verbose)
        from desktop.ui.app import run_tray

        return run_tray(service, cfg, clock)
    finally:
        lock.release()


def _run_headless(
    service, cfg, clock: Clock, exit_after: float | None, verbose: bool = False
) -> int:
    from apscheduler.schedulers.background import BackgroundScheduler

    from desktop.scheduling import add_jobs

    def show(suggestion) -> None:
        details = (
            f" [{suggestion.kind}, score {suggestion.score:.2f}, shown with "
            f"p={suggestion.propensity:.2f}, model {suggestion.model_version}]"
            if verbose
            else ""
        )
        print(
            f"{_local_clock(suggestion.created_at)}  suggestion #{suggestion.id}, "
            f"{_kind_name(suggestion.kind)}: {suggestion.text} Why now: "
            f"{suggestion.explanation}{details}",
            flush=True,
        )

    def model_changed(old: str, new: str) -> None:
        words = "a newer model is in use" if old else "the on-device model is in use"
        details = f" [model {new}" + (f", was {old}]" if old else "]") if verbose else ""
        print(f"{_local_clock(clock.now())}  {words}{details}", flush=True)

    service.on_suggestion = show
    service.on_model_change = model_changed
    service.refresh_model()
    if service.models.current is None:
        print(
            "time-sculptor: no usable model: suggestions follow simple rules "
            "(`time-sculptor doctor` says why)",
            file=sys.stderr,
        )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, service, cfg, clock)
    scheduler.start()
    threading.Thread(target=_answer_from_stdin, args=(service,), daemon=True).start()
    what = (
        f"recording headless with {service.watcher.name}"
        if service.watcher
        else "running headless WITHOUT a collector (suggestions from stored history only)"
    )
    print(
        f"{_local_stamp(clock.now())}  {what} into {service.data_dir} (Ctrl+C to stop; "
        "answer a suggestion by typing "
        "'accept ID', 'snooze ID [MINUTES]' or 'dismiss ID')",
        flush=True,
    )
    stop.wait(exit_after)
    scheduler.shutdown(wait=True)
    service.close()
    return 0


ANSWERS = {"accept": "accepted", "snooze": "snoozed", "dismiss": "dismissed"}


def _answer_from_stdin(service) -> None:
    """Let a person at the terminal answer suggestions in headless mode."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            outcome = ANSWERS[words[0].lower()]
            suggestion_id = int(words[1])
            minutes = (
                float(words[2])
                if outcome == "snoozed" and len(words) > 2
                else (10.0 if outcome == "snoozed" else None)
            )
            stored = service.react(suggestion_id, outcome, minutes)
        except (KeyError, IndexError, ValueError) as exc:
            print(
                f"time-sculptor: cannot read {line.strip()!r} ({exc}); expected "
                "'accept ID', 'snooze ID [MINUTES]' or 'dismiss ID'",
                flush=True,
            )
            continue
        print(
            f"suggestion #{suggestion_id}: {outcome}" + ("" if stored else " (already answered)"),
            flush=True,
        )


KIND_NAMES = {
    "break": "a break",
    "focus": "a focus block",
    "distraction": "a step away from a distraction",
    "wrap_up": "wrapping up",
    "meeting_prep": "meeting preparation",
}


def _kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.replace("_", " "))


def _read_day(path: Path) -> bytes:
    """Return a day file's bytes, read as safely as an import; one line when it cannot be."""
    from desktop.importers import MAX_BYTES
    from edge_model import files

    try:
        return files.read_regular(path, MAX_BYTES["csv"])
    except files.UnsafeFile as exc:
        raise ValueError(f"{path}: {exc}") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from desktop.replay import ReplayWatcher, load_day, plan_after_replay, replay_day

    day = getattr(args, "day", None)
    spans = load_day(_read_day(Path(day)), day) if day else load_day()
    keep = Path(args.keep).expanduser() if getattr(args, "keep", None) else None
    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise ValueError(
            f"--keep {keep}: not a new or empty folder (a replay never writes beside real data)"
        )
    counts = {
        source: sum(s.source == source for s in spans) for source in ("window", "afk", "calendar")
    }
    with tempfile.TemporaryDirectory(prefix="time-sculptor-demo-") as scratch:
        target = keep if keep is not None else Path(scratch)
        where = (
            f"into {target}"
            if keep is not None
            else "in a temporary folder, removed afterwards (your own data is not touched)"
        )
        print(
            f"Replaying a recorded day ({_local_span(spans[0].start, max(s.end for s in spans))}): "
            f"{len(spans)} entries ({counts['window']} stretches in one window, {counts['afk']} "
            f"times away, {counts['calendar']} meetings), {where}."
        )

        def report(decision) -> None:
            if decision.shown and decision.suggestion is not None:
                s = decision.suggestion
                print(
                    f"  {_local_clock(decision.at)}  Suggests {_kind_name(s.kind)}: {s.text}\n"
                    f"         Why now: {s.explanation}"
                )

        service = replay_day(target, spans, on_decision=report)
        try:
            print(
                "The plan for this person's coming week: what they want time for, placed where "
                "this day shows they do that kind of work (and the hours they asked for):"
            )
            print("\n".join(plan_after_replay(service)))
            stored = service.store.event_count()
            shown = len(service.store.suggestions())
            watcher = service.watcher
            unseen = (
                len(watcher.spans) - len(watcher.seen) if isinstance(watcher, ReplayWatcher) else 0
            )
            runtime = service.models.current
        finally:
            service.close()
    merged = len(spans) - unseen - stored
    print(
        f"Done: {len(spans)} recorded entries became {stored} stored ones: "
        f"{unseen} windows were in front for less than the replay's 2-second look and were "
        f"not seen, and {merged} "
        + ("entry" if merged == 1 else "entries")
        + " merged with the same window around them. "
        + f"{shown} suggestions, "
        + ("from the on-device model" if runtime is not None else "from rules (no model)")
        + "; those not answered are recorded as ignored."
    )
    return 0


def _iso(ts: float | None) -> str | None:
    """Return a moment as ISO 8601 local time with its UTC offset (for --json)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _input_activity(store, now: float) -> dict[str, object] | None:
    """Return the last hour's input intensity (active seconds per minute), or None if none."""
    from desktop.collect.activity import rate

    minutes = store.activity(now - 3600.0, now)
    if not minutes:
        return None
    last, last_active, last_covered = minutes[-1]
    return {
        "last_minute": _iso(last),
        "last_minute_active_seconds_per_minute": round(rate(last_active, last_covered), 1),
        "last_hour_active_seconds_per_minute": round(
            rate(sum(m[1] for m in minutes), sum(m[2] for m in minutes)), 1
        ),
        "minutes_in_last_hour": len(minutes),
    }


OUTCOME_WORDS = {
    "accepted": "you accepted it",
    "snoozed": "you snoozed it",
    "dismissed": "you dismissed it",
    "ignored": "not answered",
    None: "waiting for your answer",
}


def _status_lines(
    report: dict, consent: tuple[bool, float] | None, paused: float | None
) -> list[str]:
    """Return `status` for a person: what is recorded, the last suggestion, what is wrong."""
    lines = [f"Data:             {report['data_dir']} ({report['events']} entries recorded)"]
    if consent is None:
        lines.append(
            "Recording:        not yet: nothing is recorded until you say yes "
            "(start the app, or `time-sculptor consent yes`)"
        )
    elif consent[0]:
        lines.append(f"Recording:        yes, agreed {_local_stamp(consent[1])}")
    else:
        lines.append(
            f"Recording:        no, since {_local_stamp(consent[1])} "
            "(`time-sculptor consent yes` starts it)"
        )
    if paused is not None:
        lines.append(f"Paused:           until {_local_stamp(paused)} (`time-sculptor resume`)")
    activity = report["input_activity"]
    if activity is None:
        lines.append("Last hour:        no input recorded")
    else:
        lines.append(
            f"Last hour:        typing or moving the pointer "
            f"{activity['last_hour_active_seconds_per_minute']:g} s of each minute on average "
            f"({activity['minutes_in_last_hour']} minutes recorded)"
        )
    lines.append(
        "Suggestions from: the on-device model"
        if report["model_to_serve"] is not None
        else "Suggestions from: simple rules (no usable model; `time-sculptor doctor` says why)"
    )
    last = report["last_suggestion"]
    if last is not None:
        at = datetime.fromisoformat(last["at"]).timestamp()
        lines.append(
            f"Last suggestion:  {_kind_name(last['kind'])}, {_local_stamp(at)}, "
            f"{OUTCOME_WORDS.get(last['outcome'], last['outcome'])}"
        )
    for reason in report["refused_models"].values():
        lines.append(f"Model not used:   {reason}")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    from desktop.service import read_consent
    from desktop.store import DB_NAME, Store
    from edge_model.registry import Registry

    directory = config_module.data_dir(args.data_dir)
    store = Store(directory / DB_NAME)
    now = SystemClock().now()
    try:
        refused: dict[str, str] = {}
        best = Registry(directory / "models").best(refused)
        history = store.model_history()
        last = store.last_suggestion()
        paused = store.paused_until()
        paused = paused if paused is not None and paused > now else None
        consent = read_consent(store)
        report = {
            "data_dir": str(directory),
            "events": store.event_count(),
            "recording": None
            if consent is None
            else {"agreed": consent[0], "answered_at": _iso(consent[1])},
            "model_to_serve": best.manifest.version if best else None,
            "model_last_active_in_app": history[0]["version"] if history else None,
            "last_suggestion": None
            if last is None
            else {
                "id": last.id,
                "kind": last.kind,
                "at": _iso(last.created_at),
                "score": round(last.score, 3),
                "outcome": last.outcome,
                "model_version": last.model_version,
            },
            "refused_models": refused,
            "paused_until": _iso(paused),
            "input_activity": _input_activity(store, now),
        }
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print("\n".join(_status_lines(report, consent, paused)))
    return 0


def cmd_react(args: argparse.Namespace) -> int:
    from desktop.service import AppService

    directory = config_module.data_dir(args.data_dir)
    service = AppService(directory, config_module.load_config(directory), SystemClock())
    try:
        stored = service.react(args.suggestion_id, args.outcome, args.snooze_minutes)
    except KeyError as exc:
        print(f"time-sculptor: {exc.args[0]}", file=sys.stderr)
        return 2
    finally:
        service.close()
    print("stored" if stored else "already answered")
    return 0


def _store(args: argparse.Namespace, cfg: config_module.Config | None = None):
    from desktop.store import DB_NAME, Store

    directory = config_module.data_dir(args.data_dir)
    cfg = cfg or config_module.load_config(directory)
    return Store(directory / DB_NAME, store_titles=cfg.store_titles)


def _local_time(text: str, flag: str) -> float:
    """Return epoch seconds of an ISO 8601 time; without a zone it is the user's local time."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ValueError(
            f"{flag} {text!r} is not an ISO 8601 time (e.g. 2024-05-01T09:00)"
        ) from None


def _local_stamp(ts: float) -> str:
    """Return a moment as the user's clock shows it, with the zone (e.g. 2024-05-01 09:00 CEST)."""
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _local_span(start: float, end: float) -> str:
    """Return "2024-05-01, 09:00 to 17:30 CEST" (the end's date too when it differs)."""
    first, last = (datetime.fromtimestamp(t).astimezone() for t in (start, end))
    if first.date() == last.date():
        return f"{first:%Y-%m-%d}, {first:%H:%M} to {last:%H:%M %Z}"
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M %Z}"


def _local_clock(ts: float) -> str:
    """Return the local hour and minute of a moment (e.g. 09:00)."""
    return datetime.fromtimestamp(ts).astimezone().strftime("%H:%M")


def cmd_import(args: argparse.Namespace) -> int:
    from desktop import importers

    directory = config_module.data_dir(args.data_dir)
    cfg = config_module.load_config(directory)
    rules = config_module.load_category_rules(directory)
    paths, passed = importers.files_to_import(Path(name) for name in args.file)
    for path in passed:
        print(f"{path}: passed over (not .json, .csv or .ics)", file=sys.stderr)
    if not paths:
        raise ValueError("no file to import (.json, .csv or .ics)")
    failed = added = 0
    why_nothing: list[str] = []
    for path in paths:
        try:
            fmt = args.format or importers.guess_format(path)
            # Parse the whole file before opening the store: a bad file leaves no trace.
            parsed = importers.parse_file(path, fmt, cfg, now=SystemClock().now())
        except importers.ImportFailed as exc:
            if len(paths) == 1:
                raise
            print(f"time-sculptor: {exc}", file=sys.stderr)
            failed += 1
            continue
        store = _store(args, cfg)
        try:
            summary = importers.store_parsed(store, path, fmt, parsed, cfg, rules)
        finally:
            store.close()
        print(summary.line())
        added += summary.added + sum(summary.extras.values())
        reason = summary.added_nothing()
        if reason:
            why_nothing.append(reason)
    if failed:
        return 2
    if not added and why_nothing:
        for reason in why_nothing:
            print(f"time-sculptor: {reason}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from desktop import exporters

    store = _store(args)
    try:
        written = exporters.export(store, args.format, hostname=args.hostname)
    finally:
        store.close()
    if written.left_out:
        # On stderr: standard output may be the export itself.
        left_out = " and ".join(f"{n} {source}" for source, n in sorted(written.left_out.items()))
        print(
            f"time-sculptor: left out {left_out} spans: an ActivityWatch export holds window"
            " and away time only",
            file=sys.stderr,
        )
    if args.out is None:
        sys.stdout.write(written.text)
        return 0
    exporters.write_export(Path(args.out), written.text)
    print(f"exported {written.spans} spans as {args.format} to {args.out}")
    return 0


def cmd_recategorize(args: argparse.Namespace) -> int:
    from edge_model import categories

    directory = config_module.data_dir(args.data_dir)
    rules = config_module.load_category_rules(directory)
    user_rules = len(rules) - len(categories.DEFAULT_RULES)
    store = _store(args)
    try:
        changed, checked = store.recategorize(rules)
    finally:
        store.close()
    source = directory / config_module.CATEGORIES_NAME
    print(
        f"recategorized {changed} of {checked} app spans with {user_rules} user rules "
        f"({source if user_rules else 'none in ' + str(source)}) before the defaults; "
        "a hashed title is judged by the title rules it matched when it was recorded"
    )
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    if not args.minutes > 0:
        raise ValueError("--minutes must be more than 0")
    until = SystemClock().now() + 60.0 * args.minutes
    store = _store(args)
    try:
        store.set_paused_until(until)
    finally:
        store.close()
    print(f"Recording and suggestions paused until {_local_stamp(until)}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        store.set_paused_until(None)
    finally:
        store.close()
    print("Recording and suggestions resumed")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    if args.all == (args.start is not None or args.end is not None):
        raise ValueError("delete needs either --all or both --from and --to")
    if not args.all and (args.start is None or args.end is None):
        raise ValueError("delete needs both --from and --to")
    start = end = 0.0
    if not args.all:
        start, end = _local_time(args.start, "--from"), _local_time(args.end, "--to")
        if not end > start:
            raise ValueError("--to must come after --from")
    if not args.yes:
        what = (
            "everything collected" if args.all else f"all activity from {args.start} to {args.end}"
        )
        print(f"time-sculptor: this deletes {what} for good; add --yes to do it", file=sys.stderr)
        return 2
    store = _store(args)
    try:
        result = store.delete_all() if args.all else store.delete_range(start, end)
    finally:
        store.close()
    if args.all:
        from desktop.service import forget_personal_heads

        forget_personal_heads(store.path.parent)
    print(
        f"deleted {result.spans_deleted} spans"
        + (f", cut {result.spans_trimmed} at the edges" if result.spans_trimmed else "")
        + f", {result.suggestions_deleted} suggestions with their reactions"
    )
    return 0


def cmd_consent(args: argparse.Namespace) -> int:
    from desktop.service import read_consent, write_consent

    store = _store(args)
    try:
        if args.answer is not None:
            write_consent(store, args.answer == "yes", SystemClock().now())
        answer = read_consent(store)
    finally:
        store.close()
    if answer is None:
        print("Not asked yet: nothing is recorded until you say yes (`time-sculptor consent yes`).")
    elif answer[0]:
        print(f"Recording: yes (agreed {_local_stamp(answer[1])}).")
    else:
        print(f"Recording: no (since {_local_stamp(answer[1])}); nothing is recorded.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from desktop.collect import backend_report
    from edge_model.manifest import ModelRefused
    from edge_model.registry import Registry
    from edge_model.runtime import load_interpreter_class

    problems = 0
    directory = config_module.data_dir(args.data_dir)
    print(f"data dir     : {directory}")
    print(
        f"display      : DISPLAY={os.environ.get('DISPLAY', '')!r} "
        f"WAYLAND_DISPLAY={os.environ.get('WAYLAND_DISPLAY', '')!r}"
    )
    for name, usable, detail in backend_report():
        print(f"collector    : {name:<8} {'ok  ' if usable else 'no  '} {detail}")
    try:
        backend, _ = load_interpreter_class()
        print(f"tflite       : {backend}")
    except ModelRefused as exc:
        problems += 1
        print(f"tflite       : MISSING {exc}")
    refused: dict[str, str] = {}
    best = Registry(directory / "models").best(refused)
    print(f"model        : {best.manifest.version + ' at ' + str(best.path) if best else 'NONE'}")
    for reason in refused.values():
        print(f"model refused: {reason}")
    problems += best is None
    from desktop.service import TIMING_HEAD_NAME
    from edge_model import timing

    personal = directory / TIMING_HEAD_NAME
    if timing.TimingHead.load(personal) is not None:
        print(f"timing head  : personalized at {personal}")
    elif timing.TimingHead.load(timing.SHIPPED_PRIOR) is not None:
        print("timing head  : the shipped prior (personalized by the first nightly step)")
    else:  # the app still runs, on the network's own timing
        problems += 1
        print(f"timing head  : MISSING {timing.SHIPPED_PRIOR} (the network's timing is used)")
    try:
        import PySide6

        print(f"qt           : PySide6 {PySide6.__version__}")
    except ImportError:
        problems += 1
        print("qt           : MISSING (pip install pyside6-essentials)")
    else:
        problems += _doctor_desktop()
    print(
        "tensorflow   : "
        + (
            "loaded (should not be!)"
            if "tensorflow" in sys.modules
            else "not loaded (as it should be)"
        )
    )
    return 1 if problems else 0


def _doctor_desktop() -> int:
    """Print the Qt libraries, tray and notification checks; return how many problems."""
    from desktop import doctor

    checks = doctor.qt_library_check()
    for check in checks:
        if check.plugin is not None and not check.missing:
            print(f"qt libraries : ok ({check.platform}: every system library found)")
        else:
            print(f"qt libraries : MISSING {check.line()}")
    if not _has_display():
        print("tray         : not checked (no display)")
        return 0
    if doctor.qt_problem() is not None:
        print("tray         : not checked (Qt cannot start; see above)")
        return 1
    problems = 0
    probe = doctor.probe_desktop()
    if probe.error is not None:
        problems += 1
        print(f"tray         : not checked ({probe.error})")
    elif probe.tray:
        print(f"tray         : available ({probe.platform})")
    else:
        print(f"tray         : NONE (the dashboard window opens instead): {doctor.tray_hint()}")
    usable, line = doctor.notification_report()
    print(f"notifications: {'ok   ' if usable else 'no   '} {line}")
    return problems


BACKEND_NAMES = ("x11", "wayland", "windows", "macos")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("time-sculptor")
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "unknown version"


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Add --data-dir and --verbose; on a command they default to "not given" (SUPPRESS), so
    that the same option before the command is not overwritten."""
    taken = set(parser._option_string_actions)
    if "--data-dir" not in taken:
        parser.add_argument(
            "--data-dir",
            default=argparse.SUPPRESS if suppress else None,
            help="where the database and models live "
            f"(default: ${config_module.DATA_DIR_ENV} or the platform's data dir)",
        )
    if "--verbose" not in taken:
        parser.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS if suppress else False,
            help="say more: details of suggestions and models, log lines, tracebacks",
        )


def _add_global_options_to_commands(sub: argparse._SubParsersAction) -> None:
    for command in sub.choices.values():
        _add_global_options(command, suppress=True)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_global_options_to_commands(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="time-sculptor", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    run = sub.add_parser("run", help="start the tray app (headless with --no-gui)")
    run.add_argument(
        "--no-gui", action="store_true", help="record and print suggestions in this terminal"
    )
    run.add_argument(
        "--backend", choices=BACKEND_NAMES, help="use this activity collector (default: detected)"
    )
    run.add_argument(
        "--agree",
        action="store_true",
        help="agree to recording activity (stored; otherwise the app asks first)",
    )
    run.add_argument("--exit-after", type=float, help="stop after this many real seconds")
    run.add_argument("--clock-rate", type=float, default=1.0, help=argparse.SUPPRESS)
    run.add_argument("--clock-start", help=argparse.SUPPRESS)
    run.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run, day=None, keep=None)

    demo = sub.add_parser("demo", help="replay a sample (or given) day and print the suggestions")
    demo.add_argument("--day", help="CSV with start,duration,source,app,title (UTC)")
    demo.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the replayed data in DIR, a new or empty folder (default: removed afterwards)",
    )
    demo.set_defaults(func=cmd_demo)

    status = sub.add_parser("status", help="what is recorded, the last suggestion, any problem")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    react = sub.add_parser("react", help="answer a suggestion (as the notification buttons do)")
    react.add_argument("suggestion_id", type=int, help="the number the suggestion was shown with")
    react.add_argument("outcome", choices=["accepted", "snoozed", "dismissed"], help="your answer")
    react.add_argument("--snooze-minutes", type=float, help="with snoozed: minutes (default 10)")
    react.set_defaults(func=cmd_react)

    consent = sub.add_parser(
        "consent", help="agree to recording (yes), stop it (no), or show the answer"
    )
    consent.add_argument(
        "answer", nargs="?", choices=["yes", "no"], help="yes or no; without it, show the answer"
    )
    consent.set_defaults(func=cmd_consent)

    doctor = sub.add_parser(
        "doctor", help="check the display, collector, tray, notifications, Qt libraries and model"
    )
    doctor.set_defaults(func=cmd_doctor)

    importer = sub.add_parser(
        "import", help="add activity from an ActivityWatch export, a CSV log or a calendar"
    )
    importer.add_argument(
        "file",
        nargs="+",
        help="files to import, each whole or not at all; a directory: its .json, .csv, .ics",
    )
    importer.add_argument(
        "--format",
        choices=["activitywatch", "csv", "ics"],
        help="default: from the file name (.json, .csv, .ics)",
    )
    importer.set_defaults(func=cmd_import)

    export = sub.add_parser("export", help="write everything recorded (JSON: and suggestions) out")
    export.add_argument(
        "--format",
        choices=["json", "csv", "activitywatch"],
        default="json",
        help="json: everything; csv: the spans; activitywatch: window and away time for"
        " ActivityWatch's import (default: json)",
    )
    export.add_argument(
        "--hostname",
        help="activitywatch: the host its buckets are named after (default: this computer's"
        " name; another name keeps them apart from ActivityWatch's own buckets)",
    )
    export.add_argument("--out", help="file to write (mode 0600); default: standard output")
    export.set_defaults(func=cmd_export)

    recategorize = sub.add_parser(
        "recategorize", help="re-apply the category rules (categories.toml) to what is recorded"
    )
    recategorize.set_defaults(func=cmd_recategorize)

    pause = sub.add_parser("pause", help="pause collection and suggestions (a running app too)")
    pause.add_argument("--minutes", type=float, default=60.0, help="default: 60")
    pause.set_defaults(func=cmd_pause)

    resume = sub.add_parser("resume", help="resume collection and suggestions")
    resume.set_defaults(func=cmd_resume)

    delete = sub.add_parser("delete", help="delete activity in a time range, or everything")
    delete.add_argument("--from", dest="start", help="ISO 8601 start (local time without zone)")
    delete.add_argument("--to", dest="end", help="ISO 8601 end (exclusive)")
    delete.add_argument("--all", action="store_true", help="everything recorded, with suggestions")
    delete.add_argument("--yes", action="store_true", help="confirm: deleted data is gone")
    delete.set_defaults(func=cmd_delete)

    from desktop.plan import cli as plan_cli

    plan_cli.register(sub, _plan_store)
    # Declared last so that every command has them: `time-sculptor status --data-dir D` works.
    _add_global_options_to_commands(sub)
    return parser


def _plan_store(args: argparse.Namespace):
    """Return the store and data directory the `plan` commands work on."""
    return _store(args), config_module.data_dir(args.data_dir)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["_probe-desktop"]:  # doctor's child process: Qt may abort here
        from desktop.ui.probe import main as probe

        return probe()
    parser = build_parser()
    args = parser.parse_args(arguments)
    if getattr(args, "func", None) is None:  # a bare `time-sculptor`: say what it can do
        parser.print_help()
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except (ValueError, OSError) as exc:
        from desktop.store import StoreError

        print(f"time-sculptor: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one line for the user; the traceback with -v
        from desktop.store import StoreError

        if isinstance(exc, StoreError):
            print(f"time-sculptor: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
