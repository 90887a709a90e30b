"""`sculptor-train pretrain-app-head`: the next-app pointer head's prior, from many histories.

The head (`training.next_app.head`, research: the app does not use it) scores a user's own
apps from app-agnostic statistics, so one set of weights serves people it has never seen. This
command fits those weights on every history it is given: the real desktop traces of the data
folder (`TIME_SCULPTOR_TRACES`, docs/data.md: CSV exports and ActivityWatch exports, read through
desktop.importers' parsers) and synthetic personas. `--exclude` leaves traces out by name,
which is how the per-user table is made honestly: each user is evaluated with a prior that
never saw them (leave one user out). Real traces give only the first `real_fraction` (0.7) of
their switches, so `sculptor-train evaluate` at its default split never scores a switch the
prior learned from: on such a trace the prior has seen exactly what the personalization step
sees.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from edge_model.manifest import ModelRefused
from training.histories import HistoryNetworks, add_history_arguments, prior_sources
from training.next_app import head as app_head
from training.switches import switch_beliefs, switches_of


def pretrain(
    named: list[tuple[str, list[Any]]],
    model_dir: Path,
    hidden: int = 16,
    epochs: int = 300,
    real_fraction: float = 0.7,
    belief_models: dict[str, Path] | None = None,
    init_seed: int = 0,
) -> app_head.PointerHead:
    """Fit the prior on all histories' switches (each seeing only its own past).

    Real (non-synthetic) histories contribute their first `real_fraction` of switches.
    `belief_models` maps a word of a history's name to the network whose category beliefs that
    history gets (default: `model_dir`'s). Why: the network pretrains on the same first part of
    the real traces, so its beliefs there are in-sample — sharper than anything it will say
    about a new person — and a head fitted on them learns to trust the belief too much
    (measured: it then did worse than with the belief held constant). Giving each real trace
    the beliefs of a network trained without it (the leave-one-user-out networks) keeps the
    head honest.
    """
    if not 0.0 < real_fraction <= 1.0:
        raise ValueError(f"real fraction {real_fraction} is not in (0, 1]")
    networks = HistoryNetworks(model_dir, belief_models)
    items: list[app_head.Example] = []
    counts: dict[str, int] = {}
    for name, spans in named:
        switches = switches_of(spans)
        if not name.startswith("synthetic:"):
            switches = switches[: int(len(switches) * real_fraction)]
        if len(switches) < 20:
            continue
        beliefs = switch_beliefs(switches, spans, networks.for_history(name), 0.0)
        mine = app_head.examples(switches, beliefs)
        counts[name] = len(mine)
        items.extend(mine)
    if not items:
        raise ValueError("no history with at least 20 app switches to learn from")
    head = app_head.fit(items, hidden=hidden, epochs=epochs, seed=init_seed)
    head.trained_on = {
        "histories": counts,
        "examples": len(items),
        **networks.provenance(counts),
        "hidden": hidden,
        "epochs": epochs,
        "real_fraction": real_fraction,
        "init_seed": init_seed,
    }
    return head


def cmd_pretrain_app_head(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        named, network, beliefs = prior_sources(args)
        head = pretrain(
            named,
            network,
            epochs=args.epochs,
            real_fraction=args.real_fraction,
            belief_models=beliefs,
            init_seed=args.init_seed,
        )
    except (ValueError, ModelRefused) as exc:
        print(f"sculptor-train: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(head.to_json() + "\n", encoding="utf-8")
    tmp.replace(out)
    seconds = time.perf_counter() - started
    print(
        f"app head prior: {head.trained_on['examples']} switches from "
        f"{len(head.trained_on['histories'])} histories -> {out} ({seconds:.0f} s)"
    )
    return 0


def register(sub: Any) -> None:
    """Add `pretrain-app-head` to sculptor-train's subcommands."""
    p = sub.add_parser("pretrain-app-head", help="fit the next-app head's prior on many histories")
    add_history_arguments(p, 6, 7, "synthetic people added to the real traces")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument(
        "--init-seed",
        type=int,
        default=0,
        help="seed of the head's initial weights (the README reports the spread over seeds)",
    )
    p.add_argument("--out", default=str(app_head.DEFAULT_PRIOR))
    p.set_defaults(func=cmd_pretrain_app_head)
