"""The checklist built from the rulebook: which rules, in what order, with what questions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_rules import InputError, NotFoundError, Rulebook
from safety_rules.engine._expressions import Compare, parse_expression
from safety_rules.engine._types import Type
from safety_rules.fieldwork._checklist import (
    Checklist,
    ChecklistQuestion,
    ChecklistReference,
    build_checklist,
    threshold,
)
from safety_rules.law._catalog import covers

from ..conftest import EXAMPLES

DAY = dt.date(2024, 6, 1)
WOOD = EXAMPLES / "enterprises" / "linyi-wood-products.yaml"


def in_force(book: Rulebook, industries: tuple[str, ...], day: dt.date, region: str | None) -> set[str]:
    found = set()
    for rule_id in book.rule_ids:
        version = book.version_on(rule_id, day)
        if version is None or book.lineage(rule_id).spec.industry not in industries:
            continue
        if covers(book.law.documents[version.spec.source.document].jurisdiction, region):
            found.add(rule_id)
    return found


def area_rules(c: Checklist) -> list[str]:
    return [r.rule_id for a in c.areas for r in a.rules]


def check_shape(book: Rulebook, c: Checklist) -> None:
    """What holds of every checklist: each fact asked once, before any reference to it;
    numbers unique; every question is an observed fact with the catalog's question."""
    asked: dict[str, str] = {}
    order = [q.number for q in c.questions()]
    assert len(order) == len(set(order))
    for q in c.questions():
        assert q.fact not in asked, f"{q.fact} asked twice"
        asked[q.fact] = q.number
        spec = book.facts.specs[q.fact]
        assert spec.derive is None and q.question == spec.question
    for area in c.areas:
        for entry in area.all_entries():
            if isinstance(entry, ChecklistReference):
                assert asked[entry.fact] == entry.number
                assert int(entry.number.split(".")[0]) <= int(area.number), "a reference points back"


def test_blank_dust_checklist_has_every_rule_in_force_once_in_site_order(book: Rulebook) -> None:
    c = build_checklist(book, DAY, ["dust"], region="371302")
    assert c.assessed == ("dust", "general", "trade")
    rules = area_rules(c)
    assert len(rules) == len(set(rules))
    assert set(rules) == in_force(book, c.assessed, DAY, "371302")
    # dust (implies two others) before trade (one) before general (none); major hazards first within each
    depth = [len(book.expand_industries([a.industry])) for a in c.areas]
    assert depth == sorted(depth, reverse=True) and depth[0] == 3
    for industry in c.assessed:
        majors = [a.major_hazard for a in c.areas if a.industry == industry]
        assert majors == sorted(majors, reverse=True)
    # applicability first: the fact every dust rule's applies_to reads
    assert "dust_explosion_hazard" in [q.fact for q in c.applicability]
    check_shape(book, c)


def test_provincial_items_only_inside_the_province(book: Rulebook) -> None:
    inside = area_rules(build_checklist(book, DAY, ["dust"], region="371302"))
    outside = area_rules(build_checklist(book, DAY, ["dust"]))
    provincial = {r for r in inside if book.law.documents[
        book.version_on(r, DAY).spec.source.document].jurisdiction != "national"}  # type: ignore[union-attr]
    assert provincial and set(outside) == set(inside) - provincial


def test_items_no_rule_encodes_are_listed_to_check_by_hand(book: Rulebook) -> None:
    c = build_checklist(book, DAY, ["dust"])
    expected = book.not_encoded(DAY, c.assessed)
    assert [m.label for m in c.manual] == [n.label for n in expected] and expected
    first = expected[0]
    wording = book.law.documents[first.document].provisions[first.provision].editions[first.edition].text
    assert wording and c.manual[0].wording.startswith(wording)


def test_what_a_partial_rule_leaves_out_is_checked_by_hand(book: Rulebook) -> None:
    day = dt.date(2016, 1, 1)
    version = book.version_on("hazchem.new-process-risk-assessment", day)
    assert version is not None and version.spec.partial
    c = build_checklist(book, day, ["hazchem"])
    area = next(a for a in c.areas if "hazchem.new-process-risk-assessment" in [r.rule_id for r in a.rules])
    assert version.spec.partial in area.manual
    for sub in (s for a in c.areas for s in a.sub_items):
        assert sub.encoded or not sub.entries


def test_citations_are_those_in_force_on_the_day(book: Rulebook) -> None:
    for day, article in ((dt.date(2017, 12, 1), "第九十九条"), (DAY, "第一百零二条")):
        c = build_checklist(book, day, ["dust"])
        zone20 = next(a for a in c.areas if "dust.zone20-electrics" in [r.rule_id for r in a.rules])
        penalties = [x.text for x in zone20.citations if x.role == "penalty"]
        assert any(article in p for p in penalties), penalties


