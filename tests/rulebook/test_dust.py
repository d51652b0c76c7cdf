"""The combustible-dust rulebook, assessed either side of each boundary: 68号令 from 2014-08-15, the
2014 law from 2014-12-01, 129号 from 2017-11-30, the 2021 law and 6号令 from 2021-09-01, and
部令第10号 from 2023-05-15."""

from __future__ import annotations

import datetime as dt

from safety_rules import Rulebook

from ..conftest import EXAMPLES
from .reading import CRITERIA_2017, CRITERIA_2023, LAW_2014, LAW_2021, assess, finding, named, texts, undetermined

ENTERPRISES = EXAMPLES / "enterprises"
WOOD = "linyi-wood-products.yaml"
ALUMINIUM = "linyi-aluminium-polishing.yaml"

SEPT_2017 = dt.date(2017, 9, 5)
LAST_BEFORE_2014_LAW = dt.date(2014, 11, 30)
FIRST_129 = dt.date(2017, 11, 30)
LAST_2014_LAW = dt.date(2021, 8, 31)
FIRST_ORDER_6 = dt.date(2021, 9, 1)
LAST_129 = dt.date(2023, 5, 14)
FIRST_ORDER_10 = dt.date(2023, 5, 15)

ORDER_68 = "《严防企业粉尘爆炸五条规定》(国家安全生产监督管理总局令第68号)"
ORDER_6 = "《工贸企业粉尘防爆安全规定》(应急管理部令第6号)"


def test_before_the_2014_law_the_five_provisions_are_the_duty(book: Rulebook) -> None:
    a = assess(book, WOOD, LAST_BEFORE_2014_LAW)
    f = finding(a, "dust.dry-collector-explosion-control")
    assert (f.rule_version, f.severity) == ("2014-08", "violation")
    assert texts(f, "defines") == [f"{ORDER_68} 二、"] and texts(f, "penalty") == []
    assert named(f) == ["砂光线布袋除尘器"]  # the vented cyclone is not named
    assert "dust.ignition-source-control" in a.not_in_force


def test_september_2017_is_a_violation_with_the_specific_penalty_preferred(book: Rulebook) -> None:
    a = assess(book, WOOD, SEPT_2017)
    f = finding(a, "dust.zone20-electrics")
    assert (f.rule_version, f.severity) == ("2014", "violation")
    assert texts(f, "penalty") == [f"{LAW_2014} 第九十六条第二项", f"{LAW_2014} 第九十九条"]
    first = f.sanction.tier("first_instance") if f.sanction else None
    assert first is not None and first.discretionary and first.fine_yuan is not None and first.fine_yuan.max == 50000
    siting = finding(a, "dust.area-siting-occupancy")
    assert siting.severity == "violation" and named(siting) == ["开料车间"]  # distance 0 < 30 m
    assert texts(siting, "penalty") == [f"{LAW_2014} 第九十九条"]


def test_129_makes_them_major_hazards(book: Rulebook) -> None:
    a = assess(book, WOOD, FIRST_129)
    f = finding(a, "dust.zone20-electrics")
    assert (f.rule_version, f.severity) == ("2017", "major_hazard")
    assert texts(f, "defines") == [f"{CRITERIA_2017} 一、（一）7"]
    assert f.measures  # withdrawal and reporting attach to every major hazard


def test_order_6_and_the_2021_law_from_2021_09_01(book: Rulebook) -> None:
    before = finding(assess(book, WOOD, LAST_2014_LAW), "dust.dry-collector-explosion-control")
    after = finding(assess(book, WOOD, FIRST_ORDER_6), "dust.dry-collector-explosion-control")
    assert (before.rule_version, after.rule_version) == ("2017", "2021")
    assert texts(before, "penalty") == [f"{LAW_2014} 第九十六条第二项", f"{LAW_2014} 第九十九条"]
    assert texts(after, "penalty") == [f"{LAW_2021} 第九十九条第二项", f"{ORDER_6} 第二十七条第二项",
                                       f"{LAW_2021} 第一百零二条"]
    assert f"{ORDER_6} 第十五条" in texts(after, "duty")
    first = after.sanction.tier("first_instance") if after.sanction else None
    assert first is not None and not first.discretionary


