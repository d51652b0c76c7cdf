"""Enterprise fact files: every bad fact names the file, the fact and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from safety_rules import FactError, Rulebook, SchemaError, YamlError
from safety_rules.engine._facts import FieldSpec

from ..conftest import EXAMPLES, FIXTURES

BAD = FIXTURES / "broken_enterprises"

CASES = {
    "unknown_fact.yaml": (FactError, ["unknown fact 'dust_zone20_electrics_explosionproof'",
                                      "did you mean 'dust_zone20_electrics_explosion_proof'"], 4),
    "wrong_type.yaml": (FactError, ["'mhs_exposed_population' must be a number (person)", "'四十人'"], 4),
    "enum_value.yaml": (FactError, ["'hazchem_processes[0].process_type' must be one of", "'硝 化工艺'",
                                    "did you mean '硝化工艺'"], 5),
    "record_field.yaml": (FactError, ["record dust_collectors[0] has unknown field 'vent'",
                                      "did you mean 'venting'"], 5),
    "unknown_industry.yaml": (FactError, ["unknown industry 'coal'"], 1),
    "derived_given.yaml": (FactError, ["'mhs_is_major_hazard_source' is derived", "give the facts"], 3),
    "header_key.yaml": (SchemaError, ["unknown key 'nmae'", "did you mean 'name'"], 1),
    # a negative quantity cancelled a real one in the sum of q/Q and hid a major hazard
    "negative_record_quantity.yaml": (FactError, ["'mhs_substances_2018[1].quantity_t' must be at least 0 t",
                                                  "got -40"], 5),
    "octal_quantity.yaml": (YamlError, ["010 has a leading zero", "octal"], 4),
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_enterprise_file(book: Rulebook, name: str) -> None:
    kind, words, line = CASES[name]
    with pytest.raises(kind) as info:
        book.load_enterprise(BAD / name)
    message = str(info.value)
    assert message.startswith(str(BAD / name)), message
    for w in words:
        assert w in message, message
    assert info.value.line == line


def test_all_problems_are_listed(book: Rulebook) -> None:
    with pytest.raises(FactError) as info:
        book.check_facts({"nope": 1, "mhs_exposed_population": "x", "dust_zone20_present": "yes"})
    problems = info.value.context["problems"]
    assert {p.fact for p in problems} == {"nope", "mhs_exposed_population", "dust_zone20_present"}


def test_null_means_unknown_and_values_are_normalised(book: Rulebook) -> None:
    facts = book.check_facts({"dust_zone20_present": None, "mine_slope_height_m": 200.0,
                              "dust_collectors": [{"kind": "干式", "venting": None}]})
    assert "dust_zone20_present" not in facts
    assert facts["dust_collectors"] == [{"kind": "干式"}]


def test_minimum_is_enforced(book: Rulebook) -> None:
    with pytest.raises(FactError, match="must be at least 0"):
        book.check_facts({"mhs_exposed_population": -1})


@pytest.mark.parametrize("path", sorted((EXAMPLES / "enterprises").glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_examples_load(book: Rulebook, path: Path) -> None:
    e = book.load_enterprise(path)
    assert e.id and e.industries and e.facts


def test_record_fields_take_a_minimum_and_maximum_for_numbers_only() -> None:
    spec = FieldSpec(type="number", unit="t", label="储量", minimum=0, maximum=100)
    assert (spec.minimum, spec.maximum) == (0, 100)
    with pytest.raises(ValidationError, match="only for numbers"):
        FieldSpec(type="bool", label="是否", minimum=0)
    with pytest.raises(ValidationError, match="minimum 5.0 is above maximum 1.0"):
        FieldSpec(type="number", unit="t", label="储量", minimum=5, maximum=1)