def test_thresholds_as_an_inspector_reads_them() -> None:
    facts = {"distance_m": Type("number", unit="m", origin="distance_m"),
             "workers": Type("number", unit="person", origin="workers"),
             "level": Type("number", unit="", origin="level"),
             "kind": Type("enum", values=("a", "b"), origin="kind")}

    def shown(text: str) -> tuple[tuple[str, str | None], str] | None:
        node = parse_expression(text, facts)
        assert isinstance(node, Compare)
        return threshold(node)

    assert shown("distance_m >= 200") == (("distance_m", None), "≥ 200 m（含本数）")
    assert shown("200 > distance_m") == (("distance_m", None), "< 200 m（不含本数）")
    assert shown("workers > 9") == (("workers", None), "> 9 人（不含本数）")
    assert shown("workers == 0") == (("workers", None), "= 0 人")
    assert shown("level in [1, 2]") == (("level", None), "∈ {1, 2}")
    assert shown("distance_m <= 0.5") == (("distance_m", None), "≤ 0.5 m（含本数）")
    assert shown("kind == 'a'") is None  # the enum's values are the answer's choices
    assert shown("distance_m > distance_m * 2") is None  # no constant alone


def test_thresholds_come_from_the_rulebook_and_its_derived_facts(book: Rulebook) -> None:
    c = build_checklist(book, DAY, ["ammonia"])
    questions = {q.fact: q for q in c.questions()}
    room_workers = next(f for f in questions["nh3_quick_freezers"].fields if f.id == "room_workers")
    assert "> 9 人（不含本数）" in room_workers.thresholds
    # every comparison of an observed number with a constant in the rules in force shows up
    for rule_id in area_rules(c):
        version = book.version_on(rule_id, DAY)
        assert version is not None
        for node in version.when.walk():
            found = threshold(node, book.derived) if isinstance(node, Compare) else None
            if found is not None and found[0][1] is None and found[0][0] in questions:
                assert found[1] in questions[found[0][0]].thresholds


def test_known_enterprise_gets_what_applies_known_first_open_first(book: Rulebook) -> None:
    enterprise = book.load_enterprise(WOOD)
    c = build_checklist(book, DAY, enterprise=enterprise)
    result = book.assess(enterprise, DAY)
    assert set(area_rules(c)).isdisjoint(result.not_applicable)
    assert set(area_rules(c)) == {f.rule_id for f in result.findings} | {u.rule_id for u in result.undetermined} \
        | set(result.compliant)
    questions = list(c.questions())
    for q in questions:
        assert q.known == (q.fact in enterprise.facts)
        if q.known:
            assert q.value == enterprise.facts[q.fact]
    # nothing on record is lost, even facts no question here asks
    assert {q.fact for q in questions if q.known} == set(enterprise.facts)
    # open questions first, in the order Rulebook.questions ranks them
    ranked = [q.fact for q in book.questions(enterprise, DAY) if q.fact != "industries"]
    top = next(q for q in c.questions() if q.open_rank == 0)
    assert top.fact == ranked[0]
    for group in (c.applicability, *([e for e in a.entries if isinstance(e, ChecklistQuestion)] for a in c.areas)):
        known = [q.known for q in group]
        assert known == sorted(known)
    first_area_open = [q.open_rank for q in c.areas[0].all_entries()
                       if isinstance(q, ChecklistQuestion) and q.open_rank is not None]
    later_open = [q.open_rank for a in c.areas[1:] for q in a.all_entries()
                  if isinstance(q, ChecklistQuestion) and q.open_rank is not None]
    assert not first_area_open or not later_open or min(first_area_open) <= min(later_open)
    assert [m.label for m in c.manual] == [n.label for n in result.not_encoded]
    check_shape(book, c)


def test_industry_named_on_the_command_line_wins_over_the_file(book: Rulebook) -> None:
    enterprise = book.load_enterprise(WOOD)
    c = build_checklist(book, DAY, ["trade"], enterprise=enterprise)
    assert c.assessed == ("general", "trade") and all(a.industry != "dust" for a in c.areas)


def test_no_industry_and_unknown_industry_are_clear_errors(book: Rulebook) -> None:
    with pytest.raises(InputError, match="needs an industry"):
        build_checklist(book, DAY)
    with pytest.raises(NotFoundError, match="unknown industry 'dusty'") as info:
        build_checklist(book, DAY, ["dusty"])
    assert info.value.suggestion == "dust"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(dt.date(2014, 1, 1), dt.date(2027, 12, 31)), data=st.data(),
       region=st.sampled_from([None, "371302", "110101"]))
def test_any_day_any_industries_every_rule_once_every_fact_once(book: Rulebook, day: dt.date, data: st.DataObject,
                                                                  region: str | None) -> None:
    # the industries the rulebook declares, whatever they are now
    industries = data.draw(st.lists(st.sampled_from(sorted(book.industries)), min_size=1, max_size=3, unique=True))
    c = build_checklist(book, day, industries, region=region)
    rules = area_rules(c)
    assert len(rules) == len(set(rules)) and set(rules) == in_force(book, c.assessed, day, region)
    check_shape(book, c)
    read = {f for rule_id in rules for f in book.facts_used(book.version_on(rule_id, day))  # type: ignore[arg-type]
            if book.facts.specs[f].derive is None}
    asked = {q.fact for q in c.questions()}
    assert read <= asked
    # the rest narrow the parts of a standard (a tailings pond): they decide which items are listed
    narrowing = {f for condition in book.part_conditions.values() for f in condition.facts}
    assert asked - read <= narrowing
    assert [m.label for m in c.manual] == [n.label for n in book.not_encoded(day, c.assessed)]
