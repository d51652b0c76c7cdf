"""What every 工贸 enterprise and every enterprise owes, assessed either side of each boundary:
the 2014 law from 2014-12-01, 129号 from 2017-11-30, the 2021 law from 2021-09-01, the Shandong
regulation from 2022-03-01, 部令第10号 from 2023-05-15 and 13号令 (confined spaces) from 2024-01-01."""

from __future__ import annotations

import datetime as dt

from safety_rules import Assessment, Enterprise, Rulebook

from ..conftest import EXAMPLES
from .reading import CRITERIA_2017, CRITERIA_2023, LAW_2014, LAW_2021, finding, named, texts, undetermined

ENTERPRISES = EXAMPLES / "enterprises"
BREWERY = "linyi-brewery.yaml"
WELDERS = "linyi-machinery-welding.yaml"

SEPT_2017 = dt.date(2017, 9, 5)
LAST_BEFORE_129 = dt.date(2017, 11, 29)
FIRST_129 = dt.date(2017, 11, 30)
LAST_2014_LAW = dt.date(2021, 8, 31)
FIRST_2021_LAW = dt.date(2021, 9, 1)
LAST_BEFORE_SHANDONG = dt.date(2022, 2, 28)
FIRST_SHANDONG = dt.date(2022, 3, 1)
LAST_129 = dt.date(2023, 5, 14)
FIRST_ORDER_10 = dt.date(2023, 5, 15)
FIRST_ORDER_13 = dt.date(2024, 1, 1)

SHANDONG = "《山东省安全生产条例》(2021年修订)"
ORDER_59 = "《工贸企业有限空间作业安全管理与监督暂行规定》(国家安全生产监督管理总局令第59号)"
ORDER_13 = "《工贸企业有限空间作业安全规定》(应急管理部令第13号)"


def load(book: Rulebook, file: str) -> Enterprise:
    return book.load_enterprise(ENTERPRISES / file)


def assess(book: Rulebook, file: str, day: dt.date) -> Assessment:
    return book.assess(load(book, file), day)


# ------------------------------------------------------------------- special operations


def test_uncertified_welders_are_a_violation_of_the_2014_law_before_any_criteria(book: Rulebook) -> None:
    a = assess(book, WELDERS, SEPT_2017)
    f = finding(a, "trade.special-operations-certified")
    assert (f.rule_version, f.severity) == ("2014", "violation")
    assert named(f) == ["焊工马某", "焊工林某"]  # the certified welder and the electrician are not named
    assert texts(f, "defines") == [f"{LAW_2014} 第二十七条第一款"]
    assert texts(f, "penalty") == [f"{LAW_2014} 第九十四条第七项"]
    first = f.sanction.tier("first_instance") if f.sanction else None
    assert first is not None and first.discretionary and first.fine_yuan is not None and first.fine_yuan.max == 50000


def test_the_2021_law_raises_the_special_operations_fine(book: Rulebook) -> None:
    before = finding(assess(book, WELDERS, LAST_2014_LAW), "trade.special-operations-certified")
    after = finding(assess(book, WELDERS, FIRST_2021_LAW), "trade.special-operations-certified")
    assert (before.rule_version, after.rule_version) == ("2014", "2021")
    assert texts(after, "penalty") == [f"{LAW_2021} 第九十七条第七项"]
    first = after.sanction.tier("first_instance") if after.sanction else None
    assert first is not None and not first.discretionary and first.fine_yuan is not None
    assert first.fine_yuan.max == 100000


def test_shandong_duty_is_cited_beside_the_national_one_from_2022_03_01(book: Rulebook) -> None:
    before = finding(assess(book, WELDERS, LAST_BEFORE_SHANDONG), "trade.special-operations-certified")
    after = finding(assess(book, WELDERS, FIRST_SHANDONG), "trade.special-operations-certified")
    assert not [c for c in before.citations if c.jurisdiction != "national"]
    assert texts(after, "duty") == [f"{SHANDONG} 第二十七条第三款"]
    assert texts(after, "basis") == [f"{SHANDONG} 第七十条"]
    assert texts(after, "penalty") == [f"{LAW_2021} 第九十七条第七项"]  # the regulation sets no penalty of its own


