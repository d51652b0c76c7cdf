"""The model of the law: partial rules are never compliant, duties predate the criteria,
applicability follows the legal classification, penalties come in tiers and alternatives,
provincial law sits beside national law, and silence (an item no rule encodes) is listed.

The first three tests are the wrong answers an independent review reproduced.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safety_rules import Rulebook, RulebookError, check_rulebook

from ..conftest import RULES

JUNE_2023 = dt.date(2023, 6, 1)


# ------------------------------------------------------------ the reproduced wrong answers


def test_all_shaft_exits_without_ladderways_are_a_major_hazard_under_88(book: Rulebook) -> None:
    """T-MINE-1: three exits, matching the design and unobstructed, all shafts without ladderways:
    88号 一、（一）3. The rule once could not record ladderways and had to say undetermined; now that
    exits are recorded one by one it is the major hazard the standard says."""
    shaft = {"kind": "竖井", "direct_to_surface": True, "ladderway": False, "main_exit": False,
             "cage_hoist": False, "unobstructed": True}
    exits = [{**shaft, "name": name} for name in ("主井", "副井", "风井")]
    mine = book.enterprise("T-MINE-1", {"mine_underground": True, "mine_exits": exits, "mine_exits_match_design": True,
                                        "mine_orebody_wings": [], "mine_production_units": []},
                           industries=["mining"])
    a = book.assess(mine, JUNE_2023)
    (f,) = [f for f in a.findings if f.rule_id == "mining.underground-safety-exits"]
    assert (f.rule_version, f.severity, f.sub_items) == ("2022", "major_hazard", ["3"])
    # one ladderway is enough to take the mine out of the first clause of sub-item 3
    exits[2]["ladderway"] = True
    mine = book.enterprise("T-MINE-1b", {"mine_underground": True, "mine_exits": exits, "mine_exits_match_design": True,
                                         "mine_orebody_wings": [], "mine_production_units": []},
                           industries=["mining"])
    assert "mining.underground-safety-exits" in book.assess(mine, JUNE_2023).compliant


def test_unassessed_principals_in_2017_are_a_violation_of_the_2014_law(book: Rulebook) -> None:
    """T-MET-1: before 129号 took effect, the duty of 安全生产法 (2014) 第二十四条第二款 applied."""
    steel = book.enterprise("T-MET-1", {"economic_class": "3120", "metal_smelting": True,
                                        "principals_assessed": False}, industries=["metallurgy"])
    a = book.assess(steel, dt.date(2017, 9, 7))
    (f,) = [f for f in a.findings if f.rule_id == "metallurgy.principals-assessed"]
    assert f.severity == "violation" and f.rule_version == "2014"
    texts = [c.text for c in f.citations]
    assert texts == ["《中华人民共和国安全生产法》(2014年修正) 第二十四条第二款",
                     "《中华人民共和国安全生产法》(2014年修正) 第九十四条第二项"]
    after = book.assess(steel, dt.date(2017, 11, 30))
    (g,) = [f for f in after.findings if f.rule_id == "metallurgy.principals-assessed"]
    assert g.severity == "major_hazard"


def test_a_rolling_mill_is_metallurgy_by_its_economic_class(book: Rulebook) -> None:
    """T-MET-2: a 大类31 rolling mill (3130 钢压延加工) with gas furnaces and no CO alarms is 冶金 and
    a major hazard under 部令第10号 第四条（六）, though it does not smelt."""
    mill = book.enterprise("T-MET-2", {"economic_class": "3130", "metal_smelting": False,
                                       "metallurgy_gas_facilities": True,
                                       "metallurgy_gas_co_points": [{"name": "加热炉操作室", "fixed_co_alarm": False}]},
                           industries=["metallurgy"])
    a = book.assess(mill, dt.date(2024, 6, 1))
    (f,) = [f for f in a.findings if f.rule_id == "metallurgy.gas-area-co-alarm"]
    assert f.severity == "major_hazard"
    assert f.citations[0].text.endswith("第四条第六项")
    nonferrous = book.enterprise("N", {"economic_class": "3252", "metallurgy_gas_facilities": True},
                                 industries=["metallurgy"])
    assert "metallurgy.gas-area-co-alarm" in book.assess(nonferrous, dt.date(2024, 6, 1)).not_applicable


# ------------------------------------------------------------------ partial versions

# 88号 一、（一） with only its sub-items 1 and 2 encoded: the bundled rule encodes all five, so the
# tests of partial versions write their own.
PARTIAL_EXITS_RULE = """\
id: mining.underground-safety-exits
industry: mining
title: 地下矿山安全出口不符合要求
applies_to: mine_underground
versions:
  - version: "2022"
    effective_from: 2022-09-01
    severity: major_hazard
    when:
      "1": not mine_exits_match_design
      "2": mine_exit_spacing_m < 30
    source: {document: metal-mine-major-hazard-criteria, provision: underground-safety-exits, source_checked: true}
    citations:
      - {document: work-safety-law, provision: penalty-hazard-not-eliminated, role: penalty}
    rectification: {deadline: immediate, hint: 按设计恢复安全出口}
    examples:
      - {name: 间距25米, facts: {mine_underground: true, mine_exits_match_design: true, mine_exit_spacing_m: 25},
         expect: violated}
      - {name: 第3至5子项未编码, expect: undetermined, missing: [],
         facts: {mine_underground: true, mine_exits_match_design: true, mine_exit_spacing_m: 45}}
