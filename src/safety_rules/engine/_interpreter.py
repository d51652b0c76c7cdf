"""The reference interpreter: three-valued (Kleene) evaluation with explanations.

This is the plain, obviously-correct definition of what a condition means. The
compiled evaluator (``_compiler``) must agree with it on every expression and every
partial set of facts; a property test checks that. It is also what explains a
finding: which sub-conditions decided, with which fact values, and which missing
facts would decide an undetermined rule.

Unknown is ``None``. ``False and unknown`` is False, ``True or unknown`` is True;
a comparison or arithmetic with an unknown operand is unknown; ``x / 0`` is unknown;
``x if c else y`` is unknown when ``c`` is (even if ``x`` and ``y`` agree).
Over a list of records: ``any`` is True if some record's condition is True, unknown
if none is True but some is unknown; ``all`` dually; ``count`` and ``sum`` are
unknown if any record's contribution is unknown. An ``if`` filter joins the
per-record condition with ``and`` (for ``any``/``count``/``sum``) or as ``not filter
or condition`` (for ``all``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._expressions import (
    Aggregate,
    Arith,
    AsOf,
    BoolOp,
    Call,
    Compare,
    Const,
    Expr,
    FactRef,
    Field,
    IfElse,
    Lookup,
    Neg,
    Not,
    Var,
    is_leaf_condition,
)
from ._tables import Table

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}

_NOTHING: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    """One sub-condition that decided (or left open) a result, with the facts it read."""

    text: str
    value: bool | None
    facts: tuple[tuple[str, Any], ...] = ()
    records: tuple[tuple[str, int, Mapping[str, Any]], ...] = ()  # (records fact, index, record) that decided


@dataclass(frozen=True)
class Outcome:
    value: Any
    missing: frozenset[str] = _NOTHING
    reasons: tuple[Reason, ...] = ()
    records: tuple[tuple[str, int, Mapping[str, Any]], ...] = ()


@dataclass
class Environment:
    facts: Mapping[str, Any]
    as_of: dt.date
    derived: Mapping[str, Expr] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)
    derived_cache: dict[str, Outcome] = field(default_factory=dict)
    variables: dict[str, tuple[Mapping[str, Any], int]] = field(default_factory=dict)

    def fact_value(self, fact_id: str) -> Any:
        if fact_id in self.derived:
            return self.derived_outcome(fact_id).value
        return self.facts.get(fact_id)

    def derived_outcome(self, fact_id: str) -> Outcome:
        cached = self.derived_cache.get(fact_id)
        if cached is None:
            cached = _eval(self.derived[fact_id], self)
            self.derived_cache[fact_id] = cached
        return cached


def evaluate(expr: Expr, facts: Mapping[str, Any], as_of: dt.date,
             derived: Mapping[str, Expr] | None = None, tables: Mapping[str, Table] | None = None) -> Any:
    """The three-valued value of ``expr`` (``None`` = unknown)."""
    return _eval(expr, Environment(facts, as_of, derived or {}, tables or {})).value


def explain(expr: Expr, env: Environment) -> Outcome:
    """Value, the missing facts that would decide it, and the deciding sub-conditions."""
    return _eval(expr, env)


def _leaf(expr: Expr, env: Environment, out: Outcome) -> Outcome:
    if not is_leaf_condition(expr):
        return out
    facts = tuple((f, env.fact_value(f)) for f in expr.sorted_facts)
    return Outcome(out.value, out.missing, (Reason(expr.text, out.value, facts, out.records),))


def _eval(e: Expr, env: Environment) -> Outcome:
    if isinstance(e, Const):
        return Outcome(e.value)
    if isinstance(e, FactRef):
        if e.id in env.derived:
            d = env.derived_outcome(e.id)
            out = Outcome(d.value, d.missing if d.value is None else _NOTHING)
        else:
            v = env.facts.get(e.id)
            out = Outcome(v, frozenset((e.id,)) if v is None else _NOTHING)
        return _leaf(e, env, out)
    if isinstance(e, AsOf):
        return Outcome(env.as_of)
    if isinstance(e, Var):
        return Outcome(env.variables[e.name][0])
    if isinstance(e, Field):
        record, index = env.variables[e.var]
        v = record.get(e.name)
        out = Outcome(v, frozenset((f"{e.source}[{index}].{e.name}",)) if v is None else _NOTHING)
        return _leaf(e, env, out)
    if isinstance(e, Not):
        x = _eval(e.operand, env)
        return Outcome(None if x.value is None else not x.value, x.missing, x.reasons)
    if isinstance(e, BoolOp):
        return _bool_op(e.op, e.operands, env)
    if isinstance(e, Compare):
        a, b = _eval(e.left, env), _eval(e.right, env)
        if a.value is None or b.value is None:
            return _leaf(e, env, Outcome(None, a.missing | b.missing))
        return _leaf(e, env, Outcome(_COMPARE[e.op](a.value, b.value), records=a.records + b.records))
    if isinstance(e, Arith):
        values = [_eval(o, env) for o in e.operands]
        if any(v.value is None for v in values):
            return Outcome(None, frozenset().union(*(v.missing for v in values)))
        result = values[0].value
        for op, operand, v in zip(e.ops, e.operands[1:], values[1:], strict=True):
            if op == "/" and v.value == 0:
                return Outcome(None, frozenset(operand.facts))
            result = _ARITH[op](result, v.value)
        return Outcome(result)
    if isinstance(e, Neg):
        x = _eval(e.operand, env)
        return Outcome(None if x.value is None else -x.value, x.missing)
    if isinstance(e, Aggregate):
        return _leaf(e, env, _aggregate(e, env))
    if isinstance(e, IfElse):
        chosen = e.otherwise
        for condition, then in e.branches:
            c = _eval(condition, env)
            if c.value is None:
                return _leaf(e, env, Outcome(None, c.missing))
            if c.value:
                chosen = then
                break
        branch = _eval(chosen, env)
        return _leaf(e, env, Outcome(branch.value, branch.missing, branch.reasons))
    if isinstance(e, Lookup):
        key = _eval(e.key, env)
        if key.value is None:
            return Outcome(None, key.missing)
        value = env.tables[e.table].get(key.value, e.column, env.as_of)
        return Outcome(value, frozenset((f"{e.table}[{key.value}].{e.column}",)) if value is None else _NOTHING)
    if isinstance(e, Call):
        x = _eval(e.args[0], env)
        if x.value is None:
            return Outcome(None, x.missing)
        if e.func == "len":
            return Outcome(len(x.value))
        return Outcome((env.as_of - x.value).days)  # days_since
    raise TypeError(f"cannot evaluate {type(e).__name__}")


def _bool_op(op: str, operands: tuple[Expr, ...], env: Environment) -> Outcome:
    decisive = op == "or"  # the value that settles the connective on its own
    unknown: list[Outcome] = []
    settled: list[Outcome] = []
    for operand in operands:
        x = _eval(operand, env)
        if x.value is decisive:
            return Outcome(decisive, _NOTHING, x.reasons)
        (unknown if x.value is None else settled).append(x)
    if unknown:
        missing = frozenset().union(*(u.missing for u in unknown))
        return Outcome(None, missing, tuple(r for u in unknown for r in u.reasons))
    return Outcome(not decisive, _NOTHING, tuple(r for s in settled for r in s.reasons))


def _aggregate(e: Aggregate, env: Environment) -> Outcome:
    src = _eval(e.source, env)
    if src.value is None:
        return Outcome(None, src.missing)
    values: list[Any] = []
    missing: set[str] = set()
    try:
        for index, record in enumerate(src.value):
            env.variables[e.var] = (record, index)
            x = _element(e, env)
            values.append(x.value)
            if x.value is None:
                missing |= x.missing
    finally:
        env.variables.pop(e.var, None)
    unknown = any(v is None for v in values)

    def deciding(value: bool) -> tuple[tuple[str, int, Mapping[str, Any]], ...]:
        # the records an inspector writes down: which collector, which tank
        return tuple((e.source.id, i, src.value[i]) for i, v in enumerate(values) if v is value)

    if e.func == "any":
        if any(v is True for v in values):
            return Outcome(True, records=deciding(True))
        return Outcome(None, frozenset(missing)) if unknown else Outcome(False)
    if e.func == "all":
        if any(v is False for v in values):
            return Outcome(False, records=deciding(False))
        return Outcome(None, frozenset(missing)) if unknown else Outcome(True)
    if unknown:
        return Outcome(None, frozenset(missing))
    if e.func == "count":
        return Outcome(sum(1 for v in values if v), records=deciding(True))
    return Outcome(sum(values))


def _element(e: Aggregate, env: Environment) -> Outcome:
    if e.func == "any" or e.func == "count":
        return _bool_op("and", (*e.filters, e.body), env)
    if e.func == "all":
        negated = tuple(Not(f.type, f.text, f) for f in e.filters)
        return _bool_op("or", (*negated, e.body), env)
    # sum: a record filtered out contributes 0
    if e.filters:
        f = _bool_op("and", e.filters, env)
        if f.value is False:
            return Outcome(0)
        if f.value is None:
            return f
    return _eval(e.body, env)