def test_uncertified_welders_become_a_major_hazard_on_2023_05_15(book: Rulebook) -> None:
    old = finding(assess(book, WELDERS, LAST_129), "trade.special-operations-certified")
    new = finding(assess(book, WELDERS, FIRST_ORDER_10), "trade.special-operations-certified")
    assert (old.severity, new.severity) == ("violation", "major_hazard")
    assert texts(new, "defines") == [f"{CRITERIA_2023} 第三条第二项"]
    # the specific penalty first (and preferred), then the general 隐患 one
    assert texts(new, "penalty") == [f"{LAW_2021} 第九十七条第七项", f"{LAW_2021} 第一百零二条"]
    assert [c.preferred for c in new.citations if c.role == "penalty"] == [True, False]
    assert new.measures and not old.measures
    assert named(new) == ["焊工马某", "焊工林某"]


def test_the_refrigeration_operator_rule_is_folded_into_the_trade_lineage(book: Rulebook) -> None:
    assert "ammonia.refrigeration-operators-certified" not in book.rule_ids
    a = assess(book, "linyi-ammonia-cold-store.yaml", FIRST_ORDER_10)  # ammonia implies trade
    assert named(finding(a, "trade.special-operations-certified")) == ["制冷工刘某"]


# --------------------------------------------------------------------------- contractors


def test_contractor_coordination_is_a_duty_then_a_major_hazard(book: Rulebook) -> None:
    early = finding(assess(book, BREWERY, SEPT_2017), "trade.contractors-coordination")
    assert (early.rule_version, named(early)) == ("2014", ["示例设备安装有限公司"])
    assert texts(early, "penalty") == [f"{LAW_2014} 第一百条第二款"]
    assert not early.source_checked  # the 2014 paragraph was not seen
    late = finding(assess(book, BREWERY, LAST_129), "trade.contractors-coordination")
    major = finding(assess(book, BREWERY, FIRST_ORDER_10), "trade.contractors-coordination")
    assert (late.severity, major.severity) == ("violation", "major_hazard")
    assert late.source_checked
    assert texts(major, "defines") == [f"{CRITERIA_2023} 第三条第一项"]
    assert texts(major, "penalty")[0] == f"{LAW_2021} 第一百零三条第二款"
    assert f"{SHANDONG} 第三十四条" in texts(major, "duty")


def test_contractor_agreement_and_qualifications_are_every_enterprises_duty(book: Rulebook) -> None:
    a = assess(book, BREWERY, FIRST_ORDER_10)
    assert named(finding(a, "general.contractor-agreement")) == ["示例设备安装有限公司"]
    assert "general.contractor-qualifications" in a.compliant
    assert "general.contractor-agreement" in assess(book, WELDERS, FIRST_ORDER_10).not_applicable  # no contractors


# ------------------------------------------------------------------------ confined spaces


def test_confined_spaces_before_129_are_violations_of_59_and_the_2014_law(book: Rulebook) -> None:
    a = assess(book, BREWERY, LAST_BEFORE_129)
    signs = finding(a, "trade.confined-space-identification-signs")
    assert (signs.rule_version, signs.severity) == ("2014", "violation")
    assert named(signs) == ["污水调节池", "1号发酵罐"]
    assert texts(signs, "defines") == [f"{ORDER_59} 第七条"]
    assert texts(signs, "penalty") == [f"{LAW_2014} 第九十六条第一项", f"{ORDER_59} 第三十条第一项"]
    permit = finding(a, "trade.confined-space-work-permit")
    assert (permit.severity, named(permit)) == ("violation", ["麦芽料仓"])
    assert texts(permit, "penalty") == [f"{ORDER_59} 第三十条第二项", f"{LAW_2014} 第九十九条"]
    testing = finding(a, "trade.confined-space-work-safeguards")
    assert named(testing) == ["污水调节池"]
    assert not [f for f in a.findings if f.severity == "major_hazard"]


def test_129_makes_the_unidentified_unsigned_space_and_the_unapproved_entry_major_hazards(book: Rulebook) -> None:
    a = assess(book, BREWERY, FIRST_129)
    signs = finding(a, "trade.confined-space-identification-signs")
    # the tank lacks both; the sewage pit lacks only the sign, which alone the version does not decide
    assert (signs.severity, named(signs)) == ("major_hazard", ["1号发酵罐"])
    assert texts(signs, "defines") == [f"{CRITERIA_2017} 一、（三）1"]
    assert signs.flags == ["contested_interpretation"]
    permit = finding(a, "trade.confined-space-work-permit")
    assert (permit.severity, named(permit)) == ("major_hazard", ["麦芽料仓"])
    assert texts(permit, "defines") == [f"{CRITERIA_2017} 一、（三）2"]
    # testing and the guardian were no part of 129号: still a violation, not a major hazard
    assert finding(a, "trade.confined-space-work-safeguards").severity == "violation"


