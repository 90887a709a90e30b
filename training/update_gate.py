"""The update gate: a fine-tuned model is installed only if it beats the model in use.

Both models' `.tflite` files (what the app would serve) run on the user's newest data, held
out from the fine-tune:

- the answered suggestions (accepted = 1; dismissed, snoozed, ignored = 0): log loss of the
  acceptance head on each suggestion's own kind, and the Brier score (mean squared error of
  that probability: calibration);
- the activity moments: log loss and top-1 of the next-category head.

With at least `MIN_ANSWERS` held-out answers the new model must have a lower acceptance log
loss, a Brier score no higher, and a next-category log loss at most `NEXT_CATEGORY_SLACK`
higher. With fewer answers it must have a lower next-category log loss on at least
`MIN_MOMENTS` held-out moments. With less than that there is nothing to compare on, and the
model in use stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edge_model.manifest import read_manifest
from training.dataset import Examples
from training.export import tflite_outputs

MIN_ANSWERS = 10
MIN_MOMENTS = 20
NEXT_CATEGORY_SLACK = 0.02  # nats: the acceptance head decides, the other may not get worse
EPSILON = 1e-6

METRIC = (
    "on the newest held-out answers: log loss of the acceptance head and its Brier score "
    "(calibration); on the newest held-out activity: log loss of the next-category head"
)


def measure(model_dir: Path, answers: Examples, moments: Examples) -> dict[str, float]:
    """Return the gate's figures for one model directory's `.tflite` on the held-out data."""
    io = read_manifest(model_dir).io
    figures: dict[str, float] = {"answers": len(answers), "moments": len(moments)}
    if len(answers):
        accept = tflite_outputs(model_dir / "model.tflite", answers.inputs, io)["accept"]
        labels = answers.targets["accept"]
        rows, kinds = np.nonzero(labels >= 0)
        p = np.clip(accept[rows, kinds], EPSILON, 1 - EPSILON)
        y = labels[rows, kinds]
        figures["accept_log_loss"] = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        figures["accept_brier"] = float(np.mean((p - y) ** 2))
        figures["accepted_share"] = float(np.mean(y))
        figures["accept_mean_probability"] = float(np.mean(p))
    if len(moments):
        probabilities = tflite_outputs(model_dir / "model.tflite", moments.inputs, io)[
            "next_category"
        ]
        target = moments.targets["next_category"]
        chosen = np.clip(probabilities[np.arange(len(target)), target], EPSILON, 1.0)
        figures["next_category_log_loss"] = float(-np.mean(np.log(chosen)))
        figures["next_category_top1"] = float(np.mean(probabilities.argmax(-1) == target))
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}


def decide(in_use: dict[str, float], candidate: dict[str, float]) -> tuple[bool, str]:
    """Return (install?, one line saying why) from the two models' figures."""
    answers, moments = int(candidate["answers"]), int(candidate["moments"])
    if answers >= MIN_ANSWERS:
        loss = _versus(candidate, in_use, "accept_log_loss")
        brier = _versus(candidate, in_use, "accept_brier")
        why = f"on your last {answers} answers: log loss {loss}, Brier score {brier}"
        if candidate["accept_log_loss"] >= in_use["accept_log_loss"]:
            return False, f"it predicts your answers no better ({why})"
        if candidate["accept_brier"] > in_use["accept_brier"]:
            return False, f"it is less well calibrated ({why})"
        if moments >= MIN_MOMENTS and (
            candidate["next_category_log_loss"]
            > in_use["next_category_log_loss"] + NEXT_CATEGORY_SLACK
        ):
            next_loss = _versus(candidate, in_use, "next_category_log_loss")
            return False, (
                f"it predicts your next activity worse (log loss {next_loss} on {moments} "
                f"recent moments) though better your answers ({why})"
            )
        return True, f"it predicts your answers better ({why})"
    if moments >= MIN_MOMENTS:
        next_loss = _versus(candidate, in_use, "next_category_log_loss")
        why = (
            f"next-activity log loss {next_loss} on {moments} recent moments; "
            f"{answers} held-out answers are too few to compare (need {MIN_ANSWERS})"
        )
        if candidate["next_category_log_loss"] < in_use["next_category_log_loss"]:
            return True, f"it predicts your activity better ({why})"
        return False, f"it predicts your activity no better ({why})"
    return False, (
        f"too little recent data held out to compare it with the model in use ({answers} "
        f"answers, {moments} moments; need {MIN_ANSWERS} answers or {MIN_MOMENTS} moments)"
    )


def _versus(candidate: dict[str, float], in_use: dict[str, float], key: str) -> str:
    return f"{candidate[key]:.3f} vs {in_use[key]:.3f} in use"


def compare(
    in_use_dir: Path, candidate_dir: Path, answers: Examples, moments: Examples
) -> dict[str, Any]:
    """Return the comparison the gate decides on: both models' figures, the decision, why."""
    in_use = measure(in_use_dir, answers, moments)
    candidate = measure(candidate_dir, answers, moments)
    install, reason = decide(in_use, candidate)
    return {
        "metric": METRIC,
        "in_use_version": read_manifest(in_use_dir).version,
        "in_use": in_use,
        "candidate": candidate,
        "installed": install,
        "reason": reason,
    }
