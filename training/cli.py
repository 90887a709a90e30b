"""`sculptor-train`: offline pretraining, fine-tuning from the user's store, and export.

Runs Keras 3 on TensorFlow (CPU here) or on JAX where KERAS_BACKEND=jax is set (a GPU
machine); conversion to TFLite always needs TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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


DEFAULT_OUT = Path("runs/pretrained")
PROBE_PERSONAS, PROBE_SEED, PROBE_SIZE = 14, 12345, 4000
EVAL_PERSONAS, EVAL_SEED = 10, 2024


def _keras():
    import keras

    return keras


def _seed_everything(seed: int) -> None:
    """Seed Python, numpy and the backend; make TensorFlow's kernels deterministic too."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _fit(
    model,
    train,
    held_out,
    *,
    epochs: int,
    batch_size: int,
    log_dir: Path | None,
    prune: float = 0.0,
) -> dict:
    from edge_model.keras_model import fit_targets

    keras = _keras()
    callbacks: list = []
    if prune > 0:
        from edge_model.compress import MagnitudePruning

        steps = epochs * -(-len(train) // batch_size)
        # Ramp sparsity over the first 60% of training, then let the survivors recover.
        callbacks.append(MagnitudePruning(prune, begin_step=0, end_step=int(0.6 * steps)))
    else:
        # Early stopping would cut a pruning schedule short; without pruning it saves time.
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        )
    if log_dir is not None and keras.backend.backend() == "tensorflow":
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir)))
    history = model.fit(
        train.inputs,
        fit_targets(model, train.targets),
        sample_weight=train.weights,
        validation_data=(held_out.inputs, fit_targets(model, held_out.targets), held_out.weights),
        epochs=epochs,
        batch_size=batch_size,
        verbose=2,
        callbacks=callbacks,
    )
    return {k: [round(float(x), 4) for x in v] for k, v in history.history.items()}


def configure_device(mixed_precision: bool = False) -> str:
    """Use the accelerator when there is one (all its GPUs); return what was chosen.

    TensorFlow: MirroredStrategy over several GPUs; JAX (the lent GPU machine has no
    TensorFlow): data parallel over several GPUs. Mixed precision (mixed_float16 on TensorFlow,
    mixed_bfloat16 on JAX) only when asked: on an H100 it made this small model 1.4-2x SLOWER
    per epoch than float32 (README, "Training on a GPU").
    """
    keras = _keras()
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if gpus:
            if mixed_precision:
                keras.mixed_precision.set_global_policy("mixed_bfloat16")
            if len(gpus) > 1:
                keras.distribution.set_distribution(keras.distribution.DataParallel(devices=gpus))
            policy = keras.mixed_precision.global_policy().name
            return f"jax on {len(gpus)} GPU(s) ({gpus[0].device_kind}), {policy}"
        return "jax on CPU, float32"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            if mixed_precision:
                keras.mixed_precision.set_global_policy("mixed_float16")
            policy = keras.mixed_precision.global_policy().name
            return f"tensorflow on {len(gpus)} GPU(s), {policy}"
        return "tensorflow on CPU, float32"
    return f"{backend}, float32"


def _strategy_scope():
    """Return tf.distribute's MirroredStrategy scope on several GPUs, else a no-op context."""
    import contextlib

    if _keras().backend.backend() == "tensorflow":
        import tensorflow as tf

        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy().scope()
    return contextlib.nullcontext()


def _can_convert() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


def synthetic_examples(personas: int, weeks: int, seed: int, per_hour: float = 4.0):
    """Return examples from the synthetic corpus, break acceptance labelled by each persona."""
    import numpy as np

    from training import synthetic
    from training.dataset import Examples, examples_from_spans

    rng = np.random.default_rng(seed)
    parts = []
    for persona, spans in synthetic.corpus(personas, weeks, seed):

        def label(persona=persona, **kw):
            return synthetic.break_acceptance_probability(persona, **kw)

        parts.append(examples_from_spans(spans, rng, per_hour=per_hour, acceptance=label))
    return Examples.concat(parts)


