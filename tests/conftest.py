from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safety_rules import Rulebook
from safety_rules.cli._app import app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def book() -> Rulebook:
    return Rulebook.load(RULES)


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled rulebook that a test may break."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``safety-rules`` in-process: (exit code, stdout, stderr); never a traceback."""
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr
