"""scripts/audit.py: what it flags, what it says it could not check (PyPI's answers faked)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"


@pytest.fixture
def audit(monkeypatch):
    spec = importlib.util.spec_from_file_location("audit_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(
        module, "installed", lambda: {"safe": "2.0", "old": "1.0", "bad": "3.1", "local": "0.1"}
    )
    answers = {
        "safe": ("safe", "2.0", [], None),
        "old": ("old", "1.4", [], None),
        "bad": ("bad", "3.1", [{"id": "PYSEC-1", "fixed_in": ["3.2"]}], None),
        "local": ("local", None, [], "HTTP 404"),
    }
    monkeypatch.setattr(module, "project", lambda name: answers[name])
    return module, answers


def test_a_known_vulnerability_at_the_installed_release_fails_the_audit(audit, capsys, tmp_path):
    module, _ = audit
    out = tmp_path / "audit.json"
    assert module.main(["--json", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "VULNERABLE: bad 3.1: PYSEC-1 (fixed in 3.2)" in printed
    assert "not audited: old 1.0 (latest 1.4)" in printed  # said, not hidden
    report = json.loads(out.read_text())
    assert set(report["audited"]) == {"safe", "bad"} and set(report["unknown"]) == {"local"}


def test_clean_and_unreachable_runs_pass_but_say_what_was_checked(audit, capsys, monkeypatch):
    module, answers = audit
    answers["bad"] = ("bad", "3.1", [], None)
    assert module.main([]) == 0
    assert "2 at their latest release audited" in capsys.readouterr().out
    monkeypatch.setattr(module, "project", lambda name: (name, None, [], "timed out"))
    assert module.main([]) == 0
    assert "PyPI unreachable (timed out); nothing audited" in capsys.readouterr().out
