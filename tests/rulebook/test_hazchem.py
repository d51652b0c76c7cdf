"""The hazardous-chemicals rulebook on the example enterprises, either side of each boundary:
121号 (2017-11-13), GB 18218-2018 (2019-03-01) and 危险化学品安全法 (2026-05-01)."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_rules import Assessment, Finding, Rulebook

from ..conftest import EXAMPLES

ENTERPRISES = EXAMPLES / "enterprises"
BEFORE_121 = dt.date(2017, 11, 12)
FROM_121 = dt.date(2017, 11, 13)
LAST_GB2009 = dt.date(2019, 2, 28)
FIRST_GB2018 = dt.date(2019, 3, 1)
BEFORE_LAW = dt.date(2026, 4, 30)
FROM_LAW = dt.date(2026, 5, 1)

REGULATION_80_2 = "《危险化学品安全管理条例》(2013年修订) 第八十条第一款第二项"
LAW_103_3 = "《中华人民共和国危险化学品安全法》(2025年12月27日通过) 第一百零三条第一款第三项"


def assess(book: Rulebook, name: str, day: dt.date) -> Assessment:
    return book.assess(book.load_enterprise(ENTERPRISES / f"{name}.yaml"), day)


def finding(a: Assessment, rule_id: str) -> Finding:
    (f,) = [f for f in a.findings if f.rule_id == rule_id]
    return f


def preferred(f: Finding) -> str:
    (c,) = [c for c in f.citations if c.role == "penalty" and c.preferred]
    return c.text


def texts(f: Finding) -> list[str]:
    return [c.text for c in f.citations]


def test_loading_arm_becomes_a_major_hazard_on_2017_11_13(book: Rulebook) -> None:
    before = finding(assess(book, "linyi-hazchem-storage", BEFORE_121), "hazchem.liquefied-gas-loading-arm")
    after = finding(assess(book, "linyi-hazchem-storage", FROM_121), "hazchem.liquefied-gas-loading-arm")
    assert (before.rule_version, before.severity) == ("2014", "violation")
    assert (after.rule_version, after.severity) == ("2017", "major_hazard")
    # the 条例's facility penalty is preferred over the 2014 hazard article, which fines nobody at first
    assert preferred(before) == preferred(after) == REGULATION_80_2
    assert "《中华人民共和国安全生产法》(2014年修正) 第九十九条" in texts(after)
    assert texts(after)[0].endswith("七、")  # the item itself comes first
    assert before.measures == [] and after.measures  # the withdrawal measure only for major hazards


def test_citations_move_to_the_hazchem_law_on_2026_05_01(book: Rulebook) -> None:
    old = finding(assess(book, "linyi-hazchem-storage", BEFORE_LAW), "hazchem.gas-detection-explosion-proof")
    new = finding(assess(book, "linyi-hazchem-storage", FROM_LAW), "hazchem.gas-detection-explosion-proof")
    assert (old.rule_version, new.rule_version) == ("2017", "2026")
    assert preferred(old) == REGULATION_80_2
    assert preferred(new) == LAW_103_3
    assert not any("危险化学品安全管理条例" in t for t in texts(new))
    assert "《中华人民共和国安全生产法》(2021年修正) 第一百零二条" in texts(new)
    assert new.sanction is not None and new.sanction.first_fine is not None
    assert (new.sanction.first_fine.min, new.sanction.first_fine.max) == (50000, 100000)


def test_storage_plant_tank_farm_and_major_hazard_source(book: Rulebook) -> None:
    # SIS not recorded: the tank-farm item is undetermined, and says what would decide it
    a = assess(book, "linyi-hazchem-storage", FROM_121)
    (u,) = [u for u in a.undetermined if u.rule_id == "hazchem.tank-farm-emergency-shutoff"]
    assert u.missing_facts == ["hazchem_tank_farm_independent_sis"]
    # no emergency plan for the source (S = 45/5 + 12/10 = 10.2)
    f = finding(a, "hazchem.major-hazard-source-management")
    assert f.facts["mhs_ratio_sum"] == pytest.approx(10.2)
    assert "《中华人民共和国安全生产法》(2014年修正) 第九十八条第二项" in texts(f)


def test_nitration_plant(book: Rulebook) -> None:
    before = assess(book, "linyi-chemical-plant-nitration", BEFORE_121)
    after = assess(book, "linyi-chemical-plant-nitration", FROM_121)
    # an uncertified electrician: a violation before 121号, a major hazard from its first day
    ops_before = finding(before, "hazchem.special-operations-certified")
    ops_after = finding(after, "hazchem.special-operations-certified")
    assert (ops_before.severity, ops_after.severity) == ("violation", "major_hazard")
    assert preferred(ops_after) == "《中华人民共和国安全生产法》(2014年修正) 第九十四条第七项"
    assert [r.record["name"] for r in ops_after.records] == ["吴某（电工）"]
    # the LPG tank farm: R = 2.0 × 1.5 × 1800/50 = 108, 一级; liquefied gas without an independent SIS
    farm = finding(after, "hazchem.tank-farm-emergency-shutoff")
    assert farm.severity == "major_hazard" and farm.facts["mhs_level"] == 1
    assert farm.facts["mhs_r"] == pytest.approx(108)
    assert "《危险化学品重大危险源监督管理暂行规定》(2015年修正) 第十三条第三项" in texts(farm)
    # the water injection of V-102 only
    injection = finding(after, "hazchem.pressurised-lpg-water-injection")
    assert [r.record["name"] for r in injection.records] == ["V-102液化石油气球罐"]


def test_nitration_automation_penalty_under_the_hazchem_law(book: Rulebook) -> None:
    old = finding(assess(book, "linyi-chemical-plant-nitration", BEFORE_LAW), "hazchem.key-process-automation")
    new = finding(assess(book, "linyi-chemical-plant-nitration", FROM_LAW), "hazchem.key-process-automation")
    assert [r.record["name"] for r in new.records] == ["硝基苯硝化装置"]
    assert preferred(old) == REGULATION_80_2
    assert preferred(new) == "《中华人民共和国危险化学品安全法》(2025年12月27日通过) 第一百零一条第一款第九项"
    # from 2026-05-01 the law adds the 重大危险源安全责任制, which the inspectors did not record
    a = assess(book, "linyi-chemical-plant-nitration", FROM_LAW)
    (u,) = [u for u in a.undetermined if u.rule_id == "hazchem.major-hazard-source-management"]
    assert u.missing_facts == ["mhs_responsibility_system"]
    assert "hazchem.major-hazard-source-management" in assess(book, "linyi-chemical-plant-nitration",
                                                              BEFORE_LAW).compliant


def test_warehouse_stops_being_a_major_hazard_source_with_the_2018_units(book: Rulebook) -> None:
    last = assess(book, "linyi-hazchem-warehouse", LAST_GB2009)
    first = assess(book, "linyi-hazchem-warehouse", FIRST_GB2018)
    f = finding(last, "hazchem.major-hazard-source-management")
    assert (f.rule_version, f.severity) == ("2014", "violation")
    assert f.facts["mhs_ratio_sum"] == pytest.approx(1.3)
    assert "《中华人民共和国安全生产法》(2014年修正) 第九十八条第二项" in texts(f)
    assert "hazchem.major-hazard-source-management" in first.not_applicable


def test_warehouse_storage_by_class(book: Rulebook) -> None:
    old = finding(assess(book, "linyi-hazchem-warehouse", BEFORE_LAW), "hazchem.segregated-storage")
    new = finding(assess(book, "linyi-hazchem-warehouse", FROM_LAW), "hazchem.segregated-storage")
    assert old.severity == new.severity == "major_hazard"
    assert [r.record["name"] for r in new.records] == ["3号库（丙酮）"]
    assert preferred(old) == "《危险化学品安全管理条例》(2013年修订) 第八十条第一款第五项"
    assert preferred(new) == "《中华人民共和国危险化学品安全法》(2025年12月27日通过) 第一百零三条第一款第六项"
    before = finding(assess(book, "linyi-hazchem-warehouse", BEFORE_121), "hazchem.segregated-storage")
    assert before.severity == "violation"


def test_121_does_not_apply_to_a_unit_that_only_uses_ammonia(book: Rulebook) -> None:
    e = book.enterprise("U", {"hazchem_enterprise_kind": "仅使用危险化学品的其他单位", "principals_assessed": False,
                              "hazchem_special_operators": [{"name": "周某", "operation": "制冷与空调作业",
                                                             "certified": False}]},
                        industries=["hazchem"])
    a = book.assess(e, FROM_LAW)
    assert not [f for f in a.findings if f.rule_id.startswith("hazchem.")]
    for rule in ("hazchem.principals-assessed", "hazchem.special-operations-certified",
                 "hazchem.segregated-storage", "hazchem.tank-farm-emergency-shutoff"):
        assert rule in a.not_applicable


def test_every_121_item_is_encoded(book: Rulebook) -> None:
    (part,) = [p for p in book.coverage(FROM_121).parts if p.document == "hazchem-major-hazard-criteria"]
    assert (part.items, part.encoded, part.partly_encoded, part.not_encoded) == (20, 20, 0, 0)
    a = assess(book, "linyi-hazchem-warehouse", FROM_121)
    assert not [n for n in a.not_encoded if n.document == "hazchem-major-hazard-criteria"]


def test_ammonia_major_hazard_source_reads_the_shared_computation(book: Rulebook) -> None:
    base = {"ammonia_refrigeration": True, "mhs_registered": True, "mhs_assessed": True, "mhs_monitored": True,
            "mhs_emergency_plan": True, "mhs_periodic_testing": True, "mhs_measures_informed": True}
    store = book.enterprise("C", {**base, "mhs_substances_2018": [{"name": "液氨", "quantity_t": 15}]},
                            industries=["ammonia"])
    assert "ammonia.major-hazard-source-management" in book.assess(store, BEFORE_LAW).compliant
    (u,) = [u for u in book.assess(store, FROM_LAW).undetermined
            if u.rule_id == "ammonia.major-hazard-source-management"]
    assert u.missing_facts == ["mhs_responsibility_system"]
    # the 危险化学品安全法 covers units that use hazardous chemicals: its penalty is preferred
    lacking = book.enterprise("D", {**base, "mhs_substances_2018": [{"name": "液氨", "quantity_t": 15}],
                                    "mhs_responsibility_system": False}, industries=["ammonia"])
    f = finding(book.assess(lacking, FROM_LAW), "ammonia.major-hazard-source-management")
    assert preferred(f) == "《中华人民共和国危险化学品安全法》(2025年12月27日通过) 第一百零三条第一款第一项"
