"""The Flower apps: a ClientApp that trains the product's model on one device's data, and a
ServerApp that averages the updates (FedAvg or FedProx, optionally with client-side clipping and
Gaussian noise) and exports the result like any other model.

Flower loads these by reference from `training/federated/flower_app/pyproject.toml`
(`training.federated.apps:client_app`, `...:server_app`), in processes that the SuperNode and
the SuperLink start for each task, so everything heavy is imported inside the functions.
"""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path
from typing import Any

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.clientapp.mod import fixedclipping_mod
from flwr.clientapp.typing import ClientAppCallable
from flwr.serverapp import Grid, ServerApp
from flwr.supercore.differential_privacy import KEY_CLIPPING_NORM

from training.federated.sources import DataSource

RESULT_NAME = "federated.json"
MODEL_DIR_NAME = "model"
# DP-FedAvg weighs every client the same (weights by example count would leak them and break
# the accountant's sensitivity bound); without DP, clients are weighted by example count.
UNIT_WEIGHT_KEY = "unit-weight"
EXAMPLES_KEY = "num-examples"

client_app = ClientApp()
server_app = ServerApp()


def _setting(context: Context, key: str, default: Any) -> Any:
    """Return a run-config value (set by the server's `flwr run`), or the default."""
    return context.run_config.get(key, default)


def _client_data(context: Context) -> tuple[Any, Any]:
    from training.federated import task

    source = DataSource.parse(str(context.node_config["data"]))
    seed = int(_setting(context, "data-seed", 0))
    examples = task.local_examples(
        source,
        weeks=int(_setting(context, "weeks", 1)),
        seed=seed,
        per_hour=float(_setting(context, "moments-per-hour", 4.0)),
    )
    if len(examples) < 10:
        raise ValueError(f"{source}: only {len(examples)} examples; need at least 10")
    return task.split(examples, seed)


def _model_from(message: Message, learning_rate: float) -> Any:
    from training.federated import task

    model = task.new_model(learning_rate)
    model.set_weights(message.content.array_records["arrays"].to_numpy_ndarrays())
    return model


def clip_when_asked(message: Message, context: Context, call_next: ClientAppCallable) -> Message:
    """Clip this device's update (Flower's `fixedclipping_mod`) when the server runs DP.

    A device whose node config says `require-dp=true` refuses to train without clipping.
    """
    if KEY_CLIPPING_NORM in message.content.config_records["config"]:
        return fixedclipping_mod(message, context, call_next)
    if bool(context.node_config.get("require-dp", False)):
        raise PermissionError("this device only trains with differential privacy (require-dp)")
    return call_next(message, context)


@client_app.train(mods=[clip_when_asked])
def train(message: Message, context: Context) -> Message:
    """Train the received global model on local data; reply with the new weights."""
    import keras

    from training.federated import task

    config: dict[str, Any] = dict(message.content.config_records["config"])
    learning_rate = float(config["learning-rate"])
    keras.utils.set_random_seed(int(config["seed"]) * 7919 + int(config["server-round"]))
    train_set, _ = _client_data(context)
    model = _model_from(message, learning_rate)
    loss = task.train_locally(
        model,
        train_set,
        epochs=int(config["local-epochs"]),
        batch_size=int(config["batch-size"]),
        learning_rate=learning_rate,
        proximal_mu=float(config.get("proximal-mu", 0.0)),
    )
    metrics = MetricRecord({"train-loss": loss, EXAMPLES_KEY: len(train_set), UNIT_WEIGHT_KEY: 1})
    content = RecordDict({"arrays": ArrayRecord(task.get_weights(model)), "metrics": metrics})
    return Message(content=content, reply_to=message)


@client_app.evaluate()
def evaluate(message: Message, context: Context) -> Message:
    """Evaluate the received global model on this device's held-out examples."""
    from training.federated import task

    _, held_out = _client_data(context)
    model = _model_from(message, 1e-3)
    figures = task.quality(model, held_out)
    metrics = MetricRecord(
        {
            "next-category-loss": figures["next_category_loss"],
            "next-category-top1": figures["next_category_top1"],
            EXAMPLES_KEY: len(held_out),
            UNIT_WEIGHT_KEY: 1,
        }
    )
    return Message(content=RecordDict({"metrics": metrics}), reply_to=message)


