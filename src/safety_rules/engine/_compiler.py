"""The compiled evaluator: one generated Python function for a whole set of rules.

For a set of rule versions (``Rulebook`` compiles one set per industry, every version
of every lineage, whatever its dates) we generate the source of one plain function
that reads each fact it needs into a local once (a fact only the rules of one
``applies_to`` read, once they apply), computes derived facts in dependency order,
tests each distinct ``applies_to`` once, and appends the indexes of the rules by
outcome (not applicable, compliant, violated, undetermined). Three-valued logic is
spelled out inline with ``None`` for unknown (``False if (a := A) is False or (b := B)
is False else (None if a is None or b is None else True)``), so there is no call per
operator and no tree to walk: one function per rule, nested closures or a tree walker
are 2-10x slower (the measurements behind the design).

Dates are the caller's: it passes ``k``, the stretch of the timeline the assessment
date falls in (between two days on which some version starts or ends), and each
rule carries the stretches in which it is in force. Rules in force over the same
stretches are tested under one comparison of ``k``, so a rulebook compiles once, not
once per stretch, and a date costs a comparison, not a compilation.

Chains (``a + b + c ...``, ``x if c else y if d else ...``) are emitted flat, and past
``INLINE_CHAIN`` links as one call of a helper, because Python's own compiler nests
them: a few hundred links of ``+`` exhaust its recursion limit, and parentheses nested
past 200 levels are a syntax error. With the nesting the condition language allows
(``_expressions.MAX_NESTING``) every condition that type-checks compiles; a property
test over deep and long conditions holds that.

The semantics are defined by ``_interpreter``; a property test holds the two equal.
"""

from __future__ import annotations

import datetime as dt
import keyword
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
)

NOT_APPLICABLE, COMPLIANT, VIOLATED, UNDETERMINED = 0, 1, 2, 3
INLINE_CHAIN = 16

# Indexes of the rules, by outcome: (not applicable, compliant, violated, undetermined).
Outcomes = tuple[list[int], list[int], list[int], list[int]]
# (facts, as_of, k, outcomes): appends the index of each rule in force in stretch k to
# the list of its outcome, in no particular order.
Evaluator = Callable[[Mapping[str, Any], dt.date, int, Outcomes], None]
ALWAYS = (1, None)  # in force in every stretch but the one before the first boundary


def outcome_codes(outcomes: Outcomes, count: int) -> tuple[int | None, ...]:
    """The outcome code of each of ``count`` rules, by index; None for a rule not reported."""
    codes: list[int | None] = [None] * count
    for code, indexes in zip((NOT_APPLICABLE, COMPLIANT, VIOLATED, UNDETERMINED), outcomes, strict=True):
        for i in indexes:
            codes[i] = code
    return tuple(codes)


@dataclass(frozen=True)
class CompiledRule:
    """What the compiler needs of one rule version.

    ``partial``: the version encodes only part of its item, so a false condition is
    undetermined, never compliant. ``undetermined_when``: where a contested reading
    is open, the version answers undetermined rather than either way.
    """

    applies_to: Expr | None
    when: Expr
    partial: bool = False
    undetermined_when: Expr | None = None
    index: int | None = None  # reported for the rule; default: its position in the list compiled
    span: tuple[int, int | None] = ALWAYS  # the stretches k in force: from, up to (exclusive; None: open)


def _any3(values: Iterable[Any]) -> bool | None:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def _all3(values: Iterable[Any]) -> bool | None:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def _count3(values: list[Any]) -> int | None:
    return None if None in values else values.count(True)


def _sum3(values: list[Any]) -> Any:
    for v in values:
        if v is None:
            return None
    return sum(values)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _arith3(values: tuple[Any, ...], ops: str) -> Any:
    """A long arithmetic chain, left to right: unknown if an operand is, or a divisor is 0."""
    if None in values:
        return None
    result = values[0]
    for op, v in zip(ops, values[1:], strict=True):
        if op == "/" and v == 0:
            return None
        result = _OPERATORS[op](result, v)
    return result


def _ifelse3(*thunks: Callable[[], Any]) -> Any:
    """A long ``then if condition else ...`` chain: (condition, then) pairs and the last
    ``else``, each a function so that only what the conditions select is evaluated."""
    for i in range(0, len(thunks) - 1, 2):
        c = thunks[i]()
        if c is None:
            return None
        if c:
            return thunks[i + 1]()
    return thunks[-1]()


