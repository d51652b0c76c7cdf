"""Ammonia refrigeration assessed either side of each boundary: the 2014 law from 2014-12-01, 129号 from
2017-11-30 (液氨 1 and 2), the 2021 law from 2021-09-01, GB 50072-2021 replacing GB 50072-2010 on
2021-12-01, and 部令第10号 第十二条 from 2023-05-15 ("且" became "或者"; the open list of 人员较多 places
became three named ones)."""

from __future__ import annotations

import datetime as dt

from safety_rules import Assessment, Enterprise, Finding, Rulebook

from ..conftest import EXAMPLES
from .reading import CRITERIA_2017, CRITERIA_2023, LAW_2014, LAW_2021, finding, named, texts

ENTERPRISES = EXAMPLES / "enterprises"
COLD_STORE = "linyi-ammonia-cold-store.yaml"  # LY-NH3-003, 18 t of ammonia, inspected 2017-09-08
FROZEN_FOODS = "linyi-quick-frozen-foods.yaml"  # LY-NH3-007, inspected 2023-05-14
LOGISTICS = "linyi-cold-chain-logistics.yaml"  # LY-NH3-011, inspected 2023-05-15

LAST_BEFORE_129 = dt.date(2017, 11, 29)
FIRST_129 = dt.date(2017, 11, 30)
LAST_2014_LAW = dt.date(2021, 8, 31)
FIRST_2021_LAW = dt.date(2021, 9, 1)
LAST_GB50072_2010 = dt.date(2021, 11, 30)
FIRST_GB50072_2021 = dt.date(2021, 12, 1)
LAST_129 = dt.date(2023, 5, 14)
FIRST_ORDER_10 = dt.date(2023, 5, 15)

SAFETY_CODE = "《冷库安全规程》(GB 28009-2011)"
DESIGN_2010 = "《冷库设计规范》(GB 50072-2010)"
DESIGN_2021 = "《冷库设计标准》(GB 50072-2021)"

DIRECT = "ammonia.direct-evaporation-in-workrooms"
FREEZER = "ammonia.quick-freezer-room"
ALARM = "ammonia.machine-room-leak-alarm-exhaust"
PPE = "ammonia.machine-room-protective-equipment"
SPRAY = "ammonia.receiver-water-spray"
MHS = "ammonia.major-hazard-source-management"


def load(book: Rulebook, file: str) -> Enterprise:
    return book.load_enterprise(ENTERPRISES / file)


def assess(book: Rulebook, file: str, day: dt.date) -> Assessment:
    return book.assess(load(book, file), day)


def preferred(f: Finding) -> str:
    (c,) = [c for c in f.citations if c.role == "penalty" and c.preferred]
    return c.text


# ------------------------------------------------------------------ 129号 一、（二） / 第十二条


def test_quick_freezer_outside_a_separate_room_becomes_a_major_hazard_on_the_first_day_of_order_10(
        book: Rulebook) -> None:
    # 1号: no separate room, 8 people; 2号: a separate room with exactly 9 people
    before = assess(book, FROZEN_FOODS, LAST_129)
    assert FREEZER in before.compliant  # 2017 needed both conditions ("且")
    f = finding(assess(book, FROZEN_FOODS, FIRST_ORDER_10), FREEZER)
    assert (f.rule_version, f.severity) == ("2023", "major_hazard")
    assert named(f) == ["1号螺旋速冻机"]  # nine people in 2号's room are not "超过9人"
    assert texts(f, "defines") == [f"{CRITERIA_2023} 第十二条第二项"]
    assert texts(f, "penalty") == [f"{LAW_2021} 第一百零二条"]


def test_a_freezer_room_headcount_decides_only_once_the_item_is_in_force(book: Rulebook) -> None:
    # the cold store's freezer stands in the packing hall; nobody counted the people there
    assert FREEZER in assess(book, COLD_STORE, LAST_BEFORE_129).not_in_force
    (u,) = [u for u in assess(book, COLD_STORE, FIRST_129).undetermined if u.rule_id == FREEZER]
    assert u.missing_facts == ["nh3_quick_freezers[0].room_workers"]
    # from 2023-05-15 the missing room alone decides it
    f = finding(assess(book, COLD_STORE, FIRST_ORDER_10), FREEZER)
    assert (f.rule_version, named(f)) == ("2023", ["隧道式速冻机"])