def make_strategy(settings: dict[str, Any]) -> tuple[Any, Any]:
    """Return (strategy, accountant or None) for the run settings (FedAvg/FedProx, DP)."""
    from flwr.serverapp.strategy import (
        DifferentialPrivacyClientSideFixedClipping,
        FedAvg,
        FedProx,
    )

    clients = int(settings["min-clients"])
    noise = float(settings["dp-noise-multiplier"])
    common: dict[str, Any] = {
        "fraction_train": float(settings["fraction-train"]),
        "fraction_evaluate": float(settings["fraction-evaluate"]),
        "min_train_nodes": clients,
        "min_evaluate_nodes": clients if float(settings["fraction-evaluate"]) > 0 else 0,
        "min_available_nodes": clients,
        "weighted_by_key": UNIT_WEIGHT_KEY if noise > 0 else EXAMPLES_KEY,
    }
    if noise > 0:
        # The DP wrapper and its accountant need exactly `clients` devices every round: with a
        # zero-sized fraction FedAvg samples max(0, min_train_nodes) = `clients`, however many
        # are connected (claiming no amplification by that sampling stays conservative).
        common["fraction_train"] = 1e-9
    if settings["strategy"] == "fedprox":
        strategy: Any = FedProx(proximal_mu=float(settings["proximal-mu"]), **common)
    elif settings["strategy"] == "fedavg":
        strategy = FedAvg(**common)
    else:
        raise ValueError(f"unknown strategy {settings['strategy']!r} (fedavg, fedprox)")
    if noise <= 0:
        return strategy, None
    from flwr.supercore.privacy_accounting import (
        NeighboringRelation,
        PrivacyConfig,
        SamplingMethod,
    )
    from flwr.supercore.privacy_accounting.rdp_accountant import RdpAccountant

    # Every round samples all `clients` devices, so no amplification by sampling is claimed.
    accountant = RdpAccountant(
        PrivacyConfig(
            target_delta=float(settings["dp-delta"]),
            population_size=clients,
            neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
            sampling_method=SamplingMethod.NO_AMPLIFICATION,
        )
    )
    wrapped = DifferentialPrivacyClientSideFixedClipping(
        strategy,
        noise_multiplier=noise,
        clipping_norm=float(settings["dp-clipping-norm"]),
        num_sampled_clients=clients,
        accountant=accountant,
    )
    return wrapped, accountant


# The run's settings and their defaults are declared once, in the Flower App's pyproject.toml
# (`flwr run --run-config` can only override keys declared there).
APP_CONFIG = Path(__file__).resolve().parent / "flower_app" / "pyproject.toml"
DEFAULTS: dict[str, Any] = tomllib.loads(APP_CONFIG.read_text())["tool"]["flwr"]["app"]["config"]


