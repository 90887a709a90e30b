"""Federated vs centralized training of the same model on the same people.

Federated: Flower's deployment engine on loopback (a SuperLink, one SuperNode per person, one
ClientApp process per device per round), FedAvg, one local epoch per round. Centralized: the
same people's training examples pooled on one machine, one epoch per "round", same optimizer,
batch size and learning rate. Both are scored after every round on the same held-out synthetic
people no device has. Also printed: what one device sends per round, and the privacy budget the
DP option would spend (from Flower's RDP accountant) for the fleet sizes that matter.

    python benchmarks/federated.py --people 4 --rounds 6 [--data csv:PATH ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.federated import apps, deploy  # noqa: E402
from training.federated.sources import DataSource  # noqa: E402


def centralized(sources: list[str], settings: dict[str, Any]) -> dict[str, Any]:
    """Pool every device's training split and train one model; score it after each epoch."""
    import keras

    from training.dataset import Examples
    from training.federated import task

    keras.utils.set_random_seed(int(settings["seed"]))
    trains = []
    for spec in sources:
        examples = task.local_examples(
            DataSource.parse(spec),
            weeks=int(settings["weeks"]),
            seed=int(settings["data-seed"]),
            per_hour=float(settings["moments-per-hour"]),
        )
        trains.append(task.split(examples, int(settings["data-seed"]))[0])
    pooled = Examples.concat(trains)
    held_out = task.evaluation_examples(int(settings["eval-personas"]), int(settings["eval-seed"]))
    model = task.new_model(float(settings["learning-rate"]))
    rows = [{"round": 0, "held_out": task.quality(model, held_out)}]
    started = time.perf_counter()
    for epoch in range(1, int(settings["num-server-rounds"]) + 1):
        loss = task.train_locally(
            model,
            pooled,
            epochs=1,
            batch_size=int(settings["batch-size"]),
            learning_rate=float(settings["learning-rate"]),
        )
        rows.append({"round": epoch, "held_out": task.quality(model, held_out), "train": loss})
    return {"rounds": rows, "examples": len(pooled), "seconds": time.perf_counter() - started}


def privacy_table(noise_multipliers: list[float], rounds: list[int], fleet: int, per_round: int):
    """Return epsilon at delta 1e-5 per (noise, rounds): all devices each round, and sampled."""
    from flwr.supercore.privacy_accounting import (
        GaussianPrivacyEvent,
        NeighboringRelation,
        PrivacyConfig,
        SamplingMethod,
    )
    from flwr.supercore.privacy_accounting.rdp_accountant import RdpAccountant

    table = []
    for z in noise_multipliers:
        for t in rounds:
            row: dict[str, Any] = {"noise": z, "rounds": t}
            for label, method, size, population in (
                ("all", SamplingMethod.NO_AMPLIFICATION, per_round, per_round),
                ("poisson", SamplingMethod.POISSON, per_round, fleet),
            ):
                accountant = RdpAccountant(
                    PrivacyConfig(
                        target_delta=1e-5,
                        population_size=population,
                        neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
                        sampling_method=method,
                    )
                )
                accountant.compose(GaussianPrivacyEvent(z, size, population), count=t)
                row[label] = accountant.get_privacy_spent().epsilon
            table.append(row)
    return table


def rounds_to_reach(rows: list[dict[str, Any]], target: float) -> int | None:
    """Return the first round whose held-out loss is at or under `target`."""
    for row in rows:
        if row["held_out"]["next_category_loss"] <= target:
            return int(row["round"])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=4, help="synthetic people (devices)")
    parser.add_argument("--data", action="append", default=[], help="extra real devices")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--eval-personas", type=int, default=3)
    parser.add_argument("--json", help="write every figure here")
    args = parser.parse_args(argv)

    sources = [f"persona:{i}" for i in range(args.people)] + list(args.data)
    with tempfile.TemporaryDirectory(prefix="bench-federated-") as tmp:
        settings = apps.DEFAULTS | {
            "num-server-rounds": args.rounds,
            "min-clients": len(sources),
            "eval-personas": args.eval_personas,
            "export": False,
            "out-dir": str(Path(tmp) / "out"),
        }
        central = centralized(sources, settings)
        started = time.perf_counter()
        federated = deploy.run_local_federation(
            sources, settings, work_dir=Path(tmp) / "flower", timeout=3600
        )
        federated_wall = time.perf_counter() - started

    fed_rows = [r for r in federated["rounds"] if "held_out" in r]
    cen_final = central["rounds"][-1]["held_out"]
    fed_final = fed_rows[-1]["held_out"]
    update = federated["update_bytes"]
    print(f"{len(sources)} devices ({', '.join(sources)}), {central['examples']} training examples")
    print(
        f"{'round':>5} | {'fed loss':>8} {'fed top-1':>9} | {'cen loss':>8} {'cen top-1':>9}"
        f" | {'gap (loss)':>10}"
    )
    for fed, cen in zip(fed_rows, central["rounds"], strict=False):
        f, c = fed["held_out"], cen["held_out"]
        print(
            f"{fed['round']:>5} | {f['next_category_loss']:>8.4f} {f['next_category_top1']:>9.3f}"
            f" | {c['next_category_loss']:>8.4f} {c['next_category_top1']:>9.3f}"
            f" | {f['next_category_loss'] - c['next_category_loss']:>+10.4f}"
        )
    target = cen_final["next_category_loss"] * 1.05
    reached = rounds_to_reach(fed_rows, target)
    print(
        f"final gap: loss {fed_final['next_category_loss'] - cen_final['next_category_loss']:+.4f}"
        f", top-1 {fed_final['next_category_top1'] - cen_final['next_category_top1']:+.3f}; "
        f"federated reaches centralized loss +5% ({target:.4f}) at round "
        f"{reached if reached is not None else f'> {args.rounds}'}"
    )
    print(
        f"update = {federated['parameters']:,} float32 parameters = {update:,} bytes; per device "
        f"per round {update:,} down + {update:,} up; {args.rounds} rounds = "
        f"{2 * update * args.rounds / 1e6:.2f} MB per device (int8 updates: ~{update // 4:,} "
        f"bytes each way)"
    )
    print(
        f"wall: federated {federated_wall:.0f}s ({federated['seconds'] / args.rounds:.1f}s/round "
        f"incl. a fresh ClientApp process per device per round), centralized "
        f"{central['seconds']:.0f}s"
    )
    privacy = privacy_table([0.5, 1.0, 2.0], [20, 100], fleet=10_000, per_round=100)
    print("DP budget at delta 1e-5 (Flower RDP accountant), 100 devices per round:")
    print(f"{'noise':>5} {'rounds':>6} | {'all 100 every round':>19} | {'sampled from 10k':>16}")
    for row in privacy:
        print(
            f"{row['noise']:>5} {row['rounds']:>6} | {row['all']:>19.2f} | {row['poisson']:>16.3f}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "sources": sources,
                    "federated": federated,
                    "federated_wall_s": federated_wall,
                    "centralized": central,
                    "rounds_to_centralized_plus_5pct": reached,
                    "privacy": privacy,
                },
                indent=2,
                default=float,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