def test_only_one_of_identification_and_sign_missing_is_left_open_under_129(book: Rulebook) -> None:
    only_sign = {"trade_confined_spaces": [{"name": "污水调节池", "identified": True, "in_register": True,
                                            "warning_sign": False}]}
    e = book.enterprise("S", only_sign, industries=["trade"])
    assert "trade.confined-space-identification-signs" in {f.rule_id for f in book.assess(e, LAST_BEFORE_129).findings}
    u = undetermined(book.assess(e, FIRST_129), "trade.confined-space-identification-signs")
    assert u.interpretation is not None and u.interpretation.status == "contested" and u.missing_facts == []


def test_order_10_keeps_only_poisoning_risks_as_major_hazards(book: Rulebook) -> None:
    before, after = assess(book, BREWERY, LAST_129), assess(book, BREWERY, FIRST_ORDER_10)
    # the malt silo (no poisoning risk) was entered without approval: a major hazard under 129号 only
    assert named(finding(before, "trade.confined-space-work-permit")) == ["麦芽料仓"]
    permit = finding(after, "trade.confined-space-work-permit")
    assert (permit.severity, named(permit)) == ("major_hazard", ["污水调节池"])  # not tested before entry
    assert texts(permit, "defines") == [f"{CRITERIA_2023} 第十三条第二项"]
    assert f"{SHANDONG} 第七十七条" in texts(permit, "penalty")
    safeguards = finding(after, "trade.confined-space-work-safeguards")
    assert (safeguards.rule_version, named(safeguards)) == ("2023", ["麦芽料仓"])
    # the fermentation tank has no poisoning risk: no longer a major hazard, still a violation
    signs = undetermined(after, "trade.confined-space-identification-signs")  # the sewage pit: contested
    assert signs.interpretation is not None and signs.interpretation.status == "contested"
    register = finding(after, "trade.confined-space-register-signs")
    assert named(register) == ["污水调节池", "1号发酵罐"]
    assert "trade.confined-space-register-signs" in before.not_in_force


def test_order_13_replaces_59_in_the_confined_space_citations(book: Rulebook) -> None:
    last = finding(assess(book, BREWERY, dt.date(2023, 12, 31)), "trade.confined-space-register-signs")
    first = finding(assess(book, BREWERY, FIRST_ORDER_13), "trade.confined-space-register-signs")
    assert texts(last, "defines") == [f"{ORDER_59} 第七条"]
    assert texts(first, "defines") == [f"{ORDER_13} 第六条"]
    assert f"{ORDER_13} 第十一条" in texts(first, "duty")
    assert texts(first, "penalty") == [f"{LAW_2021} 第九十九条第一项", f"{ORDER_13} 第二十一条第二项"]
    permit = finding(assess(book, BREWERY, FIRST_ORDER_13), "trade.confined-space-work-permit")
    assert {f"{ORDER_13} 第七条", f"{ORDER_13} 第十四条", f"{ORDER_13} 第五条第一款"} <= set(texts(permit, "duty"))
    assert texts(permit, "penalty")[:2] == [f"{LAW_2021} 第一百零二条", f"{ORDER_13} 第二十一条第一项"]


# ------------------------------------------------------------- general duties, both laws


def test_the_2021_law_asks_for_an_all_staff_responsibility_system(book: Rulebook) -> None:
    before, after = assess(book, BREWERY, LAST_2014_LAW), assess(book, BREWERY, FIRST_2021_LAW)
    assert "general.responsibility-system" in before.compliant  # it has a 2014-style system
    f = finding(after, "general.responsibility-system")
    assert texts(f, "defines") == [f"{LAW_2021} 第二十一条第一项"]
    assert texts(f, "penalty") == [f"{LAW_2021} 第九十四条"]
    first = f.sanction.tier("first_instance") if f.sanction else None
    assert first is not None and [(i.who, i.fine_yuan.min if i.fine_yuan else None) for i in first.individuals] == [
        ("principal", 20000)]


def test_general_duties_cite_the_law_in_force(book: Rulebook) -> None:
    old = finding(assess(book, BREWERY, LAST_2014_LAW), "general.hazard-records")
    new = finding(assess(book, BREWERY, FIRST_2021_LAW), "general.hazard-records")
    assert (old.rule_version, new.rule_version) == ("2014", "2021")
    assert texts(old, "penalty") == [f"{LAW_2014} 第九十四条第五项"]
    assert texts(new, "penalty") == [f"{LAW_2021} 第九十七条第五项"]
    training = finding(assess(book, BREWERY, FIRST_2021_LAW), "general.training-records")
    assert texts(training, "penalty") == [f"{LAW_2021} 第九十七条第四项"]


