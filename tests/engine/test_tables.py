"""Lookup tables: rows by key and edition, prefix matching for classification codes, and the
``lookup()`` function of the condition language in both evaluators."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safety_rules import Rulebook, RulebookError
from safety_rules.engine._compiler import compile_expression
from safety_rules.engine._expressions import parse_expression
from safety_rules.engine._interpreter import evaluate
from safety_rules.engine._types import Type
from safety_rules.shared._errors import ExpressionError

from ..conftest import EXAMPLES

TABLE = """\
id: test-critical
title: 临界量（测试）
key: {label: 名称}
columns:
  critical_t: {type: number, unit: t, label: 临界量}
editions:
  - id: "2009"
    label: 2009年版
    effective_from: 2009-12-01
    source: {document: work-safety-law}
    rows:
      - {key: 氨, aliases: [液氨], critical_t: 10, source_checked: true}
      - {key: 硝酸铵, critical_t: 300, source_checked: true}
  - id: "2018"
    label: 2018年版
    effective_from: 2019-03-01
    source: {document: work-safety-law}
    rows:
      - {key: 氨, aliases: [液氨], critical_t: 10, source_checked: true}
      - {key: 硝酸铵, critical_t: 50, source_checked: true}
"""


@pytest.fixture()
def table_book(rules_copy: Path) -> Rulebook:
    (rules_copy / "tables" / "test-critical.yaml").write_text(TABLE, encoding="utf-8")
    return Rulebook.load(rules_copy)


def test_rows_are_read_by_edition_in_force(table_book: Rulebook) -> None:
    t = table_book.tables["test-critical"]
    assert t.get("硝酸铵", "critical_t", dt.date(2019, 2, 28)) == 300
    assert t.get("硝酸铵", "critical_t", dt.date(2019, 3, 1)) == 50
    assert t.get("液氨", "critical_t", dt.date(2020, 1, 1)) == 10  # an alias
    assert t.get("氯", "critical_t", dt.date(2020, 1, 1)) is None  # not listed: unknown
    assert t.get("氨", "critical_t", dt.date(2009, 11, 30)) is None  # before the first edition


def test_prefix_tables_take_the_longest_prefix_and_a_default(book: Rulebook) -> None:
    sectors = book.tables["trade-sectors"]
    day = dt.date(2024, 6, 1)
    assert sectors.get("3130", "sector", day) == "metallurgy"
    assert sectors.get("3252", "sector", day) == "nonferrous"
    assert sectors.get("2021", "sector", day) == "other"


def test_compiled_lookup_agrees_with_the_interpreter(table_book: Rulebook) -> None:
    types = {**table_book.facts.types, "substance": Type("string", origin="substance")}
    tables = {t.id: t.type for t in table_book.tables.values()}
    expr = parse_expression("lookup('test-critical', substance, 'critical_t') * 2", types, expect=None,
                            tables=tables)
    compiled = compile_expression(expr, tables=table_book.tables)

    @given(key=st.sampled_from(["氨", "液氨", "硝酸铵", "氯", None]),
           day=st.dates(dt.date(2009, 1, 1), dt.date(2030, 1, 1)))
    def agree(key: str | None, day: dt.date) -> None:
        facts = {"substance": key}
        assert compiled(facts, day) == evaluate(expr, facts, day, tables=table_book.tables)

    agree()


def test_a_lookup_names_a_table_and_a_column_that_exist(table_book: Rulebook) -> None:
    tables = {t.id: t.type for t in table_book.tables.values()}
    with pytest.raises(ExpressionError, match="unknown table 'test-critica'.*did you mean 'test-critical'"):
        parse_expression("lookup('test-critica', economic_class, 'critical_t') > 1", table_book.facts.types,
                         tables=tables)
    with pytest.raises(ExpressionError, match="has no column 'critical'"):
        parse_expression("lookup('test-critical', economic_class, 'critical') > 1", table_book.facts.types,
                         tables=tables)
    with pytest.raises(ExpressionError, match="unit mismatch"):
        parse_expression("lookup('test-critical', economic_class, 'critical_t') > mine_exit_spacing_m",
                         table_book.facts.types, tables=tables)


def test_a_bad_row_is_reported_with_its_line(rules_copy: Path) -> None:
    bad = TABLE.replace("critical_t: 300", "critical_t: 很多")
    (rules_copy / "tables" / "test-critical.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(RulebookError) as info:
        Rulebook.load(rules_copy)
    (p,) = [p for p in info.value.problems if "test-critical" in p.message]
    assert "row '硝酸铵': critical_t must be a number (t), got '很多'" in p.message
    assert p.line == 13


def test_a_finding_names_the_record_that_violated(book: Rulebook) -> None:
    wood = book.load_enterprise(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
    a = book.assess(wood, dt.date(2024, 6, 1))
    (f,) = [f for f in a.findings if f.rule_id == "dust.dry-collector-explosion-control"]
    assert [r.name for r in f.records] == ["砂光线布袋除尘器"]
    data = f.model_dump(mode="json")
    assert data["explanation"][-1]["records"][0]["record"]["name"] == "砂光线布袋除尘器"


def test_a_critical_quantity_of_zero_in_a_table_is_an_error(rules_copy: Path) -> None:
    """A zero critical quantity left the major-hazard-source rule undetermined with nothing to ask;
    Q now comes from GB 18218's table, so a 0 there is a rulebook error naming the row."""
    table = rules_copy / "tables" / "gb18218-table1.yaml"
    zeroed, count = re.subn(r"(key: \"氨\",[^}]*critical_t: )10\b", r"\g<1>0", table.read_text(encoding="utf-8"),
                            count=1)
    assert count == 1
    table.write_text(zeroed, encoding="utf-8")
    with pytest.raises(RulebookError) as info:
        Rulebook.load(rules_copy)
    assert any("row '氨' has critical_t 0" in p.message and "divides by it" in p.message
               for p in info.value.problems), info.value.problems
