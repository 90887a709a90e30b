"""Federated pretraining across devices with Flower: see docs/federated.md."""

from training.federated.cli import register

__all__ = ["register"]
