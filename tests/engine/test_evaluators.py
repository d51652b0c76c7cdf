"""Three-valued semantics, explanations, and the compiled evaluator against the reference."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules.engine._compiler import (
    CompiledRule,
    compile_expression,
    compile_rules,
    evaluate_rules,
    generate_source,
    outcome_codes,
)
from safety_rules.engine._expressions import MAX_NESTING, parse_expression, render
from safety_rules.engine._interpreter import Environment, evaluate, explain
from safety_rules.engine._types import BOOL

from .test_expressions import FACTS

DAY = dt.date(2022, 1, 1)
T, F, U = True, False, None


def value(text: str, facts: dict[str, Any], derived: dict[str, str] | None = None) -> Any:
    types = dict(FACTS)
    for name in derived or {}:
        types[name] = BOOL
    dexprs = {k: parse_expression(v, types) for k, v in (derived or {}).items()}
    expr = parse_expression(text, types)
    reference = evaluate(expr, facts, DAY, dexprs)
    compiled = compile_expression(expr, dexprs, sorted(dexprs))(facts, DAY)
    assert compiled == reference and type(compiled) is type(reference)
    return reference


@pytest.mark.parametrize(("a", "b", "conj", "disj"), [
    (T, T, T, T), (T, F, F, T), (T, U, U, T),
    (F, T, F, T), (F, F, F, F), (F, U, F, U),
    (U, T, U, T), (U, F, F, U), (U, U, U, U),
])
def test_kleene_truth_tables(a: Any, b: Any, conj: Any, disj: Any) -> None:
    facts = {k: v for k, v in (("flag", a), ("other", b)) if v is not None}
    assert value("flag and other", facts) is conj
    assert value("flag or other", facts) is disj
    assert value("not flag", facts) is (None if a is None else not a)


def test_unknown_comparison_and_arithmetic() -> None:
    assert value("height_m > 5", {}) is None
    assert value("height_m > 5 or flag", {"flag": True}) is True
    assert value("mass_t / 0 > 1", {"mass_t": 3}) is None  # x / 0 is unknown, never an exception


@pytest.mark.parametrize(("units", "any_", "all_", "count2"), [
    ([], F, T, F),
    ([{"kind": "干式", "ok": True}], F, T, F),
    ([{"kind": "干式", "ok": False}], T, F, F),
    ([{"kind": "干式"}], U, U, U),
    ([{"kind": "干式"}, {"kind": "干式", "ok": False}], T, F, U),
    ([{"ok": False}, {"kind": "湿式", "ok": False}], U, U, U),
    ([{"kind": "湿式", "ok": False}, {"kind": "湿式", "ok": False}], F, T, F),
])
def test_aggregates_over_records(units: list[dict[str, Any]], any_: Any, all_: Any, count2: Any) -> None:
    facts = {"units": units}
    assert value("any(u.kind == '干式' and not u.ok for u in units)", facts) is any_
    assert value("all(u.ok for u in units if u.kind == '干式')", facts) is all_
    assert value("count(not u.ok for u in units if u.kind == '干式') >= 2", facts) is count2
    assert value("any(u.ok for u in units)", {}) is None  # the list itself missing


def test_sum_with_filter() -> None:
    units = [{"kind": "干式", "q_t": 4}, {"kind": "湿式", "q_t": 100}, {"kind": "干式", "q_t": 7}]
    assert value("sum(u.q_t for u in units if u.kind == '干式') >= 11", {"units": units}) is True
    units.append({"q_t": 1})  # kind unknown: it may or may not count
    assert value("sum(u.q_t for u in units if u.kind == '干式') >= 11", {"units": units}) is None
    assert value("sum(u.q_t for u in units if u.kind == '干式') >= 11", {"units": units[:3]}) is True


def test_conditional_expression() -> None:
    alpha = "(2.0 if workers >= 100 else 1.5 if workers >= 50 else 1.2 if workers >= 30 else 1.0)"
    assert value(f"{alpha} * mass_t >= 15", {"workers": 60, "mass_t": 10}) is True
    assert value(f"{alpha} * mass_t >= 15", {"workers": 20, "mass_t": 10}) is False
    assert value(f"{alpha} * mass_t >= 15", {"mass_t": 10}) is None  # the condition decides the branch
    assert value("(flag if other else flag)", {"flag": True}) is None  # unknown condition: unknown


def test_derived_facts() -> None:
    derived = {"big": "mass_t >= 10", "big_and_flag": "big and flag"}
    assert value("big_and_flag", {"mass_t": 12, "flag": True}, derived) is True
    assert value("big_and_flag", {"mass_t": 5}, derived) is False
    assert value("big_and_flag", {"flag": True}, derived) is None


def test_explanation_names_deciding_conditions_and_missing_facts() -> None:
    expr = parse_expression("(height_m >= 200 and not flag) or level in ['一级', '二级']", FACTS)
    out = explain(expr, Environment({"height_m": 250, "flag": False}, DAY))
    assert out.value is True
    assert [r.text for r in out.reasons] == ["height_m >= 200", "flag"]
    assert out.reasons[0].facts == (("height_m", 250),)

    out = explain(expr, Environment({"height_m": 250}, DAY))
    assert out.value is None
    assert out.missing == {"flag", "level"}

    # a decided branch removes its facts from what is missing
    out = explain(expr, Environment({"height_m": 100}, DAY))
    assert out.value is None and out.missing == {"level"}

    out = explain(parse_expression("any(u.ok for u in units)", FACTS),
                  Environment({"units": [{"ok": False}, {}]}, DAY))
    assert out.value is None and out.missing == {"units[1].ok"}


def test_rulebook_function_outcome_codes() -> None:
    rules = [
        CompiledRule(parse_expression("flag", FACTS), parse_expression("height_m > 5", FACTS)),
        CompiledRule(None, parse_expression("other", FACTS)),
    ]
    fn = compile_rules(rules, {}, [])
    assert evaluate_rules(fn, {"flag": False}, DAY) == ([0], [], [], [1])  # not applicable; undetermined
    assert evaluate_rules(fn, {"flag": True, "height_m": 9, "other": False}, DAY) == ([], [1], [0], [])
    assert outcome_codes(evaluate_rules(fn, {"height_m": 9}, DAY), 2) == (3, 3)  # applicability unknown
    source, _ = generate_source(rules, {}, [])
    assert "def _evaluate(facts, as_of, k, out):" in source and "eval(" not in source


def test_rules_report_only_in_the_stretches_they_are_in_force() -> None:
    flag, other = parse_expression("flag", FACTS), parse_expression("other", FACTS)
    rules = [CompiledRule(flag, other, index=7, span=(1, 3)), CompiledRule(flag, other, index=9, span=(3, None)),
             CompiledRule(None, other, index=4, span=(2, 4))]
    fn = compile_rules(rules, {}, [])
    facts = {"flag": False, "other": True}
    assert [evaluate_rules(fn, facts, DAY, k) for k in range(5)] == [
        ([], [], [], []), ([7], [], [], []), ([7], [], [4], []), ([9], [], [4], []), ([9], [], [], [])]


# ----------------------------------------------------------- property: compiled == reference

LEAF_BOOLS = ["flag", "other"]


@st.composite
def bool_exprs(draw: st.DrawFn, depth: int = 0, var: str | None = None) -> str:
    choices = ["leaf", "cmp", "enum", "date"]
    if depth < 3:
        choices += ["and", "or", "not", "agg"] if var is None else ["and", "or", "not"]
    kind = draw(st.sampled_from(choices + (["ifelse"] if depth < 3 else [])))
    if kind == "ifelse":
        return (f"({draw(bool_exprs(depth + 1, var))} if {draw(bool_exprs(depth + 1, var))} "
                f"else {draw(bool_exprs(depth + 1, var))})")
    if kind == "leaf":
        if var is not None and draw(st.booleans()):
            return f"{var}.ok"
        return draw(st.sampled_from(LEAF_BOOLS + ["True", "False"]))
    if kind == "cmp":
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return f"({draw(num_exprs(depth + 1, var))} {op} {draw(num_exprs(depth + 1, var))})"
    if kind == "enum":
        if var is not None and draw(st.booleans()):
            return f"({var}.kind == {draw(st.sampled_from(['干式', '湿式']))!r})"
        vals = draw(st.lists(st.sampled_from(["一级", "二级", "三级"]), min_size=1, max_size=3))
        neg = draw(st.sampled_from(["in", "not in"]))
        return f"(level {neg} {vals!r})"
    if kind == "date":
        return draw(st.sampled_from(["(since < as_of)", "(days_since(since) > 100)", "(since == date('2021-09-01'))"]))
    if kind == "not":
        return f"(not {draw(bool_exprs(depth + 1, var))})"
    if kind == "agg":
        func = draw(st.sampled_from(["any", "all", "count", "sum"]))
        filt = draw(st.one_of(st.just(""), bool_exprs(depth + 1, "u").map(lambda f: f" if {f}")))
        if func in ("any", "all"):
            return f"{func}({draw(bool_exprs(depth + 1, 'u'))} for u in units{filt})"
        if func == "count":
            return f"(count({draw(bool_exprs(depth + 1, 'u'))} for u in units{filt}) >= {draw(st.integers(0, 3))})"
        return f"(sum(u.q_t for u in units{filt}) > mass_t)"
    sub = draw(st.lists(bool_exprs(depth + 1, var), min_size=2, max_size=4))
    return "(" + f" {kind} ".join(sub) + ")"


@st.composite
def num_exprs(draw: st.DrawFn, depth: int, var: str | None) -> str:
    choices = ["height_m", "height_m", "lit"]
    if depth < 4:
        choices += ["arith", "ifelse"]
    kind = draw(st.sampled_from(choices))
    if kind == "height_m":
        return "height_m"
    if kind == "lit":
        return repr(draw(st.integers(-5, 250)))
    if kind == "ifelse":
        return (f"({draw(num_exprs(depth + 1, var))} if {draw(bool_exprs(depth + 2, var))} "
                f"else {draw(num_exprs(depth + 1, var))})")
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    right = draw(st.sampled_from(["height_m", "2", "0", "(-3)"]))
    if op in ("*", "/") and right == "height_m":
        right = "2"  # keep units comparable: m*m would not compare with m
    return f"({draw(num_exprs(depth + 1, var))} {op} {right})"


def facts_strategy() -> st.SearchStrategy[dict[str, Any]]:
    unit = st.fixed_dictionaries({}, optional={
        "kind": st.sampled_from(["干式", "湿式"]), "ok": st.booleans(), "q_t": st.integers(0, 50)})
    return st.fixed_dictionaries({}, optional={
        "flag": st.booleans(), "other": st.booleans(),
        "height_m": st.one_of(st.integers(-10, 300), st.floats(-10, 300, allow_nan=False)),
        "mass_t": st.integers(0, 100),
        "level": st.sampled_from(["一级", "二级", "三级"]),
        "since": st.dates(dt.date(2015, 1, 1), dt.date(2025, 1, 1)),
        "units": st.lists(unit, max_size=4),
    })


@settings(max_examples=1500, deadline=None)
@given(bool_exprs(), facts_strategy(), st.dates(dt.date(2016, 1, 1), dt.date(2026, 1, 1)))
def test_compiled_agrees_with_reference(text: str, facts: dict[str, Any], day: dt.date) -> None:
    expr = parse_expression(text, FACTS)
    reference = evaluate(expr, facts, day)
    compiled = compile_expression(expr)(facts, day)
    assert compiled == reference, (text, facts)
    assert type(compiled) is type(reference)
    # rendering and reparsing keeps the meaning
    assert evaluate(parse_expression(render(expr), FACTS), facts, day) == reference


SPANS = st.integers(1, 4).flatmap(lambda start: st.tuples(st.just(start), st.none() | st.integers(start + 1, 5)))


DERIVED_TEXTS = {"d_high": "height_m > 5", "d_both": "d_high and not flag"}  # one derived from another
DERIVED = {k: parse_expression(v, {**FACTS, "d_high": BOOL}) for k, v in DERIVED_TEXTS.items()}
WITH_DERIVED = {**FACTS, "d_high": BOOL, "d_both": BOOL}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.none() | bool_exprs(), bool_exprs(), st.sampled_from(["", " or d_high", " and d_both"]),
                          st.booleans(), SPANS), min_size=1, max_size=6),
       facts_strategy(), st.integers(0, 6))
def test_whole_rulebook_function_agrees_with_reference(
        specs: list[tuple[str | None, str, str, bool, tuple[int, int | None]]], facts: dict[str, Any], k: int) -> None:
    # reported indexes are not positions, and rules share applies_to and spans often enough; facts
    # and derived facts are read where a group of rules first needs them, which this must not change
    rules = [CompiledRule(parse_expression(a, WITH_DERIVED) if a else None, parse_expression(f"({w}){d}", WITH_DERIVED),
                          partial, index=2 * i + 1, span=span)
             for i, (a, w, d, partial, span) in enumerate(specs)]
    evaluate_ = compile_rules(rules, DERIVED, ["d_high", "d_both"])
    codes = outcome_codes(evaluate_rules(evaluate_, facts, DAY, k), 2 * len(rules))
    for rule in rules:
        start, stop = rule.span
        assert rule.index is not None
        if not (start <= k and (stop is None or k < stop)):
            assert codes[rule.index] is None  # not in force: not reported at all
            continue
        a = True if rule.applies_to is None else evaluate(rule.applies_to, facts, DAY, DERIVED)
        w = evaluate(rule.when, facts, DAY, DERIVED)
        expected = 0 if a is False else 3 if a is None else 2 if w is True else \
            (3 if rule.partial else 1) if w is False else 3
        assert codes[rule.index] == expected
    assert set(codes[0::2]) == {None}  # nothing else is reported


class _Reads(dict[str, Any]):
    """Facts that remember which ones were read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


