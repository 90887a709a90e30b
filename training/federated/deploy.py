"""Flower's deployment engine on this machine: a SuperLink, SuperNodes, and `flwr run`.

No distribution layer of our own: these are Flower's own processes (`flower-superlink`,
`flower-supernode`, `flwr run`), started with loopback addresses only. Each process gets its
own FLWR_HOME (where Flower unpacks the app bundle and keeps its CLI config), so nothing is
written to the user's ~/.flwr. The SuperLink is told never to install app dependencies: the
app bundle holds no code, its components live in this installed package.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

LOOPBACK = "127.0.0.1"
APP_DIR = Path(__file__).resolve().parent / "flower_app"
CONNECTION = "sculptor"


class FederatedError(RuntimeError):
    """A Flower process failed or a run did not finish; the message says which and why."""


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def check_loopback(address: str) -> tuple[str, int]:
    """Return (host, port) of a `host:port` address; refuse anything but loopback."""
    host, _, port = address.rpartition(":")
    if host not in (LOOPBACK, "localhost") or not port.isdigit():
        raise ValueError(f"{address!r}: only loopback addresses ({LOOPBACK}:PORT) are supported")
    return LOOPBACK, int(port)


def executable(name: str) -> str:
    """Return the path of a Flower command installed beside this Python."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FederatedError(f"{name} not found beside {sys.executable}: install flwr")
    return str(path)


def environment(flwr_home: Path) -> dict[str, str]:
    """Return the environment for Flower processes: own FLWR_HOME, no telemetry, venv on PATH."""
    env = dict(os.environ)
    env["FLWR_HOME"] = str(flwr_home)
    # Flower reports usage events to flower.ai unless told not to; this product sends nothing.
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, name: str) -> None:
    """Wait until something listens on loopback `port`; fail if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FederatedError(f"{name} exited with code {process.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.2)
    raise FederatedError(f"{name} did not listen on {LOOPBACK}:{port} within {timeout:.0f}s")


@dataclass
class Process:
    """One Flower process we started, with its log file."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    log: IO[bytes] = field(repr=False)

    def stop(self, grace: float = 10.0) -> None:
        """Stop the process group (the SuperNode/SuperLink and the app processes it started)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.log.close()

    def tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _start(name: str, argv: Sequence[str], flwr_home: Path, log_dir: Path) -> Process:
    flwr_home.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    popen = subprocess.Popen(
        list(argv),
        env=environment(flwr_home),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stop() ends its app processes too
    )
    return Process(name, popen, log_path, log)


def start_superlink(port: int, work_dir: Path, timeout: float = 60.0) -> Process:
    """Start a SuperLink serving its Fleet, Control and Runtime APIs on 127.0.0.1:`port`."""
    process = _start(
        "superlink",
        [
            executable("flower-superlink"),
            "--insecure",  # loopback only (check_loopback); TLS is for a real network
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--disable-runtime-dependency-installation",
            "--database",
            str(work_dir / "superlink.db"),
        ],
        work_dir / "superlink-home",
        work_dir / "logs",
    )
    try:
        wait_for_port(port, process.popen, timeout, "flower-superlink")
    except BaseException:
        process.stop()
        raise
    return process


def start_supernode(
    superlink: str, data: str, work_dir: Path, name: str, *, require_dp: bool = False
) -> Process:
    """Start a SuperNode for one device's data, connected to a loopback SuperLink."""
    check_loopback(superlink)
    node_config = f'data="{data}"' + (" require-dp=true" if require_dp else "")
    return _start(
        name,
        [
            executable("flower-supernode"),
            "--insecure",
            "--superlink",
            superlink,
            "--host",
            LOOPBACK,
            "--port",
            str(free_port()),  # its Runtime API, for the ClientApp processes it starts
            "--node-config",
            node_config,
        ],
        work_dir / f"{name}-home",
        work_dir / "logs",
    )


