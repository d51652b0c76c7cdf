"""A dossier finding that came from an expert's: its penalty decision, re-inspection or withdrawal records the
expert registry's outcome in the same transaction, once, and the expert's score moves as the policy says; a link
to no expert finding, or to one about another enterprise, is refused with nothing written. On SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from safety_rules import NotFoundError, Rulebook
from safety_rules.dossier._store import Dossier
from safety_rules.experts._evaluation_log import Evaluation
from safety_rules.experts._records import OUTCOMES, ExpertFinding, FindingOutcome, RegistryLog, finding_table
from safety_rules.experts._registry import Expert, load_policy
from safety_rules.experts._scores import expert_scores
from safety_rules.shared._errors import DossierError, RegistryLogError

from ..conftest import EXAMPLES, ROOT
from .conftest import OFFICER_DUMP, OFFICERS, WOOD, inspection
from .test_store import SIGNS, ZONE20, _read_tables_equal_the_fold

DAY = dt.date(2024, 9, 20)
POLICY = load_policy(ROOT / "experts" / "policy.yaml", DAY)
EXPERT = Expert.model_validate({"id": "X", "name": "甲", "home_county": "甲县",
                                "industries": [{"industry": "dust", "level": 2}]})


def _registry(dossier: Dossier) -> RegistryLog:
    """The registry in the dossier's own store, with expert X's findings on case A (EF-1, EF-2)."""
    registry = RegistryLog(store=dossier.store)
    registry.record_outcomes([ExpertFinding(finding_id=f"EF-{k}", case_id="A", expert_id="X", enterprise_id=WOOD,
                                            case_date=DAY, rule_id=rule, description="会商意见", recorded_by="李")
                              for k, rule in ((1, ZONE20), (2, SIGNS))])
    return registry


def _inspect(dossier: Dossier, book: Rulebook, links: dict[str, str]) -> dict[str, str]:
    """The wood-products example inspected with ``links``; rule id → dossier finding id."""
    enterprise = book.load_enterprise(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
    written = dossier.inspect(enterprise, inspection_id="I1", team="涉尘组", officers=OFFICERS, date=DAY,
                              campaign="C1", expert_findings=links)
    return {e.payload["rule_id"]: e.payload["finding_id"] for e in written if e.kind == "finding"}


def _outcomes(dossier: Dossier) -> list[dict[str, Any]]:
    return [e.payload for e in dossier.store.events(stream=OUTCOMES, kind="outcome")]


def _decide(finding: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(WOOD, kind, {"case_id": "K1", "date": "2024-09-27", **extra}) for kind, extra in (
        ("case.opened", {"finding_ids": [finding], "tier": "first_instance"}),
        ("case.investigated", {"officers": OFFICER_DUMP}),
        ("case.notified", {"hearing_offered": False}),
        ("case.decided", {"number": "临应急罚〔2024〕17号", "fine": 30000}))]


def _score(registry: RegistryLog, on: dt.date = DAY) -> tuple[float, float]:
    """X's score as of ``on``, and the score of the evaluation of case A: three evaluations of 4 / 2 / adopted
    (3.25 each by timeliness 1, quality 2, adopted 1), all of cases dated DAY, so each weighs 1 on DAY."""
    evaluations = [Evaluation(case_id=c, expert_id="X", enterprise_id=WOOD, case_date=DAY, timeliness=4, quality=2,
                              advice_adopted=True, recorded_by="李") for c in "ABC"]
    s = expert_scores([EXPERT], evaluations, POLICY, on=on, confirmations=registry.confirmations(on=on))["X"]
    return s.score, next(x.score for x in s.counted if x.case_id == "A")


def _by_hand(on: dt.date, case_a: float) -> float:
    """X's score worked out by hand: the prior (3.5, weight 3) and the three evaluations, each (case date DAY)
    weighing w = 0.5 ** (age / 730) on ``on``: case A scoring ``case_a``, B and C 3.25."""
    w = 0.5 ** ((on - DAY).days / 730)
    return (3 * 3.5 + w * (case_a + 2 * 3.25)) / (3 + 3 * w)


def test_a_penalty_decision_confirms_the_expert_finding_once(dossier: Dossier, book: Rulebook) -> None:
    registry = _registry(dossier)
    assert _score(registry) == (pytest.approx((3 * 3.5 + 3 * 3.25) / 6, abs=1e-4), 3.25)
    findings = _inspect(dossier, book, {ZONE20: "EF-1"})
    assert dossier.finding(findings[ZONE20]).issued.expert_finding_id == "EF-1"  # type: ignore[union-attr]
    assert _outcomes(dossier) == []  # a finding is not an outcome
    dossier.record([(WOOD, "finding.ordered", {"finding_id": findings[ZONE20], "date": "2024-09-27", "days": 3})])
    written = dossier.record(_decide(findings[ZONE20]))
    decided, outcome = written[-2:]
    assert (decided.kind, outcome.stream, outcome.kind) == ("case.decided", OUTCOMES, "outcome")
    assert outcome.payload == {"finding_id": "EF-1", "confirmed": True, "by": "penalty-decision",
                               "decided_on": "2024-09-27", "reference": "临应急罚〔2024〕17号",
                               "source": f"dossier/{WOOD}#{decided.seq}", "recorded_by": "dossier"}
    assert _score(registry) == (pytest.approx((3 * 3.5 + 3 * 3.25) / 6, abs=1e-4), 3.25)  # dated after DAY
    # confirmed part 5 weighing 2 beside 4, 2 × 2 and 5: (13 + 10) / 6
    on = dt.date(2024, 9, 27)
    score, case_a = _score(registry, on)
    assert case_a == pytest.approx(23 / 6, abs=1e-4)
    assert score == pytest.approx(_by_hand(on, 23 / 6), abs=1e-4)
    assert dossier.verify().ok

    # a re-inspection of the finding settles nothing more, and needs its document's number
    reinspection = {"finding_id": findings[ZONE20], "date": "2024-10-08", "result": "pass", "officers": OFFICER_DUMP}
    with pytest.raises(DossierError, match=r"expert finding EF-1.*document_no"):
        dossier.record([(WOOD, "finding.reinspected", reinspection)])
    dossier.record([(WOOD, "finding.reinspected", {**reinspection, "document_no": "临应急复查〔2024〕9号"})])
    dossier.rebuild()
    registry.rebuild_indexes()
    assert [o["finding_id"] for o in _outcomes(dossier)] == ["EF-1"]
    _read_tables_equal_the_fold(dossier)
    t = finding_table.c
    with dossier.store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.finding_id, t.confirmed).order_by(t.finding_id)).all()
    assert [tuple(r) for r in rows] == [("EF-1", "true"), ("EF-2", None)]


def test_a_withdrawn_finding_is_not_confirmed_and_a_reinspection_confirms(dossier: Dossier, book: Rulebook) -> None:
    registry = _registry(dossier)
    findings = _inspect(dossier, book, {SIGNS: "EF-2", ZONE20: "EF-1"})
    signs, zone20 = findings[SIGNS], findings[ZONE20]
    written = dossier.record([
        (WOOD, "finding.withdrawn", {"finding_id": signs, "date": "2024-10-10", "by": "review",
                                     "decision_no": "临政复决〔2024〕3号"}),
        (WOOD, "finding.ordered", {"finding_id": zone20, "date": "2024-09-20", "days": 3}),
        (WOOD, "finding.reinspected", {"finding_id": zone20, "date": "2024-09-23", "result": "fail", "days": 5,
                                       "case_id": "K2", "officers": OFFICER_DUMP, "document_no": "复查〔2024〕1号"}),
    ])
    assert [(e.stream, e.kind) for e in written][-2:] == [(OUTCOMES, "outcome")] * 2
    assert [(o["finding_id"], o["confirmed"], o["by"], o["reference"], o["source"]) for o in _outcomes(dossier)] == [
        ("EF-2", False, "withdrawal", "临政复决〔2024〕3号", f"dossier/{WOOD}#{written[0].seq}"),
        ("EF-1", True, "re-inspection", "复查〔2024〕1号", f"dossier/{WOOD}#{written[2].seq}")]
    # one of two decided findings confirmed: 1 + 4 × 1/2 = 3, weighing 2: (13 + 6) / 6
    assert _score(registry, dt.date(2024, 10, 10))[1] == pytest.approx(19 / 6, abs=1e-4)
    assert _score(registry, dt.date(2024, 10, 9))[1] == pytest.approx(23 / 6, abs=1e-4)  # the withdrawal not yet


def test_a_withdrawal_after_the_decision_corrects_the_outcome_and_the_score(dossier: Dossier, book: Rulebook) -> None:
    registry = _registry(dossier)
    zone20 = _inspect(dossier, book, {ZONE20: "EF-1"})[ZONE20]
    dossier.record([(WOOD, "finding.ordered", {"finding_id": zone20, "date": "2024-09-27", "days": 3})])
    decided = dossier.record(_decide(zone20))[-2]
    withdrawn_on = dt.date(2024, 11, 8)
    written = dossier.record([(WOOD, "finding.withdrawn", {"finding_id": zone20, "date": withdrawn_on.isoformat(),
                                                           "by": "court", "decision_no": "临行初〔2024〕5号"})])
    assert [(e.stream, e.kind) for e in written] == [(f"dossier/{WOOD}", "finding.withdrawn"), (OUTCOMES, "outcome")]
    assert [(o["by"], o["confirmed"], o.get("corrects"), o["source"]) for o in _outcomes(dossier)] == [
        ("penalty-decision", True, None, f"dossier/{WOOD}#{decided.seq}"),
        ("withdrawal", False, "penalty-decision", f"dossier/{WOOD}#{written[0].seq}")]

    # case A's confirmed part (weight 2 beside 4, 2 × 2 and 5) is 5 while the decision stands, 1 once withdrawn
    between = withdrawn_on - dt.timedelta(days=1)
    assert _score(registry, between) == (pytest.approx(_by_hand(between, 23 / 6), abs=1e-4),
                                         pytest.approx(23 / 6, abs=1e-4))
    assert _score(registry, withdrawn_on) == (pytest.approx(_by_hand(withdrawn_on, 15 / 6), abs=1e-4),
                                              pytest.approx(15 / 6, abs=1e-4))
    assert _by_hand(withdrawn_on, 15 / 6) < _by_hand(withdrawn_on, 23 / 6)

    # nothing more: rebuilding, replaying and re-verifying append no outcome
    head = dossier.store.head()
    dossier.rebuild()
    registry.rebuild_indexes()
    dossier.replay()
    assert dossier.store.head() == head and len(_outcomes(dossier)) == 2
    assert dossier.verify().ok
    _read_tables_equal_the_fold(dossier)
    with dossier.store.engine.connect() as conn:
        assert conn.execute(sa.select(finding_table.c.confirmed).where(finding_table.c.finding_id == "EF-1")
                            ).scalar() == "false"


def test_a_withdrawal_dated_before_the_outcome_it_would_correct_is_refused(dossier: Dossier, book: Rulebook) -> None:
    """The expert finding's outcome recorded in the registry directly (a re-inspection of 8 October): the dossier
    finding's withdrawal dated 1 October cannot correct it, and the whole batch is refused."""
    registry = _registry(dossier)
    signs = _inspect(dossier, book, {SIGNS: "EF-2"})[SIGNS]
    registry.record_outcomes(outcomes=[FindingOutcome(
        finding_id="EF-2", confirmed=True, by="re-inspection", decided_on=dt.date(2024, 10, 8),
        reference="复查〔2024〕2号", recorded_by="李")])
    head = dossier.store.head()
    with pytest.raises(RegistryLogError, match=r"EF-2 already has an outcome, re-inspection of 2024-10-08 .*"
                                               r"withdrawal of 2024-10-01 .*dated before the outcome it corrects"):
        dossier.record([(WOOD, "finding.withdrawn", {"finding_id": signs, "date": "2024-10-01", "by": "review",
                                                     "decision_no": "临政复决〔2024〕4号"})])
    assert dossier.store.head() == head


