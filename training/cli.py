"""`sculptor-train`: offline pretraining, fine-tuning from the user's store, and export.

Runs Keras 3 on TensorFlow (CPU here) or on JAX where KERAS_BACKEND=jax is set (a GPU
machine); conversion to TFLite always needs TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from edge_model import timing
from edge_model.registry import SHIPPED_DIR
from training import plan_eval, plan_simulate, real, simulate, stages, timing_prior, tune
from training.dataset import Examples, representative_inputs
from training.federated import register as register_federated
from training.next_app import head as app_head
from training.next_app import prior as app_head_prior
from training.realism import compare, table
from training.stages import (
    EVAL_PERSONAS,
    EVAL_SEED,
    REPRESENTATIVE_SIZE,
    ConvertSpec,
    EvaluateSpec,
    ExportSpec,
    FinetuneSpec,
    PretrainSpec,
    StageError,
)

# What each extra brings: a command that needs one says how to install it, in one line.
EXTRAS = {
    "keras": "train",
    "tensorflow": "train",
    "tensorboard": "train",
    "optuna": "train",
    "flwr": "federated",
}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """Return the one line for a module that an uninstalled extra brings, else None."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return (
        f"sculptor-train: this needs the {extra} extra ({module} is not installed): "
        f"pip install 'time-sculptor[{extra}]'"
    )


def config_from_args(args: argparse.Namespace):
    """Return the ModelConfig that pretrain's architecture flags ask for (defaults elsewhere)."""
    from edge_model.keras_model import ModelConfig  # Keras: only when a command trains

    chosen = {
        name: getattr(args, name)
        for name in ("encoder", "hidden", "heads", "blocks", "dropout", "gru_export")
        if getattr(args, name, None) is not None
    }
    return ModelConfig(**chosen)