def test_a_group_of_rules_reads_its_facts_only_when_it_applies() -> None:
    # every fact of every industry was read for every enterprise, whatever its industry
    p = lambda text: parse_expression(text, WITH_DERIVED)  # noqa: E731
    rules = [CompiledRule(p("flag"), p("height_m > 3 and d_both")), CompiledRule(p("flag"), p("level == '一级'")),
             CompiledRule(p("other"), p("mass_t > 1")), CompiledRule(None, p("workers > 9"))]
    evaluate_ = compile_rules(rules, DERIVED, ["d_high", "d_both"])
    facts = _Reads({"flag": False, "other": True, "height_m": 9, "mass_t": 2})
    assert evaluate_rules(evaluate_, facts, DAY) == ([0, 1], [], [2], [3])
    assert sorted(facts.read) == ["flag", "mass_t", "other", "workers"]
    facts = _Reads({"flag": True, "other": False, "height_m": 9, "level": "一级"})
    assert evaluate_rules(evaluate_, facts, DAY) == ([2], [0], [1], [3])  # d_both: not flag
    assert sorted(facts.read) == ["flag", "height_m", "level", "other", "workers"]


def test_missing_fact_never_counts_as_compliant() -> None:
    # whatever the condition, with every fact it reads missing it is never False unless a
    # literal decides it
    expr = parse_expression("not (flag and height_m > 3)", FACTS)
    assert evaluate(expr, {}, DAY) is None


