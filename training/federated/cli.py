"""`sculptor-train federated server|client|simulate`: pretraining across devices with Flower.

`server` runs a SuperLink on 127.0.0.1 and submits the run; `client` runs a SuperNode for one
device's data; `simulate` runs both, with N synthetic people and any real histories, on this
machine. Flower is imported only when a command runs, so `sculptor-train --help` needs no flwr.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from training.federated.sources import DATA_HELP, DataSource

DEFAULT_OUT = Path("runs/federated")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=5, help="federated rounds")
    parser.add_argument("--strategy", choices=["fedavg", "fedprox"], default="fedavg")
    parser.add_argument("--mu", type=float, default=0.1, help="FedProx proximal weight")
    parser.add_argument("--local-epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument(
        "--fraction-evaluate",
        type=float,
        default=0.0,
        help="share of devices that also evaluate on their own held-out data each round",
    )
    parser.add_argument(
        "--dp-noise",
        type=float,
        default=0.0,
        help="Gaussian noise multiplier for differential privacy (0: off)",
    )
    parser.add_argument(
        "--dp-clip", type=float, default=1.0, help="L2 clipping norm of each device's update"
    )
    parser.add_argument("--dp-delta", type=float, default=1e-5, help="delta for the epsilon report")
    parser.add_argument("--eval-personas", type=int, default=4, help="server's held-out people")
    parser.add_argument(
        "--weeks", type=int, default=1, help="weeks of history per synthetic person"
    )
    parser.add_argument("--moments-per-hour", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--round-timeout", type=float, default=600.0, help="seconds per round")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="result JSON + model directory")
    parser.add_argument(
        "--no-export", action="store_true", help="skip the .tflite export of the final model"
    )
    parser.add_argument(
        "--install", action="store_true", help="install the exported model into the registry"
    )
    parser.add_argument("--data-dir", help="registry of this data dir (default: as the app)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds for the whole run")
    parser.add_argument("--work-dir", help="keep Flower's state and logs here (default: temp)")


def run_config(args: argparse.Namespace, clients: int) -> dict[str, Any]:
    """Return the Flower run config (keys of flower_app/pyproject.toml) for the options."""
    return {
        "num-server-rounds": args.rounds,
        "strategy": args.strategy,
        "proximal-mu": args.mu,
        "local-epochs": args.local_epochs,
        "batch-size": args.batch_size,
        "learning-rate": args.learning_rate,
        "min-clients": clients,
        "fraction-evaluate": args.fraction_evaluate,
        "round-timeout": args.round_timeout,
        "dp-noise-multiplier": args.dp_noise,
        "dp-clipping-norm": args.dp_clip,
        "dp-delta": args.dp_delta,
        "eval-personas": args.eval_personas,
        "seed": args.seed,
        "data-seed": args.seed,
        "weeks": args.weeks,
        "moments-per-hour": args.moments_per_hour,
        "out-dir": str(Path(args.out).resolve()),
        "export": not args.no_export,
    }


def table(result: dict[str, Any]) -> str:
    """Return the per-round figures of a run as a text table."""
    lines = [
        f"{'round':>5}  {'held-out loss':>13}  {'top-1':>6}  {'top-3':>6}  "
        f"{'clients train loss':>18}  {'epsilon':>8}"
    ]
    for row in result["rounds"]:
        held = row.get("held_out", {})
        train = row.get("clients_train_loss")
        epsilon = row.get("epsilon")
        lines.append(
            f"{row['round']:>5}  {held.get('next_category_loss', float('nan')):>13.4f}  "
            f"{held.get('next_category_top1', float('nan')):>6.3f}  "
            f"{held.get('next_category_top3', float('nan')):>6.3f}  "
            f"{'' if train is None else f'{train:.4f}':>18}  "
            f"{'' if epsilon is None else f'{epsilon:.3f}':>8}"
        )
    per_round = result["bytes_per_client_per_round"]
    lines.append(
        f"{result['parameters']:,} parameters; per device per round {per_round['down']:,} bytes "
        f"down + {per_round['up']:,} bytes up; {result['seconds']:.1f}s"
    )
    if "privacy" in result:
        p = result["privacy"]
        lines.append(
            f"privacy: epsilon {p['epsilon']:.3f} at delta {p['delta']:g} after {p['releases']} "
            f"rounds (noise multiplier {p['noise_multiplier']}, clip {p['clipping_norm']}; "
            f"{p['accounting']})"
        )
    if "model" in result:
        m = result["model"]
        lines.append(
            f"model {m['version']} -> {m['path']}: {m['size_bytes']:,} bytes ({m['variant']}), "
            f"TFLite next-category top-1 {m['tflite_next_category_top1']:.3f}"
        )
    return "\n".join(lines)


def _finish(args: argparse.Namespace, result: dict[str, Any]) -> int:
    print(table(result))
    if args.install:
        if "model" not in result:
            print("sculptor-train: nothing to install (--no-export)", file=sys.stderr)
            return 2
        from desktop.config import data_dir
        from edge_model.registry import Registry

        target = Registry(data_dir(args.data_dir) / "models").install(Path(result["model"]["path"]))
        print(f"installed {target}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run a SuperLink and N + len(--data) SuperNodes on loopback, then one run."""
    _stop_flower_on_sigterm()
    from training.federated import deploy

    sources = [f"persona:{i}" for i in range(args.clients)]
    for spec in args.data or []:
        DataSource.parse(spec)
        sources.append(spec)
    if len(sources) < 2:
        print("sculptor-train: federated training needs at least two devices", file=sys.stderr)
        return 2
    config = run_config(args, len(sources))
    with deploy.work_directory(Path(args.work_dir) if args.work_dir else None) as work:
        print(f"federation on {deploy.LOOPBACK}: {len(sources)} devices ({', '.join(sources)})")
        try:
            result = deploy.run_local_federation(
                sources, config, work_dir=work, timeout=args.timeout
            )
        except deploy.FederatedError as exc:
            print(f"sculptor-train: {exc}", file=sys.stderr)
            return 1
    return _finish(args, result)


