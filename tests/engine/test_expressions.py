"""The condition language: what it accepts, what it rejects, and the words of its messages."""

from __future__ import annotations

import ast
import datetime as dt

import pytest

from safety_rules import ExpressionError
from safety_rules.engine._expressions import (
    MAX_CONDITION_CHARS,
    MAX_NESTING,
    Aggregate,
    Arith,
    BoolOp,
    Compare,
    FactRef,
    IfElse,
    parse_expression,
    render,
)
from safety_rules.engine._types import BOOL, Type

FACTS = {
    "flag": BOOL,
    "other": BOOL,
    "height_m": Type("number", unit="m", origin="height_m"),
    "mass_t": Type("number", unit="t", origin="mass_t"),
    "workers": Type("number", unit="person", origin="workers"),
    "level": Type("enum", values=("一级", "二级", "三级"), origin="level"),
    "name": Type("string", origin="name"),
    "since": Type("date", origin="since"),
    "units": Type("records", origin="units", fields={
        "kind": Type("enum", values=("干式", "湿式"), origin="units.kind"),
        "q_t": Type("number", unit="t", origin="units.q_t"),
        "ok": Type("bool", origin="units.ok"),
    }),
}


@pytest.mark.parametrize("text", [
    "flag and not other",
    "height_m >= 200 or level in ['一级', '二级']",
    "1 < height_m <= 30",
    "mass_t / 10 >= 1",
    "mass_t / mass_t > 0.5",
    "-height_m < 3",
    "any(u.kind == '干式' and not u.ok for u in units)",
    "all(u.ok for u in units if u.kind == '干式')",
    "count(u.ok for u in units) >= 2",
    "sum(u.q_t for u in units if u.kind == '湿式') >= mass_t",
    "len(units) > 0",
    "days_since(since) > 183",
    "since < date('2021-09-01')",
    "as_of >= date('2021-09-01') and flag",
    "name == '张三' or name != '李四'",
    "(flag\n and other)",
    "(2.0 if workers >= 100 else 1.5 if workers >= 50 else 1.0) * mass_t >= 10",
    "(other if flag else not other)",
])
def test_accepts(text: str) -> None:
    expr = parse_expression(text, FACTS)
    assert expr.type.kind == "bool"
    # the rendering parses back to the same tree
    assert parse_expression(render(expr), FACTS) == expr


@pytest.mark.parametrize(("text", "words"), [
    ("flg and other", ["unknown fact 'flg'", "did you mean 'flag'"]),
    ("height_m > mass_t", ["unit mismatch", "'height_m' is in m", "'mass_t' is in t"]),
    ("height_m + mass_t > 1", ["unit mismatch"]),
    ("flag > 1", ["cannot compare bool", "number"]),
    ("flag < other", ["cannot be ordered"]),
    ("level == '四级'", ["'四级' is not an allowed value of 'level'"]),
    ("level == '一 级'", ["did you mean '一级'"]),
    ("name < 'x'", ["text values cannot be ordered"]),
    ("height_m", ["condition must be bool"]),
    ("flag and height_m", ["'and' needs a true/false condition", "number (m)"]),
    ("units", ["condition must be bool"]),
    ("units == 1", ["a list of records cannot be compared"]),
    ("any(u.kind for u in units)", ["needs a true/false condition per record"]),
    ("any(u.qty > 1 for u in units)", ["has no field 'qty'", "did you mean 'q_t'"]),
    ("any(flag for flag in units)", ["hides a fact"]),
    ("any(u.ok for u in flag)", ["is bool, not a list of records"]),
    ("flag.real", ["attribute access not allowed"]),
    ("units[0]", ["subscripts"]),
    ("open('x')", ["unknown function 'open'"]),
    ("(lambda: 1)()", ["only the functions"]),
    ("(height_m if flag else mass_t) > 1", ["unit mismatch between the branches"]),
    ("(height_m if flag else other)", ["both branches", "same type"]),
    ("(1 if height_m else 2) > 0", ["'if' needs a true/false condition"]),
    ("flag is True", ["'is' / 'is not' not allowed"]),
    ("height_m in height_m", ["literal list"]),
    ("x := 1", ["syntax error"]),
    ("len(flag) > 1", ["len() needs a list of records"]),
    ("days_since(flag) > 1", ["days_since() needs a date"]),
    ("date('2021-02-30') > since", ["not a valid YYYY-MM-DD date"]),
    ("", ["empty condition"]),
    ("flag and", ["syntax error in condition"]),
    ("__import__('os')", ["unknown function '__import__'"]),
    ("height_m ** 2 > 1", ["operator Pow not allowed"]),
    ("any", ["is a function"]),
])
def test_rejects_with_clear_message(text: str, words: list[str]) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, FACTS)
    message = str(info.value)
    for w in words:
        assert w in message, message


