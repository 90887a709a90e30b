"""Federated pretraining on Flower's deployment engine, on loopback.

The main test runs a real SuperLink, three real SuperNodes (two synthetic people and one real
SQLite store written by the app's own Store) and `flwr run`: every round, each SuperNode starts
a ClientApp process that trains the product's model on its own data. The averaged model must
get better on people no device has, round over round.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the train extra")
pytest.importorskip("flwr", reason="needs flwr (the federated extra)")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from flwr.app import (  # noqa: E402
    DEFAULT_TTL,
    ArrayRecord,
    ConfigRecord,
    Context,
    Message,
    Metadata,
    MetricRecord,
    RecordDict,
)
from flwr.serverapp.strategy import DifferentialPrivacyClientSideFixedClipping, FedProx  # noqa: E402
from flwr.supercore.differential_privacy import KEY_CLIPPING_NORM  # noqa: E402

from desktop.store import Event, Store  # noqa: E402
from training.federated import apps, deploy  # noqa: E402
from training.federated.cli import run_config, table  # noqa: E402
from training.federated.sources import DataSource  # noqa: E402
from training.synthetic import days, persons  # noqa: E402

pytestmark = [pytest.mark.tensorflow, pytest.mark.slow]


def _store_of_synthetic_person(path: Path, index: int) -> Path:
    """Write a synthetic person's week into a real app store, as the collectors would."""
    persona = persons.make_personas(index + 1, seed=5)[index]
    spans = days.generate_timeline(persona, datetime.date(2024, 3, 4), 7, seed=5)
    store = Store(path)
    store.insert_events(
        Event(s.start, s.duration, s.source, app=s.app, category=s.category) for s in spans
    )
    store.close()
    return path


def test_flower_deployment_engine_improves_held_out_quality(tmp_path: Path) -> None:
    db = _store_of_synthetic_person(tmp_path / "device-c" / "time-sculptor.db", 7)
    config = apps.DEFAULTS | {
        "num-server-rounds": 2,
        "min-clients": 3,
        "eval-personas": 2,
        "batch-size": 32,
        "export": False,  # the export path is exercised below, once, without the processes
        "out-dir": str(tmp_path / "out"),
    }
    started = time.perf_counter()
    result = deploy.run_local_federation(
        ["persona:0", "persona:1", f"store:{db}"],
        config,
        work_dir=tmp_path / "flower",
        timeout=240,
    )
    elapsed = time.perf_counter() - started
    print(table(result), f"\nwhole federation: {elapsed:.1f}s")

    rounds = {row["round"]: row for row in result["rounds"]}
    assert sorted(rounds) == [0, 1, 2]
    first, last = rounds[0]["held_out"], rounds[2]["held_out"]
    assert last["next_category_loss"] < first["next_category_loss"] - 0.05, result["rounds"]
    assert last["next_category_top1"] > first["next_category_top1"], result["rounds"]
    assert all(rounds[r]["clients_train_loss"] > 0 for r in (1, 2))
    # What one device sends per round is the whole float32 model.
    assert result["update_bytes"] == 4 * result["parameters"]
    assert result["bytes_per_client_per_round"]["up"] == result["update_bytes"]
    # Every Flower process we started is gone, and its log says it ran on loopback.
    logs = (tmp_path / "flower" / "logs").glob("*.log")
    assert any("127.0.0.1" in p.read_text(errors="replace") for p in logs)


def test_averaged_model_goes_through_the_export_path(tmp_path: Path) -> None:
    from edge_model.features import SPEC_VERSION
    from edge_model.keras_model import ModelConfig
    from edge_model.manifest import verify
    from edge_model.registry import Registry
    from training.federated import task

    held_out = task.evaluation_examples(1, seed=2024)
    model = task.new_model(2e-3)
    train, _ = task.split(task.persona_examples(0, weeks=1, seed=0, per_hour=4.0), 0)
    task.train_locally(model, train, epochs=1, batch_size=64, learning_rate=2e-3)
    summary = {"settings": apps.DEFAULTS | {"min-clients": 3}, "rounds": [], "update_bytes": 1}
    headline = apps.export(model, ModelConfig(), tmp_path / "model", held_out, summary)
    manifest = verify(tmp_path / "model", SPEC_VERSION)
    assert manifest.version == headline["version"]
    assert "federated" in manifest.training and manifest.training["federated"]["update_bytes"] == 1
    installed = Registry(tmp_path / "models", shipped=None).install(tmp_path / "model")
    assert Registry(tmp_path / "models", shipped=None).best().path == installed


