"""Real traces are split in time the way `evaluate` splits them: learn before, score after."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from training import real
from training.switches import switches_of
from training.synthetic.days import corpus


@pytest.fixture
def data_dir(tmp_path):
    """One person's synthetic week written as a real CSV export (`timestamp,app,duration`)."""
    [(_, spans)] = corpus(1, 1, seed=5)
    rows = ["timestamp,app,duration"]
    for s in spans:
        if s.source == "window":
            stamp = dt.datetime.fromtimestamp(s.start, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append(f"{stamp},{s.app},{s.duration:.0f}")
    folder = tmp_path / "desktop-windows"
    folder.mkdir()
    (folder / "user_z.csv").write_text("\n".join(rows) + "\n")
    (folder / "user_y.csv").write_text("timestamp,app\nnot a time,x.exe\n")  # unreadable: skipped
    return tmp_path


def test_the_cut_is_the_first_switch_evaluate_predicts(data_dir, capsys):
    [(name, spans)] = real.traces(data_dir)
    assert name == "user_z.csv" and "skipping" in capsys.readouterr().err
    switches = switches_of(spans)
    cut = real.cut_time(spans)
    first_predicted = switches[int(len(switches) * 0.7)]  # evaluate's cut at split 0.7
    assert cut == first_predicted.at
    assert real.cut_time(spans, 1.0) == float("inf")
    with pytest.raises(ValueError, match="fraction"):
        real.cut_time(spans, 0.0)


def test_head_and_tail_moments_come_from_their_own_side_of_the_cut(data_dir):
    rng = np.random.default_rng(0)
    head, traces = real.examples(data_dir, rng, part="head", per_hour=6.0)
    tail, _ = real.examples(data_dir, rng, part="tail", per_hour=6.0)
    everything, _ = real.examples(data_dir, rng, part="head", fraction=1.0, per_hour=6.0)
    assert traces == 1 and len(head) > 0 and len(tail) > 0
    # Moments are drawn per active hour: the head holds about 70% of them, the tail about 30%.
    assert 0.55 < len(head) / len(everything) < 0.85
    assert 0.15 < len(tail) / len(everything) < 0.45
    assert (head.targets["accept"] == -1).all()  # acceptance unknown (masked) on real traces
    few, _ = real.examples(data_dir, rng, part="tail", per_trace=25)
    assert len(few) == 25
    assert real.examples(data_dir, rng, part="tail", exclude=["user_z"])[1] == 0


@pytest.mark.tensorflow
def test_pretrain_learns_from_the_real_traces_it_is_given_and_says_so(data_dir, tmp_path, capsys):
    pytest.importorskip("tensorflow", reason="needs the train extra")
    import json

    from training.cli import main as train_main

    out = tmp_path / "model"
    args = ["pretrain", "--out", str(out), "--personas", "2", "--weeks", "1", "--epochs", "1"]
    assert train_main([*args, "--hidden", "16", "--real-data", str(data_dir)]) == 0
    training = json.loads((out / "manifest.json").read_text())["training"]
    assert training["real_data"]["traces"] == 1 and training["real_data"]["examples"] > 100
    assert "1 real traces" in (out / "MODEL_CARD.md").read_text()
    assert train_main([*args, "--hidden", "16", "--real-data", str(tmp_path / "none-here")]) == 0
    assert "no real traces at" in capsys.readouterr().err
