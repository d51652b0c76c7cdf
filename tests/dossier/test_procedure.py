"""Every transition of the finding, case and enterprise state machines, and every refusal with the
provision that forbids it (folded in memory by the same code the projection runs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from safety_rules import Rulebook
from safety_rules.dossier._model import OPEN_FINDING, CaseRecord, EnterpriseRecord, FindingRecord
from safety_rules.dossier._store import load_event_file
from safety_rules.shared._errors import DossierError, NotFoundError, RefusedTransition

from ..conftest import EXAMPLES
from .conftest import INSPECTED, OFFICER_DUMP, WOOD, Memory, finding_id, inspection, refusable

SIGNS = "dust.warning-signs"  # a violation: 2021 第九十九条, first-instance fine, overdue tier
ZONE20 = "dust.zone20-electrics"  # a major hazard: 2021 第一百零二条
D = INSPECTED


def day(n: int) -> str:
    return (D + dt.timedelta(days=n)).isoformat()


def evidence(memory: Memory, fid: str, sha: str = "a" * 64, n: int = 1) -> None:
    memory("evidence", {"sha256": sha, "filename": "整改报告.pdf", "size": 10, "kind": "书证", "method": "扫描",
                        "made_at": f"{day(n)}T09:00:00+08:00", "made_by": "企业", "proves": "已整改", "source": "企业",
                        "finding_ids": [fid]})


@pytest.fixture()
def issued(book: Rulebook, memory: Memory) -> dict[str, str]:
    events = inspection(book)
    memory.all(events)
    return {"signs": finding_id(events, SIGNS), "zone20": finding_id(events, ZONE20), "refusable": refusable(events)[0]}


def f(memory: Memory, fid: str) -> FindingRecord:
    record: FindingRecord = memory.world.get(FindingRecord, fid)
    return record


def case(memory: Memory, cid: str) -> CaseRecord:
    record: CaseRecord = memory.world.get(CaseRecord, cid)
    return record


def test_an_inspection_needs_two_certified_officers(book: Rulebook, memory: Memory) -> None:
    (e, kind, payload), *_ = inspection(book)
    one = {**payload, "officers": [OFFICER_DUMP[0], {**OFFICER_DUMP[1], "certificate": OFFICER_DUMP[0]["certificate"]}]}
    with pytest.raises(RefusedTransition, match="行政处罚法》\\(2021年修订\\) 第四十二条"):
        memory(kind, one, e)


def test_a_finding_is_frozen_as_issued(memory: Memory, issued: dict[str, str]) -> None:
    signs = f(memory, issued["signs"])
    assert signs.state == "found" and signs.tier == "first_instance" and signs.edition == "2021"
    assert signs.issued.rule_version and signs.issued.rulebook_version
    assert any("第九十九条" in c.text for c in signs.issued.citations)
    assert {t["trigger"] for t in signs.issued.sanction["tiers"]} >= {"first_instance", "overdue"}  # type: ignore[index]
    assert signs.issued.explanation and signs.issued.facts


def test_corrected_on_the_spot_then_closed(memory: Memory, issued: dict[str, str]) -> None:
    memory("finding.corrected", {"finding_id": issued["signs"], "date": day(0)})
    assert f(memory, issued["signs"]).state == "corrected"
    memory("finding.closed", {"finding_id": issued["signs"], "date": day(0)})
    assert f(memory, issued["signs"]).state == "closed"


def test_closing_a_finding_never_reinspected_is_refused(memory: Memory, issued: dict[str, str]) -> None:
    memory("finding.ordered", {"finding_id": issued["signs"], "date": day(0)})
    with pytest.raises(RefusedTransition, match="never re-inspected.*复查条款.*未核实"):
        memory("finding.closed", {"finding_id": issued["signs"], "date": day(3)})


def test_ordered_claimed_reinspected_pass_closes(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    memory("finding.ordered", {"finding_id": fid, "date": day(0)})
    assert f(memory, fid).deadline == D + dt.timedelta(days=7)  # the rule's rectification deadline
    with pytest.raises(NotFoundError, match="evidence not recorded"):
        memory("finding.claimed", {"finding_id": fid, "date": day(5), "evidence": ["b" * 64]})
    evidence(memory, fid, n=5)
    memory("finding.claimed", {"finding_id": fid, "date": day(5), "evidence": ["a" * 64]})
    assert f(memory, fid).state == "claimed"
    memory("finding.reinspected", {"finding_id": fid, "date": day(8), "result": "pass", "officers": OFFICER_DUMP})
    assert f(memory, fid).state == "closed" and f(memory, fid).closed_on == D + dt.timedelta(days=8)


def test_failed_reinspection_orders_again_at_the_overdue_tier_with_a_case(memory: Memory,
                                                                          issued: dict[str, str]) -> None:
    fid = issued["signs"]
    memory("finding.ordered", {"finding_id": fid, "date": day(0), "days": 10})
    with pytest.raises(RefusedTransition, match="逾期未改正 tier applies.*第九十九条"):
        memory("finding.reinspected", {"finding_id": fid, "date": day(12), "result": "fail",
                                       "officers": OFFICER_DUMP})
    memory("finding.reinspected", {"finding_id": fid, "date": day(12), "result": "fail", "officers": OFFICER_DUMP,
                                   "days": 15, "case_id": "C-OVERDUE"})
    record = f(memory, fid)
    assert (record.state, record.tier, record.deadline) == ("ordered", "overdue", D + dt.timedelta(days=27))
    assert case(memory, "C-OVERDUE").tier == "overdue"


def test_extension_moves_the_deadline_never_earlier(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    memory("finding.ordered", {"finding_id": fid, "date": day(0), "days": 30})
    with pytest.raises(RefusedTransition, match="written request"):
        memory("finding.extended", {"finding_id": fid, "date": day(10), "until": day(45)})
    memory("finding.extension-requested", {"finding_id": fid, "date": day(10), "reason": "设备到货延迟"})
    memory("finding.extended", {"finding_id": fid, "date": day(12), "until": day(20)})
    assert f(memory, fid).deadline == D + dt.timedelta(days=30)  # later of the two
    memory("finding.extension-requested", {"finding_id": fid, "date": day(25), "reason": "再次延迟"})
    assert "延期申请" in f(memory, fid).flags[-1]  # asked later than 10 days before the deadline: flagged
    memory("finding.extended", {"finding_id": fid, "date": day(26), "until": day(45)})
    assert f(memory, fid).deadline == D + dt.timedelta(days=45)


def test_suspension_is_for_major_hazards_and_resumes_only_after_request_and_review(
        memory: Memory, issued: dict[str, str]) -> None:
    with pytest.raises(RefusedTransition, match="not a major accident hazard.*第六十五条"):
        memory("finding.suspended", {"finding_id": issued["signs"], "date": day(0), "measures": ["停产"]})
    fid = issued["zone20"]
    memory("finding.suspended", {"finding_id": fid, "date": day(0), "measures": ["撤出作业人员", "暂时停产停业"]})
    assert f(memory, fid).state == "suspended"
    with pytest.raises(RefusedTransition, match="审查同意"):
        memory("finding.reinspected", {"finding_id": fid, "date": day(5), "result": "pass", "officers": OFFICER_DUMP})
    evidence(memory, fid, n=20)
    memory("finding.claimed", {"finding_id": fid, "date": day(20), "evidence": ["a" * 64]})
    memory("finding.reinspected", {"finding_id": fid, "date": day(25), "result": "pass", "officers": OFFICER_DUMP})
    assert f(memory, fid).state == "closed" and f(memory, fid).resumption_approved


def test_refusal_of_a_major_hazard_order_flags_referral_and_measures(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["refusable"]
    memory("finding.ordered", {"finding_id": fid, "date": day(0), "days": 5})
    memory("finding.refused", {"finding_id": fid, "date": day(7), "real_danger": True})
    record = f(memory, fid)
    assert record.state == "refused" and record.tier == "refused"
    assert record.referral is not None and "第一百三十四条之一" in record.referral
    assert any("第七十条" in m for m in record.measures) and any("停产停业整顿" in m for m in record.measures)


def test_withdrawn_by_review_and_only_once(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    memory("finding.withdrawn", {"finding_id": fid, "date": day(30), "by": "review", "decision_no": "复决1号"})
    assert f(memory, fid).state == "withdrawn"
    with pytest.raises(DossierError, match="already withdrawn"):
        memory("finding.withdrawn", {"finding_id": fid, "date": day(31), "by": "court", "decision_no": "判决1号"})


def _case_to_notice(memory: Memory, fid: str, cid: str = "C1", hearing: bool = False) -> None:
    memory("case.opened", {"case_id": cid, "date": day(1), "finding_ids": [fid], "tier": "first_instance"})
    memory("case.investigated", {"case_id": cid, "date": day(2), "officers": OFFICER_DUMP})
    memory("case.notified", {"case_id": cid, "date": day(3), "hearing_offered": hearing})


def test_a_case_from_filing_to_closing(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    _case_to_notice(memory, fid)
    memory("case.discussed", {"case_id": "C1", "date": day(5)})
    memory("case.decided", {"case_id": "C1", "date": day(6), "number": "罚〔2024〕1号", "fine": 20000})
    memory("case.delivered", {"case_id": "C1", "date": day(7)})
    memory("case.paid", {"case_id": "C1", "date": day(15), "amount": 20000})
    memory("case.closed", {"case_id": "C1", "date": day(16)})
    assert case(memory, "C1").state == "closed"


def test_case_refusals(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    memory("case.opened", {"case_id": "C1", "date": day(1), "finding_ids": [fid], "tier": "first_instance"})
    with pytest.raises(RefusedTransition, match="no second fine.*第二十九条"):
        memory("case.opened", {"case_id": "C2", "date": day(1), "finding_ids": [fid], "tier": "first_instance"})
    with pytest.raises(RefusedTransition, match="at the 'first_instance' tier.*not 'overdue'"):
        memory("case.opened", {"case_id": "C3", "date": day(1), "finding_ids": [fid], "tier": "overdue"})
    with pytest.raises(RefusedTransition, match="fewer than two"):
        memory("case.investigated", {"case_id": "C1", "date": day(2), "officers": OFFICER_DUMP[:1]})
    with pytest.raises(RefusedTransition, match="告知.*第六十二条"):
        memory("case.decided", {"case_id": "C1", "date": day(2), "number": "1", "fine": 1000})
    memory("case.investigated", {"case_id": "C1", "date": day(2), "officers": OFFICER_DUMP})
    memory("case.notified", {"case_id": "C1", "date": day(3), "hearing_offered": False})
    with pytest.raises(RefusedTransition, match="fine 60000 yuan is outside.*0–50000.*第九十九条"):
        memory("case.decided", {"case_id": "C1", "date": day(6), "number": "1", "fine": 60000})
    with pytest.raises(RefusedTransition, match="on principal is outside"):
        memory("case.decided", {"case_id": "C1", "date": day(6), "number": "1", "fine": 1000,
                                "individual_fines": [{"who": "principal", "amount": 5000}]})
    with pytest.raises(RefusedTransition, match="case C1 is notified: closing"):
        memory("case.closed", {"case_id": "C1", "date": day(6)})


def test_hearing_rules(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    _case_to_notice(memory, fid, hearing=True)
    with pytest.raises(RefusedTransition, match="scheduling a hearing is allowed only when it is hearing_requested"):
        memory("case.hearing-scheduled", {"case_id": "C1", "date": day(3), "hearing_on": "2024-10-30"})
    memory("case.hearing-requested", {"case_id": "C1", "date": day(4)})
    with pytest.raises(RefusedTransition, match="hold it before deciding"):
        memory("case.decided", {"case_id": "C1", "date": day(6), "number": "1", "fine": 1000})
    # the notice answers the party's request: one dated before the request is refused
    with pytest.raises(RefusedTransition, match="dated 2024-09-23, before its 听证申请 on 2024-09-24.*第六十三条.*"
                                                "第六十四条第二项"):
        memory("case.hearing-scheduled", {"case_id": "C1", "date": day(3), "hearing_on": "2024-10-30"})
    # a hearing on 2024-10-09: seven working days before it, across National Day and the 09-29 调休
    # workday, is 2024-09-24 (09-25 … 09-27, 09-29, 09-30, 10-08, 10-09)
    with pytest.raises(RefusedTransition, match="notified by 2024-09-24.*第六十四条第二项、第八十五条"):
        memory("case.hearing-scheduled", {"case_id": "C1", "date": "2024-09-25", "hearing_on": "2024-10-09"})
    memory("case.hearing-scheduled", {"case_id": "C1", "date": "2024-09-24", "hearing_on": "2024-10-09"})
    assert case(memory, "C1").hearing_notified_on == dt.date(2024, 9, 24)
    with pytest.raises(DossierError, match="dated before the step it follows"):
        memory("case.hearing-held", {"case_id": "C1", "date": "2024-10-08"})
    memory("case.hearing-held", {"case_id": "C1", "date": "2024-10-09"})
    with pytest.raises(RefusedTransition, match="法制审核.*第五十八条"):
        memory("case.decided", {"case_id": "C1", "date": "2024-10-10", "number": "1", "fine": 1000})
    memory("case.reviewed", {"case_id": "C1", "date": "2024-10-09"})
    memory("case.decided", {"case_id": "C1", "date": "2024-10-10", "number": "1", "fine": 1000})
    assert case(memory, "C1").state == "decided"


def test_steps_are_dated_in_order_and_a_decision_dated_before_the_notice_is_refused(
        memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["signs"]
    with pytest.raises(DossierError, match="finding.ordered of finding .* is dated 2024-09-19, before its 发现 on "
                                           "2024-09-20"):
        memory("finding.ordered", {"finding_id": fid, "date": day(-1)})
    _case_to_notice(memory, fid)  # notified on day(3)
    with pytest.raises(RefusedTransition, match="dated 2024-09-22, before its 告知 on 2024-09-23.*第六十二条"):
        memory("case.decided", {"case_id": "C1", "date": day(2), "number": "1", "fine": 1000})
    memory("case.decided", {"case_id": "C1", "date": day(3), "number": "1", "fine": 1000})
    with pytest.raises(DossierError, match="case.delivered of case C1 is dated 2024-09-22, before its 决定"):
        memory("case.delivered", {"case_id": "C1", "date": day(2)})


def test_suspension_cases_must_offer_a_hearing(memory: Memory, issued: dict[str, str]) -> None:
    fid = issued["refusable"]
    memory("finding.ordered", {"finding_id": fid, "date": day(0)})
    memory("finding.refused", {"finding_id": fid, "date": day(2)})
    memory("case.opened", {"case_id": "C1", "date": day(3), "finding_ids": [fid], "tier": "refused"})
    memory("case.investigated", {"case_id": "C1", "date": day(4), "officers": OFFICER_DUMP})
    with pytest.raises(RefusedTransition, match="听证.*第六十三条"):
        memory("case.notified", {"case_id": "C1", "date": day(5), "hearing_offered": False})
    memory("case.notified", {"case_id": "C1", "date": day(5), "hearing_offered": True})
    with pytest.raises(RefusedTransition, match="sets no fine on the enterprise"):
        memory("case.decided", {"case_id": "C1", "date": day(20), "number": "1", "fine": 10000})


def _decided(memory: Memory, fid: str, fine: int = 20000) -> None:
    _case_to_notice(memory, fid)
    memory("case.decided", {"case_id": "C1", "date": day(6), "number": "1", "fine": fine, "on_the_spot": True})


def test_demand_and_court_enforcement_windows(memory: Memory, issued: dict[str, str], procedure: Any) -> None:
    _decided(memory, issued["signs"])
    assert case(memory, "C1").state == "delivered"
    with pytest.raises(RefusedTransition, match="due by 2024-10-11"):  # delivered 09-26 + 15 days
        memory("case.demanded", {"case_id": "C1", "date": "2024-10-11"})
    memory("case.demanded", {"case_id": "C1", "date": "2024-10-20"})
    assert procedure.surcharge(case(memory, "C1"), dt.date(2024, 10, 21)) == 20000 * 3 * 10 // 100
    assert procedure.surcharge(case(memory, "C1"), dt.date(2025, 1, 1)) == 20000  # capped at the fine
    earliest, latest = procedure.enforcement_window(case(memory, "C1"))
    assert earliest.due == dt.date(2025, 3, 27) and latest.due == dt.date(2025, 6, 26)
    with pytest.raises(RefusedTransition, match="may be asked from 2025-03-27"):
        memory("case.enforcement-applied", {"case_id": "C1", "date": "2024-11-20"})
    with pytest.raises(RefusedTransition, match="due by 2025-06-26.*第五十三条"):
        memory("case.enforcement-applied", {"case_id": "C1", "date": "2025-07-01"})
    memory("case.enforcement-applied", {"case_id": "C1", "date": "2025-04-01"})
    memory("case.closed", {"case_id": "C1", "date": "2025-05-01"})


def test_a_case_of_several_violations_fines_each_within_its_own_tier(book: Rulebook, memory: Memory,
                                                                     issued: dict[str, str]) -> None:
    """分别裁量、合并处罚: each violation's fine in its own range, adding up to the fine decided (which may exceed
    either range alone)."""
    signs, other = issued["signs"], finding_id(inspection(book), "dust.zone20-electrics")
    memory("case.opened", {"case_id": "C1", "date": day(1), "finding_ids": [signs, other], "tier": "first_instance"})
    memory("case.investigated", {"case_id": "C1", "date": day(2), "officers": OFFICER_DUMP})
    memory("case.notified", {"case_id": "C1", "date": day(3), "hearing_offered": True})
    decided = {"case_id": "C1", "date": day(6), "number": "罚〔2024〕2号"}
    with pytest.raises(DossierError, match="of 2 violations.*give each one's fine once"):
        memory("case.decided", {**decided, "fine": 60000})
    with pytest.raises(DossierError, match="add up to 80000 yuan, not the 60000"):
        memory("case.decided", {**decided, "fine": 60000, "finding_fines": [
            {"finding_id": signs, "amount": 50000}, {"finding_id": other, "amount": 30000}]})
    with pytest.raises(RefusedTransition, match=f"fine 60000 yuan is outside the 'first_instance' tier of {signs} "
                                                "\\(0–50000 yuan\\).*第九十九条"):
        memory("case.decided", {**decided, "fine": 90000, "finding_fines": [
            {"finding_id": signs, "amount": 60000}, {"finding_id": other, "amount": 30000}]})
    with pytest.raises(DossierError, match="names no violation of the case"):
        memory("case.decided", {**decided, "fine": 80000, "finding_fines": [
            {"finding_id": signs, "amount": 50000}, {"finding_id": other, "amount": 30000}],
            "individual_fines": [{"who": "principal", "amount": 1000}]})
    memory("case.decided", {**decided, "fine": 80000, "finding_fines": [
        {"finding_id": signs, "amount": 50000}, {"finding_id": other, "amount": 30000}]})
    assert case(memory, "C1").fine == 80000  # more than either violation's range alone allows


def test_underpayment_is_refused(memory: Memory, issued: dict[str, str]) -> None:
    _decided(memory, issued["signs"])
    with pytest.raises(RefusedTransition, match="5000 yuan paid of a 20000"):
        memory("case.paid", {"case_id": "C1", "date": day(10), "amount": 5000})


def test_not_penalised_then_closed(memory: Memory, issued: dict[str, str]) -> None:
    _case_to_notice(memory, issued["signs"])
    memory("case.not-penalised", {"case_id": "C1", "date": day(5), "ground": "轻微并及时改正"})
    memory("case.closed", {"case_id": "C1", "date": day(6)})
    assert case(memory, "C1").state == "closed"


def test_daily_penalty_only_for_acts_under_the_2021_law(book: Rulebook, memory: Memory) -> None:
    old = inspection(book, dt.date(2017, 9, 20), "I0")
    memory.all(old)
    fid = finding_id(old, SIGNS)
    memory("finding.ordered", {"finding_id": fid, "date": "2017-09-20"})
    memory("case.opened", {"case_id": "C0", "date": "2017-09-21", "finding_ids": [fid], "tier": "first_instance"})
    memory("case.investigated", {"case_id": "C0", "date": "2017-09-22", "officers": OFFICER_DUMP})
    memory("case.notified", {"case_id": "C0", "date": "2017-09-25", "hearing_offered": False})
    memory("case.decided", {"case_id": "C0", "date": "2017-09-28", "number": "1", "fine": 10000})
    memory("finding.refused", {"finding_id": fid, "date": "2017-10-20"})
    with pytest.raises(RefusedTransition, match="only for acts under the 2021 law.*第一百一十二条"):
        memory("case.daily-penalty", {"case_id": "C0", "date": "2017-10-21"})


def test_daily_penalty_accrues_for_a_2021_act(memory: Memory, issued: dict[str, str], procedure: Any) -> None:
    fid = issued["signs"]
    memory("finding.ordered", {"finding_id": fid, "date": day(0)})
    _decided(memory, fid, fine=10000)
    memory("finding.refused", {"finding_id": fid, "date": day(10)})
    memory("case.daily-penalty", {"case_id": "C1", "date": day(11)})
    assert procedure.daily_penalty(case(memory, "C1"), D + dt.timedelta(days=13)) == 30000


def test_enterprise_is_closed_only_when_everything_is_and_reopens(book: Rulebook, memory: Memory,
                                                                  issued: dict[str, str]) -> None:
    ids = [fid for fid in memory.world.records[FindingRecord]]
    for fid in ids:
        memory("finding.corrected", {"finding_id": fid, "date": day(0)})
        assert memory.world.get(EnterpriseRecord, WOOD).state == "open"
        memory("finding.closed", {"finding_id": fid, "date": day(0)})
    assert memory.world.get(EnterpriseRecord, WOOD).state == "closed"
    memory.all(inspection(book, D + dt.timedelta(days=90), "I2"))  # a new finding reopens the dossier
    enterprise = memory.world.get(EnterpriseRecord, WOOD)
    assert enterprise.state == "open" and enterprise.reopened == 1
    repeat = memory.world.get(FindingRecord, "I2-01")
    assert repeat.repeat_of == "I1-01"


def test_every_enterprise_of_the_sample_lists_exactly_what_is_open(memory: Memory) -> None:
    """The enterprise keeps its open findings and cases as steps happen; over every transition of the sample
    campaigns they are exactly the records that are open, and the dossier is 销号 exactly when none is."""
    items, _where = load_event_file(EXAMPLES / "dossier" / "campaigns.jsonl")
    memory.all(items)
    findings, cases = memory.world.records[FindingRecord], memory.world.records[CaseRecord]
    enterprises = memory.world.all(EnterpriseRecord)
    assert len(enterprises) == 80 and any(e.state == "closed" for e in enterprises)
    for e in enterprises:
        assert sorted(e.open_findings) == sorted(f for f in e.findings if findings[f].state in OPEN_FINDING)
        assert sorted(e.open_cases) == sorted(c for c in e.cases if cases[c].state != "closed")
        assert (e.state == "closed") == (not e.open_findings and not e.open_cases)
        for rule, (fid, day) in e.latest_by_rule.items():
            mine = [findings[f] for f in e.findings if findings[f].issued.rule_id == rule]
            assert day == max(f.issued.date for f in mine) and findings[fid].issued.date == day
