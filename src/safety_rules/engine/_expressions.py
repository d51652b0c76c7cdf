"""The condition language: parsing, checking and the intermediate representation.

A condition is a Python-like expression parsed with :func:`ast.parse` (mode
``eval``) and accepted only if every node is on a short whitelist:

* fact ids and ``as_of`` (the assessment date), numbers, strings, ``True``/``False``;
* ``and`` / ``or`` / ``not``; comparisons ``== != < <= > >=``, ``in`` / ``not in``
  against a literal list; ``+ - * /`` and unary minus;
* ``x if condition else y`` (unknown when the condition is unknown);
* ``any(...)``, ``all(...)``, ``count(...)`` and ``sum(...)`` over one list-of-records
  fact, e.g. ``any(t.substance == '氨' and t.quantity_t >= 10 for t in storage_units)``,
  with optional ``if`` filters; ``len(records)``; ``days_since(date)``;
  ``date('2021-09-01')``; ``lookup('table-id', key, 'column')`` into a data table
  under ``rules/tables/`` (the edition in force on the assessment date).

Nothing else: no attribute access except a record's declared fields, no calls to
anything not listed, no subscripts, no lambdas, no walrus. Types and units are checked here,
against the fact catalog, so a rule that compares metres with tonnes never loads.

The result is a small tree of frozen dataclasses (``Expr``) that both the
reference interpreter and the compiler consume.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from ..shared._errors import ExpressionError, did_you_mean
from ._tables import TableType
from ._types import (
    BOOL,
    COUNT,
    DATE,
    LITERAL_NUMBER,
    STRING,
    Type,
    combine_units,
    units_compatible,
)

AGGREGATES = ("any", "all", "count", "sum")
FUNCTIONS = ("len", "days_since", "date", "lookup")
RESERVED = frozenset({"as_of", *AGGREGATES, *FUNCTIONS, "True", "False", "None"})

CompareOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
ArithOp = Literal["+", "-", "*", "/"]


# --------------------------------------------------------------------------- IR


@dataclass(frozen=True)
class Expr:
    type: Type = field(compare=False)
    text: str = field(compare=False)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def walk(self) -> Iterator[Expr]:
        yield self
        for child in self.children():
            yield from child.walk()

    @cached_property
    def facts(self) -> frozenset[str]:
        """Fact ids read directly by this expression (derived facts not expanded)."""
        return frozenset(n.id for n in self.walk() if isinstance(n, FactRef))

    @cached_property
    def sorted_facts(self) -> tuple[str, ...]:
        return tuple(sorted(self.facts))


@dataclass(frozen=True)
class Const(Expr):
    value: Any = None


@dataclass(frozen=True)
class FactRef(Expr):
    id: str = ""


@dataclass(frozen=True)
class AsOf(Expr):
    pass


@dataclass(frozen=True)
class Var(Expr):
    name: str = ""


@dataclass(frozen=True)
class Field(Expr):
    var: str = ""
    name: str = ""
    source: str = ""  # the records fact the variable ranges over


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class BoolOp(Expr):
    op: Literal["and", "or"] = "and"
    operands: tuple[Expr, ...] = ()

    def children(self) -> tuple[Expr, ...]:
        return self.operands


@dataclass(frozen=True)
class Compare(Expr):
    op: CompareOp = "=="
    left: Expr = None  # type: ignore[assignment]
    right: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Arith(Expr):
    op: ArithOp = "+"
    left: Expr = None  # type: ignore[assignment]
    right: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Aggregate(Expr):
    func: Literal["any", "all", "count", "sum"] = "any"
    var: str = ""
    source: FactRef = None  # type: ignore[assignment]
    filters: tuple[Expr, ...] = ()
    body: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (self.source, *self.filters, self.body)


@dataclass(frozen=True)
class IfElse(Expr):
    """``then if condition else otherwise``; unknown when the condition is unknown."""

    condition: Expr = None  # type: ignore[assignment]
    then: Expr = None  # type: ignore[assignment]
    otherwise: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (self.condition, self.then, self.otherwise)


@dataclass(frozen=True)
class Call(Expr):
    func: Literal["len", "days_since"] = "len"
    args: tuple[Expr, ...] = ()

    def children(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True)
class Lookup(Expr):
    """``lookup('table', key, 'column')``: unknown when the key is unknown or matches no row."""

    table: str = ""
    key: Expr = None  # type: ignore[assignment]
    column: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.key,)


def is_leaf_condition(node: Expr) -> bool:
    """A boolean sub-condition that is not itself a connective: the unit of explanations."""
    return node.type.kind == "bool" and not isinstance(node, BoolOp | Not)


# ----------------------------------------------------------------------- parser

_CMP: dict[type[ast.cmpop], CompareOp] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}
_ARITH: dict[type[ast.operator], ArithOp] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

_FRIENDLY: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (only a record's fields, like t.quantity_t, are allowed)",
    ast.Subscript: "subscripts ([...])",
    ast.Lambda: "lambda",
    ast.ListComp: "list comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.SetComp: "set comprehensions",
    ast.Dict: "dict literals",
    ast.Set: "set literals",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Starred: "star arguments",
}


class _Parser:
    def __init__(self, text: str, facts: Mapping[str, Type], line_offset: int = 0,
                 tables: Mapping[str, TableType] | None = None) -> None:
        self.text = text
        self.facts = facts
        self.tables = tables or {}
        self.line_offset = line_offset
        self.scope: dict[str, tuple[Type, str]] = {}  # var -> (record type, source fact)

    # -- errors
    def fail(self, node: ast.AST | None, message: str, *, fact: str | None = None,
             suggestion: str | None = None) -> ExpressionError:
        line = getattr(node, "lineno", None)
        if line is not None:
            line -= self.line_offset
        col = getattr(node, "col_offset", None)
        where = f" (at column {col + 1})" if col is not None else ""
        return ExpressionError(f"{message}{where}", line=line, fact=fact, suggestion=suggestion,
                               expression=self.text)

    def segment(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.text, node)
        return " ".join(seg.split()) if seg else ast.unparse(node)

    # -- entry
    def parse(self, tree: ast.Expression) -> Expr:
        return self.expr(tree.body)

    def expr(self, node: ast.AST) -> Expr:
        text = self.segment(node)
        method: Callable[[Any, str], Expr] | None = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            what = _FRIENDLY.get(type(node), type(node).__name__)
            raise self.fail(node, f"{what} not allowed in a condition")
        return method(node, text)

    def bool_operand(self, node: ast.AST, context: str) -> Expr:
        e = self.expr(node)
        if e.type.kind != "bool":
            raise self.fail(node, f"{context} needs a true/false condition, got {e.type.describe()} "
                            f"in {e.text!r}")
        return e

    # -- leaves
    def _Constant(self, node: ast.Constant, text: str) -> Const:
        v = node.value
        if isinstance(v, bool):
            return Const(BOOL, text, v)
        if isinstance(v, int | float):
            return Const(LITERAL_NUMBER, text, v)
        if isinstance(v, str):
            return Const(STRING, text, v)
        raise self.fail(node, f"literal {v!r} not allowed; use numbers, strings, True or False")

    def _Name(self, node: ast.Name, text: str) -> Expr:
        name = node.id
        if name == "as_of":
            return AsOf(DATE, text)
        if name in self.scope:
            rtype, _source = self.scope[name]
            return Var(rtype, text, name)
        if name in self.facts:
            return FactRef(self.facts[name], text, name)
        if name in RESERVED:
            raise self.fail(node, f"{name!r} is a function; call it, e.g. {name}(...)")
        raise self.fail(node, f"unknown fact {name!r}", fact=name,
                        suggestion=did_you_mean(name, [*self.facts, *self.scope, "as_of"]))

    def _Attribute(self, node: ast.Attribute, text: str) -> Expr:
        if not isinstance(node.value, ast.Name) or node.value.id not in self.scope:
            raise self.fail(node, "attribute access not allowed; only a record's fields, "
                            "like t.quantity_t inside any(... for t in records), are")
        var = node.value.id
        rtype, source = self.scope[var]
        if node.attr not in rtype.fields:
            raise self.fail(node, f"record of {source!r} has no field {node.attr!r}",
                            fact=source, suggestion=did_you_mean(node.attr, rtype.fields))
        return Field(rtype.fields[node.attr], text, var, node.attr, source)

    # -- connectives
    def _BoolOp(self, node: ast.BoolOp, text: str) -> Expr:
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        operands = tuple(self.bool_operand(v, f"'{op}'") for v in node.values)
        return BoolOp(BOOL, text, op, operands)

    def _UnaryOp(self, node: ast.UnaryOp, text: str) -> Expr:
        if isinstance(node.op, ast.Not):
            return Not(BOOL, text, self.bool_operand(node.operand, "'not'"))
        if isinstance(node.op, ast.USub):
            operand = self.expr(node.operand)
            if operand.type.kind != "number":
                raise self.fail(node, f"'-' needs a number, got {operand.type.describe()}")
            if isinstance(operand, Const):
                return Const(operand.type, text, -operand.value)
            return Neg(operand.type, text, operand)
        if isinstance(node.op, ast.UAdd):
            return self.expr(node.operand)
        raise self.fail(node, "bitwise '~' not allowed")

    # -- comparisons
    def _Compare(self, node: ast.Compare, text: str) -> Expr:
        parts: list[Expr] = []
        left_node = node.left
        left = self.expr(left_node)
        for op_node, right_node in zip(node.ops, node.comparators, strict=True):
            op = _CMP.get(type(op_node))
            if op is None:
                raise self.fail(node, "'is' / 'is not' not allowed; use == or !=")
            right = self.literal_list(right_node, left) if op in ("in", "not in") else self.expr(right_node)
            self.check_comparable(node, op, left, right)
            seg = f"{left.text} {op} {right.text}"
            parts.append(Compare(BOOL, seg if len(node.ops) > 1 else text, op, left, right))
            left = right
        if len(parts) == 1:
            return parts[0]
        return BoolOp(BOOL, text, "and", tuple(parts))

    def literal_list(self, node: ast.AST, left: Expr) -> Expr:
        if not isinstance(node, ast.List | ast.Tuple):
            raise self.fail(node, "'in' needs a literal list on its right, e.g. x in ['a', 'b']")
        items = []
        for elt in node.elts:
            if not isinstance(elt, ast.Constant) or isinstance(elt.value, bool):
                raise self.fail(elt, "'in' lists may only hold numbers or strings")
            c = self._Constant(elt, self.segment(elt))
            assert isinstance(c, Const)
            self.check_comparable(elt, "==", left, c)
            items.append(c.value)
        kind = left.type
        return Const(Type("list", origin="literal list", values=kind.values, unit=kind.unit),
                     self.segment(node), tuple(items))

    def check_comparable(self, node: ast.AST, op: str, a: Expr, b: Expr) -> None:
        ta, tb = a.type, b.type
        if op in ("in", "not in"):
            if ta.kind not in ("enum", "string", "number"):
                raise self.fail(node, f"'in' needs a number, text or enum on its left, "
                                f"got {ta.describe()}")
            return
        kinds = {ta.kind, tb.kind}
        if "records" in kinds or "record" in kinds:
            raise self.fail(node, "a list of records cannot be compared; use any(), all(), "
                            "count() or len()")
        if kinds == {"number"}:
            if not units_compatible(ta, tb):
                raise self.fail(node, f"unit mismatch: {a.text!r} is in {ta.unit} but "
                                f"{b.text!r} is in {tb.unit}")
            return
        if kinds == {"date"}:
            return
        if kinds == {"bool"}:
            if op not in ("==", "!="):
                raise self.fail(node, f"true/false values cannot be ordered with {op!r}")
            return
        if kinds <= {"string", "enum"}:
            if op not in ("==", "!="):
                raise self.fail(node, f"text values cannot be ordered with {op!r}")
            for enum_side, other in ((a, b), (b, a)):
                if (enum_side.type.kind == "enum" and isinstance(other, Const)
                        and other.value not in enum_side.type.values):
                    origin = enum_side.type.origin
                    raise self.fail(
                        node, f"{other.value!r} is not an allowed value of {origin!r} "
                        f"({enum_side.type.describe()})", fact=origin,
                        suggestion=did_you_mean(str(other.value), enum_side.type.values))
            if ta.kind == tb.kind == "enum" and set(ta.values) != set(tb.values):
                raise self.fail(node, f"{a.text!r} and {b.text!r} have different allowed values")
            return
        raise self.fail(node, f"cannot compare {ta.describe()} ({a.text!r}) with "
                        f"{tb.describe()} ({b.text!r})")

    # -- arithmetic
    def _BinOp(self, node: ast.BinOp, text: str) -> Expr:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {type(node.op).__name__} not allowed; use + - * /")
        left, right = self.expr(node.left), self.expr(node.right)
        for side in (left, right):
            if side.type.kind != "number":
                raise self.fail(node, f"arithmetic needs numbers, got {side.type.describe()} "
                                f"in {side.text!r}")
        if op in ("+", "-"):
            if not units_compatible(left.type, right.type):
                raise self.fail(node, f"unit mismatch: cannot {'add' if op == '+' else 'subtract'} "
                                f"{right.type.unit} and {left.type.unit}")
            unit = left.type.unit if left.type.unit is not None else right.type.unit
        else:
            unit = combine_units(op, left.type.unit, right.type.unit)
        return Arith(Type("number", unit=unit), text, op, left, right)

    # -- conditional
    def _IfExp(self, node: ast.IfExp, text: str) -> Expr:
        condition = self.bool_operand(node.test, "'if'")
        then, otherwise = self.expr(node.body), self.expr(node.orelse)
        a, b = then.type, otherwise.type
        if a.kind != b.kind or a.kind in ("records", "record", "list"):
            raise self.fail(node, f"both branches of 'x if c else y' need the same type, got {a.describe()} "
                            f"and {b.describe()}")
        if a.kind == "number" and not units_compatible(a, b):
            raise self.fail(node, f"unit mismatch between the branches: {a.unit} and {b.unit}")
        if a.kind == "enum" and set(a.values) != set(b.values):
            raise self.fail(node, "the branches have different allowed values")
        result = a if a.kind != "number" or a.unit is not None else b
        return IfElse(result, text, condition, then, otherwise)

    # -- calls
    def _Call(self, node: ast.Call, text: str) -> Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only the functions any, all, count, sum, len, days_since, "
                            "date and lookup may be called")
        name = node.func.id
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments")
        if name in AGGREGATES:
            return self.aggregate(node, name, text)
        if name == "len":
            (arg,) = self.arity(node, 1)
            e = self.expr(arg)
            if e.type.kind != "records":
                raise self.fail(node, f"len() needs a list of records, got {e.type.describe()}")
            return Call(COUNT, text, "len", (e,))
        if name == "days_since":
            (arg,) = self.arity(node, 1)
            e = self.expr(arg)
            if e.type.kind != "date":
                raise self.fail(node, f"days_since() needs a date, got {e.type.describe()}")
            return Call(Type("number", unit="day"), text, "days_since", (e,))
        if name == "date":
            (arg,) = self.arity(node, 1)
            if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                raise self.fail(node, "date() needs a literal 'YYYY-MM-DD'")
            try:
                value = dt.date.fromisoformat(arg.value)
            except ValueError:
                raise self.fail(node, f"date({arg.value!r}) is not a valid YYYY-MM-DD date") from None
            return Const(DATE, text, value)
        if name == "lookup":
            return self.lookup(node, text)
        raise self.fail(node, f"unknown function {name!r}",
                        suggestion=did_you_mean(name, [*AGGREGATES, *FUNCTIONS]))

    def lookup(self, node: ast.Call, text: str) -> Expr:
        table_node, key_node, column_node = self.arity(node, 3)
        for arg, what in ((table_node, "a table id"), (column_node, "a column name")):
            if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                raise self.fail(arg, f"lookup() needs {what} as a literal string")
        assert isinstance(table_node, ast.Constant) and isinstance(column_node, ast.Constant)
        table_id, column_name = str(table_node.value), str(column_node.value)
        table = self.tables.get(table_id)
        if table is None:
            raise self.fail(table_node, f"unknown table {table_id!r}",
                            suggestion=did_you_mean(table_id, self.tables))
        column = table.columns.get(column_name)
        if column is None:
            raise self.fail(column_node, f"table {table.id!r} has no column {column_name!r}",
                            suggestion=did_you_mean(column_name, table.columns))
        key = self.expr(key_node)
        if key.type.kind not in ("string", "enum"):
            raise self.fail(key_node, f"a lookup key must be text, got {key.type.describe()}")
        return Lookup(column, text, table.id, key, column_name)

    def arity(self, node: ast.Call, n: int) -> list[ast.expr]:
        if len(node.args) != n:
            assert isinstance(node.func, ast.Name)
            raise self.fail(node, f"{node.func.id}() takes {n} argument(s), got {len(node.args)}")
        return list(node.args)

    def aggregate(self, node: ast.Call, func: str, text: str) -> Expr:
        (arg,) = self.arity(node, 1)
        if not isinstance(arg, ast.GeneratorExp) or len(arg.generators) != 1:
            raise self.fail(node, f"{func}() needs one generator, e.g. "
                            f"{func}(t.field ... for t in records)")
        gen = arg.generators[0]
        if not isinstance(gen.target, ast.Name):
            raise self.fail(gen.target, "the loop variable must be a single name")
        var = gen.target.id
        if var in self.facts or var in RESERVED or var in self.scope:
            raise self.fail(gen.target, f"loop variable {var!r} hides a fact or function; "
                            "choose another name")
        if not isinstance(gen.iter, ast.Name) or gen.iter.id not in self.facts:
            raise self.fail(gen.iter, "the loop must run over a list-of-records fact")
        source = self.expr(gen.iter)
        assert isinstance(source, FactRef)
        if source.type.kind != "records":
            raise self.fail(gen.iter, f"{source.id!r} is {source.type.describe()}, "
                            "not a list of records", fact=source.id)
        self.scope[var] = (Type("record", fields=source.type.fields, origin=source.id), source.id)
        try:
            filters = tuple(self.bool_operand(f, "an 'if' filter") for f in gen.ifs)
            body = self.expr(arg.elt)
        finally:
            del self.scope[var]
        if func in ("any", "all", "count") and body.type.kind != "bool":
            raise self.fail(arg.elt, f"{func}() needs a true/false condition per record, "
                            f"got {body.type.describe()}")
        if func == "sum" and body.type.kind != "number":
            raise self.fail(arg.elt, f"sum() needs a number per record, got {body.type.describe()}")
        rtype = BOOL if func in ("any", "all") else (COUNT if func == "count" else
                                                   Type("number", unit=body.type.unit))
        return Aggregate(rtype, text, func, var, source, filters, body)  # type: ignore[arg-type]


def parse_expression(text: str, facts: Mapping[str, Type], *, expect: Type | None = BOOL,
                     tables: Mapping[str, TableType] | None = None) -> Expr:
    """Parse and type-check ``text``; raise :class:`ExpressionError` on any problem.

    ``facts`` maps every declared fact id (observed and derived) to its type.
    ``expect`` is the type the whole expression must have (``None``: any).
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty condition", expression=text)
    source = text.strip()
    try:
        tree = ast.parse(source if "\n" not in source else f"(\n{source}\n)", mode="eval")
    except SyntaxError as exc:
        line = exc.lineno - (1 if "\n" in source else 0) if exc.lineno else None
        raise ExpressionError(f"syntax error in condition: {exc.msg}", line=line,
                              expression=source) from None
    multiline = "\n" in source
    parser = _Parser(f"(\n{source}\n)" if multiline else source, facts, line_offset=int(multiline),
                     tables=tables)
    expr = parser.parse(tree)
    if expect is not None:
        ok = expr.type.kind == expect.kind and (
            expect.kind != "number" or units_compatible(expr.type, expect))
        if not ok:
            raise ExpressionError(
                f"condition must be {expect.describe()}, got {expr.type.describe()}",
                expression=text.strip())
    return expr


