from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safety_rules import Rulebook

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
