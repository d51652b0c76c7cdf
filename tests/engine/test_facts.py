"""Checking fact values against the catalog: the quick path for plain values finds what
the full check finds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules import Rulebook
from safety_rules.engine._expressions import parse_expression
from safety_rules.engine._facts import FactCatalog, FactSpec

from ..conftest import RULES

BOOK = Rulebook.load(RULES)
IDS = sorted(BOOK.facts.specs) + ["no_such_fact", "dust_zone20_present_"]
ENUM_VALUES = sorted({v for spec in BOOK.facts.specs.values() for v in spec.values or ()})
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(), st.sampled_from(ENUM_VALUES),
                   st.text(max_size=5), st.lists(st.fixed_dictionaries({"name": st.text(max_size=3)}), max_size=2))


def _fully_checked() -> FactCatalog:
    """The same catalog with no quick path: every value takes the full check."""
    catalog = FactCatalog(BOOK.facts.specs)
    catalog.divisors = dict(BOOK.facts.divisors)
    catalog._plain = {}
    return catalog


FULL = _fully_checked()


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(IDS), VALUES, max_size=12))
def test_the_quick_path_finds_what_the_full_check_finds(raw: dict[str, Any]) -> None:
    quick_values, quick_problems = BOOK.facts.validate(raw, source="f.yaml")
    full_values, full_problems = FULL.validate(raw, source="f.yaml")
    assert quick_values == full_values
    assert [str(p) for p in quick_problems] == [str(p) for p in full_problems]


def test_a_number_divided_by_is_checked_in_full_even_after_a_quick_check() -> None:
    # the quick path is worked out on first use; a divisor noted later must still be refused as 0
    specs = {"mass_t": FactSpec(type="number", label="质量", question="?", unit="t"),
             "count_n": FactSpec(type="number", label="数量", question="?", unit="person")}
    catalog = FactCatalog(specs)
    assert catalog.validate({"mass_t": 0, "count_n": 0}) == ({"mass_t": 0, "count_n": 0}, [])
    catalog.note_divisors({"rule x": parse_expression("mass_t / count_n > 1", catalog.types)})
    values, problems = catalog.validate({"mass_t": 0, "count_n": 0})
    assert values == {"mass_t": 0}
    assert [p.fact for p in problems] == ["count_n"] and "rule x divides by it" in problems[0].message