def cmd_pretrain(args: argparse.Namespace) -> int:
    spec = PretrainSpec(
        out=Path(args.out),
        personas=args.personas,
        weeks=args.weeks,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        moments_per_hour=args.moments_per_hour,
        seed=args.seed,
        tensorboard=args.tensorboard,
        precision=args.precision,
        prune=args.prune,
        prune_units=args.prune_units,
        prune_groups=tuple(args.prune_groups),
        prune_fine_tune_epochs=args.prune_fine_tune_epochs,
        real_data=None if args.real_data in (None, "", "none") else Path(args.real_data),
        real_exclude=tuple(args.real_exclude),
        real_weight=args.real_weight,
        teacher=Path(args.teacher) if args.teacher else None,
        distill_alpha=args.distill_alpha,
        distill_temperature=args.distill_temperature,
        architecture=config_from_args(args),
    )
    print(stages.pretrain(spec).summary())
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert a Keras-only model directory (e.g. trained on the GPU machine) into a full one."""
    result = stages.convert(
        ConvertSpec(model=Path(args.model), out=Path(args.out) if args.out else None)
    )
    print(stages.manifest_summary(result.manifest, result.out))
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    spec = FinetuneSpec(
        data_dir=args.data_dir,
        base=Path(args.base) if args.base else None,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        moments_per_hour=args.moments_per_hour,
        seed=args.seed,
        prune=args.prune,
        held_out=args.held_out,
        replay=args.replay,
        gate=not args.no_gate,
    )
    result = stages.finetune(spec)
    compared = result.compared
    if result.installed is None:
        print(
            f"sculptor-train: model {result.manifest.version} not installed: "
            f"{compared['reason']}; the app keeps {compared['in_use_version']}"
        )
        return 0
    print(stages.manifest_summary(result.manifest, result.installed))
    print(f"installed: {compared['reason']}")
    return 0


def cmd_evaluate_plan(args: argparse.Namespace) -> int:
    try:
        result = plan_eval.run(Path(args.events), args.split, args.tz, Path(args.json))
    except plan_eval.TraceError as exc:
        print(f"sculptor-train evaluate-plan: {exc}", file=sys.stderr)
        return 2
    kept = result["kept"]
    print(
        f"{result['weeks']} weeks, {len(result['blocks'])} blocks; kept: "
        + ", ".join(f"{name} {share:.3f}" for name, share in kept.items())
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from training.bench import heads_table, run_bench  # Keras and TensorFlow
    from training.bench import table as bench_table

    model_dir = Path(args.model) if args.model else SHIPPED_DIR
    examples = stages.evaluation_set()
    rng = np.random.default_rng(0)
    synthetic = examples.take(
        rng.choice(len(examples), min(args.examples, len(examples)), replace=False)
    )
    real_rng = np.random.default_rng(EVAL_SEED)
    tail, traces = (
        real.examples(Path(args.data), real_rng, part="tail", per_trace=args.real_per_trace)
        if args.real_per_trace > 0
        else (Examples.empty(), 0)
    )
    sample = Examples.concat([synthetic, tail])
    is_real = np.arange(len(sample)) >= len(synthetic)
    # Calibration moments from real and synthetic spans alike; the real ones from before each
    # trace's cut, so no evaluated moment calibrates the int8 ranges.
    calibration = examples
    if args.real_per_trace > 0:
        head, _ = real.examples(Path(args.data), real_rng, part="head")
        calibration = Examples.concat([examples, head])
    representative = representative_inputs(calibration, REPRESENTATIVE_SIZE, rng)
    result = run_bench(
        model_dir,
        sample.inputs,
        sample.targets["next_category"],
        representative,
        runs=args.runs,
        sources={"real": is_real, "synthetic": ~is_real},
        targets=sample.targets,
        gru_export=args.gru_export,
    )
    result["evaluation_set"] = (
        f"{len(synthetic)} moments of {EVAL_PERSONAS} held-out synthetic people (seed {EVAL_SEED})"
        f" + {len(tail)} moments of {traces} real traces in {args.data} (each after its "
        f"{real.SPLIT:.0%} cut: never trained on)"
    )
    print(bench_table(result))
    print(result["evaluation_set"])
    print("Time until the current activity ends, and switch-soon, float model vs the window:")
    print(heads_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    spec = EvaluateSpec(
        events=Path(args.events),
        model=Path(args.model) if args.model else SHIPPED_DIR,
        split=args.split,
        app_head_prior=_prior_path(args.app_head, app_head.DEFAULT_PRIOR),
        timing_prior=_prior_path(args.timing_head, timing.SHIPPED_PRIOR),
    )
    result = stages.evaluate(spec).figures
    path = spec.events
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    rows = [("model", result["model"])] + list(result["baselines"].items())
    print(
        f"{path.name}: {result['n_train']} switches to personalize, {result['n_test']} to "
        "predict (next app)"
    )
    for name, m in rows:
        print(f"  {name:<18} top-1 {m['top1']:.3f}  top-3 {m['top3']:.3f}  MRR {m['mrr']:.3f}")
    print(
        "  top-1 by where the switch went: "
        + "; ".join(
            f"{group.replace('_', ' ')} ({part['n']}): model {part['model']['top1']:.3f}, "
            f"mru {part['mru']['top1']:.3f}"
            for group, part in result["by_target"].items()
        )
    )
    when = result["timing"]
    if when["n_test"]:
        switch, left = when["switch_soon"], when["time_to_switch"]
        print(
            f"when the current activity ends ({when['n_test']} moments after the cut): "
            f"ends within 5 min, accuracy: timing head {switch['model']['accuracy']:.3f}, "
            f"network {switch['network']['accuracy']:.3f}, window "
            f"{switch['baselines']['window']['accuracy']:.3f}, app history "
            f"{switch['baselines']['app_history']['accuracy']:.3f}; minutes left, typical "
            f"factor off: {left['model']['median_factor']:.2f}, "
            f"{left['network']['median_factor']:.2f}, "
            f"{left['baselines']['window']['median_factor']:.2f}, "
            f"{left['baselines']['app_history']['median_factor']:.2f}"
        )
    return 0


def _prior_path(text: str | None, default: Path) -> Path | None:
    """Return a head's prior from its flag: `default` when unset, None for 'none'."""
    return default if text is None else None if text == "none" else Path(text)


def cmd_export(args: argparse.Namespace) -> int:
    spec = ExportSpec(
        model=Path(args.model),
        data_dir=args.data_dir,
        shipped=args.shipped,
        release_key=Path(args.release_key) if args.release_key else None,
    )
    result = stages.export(spec)
    if result.shipped:
        print(f"shipped model replaced by {spec.model}, signed with the release key")
    else:
        print(f"installed {result.target}")
    return 0


