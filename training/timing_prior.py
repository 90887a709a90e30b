"""`sculptor-train pretrain-timing-head`, and the timing part of `sculptor-train evaluate`.

The timing head (edge_model.timing) turns the network's switch-soon and time-to-switch outputs
plus the recent window's statistics into the app's estimate of when the current activity ends.
Its prior is fitted here on real people's timelines — every moment labelled by what happened
next — with each real trace's network outputs from a network that never saw that trace (the
leave-one-user-out networks, `--belief-model`), for the reason `pretrain-app-head` gives: a
network's outputs on its own training moments are sharper than on anyone new.
`evaluate_timing` scores, on the moments after a user's cut, the network alone, the window
baseline, the prior, and the prior personalized on the moments before the cut.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from edge_model import timing
from edge_model.manifest import ModelRefused
from edge_model.runtime import ModelRuntime
from training import real
from training.histories import HistoryNetworks, add_history_arguments, prior_sources


def pretrain(
    named: list[tuple[str, list[Any]]],
    model_dir: Path,
    belief_models: dict[str, Path] | None = None,
    real_fraction: float = real.SPLIT,
    seed: int = 0,
) -> timing.TimingHead:
    """Fit the prior on every history's labelled moments (real ones up to their cut)."""
    if not 0.0 < real_fraction <= 1.0:
        raise ValueError(f"real fraction {real_fraction} is not in (0, 1]")
    rng = np.random.default_rng(seed)
    networks = HistoryNetworks(model_dir, belief_models)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    counts: dict[str, int] = {}
    for name, spans in named:
        until = None if name.startswith("synthetic:") else real.cut_time(spans, real_fraction)
        network = networks.for_history(name)
        x, soon, minutes, _ = timing.labelled_rows(spans, network, rng, until=until)
        if len(x) == 0:
            continue
        counts[name] = len(x)
        parts.append((x, soon, minutes))
    if not parts:
        raise ValueError("no history with active time to learn from")
    x, soon, minutes = (np.concatenate(column) for column in zip(*parts, strict=True))
    head = timing.TimingHead.fit(x, soon, minutes)
    head.trained_on = {
        "histories": counts,
        "moments": len(x),
        **networks.provenance(counts),
        "real_fraction": real_fraction,
        "moments_per_hour": timing.MOMENTS_PER_HOUR,
        "seed": seed,
    }
    return head


def _switch_figures(p: np.ndarray, soon: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": float(((p >= 0.5) == (soon >= 0.5)).mean()),
        "log_loss": timing.log_loss(p, soon),
    }


def evaluate_timing(
    spans: list[Any],
    runtime: ModelRuntime,
    cut: float,
    prior: timing.TimingHead | None,
    seed: int = 0,
) -> dict[str, Any]:
    """Return when-does-it-end figures on the moments after `cut`, personalized on those before.

    "model" is what the app uses: the prior personalized on the moments before the cut (the
    prior alone where personalizing does not help; fitted from scratch without a prior).
    """
    rng = np.random.default_rng(seed)
    x_train, soon_train, minutes_train, _ = timing.labelled_rows(spans, runtime, rng, until=cut)
    x_test, soon_test, minutes_test, _ = timing.labelled_rows(spans, runtime, rng, since=cut)
    if len(x_test) == 0:
        return {"n_train": len(x_train), "n_test": 0}
    if prior is not None:
        head = timing.personalize(prior, x_train, soon_train, minutes_train)
    else:
        head = timing.TimingHead.fit(x_train, soon_train, minutes_train)
    # The network's outputs and both statistics are columns of the head's own rows.
    column = {name: x_test[:, i] for i, name in enumerate(timing.FEATURES)}
    network_p = 1.0 / (1.0 + np.exp(-column["network_switch_soon_logit"]))
    network_minutes = np.expm1(column["network_log_minutes"])
    window = np.expm1(column["window_log_minutes"])
    app_minutes = np.expm1(column["app_log_minutes"])
    p, minutes = head.predict(x_test)
    switch = {
        "model": _switch_figures(p, soon_test),
        "network": _switch_figures(network_p, soon_test),
        "baselines": {
            "window": {"accuracy": float(((window <= timing.HORIZON_MIN) == soon_test).mean())},
            "app_history": {
                "accuracy": float(((app_minutes <= timing.HORIZON_MIN) == soon_test).mean())
            },
            "base_rate": {"accuracy": float(max(soon_test.mean(), 1 - soon_test.mean()))},
        },
    }
    minutes_left = {
        "model": timing.minute_errors(minutes, minutes_test),
        "network": timing.minute_errors(network_minutes, minutes_test),
        "baselines": {
            "window": timing.minute_errors(window, minutes_test),
            "app_history": timing.minute_errors(app_minutes, minutes_test),
        },
    }
    if prior is not None:
        prior_p, prior_minutes = prior.predict(x_test)
        switch["prior"] = _switch_figures(prior_p, soon_test)
        minutes_left["prior"] = timing.minute_errors(prior_minutes, minutes_test)
    return {
        "n_train": len(x_train),
        "n_test": len(x_test),
        "switch_rate": float(soon_test.mean()),
        "personalized": head.trained_on,
        "switch_soon": switch,
        "time_to_switch": minutes_left,
    }


def cmd_pretrain_timing_head(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        named, network, beliefs = prior_sources(args)
        head = pretrain(
            named, network, belief_models=beliefs, real_fraction=args.real_fraction, seed=args.seed
        )
    except (ValueError, ModelRefused) as exc:
        print(f"sculptor-train: {exc}", file=sys.stderr)
        return 2
    out = head.save(Path(args.out))
    print(
        f"timing head prior: {head.trained_on['moments']} moments from "
        f"{len(head.trained_on['histories'])} histories -> {out} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return 0


def register(sub: Any) -> None:
    """Add `pretrain-timing-head` to sculptor-train's subcommands."""
    p = sub.add_parser(
        "pretrain-timing-head", help="fit the timing head's prior on many people's timelines"
    )
    add_history_arguments(
        p,
        0,
        0,
        "synthetic people added to the real traces (default none: the head exists because the "
        "network's timing does not carry from synthetic to real people)",
    )
    p.add_argument("--out", default=str(timing.SHIPPED_PRIOR))
    p.set_defaults(func=cmd_pretrain_timing_head)