# ------------------------------------------- deep and long conditions: accepted means it runs


def test_long_arithmetic_chain_compiles() -> None:
    # ~330 terms of '+' made Python's compiler raise RecursionError, ~105 too many parentheses
    text = " + ".join(["height_m", "2"] * 1_000) + " - 3 * 2 / 4 > 5"
    expr = parse_expression(text, FACTS)
    for facts in ({"height_m": 1.5}, {"height_m": -2}, {}):
        assert compile_expression(expr)(facts, DAY) == evaluate(expr, facts, DAY)


def test_long_if_else_chain_compiles() -> None:
    # an if/else chain over ~90 levels gave "too many nested parentheses" in the generated code
    chain = " ".join(f"{i} if height_m > {i} else" for i in range(400, 0, -1)) + " 0"
    expr = parse_expression(f"({chain}) >= 17", FACTS)
    for facts in ({"height_m": 17.5}, {"height_m": 3}, {}):
        assert compile_expression(expr)(facts, DAY) == evaluate(expr, facts, DAY)
    assert value("(1 if flag else 2 if other else 3) == 2", {"flag": False, "other": True}) is True


def _leaf_bool(draw: st.DrawFn, budget: int, var: str | None) -> str:
    choices = ["flag", "other", "True"] + ([f"{var}.ok"] if var else [])
    if budget >= 2:
        choices += ["(height_m > 3)", "(level in ['一级'])"] + ([f"({var}.q_t >= 2)"] if var else [])
    return draw(st.sampled_from(choices))