REPRESENTATIVE_SIZE = 1000  # int8 calibration moments (see dataset.representative_inputs)


def _representative(examples, count: int, rng):
    from training.dataset import representative_inputs

    return representative_inputs(examples, count, rng)


def config_from_args(args: argparse.Namespace):
    """Return the ModelConfig that pretrain's architecture flags ask for (defaults elsewhere)."""
    from edge_model.keras_model import ModelConfig

    chosen = {
        name: getattr(args, name)
        for name in ("encoder", "hidden", "heads", "blocks", "dropout")
        if getattr(args, name, None) is not None
    }
    return ModelConfig(**chosen)


def cmd_pretrain(args: argparse.Namespace) -> int:
    import numpy as np

    from edge_model.keras_model import build_model, compile_model

    _seed_everything(args.seed)
    device = configure_device(mixed_precision=args.precision == "mixed")
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    examples = synthetic_examples(args.personas, args.weeks, args.seed, args.moments_per_hour)
    data = (
        f"synthetic routine generator: {args.personas} people x {args.weeks} weeks, "
        f"seed {args.seed}"
    )
    real_info = None
    real_dir = None if args.real_data in (None, "", "none") else Path(args.real_data)
    if real_dir is not None and not real_dir.is_dir():
        print(
            f"sculptor-train: no real traces at {real_dir}; synthetic people only", file=sys.stderr
        )
        real_dir = None
    if real_dir is not None:
        from training import real
        from training.dataset import Examples

        found, count = real.examples(
            real_dir,
            rng,
            part="head",
            exclude=args.real_exclude,
            per_hour=args.moments_per_hour,
        )
        found.weights = found.weights * args.real_weight
        examples = Examples.concat([examples, found])
        real_info = {
            "dir": str(args.real_data),
            "traces": count,
            "examples": len(found),
            "exclude": args.real_exclude,
            "fraction": real.SPLIT,
            "weight": args.real_weight,
        }
        data += (
            f"; {count} real traces from {args.real_data} (first {real.SPLIT:.0%} of each, "
            f"{len(found)} moments, weight {args.real_weight})"
        )
    train, held_out = examples.split(0.9, rng)
    print(
        f"corpus: {data} -> {len(examples)} examples in "
        f"{time.perf_counter() - started:.1f}s; training on {device}",
        flush=True,
    )
    config = config_from_args(args)
    fit_train, fit_held_out = train, held_out
    if args.teacher:
        from training import distill

        try:
            teacher = distill.load_teacher(Path(args.teacher))
            fit_train = distill.teacher_targets(
                teacher, train, args.distill_alpha, args.distill_temperature
            )
        except ValueError as exc:
            print(f"sculptor-train: {exc}", file=sys.stderr)
            return 2
        fit_held_out = distill.with_targets(
            held_out, distill.one_hot(held_out.targets["next_category"])
        )
        print(
            f"distilling from {args.teacher} (alpha {args.distill_alpha}, "
            f"temperature {args.distill_temperature})",
            flush=True,
        )
    with _strategy_scope():
        model = compile_model(
            build_model(config), args.learning_rate, soft_next_category=bool(args.teacher)
        )
    started = time.perf_counter()
    history = _fit(
        model,
        fit_train,
        fit_held_out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        log_dir=Path(args.out) / "logs" if args.tensorboard else None,
        prune=args.prune,
    )
    fit_s = time.perf_counter() - started
    epochs_run = len(history.get("loss", []))
    print(
        f"fit: {epochs_run} epochs in {fit_s:.1f}s ({fit_s / max(epochs_run, 1):.2f}s/epoch, "
        f"{len(train) * epochs_run / fit_s:,.0f} examples/s) on {device}",
        flush=True,
    )
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    training = {
        "data": data,
        "real_data": real_info,
        "examples": len(examples),
        "epochs_run": epochs_run,
        "history": history,
        "seed": args.seed,
        "backend": _keras().backend.backend(),
        "device": device,
        "fit_seconds": round(fit_s, 2),
        "prune": args.prune,
        "personas": args.personas,
        "weeks": args.weeks,
        "moments_per_hour": args.moments_per_hour,
        "learning_rate": args.learning_rate,
        "teacher": (
            {
                "model": str(args.teacher),
                "alpha": args.distill_alpha,
                "temperature": args.distill_temperature,
            }
            if args.teacher
            else None
        ),
    }
    if not _can_convert():
        # The GPU machine has no TensorFlow: keep the weights; convert where TensorFlow is.
        out.mkdir(parents=True)
        model.save(out / "model.keras")
        (out / "config.json").write_text(config.to_json() + "\n")
        (out / "training.json").write_text(json.dumps(training, indent=2) + "\n")
        print(
            f"TensorFlow is not installed here: saved the Keras model to {out}; run "
            f"`sculptor-train convert --model {out}` where it is."
        )
        return 0
    return _write(model, config, out, train, held_out, rng, training)


