"""The open-pit and tailings-pond rulebook on the example mines, on both sides of every edition
boundary: 安全生产法 2014 → 98号 (2017-09-01) → 安全生产法 2021 (2021-09-01) → 88号 (2022-09-01)
→ 41号 (2024-04-23)."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_rules import Enterprise, Finding, Rulebook, check_rulebook

from ..conftest import EXAMPLES, RULES
from .reading import LAW_2014, LAW_2021, finding, texts

QUARRY = EXAMPLES / "enterprises" / "linyi-open-pit-quarry.yaml"
GRANITE = EXAMPLES / "enterprises" / "linyi-granite-quarry.yaml"
TAILINGS = EXAMPLES / "enterprises" / "linyi-iron-concentrator-tailings.yaml"
CRITERIA_98 = "《金属非金属矿山重大生产安全事故隐患判定标准（试行）》(安监总管一〔2017〕98号)"
CRITERIA_88 = "《金属非金属矿山重大事故隐患判定标准》(矿安〔2022〕88号)"
SUPPLEMENT_41 = "《金属非金属矿山重大事故隐患判定标准补充情形》(矿安〔2024〕41号)"
MINE_LAW = "《中华人民共和国矿山安全法》(2009年修正)"
MINE_REGULATION = "《中华人民共和国矿山安全法实施条例》(劳动部令第4号)"
TAILINGS_REGULATION = "《尾矿库安全监督管理规定》(国家安全监管总局令第38号)"


@pytest.fixture(scope="module")
def quarry(book: Rulebook) -> Enterprise:
    return book.load_enterprise(QUARRY)


@pytest.fixture(scope="module")
def granite(book: Rulebook) -> Enterprise:
    return book.load_enterprise(GRANITE)


@pytest.fixture(scope="module")
def tailings(book: Rulebook) -> Enterprise:
    return book.load_enterprise(TAILINGS)


def names(f: Finding) -> list[str]:
    return [r.name for r in f.records]


# ------------------------------------------------------------- 98号 takes effect (2017-09-01)


def test_a_215_m_slope_without_online_monitoring_becomes_a_major_hazard_under_98(book: Rulebook,
                                                                                 quarry: Enterprise) -> None:
    before = finding(book.assess(quarry, dt.date(2017, 8, 31)), "mining.open-pit-slope-monitoring")
    first = finding(book.assess(quarry, dt.date(2017, 9, 1)), "mining.open-pit-slope-monitoring")
    inspected = finding(book.assess(quarry), "mining.open-pit-slope-monitoring")
    assert (before.rule_version, before.severity, before.measures) == ("2014", "violation", [])
    assert texts(before)[0] == f"{MINE_LAW} 第十八条"
    assert texts(before, "penalty") == [f"{LAW_2014} 第九十九条"]
    assert (first.rule_version, first.severity) == ("2017", "major_hazard")
    assert texts(first)[0] == f"{CRITERIA_98} 二、（七）"
    assert first.flags == ["before_publication"]  # signed 2017-09-01, first seen published 2017-09-06
    assert inspected.flags == [] and inspected.source_checked
    assert [m.provision for m in inspected.measures] == ["measure-major-hazard-withdrawal"]


def test_the_quarry_as_inspected_under_98(book: Rulebook, quarry: Enterprise) -> None:
    a = book.assess(quarry)
    assert a.as_of == dt.date(2017, 9, 6)
    road = finding(a, "mining.open-pit-haul-road-gradient")
    assert (road.severity, names(road)) == ("major_hazard", ["上山道路"])  # 8.8 % against 8 %: exactly 10 % over
    blasting = finding(a, "mining.open-pit-blasting-in-thunderstorms")
    assert blasting.severity == "major_hazard" and not blasting.source_checked  # 98号 二、（十一） numbered by position
    assert not blasting.citations[0].source_checked
    undetermined = {u.rule_id: u.missing_facts for u in a.undetermined}
    assert undetermined["mining.open-pit-dangerous-waste-dump"] == ["mine_op_waste_dumps[0].dangerous_class"]
    # a hillside quarry is no 凹陷 pit; a 90 m dump needs no online monitoring
    assert {"mining.open-pit-flood-control", "mining.open-pit-top-down-benching"} <= set(a.compliant)
    assert not [f for f in a.findings if f.rule_id.startswith("mining.tailings-")]


# ------------------------------------------------------------- 88号 takes effect (2022-09-01)


def test_thunderstorm_blasting_is_a_violation_again_once_88_drops_it(book: Rulebook, quarry: Enterprise) -> None:
    old = finding(book.assess(quarry, dt.date(2022, 8, 31)), "mining.open-pit-blasting-in-thunderstorms")
    new = finding(book.assess(quarry, dt.date(2022, 9, 1)), "mining.open-pit-blasting-in-thunderstorms")
    assert (old.rule_version, old.severity) == ("2017", "major_hazard")
    assert (new.rule_version, new.severity, new.measures) == ("2022", "violation", [])
    assert texts(new)[0] == f"{MINE_REGULATION} 第二十四条"
    assert texts(new, "penalty") == [f"{LAW_2021} 第一百零二条"]
    road = finding(book.assess(quarry, dt.date(2022, 9, 1)), "mining.open-pit-haul-road-gradient")
    assert texts(road)[0] == f"{CRITERIA_88} 二、（九）" and names(road) == ["上山道路"]


def test_a_24_m_closed_pit_without_flood_works_becomes_a_major_hazard_under_88(book: Rulebook,
                                                                              granite: Enterprise) -> None:
    old = book.assess(granite, dt.date(2022, 8, 31))
    new = book.assess(granite, dt.date(2022, 9, 1))
    assert "mining.open-pit-flood-control" in old.compliant  # 98号 only from 30 m
    flood = finding(new, "mining.open-pit-flood-control")
    assert (flood.rule_version, flood.severity) == ("2022", "major_hazard")
    assert texts(flood)[0] == f"{CRITERIA_88} 二、（十）"
    assert f"{MINE_REGULATION} 第十条第七项" in texts(flood, "duty")
    # 88号 二、（十一） is new: before 88号 the same dump is an ordinary violation of the duty
    dump_old = finding(old, "mining.open-pit-waste-dump")
    dump_new = finding(new, "mining.open-pit-waste-dump")
    assert (dump_old.rule_version, dump_old.severity) == ("2014", "violation")
    assert (dump_new.severity, dump_new.sub_items, names(dump_new)) == ("major_hazard", ["2"], ["西排土场"])


def test_the_granite_quarry_as_inspected_under_88_and_41(book: Rulebook, granite: Enterprise) -> None:
    a = book.assess(granite)
    assert a.as_of == dt.date(2024, 7, 16)
    weather = finding(a, "mining.open-pit-extreme-weather-evacuation")
    assert (weather.rule_version, weather.severity) == ("2024", "major_hazard")
    assert texts(weather)[0] == f"{SUPPLEMENT_41} 二、（二）" and names(weather) == ["2024年7月11日暴雨红色预警"]
    for f in a.findings:
        if f.severity == "major_hazard":
            assert [m.provision for m in f.measures] == ["duty-major-hazard-report", "measure-major-hazard-withdrawal"]
    undetermined = {u.rule_id: u for u in a.undetermined}
    # a toe heave without the rear crack spreading: 88号 二、（八）2 is read both ways
    sliding = undetermined["mining.open-pit-slope-sliding"]
    assert sliding.missing_facts == [] and sliding.interpretation is not None
    assert sliding.interpretation.status == "contested"
    assert undetermined["mining.open-pit-slope-angle-bench-height"].missing_facts == [
        "mine_op_design_final_bench_height_m", "mine_op_final_bench_height_m"]
    # 9.5 % against 9 % is less than 10 % over; a 150 m slope needs no online monitoring
    assert {"mining.open-pit-haul-road-gradient", "mining.open-pit-slope-monitoring"} <= set(a.compliant)


def test_supplement_items_of_the_open_pit_apply_from_the_day_signed(book: Rulebook, granite: Enterprise) -> None:
    old = finding(book.assess(granite, dt.date(2024, 4, 22)), "mining.open-pit-extreme-weather-evacuation")
    new = finding(book.assess(granite, dt.date(2024, 4, 23)), "mining.open-pit-extreme-weather-evacuation")
    assert (old.rule_version, old.severity) == ("2014", "violation")
    assert (new.rule_version, new.severity, new.flags) == ("2024", "major_hazard", ["before_publication"])


def test_closing_slope_monitoring_before_and_after_88(book: Rulebook) -> None:
    """A 120 m slope whose monitoring was switched off: not 98号 二、（七）, an ordinary violation
    (the 2021 tampering duty from its first day) until 88号 二、（七）3 makes it a major hazard."""
    mine = book.enterprise("M", {"mine_open_pit": True, "mine_slope_height_m": 120, "mine_op_waste_dumps": [],
                                 "mine_monitoring_tampered": True}, industries=["mining"])
    in_2019 = book.assess(mine, dt.date(2019, 5, 6))
    assert "mining.open-pit-slope-monitoring" in in_2019.compliant
    assert texts(finding(in_2019, "mining.open-pit-monitoring-tampering"), "penalty") == [f"{LAW_2014} 第九十九条"]
    in_2021 = finding(book.assess(mine, dt.date(2021, 9, 1)), "mining.open-pit-monitoring-tampering")
    assert texts(in_2021)[0] == f"{LAW_2021} 第三十六条第三款"
    assert texts(in_2021, "penalty") == [f"{LAW_2021} 第九十九条第四项", f"{LAW_2021} 第一百零二条"]
    on_88 = book.assess(mine, dt.date(2022, 9, 1))
    assert "mining.open-pit-monitoring-tampering" in on_88.not_in_force
    hazard = finding(on_88, "mining.open-pit-slope-monitoring")
    assert (hazard.severity, hazard.sub_items) == ("major_hazard", ["3"])
    assert texts(hazard, "penalty") == [f"{LAW_2021} 第一百零二条", f"{LAW_2021} 第九十九条第四项"]


# ------------------------------------------------------------------------- tailings ponds


def test_the_concentrator_ponds_on_the_last_day_of_98_and_the_first_of_88(book: Rulebook,
                                                                          tailings: Enterprise) -> None:
    old = book.assess(tailings, dt.date(2022, 8, 31))
    new = book.assess(tailings, dt.date(2022, 9, 1))
    monitoring_old = finding(old, "mining.tailings-monitoring-system")
    monitoring_new = finding(new, "mining.tailings-monitoring-system")
    assert (monitoring_old.rule_version, monitoring_old.severity) == ("2021", "violation")
    assert f"{LAW_2021} 第三十六条第三款" in texts(monitoring_old, "duty")
    assert (monitoring_new.severity, monitoring_new.sub_items, names(monitoring_new)) == (
        "major_hazard", ["2"], ["1号尾矿库"])
    assert texts(monitoring_new)[0] == f"{CRITERIA_88} 三、（十三）"
    reclaim_old = finding(old, "mining.tailings-reclaiming")
    reclaim_new = finding(new, "mining.tailings-reclaiming")
    assert (reclaim_old.severity, names(reclaim_old)) == ("violation", ["老尾矿库"])
    assert (reclaim_new.severity, reclaim_new.sub_items, names(reclaim_new)) == (
        "major_hazard", ["1", "2"], ["老尾矿库"])
    # 98号 compares the steepest outer slope, 88号 the average and each sub-dam: both hold here
    slope_old, slope_new = finding(old, "mining.tailings-outer-slope"), finding(new, "mining.tailings-outer-slope")
    assert (slope_old.rule_version, slope_new.rule_version) == ("2017", "2022")
    assert [c.condition for c in slope_new.explanation if c.value][-1].startswith("any(p.avg_outer_slope_n")
    # both ponds' freeboard and beach fall short together: a major hazard under either reading of "和"
    freeboard = finding(new, "mining.tailings-flood-freeboard")
    assert freeboard.flags == ["contested_interpretation"] and names(freeboard) == ["1号尾矿库"]
    # 1.23 against 1.25: above 0.98 times the standard value (1.225)
    assert "mining.tailings-sliding-safety-factor" not in {f.rule_id for f in new.findings}


def test_supplement_sealing_item_names_the_pond(book: Rulebook, tailings: Enterprise) -> None:
    old = finding(book.assess(tailings, dt.date(2024, 4, 22)), "mining.tailings-discharge-structure-sealing")
    new = finding(book.assess(tailings, dt.date(2024, 4, 23)), "mining.tailings-discharge-structure-sealing")
    assert (old.rule_version, old.severity) == ("2014", "violation")
    assert texts(old)[0] == f"{MINE_REGULATION} 第十条第十七项"
    assert (new.rule_version, new.severity, names(new)) == ("2024", "major_hazard", ["1号尾矿库"])
    assert texts(new)[0] == f"{SUPPLEMENT_41} 三、（一）"


def test_tailings_staffing_cites_the_tailings_regulation_as_unchecked(book: Rulebook) -> None:
    pond = book.enterprise("T", {"mine_tailings_pond": True, "mine_tailings_safety_staff": False,
                                 "mine_tailings_technical_staff": True,
                                 "mine_tailings_special_operators_staffed": True}, industries=["mining"])
    before = finding(book.assess(pond, dt.date(2017, 9, 5)), "mining.tailings-staffing")
    after = finding(book.assess(pond, dt.date(2023, 3, 1)), "mining.tailings-staffing")
    assert (before.severity, after.severity) == ("violation", "major_hazard")
    assert texts(before)[0] == f"{LAW_2014} 第二十一条"
    regulation = [c for c in before.citations if c.document == "tailings-pond-regulation"]
    assert [c.text for c in regulation] == [f"{TAILINGS_REGULATION} 第五条", f"{TAILINGS_REGULATION} 第六条第二款"]
    assert not any(c.source_checked for c in regulation)
    penalties = [c for c in after.citations if c.role == "penalty"]
    assert [c.text for c in penalties] == [f"{LAW_2021} 第九十七条第一项", f"{LAW_2021} 第一百零二条"]
    assert penalties[0].preferred


def test_the_safety_factor_boundary_is_exactly_0_98_times(book: Rulebook) -> None:
    def outcome(factor: float) -> str:
        pond = book.enterprise("T", {"mine_tailings_pond": True, "mine_tailings_ponds": [
            {"name": "1号尾矿库", "min_safety_factor": factor, "required_safety_factor": 1.3}]}, industries=["mining"])
        a = book.assess(pond, dt.date(2023, 3, 1))
        if "mining.tailings-sliding-safety-factor" in a.compliant:
            return "compliant"
        return finding(a, "mining.tailings-sliding-safety-factor").severity
    assert outcome(1.274) == "compliant"  # 0.98 × 1.3 = 1.274, "小于" excludes it
    assert outcome(1.2739) == "major_hazard"


# ------------------------------------------------------------------------- the whole part


def test_every_open_pit_and_tailings_item_of_every_edition_is_encoded(book: Rulebook) -> None:
    cov = book.coverage()
    for document, edition, part, items in (
            ("metal-mine-major-hazard-criteria", "2017", "open-pit", 12),
            ("metal-mine-major-hazard-criteria", "2017", "tailings", 12),
            ("metal-mine-major-hazard-criteria", "2022", "open-pit", 13),
            ("metal-mine-major-hazard-criteria", "2022", "tailings", 19),
            ("metal-mine-major-hazard-criteria-2024-supplement", "2024", "open-pit", 2),
            ("metal-mine-major-hazard-criteria-2024-supplement", "2024", "tailings", 2)):
        p = cov.part(document, edition, part)
        assert (p.items, p.encoded, p.partly_encoded) == (items, items, 0), p
        assert p.complete


def test_no_surface_lineage_starts_as_a_major_hazard_without_its_earlier_duty() -> None:
    report = check_rulebook(RULES)
    assert report.ok
    surface = [w for w in report.warnings if (w.rule_id or "").startswith(("mining.open-pit-", "mining.tailings-"))]
    assert [w for w in surface if "add a 'violation' version" in w.message] == []
    contested = sorted({w.rule_id or "" for w in surface if "contested interpretation" in w.message})
    assert contested == ["mining.open-pit-slope-sliding", "mining.tailings-dam-distress",
                         "mining.tailings-flood-freeboard"]