_HELPERS: dict[str, Any] = {"_any3": _any3, "_all3": _all3, "_count3": _count3, "_sum3": _sum3,
                            "_arith3": _arith3, "_ifelse3": _ifelse3}


def _is_simple(code: str) -> bool:
    return code.isidentifier() and not keyword.iskeyword(code)


class _Codegen:
    def __init__(self, tables: Mapping[str, Any] | None = None) -> None:
        self.temps = 0
        self.constants: dict[str, Any] = {}
        self.tables = tables or {}
        self.table_names: dict[str, str] = {}

    def table(self, table_id: str) -> str:
        name = self.table_names.get(table_id)
        if name is None:
            name = self.table_names[table_id] = self.constant(self.tables[table_id])
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def bind(self, code: str) -> tuple[str, str]:
        """(first use, later uses) of ``code``: a walrus unless it is already a name."""
        if _is_simple(code):
            return code, code
        t = self.temp()
        return f"({t} := {code})", t

    def unknown_guard(self, parts: Sequence[tuple[Expr, str]]) -> tuple[list[str], list[str]]:
        """For operands that may be unknown: their 'is None' tests and their later names."""
        checks, names = [], []
        for e, code in parts:
            if isinstance(e, Const):
                names.append(code)
                continue
            first, later = self.bind(code)
            checks.append(f"{first} is None")
            names.append(later)
        return checks, names

    def expr(self, e: Expr, scope: Mapping[str, str]) -> str:
        if isinstance(e, Const):
            v = e.value
            if v is None or isinstance(v, str | bool | int) or (isinstance(v, float) and math.isfinite(v)):
                return repr(v)  # the parser refuses non-finite literals; repr(inf) would not be Python
            return self.constant(frozenset(v) if isinstance(v, tuple) else v)
        if isinstance(e, FactRef):
            return f"f_{e.id}"
        if isinstance(e, AsOf):
            return "as_of"
        if isinstance(e, Var):
            return scope[e.name]
        if isinstance(e, Field):
            return f"{scope[e.var]}.get({e.name!r})"
        if isinstance(e, Not):
            first, later = self.bind(self.expr(e.operand, scope))
            return f"(None if {first} is None else not {later})"
        if isinstance(e, BoolOp):
            return self.bool_op(e.op, [self.expr(o, scope) for o in e.operands])
        if isinstance(e, Compare):
            parts = [(e.left, self.expr(e.left, scope)), (e.right, self.expr(e.right, scope))]
            checks, (a, b) = self.unknown_guard(parts)
            value = f"{a} {e.op} {b}"
            return f"(None if {' or '.join(checks)} else {value})" if checks else f"({value})"
        if isinstance(e, Arith):
            return self.arith(e, scope)
        if isinstance(e, Neg):
            first, later = self.bind(self.expr(e.operand, scope))
            return f"(None if {first} is None else -{later})"
        if isinstance(e, Lookup):
            table = self.table(e.table)
            first, later = self.bind(self.expr(e.key, scope))
            return f"(None if {first} is None else {table}.get({later}, {e.column!r}, as_of))"
        if isinstance(e, Call):
            first, later = self.bind(self.expr(e.args[0], scope))
            value = f"len({later})" if e.func == "len" else f"(as_of - {later}).days"
            return f"(None if {first} is None else {value})"
        if isinstance(e, Aggregate):
            return self.aggregate(e, scope)
        if isinstance(e, IfElse):
            if len(e.branches) > INLINE_CHAIN:
                thunks = [self.expr(x, scope) for branch in e.branches for x in branch]
                return "_ifelse3(" + ", ".join(f"lambda: {t}" for t in
                                               [*thunks, self.expr(e.otherwise, scope)]) + ")"
            # flat: ``a if c else b if d else z`` needs no parentheses around its tail
            links = []
            for condition, then in e.branches:
                first, later = self.bind(self.expr(condition, scope))
                links.append(f"{self.expr(then, scope)} if {first} is True else None if {later} is not False else ")
            return f"({''.join(links)}{self.expr(e.otherwise, scope)})"
        raise TypeError(f"cannot compile {type(e).__name__}")

    def arith(self, e: Arith, scope: Mapping[str, str]) -> str:
        codes = [self.expr(o, scope) for o in e.operands]
        if len(codes) > INLINE_CHAIN:
            return f"_arith3(({', '.join(codes)},), {''.join(e.ops)!r})"
        checks, names = self.unknown_guard(list(zip(e.operands, codes, strict=True)))
        checks += [f"{name} == 0" for op, name in zip(e.ops, names[1:], strict=True) if op == "/"]
        value = names[0] + "".join(f" {op} {name}" for op, name in zip(e.ops, names[1:], strict=True))
        return f"(None if {' or '.join(checks)} else {value})" if checks else f"({value})"

    def bool_op(self, op: str, codes: list[str]) -> str:
        decisive, other = ("False", "True") if op == "and" else ("True", "False")
        firsts, laters = zip(*(self.bind(c) for c in codes), strict=True)
        settle = " or ".join(f"{f} is {decisive}" for f in firsts)
        unknown = " or ".join(f"{n} is None" for n in laters)
        return f"({decisive} if {settle} else (None if {unknown} else {other}))"

    def aggregate(self, e: Aggregate, scope: Mapping[str, str]) -> str:
        self.temps += 1
        item = f"_r{self.temps}"
        inner = {**scope, e.var: item}
        filters = [self.expr(f, inner) for f in e.filters]
        body = self.expr(e.body, inner)
        if e.func in ("any", "count"):
            elem = self.bool_op("and", [*filters, body]) if filters else body
        elif e.func == "all":
            negated = [f"(None if {a} is None else not {b})"
                       for a, b in (self.bind(f) for f in filters)]
            elem = self.bool_op("or", [*negated, body]) if filters else body
        else:  # sum
            if filters:
                first, later = self.bind(self.bool_op("and", filters) if len(filters) > 1 else filters[0])
                elem = f"(0 if {first} is False else (None if {later} is None else {body}))"
            else:
                elem = body
        src = self.expr(e.source, scope)
        if e.func in ("any", "all"):
            loop = f"_{e.func}3({elem} for {item} in {src})"
        else:
            loop = f"_{e.func}3([{elem} for {item} in {src}])"
        return f"(None if {src} is None else {loop})"