def _flwr(args: Sequence[str], flwr_home: Path, timeout: float = 120.0) -> str:
    done = subprocess.run(
        [executable("flwr"), *args],
        env=environment(flwr_home) | {"NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise FederatedError(f"flwr {' '.join(args)} failed: {(done.stderr or done.stdout)[-800:]}")
    return done.stdout


def write_connection(flwr_home: Path, superlink_port: int) -> None:
    """Point the `flwr` CLI (in this FLWR_HOME only) at the loopback SuperLink."""
    flwr_home.mkdir(parents=True, exist_ok=True)
    (flwr_home / "config.toml").write_text(
        f'[superlink]\ndefault = "{CONNECTION}"\n\n'
        f'[superlink.{CONNECTION}]\naddress = "{LOOPBACK}:{superlink_port}"\ninsecure = true\n'
    )


def submit_run(superlink_port: int, run_config: dict[str, Any], work_dir: Path) -> int:
    """Submit the Flower app with `flwr run`; return the run id."""
    import tomli_w

    home = work_dir / "cli-home"
    write_connection(home, superlink_port)
    overrides = work_dir / "run-config.toml"
    overrides.write_text(tomli_w.dumps(run_config))
    out = _flwr(
        ["run", str(APP_DIR), CONNECTION, "--run-config", str(overrides), "--format", "json"], home
    )
    payload = json.loads(out[out.index("{") :])
    if not payload.get("success"):
        raise FederatedError(f"flwr run did not start: {payload}")
    return int(payload["run-id"])


def run_status(superlink_port: int, run_id: int, work_dir: Path) -> str:
    """Return the run's status as `flwr ls` reports it (e.g. 'running', 'finished:completed')."""
    home = work_dir / "cli-home"
    out = _flwr(["ls", CONNECTION, "--run-id", str(run_id), "--format", "json"], home)
    payload = json.loads(out[out.index("{") :])
    runs = payload.get("runs") or []
    return str(runs[0].get("status", "unknown")) if runs else "unknown"


def wait_for_run(
    superlink_port: int,
    run_id: int,
    result_path: Path,
    work_dir: Path,
    processes: Sequence[Process],
    timeout: float,
) -> dict[str, Any]:
    """Wait for the ServerApp's result file; fail early if the run fails or a process dies."""
    deadline = time.monotonic() + timeout
    last_check = 0.0
    while time.monotonic() < deadline:
        if result_path.exists():
            with contextlib.suppress(ValueError):
                return dict(json.loads(result_path.read_text()))
        for process in processes:
            if process.popen.poll() is not None:
                raise FederatedError(
                    f"{process.name} exited with code {process.popen.returncode}:\n"
                    + process.tail()
                )
        if time.monotonic() - last_check > 10.0:
            last_check = time.monotonic()
            status = run_status(superlink_port, run_id, work_dir)
            if status.startswith("finished") and not status.endswith("completed"):
                raise FederatedError(f"run {run_id} {status}; see logs in {work_dir / 'logs'}")
        time.sleep(0.5)
    raise FederatedError(f"run {run_id} gave no result within {timeout:.0f}s")


@contextlib.contextmanager
def work_directory(path: Path | None) -> Iterator[Path]:
    """Yield `path` (created) or a temporary directory removed afterwards."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="sculptor-federated-") as tmp:
        yield Path(tmp)


def run_local_federation(
    data_sources: Sequence[str],
    run_config: dict[str, Any],
    *,
    work_dir: Path,
    timeout: float = 1800.0,
    superlink_port: int | None = None,
) -> dict[str, Any]:
    """Run a SuperLink, one SuperNode per data source and one run on loopback; return results.

    The ServerApp writes `federated.json` (and the exported model) under run_config's out-dir.
    """
    from training.federated.apps import RESULT_NAME

    port = superlink_port or free_port()
    out_dir = Path(str(run_config["out-dir"])).resolve()
    result_path = out_dir / RESULT_NAME
    if result_path.exists():
        result_path.unlink()
    processes: list[Process] = []
    try:
        link = start_superlink(port, work_dir)
        processes.append(link)
        for i, data in enumerate(data_sources):
            processes.append(start_supernode(f"{LOOPBACK}:{port}", data, work_dir, f"node-{i}"))
        run_id = submit_run(port, run_config | {"out-dir": str(out_dir)}, work_dir)
        return wait_for_run(port, run_id, result_path, work_dir, processes, timeout)
    finally:
        for process in reversed(processes):
            process.stop()
