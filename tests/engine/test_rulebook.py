"""Assessing enterprises: versions by date, citations as in force, unknown never compliant."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_rules import Assessment, NotFoundError, Rulebook
from safety_rules.engine import _rulebook
from safety_rules.engine._loader import Parts, load_parts
from safety_rules.engine._results import AssessmentWarning
from safety_rules.law._catalog import covers

from ..conftest import EXAMPLES, FIXTURES, RULES
from .test_legal_model import cite_provincial_regulation

ENTERPRISES = EXAMPLES / "enterprises"
SEPT_2017 = dt.date(2017, 9, 5)
JUNE_2024 = dt.date(2024, 6, 1)


def by_id(a: Assessment) -> dict[str, object]:
    return {f.rule_id: f for f in a.findings}


def test_mine_wellhead_threshold_changes_with_the_2022_standard(book: Rulebook) -> None:
    facts = {"mine_underground": True, "mine_wellhead_above_flood_m": 1, "mine_wellhead_flood_protection": False}
    before = book.assess(book.enterprise("M", facts, industries=["mining"]), dt.date(2022, 8, 31))
    after = book.assess(book.enterprise("M", facts, industries=["mining"]), dt.date(2022, 9, 1))
    # exactly 1 m: "1米以下" literally includes it, but GB 16423's "1m以上" is met: contested, no answer
    (open_question,) = [u for u in before.undetermined if u.rule_id == "mining.underground-wellhead-flood-level"]
    assert open_question.interpretation is not None and open_question.interpretation.status == "contested"
    assert open_question.missing_facts == []
    assert "mining.underground-wellhead-flood-level" in after.compliant  # and is "达到1米以上"
    lower = {**facts, "mine_wellhead_above_flood_m": 0.99}
    below = book.assess(book.enterprise("M", lower, industries=["mining"]), dt.date(2022, 8, 31))
    (f,) = [f for f in below.findings if f.rule_id == "mining.underground-wellhead-flood-level"]
    assert f.flags == ["contested_interpretation"]


def test_finding_is_traceable(book: Rulebook) -> None:
    e = book.load_enterprise(ENTERPRISES / "linyi-underground-iron-mine.yaml")
    a = book.assess(e, SEPT_2017)
    (f,) = [f for f in a.findings if f.rule_id == "mining.underground-wellhead-flood-level"]
    assert (f.rule_version, f.rulebook_version) == ("2017", book.version)
    assert f.severity == "major_hazard"
    texts = [c.text for c in f.citations]
    assert texts[0].startswith("《金属非金属矿山重大生产安全事故隐患判定标准（试行）》")
    assert "《中华人民共和国安全生产法》(2014年修正) 第九十九条" in texts
    refused = f.sanction.tier("refused") if f.sanction else None
    assert refused is not None and refused.suspension
    assert f.facts["mine_wellhead_above_flood_m"] == 0.8
    assert [r.condition for r in f.explanation] == [
        "mine_underground", "mine_wellhead_above_flood_m <= 1", "mine_wellhead_flood_protection"]
    assert f.explanation[2].value is False


def test_same_enterprise_2022_cites_the_2021_law(book: Rulebook) -> None:
    e = book.load_enterprise(ENTERPRISES / "linyi-underground-iron-mine.yaml")
    a = book.assess(e, dt.date(2022, 3, 1))
    texts = [c.text for f in a.findings for c in f.citations]
    assert "《中华人民共和国安全生产法》(2021年修正) 第一百零二条" in texts
    assert not any("2014年修正" in t for t in texts)


def test_unknown_is_never_compliant(book: Rulebook) -> None:
    a = book.assess(book.enterprise("X", {"dust_explosion_hazard": True}, industries=["dust"]), JUNE_2024)
    assert a.findings == [] and a.compliant == []
    undecided = {u.rule_id: u.missing_facts for u in a.undetermined}
    assert undecided["dust.zone20-electrics"] == ["dust_zone20_electrics_explosion_proof", "dust_zone20_present"]
    assert undecided["dust.dry-collector-explosion-control"] == ["dust_collectors"]


def test_no_facts_at_all_leaves_every_rule_in_force_undetermined(book: Rulebook) -> None:
    a = book.assess({}, JUNE_2024)
    # a rule whose source is provincial law binds no enterprise of unknown region; all others wait for facts
    provincial = sorted(rid for rid in book.rule_ids if book.law.documents[
        book.lineage(rid).versions[0].spec.source.document].jurisdiction != "national")
    assert provincial and a.not_applicable == provincial
    assert a.counts.undetermined + a.counts.not_in_force + len(provincial) == len(book.rule_ids)
    assert a.findings == [] and a.compliant == []


def test_rules_not_yet_in_force_are_reported_as_such(book: Rulebook) -> None:
    a = book.assess(book.enterprise("D", {"dust_explosion_hazard": True}, industries=["dust"]), SEPT_2017)
    # the 2017 工贸 standard (129号) dates from November 2017: its dust items did not yet apply, only the
    # duties of 68号令 and 安全生产法 behind them; the 2023 merged item is not in force either
    undetermined = {u.rule_id: u.rule_version for u in a.undetermined}
    assert undetermined["dust.zone20-electrics"] == "2014" and "dust.warning-signs" in undetermined
    assert "dust.ignition-source-control" in a.not_in_force


def test_declared_industries_scope_the_rules(book: Rulebook) -> None:
    e = book.enterprise("A", {"ammonia_refrigeration": True}, industries=["ammonia"])
    a = book.assess(e, JUNE_2024)
    assert {u.industry for u in a.undetermined} == {"ammonia", "trade", "general"}  # and what ammonia implies
    assert "mining.underground-safety-exits" in a.not_applicable
    unscoped = book.assess({"ammonia_refrigeration": True}, JUNE_2024)
    assert "mining.underground-safety-exits" in {u.rule_id for u in unscoped.undetermined}


def test_lineage_merge_across_2023(book: Rulebook) -> None:
    facts = {"dust_explosion_hazard": True, "dust_mechanical_ignition_processes": False, "dust_wood_sanders": True,
             "dust_sanders": [{"name": "1号砂光机", "spark_alarm": True, "spark_extinguishing": False}]}
    e = book.enterprise("W", facts, industries=["dust"])
    old = book.assess(e, dt.date(2023, 5, 14))
    new = book.assess(e, dt.date(2023, 5, 15))
    # 2017 "未规范设置": an alarm is there, whether it is 规范 is not encoded, so never compliant
    (sander,) = [u for u in old.undetermined if u.rule_id == "dust.sander-spark-detection"]
    assert sander.not_encoded and "dust.ignition-source-control" in old.not_in_force
    assert "dust.ignition-source-control" in by_id(new) and "dust.sander-spark-detection" in new.not_in_force


def test_severity_changes_between_versions(book: Rulebook) -> None:
    operators = [{"name": "制冷工甲", "operation": "制冷与空调作业", "certified": False}]
    e = book.enterprise("A", {"trade_special_operators": operators}, industries=["ammonia"])
    old = by_id(book.assess(e, SEPT_2017))["trade.special-operations-certified"]
    new = by_id(book.assess(e, JUNE_2024))["trade.special-operations-certified"]
    assert (old.severity, new.severity) == ("violation", "major_hazard")  # type: ignore[attr-defined]
    assert any("第九十四条第七项" in c.text for c in old.citations)  # type: ignore[attr-defined]
    assert any("第九十七条第七项" in c.text for c in new.citations)  # type: ignore[attr-defined]


def test_derived_fact_decides_applicability(book: Rulebook) -> None:
    base = {"ammonia_refrigeration": True, "mhs_registered": False}
    small = book.enterprise("S", {**base, "mhs_substances_2018": [{"name": "液氨", "quantity_t": 9.9}]},
                            industries=["ammonia"])
    large = book.enterprise("L", {**base, "mhs_substances_2018": [{"name": "液氨", "quantity_t": 10}]},
                            industries=["ammonia"])
    assert "ammonia.major-hazard-source-management" in book.assess(small, JUNE_2024).not_applicable
    f = by_id(book.assess(large, JUNE_2024))["ammonia.major-hazard-source-management"]
    assert f.facts["mhs_is_major_hazard_source"] is True  # type: ignore[attr-defined]
    assert f.facts["mhs_ratio_sum"] == 1  # type: ignore[attr-defined]


def test_major_hazard_source_grading_from_inventory(book: Rulebook) -> None:
    # GB 18218: S = 45/5 + 12/10 = 10.2; alpha(85 people) = 1.5; R = 1.5 x (4 x 9 + 2 x 1.2) = 57.6: 二级
    e = book.load_enterprise(ENTERPRISES / "linyi-hazchem-storage.yaml")
    facts = {**dict(e.facts), "hazchem_tank_farm_independent_sis": False}
    a = book.assess(book.enterprise(e.id, facts, industries=["hazchem"]), JUNE_2024)
    f = by_id(a)["hazchem.tank-farm-emergency-shutoff"]
    assert f.facts["mhs_ratio_sum"] == pytest.approx(10.2)  # type: ignore[attr-defined]
    assert f.facts["mhs_r"] == pytest.approx(57.6)  # type: ignore[attr-defined]
    assert f.facts["mhs_level"] == 2  # type: ignore[attr-defined]
    # the reference file's worked example: 15 t ammonia, 60 people -> R = 4.5, 四级
    small = {"hazchem_enterprise_kind": "危险化学品生产企业", "mhs_unit_kind": "储罐区",
             "mhs_substances_2018": [{"name": "液氨", "quantity_t": 15}],
             "mhs_exposed_population": 60, "hazchem_tank_farm_emergency_shutoff": False}
    a = book.assess(book.enterprise("S", small, industries=["hazchem"]), JUNE_2024)
    assert "hazchem.tank-farm-emergency-shutoff" in a.compliant


def test_output_is_deterministic_and_json_field_names_are_stable(book: Rulebook) -> None:
    e = book.load_enterprise(ENTERPRISES / "linyi-ammonia-cold-store.yaml")
    first = book.assess(e, JUNE_2024).model_dump_json()
    again = Rulebook.load(book.root).assess(e, JUNE_2024).model_dump_json()
    assert first == again
    data = json.loads(first)
    for key in ("enterprise_id", "as_of", "rulebook_version", "findings", "undetermined", "not_applicable"):
        assert key in data
    f = data["findings"][0]
    for key in ("rule_id", "rule_version", "severity", "title", "citations"):
        assert key in f
    assert "text" in f["citations"][0]
    assert set(data["undetermined"][0]) >= {"rule_id", "missing_facts"}


def test_assess_many_streams_in_order(book: Rulebook) -> None:
    es = [book.load_enterprise(p) for p in sorted(ENTERPRISES.glob("*.yaml"))]
    results = book.assess_many(iter(es), JUNE_2024)
    assert next(results).enterprise_id == es[0].id  # lazy: the first result comes before the rest
    assert [r.enterprise_id for r in results] == [e.id for e in es[1:]]


def test_default_as_of_is_the_inspection_date(book: Rulebook) -> None:
    e = book.load_enterprise(ENTERPRISES / "linyi-wood-products.yaml")
    assert book.assess(e).as_of == e.inspected_on == SEPT_2017


def test_questions_put_major_hazards_first(book: Rulebook) -> None:
    freezers = [{"name": "螺旋速冻机", "separate_room": True}]
    e = book.enterprise("N", {"ammonia_refrigeration": True, "nh3_quick_freezers": freezers,
                              "mhs_substances_2018": [{"name": "液氨", "quantity_t": 20}]},
                        industries=["ammonia"])
    qs = book.questions(e, JUNE_2024)
    facts = [q.fact for q in qs]
    major = [q for q in qs if q.major_hazard_rules]
    assert facts[: len(major)] == [q.fact for q in major]  # every major-hazard question first
    assert "nh3_quick_freezers" in facts[: len(major)]  # a record with its head count missing
    assert all(q.question for q in qs)
    # answering the top question decides its rules
    top = qs[0]
    answer = {"bool": False, "records": []}.get(book.facts.specs[top.fact].type, 3)
    answered = book.assess(book.enterprise("N", {**dict(e.facts), top.fact: answer},
                                         industries=["ammonia"]), JUNE_2024)
    assert not set(top.rules) & {u.rule_id for u in answered.undetermined if top.fact in u.missing_facts}


def test_explain(book: Rulebook) -> None:
    e = book.explain("dust.zone20-electrics", dt.date(2022, 1, 1))
    assert [v.in_force for v in e.versions] == [False, False, False, True, False]
    (current,) = [v for v in e.versions if v.in_force]
    assert current.effective_to == dt.date(2023, 5, 14)
    assert any("2021年修正" in c.text for c in current.citations)
    with pytest.raises(NotFoundError, match="did you mean 'dust.zone20-electrics'"):
        book.explain("dust.zone20-electric")


def test_every_industry_compiles_once(book: Rulebook) -> None:
    industries = {book.lineage(r).spec.industry for r in book.rule_ids}
    assert book.compile_all() == len(industries) >= 5
    assert book.compile_all() == len(industries)  # again: nothing new to compile


def test_a_rule_failing_at_run_time_is_an_error_and_the_rest_are_assessed(rules_copy: Path) -> None:
    # 2**53 to the 20th power, divided: OverflowError in the generated code took the whole
    # assessment with it
    text = (FIXTURES / "broken_rules" / "overflowing_example.yaml").read_text(encoding="utf-8")
    (rules_copy / "dust" / "overflowing.yaml").write_text(text.split("      - {name: 极大值")[0], encoding="utf-8")
    book = Rulebook.load(rules_copy)
    facts = {"dust_explosion_hazard": True, "dust_zone20_present": True, "mhs_exposed_population": 2**53,
             "dust_zone20_electrics_explosion_proof": False}
    a = book.assess(book.enterprise("D", facts, industries=["dust"]), JUNE_2024)
    (error,) = a.errors
    assert (error.rule_id, error.rule_version) == ("dust.overflowing-example", "1")
    assert error.message.startswith("OverflowError") and error.severity == "major_hazard"
    assert a.counts.errors == 1
    ids = {f.rule_id for f in a.findings} | set(a.compliant) | {u.rule_id for u in a.undetermined}
    assert "dust.overflowing-example" not in ids  # never compliant, never silently dropped
    assert "dust.zone20-electrics" in by_id(a)  # the other rules are assessed
    again = Assessment.model_validate_json(a.model_dump_json())
    assert again.errors == a.errors
    small = book.assess(book.enterprise("D", {**facts, "mhs_exposed_population": 2}, industries=["dust"]), JUNE_2024)
    assert small.errors == [] and "dust.overflowing-example" in by_id(small)


def test_facts_of_an_undeclared_industry_are_a_warning_and_a_question(book: Rulebook) -> None:
    # declared dust, stated ammonia facts: the ammonia major hazards were lost without a word
    facts = {"dust_explosion_hazard": True, "ammonia_refrigeration": True,
             "nh3_quick_freezers": [{"name": "隧道速冻机", "separate_room": False}]}
    e = book.enterprise("D", facts, industries=["dust"])
    a = book.assess(e, JUNE_2024)
    (warning,) = a.warnings
    assert warning.industry == "ammonia"
    assert warning.facts == ["ammonia_refrigeration", "nh3_quick_freezers"]
    assert "ammonia.quick-freezer-room" in warning.major_hazard_rules
    assert set(warning.rules) <= set(a.not_applicable) and "not assessed" in warning.message
    assert AssessmentWarning.model_validate(warning.model_dump()) == warning  # built unvalidated, as if validated
    first = book.questions(e, JUNE_2024)[0]
    assert first.fact == "industries" and "ammonia" in first.question and first.major_hazard_rules
    assert book.assess(book.enterprise("D", facts, industries=["dust", "ammonia"]), JUNE_2024).warnings == []
    assert book.assess(facts, JUNE_2024).warnings == []  # no industries declared: everything is assessed
    own = book.enterprise("D", {"dust_explosion_hazard": True, "dust_zone20_present": True}, industries=["dust"])
    assert book.assess(own, JUNE_2024).warnings == []


# ---------------------------------------------------------------- caches

@pytest.fixture(scope="module")
def local_parts(tmp_path_factory: pytest.TempPathFactory) -> Parts:
    """The bundled rulebook with a provincial regulation cited by one rule, so that the
    enterprise's region changes what is cited."""
    rules = tmp_path_factory.mktemp("local") / "rules"
    shutil.copytree(RULES, rules)
    cite_provincial_regulation(rules)
    parts, problems = load_parts(rules)
    assert parts is not None and not [p for p in problems if p.level == "error"]
    return parts