def _needed_derived(exprs: Iterable[Expr], derived: Mapping[str, Expr],
                    order: Sequence[str]) -> tuple[list[str], set[str]]:
    """Derived facts (in dependency order) and observed facts that ``exprs`` need."""
    pending = [f for e in exprs for f in e.facts]
    seen: set[str] = set()
    while pending:
        f = pending.pop()
        if f in seen:
            continue
        seen.add(f)
        if f in derived:
            pending.extend(derived[f].facts)
    return [d for d in order if d in seen], {f for f in seen if f not in derived}


def _when_statements(gen: _Codegen, rule: CompiledRule, index: int) -> list[str]:
    lines = []
    if rule.undetermined_when is not None:
        lines += [f"if {gen.expr(rule.undetermined_when, {})} is True: undetermined({index})",
                  "else:"]
    body = [f"_w = {gen.expr(rule.when, {})}",
            f"if _w is True: violated({index})",
            f"elif _w is False: {'undetermined' if rule.partial else 'compliant'}({index})",
            f"else: undetermined({index})"]
    return lines + [f"    {b}" for b in body] if lines else body


def _in_span(span: tuple[int, int | None], lines: list[str]) -> list[str]:
    """``lines`` guarded by a test that ``k`` falls in ``span``."""
    start, stop = span
    tests = ([f"k >= {start}"] if start > ALWAYS[0] else []) + ([f"k < {stop}"] if stop is not None else [])
    if not tests:
        return lines
    return [f"if {' and '.join(tests)}:", *(f"    {line}" for line in lines)]


def _reads(gen: _Codegen, exprs: Iterable[Expr], derived: Mapping[str, Expr], order: Sequence[str],
           done: tuple[list[str], set[str]] | None = None) -> list[str]:
    """Statements reading the facts ``exprs`` need and computing the derived ones, less
    those ``done`` (derived, observed) already has."""
    needed, observed = _needed_derived(exprs, derived, order)
    if done is not None:
        needed, observed = [d for d in needed if d not in done[0]], observed - done[1]
    return [*(f"f_{f} = _get({f!r})" for f in sorted(observed)), *(f"f_{d} = {gen.expr(derived[d], {})}"
                                                                      for d in needed)]


