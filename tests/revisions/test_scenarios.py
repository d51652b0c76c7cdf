"""Enterprise-level scenarios (``tests/scenarios/*.yaml``): this enterprise on this date gives
exactly these findings. A scenario marked ``expect_gap`` states a known gap: it is expected to
fail (and fails the suite once it passes, so that the marker is removed when the gap closes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safety_rules import Rulebook
from safety_rules.revisions._scenarios import load_scenario, run_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 4
    assert any(load_scenario(p).expect_gap for p in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(book: Rulebook, path: Path) -> None:
    scenario = load_scenario(path)
    differences = run_scenario(book, path)
    if scenario.expect_gap:
        if differences:
            pytest.xfail(f"known gap: {scenario.expect_gap}")
        pytest.fail(f"the gap is closed ({scenario.expect_gap}): remove expect_gap from {path.name}")
    assert differences == [], f"{scenario.name}: " + "; ".join(differences)


def test_a_wrong_expectation_is_reported(book: Rulebook, tmp_path: Path) -> None:
    source = (SCENARIOS[0].parent / "wood-products-2024-06.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(source.replace("../../examples", str(SCENARIOS[0].parents[2] / "examples"))
                     .replace("dust.warning-signs, severity: violation", "dust.warning-signs, severity: major_hazard")
                     .replace("  - {rule: dust.zone20-electrics, severity: major_hazard, version: \"2023\"}\n", ""),
                     encoding="utf-8")
    assert run_scenario(book, wrong) == ["unexpected finding of dust.zone20-electrics (major_hazard)",
                                         "dust.warning-signs: expected major_hazard, got violation"]
