"""How well examples pin conditions: condition coverage, mutants that no example kills, and dead
or vacuous sub-conditions."""

from __future__ import annotations

import shutil
from pathlib import Path

from safety_rules import Rulebook, check_rulebook
from safety_rules.revisions._condition_coverage import condition_coverage
from safety_rules.revisions._mutants import mutation_check, stale_declarations
from safety_rules.revisions._vacuity import vacuity_problems

from ..conftest import FIXTURES, run_cli

QUALITY = FIXTURES / "example_quality"


def _lineage(book: Rulebook, rid: str) -> dict[str, object]:
    return {rid: book.lineage(rid)}


def _with(rules_copy: Path, name: str) -> Rulebook:
    shutil.copy(QUALITY / name, rules_copy / "mining" / name)
    report = check_rulebook(rules_copy)
    assert report.problems == [], [str(p) for p in report.problems]
    assert report.book is not None
    return report.book


def test_a_boundary_example_kills_the_threshold_mutants(rules_copy: Path) -> None:
    book = _with(rules_copy, "boundary_pinned.yaml")
    mutants = mutation_check(book, _lineage(book, "mining.boundary-pinned"))  # type: ignore[arg-type]
    assert {m.mutated for m in mutants} == {"mine_slope_height_m > 200", "mine_slope_height_m >= 201",
                                            "mine_slope_height_m >= 199", "mine_slope_height_m >= 200 or "
                                            "not mine_slope_online_monitoring"}
    assert all(m.killed for m in mutants), [m.mutated for m in mutants if not m.killed]


