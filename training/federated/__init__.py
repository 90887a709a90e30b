"""Federated pretraining across devices with Flower (issue #9): see docs/federated.md."""

from training.federated.cli import register

__all__ = ["register"]
