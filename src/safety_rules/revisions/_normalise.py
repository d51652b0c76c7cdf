"""Conditions compared by meaning, not by spelling.

Two conditions are the same when their normal forms are equal. The normal form undoes what
a reformatting or a harmless rewrite changes: line breaks and parentheses (gone with the
parse), ``200 <= x`` for ``x >= 200``, ``not (x < 5)`` for ``x >= 5``, ``not not a``, nested
``and``/``or`` and the order of their operands, a repeated operand, the order of an ``in``
list, the name of a loop variable, ``200.0`` for ``200``. Every one of these rewrites keeps the
three-valued value on every set of facts (Kleene ``and``/``or`` are commutative, associative
and idempotent; a comparison with an unknown side is unknown either way round), so equal
normal forms mean equal outcomes. The converse does not hold: conditions that differ here
may still agree everywhere, which is why every changed condition gets a witness.

:func:`differences` then names the smallest parts that differ (``50 → 30`` inside
``mine_exit_spacing_m < 50``), aligning the operands of ``and``/``or`` by content.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..engine._expressions import (
    Aggregate,
    Arith,
    AsOf,
    BoolOp,
    Call,
    Compare,
    CompareOp,
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

_NEGATED: dict[str, CompareOp] = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==",
                                   "in": "not in", "not in": "in"}
_MIRRORED: dict[str, CompareOp] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}

# binding strength, for parentheses in the canonical text
_PRECEDENCE = {"ifelse": 0, "or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6,
               "neg": 7, "atom": 8}


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def normalise(e: Expr) -> Expr:
    """The normal form of ``e`` (a new tree; ``text`` holds the canonical text)."""
    return _Normaliser().run(e)


class _Normaliser:
    def __init__(self) -> None:
        self.renamed: dict[str, str] = {}

    def run(self, e: Expr) -> Expr:
        n = self.visit(e)
        return n

    def visit(self, e: Expr) -> Expr:
        out = self._visit(e)
        return replace(out, text=canonical_text(out))

    def _visit(self, e: Expr) -> Expr:
        if isinstance(e, Const):
            if isinstance(e.value, tuple):
                items = sorted({_number(v) for v in e.value}, key=lambda v: (str(type(v)), v))
                return replace(e, value=tuple(items))
            return replace(e, value=_number(e.value))
        if isinstance(e, Var):
            return replace(e, name=self.renamed.get(e.name, e.name))
        if isinstance(e, Field):
            return replace(e, var=self.renamed.get(e.var, e.var))
        if isinstance(e, FactRef | AsOf):
            return e
        if isinstance(e, Not):
            inner = self.visit(e.operand)
            if isinstance(inner, Not):
                return inner.operand
            if isinstance(inner, Compare):
                return self.visit(replace(inner, op=_NEGATED[inner.op]))
            return replace(e, operand=inner)
        if isinstance(e, BoolOp):
            operands: list[Expr] = []
            for o in (self.visit(x) for x in e.operands):
                if isinstance(o, BoolOp) and o.op == e.op:
                    operands.extend(o.operands)
                else:
                    operands.append(o)
            unique: dict[str, Expr] = {}
            for o in operands:
                unique.setdefault(o.text, o)
            ordered = [unique[k] for k in sorted(unique)]
            if len(ordered) == 1:
                return ordered[0]
            return replace(e, operands=tuple(ordered))
        if isinstance(e, Compare):
            left, right = self.visit(e.left), self.visit(e.right)
            if isinstance(left, Const) and not isinstance(right, Const) and e.op in _MIRRORED:
                left, right = right, left
                return replace(e, op=_MIRRORED[e.op], left=left, right=right)
            return replace(e, left=left, right=right)
        if isinstance(e, Arith):
            return replace(e, operands=tuple(self.visit(o) for o in e.operands))
        if isinstance(e, Neg):
            return replace(e, operand=self.visit(e.operand))
        if isinstance(e, Aggregate):
            canonical = f"r{len(self.renamed)}"
            previous = self.renamed.get(e.var)
            self.renamed[e.var] = canonical
            try:
                filters = tuple(self.visit(f) for f in e.filters)
                body = self.visit(e.body)
            finally:
                if previous is None:
                    del self.renamed[e.var]
                else:
                    self.renamed[e.var] = previous
            return replace(e, var=canonical, filters=filters, body=body)
        if isinstance(e, IfElse):
            return replace(e, branches=tuple((self.visit(c), self.visit(t)) for c, t in e.branches),
                           otherwise=self.visit(e.otherwise))
        if isinstance(e, Call):
            return replace(e, args=tuple(self.visit(a) for a in e.args))
        if isinstance(e, Lookup):
            return replace(e, key=self.visit(e.key))
        raise TypeError(f"cannot normalise {type(e).__name__}")


# ----------------------------------------------------------------- canonical text


def _const_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_const_text(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(_number(value))


def canonical_text(e: Expr) -> str:
    """Condition-language text for ``e`` with only the parentheses it needs."""
    return _text(e)[0]


def _wrap(child: Expr, parent: int, *, right: bool = False) -> str:
    text, prec = _text(child)
    # a right operand of - and / binds left to right, so equal precedence needs parentheses there
    return f"({text})" if prec < parent or (right and prec == parent and parent in (5, 6)) else text


def _text(e: Expr) -> tuple[str, int]:
    atom = _PRECEDENCE["atom"]
    if isinstance(e, Const):
        return _const_text(e.value), atom
    if isinstance(e, FactRef):
        return e.id, atom
    if isinstance(e, AsOf):
        return "as_of", atom
    if isinstance(e, Var):
        return e.name, atom
    if isinstance(e, Field):
        return f"{e.var}.{e.name}", atom
    if isinstance(e, Not):
        p = _PRECEDENCE["not"]
        return f"not {_wrap(e.operand, p)}", p
    if isinstance(e, BoolOp):
        # an 'and' inside an 'or' gets parentheses it does not need: people misread it otherwise
        p = _PRECEDENCE[e.op]
        return f" {e.op} ".join(f"({_text(o)[0]})" if isinstance(o, BoolOp) else _wrap(o, p + 1)
                                for o in e.operands), p
    if isinstance(e, Compare):
        p = _PRECEDENCE["compare"]
        return f"{_wrap(e.left, p + 1)} {e.op} {_wrap(e.right, p + 1)}", p
    if isinstance(e, Arith):
        p = _PRECEDENCE[e.ops[0]]  # one precedence level per node
        rest = "".join(f" {op} {_wrap(o, p, right=True)}" for op, o in zip(e.ops, e.operands[1:], strict=True))
        return f"{_wrap(e.operands[0], p)}{rest}", p
    if isinstance(e, Neg):
        p = _PRECEDENCE["neg"]
        return f"-{_wrap(e.operand, p)}", p
    if isinstance(e, Aggregate):
        ifs = "".join(f" if {_wrap(f, 1)}" for f in e.filters)
        return f"{e.func}({_text(e.body)[0]} for {e.var} in {e.source.id}{ifs})", atom
    if isinstance(e, Call):
        return f"{e.func}(" + ", ".join(_text(a)[0] for a in e.args) + ")", atom
    if isinstance(e, IfElse):
        p = _PRECEDENCE["ifelse"]
        chain = "".join(f"{_wrap(t, p + 1)} if {_wrap(c, p + 1)} else " for c, t in e.branches)
        return f"{chain}{_wrap(e.otherwise, p)}", p
    if isinstance(e, Lookup):
        return f"lookup('{e.table}', {_text(e.key)[0]}, '{e.column}')", atom
    raise TypeError(f"cannot render {type(e).__name__}")


# -------------------------------------------------------------------- differences


@dataclass(frozen=True)
class Difference:
    """One smallest part that differs, with the leaf conditions around it (for context)."""

    old: Expr | None  # None: the part was added
    new: Expr | None  # None: the part was removed
    old_context: Expr | None
    new_context: Expr | None

    def describe(self) -> str:
        """``mine_exit_spacing_m < 50 → mine_exit_spacing_m < 30 (50 → 30)``, or an added/removed part."""
        if self.old is None:
            return f"新增 {self.new.text if self.new else ''}"
        if self.new is None:
            return f"删除 {self.old.text}"
        ctx_old = self.old_context or self.old
        ctx_new = self.new_context or self.new
        if ctx_old is self.old and ctx_new is self.new:
            return f"{self.old.text} → {self.new.text}"
        return f"{ctx_old.text} → {ctx_new.text}（{self.old.text} → {self.new.text}）"


def _head(e: Expr) -> tuple[Any, ...]:
    """What a node is apart from its children: two nodes with equal heads can be compared child by child."""
    if isinstance(e, Compare):
        return (type(e), e.op)
    if isinstance(e, Arith):
        return (type(e), e.ops)
    if isinstance(e, IfElse):
        return (type(e), len(e.branches))
    if isinstance(e, BoolOp):
        return (type(e), e.op)
    if isinstance(e, Aggregate):
        return (type(e), e.func, e.source.id, len(e.filters))
    if isinstance(e, Call):
        return (type(e), e.func, len(e.args))
    if isinstance(e, Lookup):
        return (type(e), e.table, e.column)
    if isinstance(e, Not | Neg):
        return (type(e),)
    return (type(e), e)  # leaves: equal only if equal


def differences(old: Expr, new: Expr) -> list[Difference]:
    """The smallest differing parts of two normalised conditions (empty when equal)."""
    return _diff(old, new, None, None)


def _diff(a: Expr, b: Expr, ctx_a: Expr | None, ctx_b: Expr | None) -> list[Difference]:
    if a == b:
        return []
    if is_leaf_condition(a):
        ctx_a = a
    if is_leaf_condition(b):
        ctx_b = b
    if _head(a) == _head(b) and not isinstance(a, Const | FactRef | AsOf | Var | Field):
        if isinstance(a, BoolOp):
            assert isinstance(b, BoolOp)
            found = []
            for x, y in _align(list(a.operands), list(b.operands)):
                if x is None or y is None:
                    found.append(Difference(x, y, ctx_a, ctx_b))
                else:
                    found += _diff(x, y, ctx_a, ctx_b)
            return found
        found = []
        for x, y in zip(a.children(), b.children(), strict=True):
            found += _diff(x, y, ctx_a, ctx_b)
        if found:
            return found
    return [Difference(a, b, ctx_a, ctx_b)]


def _align(old: list[Expr], new: list[Expr]) -> list[tuple[Expr | None, Expr | None]]:
    """Pairs of operands: equal ones drop out, the rest pair by textual likeness."""
    rest_new = list(new)
    rest_old = []
    for o in old:
        if o in rest_new:
            rest_new.remove(o)
        else:
            rest_old.append(o)
    pairs: list[tuple[Expr | None, Expr | None]] = []
    similarity: Callable[[Expr, Expr], float] = lambda x, y: difflib.SequenceMatcher(  # noqa: E731
        None, x.text, y.text).ratio()
    for o in rest_old:
        if not rest_new:
            pairs.append((o, None))
            continue
        best = max(rest_new, key=lambda n: similarity(o, n))
        if similarity(o, best) >= 0.5:
            pairs.append((o, best))
            rest_new.remove(best)
        else:
            pairs.append((o, None))
    pairs += [(None, n) for n in rest_new]
    return pairs
