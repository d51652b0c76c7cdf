"""Citations as they read on the date assessed, numerals, and edition windows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from safety_rules import Rulebook
from safety_rules.law._catalog import FineRange, LawCatalog, LawDocument, covers
from safety_rules.law._numerals import article_label, chinese_number
from safety_rules.shared._validation import load_model
from safety_rules.shared._windows import Window, effective_windows, overlaps_and_gaps, uncovered

from ..conftest import RULES


@pytest.mark.parametrize(("n", "text"), [
    (1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (38, "三十八"), (99, "九十九"), (100, "一百"),
    (101, "一百零一"), (102, "一百零二"), (110, "一百一十"), (117, "一百一十七"), (1001, "一千零一"),
])
def test_chinese_numbers(n: int, text: str) -> None:
    assert chinese_number(n) == text


def test_article_labels() -> None:
    assert article_label(99) == "第九十九条"
    assert article_label(41, 2) == "第四十一条第二款"
    assert article_label(94, item=7) == "第九十四条第七项"


def test_same_duty_cites_2014_then_2021_numbering(book: Rulebook) -> None:
    old = book.law.resolve("work-safety-law", "penalty-hazard-not-eliminated", dt.date(2017, 9, 5), "penalty")
    new = book.law.resolve("work-safety-law", "penalty-hazard-not-eliminated", dt.date(2022, 3, 1), "penalty")
    assert old is not None and new is not None
    assert old.text == "《中华人民共和国安全生产法》(2014年修正) 第九十九条"
    assert new.text == "《中华人民共和国安全生产法》(2021年修正) 第一百零二条"
    # the sanction changes with the edition: 2014 fines the unit only on refusal, 2021 at once
    assert old.sanction is not None and old.sanction.first_fine is None
    refused = old.sanction.tier("refused")
    assert refused is not None and refused.fine_yuan is not None and refused.fine_yuan.max == 500_000
    assert new.sanction is not None and new.sanction.first_fine is not None
    assert new.sanction.first_fine.max == 50_000


def test_edition_boundaries(book: Rulebook) -> None:
    law = book.law
    assert law.edition_on("work-safety-law", dt.date(2021, 8, 31)).id == "2014"  # type: ignore[union-attr]
    assert law.edition_on("work-safety-law", dt.date(2021, 9, 1)).id == "2021"  # type: ignore[union-attr]
    assert law.edition_on("work-safety-law", dt.date(2014, 11, 30)) is None
    assert law.edition_on("metal-mine-major-hazard-criteria", dt.date(2022, 8, 31)).id == "2017"  # type: ignore[union-attr]
    assert law.edition_on("metal-mine-major-hazard-criteria", dt.date(2022, 9, 1)).id == "2022"  # type: ignore[union-attr]


def test_standard_item_label_and_unchecked_flag(book: Rulebook) -> None:
    c = book.law.resolve("metal-mine-major-hazard-criteria", "underground-wellhead-flood-level",
                         dt.date(2017, 9, 5), "defines")
    assert c is not None
    assert c.text == "《金属非金属矿山重大生产安全事故隐患判定标准（试行）》(安监总管一〔2017〕98号) 一、（八）"
    assert c.source_checked
    c = book.law.resolve("metal-mine-major-hazard-criteria", "underground-wellhead-flood-level",
                         dt.date(2023, 1, 1), "defines")
    assert c is not None and c.text.endswith("(矿安〔2022〕88号) 一、（八）") and c.source_checked
    # 98号 一、（二十一） was read only in a list of the 48 items without their numbers: its number is
    # inferred from the position, so the citation says it is unchecked; its 88号 successor was read
    c = book.law.resolve("metal-mine-major-hazard-criteria", "underground-gas-detector-self-rescuer",
                         dt.date(2018, 1, 1), "defines")
    assert c is not None and c.text.endswith("(安监总管一〔2017〕98号) 一、（二十一）") and not c.source_checked
    c = book.law.resolve("metal-mine-major-hazard-criteria", "underground-gas-detector-self-rescuer",
                         dt.date(2023, 1, 1), "defines")
    assert c is not None and c.source_checked


def test_renumbered_item_keeps_its_provision_id(book: Rulebook) -> None:
    old = book.law.resolve("metal-mine-major-hazard-criteria", "underground-spontaneous-combustion",
                           dt.date(2022, 8, 31), "defines")
    new = book.law.resolve("metal-mine-major-hazard-criteria", "underground-spontaneous-combustion",
                           dt.date(2022, 9, 1), "defines")
    assert old is not None and old.text.endswith("一、（十一）")
    assert new is not None and new.text.endswith("一、（十三）")


def test_2024_supplement_applies_beside_the_2022_standard(book: Rulebook) -> None:
    supplement = "metal-mine-major-hazard-criteria-2024-supplement"
    assert book.law.edition_on(supplement, dt.date(2024, 4, 22)) is None
    day = dt.date(2024, 4, 23)
    assert book.law.edition_on(supplement, day).id == "2024"  # type: ignore[union-attr]
    assert book.law.edition_on("metal-mine-major-hazard-criteria", day).id == "2022"  # type: ignore[union-attr]
    # signed on the 23rd, on the issuer's site on the 24th
    c = book.law.resolve(supplement, "underground-extreme-weather-evacuation", day, "defines")
    assert c is not None and c.unpublished
    assert c.text == "《金属非金属矿山重大事故隐患判定标准补充情形》(矿安〔2024〕41号) 一、（四）"
    # every item of the supplement is either encoded by a rule in force that day or listed as not
    # encoded beside 88号's items, never silently met
    pending = book.not_encoded(day, book.expand_industries(["mining"]))
    listed = {n.provision for n in pending if n.document == supplement}
    encoded = {v.spec.source.provision for rid in book.rule_ids for v in book.lineage(rid).versions
               if v.spec.source.document == supplement and v.window.contains(day)}
    assert listed | encoded == set(book.law.documents[supplement].provisions)
    assert not listed & encoded


@pytest.fixture(scope="module")
def trade() -> LawCatalog:
    """The 工贸 criteria alone, so that these tests do not depend on the rest of the catalog."""
    doc, _ = load_model(LawDocument, RULES / "law" / "trade-major-hazard-criteria.yaml")
    return LawCatalog({doc.id: doc})


def test_trade_criteria_parts_hold_every_published_item(trade: LawCatalog) -> None:
    doc = trade.documents["trade-major-hazard-criteria"]
    assert doc.part_count_problems() == []
    # 129号: 14 专项类 + 45 行业类; 部令第10号: 3 管理类 + 47 行业类 + 14 专项类
    assert [sum(p.items for p in e.parts) for e in doc.editions] == [59, 64]


def test_trade_2017_industry_items_are_labelled_without_an_unseen_serial(trade: LawCatalog) -> None:
    old = trade.resolve("trade-major-hazard-criteria", "metallurgy-ladle-trunnion", dt.date(2020, 1, 1), "defines")
    assert old is not None
    assert old.text == "《工贸行业重大生产安全事故隐患判定标准（2017版）》(安监总管四〔2017〕129号) 二、冶金 3"
    # a normative document whose issue and effective dates are not confirmed
    assert old.kind == "规范性文件" and not old.source_checked
    new = trade.resolve("trade-major-hazard-criteria", "dust-zone20-electrics", dt.date(2024, 1, 1), "defines")
    assert new is not None and new.kind == "部门规章" and new.source_checked
    assert new.text == "《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第十一条第七项"


def test_trade_article_14_is_citable_outside_the_parts(trade: LawCatalog) -> None:
    c = trade.resolve("trade-major-hazard-criteria", "monitoring-protection-failed", dt.date(2024, 1, 1), "basis")
    assert c is not None and c.text.endswith("(应急管理部令第10号) 第十四条")


def _criteria_with_item(where: dict[str, object]) -> dict[str, object]:
    """A 判定标准 with one part, a general article outside it and one item located at ``where``."""
    return {"id": "criteria", "title": "判定标准", "kind": "departmental-rule", "issuer": "部",
            "editions": [{"id": "1", "label": "令", "effective_from": "2023-01-01",
                          "parts": [{"id": "a", "title": "甲", "items": 1}]}],
            "provisions": {"whole-article": {"summary": "通则", "editions": {"1": {"article": 4}}},
                           "item": {"summary": "项", "editions": {"1": where}}}}


@pytest.mark.parametrize("where", [{"article": 3, "item": 1}, {"label": "一、1"}])
def test_item_of_a_standard_with_parts_still_needs_its_part(where: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="provision 'item' edition '1': give its 'part'"):
        LawDocument.model_validate(_criteria_with_item(where))
    placed = LawDocument.model_validate(_criteria_with_item({**where, "part": "a"}))
    assert placed.part_count_problems() == []


def test_provision_missing_from_edition_does_not_resolve(book: Rulebook) -> None:
    assert book.law.resolve("trade-major-hazard-criteria", "special-operations-certified",
                            dt.date(2020, 1, 1), "defines") is None


@pytest.fixture(scope="module")
def law() -> LawCatalog:
    """The bundled law catalog on its own, independent of the rule files that cite it."""
    documents = [load_model(LawDocument, path)[0] for path in sorted((RULES / "law").glob("*.yaml"))]
    return LawCatalog({d.id: d for d in documents})


def test_2014_hazard_fine_is_a_refusal_fine_not_an_overdue_fine(law: LawCatalog) -> None:
    # 2014 第九十九条 fines only "拒不执行" (refusing the order to eliminate), never "逾期未改正"
    cited = law.resolve("work-safety-law", "penalty-hazard-not-eliminated", dt.date(2017, 9, 5), "penalty")
    assert cited is not None and cited.sanction is not None
    assert [t.trigger for t in cited.sanction.tiers] == ["first_instance", "refused"]
    refused = cited.sanction.tier("refused")
    assert refused is not None and refused.suspension
    assert refused.fine_yuan == FineRange(min=100_000, max=500_000)
    assert [(i.who, i.fine_yuan) for i in refused.individuals] == [
        ("responsible_persons", FineRange(min=20_000, max=50_000))]


def test_2014_first_fines_are_discretionary_and_2021_ones_are_not(law: LawCatalog) -> None:
    for day, discretionary in ((dt.date(2017, 9, 5), True), (dt.date(2022, 3, 1), False)):
        cited = law.resolve("work-safety-law", "penalty-warning-signs", day, "penalty")
        assert cited is not None and cited.sanction is not None
        first = cited.sanction.tier("first_instance")
        assert first is not None and first.discretionary is discretionary, day


def test_only_2021_penalties_carry_daily_penalty_and_closure(law: LawCatalog) -> None:
    new = law.resolve("work-safety-law", "penalty-hazard-not-eliminated", dt.date(2022, 3, 1), "penalty")
    old = law.resolve("work-safety-law", "penalty-hazard-not-eliminated", dt.date(2021, 8, 31), "penalty")
    assert new is not None and old is not None
    assert [e.text for e in new.escalations] == ["《中华人民共和国安全生产法》(2021年修正) 第一百一十二条",
                                                 "《中华人民共和国安全生产法》(2021年修正) 第一百一十三条"]
    assert old.escalations == []


def test_dangerous_operations_crime_exists_from_2021_03_01(law: LawCatalog) -> None:
    assert law.resolve("criminal-law", "dangerous-operations-crime", dt.date(2021, 2, 28), "basis") is None
    cited = law.resolve("criminal-law", "dangerous-operations-crime", dt.date(2021, 3, 1), "basis")
    assert cited is not None and cited.text == "《中华人民共和国刑法》(刑法修正案（十一）修正) 第一百三十四条之一"


def test_provincial_regulation_binds_only_shandong(law: LawCatalog) -> None:
    region = law.documents["shandong-work-safety-regulation"].jurisdiction
    assert covers(region, "371302")
    assert not covers(region, "110105") and not covers(region, None)


def test_hazchem_law_does_not_end_the_regulation(law: LawCatalog) -> None:
    # the law has no repeal clause: from 2026-05-01 both are in force
    day = dt.date(2026, 5, 1)
    assert law.edition_on("hazchem-safety-law", day - dt.timedelta(days=1)) is None
    law_cited = law.resolve("hazchem-safety-law", "penalty-not-in-dedicated-storage", day, "penalty")
    regulation = law.resolve("hazchem-safety-regulation", "penalty-not-in-dedicated-warehouse", day, "penalty")
    assert law_cited is not None and law_cited.text.endswith("第一百零三条第一款第五项")
    assert regulation is not None and regulation.text.endswith("第八十条第一款第四项")


def test_catalog_cross_references_resolve(law: LawCatalog) -> None:
    """Escalations and the provisions a sanction tier leads to exist where they are cited."""

    def in_edition(doc: LawDocument, provision: str, edition: str) -> bool:
        return provision in doc.provisions and edition in doc.provisions[provision].editions

    missing = []
    for doc in law.documents.values():
        for edition in doc.editions:
            start = law.window_of(doc.id, edition.id).start
            missing += [f"{doc.id} {edition.id}: escalation {e.provision}" for e in edition.escalations
                        if not in_edition(doc, e.provision, edition.id)]
            for pid, prov in doc.provisions.items():
                where = prov.editions.get(edition.id)
                tiers = where.sanction.tiers if where is not None and where.sanction is not None else []
                for ref in (r for tier in tiers for r in tier.related):
                    if ref.document in (None, doc.id):
                        ok = in_edition(doc, ref.provision, edition.id)
                    else:  # another document: in force on the day the citing edition starts
                        ok = (ref.document in law.documents
                              and ref.provision in law.documents[ref.document].provisions
                              and law.resolve(ref.document, ref.provision, start, "basis") is not None)
                    if not ok:
                        missing.append(f"{doc.id} {edition.id} {pid}: {ref.document or doc.id}/{ref.provision}")
    assert missing == []


spans = st.lists(st.tuples(st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)),
                           st.one_of(st.none(), st.integers(0, 3000))), min_size=1, max_size=5)


@given(spans, st.dates(dt.date(1999, 1, 1), dt.date(2031, 1, 1)))
def test_at_most_one_window_in_force_when_check_is_clean(raw: list[tuple[dt.date, int | None]],
                                                          day: dt.date) -> None:
    raw.sort(key=lambda x: x[0])
    spans_ = [(s, s + dt.timedelta(days=n) if n is not None else None) for s, n in raw]
    windows = effective_windows(spans_)
    if not overlaps_and_gaps(windows):
        assert sum(w.contains(day) for w in windows) <= 1


def test_bundled_rules_have_at_most_one_version_in_force(book: Rulebook) -> None:
    day = dt.date(2014, 1, 1)
    while day < dt.date(2027, 1, 1):
        for rule_id in book.rule_ids:
            in_force = [v for v in book.lineage(rule_id).versions if v.window.contains(day)]
            assert len(in_force) <= 1, (rule_id, day)
        day += dt.timedelta(days=7)


@given(st.dates(dt.date(2010, 1, 1), dt.date(2030, 1, 1)), st.integers(0, 4000),
       st.lists(st.tuples(st.dates(dt.date(2010, 1, 1), dt.date(2030, 1, 1)), st.integers(0, 4000)), max_size=4))
def test_uncovered_is_exactly_the_days_no_window_contains(start: dt.date, length: int,
                                                          cover: list[tuple[dt.date, int]]) -> None:
    window = Window(start, start + dt.timedelta(days=length))
    covering = [Window(s, s + dt.timedelta(days=n)) for s, n in cover]
    gaps = uncovered(window, covering)
    day = window.start
    step = max(1, length // 50)
    while day <= window.end:  # type: ignore[operator]
        in_gap = any(g.contains(day) for g in gaps)
        assert in_gap != any(c.contains(day) for c in covering), day
        day += dt.timedelta(days=step)