"""


@pytest.fixture(scope="module")
def partial_book(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    rules = tmp_path_factory.mktemp("partial") / "rules"
    shutil.copytree(RULES, rules)
    (rules / "mining" / "underground-safety-exits.yaml").write_text(PARTIAL_EXITS_RULE, encoding="utf-8")
    return Rulebook.load(rules)


@settings(max_examples=200, deadline=None)
@given(design=st.none() | st.booleans(), spacing=st.none() | st.floats(0, 200, allow_nan=False))
def test_a_partial_version_is_never_compliant(partial_book: Rulebook, design: bool | None,
                                              spacing: float | None) -> None:
    facts = {"mine_underground": True, "mine_exits_match_design": design, "mine_exit_spacing_m": spacing}
    a = partial_book.assess(partial_book.enterprise("M", facts, industries=["mining"]), JUNE_2023)
    assert "mining.underground-safety-exits" not in a.compliant
    violated = [f for f in a.findings if f.rule_id == "mining.underground-safety-exits"]
    undetermined = [u for u in a.undetermined if u.rule_id == "mining.underground-safety-exits"]
    assert len(violated) + len(undetermined) == 1
    if undetermined:
        (u,) = undetermined
        assert [n.split(" ")[0] for n in u.not_encoded] == ["一、（一）3", "一、（一）4", "一、（一）5"]


def test_every_sub_item_that_holds_is_named(book: Rulebook) -> None:
    exits = [{"name": "主井", "kind": "竖井", "direct_to_surface": True, "ladderway": True, "main_exit": True,
              "cage_hoist": True, "hoist_systems": 2, "unobstructed": False},
             {"name": "盲斜井", "kind": "斜井", "direct_to_surface": False, "main_exit": False, "cage_hoist": False,
              "unobstructed": True}]
    facts = {"mine_underground": True, "mine_exits": exits, "mine_exits_match_design": True,
             "mine_orebody_wings": [], "mine_production_units": []}
    a = book.assess(book.enterprise("M", facts, industries=["mining"]), JUNE_2023)
    (f,) = [f for f in a.findings if f.rule_id == "mining.underground-safety-exits"]
    assert f.sub_items == ["1", "5"]
    assert {r.sub_item for r in f.explanation if r.sub_item} == {"1", "5"}
    blocked = [r for r in f.explanation if r.sub_item == "5"]
    assert [rec.record["name"] for r in blocked for rec in r.records] == ["主井"]


# ------------------------------------------------------------------ sanctions and measures


def test_major_hazards_carry_the_measures_and_violations_do_not(book: Rulebook) -> None:
    steel = book.enterprise("S", {"economic_class": "3120", "metal_smelting": True, "principals_assessed": False},
                            industries=["metallurgy"])
    (before,) = [f for f in book.assess(steel, dt.date(2017, 9, 7)).findings]
    assert before.measures == []
    (after,) = [f for f in book.assess(steel, dt.date(2024, 6, 1)).findings
                if f.rule_id == "metallurgy.principals-assessed"]
    assert [m.provision for m in after.measures] == ["duty-major-hazard-report", "measure-major-hazard-withdrawal"]
    assert after.measures[0].text == "《中华人民共和国安全生产法》(2021年修正) 第四十一条第二款"
    assert after.measures[1].text.startswith("《中华人民共和国安全生产法》(2021年修正) 第六十五条")
    # the report duty has no 2014 counterpart: a 2019 major hazard carries the withdrawal only
    (in_2019,) = [f for f in book.assess(steel, dt.date(2019, 6, 1)).findings
                  if f.rule_id == "metallurgy.principals-assessed"]
    assert [m.provision for m in in_2019.measures] == ["measure-major-hazard-withdrawal"]


def test_several_penalties_need_one_preferred(rules_copy: Path) -> None:
    target = rules_copy / "metallurgy" / "principals-assessed.yaml"
    text = target.read_text(encoding="utf-8")
    text = text.replace(
        "      - {document: work-safety-law, provision: penalty-principals-not-assessed, role: penalty}\n",
        "      - {document: work-safety-law, provision: penalty-principals-not-assessed, role: penalty}\n"
        "      - {document: work-safety-law, provision: penalty-hazard-not-eliminated, role: penalty}\n", 1)
    target.write_text(text, encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert any("mark exactly one 'preferred: true'" in p.message for p in report.problems), report.problems
    fixed = text.replace(
        "provision: penalty-principals-not-assessed, role: penalty}\n      - {document: work-safety-law, "
        "provision: penalty-hazard-not-eliminated",
        "provision: penalty-principals-not-assessed, role: penalty, preferred: true, reason: 特别规定优先}\n"
        "      - {document: work-safety-law, provision: penalty-hazard-not-eliminated", 1)
    target.write_text(fixed, encoding="utf-8")
    book = Rulebook.load(rules_copy)
    steel = book.enterprise("S", {"economic_class": "3120", "metal_smelting": True, "principals_assessed": False},
                            industries=["metallurgy"])
    (f,) = book.assess(steel, dt.date(2017, 9, 7)).findings
    penalties = [c for c in f.citations if c.role == "penalty"]
    assert [c.provision for c in penalties] == ["penalty-principals-not-assessed", "penalty-hazard-not-eliminated"]
    assert penalties[0].preferred and penalties[0].reason == "特别规定优先" and not penalties[1].preferred
    assert f.sanction == penalties[0].sanction


# ------------------------------------------------------------------ jurisdictions

LOCAL_DOC = """\
id: test-province-regulation
title: 某省安全生产条例
kind: local-regulation
issuer: 某省人民代表大会常务委员会
jurisdiction: "370000"
editions:
  - {id: "2014", label: 2014年, effective_from: 2014-01-01, source_checked: true}