def test_hot_work_joins_the_dangerous_operations_on_2021_09_01(book: Rulebook) -> None:
    open_question = undetermined(assess(book, BREWERY, LAST_2014_LAW), "general.dangerous-operations")
    assert open_question.interpretation is not None and open_question.missing_facts == []
    f = finding(assess(book, BREWERY, FIRST_2021_LAW), "general.dangerous-operations")
    assert named(f) == ["发酵罐区管道焊接动火"]
    assert texts(f, "penalty") == [f"{LAW_2021} 第一百零一条第三项"]


def test_risk_grading_is_a_duty_only_from_2021(book: Rulebook) -> None:
    assert "general.risk-grading" in assess(book, BREWERY, LAST_2014_LAW).not_in_force
    f = finding(assess(book, BREWERY, FIRST_2021_LAW), "general.risk-grading")
    assert texts(f, "penalty") == [f"{LAW_2021} 第一百零一条第四项"]


# ------------------------------------------------------------------------------- Shandong


def test_shandong_only_duties_start_on_2022_03_01(book: Rulebook) -> None:
    before, after = assess(book, BREWERY, LAST_BEFORE_SHANDONG), assess(book, BREWERY, FIRST_SHANDONG)
    for rule in ("general.shandong-safety-director", "general.shandong-dangerous-operations"):
        assert rule in before.not_in_force
    director = finding(after, "general.shandong-safety-director")  # 320 从业人员: 三百人以上
    assert texts(director, "defines") == [f"{SHANDONG} 第二十一条第一款"]
    assert texts(director, "penalty") == [f"{SHANDONG} 第七十五条第二项"]
    hot_work = finding(after, "general.shandong-dangerous-operations")
    assert hot_work.sub_items == ["（五）", "（七）"] and named(hot_work) == ["发酵罐区管道焊接动火"]
    assert "general.shandong-safety-committee" in after.not_applicable  # not a 高危 unit, under 一千人


def test_shandong_provisions_stand_beside_the_national_ones(book: Rulebook) -> None:
    a = assess(book, BREWERY, FIRST_SHANDONG)
    records = finding(a, "general.hazard-records")
    assert texts(records, "defines") == [f"{LAW_2021} 第四十一条第二款"]
    assert texts(records, "duty") == [f"{SHANDONG} 第三十二条第一款"]
    responsibility = finding(a, "general.responsibility-system")
    penalties = [(c.text, c.preferred) for c in responsibility.citations if c.role == "penalty"]
    assert penalties == [(f"{LAW_2021} 第九十四条", True), (f"{SHANDONG} 第七十五条第一项", False)]


def test_outside_shandong_the_regulation_is_neither_cited_nor_applied(book: Rulebook) -> None:
    e = load(book, BREWERY)
    elsewhere = Enterprise(**{**e.__dict__, "region": "110105"})
    a = book.assess(elsewhere, FIRST_ORDER_10)
    assert not [c for f in a.findings for c in f.citations if c.jurisdiction != "national"]
    assert {"general.shandong-safety-director", "general.shandong-dangerous-operations"} <= set(a.not_applicable)
    # the national duty is found all the same, with the penalty it prefers
    f = finding(a, "general.responsibility-system")
    assert texts(f, "penalty") == [f"{LAW_2021} 第九十四条"] and f.sanction is not None
    inside = assess(book, BREWERY, FIRST_ORDER_10)
    assert "general.shandong-safety-director" in {f.rule_id for f in inside.findings}


def test_safety_staff_thresholds_follow_the_unit_and_its_size(book: Rulebook) -> None:
    a = assess(book, WELDERS, FIRST_SHANDONG)  # 95 从业人员, part-time staff only, not high-risk
    assert "general.safety-organisation" in a.compliant
    assert "general.shandong-high-risk-safety-staff" in a.not_applicable
    ammonia_unit = {"general_unit_categories": [{"category": "涉氨制冷"}], "general_dangerous_goods_activities": [],
                    "general_employees": 95, "general_safety_department": False,
                    "general_safety_staff_fulltime": 0, "general_safety_staff_parttime": 2}
    e = book.enterprise("C", ammonia_unit, region="371312", industries=["ammonia"])
    # nationally an ammonia cold store of 95 may make do with part-time staff; in Shandong it may not
    assert "general.safety-organisation" in book.assess(e, FIRST_SHANDONG).compliant
    f = finding(book.assess(e, FIRST_SHANDONG), "general.shandong-high-risk-safety-staff")
    assert texts(f, "defines") == [f"{SHANDONG} 第十九条"] and texts(f, "penalty") == [f"{LAW_2021} 第九十七条第一项"]
