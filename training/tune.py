"""`sculptor-train tune`: Optuna hyperparameter search within a wall-clock budget.

    sculptor-train tune --budget-minutes 20 [--trials 40] --json tune.json [--pretrain-best DIR]

Search space: encoder (GRU, tiny Transformer or causal convolution), width (`hidden`),
Transformer heads and blocks, learning rate, dropout, epochs. Each trial trains on the same
seeded synthetic corpus and is scored on a validation split of it (never on `sculptor-train
bench`'s evaluation people, so the bench figures of the chosen model stay unbiased).

Objective (one number, maximized): validation next-category top-1 minus SIZE_PENALTY_PER_KB
per KB of the model's dynamic-range `.tflite` file (the variant the exporter ships when full
int8 misses parity). 0.0001 per KB = one point of top-1 per 100 KB: the measured GRU and
Transformer models sit at 65-100 KB, so a model twice as big must be about a point better.
Because the weighting is a choice, the JSON also lists the Pareto front (top-1 vs KB) of all
finished trials, and every trial's figures, so another weighting can be applied afterwards.

Sampler and pruner: TPE, with median pruning. After every epoch a trial reports its
validation next-category top-1; from the sixth trial on, a trial whose top-1 at an epoch is
below the median of the earlier trials' at that epoch is stopped there (recorded as PRUNED,
with the epoch and its top-1).

Seeded: the TPE sampler and every trial's initialization use `--seed`; with `--trials N` and a
budget that is not reached, two runs give the same trials. The budget is checked between
trials (Optuna cannot stop one mid-fit): a trial is not started when the mean trial time so
far would overrun it.

Optuna and Keras are imported inside the functions that search, so that `sculptor-train`
starts without the train extra.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from training import real, stages
from training.stages import PretrainSpec, StageError

SIZE_PENALTY_PER_KB = 0.0001
HIDDEN_CHOICES = (16, 24, 32, 48, 64)


def objective_value(top1: float, size_bytes: int) -> float:
    """Return the scalar the search maximizes: top-1 minus the size penalty."""
    return top1 - SIZE_PENALTY_PER_KB * size_bytes / 1000.0


def pareto_front(trials: list[dict[str, Any]]) -> list[int]:
    """Return the numbers of the trials no other trial beats on both top-1 and size."""
    done = [t for t in trials if t["state"] == "COMPLETE"]
    front = []
    for t in done:
        dominated = any(
            o["top1"] >= t["top1"]
            and o["size_bytes"] <= t["size_bytes"]
            and (o["top1"] > t["top1"] or o["size_bytes"] < t["size_bytes"])
            for o in done
        )
        if not dominated:
            front.append(t["number"])
    return sorted(front)


def suggest(trial: Any, max_epochs: int) -> dict[str, Any]:
    """Return one trial's hyperparameters (define-by-run: heads/blocks only for transformers)."""
    params: dict[str, Any] = {
        "encoder": trial.suggest_categorical("encoder", ["gru", "transformer", "conv"]),
        "hidden": trial.suggest_categorical("hidden", list(HIDDEN_CHOICES)),
        "learning_rate": trial.suggest_float("learning_rate", 5e-4, 5e-3, log=True),
        "dropout": trial.suggest_float("dropout", 0.0, 0.3),
        "epochs": trial.suggest_int("epochs", min(2, max_epochs), max_epochs),
    }
    if params["encoder"] == "transformer":
        params["heads"] = trial.suggest_categorical("heads", [2, 4])
        params["blocks"] = trial.suggest_int("blocks", 1, 2)
    return params


def model_config(params: dict[str, Any]):
    """Return the ModelConfig of a trial's parameters."""
    from edge_model.keras_model import ModelConfig  # Keras

    keys = ("encoder", "hidden", "dropout", "heads", "blocks")
    return ModelConfig(**{k: params[k] for k in keys if k in params})


