"""Whatever a rule file contains, loading reports problems and never raises anything else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_rules import check_rulebook

from ..conftest import RULES

TARGET = "dust/dry-collector-explosion-control.yaml"
ORIGINAL = (RULES / TARGET).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rulebook of the bundled catalogs (rulebook, facts, law, tables) and the one rule file
    mangled: what the file refers to is all there, and each check reads no other rule."""
    root = tmp_path_factory.mktemp("robust") / "rules"
    root.mkdir()
    shutil.copy(RULES / "rulebook.yaml", root)
    for catalog in ("facts", "law", "tables"):
        shutil.copytree(RULES / catalog, root / catalog)
    (root / TARGET).parent.mkdir()
    shutil.copy(RULES / TARGET, root / TARGET)
    report = check_rulebook(root)
    assert report.ok and report.rules == 1, report.problems  # unmangled, the file is fine
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mangled_rule_file_gives_problems_not_exceptions(scratch: Path, data: st.DataObject) -> None:
    lines = ORIGINAL.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["drop", "dup", "swap", "edit"]))
        i = data.draw(st.integers(0, len(lines) - 1))
        j = data.draw(st.integers(0, len(lines) - 1))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = lines[i].replace(data.draw(st.sampled_from([":", "true", "'", "干式", "c.", " "])),
                                        data.draw(st.sampled_from(["", "false", "1", "x.", "None", "\t"])), 1)
        if not lines:
            lines = ["x"]
    (scratch / TARGET).write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_rulebook(scratch)  # must not raise
    for p in report.problems:
        assert p.message and p.path, p