@server_app.main()
def main(grid: Grid, context: Context) -> None:
    """Run the rounds, record per-round quality, export the averaged model."""
    import keras

    from edge_model.keras_model import ModelConfig
    from training.federated import task

    settings = {key: _setting(context, key, value) for key, value in DEFAULTS.items()}
    out = Path(str(settings["out-dir"]))
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(int(settings["seed"]))
    config = ModelConfig()
    model = task.new_model(float(settings["learning-rate"]), config)
    initial = task.get_weights(model)
    held_out = task.evaluation_examples(int(settings["eval-personas"]), int(settings["eval-seed"]))
    strategy, accountant = make_strategy(settings)
    rounds: dict[int, dict[str, Any]] = {}
    started = time.perf_counter()

    def evaluate_global(server_round: int, arrays: ArrayRecord) -> MetricRecord:
        model.set_weights(arrays.to_numpy_ndarrays())
        figures = task.quality(model, held_out)
        entry = rounds.setdefault(server_round, {})
        entry.update(
            {
                "held_out": {k: round(v, 5) for k, v in figures.items()},
                "elapsed_s": round(time.perf_counter() - started, 2),
            }
        )
        if accountant is not None and server_round > 0:
            spent = accountant.get_privacy_spent()
            entry["epsilon"] = round(float(spent.epsilon), 4)
        return MetricRecord(
            {
                "next-category-loss": figures["next_category_loss"],
                "next-category-top1": figures["next_category_top1"],
            }
        )

    train_config = ConfigRecord(
        {
            "learning-rate": float(settings["learning-rate"]),
            "local-epochs": int(settings["local-epochs"]),
            "batch-size": int(settings["batch-size"]),
            "seed": int(settings["seed"]),
        }
    )
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord(initial),
        num_rounds=int(settings["num-server-rounds"]),
        timeout=float(settings["round-timeout"]),
        train_config=train_config,
        evaluate_fn=evaluate_global,
    )
    for server_round, metrics in result.train_metrics_clientapp.items():
        rounds.setdefault(server_round, {})["clients_train_loss"] = round(
            float(metrics["train-loss"]), 5
        )
    for server_round, metrics in result.evaluate_metrics_clientapp.items():
        rounds.setdefault(server_round, {})["clients_held_out"] = {
            k: round(float(v), 5) for k, v in metrics.items()
        }
    final = result.arrays.to_numpy_ndarrays() if len(result.arrays) else initial
    update_bytes = task.parameter_bytes(final)
    summary: dict[str, Any] = {
        "settings": settings,
        "rounds": [{"round": r} | rounds[r] for r in sorted(rounds)],
        "parameters": int(sum(w.size for w in final)),
        "update_bytes": update_bytes,
        # Each sampled device downloads the global model and uploads its own, every round.
        "bytes_per_client_per_round": {"down": update_bytes, "up": update_bytes},
        "seconds": round(time.perf_counter() - started, 2),
    }
    if accountant is not None:
        spent = accountant.get_privacy_spent()
        summary["privacy"] = {
            "epsilon": float(spent.epsilon),
            "delta": float(spent.delta),
            "releases": int(spent.num_releases),
            "accounting": str(spent.accounting_method),
            "noise_multiplier": float(settings["dp-noise-multiplier"]),
            "clipping_norm": float(settings["dp-clipping-norm"]),
            "scope": "client-level, central noise added by the server after client-side "
            "clipping; no amplification by sampling claimed",
        }
    model.set_weights(final)
    if bool(settings["export"]):
        summary["model"] = export(model, config, out / MODEL_DIR_NAME, held_out, summary)
    (out / RESULT_NAME).write_text(json.dumps(summary, indent=2) + "\n")


def export(model: Any, config: Any, out_dir: Path, held_out: Any, summary: dict) -> dict:
    """Write the averaged model through the product's export path; return its headline."""
    import shutil

    import numpy as np

    from training.export import write_model_dir
    from training.federated import task

    settings = summary["settings"]
    calibration = task.evaluation_examples(2, int(settings["eval-seed"]) + 1)
    rng = np.random.default_rng(int(settings["seed"]))
    index = rng.choice(len(calibration), size=min(300, len(calibration)), replace=False)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    manifest = write_model_dir(
        model,
        config,
        out_dir,
        # Int8 calibration and parity use synthetic people only: no device's data leaves it.
        representative=calibration.take(index).inputs,
        held_out_inputs=held_out.inputs,
        held_out_targets=held_out.targets,
        parent_version=None,
        training={
            "data": f"federated ({settings['strategy']}) over {settings['min-clients']}+ "
            f"devices' local data, {settings['num-server-rounds']} rounds; held-out: "
            f"{settings['eval-personas']} synthetic people (seed {settings['eval-seed']})",
            "federated": {k: v for k, v in summary.items() if k != "settings"}
            | {"settings": settings},
            "seed": int(settings["seed"]),
            "backend": "tensorflow",
        },
    )
    return {
        "path": str(out_dir),
        "version": manifest.version,
        "size_bytes": manifest.size_bytes,
        "variant": manifest.compression["variant"],
        "tflite_next_category_top1": manifest.metrics["tflite"]["next_category_top1"],
    }