def _leaf_num(draw: st.DrawFn, budget: int) -> str:
    return draw(st.sampled_from(["2", "0", "7.5"] + (["(-3)"] if budget >= 2 else [])))


@st.composite
def deep_numbers(draw: st.DrawFn, budget: int, var: str | None) -> str:
    """A number expression using at most ``budget`` levels of nesting: one deep operand per
    level and long flat chains beside it."""
    if budget <= 2:
        return draw(st.sampled_from(["height_m", "2"]))
    kind = draw(st.sampled_from(["arith", "neg", "ifelse"]))
    deep = draw(deep_numbers(budget - 1, var))
    if kind == "neg":
        return f"(-{deep})"
    n = draw(st.integers(1, 40))
    if kind == "ifelse":
        parts = [(_leaf_bool(draw, budget - 1, var), _leaf_num(draw, budget - 1)) for _ in range(n)]
        at = draw(st.integers(0, n))
        links = "".join(f"{deep if i == at else then} if {c} else " for i, (c, then) in enumerate(parts))
        return f"({links}{deep if at == n else _leaf_num(draw, budget - 1)})"
    group = draw(st.sampled_from(["+-", "*/"]))  # one precedence: a chain is one level
    ops = draw(st.lists(st.sampled_from(group), min_size=n, max_size=n))
    at = draw(st.integers(0, n))
    operands = [deep if i == at else _leaf_num(draw, budget - 1) for i in range(n + 1)]
    if at > 0 and ops[at - 1] == "/":
        ops[at - 1] = "*"  # keep the unit: 2 / m would not compare with m
    return "(" + operands[0] + "".join(f" {op} {o}" for op, o in zip(ops, operands[1:], strict=True)) + ")"