def _write(model, config, out: Path, train, held_out, rng, training: dict) -> int:
    from training.export import OutsideTolerance, write_model_dir

    try:
        manifest = write_model_dir(
            model,
            config,
            out,
            representative=_representative(train, REPRESENTATIVE_SIZE, rng),
            held_out_inputs=held_out.inputs,
            held_out_targets=held_out.targets,
            parent_version=None,
            training=training,
        )
    except OutsideTolerance as exc:
        print(
            f"sculptor-train: {exc}; no model written (the Keras weights are in "
            f"{out / 'model.keras'})",
            file=sys.stderr,
        )
        return 2
    _print_summary(manifest, out)
    return 0


def cmd_evaluate_plan(args: argparse.Namespace) -> int:
    from training import plan_eval

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


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert a Keras-only model directory (e.g. trained on the GPU machine) into a full one."""
    import numpy as np

    from edge_model.keras_model import ModelConfig, build_model

    source = Path(args.model)
    training = json.loads((source / "training.json").read_text())
    saved_config = ModelConfig.from_dict(json.loads((source / "config.json").read_text()))
    trained = _keras().models.load_model(source / "model.keras", compile=False)
    # Rebuild under this machine's float32 policy (the GPU run may have used mixed precision).
    model = build_model(saved_config)
    model.set_weights(trained.get_weights())
    rng = np.random.default_rng(training["seed"])
    examples = synthetic_examples(
        training["personas"], training["weeks"], training["seed"], training["moments_per_hour"]
    )
    train, held_out = examples.split(0.9, rng)
    out = Path(args.out) if args.out else source
    return _write(model, saved_config, out, train, held_out, rng, training)


def _print_summary(manifest, out: Path) -> None:
    m = manifest.metrics
    print(
        f"model {manifest.version} -> {out}: {manifest.size_bytes:,} bytes "
        f"({manifest.compression['variant']}); next-category top-1 "
        f"{m['tflite']['next_category_top1']:.3f}; Keras/TFLite top-1 agreement "
        f"{m['parity']['top1_agreement']:.4f} ({m['parity']['top1_agreement_tie_aware']:.4f} "
        "tie-aware)"
    )
    for name, report in m["variants"].items():
        print(
            f"  {name:>8}: {report['size_bytes']:>8,} bytes, top-1 agreement "
            f"{report['parity']['top1_agreement']:.4f} strict, "
            f"{report['parity']['top1_agreement_tie_aware']:.4f} tie-aware, accept max |Δ| "
            f"{report['parity']['accept_max_abs_diff']:.3f}"
        )


REPLAY_PERSONAS = 30  # people of the base model's synthetic corpus a fine-tune replays from


def _replay_corpus(base_training: dict):
    """Return (examples, description): part of the synthetic corpus the base was trained on."""
    personas = min(int(base_training.get("personas") or REPLAY_PERSONAS), REPLAY_PERSONAS)
    seed = int(base_training.get("seed") or 0)
    return synthetic_examples(personas, 1, seed), {"personas": personas, "weeks": 1, "seed": seed}


def cmd_finetune(args: argparse.Namespace) -> int:
    import numpy as np

    from desktop.config import data_dir
    from desktop.store import DB_NAME, Store
    from edge_model.keras_model import ModelConfig, compile_model
    from edge_model.manifest import KERAS_NAME, MANIFEST_NAME
    from edge_model.registry import Registry
    from training import update_gate
    from training.dataset import (
        Examples,
        examples_from_feedback,
        examples_from_spans,
        held_out_cut,
        with_replay,
    )
    from training.export import OutsideTolerance, write_model_dir

    keras = _keras()
    _seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    directory = data_dir(args.data_dir)
    db_path = directory / DB_NAME
    if not db_path.is_file():
        print(f"sculptor-train: no store at {db_path}", file=sys.stderr)
        return 2
    store = Store(db_path)
    spans = store.all_events()
    records = store.suggestions()
    store.close()
    registry = Registry(directory / "models")
    in_use = registry.best()  # what the app serves: the model a new one must beat
    base = Path(args.base) if args.base else None
    if base is None:
        if in_use is None:
            print("sculptor-train: no base model to fine-tune from", file=sys.stderr)
            return 2
        base, parent = in_use.path, in_use.manifest.version
    else:
        parent = json.loads((base / MANIFEST_NAME).read_text())["version"]
    base_manifest = json.loads((base / MANIFEST_NAME).read_text())
    config = ModelConfig.from_dict(json.loads((base / "config.json").read_text()))
    model = keras.models.load_model(base / KERAS_NAME, compile=False)
    compile_model(model, args.learning_rate)
    # The newest answers (or activity) are held out: the gate compares the two models on them.
    answered = [r.created_at for r in records if r.outcome is not None]
    cut = (
        float("inf")  # nothing held out: everything trains, nothing to compare on
        if args.no_gate
        else held_out_cut(spans, answered, args.held_out, update_gate.MIN_ANSWERS)
    )
    activity = examples_from_spans(spans, rng, per_hour=args.moments_per_hour, until=cut)
    recent = examples_from_spans(spans, rng, per_hour=args.moments_per_hour, since=cut)
    feedback = examples_from_feedback([r for r in records if r.created_at < cut], spans)
    held_answers = examples_from_feedback([r for r in records if r.created_at >= cut], spans)
    examples = Examples.concat([activity, feedback])
    if len(examples) < 20:
        print(
            f"sculptor-train: only {len(examples)} examples in the store before the newest "
            "data held out to compare; need at least 20",
            file=sys.stderr,
        )
        return 2
    train, held_out = examples.split(0.85, rng)
    # Parity is checked on the user's moments plus a fixed synthetic probe set: a few hundred
    # moments alone would make a 99% agreement gate a coin toss.
    probe = synthetic_examples(PROBE_PERSONAS, 1, PROBE_SEED)
    probe = probe.take(np.arange(min(PROBE_SIZE, len(probe))))
    # Logged suggestions are few and precious: all of them train, and they are also checked.
    train = Examples.concat([train, feedback])
    user_examples = len(train)
    corpus, replayed = _replay_corpus(base_manifest.get("training") or {})
    train = with_replay(train, corpus, args.replay, rng)
    print(
        f"store: {len(spans)} spans, {len(feedback)} answered suggestions -> {len(examples)} "
        f"examples, + {len(train) - user_examples} replayed from the pretraining corpus; held "
        f"out to compare: {len(held_answers)} answers, {len(recent)} moments",
        flush=True,
    )
    history = _fit(
        model,
        train,
        held_out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        log_dir=None,
        prune=args.prune,
    )
    with tempfile.TemporaryDirectory(prefix="ts-finetune-") as tmp:
        try:
            manifest = write_model_dir(
                model,
                config,
                Path(tmp),
                representative=_representative(train, 200, rng),
                held_out_inputs=held_out.inputs,
                held_out_targets=held_out.targets,
                parent_version=parent,
                parity_inputs=Examples.concat([examples, probe]).inputs,
                training={
                    "data": f"user store {db_path}: {len(spans)} spans, {len(feedback)} "
                    "answered suggestions (inverse-propensity weighted, cap 10)",
                    "examples": len(examples),
                    "replay": replayed
                    | {"per_user_example": args.replay, "examples": len(train) - user_examples},
                    "history": history,
                    "seed": args.seed,
                    "backend": keras.backend.backend(),
                },
            )
        except OutsideTolerance as exc:
            print(
                f"sculptor-train: {exc}; nothing installed: the app keeps its model",
                file=sys.stderr,
            )
            return 2
        compared = update_gate.compare(
            in_use.path if in_use is not None else base, Path(tmp), held_answers, recent
        )
        if args.no_gate:
            compared |= {"installed": True, "reason": "installed without the gate (--no-gate)"}
        manifest.metrics["update"] = compared
        (Path(tmp) / MANIFEST_NAME).write_text(manifest.to_json())
        entry = {"version": manifest.version, "parent_version": parent, "at": time.time()}
        registry.record_update(entry | compared)
        if not compared["installed"]:
            print(
                f"sculptor-train: model {manifest.version} not installed: {compared['reason']}; "
                f"the app keeps {compared['in_use_version']}"
            )
            return 0
        installed = registry.install(Path(tmp))
    _print_summary(manifest, installed)
    print(f"installed: {compared['reason']}")
    return 0


def evaluation_set(seed: int = EVAL_SEED):
    """Return the fixed evaluation examples: held-out synthetic people (seeded)."""
    return synthetic_examples(EVAL_PERSONAS, 1, seed)


def cmd_bench(args: argparse.Namespace) -> int:
    import numpy as np

    from edge_model.registry import SHIPPED_DIR
    from training import real as real_traces
    from training.bench import heads_table, run_bench, table
    from training.dataset import Examples

    model_dir = Path(args.model) if args.model else SHIPPED_DIR
    examples = evaluation_set()
    rng = np.random.default_rng(0)
    synthetic = examples.take(
        rng.choice(len(examples), min(args.examples, len(examples)), replace=False)
    )
    real_rng = np.random.default_rng(EVAL_SEED)
    real, traces = (
        real_traces.examples(Path(args.data), real_rng, part="tail", per_trace=args.real_per_trace)
        if args.real_per_trace > 0
        else (Examples.empty(), 0)
    )
    sample = Examples.concat([synthetic, real])
    is_real = np.arange(len(sample)) >= len(synthetic)
    # Calibration moments from real and synthetic spans alike; the real ones from before each
    # trace's cut, so no evaluated moment calibrates the int8 ranges.
    calibration = examples
    if args.real_per_trace > 0:
        head, _ = real_traces.examples(Path(args.data), real_rng, part="head")
        calibration = Examples.concat([examples, head])
    representative = _representative(calibration, REPRESENTATIVE_SIZE, rng)
    result = run_bench(
        model_dir,
        sample.inputs,
        sample.targets["next_category"],
        representative,
        runs=args.runs,
        sources={"real": is_real, "synthetic": ~is_real},
        targets=sample.targets,
    )
    result["evaluation_set"] = (
        f"{len(synthetic)} moments of {EVAL_PERSONAS} held-out synthetic people (seed {EVAL_SEED})"
        f" + {len(real)} moments of {traces} real traces in {args.data} (each after its "
        f"{real_traces.SPLIT:.0%} cut: never trained on)"
    )
    print(table(result))
    print(result["evaluation_set"])
    print("Time until the current activity ends, and switch-soon, float model vs the window:")
    print(heads_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from desktop.config import Config
    from desktop.importers import ImportFailed, parse_csv, prepare
    from edge_model import timing
    from edge_model.registry import SHIPPED_DIR
    from training.evaluate import evaluate
    from training.next_app import head as app_head

    path = Path(args.events)
    try:
        parsed = parse_csv(path.read_bytes(), str(path))
    except (OSError, ImportFailed) as exc:
        print(f"sculptor-train: {exc}", file=sys.stderr)
        return 2
    events = sorted(prepare(parsed, Config()), key=lambda e: e.start)
    prior = _prior_path(args.app_head, app_head.DEFAULT_PRIOR)
    timing_prior = _prior_path(args.timing_head, timing.SHIPPED_PRIOR)
    if timing_prior is not None and timing.TimingHead.load(timing_prior) is None:
        print(f"sculptor-train: {timing_prior} is not a timing head", file=sys.stderr)
        return 2
    try:
        result = evaluate(
            events,
            Path(args.model) if args.model else SHIPPED_DIR,
            args.split,
            prior_path=prior,
            timing_prior_path=timing_prior,
        )
    except (OSError, ValueError) as exc:
        print(f"sculptor-train: {exc}", file=sys.stderr)
        return 2
    result["events_file"] = str(path)
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


def _prior_path(text: str | None, shipped: Path) -> Path | None:
    """Return a head's prior from its flag: the shipped one by default, None for 'none'."""
    return shipped if text is None else None if text == "none" else Path(text)