def test_without_the_boundary_example_the_mutant_survives(rules_copy: Path) -> None:
    text = (QUALITY / "boundary_pinned.yaml").read_text(encoding="utf-8")
    start = text.index("      - name: 恰好200米")
    end = text.index("      - name:", start + 1)
    (rules_copy / "mining" / "unpinned.yaml").write_text(
        text[:start].replace("mining.boundary-pinned", "mining.unpinned") + text[end:], encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert report.problems == [] and report.book is not None
    surviving = [m.mutated for m in mutation_check(report.book, _lineage(report.book, "mining.unpinned"))
                 if not m.killed]  # type: ignore[arg-type]
    assert surviving == ["mine_slope_height_m > 200", "mine_slope_height_m >= 201"]
    code, out, _ = run_cli("check", str(rules_copy), "--mutants")
    assert code == 1
    assert "mining.unpinned: version 2017: no example notices 'mine_slope_height_m >= 200' → " \
           "'mine_slope_height_m > 200'" in out and "[SR603]" in out


def _declaring(text: str, rid: str, original: str, mutated: str) -> str:
    """``text`` (a one-version fixture) renamed to ``rid`` and declaring one mutant equivalent."""
    return text.replace("mining.boundary-pinned", rid).replace(
        "    examples:\n", f"    equivalent_mutants:\n      - {{original: \"{original}\", mutated: \"{mutated}\", "
        "reason: 测试}\n    examples:\n", 1)


def test_a_mutant_reviewed_as_equivalent_is_not_reported_and_a_stale_declaration_is(rules_copy: Path) -> None:
    text = (QUALITY / "boundary_pinned.yaml").read_text(encoding="utf-8")
    start = text.index("      - name: 恰好200米")
    end = text.index("      - name:", start + 1)
    unpinned = text[:start] + text[end:]
    both = "mine_slope_height_m >= 200"  # the part perturbed, as check --mutants prints it
    # the surviving '> 200' mutant declared: only '>= 201' is still reported
    (rules_copy / "mining" / "reviewed.yaml").write_text(
        _declaring(unpinned, "mining.reviewed", both, "mine_slope_height_m > 200"),
        encoding="utf-8")
    # a declaration an example refutes (the boundary example kills it), and one of a mutant that does not exist
    (rules_copy / "mining" / "refuted.yaml").write_text(
        _declaring(text, "mining.refuted", both, "mine_slope_height_m > 200"),
        encoding="utf-8")
    (rules_copy / "mining" / "phantom.yaml").write_text(
        _declaring(text, "mining.phantom", both, "mine_slope_height_m >= 300"),
        encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert report.problems == [] and report.book is not None
    book = report.book
    reviewed = mutation_check(book, _lineage(book, "mining.reviewed"))  # type: ignore[arg-type]
    assert [(m.mutated, m.reviewed) for m in reviewed if not m.killed] == [
        ("mine_slope_height_m > 200", "测试"), ("mine_slope_height_m >= 201", None)]
    stale = stale_declarations(book, {rid: book.lineage(rid) for rid in  # type: ignore[misc]
                                      ("mining.reviewed", "mining.refuted", "mining.phantom")})
    assert {(p.rule_id, p.code) for p in stale} == {("mining.refuted", "SR609"), ("mining.phantom", "SR609")}
    assert any("an example now kills it" in p.message for p in stale)
    assert any("no such mutant" in p.message for p in stale)
    code, out, _ = run_cli("check", str(rules_copy), "--mutants")
    assert code == 1 and "[SR609]" in out
    assert "mining.reviewed: version 2017: no example notices 'mine_slope_height_m >= 200' → " \
           "'mine_slope_height_m >= 201'" in out
    assert "mining.reviewed: version 2017: no example notices 'mine_slope_height_m >= 200' → " \
           "'mine_slope_height_m > 200'" not in out


def test_condition_coverage_counts_leaves_seen_true_and_false(rules_copy: Path) -> None:
    book = _with(rules_copy, "boundary_pinned.yaml")
    (version,) = condition_coverage(book, _lineage(book, "mining.boundary-pinned")).versions  # type: ignore[arg-type]
    assert [(leaf.text, sorted(leaf.seen)) for leaf in version.leaves] == [
        ("mine_slope_height_m >= 200", [False, True]), ("mine_slope_online_monitoring", [False])]
    assert version.outcomes == {"violated", "compliant", "undetermined", "not_applicable"}
    assert (version.covered, version.goals) == (6, 7) and version.leaves_covered == 1
    (warning,) = condition_coverage(book, _lineage(book, "mining.boundary-pinned")).problems()  # type: ignore[arg-type]
    assert warning.code == "SR601" and "'mine_slope_online_monitoring' is never true" in warning.message


def test_check_coverage_prints_figures_and_fails_below_the_minimum(rules_copy: Path) -> None:
    shutil.copy(QUALITY / "boundary_pinned.yaml", rules_copy / "mining")  # one leaf never true
    code, out, _ = run_cli("check", str(rules_copy), "--coverage")
    assert code == 0 and "条件覆盖" in out and "合计" in out and "condition coverage" in out.splitlines()[-1]
    code, out, err = run_cli("check", str(rules_copy), "--min-coverage", "100")
    assert code == 1 and "[SR602]" in out and "is below --min-coverage 100%" in out


def test_dead_and_vacuous_sub_conditions_are_warnings(rules_copy: Path) -> None:
    book = _with(rules_copy, "dead_conditions.yaml")
    found = vacuity_problems(book, book.lineage("mining.dead-conditions"))
    text = {(p.code, p.message.split("sub-condition ", 1)[1].split(" ", 1)[0]) for p in found}
    assert ("SR604", "'mine_slope_height_m") in text  # >= 200 and < 100: never together
    assert any(p.code == "SR604" and "'mine_exit_spacing_m < 0'" in p.message for p in found)  # minimum: 0
    assert any(p.code == "SR605" and "'mine_exit_spacing_m >= 0'" in p.message for p in found)
    assert all(p.level == "warning" for p in found) and len(found) == 3
    code, out, _ = run_cli("check", str(rules_copy))
    assert code == 0 and "[SR604]" in out and "[SR605]" in out


def test_the_bundled_rules_have_no_dead_conditions() -> None:
    from ..conftest import RULES

    book = Rulebook.load(RULES)
    assert [str(p) for rid in book.rule_ids for p in vacuity_problems(book, book.lineage(rid))] == []
