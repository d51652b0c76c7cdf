"""Mutation check: does some example notice when a condition is perturbed?

Each condition of a version is perturbed one place at a time: ``>=`` ↔ ``>`` and ``<=`` ↔
``<``, a threshold compared with one unit more or less, ``any`` ↔ ``all``, ``and`` ↔ ``or``.
A mutant is killed when some example of the version gets a different outcome (or, for an
example that names its ``sub_items``, different sub-items) from the mutated version than from
the version itself; a surviving mutant is a revision the examples would let through — the
threshold changed from ``>= 200`` to ``> 200`` that passes every example. The cure is an
example on the boundary (exactly 200 m), or two records of which only one violates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..engine._expressions import Aggregate, BoolOp, Compare, Const, Expr
from ..engine._interpreter import Environment, explain
from ..engine._loader import LoadedLineage, LoadedVersion
from ..engine._rulebook import Rulebook
from ..shared._errors import Problem
from ._condition_coverage import when_line

_FLIPPED = {">=": ">", ">": ">=", "<=": "<", "<": "<="}


@dataclass(frozen=True)
class Mutant:
    rule_id: str
    version: str
    sub_item: str | None
    original: str  # the part perturbed, as written
    mutated: str
    path: str
    line: int | None
    killed: bool
    reviewed: str | None = None  # the reason the rule file gives for declaring it equivalent


def _replace(root: Expr, target: Expr, new: Expr) -> Expr:
    """``root`` with the node ``target`` (by identity) replaced by ``new``."""
    if root is target:
        return new
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(root):
        value = getattr(root, f.name)
        replaced = _replace_in(value, target, new)
        if replaced is not value:
            changes[f.name] = replaced
    return dataclasses.replace(root, **changes) if changes else root


def _replace_in(value: Any, target: Expr, new: Expr) -> Any:
    """A field's value with ``target`` replaced, through tuples (``IfElse.branches`` nests them)."""
    if isinstance(value, Expr):
        return _replace(value, target, new)
    if isinstance(value, tuple):
        items = tuple(_replace_in(v, target, new) for v in value)
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def perturbations(expr: Expr) -> Iterator[tuple[str, str, Expr]]:
    """(part as written, part as mutated, the mutated condition) for every single perturbation."""
    for node in expr.walk():
        if isinstance(node, Compare):
            if node.op in _FLIPPED:
                flipped = dataclasses.replace(node, op=_FLIPPED[node.op])  # type: ignore[arg-type]
                yield node.text, f"{node.left.text} {flipped.op} {node.right.text}", _replace(expr, node, flipped)
            for side in ("left", "right"):
                const = getattr(node, side)
                if isinstance(const, Const) and isinstance(const.value, int | float) \
                        and not isinstance(const.value, bool):
                    for delta in (1, -1):
                        moved = dataclasses.replace(const, value=const.value + delta,
                                                    text=_number(const.value + delta))
                        mutated = dataclasses.replace(node, **{side: moved})  # type: ignore[arg-type]
                        shown = (f"{moved.text} {node.op} {node.right.text}" if side == "left"
                                 else f"{node.left.text} {node.op} {moved.text}")
                        yield node.text, shown, _replace(expr, node, mutated)
        elif isinstance(node, Aggregate) and node.func in ("any", "all"):
            other = "all" if node.func == "any" else "any"
            swapped = dataclasses.replace(node, func=other)  # type: ignore[arg-type]
            yield node.text, other + node.text[len(node.func):], _replace(expr, node, swapped)
        elif isinstance(node, BoolOp):
            op = "or" if node.op == "and" else "and"
            joined = dataclasses.replace(node, op=op)  # type: ignore[arg-type]
            yield node.text, f" {op} ".join(o.text for o in node.operands), _replace(expr, node, joined)


def _result(book: Rulebook, version: LoadedVersion, env: Environment,
            with_sub_items: bool) -> tuple[int, tuple[str, ...]]:
    code, _applies, _when = book.outcome(version, env)
    held: tuple[str, ...] = ()
    if with_sub_items:
        held = tuple(label for label, c in version.sub_conditions if explain(c, env).value is True)
    return code, held