def cmd_export(args: argparse.Namespace) -> int:
    from desktop.config import data_dir
    from edge_model.manifest import ModelRefused
    from edge_model.registry import SHIPPED_DIR, Registry

    source = Path(args.model)
    try:
        if args.shipped:
            from edge_model import signing
            from edge_model.features import SPEC_VERSION
            from edge_model.manifest import read_manifest_dict, verify

            if not args.release_key:
                print(
                    "sculptor-train: --shipped needs --release-key FILE (the release's private "
                    "Ed25519 key; docs/reliability.md, 'Signing a release')",
                    file=sys.stderr,
                )
                return 2
            key = signing.load_private_key(Path(args.release_key))
            if signing.public_hex(key) != signing.RELEASE_PUBLIC_KEY:
                print(
                    f"sculptor-train: {args.release_key} is not the release key whose public "
                    "half ships in edge_model/signing.py",
                    file=sys.stderr,
                )
                return 2
            verify(source, SPEC_VERSION)
            if SHIPPED_DIR.exists():
                shutil.rmtree(SHIPPED_DIR)
            SHIPPED_DIR.mkdir(parents=True)
            for name in (
                "manifest.json",
                "model.tflite",
                "model.keras",
                "config.json",
                "MODEL_CARD.md",
            ):
                shutil.copy2(source / name, SHIPPED_DIR / name)
            signing.sign(SHIPPED_DIR, read_manifest_dict(SHIPPED_DIR), key, "release")
            print(f"shipped model replaced by {source}, signed with the release key")
            return 0
        target = Registry(data_dir(args.data_dir) / "models").install(source)
    except (ModelRefused, FileExistsError, ValueError) as exc:
        print(f"sculptor-train: {exc}", file=sys.stderr)
        return 2
    print(f"installed {target}")
    return 0


