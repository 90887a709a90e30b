"""The histories a cross-person prior is fitted on, and the network that reads each of them.

Both numpy heads' priors (`pretrain-timing-head`, `training.timing_prior`, and the research
next-app head's `pretrain-app-head`, `training.next_app.prior`) learn from the real traces
(`training.real`) plus optional synthetic people, each history read by a network given per
history name (e.g. one that never saw that user).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from edge_model.registry import SHIPPED_DIR
from edge_model.runtime import ModelRuntime
from training import real
from training.synthetic.days import corpus


def histories(
    data_dir: Path, exclude: list[str], synthetic_personas: int, seed: int
) -> list[tuple[str, list[Any]]]:
    """Return (name, chronological spans) for every usable history, minus the excluded ones."""
    found = real.traces(data_dir, exclude)
    if synthetic_personas > 0:
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


def prior_sources(args: argparse.Namespace) -> tuple[list[tuple[str, list[Any]]], Path, dict]:
    """Return the histories, the network and the per-history networks a prior was given."""
    named = histories(Path(args.data), args.exclude, args.synthetic_personas, args.seed)
    network = Path(args.model) if args.model else SHIPPED_DIR
    return named, network, dict(belief_model_pair(text) for text in args.belief_model)


def belief_model_pair(text: str) -> tuple[str, Path]:
    word, sep, path = text.partition("=")
    if not sep or not word or not path:
        raise ValueError(f"--belief-model {text!r} is not WORD=MODEL_DIR")
    return word, Path(path)


def add_history_arguments(p: Any, synthetic_personas: int, seed: int, synthetic_help: str) -> None:
    """Add the arguments every cross-person prior takes: which histories, which networks."""
    p.add_argument(
        "--data",
        default=str(real.DEFAULT_DATA),
        help="the real traces' folder (default $TIME_SCULPTOR_TRACES, else data/; docs/data.md)",
    )
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