provisions:
  principals-assessed:
    summary: 高危生产经营单位主要负责人考核合格
    editions:
      "2014": {article: 27, paragraph: 2, source_checked: true}
"""


def cite_provincial_regulation(rules: Path) -> None:
    """Add a provincial regulation to ``rules`` and cite it from the metallurgy principals rule."""
    (rules / "law" / "test-province-regulation.yaml").write_text(LOCAL_DOC, encoding="utf-8")
    target = rules / "metallurgy" / "principals-assessed.yaml"
    text = target.read_text(encoding="utf-8")
    line = "      - {document: work-safety-law, provision: penalty-principals-not-assessed, role: penalty}\n"
    assert line in text
    target.write_text(text.replace(line, line + "      - {document: test-province-regulation, "
                                   "provision: principals-assessed, role: duty}\n", 1), encoding="utf-8")


def test_provincial_law_is_cited_beside_national_law_only_inside_the_province(rules_copy: Path) -> None:
    cite_provincial_regulation(rules_copy)
    book = Rulebook.load(rules_copy)
    facts = {"economic_class": "3120", "metal_smelting": True, "principals_assessed": False}
    day = dt.date(2017, 9, 7)
    inside = book.assess(book.enterprise("A", facts, industries=["metallurgy"], region="371302"), day)
    outside = book.assess(book.enterprise("B", facts, industries=["metallurgy"], region="110101"), day)
    unknown = book.assess(book.enterprise("C", facts, industries=["metallurgy"]), day)
    local = "《某省安全生产条例》(2014年) 第二十七条第二款"
    assert local in [c.text for c in inside.findings[0].citations]
    for a in (outside, unknown):
        assert local not in [c.text for c in a.findings[0].citations]
    # national citations are there in all three
    for a in (inside, outside, unknown):
        assert "《中华人民共和国安全生产法》(2014年修正) 第九十四条第二项" in [c.text for c in a.findings[0].citations]


# ------------------------------------------------------------------ silence is not compliance

MINIMAL_CATALOG = """\
provisions:
  underground-safety-exits:
    summary: 安全出口
    editions:
      "2017": {label: 一、（一）, source_checked: true}
      "2022":
        label: 一、（一）
        part: underground
        source_checked: true
        sub_items:
          "1": {text: 独立安全出口少于2个, source_checked: true}
          "2": {text: 间距小于30米, source_checked: true}
          "3": {text: 全部为竖井且未设梯子间, source_checked: true}
          "4": {text: 中段安全出口少于2个, source_checked: true}
          "5": {text: 安全出口不畅通, source_checked: true}
  underground-banned-equipment:
    summary: 使用国家明令禁止使用的设备、材料或者工艺
    editions:
      "2022": {label: 一、（二）, part: underground, source_checked: false}
