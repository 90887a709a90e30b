"""`sculptor-train pretrain-app-head`: the next-app pointer head's prior, from many histories.

The head (edge_model.app_head) scores a user's own apps from app-agnostic statistics, so one
set of weights serves people it has never seen. This command fits those weights on every
history it is given: the real desktop traces in ../shared/data (CSV exports and ActivityWatch
exports, read through desktop.importers' parsers) and synthetic personas. `--exclude` leaves
traces out by name, which is how the README's per-user table is made honestly: each user is
evaluated with a prior that never saw them (leave one user out). Real traces give only the
first `real_fraction` (0.7) of their switches, so `sculptor-train evaluate` at its default split
never scores a switch the shipped prior learned from: on a shipped trace the prior has seen
exactly what the personalization step sees.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from edge_model import app_head
from edge_model.manifest import ModelRefused
from edge_model.registry import SHIPPED_DIR
from edge_model.runtime import ModelRuntime
from training import real

DEFAULT_DATA = real.DEFAULT_DATA


def histories(
    data_dir: Path, exclude: list[str], synthetic_personas: int, seed: int
) -> list[tuple[str, list[Any]]]:
    """Return (name, chronological spans) for every usable history, minus the excluded ones."""
    found = real.traces(data_dir, exclude)
    if synthetic_personas > 0:
        from training.synthetic import corpus

        for persona, spans in corpus(synthetic_personas, 2, seed):
            found.append((f"synthetic:{persona.name}", spans))
    return found


class HistoryNetworks:
    """Which network reads each history when a prior is fitted: the one given, or for a history
    whose name has a word of `belief_models`, that network (e.g. one that never saw the user)."""

    def __init__(self, model_dir: Path, belief_models: dict[str, Path] | None = None) -> None:
        self.default = ModelRuntime(model_dir)
        self.others = {word: ModelRuntime(path) for word, path in (belief_models or {}).items()}

    def for_history(self, name: str) -> ModelRuntime:
        """Return the network whose outputs the history called `name` gets."""
        return next((r for word, r in self.others.items() if word in name), self.default)

    def provenance(self, used: Iterable[str]) -> dict[str, Any]:
        """Return the prior's record of its networks: the default one, and each history of
        `used` that another network read."""
        versions = {name: self.for_history(name).version for name in used}
        return {
            "network": self.default.version,
            "belief_networks": {n: v for n, v in versions.items() if v != self.default.version},
        }


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
    from training.evaluate import switch_beliefs, switches_of

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


def prior_sources(args: argparse.Namespace) -> tuple[list[tuple[str, list[Any]]], Path, dict]:
    """Return the histories, the network and the per-history networks a prior was given."""
    named = histories(Path(args.data), args.exclude, args.synthetic_personas, args.seed)
    network = Path(args.model) if args.model else SHIPPED_DIR
    return named, network, dict(belief_model_pair(text) for text in args.belief_model)


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


def belief_model_pair(text: str) -> tuple[str, Path]:
    word, sep, path = text.partition("=")
    if not sep or not word or not path:
        raise ValueError(f"--belief-model {text!r} is not WORD=MODEL_DIR")
    return word, Path(path)


def add_history_arguments(p: Any, synthetic_personas: int, seed: int, synthetic_help: str) -> None:
    """Add the arguments every cross-person prior takes: which histories, which networks."""
    p.add_argument("--data", default=str(DEFAULT_DATA), help="the shared data folder")
    p.add_argument("--exclude", nargs="*", default=[], help="leave out traces whose name has this")
    p.add_argument(
        "--synthetic-personas", type=int, default=synthetic_personas, help=synthetic_help
    )
    p.add_argument("--seed", type=int, default=seed)
    p.add_argument(
        "--real-fraction",
        type=float,
        default=real.SPLIT,
        help="use the first this much of each real trace (the rest stays unseen for evaluate)",
    )
    p.add_argument(
        "--model", help="network whose outputs the head reads (default: the shipped one)"
    )
    p.add_argument(
        "--belief-model",
        nargs="*",
        default=[],
        metavar="WORD=MODEL_DIR",
        help="histories whose name has WORD get this network's outputs (e.g. "
        "user_a=runs/louo/no_a: a network that never saw user_a)",
    )


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
    p.add_argument("--out", default=str(app_head.SHIPPED_PRIOR))
    p.set_defaults(func=cmd_pretrain_app_head)
