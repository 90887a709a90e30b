"""Shared teardown for the Qt tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop.ui.tray import SuggestionPopup


@pytest.fixture(autouse=True)
def _no_popup_outlives_its_test(qapp) -> Iterator[None]:
    """A popup left open would answer on expiry in a later test, against a closed store."""
    yield
    for widget in qapp.topLevelWidgets():
        if isinstance(widget, SuggestionPopup):
            widget.discard()