"""


def _minimal_mining_catalog(rules: Path, items: int, catalog: str = MINIMAL_CATALOG) -> None:
    """The 2022 edition with one part of two catalogued items, one of them partly encoded by a rule;
    the files are written whole so that these tests do not depend on the bundled catalog's parts or rules."""
    head = f"""\
id: metal-mine-major-hazard-criteria
title: 金属非金属矿山重大事故隐患判定标准
kind: normative-document
issuer: 国家矿山安全监察局
editions:
  - {{id: "2017", label: 安监总管一〔2017〕98号, effective_from: 2017-09-01, source_checked: true}}
  - id: "2022"
    label: 矿安〔2022〕88号
    effective_from: 2022-09-01
    source_checked: true
    parts:
      - {{id: underground, title: 地下矿山, items: {items}, industries: [mining]}}
"""
    (rules / "law" / "metal-mine-major-hazard-criteria.yaml").write_text(head + catalog, encoding="utf-8")
    for other in (rules / "mining").iterdir():
        other.unlink()
    (rules / "mining" / "underground-safety-exits.yaml").write_text(PARTIAL_EXITS_RULE, encoding="utf-8")


def test_items_no_rule_encodes_are_listed_for_the_enterprises_industries(rules_copy: Path) -> None:
    _minimal_mining_catalog(rules_copy, items=2)
    book = Rulebook.load(rules_copy)
    mine = book.enterprise("M", {"mine_underground": True}, industries=["mining"])
    a = book.assess(mine, JUNE_2023)
    assert [n.provision for n in a.not_encoded] == ["underground-banned-equipment"]
    assert a.not_encoded[0].label.endswith("一、（二）") and a.not_encoded[0].part == "地下矿山"
    assert a.counts.not_encoded == 1
    dust = book.enterprise("D", {}, industries=["dust"])
    assert not [n for n in book.assess(dust, JUNE_2023).not_encoded if n.document == "metal-mine-major-hazard-criteria"]
    cov = book.coverage().part("metal-mine-major-hazard-criteria", "2022", "underground")
    assert (cov.items, cov.encoded, cov.partly_encoded, cov.not_encoded, cov.unchecked) == (2, 0, 1, 1, 1)
    assert cov.uncovered == ["一、（二）"] and cov.partly == ["一、（一）"]
    assert book.coverage(dt.date(2017, 9, 5)).parts == []  # the 2017 edition declares no parts here


def test_a_part_count_that_does_not_add_up_is_an_error(rules_copy: Path) -> None:
    _minimal_mining_catalog(rules_copy, items=3)
    with pytest.raises(RulebookError) as info:
        Rulebook.load(rules_copy)
    assert any("declares 3 item(s), the catalog lists 2" in p.message for p in info.value.problems)


def test_an_item_of_a_part_must_name_its_part(rules_copy: Path) -> None:
    partless = MINIMAL_CATALOG.replace('{label: 一、（二）, part: underground, ', '{label: 一、（二）, ')
    assert partless != MINIMAL_CATALOG
    _minimal_mining_catalog(rules_copy, items=2, catalog=partless)
    with pytest.raises(RulebookError) as info:
        Rulebook.load(rules_copy)
    assert any("give its 'part'" in p.message for p in info.value.problems)


# ------------------------------------------------------------------ checks that warn