def _with_condition(version: LoadedVersion, sub_item: str | None, mutated: Expr) -> LoadedVersion:
    if sub_item is None:
        return dataclasses.replace(version, when=mutated)
    subs = tuple((label, mutated if label == sub_item else c) for label, c in version.sub_conditions)
    exprs = tuple(c for _label, c in subs)
    when = exprs[0] if len(exprs) == 1 else BoolOp(version.when.type, version.when.text, "or", exprs)
    return dataclasses.replace(version, when=when, sub_conditions=subs)


def version_mutants(book: Rulebook, lineage: LoadedLineage, version: LoadedVersion) -> list[Mutant]:
    examples = []
    for example in version.spec.examples:
        facts, problems = book.facts.validate(example.facts)
        if problems:
            continue
        as_of: dt.date = example.as_of or version.window.start
        examples.append((facts, as_of, example.sub_items is not None))
    original = [_result(book, version, Environment(f, d, book.derived, book.tables), s) for f, d, s in examples]
    conditions = list(version.sub_conditions) if version.sub_conditions else [(None, version.when)]
    declared = {(" ".join(e.original.split()), " ".join(e.mutated.split())): e.reason
                for e in version.spec.equivalent_mutants}
    found = []
    for sub_item, condition in conditions:
        for before, after, mutated in perturbations(condition):
            mutant = _with_condition(version, sub_item, mutated)
            killed = any(_result(book, mutant, Environment(f, d, book.derived, book.tables), s) != want
                         for (f, d, s), want in zip(examples, original, strict=True))
            shown = (" ".join(before.split()), " ".join(after.split()))
            found.append(Mutant(lineage.spec.id, version.spec.version, sub_item, *shown, lineage.path,
                                when_line(lineage, version, sub_item), killed, declared.get(shown)))
    return found


def stale_declarations(book: Rulebook, lineages: dict[str, LoadedLineage] | None = None,
                       mutants: list[Mutant] | None = None) -> list[Problem]:
    """Declared equivalent mutants that the condition no longer produces, or that an example kills:
    a declaration must not outlive the reason it was made for."""
    chosen = lineages if lineages is not None else {rid: book.lineage(rid) for rid in book.rule_ids}
    found = mutants if mutants is not None else mutation_check(book, chosen)
    by_version: dict[tuple[str, str], dict[tuple[str, str], Mutant]] = {}
    for m in found:
        by_version.setdefault((m.rule_id, m.version), {})[(m.original, m.mutated)] = m
    problems = []
    for lineage in chosen.values():
        for v in lineage.versions:
            produced = by_version.get((lineage.spec.id, v.spec.version), {})
            for e in v.spec.equivalent_mutants:
                match = produced.get((" ".join(e.original.split()), " ".join(e.mutated.split())))
                if match is None or match.killed:
                    why = "no such mutant of this version's condition" if match is None else "an example now kills it"
                    problems.append(Problem(
                        f"version {v.spec.version}: equivalent mutant {e.original!r} → {e.mutated!r} is declared, "
                        f"but {why}: remove the declaration（该等价变异声明已失效，请删去）", path=lineage.path,
                        line=when_line(lineage, v, None), rule_id=lineage.spec.id, code="SR609"))
    return problems


def mutation_check(book: Rulebook, lineages: dict[str, LoadedLineage] | None = None) -> list[Mutant]:
    chosen = lineages if lineages is not None else {rid: book.lineage(rid) for rid in book.rule_ids}
    return [m for lineage in chosen.values() for v in lineage.versions for m in version_mutants(book, lineage, v)]


def mutant_problems(mutants: list[Mutant]) -> list[Problem]:
    return [Problem(f"version {m.version}: {'情形' + m.sub_item + ' ' if m.sub_item else ''}no example notices "
                    f"{m.original!r} → {m.mutated!r}（没有示例能区分这一改动：请补充边界示例）", path=m.path,
                    line=m.line, rule_id=m.rule_id, code="SR603") for m in mutants
            if not m.killed and m.reviewed is None]
