"""Dead and vacuous sub-conditions: ``n >= 200 and n < 100`` can never hold, ``m < 0`` where the
fact's catalog says ``minimum: 0`` can never hold, ``m >= 0`` there always holds.

Checked only where the answer is certain: sub-conditions built from observed scalar facts
compared with constants (and ``in`` lists, true/false facts, ``and``/``or``/``not``). For
those, every value between two neighbouring constants gives the same result, so the
boundary search of :mod:`._witness` over the fact's allowed range is exhaustive. Anything with
arithmetic, records, derived facts or dates is skipped rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from ..engine._expressions import AsOf, BoolOp, Compare, Const, Expr, FactRef, Not, is_leaf_condition
from ..engine._interpreter import evaluate
from ..engine._loader import LoadedLineage
from ..engine._rulebook import Rulebook
from ..shared._errors import Problem
from ._condition_coverage import when_line
from ._witness import reach, slots_for

_BUDGET = 20_000


def _simple(e: Expr, book: Rulebook) -> bool:
    """Built only from observed scalar facts, constants and the connectives."""
    if isinstance(e, Const):
        return True
    if isinstance(e, FactRef):
        spec = book.facts.specs.get(e.id)
        return spec is not None and spec.derive is None and spec.type in ("bool", "number", "enum", "string")
    if isinstance(e, BoolOp | Not | Compare):
        return all(_simple(c, book) for c in e.children())
    return False


def _value(book: Rulebook, node: Expr, facts: Mapping[str, Any], as_of: dt.date) -> Any:
    return evaluate(node, facts, as_of, book.derived, book.tables)


def _candidates(expr: Expr) -> list[Expr]:
    """Sub-conditions worth a verdict: leaves and ``and`` groups (where contradictions live)."""
    return [n for n in expr.walk() if is_leaf_condition(n) or (isinstance(n, BoolOp) and n.op == "and")]


def vacuity_problems(book: Rulebook, lineage: LoadedLineage) -> list[Problem]:
    found: list[Problem] = []
    for version in lineage.versions:
        day: dt.date = version.window.start
        conditions = list(version.sub_conditions) if version.sub_conditions else [(None, version.when)]
        for sub_item, condition in conditions:
            verdicts: dict[int, str] = {}
            for node in _candidates(condition):
                if not _simple(node, book) or any(isinstance(n, AsOf) for n in node.walk()):
                    continue
                slots = slots_for([node], (book,), day)
                values = reach(slots, functools.partial(_value, book, node, as_of=day), _BUDGET)
                if values.complete and True not in values.values:
                    verdicts[id(node)] = "dead"
                elif values.complete and False not in values.values:
                    verdicts[id(node)] = "vacuous"
            where = f"情形{sub_item} " if sub_item else ""
            line = when_line(lineage, version, sub_item)
            shown: set[str] = set()
            for node in _candidates(condition):
                verdict = verdicts.get(id(node))
                text = " ".join(node.text.split())
                # a group that is dead because one operand is says nothing new
                if verdict is None or text in shown or any(id(o) in verdicts for o in node.children()):
                    continue
                shown.add(text)
                if verdict == "dead":
                    found.append(Problem(f"version {version.spec.version}: {where}sub-condition {text!r} can never "
                                         "hold within the facts' allowed values（该子条件永远不能成立）",
                                         path=lineage.path, line=line, rule_id=lineage.spec.id, level="warning",
                                         code="SR604"))
                else:
                    found.append(Problem(f"version {version.spec.version}: {where}sub-condition {text!r} holds "
                                         "whenever its facts are known（该子条件在事实已知时总成立）",
                                         path=lineage.path, line=line, rule_id=lineage.spec.id, level="warning",
                                         code="SR605"))
    return found
