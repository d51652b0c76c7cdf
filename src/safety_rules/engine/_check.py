"""``safety-rules check``: validate a rulebook and run every rule's own examples.

Each example runs through both evaluators: its rule version compiled by the compiler
``assess`` uses, and the reference interpreter. The example must give its expected
outcome, and the two must agree; for ``undetermined`` examples that list ``missing``,
the missing facts must match exactly.

Each version is compiled once, on its own, and runs all its examples: an example then
costs the same in a rulebook of 30 rules or of 3,000 (compiling the whole slice of the
rulebook in force on each example's date made ``check`` cost rules x distinct dates). The
evaluators ``assess`` runs (one per industry, every version of its rules) put the same
code under tests of the date's stretch and of applicability; the property tests hold
them equal to the reference interpreter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..shared._errors import Problem
from ._compiler import COMPLIANT, NOT_APPLICABLE, UNDETERMINED, VIOLATED, evaluate_rules, outcome_codes
from ._interpreter import Environment
from ._loader import LoadedLineage, collector_paused, load_parts
from ._rulebook import Rulebook, default_rules_path

OUTCOME_NAMES = {NOT_APPLICABLE: "not_applicable", COMPLIANT: "compliant",
                 VIOLATED: "violated", UNDETERMINED: "undetermined"}


@dataclass
class CheckReport:
    root: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rulebook_version: str | None = None
    rules: int = 0
    versions: int = 0
    examples: int = 0
    examples_passed: int = 0
    facts: int = 0
    documents: int = 0
    book: Rulebook | None = field(default=None, repr=False)  # the checked rulebook, when it loaded

    @property
    def ok(self) -> bool:
        return not self.problems


def check_rulebook(path: str | Path | None = None) -> CheckReport:
    """Validate everything and run every example; collect all problems."""
    with collector_paused():  # like loading, running the examples builds much and frees little
        return _check(Path(path) if path is not None else default_rules_path())


def _check(root: Path) -> CheckReport:
    parts, found = load_parts(root)
    report = CheckReport(root=root, problems=[p for p in found if p.level == "error"],
                         warnings=[p for p in found if p.level == "warning"])
    if parts is None:
        return report
    report.rulebook_version = parts.rulebook.version
    report.rules = len(parts.lineages)
    report.versions = sum(len(lin.versions) for lin in parts.lineages.values())
    report.facts = len(parts.facts.specs)
    report.documents = len(parts.law.documents)
    book = Rulebook(parts)
    report.book = book
    for lineage in parts.lineages.values():
        if len(lineage.versions) != len(lineage.spec.versions):
            continue  # a version did not parse; its problem is already reported
        _run_examples(book, lineage, report)
    report.problems.sort(key=lambda p: (p.path or "", p.line or 0, p.message))
    return report


def _run_examples(book: Rulebook, lineage: LoadedLineage, report: CheckReport) -> None:
    raw_versions = lineage.raw["versions"]
    for vi, version in enumerate(lineage.versions):
        raw_examples = raw_versions[vi]["examples"]
        for ei, example in enumerate(version.spec.examples):
            report.examples += 1
            raw = raw_examples[ei]
            line = raw_examples.item_lines[ei]

            def problem(message: str, _line: int | None = line, _name: str = example.name,
                        _version: str = version.spec.version, code: str = "SR401") -> None:
                report.problems.append(Problem(f"version {_version}, example {_name!r}: {message}",
                                               path=lineage.path, line=_line, rule_id=lineage.spec.id, code=code))

            facts, fact_problems = book.facts.validate(raw.get("facts") or {}, source=lineage.path)
            if fact_problems:
                for p in fact_problems:
                    problem(p.message, p.line, code="SR403")
                continue
            as_of: dt.date = example.as_of or version.window.start
            if not version.window.contains(as_of):
                problem(f"as_of {as_of} is outside the version's window {version.window}", code="SR404")
                continue
            env = Environment(facts, as_of, book.derived, book.tables)
            try:
                reference, applies, when = book.outcome(version, env)
                compiled = outcome_codes(evaluate_rules(book.version_evaluator(version), facts, as_of), 1)[0]
            except Exception as exc:  # the example's values break the condition: report, go on
                problem(f"evaluation failed: {type(exc).__name__}: {exc}")
                continue
            if compiled != reference:
                said = OUTCOME_NAMES[compiled] if compiled is not None else "nothing"
                problem(f"internal error: compiled evaluator says {said}, "
                        f"reference interpreter says {OUTCOME_NAMES[reference]}", code="SR405")
                continue
            got = OUTCOME_NAMES[reference]
            if got != example.expect:
                detail = ""
                decided = [o for o in (applies, when) if o is not None]
                missing = sorted(set().union(*(o.missing for o in decided if o.value is None)))
                if missing:
                    detail = f"; missing facts: {', '.join(missing)}"
                reasons = [f"{r.text} = {r.value}" for o in decided for r in o.reasons]
                if reasons:
                    detail += f"; decided by: {'; '.join(reasons)}"
                problem(f"expected {example.expect}, got {got}{detail}", code="SR401")
                continue
            if example.missing is not None:
                missing = book._missing_facts(version, env)
                if missing != sorted(example.missing):
                    problem(f"expected missing facts {sorted(example.missing)}, got {missing}", code="SR406")
                    continue
            if example.sub_items is not None:
                held = book._finding_detail(version, env)[2]
                if sorted(held) != sorted(example.sub_items):
                    problem(f"expected sub-items {example.sub_items} to hold, got {held}", code="SR407")
                    continue
            report.examples_passed += 1
