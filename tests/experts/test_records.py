"""Assignments on record, withdrawals and replacements, findings with their outcomes, suspensions and
reinstatements: each refused when it does not follow what the log holds, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from safety_rules import NotFoundError, RegistryLogError
from safety_rules.experts._matching import match
from safety_rules.experts._records import ExpertFinding, FindingOutcome, RegistryLog, assignment_table, finding_table
from safety_rules.experts._registry import Case, Expert, load_policy

from ..conftest import ROOT

DAY = dt.date(2017, 9, 5)
POLICY = load_policy(ROOT / "experts" / "policy.yaml", DAY)


def expert(expert_id: str, cap: int) -> Expert:
    return Expert.model_validate({"id": expert_id, "name": f"专家{expert_id}", "home_county": "甲县",
                                  "max_concurrent_cases": cap, "industries": [{"industry": "dust", "level": 2}],
                                  "qualifications": [{"name": "注册安全工程师"}]})


def case(case_id: str, day: dt.date = DAY) -> Case:
    return Case.model_validate({"id": case_id, "enterprise": f"ENT-{case_id}", "industries": ["dust"],
                                "county": "乙县", "date": day, "difficulty": "routine"})


def record(log: RegistryLog, cases: list[Case], experts: list[Expert]) -> list[tuple[str, str]]:
    """Match against what the log holds, record the result, return (case, expert) pairs."""
    r = match(cases, experts, POLICY, log.held())
    chosen = [(a.case_id, a.expert_id, a.industry, a.score.total) for c in r.cases for a in c.assigned]
    log.record_assignments(cases, chosen, POLICY, "监察支队-李")
    return [(c, e) for c, e, _, _ in chosen]


def test_two_batches_never_exceed_the_cap(url: str) -> None:
    # X (cap 1) is put on A; nobody has evaluated A yet. The next day's batch must not use X.
    log = RegistryLog(url)
    experts = [expert("X", 1), expert("Y", 2)]
    assert record(log, [case("A")], [expert("X", 1)]) == [("A", "X")]
    assert record(log, [case("B", DAY + dt.timedelta(days=1))], experts) == [("B", "Y")]
    r = match([case("C", DAY + dt.timedelta(days=2))], experts, POLICY, log.held())
    (why,) = [x for x in r.cases[0].excluded if x.expert_id == "X"]
    assert why.rule == "workload" and "(A)" in why.detail
    # without the record, the second batch took X again: the gap this closes
    assert [a.expert_id for a in match([case("B")], [expert("X", 1)], POLICY, []).cases[0].assigned] == ["X"]
    # and the workload is per day: a month later X is free again
    assert record(log, [case("D", DAY + dt.timedelta(days=30))], [expert("X", 1)]) == [("D", "X")]


def test_withdrawal_frees_the_expert_and_a_replacement_is_one_transaction(url: str) -> None:
    log = RegistryLog(url)
    record(log, [case("A")], [expert("X", 1)])
    (a,) = log.open_assignments()
    with pytest.raises(RegistryLogError, match="already assigned to A"):
        log.record_assignments([case("A")], [("A", "X", "dust", None)], POLICY, "李")
    events = log.withdraw(a.assignment_id, "declared a tie after the match", "李", replacement=("Y", "dust"))
    assert [e.kind for e in events] == ["withdrawal", "assignment"]
    (b,) = log.open_assignments()
    assert (b.expert_id, b.replaces, b.case.id) == ("Y", a.assignment_id, "A")
    with pytest.raises(RegistryLogError, match="already withdrawn"):
        log.withdraw(a.assignment_id, "again", "李")
    with pytest.raises(NotFoundError, match="no assignment"):
        log.withdraw("f" * 32, "none", "李")
    assert [h.expert for h in log.held()] == ["Y"]
    before = _rows(url)
    log.rebuild_indexes()
    assert _rows(url) == before


def test_findings_and_outcomes(url: str) -> None:
    log = RegistryLog(url)
    findings = [ExpertFinding(finding_id=f"F{k}", case_id="A", expert_id="X", enterprise_id="ENT-A", case_date=DAY,
                        rule_id="dust.zone20-electrics", description="20区电气设备非防爆型", recorded_by="李")
                for k in range(3)]
    outcome = {"by": "re-inspection", "decided_on": DAY + dt.timedelta(days=30), "reference": "临安监复〔2017〕12号",
               "recorded_by": "李"}
    log.record_outcomes(findings, [FindingOutcome(finding_id="F0", confirmed=True, **outcome)])  # type: ignore[arg-type]
    log.record_outcomes(outcomes=[FindingOutcome(finding_id="F1", confirmed=False, **outcome)])  # type: ignore[arg-type]
    (c,) = log.confirmations()
    assert (c.case_id, c.expert_id, c.confirmed, c.decided) == ("A", "X", 1, 2)
    # the enforcement finding withdrawn (撤销 on 复议): decided, and not confirmed
    withdrawn = FindingOutcome(finding_id="F2", confirmed=False, by="withdrawal", decided_on=DAY + dt.timedelta(90),
                               reference="临政复决〔2017〕3号", recorded_by="李")
    log.record_outcomes(outcomes=[withdrawn])
    (c,) = log.confirmations()
    assert (c.confirmed, c.decided) == (1, 3)
    with pytest.raises(ValueError, match="'re-inspection', 'penalty-decision' or 'withdrawal'"):
        FindingOutcome.model_validate({**withdrawn.model_dump(), "by": "court"})
    with pytest.raises(RegistryLogError, match="already has an outcome"):
        log.record_outcomes(outcomes=[FindingOutcome(finding_id="F0", confirmed=False, **outcome)])  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no finding 'F9'"):
        log.record_outcomes(outcomes=[FindingOutcome(finding_id="F9", confirmed=True, **outcome)])  # type: ignore[arg-type]
    with pytest.raises(RegistryLogError, match="already on record"):
        log.record_outcomes(findings[:1])
    assert len(log.confirmations()) == 1  # the refused batches wrote nothing


def test_a_withdrawal_corrects_a_confirmed_outcome_and_counts_from_its_date(url: str) -> None:
    log = RegistryLog(url)
    log.record_outcomes([ExpertFinding(finding_id="F0", case_id="A", expert_id="X", enterprise_id="ENT-A",
                                       case_date=DAY, description="20区电气设备非防爆型", recorded_by="李")])
    decided, withdrawn_on = DAY + dt.timedelta(30), DAY + dt.timedelta(90)
    decision = FindingOutcome(finding_id="F0", confirmed=True, by="penalty-decision", decided_on=decided,
                              reference="临安监罚〔2017〕8号", recorded_by="李")
    withdrawal = FindingOutcome(finding_id="F0", confirmed=False, by="withdrawal", decided_on=withdrawn_on,
                                reference="临政复决〔2017〕3号", recorded_by="李", corrects="penalty-decision")
    with pytest.raises(RegistryLogError, match="F0 has no outcome for withdrawal .* to correct"):
        log.record_outcomes(outcomes=[withdrawal])
    log.record_outcomes(outcomes=[decision])
    both = r"penalty-decision of 2017-10-05 \(临安监罚〔2017〕8号, confirmed\).*withdrawal of {} \(临政复决〔2017〕3号"
    refused = {why: withdrawal.model_copy(update=change) for why, change in (
        ("would be a second outcome", {"corrects": None}),
        ("names corrects: re-inspection, not penalty-decision", {"corrects": "re-inspection"}),
        ("dated before the outcome it corrects", {"decided_on": decided - dt.timedelta(1)}),
        ("must be not confirmed", {"confirmed": True}))}
    for why, outcome in refused.items():
        with pytest.raises(RegistryLogError, match=both.format(outcome.decided_on) + f".*{why}"):
            log.record_outcomes(outcomes=[outcome])
    with pytest.raises(RegistryLogError, match="re-inspection of .* cannot correct it; allowed after "
                                               "penalty-decision: withdrawal correcting penalty-decision"):
        log.record_outcomes(outcomes=[decision.model_copy(update={"by": "re-inspection", "corrects":
                                                                  "penalty-decision"})])
    log.record_outcomes(outcomes=[withdrawal])
    assert [o.payload["by"] for o in log.store.events(stream="experts/outcomes", kind="outcome")] == [
        "penalty-decision", "withdrawal"]  # both on record
    with pytest.raises(RegistryLogError, match="allowed after withdrawal: none: it is final"):
        log.record_outcomes(outcomes=[decision.model_copy(update={"decided_on": withdrawn_on, "corrects":
                                                                  "withdrawal"})])

    def tally(on: dt.date | None) -> list[tuple[int, int]]:
        return [(c.confirmed, c.decided) for c in log.confirmations(on=on)]

    assert tally(decided - dt.timedelta(1)) == []  # an outcome dated after the scoring day does not count yet
    assert tally(decided) == tally(withdrawn_on - dt.timedelta(1)) == [(1, 1)]
    assert tally(withdrawn_on) == tally(None) == [(0, 1)]
    before = _rows(url)
    assert [r[-2:] for r in before[1]] == [(3, "false")]  # the read table holds the correction
    log.rebuild_indexes()
    assert _rows(url) == before


def test_reinstatement_follows_a_suspension(url: str) -> None:
    log = RegistryLog(url)
    with pytest.raises(RegistryLogError, match="not suspended"):
        log.record_status("reinstatement", "X", DAY, "period", POLICY, "李")
    log.record_status("suspension", "X", DAY, "score 2.43", POLICY, "李")
    with pytest.raises(RegistryLogError, match="already suspended"):
        log.record_status("suspension", "X", DAY, "score 2.40", POLICY, "李")
    log.record_status("reinstatement", "X", DAY + dt.timedelta(days=180), "period", POLICY, "李")
    assert [(s.kind, s.on) for s in log.status()] == [("suspension", DAY),
                                                       ("reinstatement", DAY + dt.timedelta(days=180))]
    assert log.store.verify().ok


def _rows(url: str) -> list[list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        rows = [sorted(tuple(r) for r in c.execute(sa.select(t))) for t in (assignment_table, finding_table)]
    engine.dispose()
    return rows
