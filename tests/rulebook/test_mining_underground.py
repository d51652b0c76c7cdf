"""The underground-mine rulebook on the example mines, on both sides of every edition boundary:
安全生产法 2014 → 98号 (2017-09-01) → 安全生产法 2021 (2021-09-01) → 88号 (2022-09-01) → 41号 (2024-04-23)."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_rules import Enterprise, Rulebook, check_rulebook

from ..conftest import EXAMPLES, RULES
from .reading import LAW_2014, LAW_2021, finding, texts

IRON = EXAMPLES / "enterprises" / "linyi-underground-iron-mine.yaml"
GOLD = EXAMPLES / "enterprises" / "linyi-underground-gold-mine.yaml"
CRITERIA_98 = "《金属非金属矿山重大生产安全事故隐患判定标准（试行）》(安监总管一〔2017〕98号)"
CRITERIA_88 = "《金属非金属矿山重大事故隐患判定标准》(矿安〔2022〕88号)"
SUPPLEMENT_41 = "《金属非金属矿山重大事故隐患判定标准补充情形》(矿安〔2024〕41号)"
MINE_LAW = "《中华人民共和国矿山安全法》(2009年修正)"


@pytest.fixture(scope="module")
def iron(book: Rulebook) -> Enterprise:
    return book.load_enterprise(IRON)


@pytest.fixture(scope="module")
def gold(book: Rulebook) -> Enterprise:
    return book.load_enterprise(GOLD)


# ------------------------------------------------------------- 98号 takes effect (2017-09-01)


def test_wellhead_is_a_violation_of_the_duty_before_98_and_a_major_hazard_after(book: Rulebook,
                                                                               iron: Enterprise) -> None:
    before = finding(book.assess(iron, dt.date(2017, 8, 31)), "mining.underground-wellhead-flood-level")
    after = finding(book.assess(iron, dt.date(2017, 9, 1)), "mining.underground-wellhead-flood-level")
    assert (before.rule_version, before.severity) == ("2014", "violation")
    assert texts(before)[0] == "《中华人民共和国矿山安全法实施条例》(劳动部令第4号) 第十条第七项"
    assert texts(before, "penalty") == [f"{LAW_2014} 第九十九条"] and before.measures == []
    assert (after.rule_version, after.severity) == ("2017", "major_hazard")
    assert texts(after)[0] == f"{CRITERIA_98} 一、（八）"
    # signed 2017-09-01, first seen published 2017-09-06
    assert after.flags == ["contested_interpretation", "before_publication"]
    assert [m.provision for m in after.measures] == ["measure-major-hazard-withdrawal"]


def test_exits_cite_the_mine_safety_law_before_and_after_98(book: Rulebook, iron: Enterprise) -> None:
    before = finding(book.assess(iron, dt.date(2017, 8, 31)), "mining.underground-safety-exits")
    after = finding(book.assess(iron, dt.date(2017, 9, 6)), "mining.underground-safety-exits")
    assert (before.severity, after.severity) == ("violation", "major_hazard")
    assert texts(before)[0] == f"{MINE_LAW} 第十条"
    assert f"{MINE_LAW} 第十条" in texts(after, "duty")
    assert after.flags == []  # published by then


def test_items_new_in_88_were_ordinary_violations_under_98(book: Rulebook, iron: Enterprise) -> None:
    a = book.assess(iron, dt.date(2017, 9, 5))
    hot = finding(a, "mining.underground-hot-work")
    assert (hot.rule_version, hot.severity) == ("2014", "violation")
    assert [r.name for r in hot.records] == ["主井井口焊接罐道梁"]
    staff = finding(a, "mining.underground-key-personnel")
    assert staff.severity == "violation" and staff.rectification.deadline == 30
    # the contractor is qualified: before 88号 the staffing of its project team was not judged here
    assert "mining.underground-contracting" in a.compliant
    # 10 % over the design capacity is below the 20 % of 88号 一、（三十）
    assert "mining.underground-over-capacity" in a.compliant


# --------------------------------------------------- 安全生产法 2021 takes effect (2021-09-01)


def test_duty_versions_cite_the_2021_law_from_its_first_day(book: Rulebook, iron: Enterprise) -> None:
    old = finding(book.assess(iron, dt.date(2021, 8, 31)), "mining.mine-special-operations-certified")
    new = finding(book.assess(iron, dt.date(2021, 9, 1)), "mining.mine-special-operations-certified")
    assert old.rule_version == new.rule_version == "2014"
    assert texts(old, "penalty") == [f"{LAW_2014} 第九十四条第七项", f"{MINE_LAW} 第四十一条"]
    assert texts(new, "penalty") == [f"{LAW_2021} 第九十七条第七项", f"{MINE_LAW} 第四十一条"]
    assert old.citations[3].preferred and not old.citations[4].preferred
    assert old.sanction is not None and new.sanction is not None
    first_old, first_new = old.sanction.tier("first_instance"), new.sanction.tier("first_instance")
    assert first_old is not None and first_old.discretionary and first_old.fine_yuan is not None
    assert first_new is not None and not first_new.discretionary and first_new.fine_yuan is not None
    assert (first_old.fine_yuan.max, first_new.fine_yuan.max) == (50000, 100000)
    assert [r.name for r in new.records] == ["周某"]


def test_tampering_with_monitoring_cites_the_2021_duty_from_its_first_day(book: Rulebook) -> None:
    facts = {"mine_underground": True, "mine_monitoring_system": True, "mine_positioning_system": True,
             "mine_communication_system": True, "mine_systems_conform": True, "mine_systems_faults_repaired": True,
             "mine_systems_disabled": False, "mine_systems_data_tampered": True}
    mine = book.enterprise("M", facts, industries=["mining"])
    old = finding(book.assess(mine, dt.date(2021, 8, 31)), "mining.underground-monitoring-systems")
    new = finding(book.assess(mine, dt.date(2021, 9, 1)), "mining.underground-monitoring-systems")
    assert (old.rule_version, new.rule_version) == ("2014", "2021")
    assert f"{LAW_2021} 第三十六条第三款" in texts(new, "duty")
    assert texts(new, "penalty") == [f"{LAW_2021} 第一百零二条", f"{LAW_2021} 第九十九条第四项"]
    assert not any("第三十六条" in t for t in texts(old))
    mh = finding(book.assess(mine, dt.date(2022, 9, 1)), "mining.underground-monitoring-systems")
    assert (mh.rule_version, mh.severity) == ("2022", "major_hazard")
    assert texts(mh)[0] == f"{CRITERIA_88} 一、（三十一）"


# ------------------------------------------------------------- 88号 takes effect (2022-09-01)


def test_iron_mine_on_the_last_day_of_98_and_the_first_of_88(book: Rulebook, iron: Enterprise) -> None:
    old = book.assess(iron, dt.date(2022, 8, 31))
    new = book.assess(iron, dt.date(2022, 9, 1))
    exits_old = finding(old, "mining.underground-safety-exits")
    exits_new = finding(new, "mining.underground-safety-exits")
    assert (exits_old.rule_version, exits_new.rule_version) == ("2017", "2022")
    assert exits_new.sub_items == ["2"]  # two shafts 28 m apart
    assert texts(exits_new)[0] == f"{CRITERIA_88} 一、（一）"
    assert "《金属非金属矿山安全规程》(GB 16423-2020) 第6.1.1.1条" in texts(exits_new, "basis")
    for rule_id in ("mining.underground-hot-work", "mining.underground-key-personnel"):
        assert finding(old, rule_id).severity == "violation"
        assert (finding(new, rule_id).rule_version, finding(new, rule_id).severity) == ("2022", "major_hazard")
    assert "mining.underground-contracting" in old.compliant
    contracting = finding(new, "mining.underground-contracting")
    assert contracting.sub_items == ["2"] and [r.name for r in contracting.records] == ["示例井巷工程有限公司"]
    assert texts(contracting, "penalty") == [f"{LAW_2021} 第一百零二条", f"{LAW_2021} 第一百零三条第一款"]
    # 98号 一、（十一）, renumbered 一、（十三） in 88号, is still the same lineage
    assert "mining.underground-spontaneous-combustion" in old.compliant + new.compliant


def test_gold_mine_as_inspected_under_88(book: Rulebook, gold: Enterprise) -> None:
    a = book.assess(gold)
    assert a.as_of == dt.date(2023, 6, 13)
    exits = finding(a, "mining.underground-safety-exits")
    assert (exits.severity, exits.sub_items) == ("major_hazard", ["2"])
    assert [r.name for r in exits.records] == ["西翼"]  # 1150 m without an exit; the 800 m wing has one
    vehicles = finding(a, "mining.underground-trackless-personnel-vehicles")
    assert vehicles.sub_items == ["2"] and [r.name for r in vehicles.records] == ["1号井下运人车"]
    vent = finding(a, "mining.underground-ventilation")
    assert vent.sub_items == ["6"]  # reversal in 12 minutes
    for f in (exits, vehicles, vent):
        assert [m.provision for m in f.measures] == ["duty-major-hazard-report", "measure-major-hazard-withdrawal"]
    principals = finding(a, "mining.mine-principals-assessed")
    assert principals.severity == "violation" and principals.measures == []
    assert texts(principals)[:2] == [f"{LAW_2021} 第二十七条第二款", f"{MINE_LAW} 第二十七条第一款"]
    assert texts(principals, "penalty")[0] == f"{LAW_2021} 第九十七条第二项"
    undetermined = {u.rule_id: u for u in a.undetermined}
    # a month of exactly 20 % of the design capacity: "大于……20%及以上" is read both ways
    capacity = undetermined["mining.underground-over-capacity"]
    assert capacity.missing_facts == [] and capacity.interpretation is not None
    assert capacity.interpretation.status == "contested"
    assert undetermined["mining.underground-gas-detector-self-rescuer"].missing_facts == [
        "mine_workers_can_use_self_rescuer"]
    assert undetermined["mining.underground-status-drawings"].missing_facts == ["mine_drawings_months_since_update"]
    assert "mining.underground-drainage-system" in a.compliant  # exactly 7 m and 3 pumps meet 88号


def test_gold_mine_facts_in_88_words_do_not_decide_98_items(book: Rulebook, gold: Enterprise) -> None:
    a = book.assess(gold, dt.date(2022, 8, 31))
    vehicles = finding(a, "mining.underground-trackless-personnel-vehicles")
    assert (vehicles.rule_version, vehicles.severity) == ("2014", "violation")
    undetermined = {u.rule_id: u.missing_facts for u in a.undetermined}
    assert undetermined["mining.underground-safety-exits"] == ["mine_safety_exits_conform"]
    assert "mining.underground-safety-exits" not in a.compliant


def test_project_approval_penalties_across_2021_and_88(book: Rulebook) -> None:
    facts = {"mine_underground": True, "mine_construction_project": True, "mine_safety_design_approved": False}
    mine = book.enterprise("M", facts, industries=["mining"])
    in_2019 = finding(book.assess(mine, dt.date(2019, 4, 18)), "mining.underground-project-safety-approval")
    assert in_2019.severity == "violation"
    penalties = [c for c in in_2019.citations if c.role == "penalty"]
    assert [c.text for c in penalties] == [f"{LAW_2014} 第九十五条", f"{MINE_LAW} 第四十二条", f"{MINE_LAW} 第四十三条"]
    assert penalties[0].preferred and not penalties[0].source_checked  # 2014 number inferred, not read
    in_2023 = finding(book.assess(mine, dt.date(2023, 1, 5)), "mining.underground-project-safety-approval")
    assert (in_2023.severity, in_2023.sub_items) == ("major_hazard", ["1"])
    assert in_2023.sanction is not None
    first = in_2023.sanction.tier("first_instance")
    assert first is not None and first.suspension and first.fine_yuan is not None
    assert (first.fine_yuan.min, first.fine_yuan.max) == (100000, 500000)
    assert texts(in_2023, "penalty")[0] == f"{LAW_2021} 第九十八条"


# ---------------------------------------------------- 矿安〔2024〕41号 takes effect (2024-04-23)


def test_supplement_items_apply_beside_88_from_the_day_signed(book: Rulebook, iron: Enterprise,
                                                              gold: Enterprise) -> None:
    for mine, rule_id, record in ((iron, "mining.underground-flammables-near-intakes", "主井东侧柴油储存间"),
                                  (gold, "mining.underground-premises-in-hazard-zones", "职工宿舍")):
        old = finding(book.assess(mine, dt.date(2024, 4, 22)), rule_id)
        new = finding(book.assess(mine, dt.date(2024, 4, 23)), rule_id)
        assert (old.rule_version, old.severity) == ("2014", "violation")
        assert (new.rule_version, new.severity) == ("2024", "major_hazard")
        assert texts(new)[0].startswith(SUPPLEMENT_41)
        assert new.flags == ["before_publication"]  # on the issuer's site the next day
        assert [r.name for r in new.records] == [record]
    later = book.assess(iron, dt.date(2024, 6, 1))
    assert finding(later, "mining.underground-flammables-near-intakes").flags == []
    assert finding(later, "mining.underground-safety-exits").rule_version == "2022"  # 88号 still applies


# ------------------------------------------------------------------------- the whole part


def test_every_underground_item_of_every_edition_is_encoded(book: Rulebook) -> None:
    cov = book.coverage()
    for document, edition, items in (("metal-mine-major-hazard-criteria", "2017", 24),
                                     ("metal-mine-major-hazard-criteria", "2022", 32),
                                     ("metal-mine-major-hazard-criteria-2024-supplement", "2024", 4)):
        part = cov.part(document, edition, "underground")
        assert (part.items, part.encoded, part.partly_encoded) == (items, items, 0), part
        assert part.complete


def test_no_underground_lineage_starts_as_a_major_hazard_without_its_earlier_duty() -> None:
    report = check_rulebook(RULES)
    assert report.ok
    mine = [w for w in report.warnings if (w.rule_id or "").startswith(("mining.underground-", "mining.mine-"))]
    assert [w for w in mine if "add a 'violation' version" in w.message] == []
    contested = sorted({w.rule_id for w in mine if "contested interpretation" in w.message})
    assert contested == ["mining.underground-ground-pressure", "mining.underground-over-capacity",
                         "mining.underground-surface-facilities", "mining.underground-wellhead-flood-level"]