def test_direct_evaporation_names_the_room_in_each_edition(book: Rulebook) -> None:
    old = finding(assess(book, FROZEN_FOODS, LAST_129), DIRECT)
    new = finding(assess(book, FROZEN_FOODS, FIRST_ORDER_10), DIRECT)
    assert (old.rule_version, new.rule_version) == ("2017", "2023")
    assert named(old) == named(new) == ["速冻后整理区"]  # the packing room is cooled indirectly
    assert texts(old, "defines") == [f"{CRITERIA_2017} 一、（二）1"]
    assert texts(new, "defines") == [f"{CRITERIA_2023} 第十二条第一项"]
    assert old.severity == new.severity == "major_hazard"


def test_a_crowded_sorting_anteroom_left_the_item_with_the_2023_list(book: Rulebook) -> None:
    # "包装间、分割间、产品整理间等人员较多生产场所" is open; "包装、分割、产品整理场所" is not
    f = finding(assess(book, LOGISTICS, LAST_129), DIRECT)
    assert named(f) == ["分拣穿堂"]
    assert DIRECT in assess(book, LOGISTICS, FIRST_ORDER_10).compliant


# ------------------------------------------------------------------ beyond the criteria


def test_machine_room_alarm_cites_the_standards_and_law_in_force(book: Rulebook) -> None:
    old = finding(assess(book, COLD_STORE, dt.date(2017, 9, 8)), ALARM)
    assert (old.rule_version, old.severity, named(old)) == ("2014", "violation", ["氨压缩机房"])
    assert texts(old, "defines") == [f"{SAFETY_CODE} 第7章"] and not old.source_checked
    assert preferred(old) == f"{LAW_2014} 第九十六条第二项"
    first = old.sanction.tier("first_instance") if old.sanction else None
    assert first is not None and first.discretionary  # 2014: "可以处"
    # only the second room lacks an alarm; GB 50072-2021 is a basis from its first day, not before
    last = finding(assess(book, LOGISTICS, LAST_GB50072_2010), ALARM)
    new = finding(assess(book, LOGISTICS, FIRST_GB50072_2021), ALARM)
    assert named(last) == named(new) == ["2号氨制冷机房"]
    assert (last.rule_version, new.rule_version) == ("2014", "2021")
    assert texts(last, "basis") == []
    assert texts(new, "basis") == [f"{DESIGN_2021} 第7.4.1条", f"{DESIGN_2021} 第9.3.1条第3款"]
    assert preferred(last) == preferred(new) == f"{LAW_2021} 第九十九条第二项"


def test_protective_equipment_follows_the_renumbered_penalty(book: Rulebook) -> None:
    before = finding(assess(book, FROZEN_FOODS, LAST_2014_LAW), PPE)
    after = finding(assess(book, FROZEN_FOODS, FIRST_2021_LAW), PPE)
    assert named(before) == named(after) == ["氨制冷机房"]
    assert preferred(before) == f"{LAW_2014} 第九十六条第四项"
    assert preferred(after) == f"{LAW_2021} 第九十九条第五项"
    assert texts(after, "duty")[0] == f"{LAW_2021} 第四十五条"


def test_receiver_spray_ends_with_gb_50072_2010(book: Rulebook) -> None:
    f = finding(assess(book, COLD_STORE, LAST_GB50072_2010), SPRAY)
    assert named(f) == ["ZA-3.0贮氨器"] and texts(f, "defines") == [f"{DESIGN_2010} 第8.3.4条"]
    assert not f.source_checked
    assert SPRAY in assess(book, COLD_STORE, FIRST_GB50072_2021).not_in_force
    # an outdoor receiver without spray is not what the 2010 clause is read to require
    assert SPRAY in assess(book, LOGISTICS, LAST_GB50072_2010).compliant


# ------------------------------------------------------------------ GB 18218 (shared computation)


def test_the_cold_store_major_hazard_source_rule_is_decided_on_every_edition(book: Rulebook) -> None:
    # 18 t of ammonia against a critical quantity of 10 t; its level gauges are not monitored
    for day, version in ((dt.date(2017, 9, 8), "2014"), (FIRST_2021_LAW, "2021"), (dt.date(2026, 5, 1), "2026")):
        f = finding(assess(book, COLD_STORE, day), MHS)
        assert (f.rule_version, f.severity) == (version, "violation")
        assert f.facts["mhs_ratio_sum"] == 1.8
    small = assess(book, FROZEN_FOODS, FIRST_ORDER_10)  # 6.5 t is no major hazard source
    assert MHS in small.not_applicable


def test_every_ammonia_item_is_encoded_in_both_editions(book: Rulebook) -> None:
    for day in (LAST_129, FIRST_ORDER_10):
        a = assess(book, LOGISTICS, day)
        assert not [n for n in a.not_encoded if n.part_id == "ammonia"]