@st.composite
def deep_conditions(draw: st.DrawFn, budget: int = MAX_NESTING, var: str | None = None) -> str:
    if budget <= 2:
        return _leaf_bool(draw, budget, var)
    kind = draw(st.sampled_from(["not", "and", "or", "cmp", "ifelse"] + ([] if var else ["agg"])))
    if kind == "cmp":
        return f"({draw(deep_numbers(budget - 1, var))} > height_m)"
    if kind == "agg":
        func = draw(st.sampled_from(["any", "all"]))
        return f"{func}({draw(deep_conditions(budget - 1, 'u'))} for u in units if u.ok)"
    deep = draw(deep_conditions(budget - 1, var))
    if kind == "not":
        return f"(not {deep})"
    n = draw(st.integers(1, 40))
    leaves = [_leaf_bool(draw, budget - 1, var) for _ in range(n)]
    at = draw(st.integers(0, n))
    if kind == "ifelse":
        links = "".join(f"{deep if i == at else leaves[i - 1]} if {leaves[i]} else " for i in range(n))
        return f"({links}{deep if at == n else 'other'})"
    operands = [*leaves[:at], deep, *leaves[at:]]
    return "(" + f" {kind} ".join(operands) + ")"


@settings(max_examples=60, deadline=None)
@given(deep_conditions(), facts_strategy().map(lambda f: {**f, "units": f.get("units", [])[:1]}))
def test_every_accepted_deep_or_long_condition_compiles_and_agrees(text: str, facts: dict[str, Any]) -> None:
    expr = parse_expression(text, FACTS)  # within the limits by construction: accepted
    assert compile_expression(expr)(facts, DAY) == evaluate(expr, facts, DAY)
    rules = [CompiledRule(parse_expression("flag or not flag", FACTS), expr), CompiledRule(None, expr)]
    codes = outcome_codes(evaluate_rules(compile_rules(rules, {}, []), facts, DAY), 2)
    assert codes[1] == {True: 2, False: 1, None: 3}[evaluate(expr, facts, DAY)]