def test_error_line_inside_a_multiline_condition() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("flag\nand nope", FACTS)
    assert info.value.line == 2
    assert info.value.fact == "nope"


def test_chained_comparison_becomes_conjunction() -> None:
    expr = parse_expression("1 < height_m < 5", FACTS)
    assert isinstance(expr, BoolOp) and expr.op == "and"
    assert all(isinstance(c, Compare) for c in expr.operands)


def test_facts_read() -> None:
    expr = parse_expression("flag and any(u.ok for u in units) and since < as_of", FACTS)
    assert expr.facts == {"flag", "units", "since"}
    agg = next(n for n in expr.walk() if isinstance(n, Aggregate))
    assert isinstance(agg.source, FactRef) and agg.source.id == "units"


def test_date_literal_value() -> None:
    expr = parse_expression("since < date('2021-09-01')", FACTS)
    assert isinstance(expr, Compare)
    assert getattr(expr.right, "value", None) == dt.date(2021, 9, 1)


def test_long_condition_parses_without_rescanning_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # ast.get_source_segment splits the whole text again for every node: 16,000 operands took 303 s
    def rescans(*args: object, **kwargs: object) -> str:
        raise AssertionError("the text of a node is cut from lines split once")

    monkeypatch.setattr(ast, "get_source_segment", rescans)
    text = " or ".join(f"height_m > {i}" for i in range(16_000))
    expr = parse_expression(text, FACTS)
    assert isinstance(expr, BoolOp) and len(expr.operands) == 16_000
    assert expr.operands[-1].text == "height_m > 15999"


@pytest.mark.parametrize(("text", "words"), [
    ("height_m > 1e309", ["number 1e309 is out of range", "finite", "1e+15"]),
    ("height_m > -1e309", ["number 1e309 is out of range"]),
    ("height_m > 1" + "0" * 400, ["is out of range", "(the limit)"]),
    ("height_m < 1e16", ["number 1e16 is out of range"]),
])
def test_absurd_number_literals_are_refused(text: str, words: list[str]) -> None:
    # 1e309 is inf to Python: it type-checked, then the generated code said NameError: inf
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, FACTS)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_nesting_is_bounded_with_the_line_and_the_limit() -> None:
    text = "flag and\n" + "(not " * MAX_NESTING + "other" + ")" * MAX_NESTING
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, FACTS)
    assert f"nests deeper than {MAX_NESTING} levels (the limit)" in str(info.value)
    assert info.value.line == 2
    parse_expression("(not " * (MAX_NESTING - 1) + "other" + ")" * (MAX_NESTING - 1), FACTS)


def test_nesting_too_deep_for_pythons_parser_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="nests too deeply for the parser"):
        parse_expression(" + ".join(["height_m"] * 5_000) + " > 1", FACTS)


def test_condition_size_is_bounded() -> None:
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_CONDITION_CHARS}"):
        parse_expression("flag or " * (MAX_CONDITION_CHARS // 8) + "flag", FACTS)


def test_aggregates_nest_at_most_twice() -> None:
    parse_expression("any(any(v.ok for v in units) and u.ok for u in units)", FACTS)
    with pytest.raises(ExpressionError, match="aggregates nest at most 2 deep"):
        parse_expression("any(any(any(w.ok for w in units) for v in units) for u in units)", FACTS)


def test_chains_are_one_flat_node() -> None:
    arith = parse_expression("height_m + 1 - height_m * 2 / 4 + 3 > 0", FACTS)
    assert isinstance(arith, Compare) and isinstance(arith.left, Arith)
    assert arith.left.ops == ("+", "-", "+") and len(arith.left.operands) == 4
    chain = parse_expression("(1 if flag else 2 if other else 3) > 0", FACTS)
    assert isinstance(chain, Compare) and isinstance(chain.left, IfElse) and len(chain.left.branches) == 2


def test_error_column_counts_characters_not_bytes() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("level == '一级' and nope", FACTS)
    assert "(at column 19)" in str(info.value)
    assert info.value.context["offset"] == 18