def tflite_size(model, config) -> int:
    """Return the size of the model's dynamic-range `.tflite` (parameter count without TF)."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        return int(model.count_params())  # ~1 byte per int8 weight; noted in the JSON
    from edge_model import convert  # TensorFlow
    from edge_model.keras_model import export_copy  # Keras

    return len(convert.convert(export_copy(model, config), None, "dynamic"))


def create_study(seed: int) -> Any:
    """Return the study: maximize, TPE seeded with `seed`, median pruning."""
    import optuna  # the train extra

    return optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(),
    )


def pruning_callback(trial: Any, score: Callable[[Any], float]) -> Any:
    """Return a Keras callback that reports `score(model)` to the trial after every epoch and
    stops the trial (optuna.TrialPruned) when the pruner says so."""
    import keras  # the train extra
    import optuna  # the train extra

    class ReportAndPrune(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            value = score(self.model)
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {epoch + 1}: {value:.4f}")

    return ReportAndPrune()


def run_tune(
    *,
    budget_minutes: float,
    trials: int | None,
    seed: int,
    personas: int,
    weeks: int,
    moments_per_hour: float,
    max_epochs: int,
    batch_size: int,
    log=print,
) -> dict[str, Any]:
    """Run the search; return the JSON-ready record of every trial, the best and the front."""
    import keras  # the train extra
    import numpy as np
    import optuna  # the train extra

    from edge_model.keras_model import build_model, compile_model, fit_targets  # Keras
    from training.bench import ranking  # Keras and TensorFlow

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    examples = stages.synthetic_examples(personas, weeks, seed, moments_per_hour)
    train, validation = examples.split(0.85, np.random.default_rng(seed))
    budget_s = budget_minutes * 60.0
    started = time.perf_counter()
    records: list[dict[str, Any]] = []

    def objective(trial: Any) -> float:
        params = suggest(trial, max_epochs)
        config = model_config(params)
        keras.utils.set_random_seed(seed)
        t0 = time.perf_counter()
        model = compile_model(build_model(config), params["learning_rate"])
        reached: list[float] = []

        def validation_ranking(model: Any) -> dict[str, float]:
            probs = model.predict(validation.inputs, verbose=0, batch_size=512)["next_category"]
            return ranking(probs, validation.targets["next_category"])

        def epoch_top1(model: Any) -> float:
            reached.append(validation_ranking(model)["top1"])
            return reached[-1]

        try:
            model.fit(
                train.inputs,
                fit_targets(model, train.targets),
                sample_weight=train.weights,
                epochs=params["epochs"],
                batch_size=batch_size,
                verbose=0,
                callbacks=[pruning_callback(trial, epoch_top1)],
            )
        except optuna.TrialPruned:
            records.append(
                {
                    "number": trial.number,
                    "state": "PRUNED",
                    "params": params,
                    "pruned_after_epoch": len(reached),
                    "top1": reached[-1],
                    "seconds": round(time.perf_counter() - t0, 2),
                }
            )
            log(
                f"trial {trial.number}: {params['encoder']} hidden {params['hidden']} pruned "
                f"after epoch {len(reached)} (top-1 {reached[-1]:.3f}, below the median)"
            )
            keras.backend.clear_session()
            raise
        quality = validation_ranking(model)
        size = tflite_size(model, config)
        value = objective_value(quality["top1"], size)
        record = {
            "number": trial.number,
            "state": "COMPLETE",
            "params": params,
            "top1": quality["top1"],
            "mrr": quality["mrr"],
            "size_bytes": size,
            "parameters": int(model.count_params()),
            "objective": value,
            "seconds": round(time.perf_counter() - t0, 2),
        }
        records.append(record)
        log(
            f"trial {trial.number}: {params['encoder']} hidden {params['hidden']} "
            f"lr {params['learning_rate']:.2g} dropout {params['dropout']:.2f} epochs "
            f"{params['epochs']} -> top-1 {quality['top1']:.3f} MRR {quality['mrr']:.3f} "
            f"{size:,} B objective {value:.4f} ({record['seconds']:.0f}s)"
        )
        keras.backend.clear_session()
        return value

    def budget_guard(study: Any, _trial: Any) -> None:
        elapsed = time.perf_counter() - started
        mean = elapsed / max(len(records), 1)
        if elapsed + mean > budget_s:
            study.stop()

    study = create_study(seed)
    study.optimize(objective, n_trials=trials, timeout=budget_s, callbacks=[budget_guard], catch=())
    finished = [r for r in records if r["state"] == "COMPLETE"]
    if not finished:
        raise RuntimeError("no trial finished within the budget")
    best = max(finished, key=lambda r: r["objective"])
    return {
        "objective": (
            f"validation next-category top-1 - {SIZE_PENALTY_PER_KB} x dynamic-range .tflite KB"
        ),
        "pruner": "median of the earlier trials' validation top-1 at the same epoch",
        "size_measure": "dynamic-range .tflite bytes"
        if _has_tensorflow()
        else "parameter count (no TensorFlow here to convert)",
        "budget_minutes": budget_minutes,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "seed": seed,
        "data": {
            "personas": personas,
            "weeks": weeks,
            "moments_per_hour": moments_per_hour,
            "train_examples": len(train),
            "validation_examples": len(validation),
        },
        "trials": records,
        "best": {
            "number": best["number"],
            "params": best["params"],
            "model_config": json.loads(model_config(best["params"]).to_json()),
            "top1": best["top1"],
            "mrr": best["mrr"],
            "size_bytes": best["size_bytes"],
            "objective": best["objective"],
        },
        "pareto_front": pareto_front(records),
    }


def _has_tensorflow() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


def pretrain_spec(best: dict[str, Any], args: argparse.Namespace, out: Path) -> PretrainSpec:
    """Return the pretraining of the best trial's configuration on the search's corpus (with
    the real traces of the default data folder, as `sculptor-train pretrain` by default)."""
    params = best["params"]
    return PretrainSpec(
        out=out,
        personas=args.personas,
        weeks=args.weeks,
        moments_per_hour=args.moments_per_hour,
        seed=args.seed,
        batch_size=args.batch_size,
        epochs=params["epochs"],
        learning_rate=params["learning_rate"],
        real_data=real.DEFAULT_DATA,
        architecture=model_config(params),
    )


def pretrain_command(spec: PretrainSpec) -> str:
    """Return the `sculptor-train pretrain` command line that trains the same as `spec`."""
    config = spec.architecture
    assert config is not None
    argv = ["sculptor-train", "pretrain", "--out", str(spec.out), "--personas", str(spec.personas)]
    argv += ["--weeks", str(spec.weeks), "--moments-per-hour", str(spec.moments_per_hour)]
    argv += ["--seed", str(spec.seed), "--batch-size", str(spec.batch_size)]
    argv += ["--epochs", str(spec.epochs), "--learning-rate", repr(spec.learning_rate)]
    argv += ["--encoder", config.encoder, "--hidden", str(config.hidden)]
    argv += ["--dropout", repr(config.dropout)]
    if config.encoder == "transformer":
        argv += ["--heads", str(config.heads), "--blocks", str(config.blocks)]
    return " ".join(argv)


def cmd_tune(args: argparse.Namespace) -> int:
    stages.seed_everything(args.seed)
    result = run_tune(
        budget_minutes=args.budget_minutes,
        trials=args.trials,
        seed=args.seed,
        personas=args.personas,
        weeks=args.weeks,
        moments_per_hour=args.moments_per_hour,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
    )
    best = result["best"]
    print(
        f"{len(result['trials'])} trials in {result['elapsed_seconds']:.0f}s; best "
        f"#{best['number']}: {best['params']} -> top-1 {best['top1']:.3f}, "
        f"{best['size_bytes']:,} B; Pareto front (top-1 vs size): trials {result['pareto_front']}"
    )
    result["pretrained"] = None
    if args.pretrain_best:
        spec = pretrain_spec(best, args, Path(args.pretrain_best))
        result["pretrain_command"] = pretrain_command(spec)
        try:
            print(stages.pretrain(spec).summary())
        except StageError as exc:
            print(f"sculptor-train: {exc}", file=sys.stderr)
            return 1
        result["pretrained"] = args.pretrain_best
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def register(sub: Any) -> None:
    """Add the `tune` subcommand to sculptor-train's parser."""
    tune = sub.add_parser("tune", help="hyperparameter search (Optuna) within a time budget")
    tune.add_argument("--budget-minutes", type=float, required=True, help="wall-clock budget")
    tune.add_argument("--trials", type=int, help="stop after this many trials (default: budget)")
    tune.add_argument("--json", required=True, help="write every trial and the best config here")
    tune.add_argument("--personas", type=int, default=20)
    tune.add_argument("--weeks", type=int, default=2)
    tune.add_argument("--moments-per-hour", type=float, default=4.0)
    tune.add_argument("--max-epochs", type=int, default=8)
    tune.add_argument("--batch-size", type=int, default=256)
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument(
        "--pretrain-best", metavar="DIR", help="then pretrain the best config into DIR"
    )
    tune.set_defaults(func=cmd_tune)
