"""Condition coverage of each rule version by its own examples.

A version's goals: every leaf of its condition (a comparison, a true/false fact, an
``any``/``all``; inside ``any(... for c in records)`` per record) seen true and seen false on
some example, and the whole version seen violated, compliant (unless it is partial: then it
never can be) and undetermined. Leaves are evaluated on every example whatever the
connectives around them decide (the condition language has no side effects, so a leaf's
value on an example does not depend on evaluation order).

A leaf never seen false is one whose examples cannot tell ``x >= 200`` from ``true``; never
seen true, from ``false``. ``check --coverage`` prints the figures per industry and lists
every uncovered leaf.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..engine._check import OUTCOME_NAMES
from ..engine._expressions import Aggregate, Expr, is_leaf_condition
from ..engine._interpreter import Environment, explain
from ..engine._loader import LoadedLineage, LoadedVersion
from ..engine._rulebook import Rulebook
from ..shared._errors import Problem
from ..shared._yaml import YamlMapping


@dataclass
class Leaf:
    text: str
    sub_item: str | None
    line: int | None
    seen: set[bool] = field(default_factory=set)

    @property
    def missing(self) -> list[bool]:
        return [v for v in (True, False) if v not in self.seen]


@dataclass
class VersionCoverage:
    rule_id: str
    version: str
    industry: str
    path: str
    line: int | None
    partial: bool
    leaves: list[Leaf]
    outcomes: set[str] = field(default_factory=set)

    @property
    def needed(self) -> list[str]:
        return ["violated", "undetermined"] + ([] if self.partial else ["compliant"])

    @property
    def goals(self) -> int:
        return 2 * len(self.leaves) + len(self.needed)

    @property
    def covered(self) -> int:
        return sum(len(leaf.seen) for leaf in self.leaves) + sum(o in self.outcomes for o in self.needed)

    @property
    def leaves_covered(self) -> int:
        return sum(1 for leaf in self.leaves if not leaf.missing)


@dataclass
class Figures:
    goals: int = 0
    covered: int = 0
    leaves: int = 0
    leaves_covered: int = 0
    versions: int = 0

    def add(self, v: VersionCoverage) -> None:
        self.goals += v.goals
        self.covered += v.covered
        self.leaves += len(v.leaves)
        self.leaves_covered += v.leaves_covered
        self.versions += 1

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.goals if self.goals else 100.0

    @property
    def leaf_percent(self) -> float:
        return 100.0 * self.leaves_covered / self.leaves if self.leaves else 100.0


@dataclass
class CoverageReport:
    versions: list[VersionCoverage]

    def by_industry(self) -> dict[str, Figures]:
        found: dict[str, Figures] = {}
        for v in self.versions:
            found.setdefault(v.industry, Figures()).add(v)
        return dict(sorted(found.items()))

    @property
    def total(self) -> Figures:
        figures = Figures()
        for v in self.versions:
            figures.add(v)
        return figures

    def problems(self) -> list[Problem]:
        """One warning per uncovered leaf and per outcome no example reaches."""
        found = []
        for v in self.versions:
            for leaf in v.leaves:
                if leaf.missing:
                    never = "从未为真" if True in leaf.missing else ""
                    never += ("、" if never and False in leaf.missing else "") + (
                        "从未为假" if False in leaf.missing else "")
                    where = f"情形{leaf.sub_item} " if leaf.sub_item else ""
                    found.append(Problem(f"version {v.version}: {where}sub-condition {leaf.text!r} is never "
                                         f"{' or '.join('true' if m else 'false' for m in leaf.missing)} in the "
                                         f"examples（示例中{never}）", path=v.path, line=leaf.line, rule_id=v.rule_id,
                                         level="warning", code="SR601"))
            for outcome in v.needed:
                if outcome not in v.outcomes:
                    found.append(Problem(f"version {v.version}: no example gives {outcome}", path=v.path,
                                         line=v.line, rule_id=v.rule_id, level="warning", code="SR601"))
        return found


def _visit(e: Expr, env: Environment, record: Callable[[Expr, Any], None]) -> None:
    if is_leaf_condition(e):
        record(e, explain(e, env).value)
    if isinstance(e, Aggregate):
        records = env.fact_value(e.source.id)
        for index, item in enumerate(records or ()):
            env.variables[e.var] = (item, index)
            try:
                for part in (*e.filters, e.body):
                    _visit(part, env, record)
            finally:
                env.variables.pop(e.var, None)
        return
    for child in e.children():
        _visit(child, env, record)


def _conditions(version: LoadedVersion) -> Iterator[tuple[str | None, Expr]]:
    if version.sub_conditions:
        yield from version.sub_conditions
    else:
        yield None, version.when


def when_line(lineage: LoadedLineage, version: LoadedVersion, sub_item: str | None = None) -> int | None:
    """The line of a version's ``when`` (or of one sub-item's condition) in its file."""
    try:
        index = [v.version for v in lineage.spec.versions].index(version.spec.version)
        node = lineage.raw["versions"][index]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(node, YamlMapping):
        return None
    line = node.key_lines.get("when")
    when = node.get("when")
    if sub_item is not None and isinstance(when, YamlMapping):
        line = when.key_lines.get(sub_item, line)
    return line


def version_coverage(book: Rulebook, lineage: LoadedLineage, index: int) -> VersionCoverage:
    version = lineage.versions[index]
    leaves: dict[int, Leaf] = {}
    order: list[tuple[str | None, Expr]] = []
    for sub_item, condition in _conditions(version):
        line = when_line(lineage, version, sub_item)
        for node in condition.walk():
            if is_leaf_condition(node) and id(node) not in leaves:
                leaves[id(node)] = Leaf(" ".join(node.text.split()), sub_item, line)
                order.append((sub_item, node))
    cov = VersionCoverage(lineage.spec.id, version.spec.version, lineage.spec.industry, lineage.path,
                          version.line, version.partial, [leaves[id(n)] for _s, n in order])

    def seen(node: Expr, value: Any) -> None:
        leaf = leaves.get(id(node))
        if leaf is not None and isinstance(value, bool):
            leaf.seen.add(value)

    for example in version.spec.examples:
        facts, problems = book.facts.validate(example.facts)
        if problems:
            continue  # check reports the example
        as_of: dt.date = example.as_of or version.window.start
        env = Environment(facts, as_of, book.derived, book.tables)
        code, _applies, _when = book.outcome(version, env)
        cov.outcomes.add(OUTCOME_NAMES[code])
        for _sub_item, condition in _conditions(version):
            _visit(condition, env, seen)
    return cov


def condition_coverage(book: Rulebook, lineages: dict[str, LoadedLineage] | None = None) -> CoverageReport:
    """Coverage of every version of every lineage (default: the whole rulebook)."""
    chosen = lineages if lineages is not None else {rid: book.lineage(rid) for rid in book.rule_ids}
    versions = [version_coverage(book, lineage, i) for lineage in chosen.values()
                for i in range(len(lineage.versions))]
    return CoverageReport(versions)
