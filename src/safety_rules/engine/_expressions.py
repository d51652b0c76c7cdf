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
reference interpreter and the compiler consume. Chains are flat in it: ``a + b - c``
is one ``Arith`` with three operands and ``x if c else y if d else z`` one ``IfElse``
with two branches, so a long chain is one level deep, not hundreds.

Limits, each reported with the line and the limit: a condition of at most
``MAX_CONDITION_CHARS`` characters, nesting at most ``MAX_NESTING`` levels (a chain
counts once) and aggregates at most ``MAX_AGGREGATE_NESTING`` within each other, number
literals finite and at most ``MAX_LITERAL`` in size. Within them
every condition that type-checks compiles (``_compiler``) and the recursive interpreter
stays far from Python's recursion limit.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
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

MAX_CONDITION_CHARS = 500_000
MAX_NESTING = 30
MAX_LITERAL = 1e15
MAX_AGGREGATE_NESTING = 2

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
    """``operands[0] ops[0] operands[1] ops[1] ...``, evaluated left to right; one
    precedence level (``+ -`` or ``* /``) per node."""

    ops: tuple[ArithOp, ...] = ()
    operands: tuple[Expr, ...] = ()

    def children(self) -> tuple[Expr, ...]:
        return self.operands


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
    """``then1 if condition1 else then2 if condition2 else ... otherwise``: the first
    condition that is True picks its branch; unknown when a condition tested is unknown."""

    branches: tuple[tuple[Expr, Expr], ...] = ()  # (condition, then)
    otherwise: Expr = None  # type: ignore[assignment]

    def children(self) -> tuple[Expr, ...]:
        return (*(e for branch in self.branches for e in branch), self.otherwise)


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
_PRECEDENCE: dict[str, int] = {"+": 0, "-": 0, "*": 1, "/": 1}
_NEWLINE = re.compile(r"\r\n|\r|\n")  # what Python's tokenizer counts as a line end

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


class _Source:
    """The text of a condition, split once into lines, so that the text of a node and
    the position of an error cost time in proportion to their own length (with
    ``ast.get_source_segment``, which splits the whole text again for every node,
    parsing was quadratic in the length of the condition)."""

    def __init__(self, text: str, lead: int, line_offset: int) -> None:
        self.lines = _NEWLINE.split(text)
        self.lead = lead  # characters stripped from the front of the text as written
        self.line_offset = line_offset  # lines added in front of it before parsing
        self.encoded: dict[int, bytes] = {}
        self.starts: list[int] | None = None

    def line_bytes(self, lineno: int) -> bytes:
        b = self.encoded.get(lineno)
        if b is None:
            b = self.encoded[lineno] = self.lines[lineno - 1].encode("utf-8")
        return b

    def segment(self, node: ast.AST) -> str | None:
        first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if first is None or last is None or col is None or end_col is None:
            return None
        if first == last:
            return self.line_bytes(first)[col:end_col].decode("utf-8", "replace")
        parts = [self.line_bytes(first)[col:].decode("utf-8", "replace"), *self.lines[first:last - 1],
                 self.line_bytes(last)[:end_col].decode("utf-8", "replace")]
        return "\n".join(parts)

    def column(self, lineno: int, byte_col: int) -> int:
        """The character column (0-based) of a byte column of ``ast``."""
        return len(self.line_bytes(lineno)[:byte_col].decode("utf-8", "replace"))

    def offset(self, lineno: int, char_col: int) -> int:
        """Character offset in the text as written of a (parser line, character column)."""
        if self.starts is None:
            self.starts = [0]
            for line in self.lines:
                self.starts.append(self.starts[-1] + len(line) + 1)
        index = min(max(lineno - 1, 0), len(self.lines) - 1)
        return self.lead + max(self.starts[index] - self.starts[self.line_offset], 0) + char_col