def cmd_realism(args: argparse.Namespace) -> int:
    from training.realism import compare, table

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


def build_parser() -> argparse.ArgumentParser:
    from training import real
    from training.next_app import prior as app_head_prior

    parser = argparse.ArgumentParser(prog="sculptor-train", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    pre = sub.add_parser(
        "pretrain", help="train a model from scratch on synthetic people and the real traces"
    )
    pre.add_argument("--out", default=str(DEFAULT_OUT), help="model directory to write")
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
        "--real-data",
        default=str(real.DEFAULT_DATA),
        help="also learn from the real traces in this folder, the first 70%% of each (the rest "
        "stays unseen for evaluate and bench); default ../shared/data, 'none' for synthetic only",
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
    bench.set_defaults(func=cmd_bench)

    export = sub.add_parser("export", help="install a model directory into the registry")
    export.add_argument("--model", default=str(DEFAULT_OUT))
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
        help="folder with the real traces and time-use/ (default ../shared/data)",
    )
    realism.add_argument(
        "--personas", type=int, default=60, help="synthetic people (60: as the shipped model's)"
    )
    realism.add_argument("--weeks", type=int, default=2, help="weeks per synthetic person")
    realism.add_argument("--seed", type=int, default=0, help="synthetic corpus seed")
    realism.add_argument("--json", help="write the figures here")
    realism.set_defaults(func=cmd_realism)
    # Subcommands that live with their own packages (argparse only at import time).
    from training import plan_simulate, simulate, timing_prior, tune
    from training.federated import register as register_federated

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
    except ModuleNotFoundError as exc:
        line = missing_extra(exc)
        if line is None:
            raise
        print(line, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