def _rule_statements(gen: _Codegen, rules: Sequence[CompiledRule], derived: Mapping[str, Expr],
                     order: Sequence[str]) -> list[str]:
    """Statements reading the facts the rules need and appending each rule's index to the
    list of its outcome.

    Rules with the same ``applies_to`` (typically one per industry or installation type)
    share one test of it, and within that, rules with the same span share one test of
    ``k``: for an enterprise of one industry most rules are settled by a single
    comparison and one ``extend`` per span. The facts only such a group's conditions
    read are read once it applies: an industry's evaluator costs an enterprise of
    another industry a few reads, not one per fact the industry's rules know.
    """
    groups: dict[Expr | None, dict[tuple[int, int | None], list[int]]] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(rule.applies_to, {}).setdefault(rule.span, []).append(i)
    reported = [i if rule.index is None else rule.index for i, rule in enumerate(rules)]

    def conditions(positions: Iterable[int]) -> list[Expr]:
        return [e for i in positions for e in (rules[i].when, rules[i].undetermined_when) if e is not None]

    first = [a for a in groups if a is not None] + conditions(i for i, r in enumerate(rules) if r.applies_to is None)
    lines = _reads(gen, first, derived, order)
    done = _needed_derived(first, derived, order)
    for applies, spans in groups.items():
        body = []
        for span, positions in spans.items():
            body += _in_span(span, [line for i in positions for line in _when_statements(gen, rules[i], reported[i])])
        if applies is None:
            lines += body
            continue
        body = _reads(gen, conditions(i for positions in spans.values() for i in positions), derived, order,
                      done) + body
        lines += [f"_a = {gen.expr(applies, {})}", "if _a is True:", *(f"    {line}" for line in body)]
        for branch, outcome in (("elif _a is False:", 0), ("else:", 3)):
            lines.append(branch)
            for span, positions in spans.items():
                every = gen.constant(tuple(reported[i] for i in positions))
                lines += [f"    {line}" for line in _in_span(span, [f"out[{outcome}].extend({every})"])]
    return lines


def generate_source(rules: Sequence[CompiledRule], derived: Mapping[str, Expr],
                    derived_order: Sequence[str], name: str = "_evaluate",
                    tables: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Source of an :data:`Evaluator` ``(facts, as_of, k, out) -> None`` and its constants."""
    gen = _Codegen(tables)
    lines = [f"def {name}(facts, as_of, k, out):",
             f"    if k < {ALWAYS[0]}:", "        return  # before the first boundary nothing is in force",
             "    _get = facts.get",
             "    compliant, violated, undetermined = out[1].append, out[2].append, out[3].append"]
    lines += [f"    {line}" for line in _rule_statements(gen, rules, derived, derived_order)]
    return "\n".join(lines) + "\n", gen.constants


def compile_rules(rules: Sequence[CompiledRule], derived: Mapping[str, Expr],
                  derived_order: Sequence[str], label: str = "rules",
                  tables: Mapping[str, Any] | None = None) -> Evaluator:
    """Compile ``rules`` into one :data:`Evaluator`."""
    source, constants = generate_source(rules, derived, derived_order, tables=tables)
    namespace: dict[str, Any] = {**_HELPERS, **constants}
    exec(compile(source, f"<safety_rules {label}>", "exec"), namespace)  # noqa: S102 - our own codegen
    fn: Evaluator = namespace["_evaluate"]
    fn.__source__ = source  # type: ignore[attr-defined]  # kept for debugging and tests
    return fn


def evaluate_rules(evaluate: Evaluator, facts: Mapping[str, Any], as_of: dt.date, k: int = ALWAYS[0]) -> Outcomes:
    """Run ``evaluate`` once: the indexes by outcome, each list in index order."""
    out: Outcomes = ([], [], [], [])
    evaluate(facts, as_of, k, out)
    for indexes in out:
        indexes.sort()
    return out


def compile_expression(expr: Expr, derived: Mapping[str, Expr] | None = None,
                       derived_order: Sequence[str] = (),
                       tables: Mapping[str, Any] | None = None) -> Callable[[Mapping[str, Any], dt.date], Any]:
    """Compile one expression to ``(facts, as_of) -> value``; used by tests and tools."""
    gen = _Codegen(tables)
    needed, observed = _needed_derived([expr], derived or {}, derived_order)
    lines = ["def _value(facts, as_of):", "    _get = facts.get"]
    lines += [f"    f_{f} = _get({f!r})" for f in sorted(observed)]
    lines += [f"    f_{d} = {gen.expr((derived or {})[d], {})}" for d in needed]
    lines.append(f"    return {gen.expr(expr, {})}")
    namespace: dict[str, Any] = {**_HELPERS, **gen.constants}
    exec(compile("\n".join(lines) + "\n", "<safety_rules expression>", "exec"), namespace)  # noqa: S102
    fn: Callable[[Mapping[str, Any], dt.date], Any] = namespace["_value"]
    return fn