_CODES_BY_WORDS = (  # problem codes (shared/_codes.py) by what the message says
    ("unknown fact", "SR101"), ("unit mismatch", "SR102"), ("is not an allowed value", "SR104"),
    ("has no field", "SR107"), ("unknown table", "SR108"), ("has no column", "SR108"),
    ("not allowed", "SR105"), ("only the functions", "SR105"), ("unknown function", "SR105"),
    ("cannot compare", "SR103"), ("needs a true/false", "SR103"), ("needs a number", "SR103"),
    ("needs numbers", "SR103"), ("cannot be ordered", "SR103"), ("condition must be", "SR103"),
    ("different allowed values", "SR103"), ("syntax error", "SR106"),
)


def _code_of(message: str) -> str:
    return next((code for words, code in _CODES_BY_WORDS if words in message), "SR100")


class _Parser:
    def __init__(self, source: _Source, facts: Mapping[str, Type], expression: str,
                 tables: Mapping[str, TableType] | None = None) -> None:
        self.source = source
        self.facts = facts
        self.tables = tables or {}
        self.expression = expression
        self.depth = 0
        self.scope: dict[str, tuple[Type, str]] = {}  # var -> (record type, source fact)

    # -- errors
    def fail(self, node: ast.AST | None, message: str, *, fact: str | None = None,
             suggestion: str | None = None, code: str | None = None) -> ExpressionError:
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        line = offset = None
        where = ""
        if lineno is not None and col is not None:
            char_col = self.source.column(lineno, col)
            line = lineno - self.source.line_offset
            offset = self.source.offset(lineno, char_col)
            where = f" (at column {char_col + 1})"
        return ExpressionError(f"{message}{where}", line=line, fact=fact, suggestion=suggestion,
                               expression=self.expression, offset=offset,
                               code=code or _code_of(message))

    def segment(self, node: ast.AST) -> str:
        seg = self.source.segment(node)
        return " ".join(seg.split()) if seg else ast.unparse(node)

    # -- entry
    def parse(self, tree: ast.Expression) -> Expr:
        return self.expr(tree.body)

    def expr(self, node: ast.AST) -> Expr:
        method: Callable[[Any, str], Expr] | None = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            what = _FRIENDLY.get(type(node), type(node).__name__)
            raise self.fail(node, f"{what} not allowed in a condition")
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(node, f"the condition nests deeper than {MAX_NESTING} levels (the limit); "
                            "split it into derived facts")
        try:
            return method(node, self.segment(node))
        finally:
            self.depth -= 1

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
            if not (abs(v) <= MAX_LITERAL):  # also NaN; an int past the float range is compared exactly
                shown = text if len(text) <= 40 else text[:20] + "..." + text[-10:]
                raise self.fail(node, f"number {shown} is out of range: numbers in a condition must be "
                                f"finite and at most {MAX_LITERAL:.0e} in size (the limit)")
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
    def _arith_op(self, node: ast.BinOp) -> ArithOp:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {type(node.op).__name__} not allowed; use + - * /")
        return op

    def _BinOp(self, node: ast.BinOp, text: str) -> Expr:
        # ``a + b - c`` is ``(a + b) - c`` to ast: walk down the left spine (no recursion)
        # while the precedence stays the same, and make one flat node of the chain
        op = self._arith_op(node)
        spine: list[tuple[ArithOp, ast.expr]] = [(op, node.right)]
        left: ast.expr = node.left
        while isinstance(left, ast.BinOp) and _PRECEDENCE.get(_ARITH.get(type(left.op), "")) == _PRECEDENCE[op]:
            spine.append((self._arith_op(left), left.right))
            left = left.left
        spine.reverse()
        operands: list[Expr] = []
        ops: list[ArithOp] = []
        unit: str | None = None
        for op, operand_node in [("+", left), *spine]:
            right = self.expr(operand_node)
            if right.type.kind != "number":
                raise self.fail(node, f"arithmetic needs numbers, got {right.type.describe()} "
                                f"in {right.text!r}")
            if not operands:
                operands.append(right)
                unit = right.type.unit
                continue
            if op in ("+", "-"):
                if not units_compatible(Type("number", unit=unit), right.type):
                    raise self.fail(node, f"unit mismatch: cannot {'add' if op == '+' else 'subtract'} "
                                    f"{right.type.unit} and {unit}")
                unit = unit if unit is not None else right.type.unit
            else:
                unit = combine_units(op, unit, right.type.unit)
            operands.append(right)
            ops.append(op)
        return Arith(Type("number", unit=unit), text, tuple(ops), tuple(operands))

    # -- conditional
    def _IfExp(self, node: ast.IfExp, text: str) -> Expr:
        # ``x if c else y if d else z``: one flat node for the chain of ``else ... if``
        branches: list[tuple[Expr, Expr]] = []
        current: ast.expr = node
        while isinstance(current, ast.IfExp):
            branches.append((self.bool_operand(current.test, "'if'"), self.expr(current.body)))
            current = current.orelse
        otherwise = self.expr(current)
        result = branches[0][1].type
        for other in (*(then.type for _, then in branches[1:]), otherwise.type):
            a, b = result, other
            if a.kind != b.kind or a.kind in ("records", "record", "list"):
                raise self.fail(node, f"both branches of 'x if c else y' need the same type, got "
                                f"{a.describe()} and {b.describe()}")
            if a.kind == "number" and not units_compatible(a, b):
                raise self.fail(node, f"unit mismatch between the branches: {a.unit} and {b.unit}")
            if a.kind == "enum" and set(a.values) != set(b.values):
                raise self.fail(node, "the branches have different allowed values")
            if a.kind == "number" and a.unit is None:
                result = b
        return IfElse(result, text, tuple(branches), otherwise)

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
        if len(self.scope) >= MAX_AGGREGATE_NESTING:
            # each level multiplies the work by the number of records
            raise self.fail(node, f"aggregates nest at most {MAX_AGGREGATE_NESTING} deep (the limit): the work "
                            "grows with the number of records to that power")
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
    if len(source) > MAX_CONDITION_CHARS:
        raise ExpressionError(f"the condition is {len(source)} characters long; the limit is "
                              f"{MAX_CONDITION_CHARS}: split it into derived facts", expression=source[:200])
    multiline = _NEWLINE.search(source) is not None
    # a multi-line condition is parsed in parentheses, as YAML block text needs no backslashes
    wrapped = f"(\n{source}\n)" if multiline else source
    lines = _Source(wrapped, len(text) - len(text.lstrip()), int(multiline))
    try:
        tree = ast.parse(wrapped, mode="eval")
    except SyntaxError as exc:
        line = exc.lineno - int(multiline) if exc.lineno else None
        offset = lines.offset(exc.lineno, max((exc.offset or 1) - 1, 0)) if exc.lineno else None
        raise ExpressionError(f"syntax error in condition: {exc.msg}", line=line, offset=offset,
                              expression=source, code="SR106") from None
    except (RecursionError, MemoryError, ValueError):
        # Python's own parser gives up on very deep nesting
        raise ExpressionError(f"the condition nests too deeply for the parser; the limit is {MAX_NESTING} "
                              "levels: split it into derived facts", expression=source[:200]) from None
    expr = _Parser(lines, facts, source, tables).parse(tree)
    if expect is not None:
        ok = expr.type.kind == expect.kind and (
            expect.kind != "number" or units_compatible(expr.type, expect))
        if not ok:
            raise ExpressionError(
                f"condition must be {expect.describe()}, got {expr.type.describe()}",
                expression=text.strip(), code="SR103")
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
        rest = "".join(f" {op} {render(o)}" for op, o in zip(e.ops, e.operands[1:], strict=True))
        return f"({render(e.operands[0])}{rest})"
    if isinstance(e, Neg):
        return f"(-{render(e.operand)})"
    if isinstance(e, Aggregate):
        ifs = "".join(f" if {render(f)}" for f in e.filters)
        return f"{e.func}({render(e.body)} for {e.var} in {e.source.id}{ifs})"
    if isinstance(e, Call):
        return f"{e.func}(" + ", ".join(render(a) for a in e.args) + ")"
    if isinstance(e, IfElse):
        chain = "".join(f"{render(then)} if {render(c)} else " for c, then in e.branches)
        return f"({chain}{render(e.otherwise)})"
    if isinstance(e, Lookup):
        return f"lookup({e.table!r}, {render(e.key)}, {e.column!r})"
    raise TypeError(f"cannot render {type(e).__name__}")
