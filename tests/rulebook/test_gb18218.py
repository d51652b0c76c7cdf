"""GB 18218 identification and grading, as the derived facts compute them, against hand-worked cases.

S = Σ q/Q (≥ 1: a major hazard source); R = α Σ β q/Q; 一级 R ≥ 100, 二级 50 ≤ R < 100, 三级 10 ≤ R < 50,
四级 R < 10. Q and β come from the tables of the edition in force: GB 18218-2009 before 2019-03-01,
GB 18218-2018 from that day (with its own unit records, ``mhs_substances_2018``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules import Rulebook
from safety_rules.engine._interpreter import evaluate

DAY_2009 = dt.date(2018, 6, 1)
LAST_2009 = dt.date(2019, 2, 28)
FIRST_2018 = dt.date(2019, 3, 1)
DAY_2018 = dt.date(2024, 6, 1)


def unit(*rows: tuple[str, float], people: int | None = None, category: str | None = None) -> dict[str, Any]:
    """One unit recorded the same way under both editions."""
    records = [{"name": name, "quantity_t": q, **({"category": category} if category else {})} for name, q in rows]
    facts: dict[str, Any] = {"mhs_substances_2009": records, "mhs_substances_2018": records}
    if people is not None:
        facts["mhs_exposed_population"] = people
    return facts


def derived(book: Rulebook, facts: dict[str, Any], day: dt.date, fact: str) -> Any:
    return evaluate(book.derived[fact], book.check_facts(facts), day, derived=book.derived, tables=book.tables)


@pytest.mark.parametrize("day", [DAY_2009, DAY_2018])
def test_single_substance_at_exactly_its_critical_quantity_is_a_major_hazard_source(book: Rulebook,
                                                                                    day: dt.date) -> None:
    assert derived(book, unit(("液氨", 10)), day, "mhs_ratio_sum") == 1
    assert derived(book, unit(("液氨", 10)), day, "mhs_is_major_hazard_source") is True
    assert derived(book, unit(("液氨", 9.99)), day, "mhs_is_major_hazard_source") is False
    assert derived(book, unit(("氨气", 10)), day, "mhs_is_major_hazard_source") is True  # an alias


@pytest.mark.parametrize("day", [DAY_2009, DAY_2018])
def test_several_substances_add_their_ratios(book: Rulebook, day: dt.date) -> None:
    # 氯 Q = 5 t, 液化石油气 Q = 50 t
    below = unit(("液氯", 2), ("液化石油气", 29.5))  # 0.4 + 0.59 = 0.99
    exact = unit(("液氯", 2.5), ("液化石油气", 25))  # 0.5 + 0.5
    above = unit(("液氯", 2), ("液化石油气", 30.5))  # 0.4 + 0.61 = 1.01
    assert derived(book, below, day, "mhs_ratio_sum") == pytest.approx(0.99)
    assert derived(book, below, day, "mhs_is_major_hazard_source") is False
    assert derived(book, below, day, "mhs_level") == 0
    assert derived(book, exact, day, "mhs_is_major_hazard_source") is True
    assert derived(book, above, day, "mhs_ratio_sum") == pytest.approx(1.01)
    assert derived(book, above, day, "mhs_is_major_hazard_source") is True


@pytest.mark.parametrize(("tonnes", "people", "r", "level"), [
    (250, 100, 100.0, 1),    # α 2.0 × β 2 × 250/10: exactly 100 is 一级
    (249, 100, 99.6, 2),
    (250, 20, 50.0, 2),      # α 1.0: exactly 50 is 二级
    (249, 20, 49.8, 3),
    (50, 20, 10.0, 3),       # exactly 10 is 三级
    (49.5, 20, 9.9, 4),
    (15, 60, 4.5, 4),        # the reference notes' cold store: α 1.5
    (40, 120, 16.0, 3),      # the same store with 40 t and more than 100 people
])
@pytest.mark.parametrize("day", [DAY_2009, DAY_2018])
def test_level_bands_include_their_lower_bound(book: Rulebook, day: dt.date, tonnes: float, people: int,
                                               r: float, level: int) -> None:
    facts = unit(("液氨", tonnes), people=people)
    assert derived(book, facts, day, "mhs_r") == pytest.approx(r)
    assert derived(book, facts, day, "mhs_level") == level


def test_worked_exam_example(book: Rulebook) -> None:
    # 二氧化硫 200 t, Q = 20 t, β = 2, 60 people → α = 1.5: R = 1.5 × 2 × 200/20 = 30, 三级
    facts = unit(("二氧化硫", 200), people=60)
    assert derived(book, facts, DAY_2018, "mhs_r") == pytest.approx(30)
    assert derived(book, facts, DAY_2018, "mhs_level") == 3


@pytest.mark.parametrize(("people", "alpha"), [
    (0, 0.5), (1, 1.0), (29, 1.0), (30, 1.2), (49, 1.2), (50, 1.5), (99, 1.5), (100, 2.0), (5000, 2.0)])
def test_alpha_by_people_within_500_m(book: Rulebook, people: int, alpha: float) -> None:
    assert derived(book, {"mhs_exposed_population": people}, DAY_2018, "mhs_alpha") == alpha


def test_ammonium_nitrate_critical_quantity_changed_on_2019_03_01(book: Rulebook) -> None:
    # 硝酸铵（含可燃物≤0.2%）: 300 t in GB 18218-2009, 50 t in GB 18218-2018
    facts = unit(("硝酸铵（含可燃物≤0.2%）", 100))
    assert derived(book, facts, LAST_2009, "mhs_ratio_sum") == pytest.approx(1 / 3)
    assert derived(book, facts, LAST_2009, "mhs_is_major_hazard_source") is False
    assert derived(book, facts, FIRST_2018, "mhs_ratio_sum") == 2
    assert derived(book, facts, FIRST_2018, "mhs_is_major_hazard_source") is True


def test_oxygen_is_named_only_from_2018(book: Rulebook) -> None:
    # 2009: not in 表1, so by its 表2 class (氧化性气体, 200 t); 2018: 表1 row 氧 (200 t)
    before = {"mhs_substances_2009": [{"name": "液氧", "quantity_t": 100, "category": "氧化性气体"}]}
    after = {"mhs_substances_2018": [{"name": "液氧", "quantity_t": 100}]}
    assert derived(book, before, LAST_2009, "mhs_ratio_sum") == 0.5
    assert derived(book, after, FIRST_2018, "mhs_ratio_sum") == 0.5
    # without a category the 2009 unit cannot be identified
    assert derived(book, {"mhs_substances_2009": [{"name": "液氧", "quantity_t": 100}]}, LAST_2009,
                   "mhs_ratio_sum") is None


def test_units_follow_the_edition_in_force(book: Rulebook) -> None:
    # three warehouses within 500 m: one unit under 2009; each warehouse its own unit under 2018
    facts = {"mhs_substances_2009": [{"name": "甲苯", "quantity_t": 300}, {"name": "乙酸乙酯", "quantity_t": 200},
                                     {"name": "丙酮", "quantity_t": 150}],
             "mhs_substances_2018": [{"name": "甲苯", "quantity_t": 300}],
             "mhs_exposed_population": 40}
    assert derived(book, facts, LAST_2009, "mhs_ratio_sum") == pytest.approx(1.3)
    assert derived(book, facts, LAST_2009, "mhs_r") == pytest.approx(1.2 * 1.3)
    assert derived(book, facts, LAST_2009, "mhs_level") == 4
    assert derived(book, facts, FIRST_2018, "mhs_ratio_sum") == pytest.approx(0.6)
    assert derived(book, facts, FIRST_2018, "mhs_level") == 0


def test_unlisted_substances_by_category(book: Rulebook) -> None:
    # 2009 表2 有毒气体: Q 50 t, β 2; 2018 表2 J3 (急性毒性类别2、3，气体): Q 50 t
    facts = {"mhs_substances_2009": [{"name": "某有毒气体", "quantity_t": 100, "category": "有毒气体"}],
             "mhs_substances_2018": [{"name": "某有毒气体", "quantity_t": 100, "category": "J3"}],
             "mhs_exposed_population": 0}
    for day in (LAST_2009, FIRST_2018):
        assert derived(book, facts, day, "mhs_ratio_sum") == 2
        assert derived(book, facts, day, "mhs_r") == pytest.approx(0.5 * 2 * 2)
    # a category of the other edition is no key of the edition in force: unknown, never a guess
    wrong = {"mhs_substances_2018": [{"name": "某有毒气体", "quantity_t": 100, "category": "有毒气体"}]}
    assert derived(book, wrong, FIRST_2018, "mhs_ratio_sum") is None


def test_below_the_threshold_needs_no_population(book: Rulebook) -> None:
    assert derived(book, unit(("液氨", 8)), DAY_2018, "mhs_level") == 0
    assert derived(book, unit(("液氨", 12)), DAY_2018, "mhs_level") is None  # a source, α unknown


def test_compiled_evaluator_agrees_on_the_band_boundary(book: Rulebook) -> None:
    # the tank-farm item of 121号 (五、) reads the level through the evaluator assess uses
    base = {"hazchem_enterprise_kind": "危险化学品生产企业", "mhs_unit_kind": "储罐区",
            "mhs_exposed_population": 20, "hazchem_tank_farm_emergency_shutoff": False}
    at = book.enterprise("A", {**base, "mhs_substances_2018": [{"name": "液氨", "quantity_t": 250}]},
                         industries=["hazchem"])
    below = book.enterprise("B", {**base, "mhs_substances_2018": [{"name": "液氨", "quantity_t": 249}]},
                            industries=["hazchem"])
    (f,) = [f for f in book.assess(at, DAY_2018).findings if f.rule_id == "hazchem.tank-farm-emergency-shutoff"]
    assert f.facts["mhs_level"] == 2 and f.facts["mhs_r"] == 50
    assert "hazchem.tank-farm-emergency-shutoff" in book.assess(below, DAY_2018).compliant


def band(r: float) -> int:
    return 1 if r >= 100 else 2 if r >= 50 else 3 if r >= 10 else 4


def alpha(people: int) -> float:
    return 2.0 if people >= 100 else 1.5 if people >= 50 else 1.2 if people >= 30 else 1.0 if people >= 1 else 0.5


@settings(max_examples=60, deadline=None)
@given(chlorine=st.integers(0, 400), lpg=st.integers(0, 4000), people=st.integers(0, 300),
       late=st.booleans())
def test_level_matches_the_formula(book: Rulebook, chlorine: int, lpg: int, people: int, late: bool) -> None:
    # 氯: Q 5 t, β 4 (toxic gas); 液化石油气: Q 50 t, β 1.5 (flammable gas); the same in both editions
    day = DAY_2018 if late else DAY_2009
    facts = unit(("液氯", chlorine), ("液化石油气", lpg), people=people)
    s = chlorine / 5 + lpg / 50
    r = alpha(people) * (4 * chlorine / 5 + 1.5 * lpg / 50)
    assert derived(book, facts, day, "mhs_ratio_sum") == pytest.approx(s)
    assert derived(book, facts, day, "mhs_level") == (0 if s < 1 else band(r))