# ------------------------------------------------------------------- rendering


def render(e: Expr) -> str:
    """Source text for an expression tree (used for generated trees and messages)."""
    if isinstance(e, Const):
        if isinstance(e.value, tuple):
            return "[" + ", ".join(repr(v) for v in e.value) + "]"
        if isinstance(e.value, dt.date):
            return f"date({e.value.isoformat()!r})"
        return repr(e.value)
    if isinstance(e, FactRef):
        return e.id
    if isinstance(e, AsOf):
        return "as_of"
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Field):
        return f"{e.var}.{e.name}"
    if isinstance(e, Not):
        return f"not ({render(e.operand)})"
    if isinstance(e, BoolOp):
        return "(" + f" {e.op} ".join(render(o) for o in e.operands) + ")"
    if isinstance(e, Compare):
        return f"({render(e.left)} {e.op} {render(e.right)})"
    if isinstance(e, Arith):
        return f"({render(e.left)} {e.op} {render(e.right)})"
    if isinstance(e, Neg):
        return f"(-{render(e.operand)})"
    if isinstance(e, Aggregate):
        ifs = "".join(f" if {render(f)}" for f in e.filters)
        return f"{e.func}({render(e.body)} for {e.var} in {e.source.id}{ifs})"
    if isinstance(e, Call):
        return f"{e.func}(" + ", ".join(render(a) for a in e.args) + ")"
    if isinstance(e, IfElse):
        return f"({render(e.then)} if {render(e.condition)} else {render(e.otherwise)})"
    if isinstance(e, Lookup):
        return f"lookup({e.table!r}, {render(e.key)}, {e.column!r})"
    raise TypeError(f"cannot render {type(e).__name__}")