def test_check_warns_on_a_major_hazard_without_the_earlier_duty(rules_copy: Path) -> None:
    # a lineage that starts as a 2017 major hazard although the duty it cites bound from 2014-12-01
    (rules_copy / "dust" / "late-start.yaml").write_text(
        "id: dust.late-start\nindustry: dust\ntitle: 仅有判定标准版本\napplies_to: dust_explosion_hazard\n"
        "versions:\n  - version: \"2017\"\n    effective_from: 2017-11-30\n    severity: major_hazard\n"
        "    when: dust_zone20_present and not dust_zone20_electrics_explosion_proof\n"
        "    source: {document: trade-major-hazard-criteria, provision: dust-zone20-electrics, source_checked: true}\n"
        "    citations:\n      - {document: work-safety-law, provision: duty-hazard-elimination, role: duty}\n"
        "      - {document: work-safety-law, provision: penalty-hazard-not-eliminated, role: penalty}\n"
        "    rectification: {deadline: immediate, hint: 更换}\n    examples:\n"
        "      - {name: 违, facts: {dust_explosion_hazard: true, dust_zone20_present: true, "
        "dust_zone20_electrics_explosion_proof: false}, expect: violated}\n"
        "      - {name: 符, facts: {dust_explosion_hazard: true, dust_zone20_present: false}, expect: compliant}\n"
        "      - {name: 待, facts: {dust_explosion_hazard: true}, expect: undetermined}\n", encoding="utf-8")
    report = check_rulebook(rules_copy)
    warned = {w.rule_id for w in report.warnings if "add a 'violation' version from 2014-12-01" in w.message}
    assert "dust.late-start" in warned
    assert "dust.zone20-electrics" not in warned  # it has its 68号令 and 2014 duty versions
    assert "metallurgy.principals-assessed" not in warned  # it has its 2014 duty version

    # the standards team's stated reason silences it for that lineage only
    late = rules_copy / "dust" / "late-start.yaml"
    late.write_text(late.read_text(encoding="utf-8").replace(
        "versions:\n", "before_first_version: 此前未见同类强制性规定\nversions:\n", 1), encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert not [w for w in report.warnings if w.rule_id == "dust.late-start" and "'violation' version" in w.message]


def test_check_warns_on_a_date_far_in_the_future(rules_copy: Path) -> None:
    target = rules_copy / "ammonia" / "quick-freezer-room.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("2023-05-15", "2203-05-15"), encoding="utf-8")
    report = check_rulebook(rules_copy)
    assert any("2203-05-15 is more than three years ahead" in w.message for w in report.warnings)


def test_check_lists_contested_versions() -> None:
    report = check_rulebook(RULES)
    contested = [w for w in report.warnings if "contested interpretation" in w.message]
    assert "mining.underground-wellhead-flood-level" in {w.rule_id for w in contested}


def test_industries_imply_their_parents(book: Rulebook) -> None:
    assert book.expand_industries(["dust"]) == ("dust", "general", "trade")
    assert book.expand_industries(["mining", "dust"]) == ("dust", "general", "mining", "trade")


def test_an_item_encoded_only_for_another_industry_is_still_listed(book: Rulebook) -> None:
    """部令第10号 第三条（三） is encoded by the metallurgy rule for smelters: for an ammonia cold
    store, assessed without the metallurgy rules, that item is silence and must be listed."""
    ammonia = book.assess(book.enterprise("A", {}, industries=["ammonia"]), dt.date(2024, 6, 1))
    steel = book.assess(book.enterprise("S", {}, industries=["metallurgy"]), dt.date(2024, 6, 1))
    def listed(a: object) -> set[str]:
        return {n.provision for n in a.not_encoded}  # type: ignore[attr-defined]
    assert "principals-assessed-metal-smelting" in listed(ammonia)
    assert "principals-assessed-metal-smelting" not in listed(steel)


def test_a_part_that_does_not_concern_the_enterprise_is_not_listed(rules_copy: Path) -> None:
    """An underground mine without a tailings pond is not told about tailings items; when the
    pond is unknown, they are listed (unknown never hides an item). The mining rules are removed so
    that every part has items to list, however much of it the bundled rules encode."""
    for rule in (rules_copy / "mining").iterdir():
        rule.unlink()
    book = Rulebook.load(rules_copy)
    day = dt.date(2024, 6, 1)
    def parts(facts: dict[str, object]) -> set[str]:
        a = book.assess(book.enterprise("M", facts, industries=["mining"]), day)
        return {n.part_id for n in a.not_encoded if n.document == "metal-mine-major-hazard-criteria"}
    without_pond = parts({"mine_underground": True, "mine_open_pit": False, "mine_tailings_pond": False})
    assert "tailings" not in without_pond and "open-pit" not in without_pond and "underground" in without_pond
    unknown = parts({"mine_underground": True})
    assert {"underground", "open-pit", "tailings"} <= unknown


def test_an_item_that_does_not_concern_the_enterprise_is_not_listed(book: Rulebook) -> None:
    """部令第10号 第三条（三） concerns 金属冶炼企业 only: a cold store that does not smelt is not told
    about it; one whose smelting is unknown is."""
    day = dt.date(2024, 6, 1)
    def listed(facts: dict[str, object]) -> bool:
        a = book.assess(book.enterprise("C", facts, industries=["ammonia"]), day)
        return "principals-assessed-metal-smelting" in {n.provision for n in a.not_encoded}
    assert not listed({"metal_smelting": False})
    assert listed({})