def cmd_server(args: argparse.Namespace) -> int:
    """Run a SuperLink on loopback and submit the run; wait for `--clients` devices."""
    _stop_flower_on_sigterm()
    from training.federated import deploy
    from training.federated.apps import RESULT_NAME

    config = run_config(args, args.clients)
    result_path = Path(config["out-dir"]) / RESULT_NAME
    if result_path.exists():
        result_path.unlink()
    with deploy.work_directory(Path(args.work_dir) if args.work_dir else None) as work:
        link = deploy.start_superlink(args.port, work)
        try:
            run_id = deploy.submit_run(args.port, config, work)
            print(
                f"SuperLink on {deploy.LOOPBACK}:{args.port}, run {run_id}: waiting for "
                f"{args.clients} devices (sculptor-train federated client --superlink "
                f"{deploy.LOOPBACK}:{args.port} --data ...)",
                flush=True,
            )
            result = deploy.wait_for_run(
                args.port, run_id, result_path, work, [link], timeout=args.timeout
            )
        except deploy.FederatedError as exc:
            print(f"sculptor-train: {exc}", file=sys.stderr)
            return 1
        finally:
            link.stop()
    return _finish(args, result)


def cmd_client(args: argparse.Namespace) -> int:
    """Run a SuperNode for this device's data until the SuperLink goes or Ctrl-C."""
    _stop_flower_on_sigterm()
    from training.federated import deploy

    deploy.check_loopback(args.superlink)
    DataSource.parse(args.data)
    with deploy.work_directory(Path(args.work_dir) if args.work_dir else None) as work:
        node = deploy.start_supernode(
            args.superlink, args.data, work, "node", require_dp=args.require_dp
        )
        print(f"SuperNode for {args.data} -> {args.superlink}; log {node.log_path}", flush=True)
        try:
            return int(node.popen.wait())
        except KeyboardInterrupt:
            return 0
        finally:
            node.stop()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_flower_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C: Flower's processes run in their own process groups,
    so only our `finally` blocks stop them."""
    signal.signal(signal.SIGTERM, _interrupt)


def register(subparsers: Any) -> None:
    """Add `federated` (server, client, simulate) to sculptor-train's subcommands."""
    fed = subparsers.add_parser(
        "federated", help="pretrain across devices without moving their data (Flower)"
    )
    sub = fed.add_subparsers(dest="federated_command", required=True)

    sim = sub.add_parser("simulate", help="a SuperLink and N SuperNodes on this machine")
    sim.add_argument("--clients", type=int, default=4, help="synthetic people, one per device")
    sim.add_argument(
        "--data", action="append", help=f"a real device's data, repeatable: {DATA_HELP}"
    )
    _add_run_options(sim)
    sim.set_defaults(func=cmd_simulate)

    server = sub.add_parser("server", help="a SuperLink on 127.0.0.1 that runs the training")
    server.add_argument("--port", type=int, default=9092, help="SuperLink port on 127.0.0.1")
    server.add_argument("--clients", type=int, default=2, help="devices to wait for and train")
    _add_run_options(server)
    server.set_defaults(func=cmd_server)

    client = sub.add_parser("client", help="a SuperNode that trains on this device's data")
    client.add_argument("--superlink", default="127.0.0.1:9092", help="loopback host:port")
    client.add_argument("--data", required=True, help=DATA_HELP)
    client.add_argument(
        "--require-dp",
        action="store_true",
        help="refuse to train unless the server asks for clipped updates (DP)",
    )
    client.add_argument("--work-dir", help="keep Flower's state and logs here (default: temp)")
    client.set_defaults(func=cmd_client)


def main(argv: list[str] | None = None) -> int:
    """Run `federated ...` alone (the same as `sculptor-train federated ...`)."""
    parser = argparse.ArgumentParser(prog="sculptor-train")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