def test_2017_regulated_wording_is_never_compliant(book: Rulebook) -> None:
    # the dry collector has only an isolation valve: 129号 lists 隔爆, whether it is 规范 is not encoded
    u = undetermined(assess(book, ALUMINIUM, LAST_2014_LAW), "dust.dry-collector-explosion-control")
    assert u.rule_version == "2017" and u.missing_facts == [] and any("规范" in n for n in u.not_encoded)


def test_isolation_only_breaks_order_6_and_is_contested_under_order_10(book: Rulebook) -> None:
    assert "dust.isolation-only-explosion-control" in assess(book, ALUMINIUM, LAST_2014_LAW).not_in_force
    a = assess(book, ALUMINIUM, FIRST_ORDER_6)
    f = finding(a, "dust.isolation-only-explosion-control")
    assert f.severity == "violation" and named(f) == ["2号打磨线滤筒除尘器"]
    assert texts(f, "penalty")[0] == f"{LAW_2021} 第九十九条第二项"
    new = assess(book, ALUMINIUM, FIRST_ORDER_10)
    u = undetermined(new, "dust.dry-collector-explosion-control")
    assert u.rule_version == "2023" and u.missing_facts == [] and u.interpretation is not None
    assert u.interpretation.status == "contested"
    assert "dust.isolation-only-explosion-control" in {f.rule_id for f in new.findings}
    # a collector with no measure at all is a major hazard under either reading, flagged as contested
    wood = finding(assess(book, WOOD, FIRST_ORDER_10), "dust.dry-collector-explosion-control")
    assert wood.severity == "major_hazard" and named(wood) == ["砂光线布袋除尘器"]
    assert "contested_interpretation" in wood.flags


def test_aluminium_positive_pressure_becomes_a_major_hazard_in_2023(book: Rulebook) -> None:
    old = assess(book, ALUMINIUM, LAST_129)
    assert "dust.positive-pressure-conveying" in old.compliant  # 2017: ignition control is enough
    assert finding(old, "dust.metal-dust-negative-pressure").severity == "violation"
    new = assess(book, ALUMINIUM, FIRST_ORDER_10)
    f = finding(new, "dust.positive-pressure-conveying")
    assert (f.rule_version, f.severity) == ("2023", "major_hazard")
    assert texts(f, "defines") == [f"{CRITERIA_2023} 第十一条第四项"]
    assert "dust.metal-dust-negative-pressure" in new.not_in_force


def test_hydrogen_from_wet_collection_is_new_in_2023(book: Rulebook) -> None:
    old = undetermined(assess(book, ALUMINIUM, LAST_129), "dust.water-reactive-metal-dust")
    assert old.rule_version == "2014" and any("氢气" in n for n in old.not_encoded)
    f = finding(assess(book, ALUMINIUM, FIRST_ORDER_10), "dust.water-reactive-metal-dust")
    assert f.severity == "major_hazard" and named(f) == ["水帘除尘器泥浆池"]


def test_sanders_merge_into_2023_ignition_item(book: Rulebook) -> None:
    old = assess(book, WOOD, LAST_129)
    assert undetermined(old, "dust.sander-spark-detection").rule_version == "2021"  # alarms present, 规范 open
    f = finding(assess(book, WOOD, FIRST_ORDER_10), "dust.ignition-source-control")
    assert named(f) == ["2号宽带砂光机"]  # the sander with an extinguishing system is not named


def test_2023_occupancy_and_cleaning_readings(book: Rulebook) -> None:
    wood = assess(book, WOOD, FIRST_ORDER_10)
    assert named(finding(wood, "dust.area-siting-occupancy")) == ["开料车间"]  # rest room inside
    al = assess(book, ALUMINIUM, FIRST_ORDER_10)
    assert "dust.area-siting-occupancy" in al.compliant
    cleaning = finding(al, "dust.dust-cleaning")
    assert cleaning.severity == "major_hazard" and named(cleaning) == ["抛光车间"]
    assert texts(cleaning, "penalty") == [f"{LAW_2021} 第一百零二条"]


def test_unknown_facts_leave_the_2023_sharing_item_undetermined(book: Rulebook) -> None:
    u = undetermined(assess(book, ALUMINIUM, FIRST_ORDER_10), "dust.shared-collection-system")
    assert u.missing_facts == ["dust_collectors[1].serves_several_fire_compartments"]
    assert "dust.shared-collection-system" in assess(book, ALUMINIUM, LAST_129).compliant