def _train_message(config: dict, arrays: list[np.ndarray]) -> Message:
    """Return a train instruction as a SuperNode hands it to the ClientApp."""
    content = RecordDict({"arrays": ArrayRecord(arrays), "config": ConfigRecord(config)})
    metadata = Metadata(
        run_id=1,
        message_id="m1",
        src_node_id=0,
        dst_node_id=1,
        reply_to_message_id="",
        group_id="1",
        created_at=time.time(),
        ttl=DEFAULT_TTL,
        message_type="train",
    )
    return Message(content=content, metadata=metadata)


def _context(node_config: dict) -> Context:
    return Context(run_id=1, node_id=1, node_config=node_config, state=RecordDict(), run_config={})


def test_device_update_is_clipped_when_the_server_runs_dp() -> None:
    global_weights = [np.zeros(10, np.float32), np.zeros((3, 3), np.float32)]

    def far_update(message: Message, context: Context) -> Message:
        moved = [w + 5.0 for w in global_weights]
        content = RecordDict({"arrays": ArrayRecord(moved), "metrics": MetricRecord({"n": 1})})
        return Message(content=content, reply_to=message)

    message = _train_message({KEY_CLIPPING_NORM: 1.0}, global_weights)
    reply = apps.clip_when_asked(message, _context({"data": "persona:0"}), far_update)
    sent = reply.content.array_records["arrays"].to_numpy_ndarrays()
    norm = float(np.sqrt(sum(float((w**2).sum()) for w in sent)))
    assert norm == pytest.approx(1.0, rel=1e-4)

    # Without DP the update goes out as trained, unless the device insists on DP.
    plain = _train_message({}, global_weights)
    reply = apps.clip_when_asked(plain, _context({"data": "persona:0"}), far_update)
    assert float(reply.content.array_records["arrays"].to_numpy_ndarrays()[0][0]) == 5.0
    with pytest.raises(PermissionError):
        apps.clip_when_asked(plain, _context({"require-dp": True}), far_update)


def test_dp_strategy_reports_epsilon_from_flowers_accountant() -> None:
    settings = apps.DEFAULTS | {
        "strategy": "fedprox",
        "min-clients": 10,
        "dp-noise-multiplier": 1.0,
        "dp-clipping-norm": 0.5,
    }
    strategy, accountant = apps.make_strategy(settings)
    assert isinstance(strategy, DifferentialPrivacyClientSideFixedClipping)
    assert isinstance(strategy.strategy, FedProx)
    assert strategy.strategy.weighted_by_key == apps.UNIT_WEIGHT_KEY
    assert strategy.strategy.min_train_nodes == strategy.num_sampled_clients == 10
    from flwr.supercore.privacy_accounting import GaussianPrivacyEvent

    event = GaussianPrivacyEvent(noise_multiplier=1.0, sample_size=10, population_size=10)
    accountant.compose(event, count=5)
    five = accountant.get_privacy_spent().epsilon
    accountant.compose(event, count=5)
    assert 0 < five < accountant.get_privacy_spent().epsilon < float("inf")
    plain, none = apps.make_strategy(apps.DEFAULTS)
    assert none is None and plain.weighted_by_key == apps.EXAMPLES_KEY


def test_only_loopback_no_telemetry_and_known_data_sources() -> None:
    assert deploy.check_loopback("127.0.0.1:9092") == ("127.0.0.1", 9092)
    env = deploy.environment(Path("/nonexistent/flwr-home"))
    assert env["FLWR_TELEMETRY_ENABLED"] == "0" and env["FLWR_HOME"] == "/nonexistent/flwr-home"
    for address in ("0.0.0.0:9092", "192.168.1.5:9092", "example.org:9092", "127.0.0.1"):
        with pytest.raises(ValueError):
            deploy.check_loopback(address)
    assert DataSource.parse("store:/tmp/a:b.db") == DataSource("store", "/tmp/a:b.db")
    for spec in ("persona:x", "s3://bucket", "csv:", "persona"):
        with pytest.raises(ValueError):
            DataSource.parse(spec)


def test_cli_options_become_the_flower_run_config() -> None:
    import argparse
    import tomllib

    from training.federated.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["federated", "simulate", "--clients", "3", "--rounds", "4", "--dp-noise", "0.8"]
    )
    config = run_config(args, 3)
    declared = tomllib.loads((deploy.APP_DIR / "pyproject.toml").read_text())["tool"]["flwr"]
    # `flwr run --run-config` only overrides keys the app declares: they must all exist.
    assert set(config) <= set(declared["app"]["config"]) == set(apps.DEFAULTS)
    assert apps.APP_CONFIG.parent == deploy.APP_DIR
    assert config["num-server-rounds"] == 4 and config["dp-noise-multiplier"] == 0.8