def cmd_realism(args: argparse.Namespace) -> int:
    data = Path(args.data)
    if not data.is_dir():
        print(f"sculptor-train: no data folder at {data}", file=sys.stderr)
        return 2
    result = compare(data, args.personas, args.weeks, args.seed)
    if not result["traces"]:
        print(f"sculptor-train: no readable real traces in {data}", file=sys.stderr)
        return 2
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def add_architecture_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the encoder flags; unset ones keep edge_model.keras_model.ModelConfig's defaults."""
    parser.add_argument(
        "--encoder",
        choices=["gru", "transformer", "conv"],
        help="sequence encoder (default: gru; conv: causal dilated convolutions)",
    )
    parser.add_argument(
        "--hidden", type=int, help="GRU units / transformer width / conv channels (default 48)"
    )
    parser.add_argument("--heads", type=int, help="transformer attention heads (default 4)")
    parser.add_argument("--blocks", type=int, help="transformer blocks (default 1)")
    parser.add_argument(
        "--dropout", type=float, help="dropout before the state and in transformer blocks (0.1)"
    )
    parser.add_argument(
        "--gru-export",
        choices=["unrolled", "loop"],
        help="the GRU's export form: unrolled (default) or one step in a WHILE loop (a much "
        "smaller file, slower per call; docs/model-report.md 'Compression')",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sculptor-train", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    pre = sub.add_parser(
        "pretrain", help="train a model from scratch on synthetic people and the real traces"
    )
    pre.add_argument("--out", default=str(stages.DEFAULT_OUT), help="model directory to write")
    pre.add_argument("--personas", type=int, default=40)
    pre.add_argument("--weeks", type=int, default=2)
    pre.add_argument("--epochs", type=int, default=8)
    pre.add_argument("--batch-size", type=int, default=256)
    pre.add_argument("--learning-rate", type=float, default=2e-3)
    pre.add_argument("--moments-per-hour", type=float, default=4.0)
    pre.add_argument("--seed", type=int, default=0)
    pre.add_argument("--tensorboard", action="store_true", help="log to OUT/logs")
    pre.add_argument(
        "--precision",
        choices=["float32", "mixed"],
        default="float32",
        help="mixed: mixed precision on a GPU (slower for this model, README 'Training on a GPU')",
    )
    pre.add_argument("--prune", type=float, default=0.0, help="target weight sparsity (0..1)")
    pre.add_argument(
        "--prune-units",
        type=float,
        default=0.0,
        help="structured pruning: after training, remove this fraction (0..1) of the units of "
        "each --prune-groups group, then fine-tune; the file shrinks (docs/training.md)",
    )
    pre.add_argument(
        "--prune-groups",
        nargs="+",
        default=["hidden"],
        choices=list(stages.UNIT_GROUPS),
        help="unit groups --prune-units shrinks (default: hidden, the GRU units)",
    )
    pre.add_argument(
        "--prune-fine-tune-epochs",
        type=int,
        default=3,
        help="epochs of fine-tuning after --prune-units (default 3)",
    )
    pre.add_argument(
        "--real-data",
        default=str(real.DEFAULT_DATA),
        help="also learn from the real traces in this folder, the first 70%% of each (the rest "
        "stays unseen for evaluate and bench); default $TIME_SCULPTOR_TRACES, else data/ "
        "(docs/data.md); 'none' for synthetic only",
    )
    pre.add_argument(
        "--real-exclude", nargs="*", default=[], help="leave out real traces whose name has this"
    )
    pre.add_argument(
        "--real-weight", type=float, default=1.0, help="sample weight of the real moments"
    )
    pre.add_argument("--teacher", help="model directory to distill next-category from")
    pre.add_argument(
        "--distill-alpha",
        type=float,
        default=0.5,
        help="weight of the true label in the distilled target (the rest: the teacher)",
    )
    pre.add_argument(
        "--distill-temperature", type=float, default=2.0, help="softening of the teacher"
    )
    add_architecture_arguments(pre)
    pre.set_defaults(func=cmd_pretrain)

    fine = sub.add_parser("finetune", help="fine-tune on the user's store into a new version")
    fine.add_argument("--data-dir", help="the app's data dir (default: as the app)")
    fine.add_argument("--base", help="model directory to start from (default: the app's current)")
    fine.add_argument("--epochs", type=int, default=3)
    fine.add_argument("--batch-size", type=int, default=64)
    fine.add_argument("--learning-rate", type=float, default=5e-4)
    fine.add_argument("--moments-per-hour", type=float, default=20.0)
    fine.add_argument("--seed", type=int, default=0)
    fine.add_argument("--prune", type=float, default=0.0, help="target weight sparsity (0..1)")
    fine.add_argument(
        "--held-out",
        type=float,
        default=0.2,
        help="share of the newest answers (with few answers: of the activity) held out to "
        "compare the new model with the one in use",
    )
    fine.add_argument(
        "--replay",
        type=float,
        default=2.0,
        help="moments of the pretraining corpus mixed in per moment of yours (0: none)",
    )
    fine.add_argument(
        "--no-gate",
        action="store_true",
        help="hold nothing out and install without comparing with the model in use",
    )
    fine.set_defaults(func=cmd_finetune)

    ev = sub.add_parser("evaluate", help="next-app / next-category quality vs baselines")
    ev.add_argument("--events", required=True, help="one user's history (CSV import format)")
    ev.add_argument("--model", help="model directory (default: the shipped model)")
    ev.add_argument("--split", type=float, default=0.7, help="share of switches to personalize")
    ev.add_argument("--json", required=True, help="write the results here")
    ev.add_argument(
        "--app-head",
        help="the next-app head's prior (default: the shipped one; 'none': fit from scratch)",
    )
    ev.add_argument(
        "--timing-head",
        help="the timing head's prior (default: the shipped one; 'none': fit from scratch)",
    )
    ev.set_defaults(func=cmd_evaluate)

    evp = sub.add_parser(
        "evaluate-plan", help="how well planned blocks are kept on a trace, vs simple rules"
    )
    evp.add_argument("--events", required=True, help="one user's history (CSV import format)")
    evp.add_argument(
        "--split", type=float, default=0.7, help="weeks after this share of the timeline count"
    )
    evp.add_argument("--tz", help="zone of the Z (UTC) timestamps (default: this machine's)")
    evp.add_argument("--json", required=True, help="write the results here")
    evp.set_defaults(func=cmd_evaluate_plan)

    conv = sub.add_parser("convert", help="convert a Keras-only model dir (from a GPU run)")
    conv.add_argument("--model", required=True)
    conv.add_argument("--out", help="write here instead of in place")
    conv.set_defaults(func=cmd_convert)

    bench = sub.add_parser("bench", help="measure every variant of a model in one run")
    bench.add_argument("--model", help="model directory (default: the shipped model)")
    bench.add_argument("--json", help="write the figures here")
    bench.add_argument("--examples", type=int, default=3000, help="evaluation moments")
    bench.add_argument("--runs", type=int, default=2000, help="timed invokes per variant")
    bench.add_argument("--data", default=str(real.DEFAULT_DATA), help="folder with the real traces")
    bench.add_argument(
        "--real-per-trace",
        type=int,
        default=300,
        help="evaluation moments per real trace (0: synthetic only)",
    )
    bench.add_argument(
        "--gru-export",
        choices=["unrolled", "loop"],
        help="convert a GRU model in this export form (default: as its config.json says)",
    )
    bench.set_defaults(func=cmd_bench)

    export = sub.add_parser("export", help="install a model directory into the registry")
    export.add_argument("--model", default=str(stages.DEFAULT_OUT))
    export.add_argument("--data-dir", help="registry of this data dir (default: as the app)")
    export.add_argument(
        "--shipped", action="store_true", help="replace the model that ships with the app instead"
    )
    export.add_argument(
        "--release-key",
        help="with --shipped: the release's private Ed25519 key (PEM) to sign the model with",
    )
    export.set_defaults(func=cmd_export)
    realism = sub.add_parser(
        "realism", help="the synthetic generator's statistics against the real data, side by side"
    )
    realism.add_argument(
        "--data",
        default=str(real.DEFAULT_DATA),
        help="folder with the real traces and time-use/ (default $TIME_SCULPTOR_TRACES, else "
        "data/; docs/data.md)",
    )
    realism.add_argument(
        "--personas", type=int, default=60, help="synthetic people (60: as the shipped model's)"
    )
    realism.add_argument("--weeks", type=int, default=2, help="weeks per synthetic person")
    realism.add_argument("--seed", type=int, default=0, help="synthetic corpus seed")
    realism.add_argument("--json", help="write the figures here")
    realism.set_defaults(func=cmd_realism)
    # Subcommands that live with their own modules.
    plan_simulate.extend(simulate.register(sub))
    app_head_prior.register(sub)
    timing_prior.register(sub)
    tune.register(sub)
    register_federated(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except StageError as exc:
        print(f"sculptor-train: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        line = missing_extra(exc)
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