SUBJECTS = sorted(ENTERPRISES.glob("*.yaml"))
REGIONS = [None, "371302", "370102", "110101"]


def _days(parts: Parts) -> st.SearchStrategy[dt.date]:
    """Any day, and the days either side of every boundary (where an off-by-one would show)."""
    edges = sorted({d for lin in parts.lineages.values() for v in lin.versions
                    for d in (v.window.start, v.window.end) if d is not None}
                   | {w.start for doc in parts.law.documents.values() for _e, w in doc.windows()})
    near = [d + dt.timedelta(days=shift) for d in edges for shift in (-1, 0, 1)]
    return st.one_of(st.sampled_from(near), st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 31)))


def _visit(parts: Parts) -> st.SearchStrategy[tuple[int, dt.date, tuple[str, ...], str | None]]:
    industries = sorted(parts.rulebook.industries)
    return st.tuples(st.integers(0, len(SUBJECTS) - 1), _days(parts),
                     st.lists(st.sampled_from(industries), max_size=3).map(tuple), st.sampled_from(REGIONS))


def _visit_results(book: Rulebook, visit: tuple[int, dt.date, tuple[str, ...], str | None]) -> list[Any]:
    """An assessment, and the explanation of the rule that cites provincial law, on the visit's
    day and in its region: everything that is cached by stretch, industries or region."""
    index, day, industries, region = visit
    enterprise = book.load_enterprise(SUBJECTS[index])
    enterprise = dataclasses.replace(enterprise, industries=industries or enterprise.industries, region=region)
    return [book.assess(enterprise, day).model_dump(),
            book.explain("metallurgy.principals-assessed", day, region).model_dump()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_an_assessment_does_not_depend_on_what_was_assessed_before(local_parts: Parts, data: st.DataObject) -> None:
    history = data.draw(st.lists(_visit(local_parts), min_size=1, max_size=12), label="assessed before")
    target = data.draw(_visit(local_parts), label="assessed")
    # caches of two entries: the history fills them, evicts from them and leaves them with other dates,
    # industries and regions than the target's
    tiny = {name: 2 for name in ("PLAN_CACHE", "VIEW_CACHE", "STATIC_CACHE", "CITATION_CACHE",
                                  "NOT_ENCODED_CACHE", "SMALL_CACHE", "FOREIGN_CACHE")}
    with mock.patch.multiple(_rulebook, **tiny):
        warm = Rulebook(local_parts)
    for visit in history:
        _visit_results(warm, visit)
    fresh = Rulebook(local_parts)
    assert _visit_results(warm, target) == _visit_results(fresh, target)
    for cache in _caches(warm):
        assert cache.cache_info().currsize <= 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cached_citations_read_as_on_the_day_itself(local_parts: Parts, data: st.DataObject) -> None:
    book = Rulebook(local_parts)
    lineage = data.draw(st.sampled_from(list(local_parts.lineages.values())))
    version = data.draw(st.sampled_from(lineage.versions))
    day = data.draw(_days(local_parts).filter(version.window.contains))
    region = data.draw(st.sampled_from(REGIONS))
    book.citations(version, _rulebook._first_day(book._law_bounds, bisect.bisect_right(book._law_bounds, day)), region)
    for c in book.citations(version, day, region):  # cached from the first day of its stretch
        assert c == book.law.resolve(c.document, c.provision, day, c.role, preferred=c.preferred, reason=c.reason)
        assert covers(c.jurisdiction, region)
    assert book.measures(day) == [m for m in (book.law.resolve(x.document, x.provision, day, "measure")
                                             for x in local_parts.rulebook.major_hazard_measures) if m is not None]


def _caches(book: Rulebook) -> list[Any]:
    return [v for v in vars(book).values() if hasattr(v, "cache_info")]


def test_caches_stay_bounded_and_nothing_else_grows_with_dates(book: Rulebook) -> None:
    fresh = Rulebook.load(RULES)
    firms = [fresh.load_enterprise(p) for p in SUBJECTS]
    days = [dt.date(2012, 1, 1) + dt.timedelta(days=n * 11) for n in range(500)]  # 500 dates, 15 years

    def sizes() -> dict[str, int]:
        return {k: len(v) for k, v in vars(fresh).items() if isinstance(v, dict | list | set | tuple)}

    fresh.compile_all()
    for day in days[:3]:
        for firm in firms:
            fresh.assess(firm, day)
    before = sizes()
    for n, day in enumerate(days):
        for firm in firms:
            fresh.assess(dataclasses.replace(firm, industries=tuple(sorted(fresh.industries))[: n % 4]), day)
    assert sizes() == before  # only the bounded caches below hold anything per date or industry set
    caches = _caches(fresh)
    assert len(caches) >= 6
    for cache in caches:
        info = cache.cache_info()
        assert info.maxsize is not None and info.currsize <= info.maxsize


def test_output_is_the_same_in_every_process() -> None:
    """A finding's facts were listed in the order of a set of strings, which changes with each
    process's hash seed: the same assessment printed differently from one run to the next."""
    code = (f"import datetime as dt\nfrom safety_rules import Rulebook\nbook = Rulebook.load({str(RULES)!r})\n"
            f"for path in sorted(__import__('pathlib').Path({str(ENTERPRISES)!r}).glob('*.yaml')):\n"
            f"    print(book.assess(book.load_enterprise(path), dt.date(2024, 6, 1)).model_dump_json())\n")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(outputs) == 1