def test_a_link_to_no_expert_finding_is_refused_with_nothing_written(dossier: Dossier, book: Rulebook) -> None:
    _registry(dossier)
    head = dossier.head()
    with pytest.raises(NotFoundError, match=r"no expert finding 'EF-01' is on record .*\(did you mean 'EF-1'\?\)"):
        _inspect(dossier, book, {ZONE20: "EF-01"})
    with pytest.raises(NotFoundError, match=r"finds nothing under rule 'dust.zone20-electric'.*did you mean "
                                            r"'dust.zone20-electrics'"):
        _inspect(dossier, book, {"dust.zone20-electric": "EF-1"})
    assert dossier.head() == head
    RegistryLog(store=dossier.store).record_outcomes([ExpertFinding(
        finding_id="EF-3", case_id="B", expert_id="X", enterprise_id="LY-DUST-011", case_date=DAY,
        description="会商意见", recorded_by="李")])
    head = dossier.head()
    with pytest.raises(DossierError, match=f"in the dossier of {WOOD}; expert finding EF-3 is about LY-DUST-011"):
        _inspect(dossier, book, {ZONE20: "EF-3"})
    assert dossier.head() == head and dossier.enterprises() == []


def test_a_bad_link_in_an_event_file_names_its_line(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book)
    _e, _k, first = next(x for x in events if x[1] == "finding")
    first["expert_finding_id"] = "EF-9"
    where = [("events.jsonl", n) for n in range(1, len(events) + 1)]
    with pytest.raises(NotFoundError, match="no expert finding 'EF-9'") as refused:
        dossier.record(events, where=where)
    assert (refused.value.path, refused.value.line) == ("events.jsonl", 2)
    assert dossier.head()[0] == 0
