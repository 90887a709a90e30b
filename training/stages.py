"""The training stages as functions: each takes a frozen spec and returns a typed result.

    pretrain(PretrainSpec) -> PretrainResult      a network from synthetic people and real traces
    finetune(FinetuneSpec) -> FinetuneResult      the app's model on the user's store, gated
    convert(ConvertSpec) -> ConvertResult         a Keras-only run (a GPU machine) made whole
    export(ExportSpec) -> ExportResult            a model directory into the registry (or shipped)
    evaluate(EvaluateSpec) -> EvaluateResult      next app / category / timing on one history

`sculptor-train` (training/cli.py) builds the specs from its flags and prints the results;
`sculptor-train tune` calls `pretrain` directly. A stage that cannot go on raises StageError
with one line saying why. Progress lines go to `log` (stdout by default); Keras prints its own
per-epoch lines.

Keras, TensorFlow and everything built on them (edge_model.keras_model, edge_model.compress,
training.export, training.update_gate) are imported inside the stages that train or convert,
so that the CLI starts, and says which extra is missing, without the train extra.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop.config import Config, data_dir
from desktop.importers import ImportFailed, parse_csv, prepare
from desktop.store import DB_NAME, Store
from edge_model import registry, signing, timing
from edge_model.features import SPEC_VERSION
from edge_model.manifest import (
    KERAS_NAME,
    MANIFEST_NAME,
    Manifest,
    ModelRefused,
    read_manifest_dict,
    verify,
)
from edge_model.registry import SHIPPED_DIR, Registry
from training import distill, real
from training.dataset import (
    Examples,
    examples_from_feedback,
    examples_from_spans,
    held_out_cut,
    representative_inputs,
    with_replay,
)
from training.evaluate import evaluate as evaluate_history
from training.next_app import head as app_head
from training.synthetic import days, reactions

if TYPE_CHECKING:
    from edge_model.keras_model import ModelConfig

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_OUT = Path("runs/pretrained")
PROBE_PERSONAS, PROBE_SEED, PROBE_SIZE = 14, 12345, 4000
EVAL_PERSONAS, EVAL_SEED = 10, 2024
REPRESENTATIVE_SIZE = 1000  # int8 calibration moments (see dataset.representative_inputs)
REPLAY_PERSONAS = 30  # people of the base model's synthetic corpus a fine-tune replays from
FINETUNE_MIN_EXAMPLES = 20
# The unit groups structured pruning can shrink (edge_model.compress.UNIT_GROUPS, named here so
# the CLI lists them without importing Keras).
UNIT_GROUPS = ("hidden", "context_hidden", "state_dim", "category_dim", "app_dim")
PRUNE_IMPORTANCE_MOMENTS = 2000  # training moments whose activations rank the units


class StageError(Exception):
    """A stage cannot go on; the message is one line for the user."""


def _progress(line: str) -> None:
    print(line, flush=True)


# --- specs and results ---------------------------------------------------------------------


@dataclass(frozen=True)
class PretrainSpec:
    """What `pretrain` trains: the corpus, the fit and the architecture (None: the defaults)."""

    out: Path = DEFAULT_OUT
    personas: int = 40
    weeks: int = 2
    epochs: int = 8
    batch_size: int = 256
    learning_rate: float = 2e-3
    moments_per_hour: float = 4.0
    seed: int = 0
    tensorboard: bool = False  # log to out/logs
    precision: str = "float32"  # or "mixed": mixed precision on a GPU
    prune: float = 0.0  # target weight sparsity (0..1)
    # Structured pruning: after training, remove this fraction of the units of each group in
    # prune_groups (edge_model.compress), then fine-tune for prune_fine_tune_epochs.
    prune_units: float = 0.0
    prune_groups: tuple[str, ...] = ("hidden",)
    prune_fine_tune_epochs: int = 3
    real_data: Path | None = None  # the real traces' folder; None: synthetic people only
    real_exclude: tuple[str, ...] = ()
    real_weight: float = 1.0
    teacher: Path | None = None  # model directory to distill next-category from
    distill_alpha: float = 0.5
    distill_temperature: float = 2.0
    architecture: ModelConfig | None = None


def manifest_summary(manifest: Manifest, out: Path) -> str:
    """Return the lines that say what a written model is: size, variant, top-1, parity."""
    m = manifest.metrics
    lines = [
        f"model {manifest.version} -> {out}: {manifest.size_bytes:,} bytes "
        f"({manifest.compression['variant']}); next-category top-1 "
        f"{m['tflite']['next_category_top1']:.3f}; Keras/TFLite top-1 agreement "
        f"{m['parity']['top1_agreement']:.4f} ({m['parity']['top1_agreement_tie_aware']:.4f} "
        "tie-aware)"
    ]
    for name, report in m["variants"].items():
        lines.append(
            f"  {name:>8}: {report['size_bytes']:>8,} bytes, top-1 agreement "
            f"{report['parity']['top1_agreement']:.4f} strict, "
            f"{report['parity']['top1_agreement_tie_aware']:.4f} tie-aware, accept max |Δ| "
            f"{report['parity']['accept_max_abs_diff']:.3f}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class PretrainResult:
    out: Path
    manifest: Manifest | None  # None: no TensorFlow here, only the Keras model was saved
    training: dict[str, Any]

    def summary(self) -> str:
        """Return what was written, or where to convert a Keras-only run."""
        if self.manifest is None:
            return (
                f"TensorFlow is not installed here: saved the Keras model to {self.out}; run "
                f"`sculptor-train convert --model {self.out}` where it is."
            )
        return manifest_summary(self.manifest, self.out)


@dataclass(frozen=True)
class FinetuneSpec:
    """What `finetune` reads (the app's data dir), starts from, and how it holds data out."""

    data_dir: str | None = None  # None: as the app
    base: Path | None = None  # None: the model the app serves
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 5e-4
    moments_per_hour: float = 20.0
    seed: int = 0
    prune: float = 0.0
    held_out: float = 0.2  # share of the newest answers (or activity) held out for the gate
    replay: float = 2.0  # moments of the pretraining corpus per moment of the user's
    gate: bool = True  # False: hold nothing out and install without comparing


@dataclass(frozen=True)
class FinetuneResult:
    manifest: Manifest
    installed: Path | None  # None: the gate kept the model in use
    compared: dict[str, Any]  # the update gate's comparison (also in the registry's log)


@dataclass(frozen=True)
class ConvertSpec:
    model: Path  # a Keras-only model directory
    out: Path | None = None  # None: in place


@dataclass(frozen=True)
class ConvertResult:
    out: Path
    manifest: Manifest


@dataclass(frozen=True)
class ExportSpec:
    model: Path = DEFAULT_OUT
    data_dir: str | None = None  # the registry of this data dir (None: as the app)
    shipped: bool = False  # replace the model that ships with the app instead
    release_key: Path | None = None  # with shipped: the release's private Ed25519 key (PEM)


@dataclass(frozen=True)
class ExportResult:
    target: Path
    shipped: bool


@dataclass(frozen=True)
class EvaluateSpec:
    events: Path  # one user's history (CSV import format)
    model: Path = SHIPPED_DIR
    split: float = 0.7  # share of switches to personalize on
    app_head_prior: Path | None = app_head.DEFAULT_PRIOR  # None: fitted from scratch
    timing_prior: Path | None = timing.SHIPPED_PRIOR  # None: fitted from scratch


@dataclass(frozen=True)
class EvaluateResult:
    figures: dict[str, Any]  # the evaluation contract (training.evaluate.evaluate), JSON-ready


# --- shared by the stages --------------------------------------------------------------------


def _keras():
    import keras  # the train extra: only when a stage trains

    return keras


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and the backend; make TensorFlow's kernels deterministic too."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the train extra

        tf.config.experimental.enable_op_determinism()


def fit(
    model,
    train,
    held_out,
    *,
    epochs: int,
    batch_size: int,
    log_dir: Path | None,
    prune: float = 0.0,
) -> dict:
    """Fit `model` (early stopping unless pruning); return its rounded per-epoch history."""
    from edge_model.keras_model import fit_targets  # Keras

    keras = _keras()
    callbacks: list = []
    if prune > 0:
        from edge_model.compress import MagnitudePruning  # Keras

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
        import jax  # only where KERAS_BACKEND=jax

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
        import tensorflow as tf  # the train extra

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
    if _keras().backend.backend() == "tensorflow":
        import tensorflow as tf  # the train extra

        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy().scope()
    return contextlib.nullcontext()


def can_convert() -> bool:
    """Return True where TensorFlow is installed (conversion to TFLite needs it)."""
    return importlib.util.find_spec("tensorflow") is not None


def synthetic_examples(personas: int, weeks: int, seed: int, per_hour: float = 4.0) -> Examples:
    """Return examples from the synthetic corpus, break acceptance labelled by each persona."""
    rng = np.random.default_rng(seed)
    parts = []
    for persona, spans in days.corpus(personas, weeks, seed):

        def label(persona=persona, **kw):
            return reactions.break_acceptance_probability(persona, **kw)

        parts.append(examples_from_spans(spans, rng, per_hour=per_hour, acceptance=label))
    return Examples.concat(parts)


def evaluation_set(seed: int = EVAL_SEED) -> Examples:
    """Return the fixed evaluation examples: held-out synthetic people (seeded)."""
    return synthetic_examples(EVAL_PERSONAS, 1, seed)


def replay_corpus(base_training: dict) -> tuple[Examples, dict[str, int]]:
    """Return (examples, description): part of the synthetic corpus the base was trained on."""
    personas = min(int(base_training.get("personas") or REPLAY_PERSONAS), REPLAY_PERSONAS)
    seed = int(base_training.get("seed") or 0)
    return synthetic_examples(personas, 1, seed), {"personas": personas, "weeks": 1, "seed": seed}


def _write(
    model, config, out: Path, train, held_out, rng, training: dict, pruning: dict | None = None
) -> Manifest:
    """Convert, gate and write the model directory; StageError when no variant is in tolerance."""
    from training.export import OutsideTolerance, write_model_dir  # TensorFlow

    try:
        return write_model_dir(
            model,
            config,
            out,
            representative=representative_inputs(train, REPRESENTATIVE_SIZE, rng),
            held_out_inputs=held_out.inputs,
            held_out_targets=held_out.targets,
            parent_version=None,
            training=training,
            pruning=pruning,
        )
    except OutsideTolerance as exc:
        raise StageError(
            f"{exc}; no model written (the Keras weights are in {out / 'model.keras'})"
        ) from None


def _top1(model, examples: Examples) -> float:
    probs = model.predict(examples.inputs, verbose=0, batch_size=512)["next_category"]
    labels = examples.targets["next_category"]
    if labels.ndim == 2:  # distillation's probability rows
        labels = np.argmax(labels, -1)
    return round(float((np.argmax(probs, -1) == labels).mean()), 4)


def prune_structurally(
    model, config: ModelConfig, spec: PretrainSpec, train: Examples, held_out: Examples, log
) -> tuple[Any, ModelConfig, dict, dict]:
    """Remove units from a trained model and fine-tune it: (model, config, record, history).

    Units are ranked on a seeded sample of training moments; the record (the manifest's
    `compression.pruning`) holds the units before and after and the held-out next-category
    top-1 of the full, the just-pruned and the fine-tuned model.
    """
    from edge_model.compress import prune_units, pruning_record, unit_targets  # Keras
    from edge_model.keras_model import compile_model  # Keras

    try:
        targets = unit_targets(config, spec.prune_units, spec.prune_groups)
        sample = train.take(
            np.random.default_rng(spec.seed + 1).choice(
                len(train), min(PRUNE_IMPORTANCE_MOMENTS, len(train)), replace=False
            )
        )
        before = _top1(model, held_out)
        small, pruned = prune_units(model, config, targets, sample.inputs)
    except ValueError as exc:
        raise StageError(str(exc)) from None
    learning_rate = spec.learning_rate / 2
    with _strategy_scope():
        compile_model(pruned, learning_rate, soft_next_category=spec.teacher is not None)
    just_pruned = _top1(pruned, held_out)
    history = fit(
        pruned,
        train,
        held_out,
        epochs=spec.prune_fine_tune_epochs,
        batch_size=spec.batch_size,
        log_dir=None,
    )
    record = pruning_record(config, small, spec.prune_units, spec.prune_fine_tune_epochs) | {
        "fine_tune_learning_rate": learning_rate,
        "held_out_top1": {
            "full": before,
            "pruned": just_pruned,
            "fine_tuned": _top1(pruned, held_out),
        },
        "params": {"before": int(model.count_params()), "after": int(pruned.count_params())},
    }
    log(
        "pruned "
        + ", ".join(f"{g} {u['before']}->{u['after']}" for g, u in record["units"].items())
        + f"; held-out top-1 {before:.3f} full, {just_pruned:.3f} pruned, "
        f"{record['held_out_top1']['fine_tuned']:.3f} after {len(history.get('loss', []))} "
        "fine-tune epochs"
    )
    return pruned, small, record, history


# --- the stages ------------------------------------------------------------------------------


def pretrain(spec: PretrainSpec, log: Callable[[str], None] = _progress) -> PretrainResult:
    """Train a network from scratch on synthetic people (and the real traces' first part)."""
    from edge_model.keras_model import ModelConfig, build_model, compile_model  # Keras

    config = spec.architecture if spec.architecture is not None else ModelConfig()
    if spec.prune_units:  # a bad request fails before training, not after
        from edge_model.compress import unit_targets  # Keras

        try:
            unit_targets(config, spec.prune_units, spec.prune_groups)
        except ValueError as exc:
            raise StageError(str(exc)) from None
        if config.encoder != "gru":
            raise StageError(f"--prune-units needs the GRU encoder, not {config.encoder!r}")
    seed_everything(spec.seed)
    device = configure_device(mixed_precision=spec.precision == "mixed")
    rng = np.random.default_rng(spec.seed)
    started = time.perf_counter()
    examples = synthetic_examples(spec.personas, spec.weeks, spec.seed, spec.moments_per_hour)
    data = (
        f"synthetic routine generator: {spec.personas} people x {spec.weeks} weeks, "
        f"seed {spec.seed}"
    )
    real_info = None
    real_dir = spec.real_data
    if real_dir is not None and not real_dir.is_dir():
        print(
            f"sculptor-train: no real traces at {real_dir}; synthetic people only", file=sys.stderr
        )
        real_dir = None
    if real_dir is not None:
        found, count = real.examples(
            real_dir,
            rng,
            part="head",
            exclude=list(spec.real_exclude),
            per_hour=spec.moments_per_hour,
        )
        found.weights = found.weights * spec.real_weight
        examples = Examples.concat([examples, found])
        real_info = {
            "dir": Path(real_dir).name,
            "traces": count,
            "examples": len(found),
            "exclude": list(spec.real_exclude),
            "fraction": real.SPLIT,
            "weight": spec.real_weight,
        }
        data += (
            f"; {count} real traces from {real_info['dir']}/ (first {real.SPLIT:.0%} of each, "
            f"{len(found)} moments, weight {spec.real_weight})"
        )
    train, held_out = examples.split(0.9, rng)
    log(
        f"corpus: {data} -> {len(examples)} examples in "
        f"{time.perf_counter() - started:.1f}s; training on {device}"
    )
    fit_train, fit_held_out = train, held_out
    if spec.teacher is not None:
        try:
            teacher = distill.load_teacher(spec.teacher)
            fit_train = distill.teacher_targets(
                teacher, train, spec.distill_alpha, spec.distill_temperature
            )
        except ValueError as exc:
            raise StageError(str(exc)) from None
        fit_held_out = distill.with_targets(
            held_out, distill.one_hot(held_out.targets["next_category"])
        )
        log(
            f"distilling from {spec.teacher} (alpha {spec.distill_alpha}, "
            f"temperature {spec.distill_temperature})"
        )
    with _strategy_scope():
        model = compile_model(
            build_model(config), spec.learning_rate, soft_next_category=spec.teacher is not None
        )
    started = time.perf_counter()
    history = fit(
        model,
        fit_train,
        fit_held_out,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        log_dir=spec.out / "logs" if spec.tensorboard else None,
        prune=spec.prune,
    )
    fit_s = time.perf_counter() - started
    epochs_run = len(history.get("loss", []))
    log(
        f"fit: {epochs_run} epochs in {fit_s:.1f}s ({fit_s / max(epochs_run, 1):.2f}s/epoch, "
        f"{len(train) * epochs_run / fit_s:,.0f} examples/s) on {device}"
    )
    pruning = None
    if spec.prune_units > 0:
        model, config, pruning, fine_tune_history = prune_structurally(
            model, config, spec, fit_train, fit_held_out, log
        )
        history = history | {f"fine_tune_{k}": v for k, v in fine_tune_history.items()}
    out = spec.out
    if out.exists():
        shutil.rmtree(out)
    training = {
        "data": data,
        "real_data": real_info,
        "examples": len(examples),
        "epochs_run": epochs_run,
        "history": history,
        "seed": spec.seed,
        "backend": _keras().backend.backend(),
        "device": device,
        "fit_seconds": round(fit_s, 2),
        "prune": spec.prune,
        "prune_units": spec.prune_units,
        "pruning": pruning,
        "personas": spec.personas,
        "weeks": spec.weeks,
        "moments_per_hour": spec.moments_per_hour,
        "learning_rate": spec.learning_rate,
        "teacher": (
            {
                "model": str(spec.teacher),
                "alpha": spec.distill_alpha,
                "temperature": spec.distill_temperature,
            }
            if spec.teacher is not None
            else None
        ),
    }
    if not can_convert():
        # The GPU machine has no TensorFlow: keep the weights; convert where TensorFlow is.
        out.mkdir(parents=True)
        model.save(out / "model.keras")
        (out / "config.json").write_text(config.to_json() + "\n")
        (out / "training.json").write_text(json.dumps(training, indent=2) + "\n")
        return PretrainResult(out, None, training)
    return PretrainResult(
        out, _write(model, config, out, train, held_out, rng, training, pruning), training
    )


def convert(spec: ConvertSpec) -> ConvertResult:
    """Convert a Keras-only model directory (e.g. trained on the GPU machine) into a full one."""
    from edge_model.keras_model import ModelConfig, build_model  # Keras

    source = spec.model
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
    out = spec.out if spec.out is not None else source
    return ConvertResult(
        out,
        _write(model, saved_config, out, train, held_out, rng, training, training.get("pruning")),
    )


def finetune(spec: FinetuneSpec, log: Callable[[str], None] = _progress) -> FinetuneResult:
    """Fine-tune the app's model on the user's store; install it if it beats the one in use."""
    from edge_model.keras_model import ModelConfig, compile_model  # Keras
    from training import update_gate  # TensorFlow Lite, through training.export
    from training.export import OutsideTolerance, write_model_dir  # TensorFlow

    keras = _keras()
    seed_everything(spec.seed)
    rng = np.random.default_rng(spec.seed)
    directory = data_dir(spec.data_dir)
    db_path = directory / DB_NAME
    if not db_path.is_file():
        raise StageError(f"no store at {db_path}")
    store = Store(db_path)
    spans = store.all_events()
    records = store.suggestions()
    store.close()
    registry = Registry(directory / "models")
    in_use = registry.best()  # what the app serves: the model a new one must beat
    base = spec.base
    if base is None:
        if in_use is None:
            raise StageError("no base model to fine-tune from")
        base, parent = in_use.path, in_use.manifest.version
    else:
        parent = json.loads((base / MANIFEST_NAME).read_text())["version"]
    base_manifest = json.loads((base / MANIFEST_NAME).read_text())
    config = ModelConfig.from_dict(json.loads((base / "config.json").read_text()))
    model = keras.models.load_model(base / KERAS_NAME, compile=False)
    compile_model(model, spec.learning_rate)
    # The newest answers (or activity) are held out: the gate compares the two models on them.
    answered = [r.created_at for r in records if r.outcome is not None]
    cut = (
        held_out_cut(spans, answered, spec.held_out, update_gate.MIN_ANSWERS)
        if spec.gate
        else float("inf")  # nothing held out: everything trains, nothing to compare on
    )
    activity = examples_from_spans(spans, rng, per_hour=spec.moments_per_hour, until=cut)
    recent = examples_from_spans(spans, rng, per_hour=spec.moments_per_hour, since=cut)
    feedback = examples_from_feedback([r for r in records if r.created_at < cut], spans)
    held_answers = examples_from_feedback([r for r in records if r.created_at >= cut], spans)
    examples = Examples.concat([activity, feedback])
    if len(examples) < FINETUNE_MIN_EXAMPLES:
        raise StageError(
            f"only {len(examples)} examples in the store before the newest "
            f"data held out to compare; need at least {FINETUNE_MIN_EXAMPLES}"
        )
    train, held_out = examples.split(0.85, rng)
    # Parity is checked on the user's moments plus a fixed synthetic probe set: a few hundred
    # moments alone would make a 99% agreement gate a coin toss.
    probe = synthetic_examples(PROBE_PERSONAS, 1, PROBE_SEED)
    probe = probe.take(np.arange(min(PROBE_SIZE, len(probe))))
    # Logged suggestions are few and precious: all of them train, and they are also checked.
    train = Examples.concat([train, feedback])
    user_examples = len(train)
    corpus, replayed = replay_corpus(base_manifest.get("training") or {})
    train = with_replay(train, corpus, spec.replay, rng)
    log(
        f"store: {len(spans)} spans, {len(feedback)} answered suggestions -> {len(examples)} "
        f"examples, + {len(train) - user_examples} replayed from the pretraining corpus; held "
        f"out to compare: {len(held_answers)} answers, {len(recent)} moments"
    )
    history = fit(
        model,
        train,
        held_out,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        log_dir=None,
        prune=spec.prune,
    )
    with tempfile.TemporaryDirectory(prefix="ts-finetune-") as tmp:
        try:
            manifest = write_model_dir(
                model,
                config,
                Path(tmp),
                representative=representative_inputs(train, 200, rng),
                held_out_inputs=held_out.inputs,
                held_out_targets=held_out.targets,
                parent_version=parent,
                parity_inputs=Examples.concat([examples, probe]).inputs,
                # A pruned base stays pruned: its record carries over.
                pruning=(base_manifest.get("compression") or {}).get("pruning"),
                training={
                    "data": f"user store {db_path}: {len(spans)} spans, {len(feedback)} "
                    "answered suggestions (inverse-propensity weighted, cap 10)",
                    "examples": len(examples),
                    "replay": replayed
                    | {"per_user_example": spec.replay, "examples": len(train) - user_examples},
                    "history": history,
                    "seed": spec.seed,
                    "backend": keras.backend.backend(),
                },
            )
        except OutsideTolerance as exc:
            raise StageError(f"{exc}; nothing installed: the app keeps its model") from None
        compared = update_gate.compare(
            in_use.path if in_use is not None else base, Path(tmp), held_answers, recent
        )
        if not spec.gate:
            compared |= {"installed": True, "reason": "installed without the gate (--no-gate)"}
        manifest.metrics["update"] = compared
        (Path(tmp) / MANIFEST_NAME).write_text(manifest.to_json())
        entry = {"version": manifest.version, "parent_version": parent, "at": time.time()}
        registry.record_update(entry | compared)
        if not compared["installed"]:
            return FinetuneResult(manifest, None, compared)
        installed = registry.install(Path(tmp))
    return FinetuneResult(manifest, installed, compared)


def export(spec: ExportSpec) -> ExportResult:
    """Install a model directory into the registry, or replace (and sign) the shipped model."""
    source = spec.model
    shipped_dir = registry.SHIPPED_DIR  # looked up now: tests point it at a temporary folder
    try:
        if spec.shipped:
            if spec.release_key is None:
                raise StageError(
                    "--shipped needs --release-key FILE (the release's private "
                    "Ed25519 key; docs/reliability.md, 'Signing a release')"
                )
            key = signing.load_private_key(spec.release_key)
            if signing.public_hex(key) != signing.RELEASE_PUBLIC_KEY:
                raise StageError(
                    f"{spec.release_key} is not the release key whose public "
                    "half ships in edge_model/signing.py"
                )
            verify(source, SPEC_VERSION)
            if shipped_dir.exists():
                shutil.rmtree(shipped_dir)
            shipped_dir.mkdir(parents=True)
            for name in (
                "manifest.json",
                "model.tflite",
                "model.keras",
                "config.json",
                "MODEL_CARD.md",
            ):
                shutil.copy2(source / name, shipped_dir / name)
            signing.sign(shipped_dir, read_manifest_dict(shipped_dir), key, "release")
            return ExportResult(shipped_dir, True)
        target = registry.Registry(data_dir(spec.data_dir) / "models").install(source)
    except (ModelRefused, FileExistsError, ValueError) as exc:
        raise StageError(str(exc)) from None
    return ExportResult(target, False)


def evaluate(spec: EvaluateSpec) -> EvaluateResult:
    """Score next app, next category and when the current activity ends on one history."""
    try:
        parsed = parse_csv(spec.events.read_bytes(), str(spec.events))
    except (OSError, ImportFailed) as exc:
        raise StageError(str(exc)) from None
    events = sorted(prepare(parsed, Config()), key=lambda e: e.start)
    if spec.timing_prior is not None and timing.TimingHead.load(spec.timing_prior) is None:
        raise StageError(f"{spec.timing_prior} is not a timing head")
    try:
        figures = evaluate_history(
            events,
            spec.model,
            spec.split,
            prior_path=spec.app_head_prior,
            timing_prior_path=spec.timing_prior,
        )
    except (OSError, ValueError) as exc:
        raise StageError(str(exc)) from None
    figures["events_file"] = str(spec.events)
    return EvaluateResult(figures)
