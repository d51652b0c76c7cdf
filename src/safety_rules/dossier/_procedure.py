"""The closed loop as the law defines it: a state machine per finding, per penalty case and per
enterprise, applied event by event.

:class:`Procedure` applies one event to a :class:`World` (the read tables inside an append's
transaction, or plain dicts when a report folds the events in memory) and refuses what the law
forbids with a :class:`RefusedTransition` naming the provision. The same code runs in both
places, so the read tables and a replay of the events always agree.

``docs/dossier.md`` draws the states and lists each refusal with its provision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel

from ..law._catalog import LawCatalog, Sanction, Tier
from ..shared._errors import DossierError, NotFoundError, RefusedTransition
from ._deadlines import Deadline, DeadlineTable, later
from ._model import (
    OPEN_FINDING,
    CaseClosed,
    CaseOpened,
    CaseRecord,
    CaseStep,
    Claimed,
    Closed,
    Corrected,
    DailyPenalty,
    Decided,
    Delivered,
    Demanded,
    Discussed,
    EnforcementApplied,
    EnterpriseRecord,
    EvidenceAdded,
    EvidenceRecord,
    Extended,
    ExtensionRequested,
    FindingIssued,
    FindingRecord,
    FindingStep,
    HearingHeld,
    HearingRequested,
    HearingScheduled,
    Inspection,
    InspectionRecord,
    Investigated,
    Notified,
    NotPenalised,
    Ordered,
    Paid,
    Refused,
    Reinspected,
    Reviewed,
    Suspended,
    Withdrawn,
)

WSL = "work-safety-law"
APL = "administrative-penalty-law"
ACL = "administrative-coercion-law"
SURCHARGE_RATE = 0.03  # 行政处罚法 第七十二条第一款第一项 (2021) / 第五十一条 (before): 3 % a day


class World(Protocol):
    """Where the states live: loaded on demand, written back when changed."""

    def get(self, kind: type[BaseModel], key: str) -> Any: ...

    def put(self, record: BaseModel) -> None: ...


def record_key(record: BaseModel) -> tuple[type[BaseModel], str]:
    if isinstance(record, FindingRecord):
        return FindingRecord, record.finding_id
    if isinstance(record, CaseRecord):
        return CaseRecord, record.case_id
    if isinstance(record, EnterpriseRecord):
        return EnterpriseRecord, record.enterprise_id
    if isinstance(record, InspectionRecord):
        return InspectionRecord, record.inspection.inspection_id
    if isinstance(record, EvidenceRecord):
        return EvidenceRecord, record.evidence.sha256
    raise TypeError(type(record).__name__)


class Procedure:
    """Applies events to a world, refusing what the law forbids."""

    def __init__(self, law: LawCatalog, deadlines: DeadlineTable) -> None:
        self.law = law
        self.deadlines = deadlines
        self._steps: dict[str, Callable[[World, str, Any, int], None]] = {
            "inspection": self._inspection, "finding": self._finding, "evidence": self._evidence,
            "finding.corrected": self._corrected, "finding.closed": self._closed, "finding.ordered": self._ordered,
            "finding.extension-requested": self._extension_requested, "finding.extended": self._extended,
            "finding.claimed": self._claimed, "finding.reinspected": self._reinspected,
            "finding.suspended": self._suspended, "finding.refused": self._refused,
            "finding.withdrawn": self._withdrawn,
            "case.opened": self._case_opened, "case.investigated": self._investigated,
            "case.notified": self._notified, "case.hearing-requested": self._hearing_requested,
            "case.hearing-scheduled": self._hearing_scheduled, "case.hearing-held": self._hearing_held,
            "case.reviewed": self._reviewed, "case.discussed": self._discussed, "case.decided": self._decided,
            "case.not-penalised": self._not_penalised, "case.delivered": self._delivered, "case.paid": self._paid,
            "case.demanded": self._demanded, "case.enforcement-applied": self._enforcement_applied,
            "case.daily-penalty": self._daily_penalty, "case.closed": self._case_closed,
        }

    # ------------------------------------------------------------------ helpers
    def cited(self, document: str, provision: str, day: dt.date) -> tuple[str, bool]:
        """A provision as printed on ``day``, and whether it was checked against a text; the document's title
        (unchecked) if the provision is not in force."""
        resolved = self.law.resolve(document, provision, day, "basis")
        if resolved is None:
            return f"《{self.law.documents[document].title}》 ({provision}: not in force on {day.isoformat()})", False
        return resolved.text, resolved.source_checked

    def cite(self, document: str, provision: str, day: dt.date) -> str:
        """:meth:`cited` as one text, flagged ``[未核实]`` when unchecked."""
        text, checked = self.cited(document, provision, day)
        return text if checked else f"{text} [未核实]"

    def apply(self, world: World, enterprise_id: str, kind: str, payload: Any, seq: int = 0) -> None:
        step = self._steps.get(kind)
        if step is None:
            raise DossierError(f"unknown dossier event kind {kind!r}")
        self._in_order(world, enterprise_id, kind, payload)
        step(world, enterprise_id, payload, seq)

    # Steps whose date before the step they follow is what the law forbids, not only a slip.
    _ORDER_PROVISIONS: dict[str, tuple[str, ...]] = {
        "case.decided": ("no-decision-without-notice",),
        "case.hearing-scheduled": ("hearing-right", "hearing-notice-period"),
    }

    def _in_order(self, world: World, enterprise_id: str, kind: str, p: Any) -> None:
        """A step of a finding or case is not dated before the latest step already recorded for it."""
        record: FindingRecord | CaseRecord | None
        if isinstance(p, FindingStep):
            record = world.get(FindingRecord, p.finding_id)
        elif isinstance(p, CaseStep) and kind != "case.opened":
            record = world.get(CaseRecord, p.case_id)
        else:
            return
        if record is None or record.enterprise_id != enterprise_id:
            return  # the step itself says it is unknown
        last, name = record.last_step
        if p.date >= last:
            return
        what = f"finding {record.finding_id}" if isinstance(record, FindingRecord) else f"case {record.case_id}"
        message = (f"{kind} of {what} is dated {p.date.isoformat()}, before its {name} on {last.isoformat()}: "
                   "a step follows the steps before it")
        provisions = self._ORDER_PROVISIONS.get(kind)
        if provisions:
            raise RefusedTransition(message, provision="; ".join(self.cite(APL, x, p.date) for x in provisions))
        raise DossierError(message)

    @staticmethod
    def _finding_of(world: World, enterprise_id: str, finding_id: str) -> FindingRecord:
        f: FindingRecord | None = world.get(FindingRecord, finding_id)
        if f is None or f.enterprise_id != enterprise_id:
            raise NotFoundError(f"no finding {finding_id!r} in the dossier of {enterprise_id}", finding=finding_id)
        return f

    @staticmethod
    def _case_of(world: World, enterprise_id: str, case_id: str) -> CaseRecord:
        c: CaseRecord | None = world.get(CaseRecord, case_id)
        if c is None or c.enterprise_id != enterprise_id:
            raise NotFoundError(f"no case {case_id!r} in the dossier of {enterprise_id}", case=case_id)
        return c

    def _require(self, record: FindingRecord | CaseRecord, allowed: set[str], step: str, provision: str) -> None:
        if record.state not in allowed:
            what = f"finding {record.finding_id}" if isinstance(record, FindingRecord) else f"case {record.case_id}"
            raise RefusedTransition(f"{what} is {record.state}: {step} is allowed only when it is "
                                    f"{' or '.join(sorted(allowed))}", provision=provision)

    @staticmethod
    def _not_before(record_date: dt.date | None, day: dt.date, what: str) -> None:
        if record_date is not None and day < record_date:
            raise DossierError(f"{what} on {day.isoformat()} is dated before the step it follows "
                               f"({record_date.isoformat()})")

    def _enterprise_touched(self, world: World, enterprise_id: str, day: dt.date,
                            record: FindingRecord | CaseRecord) -> None:
        """Keep the enterprise's lists of what is open up to date with ``record``'s new state: 销号 when every
        finding is closed or withdrawn and every case 结案; reopened by anything open."""
        e: EnterpriseRecord = world.get(EnterpriseRecord, enterprise_id)
        if isinstance(record, FindingRecord):
            opened, key, is_open = e.open_findings, record.finding_id, record.state in OPEN_FINDING
        else:
            opened, key, is_open = e.open_cases, record.case_id, record.state != "closed"
        if is_open and key not in opened:
            opened.append(key)
        elif not is_open and key in opened:
            opened.remove(key)
        done = not e.open_findings and not e.open_cases
        if done and e.state == "open" and e.findings:
            e.state, e.closed_on = "closed", day
        elif not done and e.state == "closed":
            e.state, e.closed_on, e.reopened = "open", None, e.reopened + 1
        world.put(e)

    # ------------------------------------------------------------------ inspection and findings
    def _inspection(self, world: World, enterprise_id: str, p: Inspection, _seq: int) -> None:
        if p.enterprise.id != enterprise_id:
            raise DossierError(f"inspection {p.inspection_id} is of {p.enterprise.id}, recorded in the dossier of "
                               f"{enterprise_id}")
        if world.get(InspectionRecord, p.inspection_id) is not None:
            raise DossierError(f"inspection {p.inspection_id} is already recorded")
        certified = {o.certificate for o in p.officers}
        if len(p.officers) < 2 or len(certified) < 2:
            raise RefusedTransition(f"inspection {p.inspection_id} has {len(certified)} officer(s) with a certificate "
                                    "number; an inspection needs at least two", provision=self._two_officers(p.date))
        world.put(InspectionRecord(inspection=p, enterprise_id=enterprise_id))
        e: EnterpriseRecord | None = world.get(EnterpriseRecord, enterprise_id)
        if e is None:
            e = EnterpriseRecord(enterprise_id=enterprise_id, name=p.enterprise.name, county=p.county or
                                 p.enterprise.county, industries=list(p.enterprise.industries))
        world.put(e)

    def _two_officers(self, day: dt.date) -> str:
        return self.cite(APL, "two-officers", day)

    def _finding(self, world: World, enterprise_id: str, p: FindingIssued, _seq: int) -> None:
        inspection: InspectionRecord | None = world.get(InspectionRecord, p.inspection_id)
        if inspection is None or inspection.enterprise_id != enterprise_id:
            raise NotFoundError(f"finding {p.finding_id}: no inspection {p.inspection_id!r} of {enterprise_id}")
        if world.get(FindingRecord, p.finding_id) is not None:
            raise DossierError(f"finding {p.finding_id} is already recorded")
        e: EnterpriseRecord = world.get(EnterpriseRecord, enterprise_id)
        latest = e.latest_by_rule.get(p.rule_id)
        if latest is None or p.date > latest[1]:
            e.latest_by_rule[p.rule_id] = (p.finding_id, p.date)
        i = inspection.inspection
        finding = FindingRecord(
            finding_id=p.finding_id, enterprise_id=enterprise_id, inspection_id=p.inspection_id,
            campaign=i.campaign, team=i.team, county=i.county or i.enterprise.county, officer=i.officers[0].name,
            issued=p, repeat_of=latest[0] if latest else None)
        world.put(finding)
        inspection.findings.append(p.finding_id)
        world.put(inspection)
        e.findings.append(p.finding_id)
        world.put(e)
        self._enterprise_touched(world, enterprise_id, p.date, finding)

    def _evidence(self, world: World, enterprise_id: str, p: EvidenceAdded, seq: int) -> None:
        if world.get(EvidenceRecord, p.sha256) is not None:
            raise DossierError(f"evidence {p.sha256[:12]}… is already recorded")
        for fid in p.finding_ids:
            f = self._finding_of(world, enterprise_id, fid)
            f.evidence.append(p.sha256)
            world.put(f)
        world.put(EvidenceRecord(evidence=p, enterprise_id=enterprise_id, seq=seq))

    # ------------------------------------------------------------------ finding steps
    def _measure(self, day: dt.date) -> str:
        """责令立即排除 / 撤出作业人员、暂时停产停业 (安全生产法 第六十五条第一款第三项)."""
        return self.cite(WSL, "measure-major-hazard-withdrawal", day)

    def _corrected(self, world: World, eid: str, p: Corrected, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        self._require(f, {"found"}, "correction on the spot", self._measure(p.date))
        f.state, f.closed_on = "corrected", None
        world.put(f)

    def _closed(self, world: World, eid: str, p: Closed, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        if f.state != "corrected":
            raise RefusedTransition(
                f"finding {f.finding_id} is {f.state} and was never re-inspected: only a finding corrected on the "
                "spot is closed without a re-inspection (复查); record finding.reinspected",
                provision=self._reinspection_basis(f, p.date))
        f.state, f.closed_on = "closed", p.date
        world.put(f)
        self._enterprise_touched(world, eid, p.date, f)

    def _reinspection_basis(self, f: FindingRecord, day: dt.date) -> str:
        spec, datum, text, checked = self.deadlines.period_on("reinspection", day)
        basis = text if checked else f"{text} [未核实]"
        if f.issued.severity == "major_hazard":
            basis = f"{self._measure(day)}; {basis}"
        return basis

    def _ordered(self, world: World, eid: str, p: Ordered, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        order = self.order_basis(f)
        self._require(f, {"found"}, "an order to rectify", order)
        rule_days = f.issued.rectification.get("deadline")
        days = p.days if p.days is not None else (0 if rule_days == "immediate" else int(rule_days or 0))
        f.state, f.ordered_on, f.deadline_days = "ordered", p.date, days
        f.deadline = p.date + dt.timedelta(days=days)
        world.put(f)

    def order_basis(self, f: FindingRecord) -> str:
        """The order to rectify as the finding's penalty provision gives it (责令限期改正 …)."""
        penalty = f.penalty
        first = self._tier(f, "first_instance")
        order = first.order if first and first.order else "责令限期改正"
        return f"{penalty.text}（{order}）" if penalty else order

    def _extension_requested(self, world: World, eid: str, p: ExtensionRequested, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        self._require(f, {"ordered"}, "an extension request", self.deadlines.period_on("extension-request", p.date)[2])
        assert f.deadline is not None
        latest = self.deadlines.deadline("extension-request", f.deadline)
        if p.date > latest.due:
            f.flags.append(f"延期申请 {p.date.isoformat()} 晚于 {latest.due.isoformat()}（{latest.basis}）")
        f.extension_requested_on = p.date
        world.put(f)

    def _extended(self, world: World, eid: str, p: Extended, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        _spec, _period, text, checked = self.deadlines.period_on("extension-reply", p.date)
        basis = text if checked else f"{text} [未核实]"
        self._require(f, {"ordered"}, "an extension", basis)
        if f.extension_requested_on is None:
            raise RefusedTransition(f"finding {f.finding_id}: an extension is granted on the enterprise's written "
                                    "request; none is recorded", provision=basis)
        assert f.deadline is not None
        # "later of": an approved date before the current deadline never shortens it
        f.deadline = max(f.deadline, p.until)
        f.extension_requested_on = None
        world.put(f)

    def _claimed(self, world: World, eid: str, p: Claimed, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        self._require(f, {"ordered", "suspended", "refused"}, "a rectification claim", self.order_basis(f))
        unknown = [h for h in p.evidence if world.get(EvidenceRecord, h) is None]
        if unknown:
            raise NotFoundError(f"finding {f.finding_id}: the claim names evidence not recorded: {unknown[0][:12]}…; "
                                "add it first (safety-rules dossier evidence add)")
        f.claimed_on = p.date
        f.state = "claimed" if f.state != "suspended" else "suspended"
        f.evidence += [h for h in p.evidence if h not in f.evidence]
        world.put(f)

    def _reinspected(self, world: World, eid: str, p: Reinspected, seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        self._require(f, {"ordered", "claimed", "suspended", "refused"}, "a re-inspection",
                      self._reinspection_basis(f, p.date))
        if len({o.certificate for o in p.officers}) < 2:
            raise RefusedTransition(f"re-inspection of {f.finding_id} by fewer than two certified officers",
                                    provision=self._two_officers(p.date))
        if f.issued.expert_finding_id is not None and p.document_no is None:
            raise DossierError(f"finding {f.finding_id} came from expert finding {f.issued.expert_finding_id}: its "
                               "re-inspection settles that finding in the expert registry, which cites the "
                               "整改复查意见书; give its number (document_no)")
        f.reinspections.append({"date": p.date.isoformat(), "result": p.result,
                                "officers": [o.name for o in p.officers]})
        if p.result == "pass":
            if f.state == "suspended" and f.claimed_on is None:
                raise RefusedTransition(f"finding {f.finding_id} is suspended: production resumes only on the "
                                        "enterprise's written request and the authority's review (审查同意)",
                                        provision=self.cite(WSL, "measure-major-hazard-withdrawal", p.date))
            f.resumption_approved = f.state == "suspended"
            f.state, f.closed_on = "closed", p.date
            world.put(f)
            self._enterprise_touched(world, eid, p.date, f)
            return
        # fail, or the deadline passed unrectified: ordered again, and the tier moves up
        overdue = self._tier(f, "overdue") or self._tier(f, "refused")
        days = p.days if p.days is not None else (f.deadline_days or 0)
        f.state = "suspended" if f.state == "suspended" else "ordered"
        f.ordered_on, f.claimed_on = p.date, None
        f.deadline = p.date + dt.timedelta(days=days)
        f.deadline_days = days
        if overdue is not None:
            f.tier = overdue.trigger
        world.put(f)
        needs_case = overdue is not None and (overdue.fine_yuan is not None or overdue.suspension
                                              or bool(overdue.individuals))
        if needs_case and p.case_id is None:
            raise RefusedTransition(
                f"finding {f.finding_id} failed its re-inspection: its sanction's "
                f"{'逾期未改正' if overdue and overdue.trigger == 'overdue' else '拒不执行'} tier applies; "
                "give the case "
                "opened for it (case_id)", provision=self._penalty_text(f))
        if p.case_id is not None:
            if overdue is None:
                raise RefusedTransition(f"finding {f.finding_id}: its sanction has no 逾期未改正 or 拒不执行 tier to "
                                        "open a case at", provision=self._penalty_text(f))
            self._case_opened(world, eid, CaseOpened(case_id=p.case_id, date=p.date, finding_ids=[f.finding_id],
                                                     tier=overdue.trigger), seq)

    def _suspended(self, world: World, eid: str, p: Suspended, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        measure = self.cite(WSL, "measure-major-hazard-withdrawal", p.date)
        if f.issued.severity != "major_hazard":
            raise RefusedTransition(f"finding {f.finding_id} is not a major accident hazard: "
                                    "撤出作业人员、暂时停产停业 "
                                    "is the measure for a major hazard that cannot be made safe", provision=measure)
        self._require(f, {"found", "ordered"}, "a suspension", measure)
        f.state, f.suspended_on, f.claimed_on = "suspended", p.date, None
        world.put(f)

    def _refused(self, world: World, eid: str, p: Refused, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        self._require(f, {"ordered", "suspended"}, "a refusal", self.order_basis(f))
        f.state, f.refused_on = "refused", p.date
        refused = self._tier(f, "refused")
        if refused is not None:
            f.tier = "refused"
        measures = []
        if refused is not None and refused.suspension:
            measures.append(f"责令停产停业整顿（{self._penalty_text(f)}）")
        if f.issued.severity == "major_hazard":
            if p.real_danger:
                measures.append(f"停止供电、停止供应民用爆炸物品（提前二十四小时书面通知，紧急情形除外）："
                                f"{self.cite(WSL, 'measure-stop-power-supply', p.date)}")
            crime = self.law.resolve("criminal-law", "dangerous-operations-crime", p.date, "basis")
            if crime is not None and p.real_danger:
                f.referral = f"{crime.text}（二）"
        f.measures = measures
        world.put(f)

    def _withdrawn(self, world: World, eid: str, p: Withdrawn, _seq: int) -> None:
        f = self._finding_of(world, eid, p.finding_id)
        if f.state == "withdrawn":
            raise DossierError(f"finding {f.finding_id} is already withdrawn")
        f.state, f.withdrawn_on = "withdrawn", p.date
        world.put(f)
        self._enterprise_touched(world, eid, p.date, f)

    # ------------------------------------------------------------------ sanction tiers
    @staticmethod
    def _tier(f: FindingRecord, trigger: str) -> Tier | None:
        if f.issued.sanction is None:
            return None
        return Sanction.model_validate(f.issued.sanction).tier(trigger)  # type: ignore[arg-type]

    @staticmethod
    def _penalty_text(f: FindingRecord) -> str:
        penalty = f.penalty
        return penalty.text if penalty else f"{f.issued.rule_id}: no penalty provision cited"

    # ------------------------------------------------------------------ cases
    def _case_opened(self, world: World, eid: str, p: CaseOpened, _seq: int) -> None:
        if world.get(CaseRecord, p.case_id) is not None:
            raise DossierError(f"case {p.case_id} is already recorded")
        findings = [self._finding_of(world, eid, fid) for fid in p.finding_ids]
        for f in findings:
            text = self._penalty_text(f)
            if f.state == "withdrawn":
                raise RefusedTransition(f"finding {f.finding_id} is withdrawn", provision=text)
            if self._tier(f, p.tier) is None:
                raise RefusedTransition(f"finding {f.finding_id}: its sanction has no {p.tier!r} tier", provision=text)
            if p.tier != f.tier:
                raise RefusedTransition(f"finding {f.finding_id} is at the {f.tier!r} tier (selected by its "
                                        f"re-inspection), not {p.tier!r}", provision=text)
            for other in (world.get(CaseRecord, c) for c in f.cases):
                if other.tier == p.tier and other.state not in ("not_penalised",):
                    raise RefusedTransition(f"finding {f.finding_id} already has case {other.case_id} at the "
                                            f"{p.tier!r} tier: no second fine for the same act",
                                            provision=self.cite(APL, "no-second-fine", p.date))
        first = findings[0]
        severity = "major_hazard" if any(f.issued.severity == "major_hazard" for f in findings) else "violation"
        case = CaseRecord(case_id=p.case_id, enterprise_id=eid, campaign=first.campaign, team=first.team,
                          county=first.county, officer=first.officer, finding_ids=list(p.finding_ids), tier=p.tier,
                          edition=first.edition, severity=severity, opened_on=p.date)
        for f in findings:
            f.cases.append(p.case_id)
            world.put(f)
        world.put(case)
        e: EnterpriseRecord = world.get(EnterpriseRecord, eid)
        e.cases.append(p.case_id)
        world.put(e)
        self._enterprise_touched(world, eid, p.date, case)

    def _investigated(self, world: World, eid: str, p: Investigated, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"opened"}, "the investigation (调查取证)", self.cite(APL, "two-officers", p.date))
        if len({o.certificate for o in p.officers}) < 2:
            raise RefusedTransition(f"case {c.case_id}: investigated by fewer than two certified officers",
                                    provision=self._two_officers(p.date))
        c.state, c.investigated_on = "investigated", p.date
        world.put(c)

    def _notified(self, world: World, eid: str, p: Notified, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"investigated"}, "the notice (告知)", self.cite(APL, "notice-before-decision", p.date))
        if not p.hearing_offered and self._case_suspends(world, c):
            raise RefusedTransition(f"case {c.case_id} proposes 责令停产停业: the notice must offer a hearing (听证)",
                                    provision=self.cite(APL, "hearing-right", p.date))
        c.state, c.notified_on, c.hearing_offered = "notified", p.date, p.hearing_offered
        world.put(c)

    def _case_suspends(self, world: World, c: CaseRecord) -> bool:
        return any((t := self._tier(world.get(FindingRecord, fid), c.tier)) is not None and t.suspension
                   for fid in c.finding_ids)

    def _hearing_requested(self, world: World, eid: str, p: HearingRequested, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"notified"}, "a hearing request", self.cite(APL, "hearing-right", p.date))
        assert c.notified_on is not None
        c.hearing_late = p.date > self.deadlines.deadline("hearing-request", c.notified_on).due
        c.state, c.hearing_requested_on = "hearing_requested", p.date
        world.put(c)

    def _hearing_scheduled(self, world: World, eid: str, p: HearingScheduled, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"hearing_requested"}, "scheduling a hearing", self.cite(APL, "hearing-notice-period", p.date))
        latest = self.deadlines.deadline("hearing-notice", p.hearing_on)
        if p.date > latest.due:
            raise RefusedTransition(f"case {c.case_id}: a hearing on {p.hearing_on.isoformat()} must be notified by "
                                    f"{latest.due.isoformat()}; notice served {p.date.isoformat()}",
                                    provision=latest.basis)
        c.state, c.hearing_notified_on, c.hearing_on = "hearing_scheduled", p.date, p.hearing_on
        world.put(c)

    def _hearing_held(self, world: World, eid: str, p: HearingHeld, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"hearing_scheduled"}, "holding the hearing", self.cite(APL, "hearing-right", p.date))
        assert c.hearing_on is not None
        self._not_before(c.hearing_on, p.date, "the hearing")
        c.state, c.hearing_held_on = "hearing_held", p.date
        world.put(c)

    _BEFORE_DECISION = {"notified", "hearing_requested", "hearing_held", "reviewed"}

    def _reviewed(self, world: World, eid: str, p: Reviewed, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, self._BEFORE_DECISION, "the legal review (法制审核)", self.cite(APL, "legal-review", p.date))
        c.state, c.reviewed_on = "reviewed", p.date
        world.put(c)

    def _discussed(self, world: World, eid: str, p: Discussed, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, self._BEFORE_DECISION, "the collective discussion (集体讨论)",
                      self.cite(APL, "collective-discussion", p.date))
        c.discussed_on = p.date
        world.put(c)

    def _decided(self, world: World, eid: str, p: Decided, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        if c.notified_on is None:
            raise RefusedTransition(f"case {c.case_id}: no decision before the party is told of it (告知) and heard",
                                    provision=self.cite(APL, "no-decision-without-notice", p.date))
        if c.state == "hearing_requested" and not c.hearing_late or c.state == "hearing_scheduled":
            raise RefusedTransition(f"case {c.case_id}: the party asked for a hearing in time; hold it before "
                                    "deciding", provision=self.cite(APL, "hearing-right", p.date))
        if c.hearing_held_on is not None and c.reviewed_on is None and \
                self.law.resolve(APL, "legal-review", p.date, "basis") is not None:
            raise RefusedTransition(f"case {c.case_id} went through a hearing: a legal review (法制审核) comes before "
                                    "the decision", provision=self.cite(APL, "legal-review", p.date))
        self._require(c, self._BEFORE_DECISION, "the decision", self.cite(APL, "no-decision-without-notice", p.date))
        self._check_amounts(world, c, p)
        c.state, c.decided_on, c.number, c.fine = "decided", p.date, p.number, p.fine
        c.individual_fines = [x.model_dump() for x in p.individual_fines]
        if p.on_the_spot:
            c.state, c.delivered_on = "delivered", p.date
        world.put(c)

    def _check_amounts(self, world: World, c: CaseRecord, p: Decided) -> None:
        """Each violation's fine inside its finding's selected tier, for the enterprise and for each person. A
        case of several violations gives each one's fine (分别裁量), and they add up to the fine decided."""
        several = len(c.finding_ids) > 1
        if several:
            fines = {x.finding_id: x.amount for x in p.finding_fines}
            if sorted(fines) != sorted(c.finding_ids) or len(fines) != len(p.finding_fines):
                raise DossierError(f"case {c.case_id} is of {len(c.finding_ids)} violations "
                                   f"({', '.join(c.finding_ids)}): give each one's fine once (finding_fines)")
            if sum(fines.values()) != p.fine:
                raise DossierError(f"case {c.case_id}: the violations' fines add up to {sum(fines.values())} yuan, "
                                   f"not the {p.fine} yuan decided")
        else:
            fines = {c.finding_ids[0]: p.fine}
        for fid, amount in fines.items():
            f: FindingRecord = world.get(FindingRecord, fid)
            tier = self._tier(f, c.tier)
            assert tier is not None
            text = f"{self._penalty_text(f)}（{c.tier}）"
            fine = tier.fine_yuan
            if fine is None and amount > 0:
                raise RefusedTransition(f"case {c.case_id}: the {c.tier!r} tier of {fid} sets no fine on the "
                                        f"enterprise; {amount} yuan was decided", provision=text)
            if fine is not None:
                low = 0 if tier.discretionary else fine.min
                if not low <= amount <= fine.max:
                    raise RefusedTransition(f"case {c.case_id}: fine {amount} yuan is outside the {c.tier!r} tier of "
                                            f"{fid} ({low}–{fine.max} yuan)", provision=text)
        for person in p.individual_fines:
            named = person.finding_id or (None if several else c.finding_ids[0])
            if named is None or named not in c.finding_ids:
                raise DossierError(f"case {c.case_id}: the fine on {person.who} names no violation of the case "
                                   f"(finding_id: one of {', '.join(c.finding_ids)})")
            f = world.get(FindingRecord, named)
            tier = self._tier(f, c.tier)
            assert tier is not None
            ranges: dict[str, Any] = {i.who: i.fine_yuan for i in tier.individuals if i.fine_yuan is not None}
            r = ranges.get(person.who)
            if r is None or not r.min <= person.amount <= r.max:
                allowed = f"{r.min}–{r.max} yuan" if r else f"the tier fines {sorted(ranges) or 'no person'}"
                raise RefusedTransition(f"case {c.case_id}: fine {person.amount} yuan on {person.who} is outside "
                                        f"the {c.tier!r} tier of {named} ({allowed})",
                                        provision=f"{self._penalty_text(f)}（{c.tier}）")

    def _not_penalised(self, world: World, eid: str, p: NotPenalised, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"investigated", *self._BEFORE_DECISION}, "a decision not to penalise",
                      self.cite(APL, "no-penalty-minor", p.date))
        c.state, c.not_penalised_on = "not_penalised", p.date
        world.put(c)

    def _delivered(self, world: World, eid: str, p: Delivered, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"decided"}, "delivery (送达)", self.cite(APL, "delivery", p.date))
        c.state, c.delivered_on = "delivered", p.date
        world.put(c)

    def payment_due(self, c: CaseRecord) -> Deadline | None:
        return self.deadlines.deadline("payment", c.delivered_on) if c.delivered_on else None

    def surcharge(self, c: CaseRecord, day: dt.date) -> int:
        """加处罚款 accrued by ``day``: 3 % of the fine a day after the payment deadline, at most the fine."""
        due = self.payment_due(c)
        if due is None or not c.fine or c.paid_on is not None or day <= due.due:
            return 0
        return min(c.fine, round(c.fine * SURCHARGE_RATE * (day - due.due).days))

    def daily_penalty(self, c: CaseRecord, day: dt.date) -> int:
        """按日连续处罚 accrued by ``day`` at the original amount (2021 第一百一十二条)."""
        if c.daily_from is None or not c.fine or day < c.daily_from:
            return 0
        return c.fine * ((day - c.daily_from).days + 1)

    def _paid(self, world: World, eid: str, p: Paid, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"delivered", "demanded", "enforcement_applied"}, "a payment", self.cite(APL, "payment-period",
                                                                                                   p.date))
        owed = (c.fine or 0) + self.surcharge(c, p.date)
        if p.amount < (c.fine or 0):
            raise RefusedTransition(f"case {c.case_id}: {p.amount} yuan paid of a {c.fine} yuan fine "
                                    "(owed with 加处罚款: "
                                    f"{owed}); record the payment when complete", provision=self.cite(APL,
                                                                                                      "payment-period",
                                                                                                      p.date))
        c.state, c.paid_on, c.paid = "paid", p.date, p.amount
        world.put(c)

    def enforcement_window(self, c: CaseRecord) -> tuple[Deadline, Deadline]:
        """(earliest, latest) day to apply to the court: 10 working days after the 催告 is served, and within
        3 months after the later of the review (60 days) and suit (6 months) periods lapses."""
        assert c.delivered_on is not None
        lapse = later(self.deadlines.deadline("review-application", c.delivered_on),
                      self.deadlines.deadline("direct-suit", c.delivered_on))
        latest = self.deadlines.deadline("court-application", lapse.due)
        latest = Deadline(latest.period, latest.label, latest.party, latest.due,
                          f"{latest.provision}; {lapse.provision}", latest.checked and lapse.checked, latest.note)
        start = lapse.due + dt.timedelta(days=1)
        text, checked = self.cited(ACL, "demand-before-court", c.delivered_on)
        checked = checked and lapse.checked
        if c.demanded_on is not None:
            wait = self.deadlines.deadline("court-demand-wait", c.demanded_on)
            start, checked = max(start, wait.due), checked and wait.checked
        earliest = Deadline("court-application-start", "可以申请强制执行（最早）", "authority", start, text, checked)
        return earliest, latest

    def _demanded(self, world: World, eid: str, p: Demanded, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        basis = self.cite(ACL, "demand-before-enforcement", p.date)
        self._require(c, {"delivered"}, "a demand (催告)", basis)
        due = self.payment_due(c)
        assert due is not None
        if p.date <= due.due:
            raise RefusedTransition(f"case {c.case_id}: the fine is due by {due.due.isoformat()}; a demand (催告) "
                                    "follows a party that has not paid in time", provision=f"{basis}; {due.basis}")
        c.state, c.demanded_on = "demanded", p.date
        world.put(c)

    def _enforcement_applied(self, world: World, eid: str, p: EnforcementApplied, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"demanded"}, "an application for court enforcement",
                      self.cite(ACL, "demand-before-court", p.date))
        earliest, latest = self.enforcement_window(c)
        if p.date < earliest.due:
            raise RefusedTransition(f"case {c.case_id}: the court may be asked from {earliest.due.isoformat()} (the "
                                    "review and suit periods lapsed, 10 working days after the 催告 was served)",
                                    provision=f"{earliest.provision}; {latest.provision}")
        if p.date > latest.due:
            raise RefusedTransition(f"case {c.case_id}: the application was due by {latest.due.isoformat()}",
                                    provision=latest.basis)
        c.state, c.enforcement_applied_on = "enforcement_applied", p.date
        world.put(c)

    def _daily_penalty(self, world: World, eid: str, p: DailyPenalty, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        findings = [world.get(FindingRecord, fid) for fid in c.finding_ids]
        for f in findings:
            daily = self.law.resolve(WSL, "daily-penalty", f.issued.date, "basis")
            if daily is None:
                title = self.law.documents[WSL].title
                raise RefusedTransition(
                    f"finding {f.finding_id} is an act of {f.issued.date.isoformat()}, under 《{title}》 "
                    f"({f.edition}): 按日连续处罚 exists only for acts under the 2021 law",
                    provision=f"{self.cite(WSL, 'daily-penalty', dt.date(2021, 9, 1))}; "
                              f"{self.cite(APL, 'law-at-time-of-act', max(p.date, dt.date(2021, 7, 15)))}")
            if f.state != "refused":
                raise RefusedTransition(f"finding {f.finding_id} is {f.state}: 按日连续处罚 follows a refusal "
                                        "to correct "
                                        "after a fine and an order", provision=daily.text)
        if c.fine in (None, 0) or c.decided_on is None:
            raise RefusedTransition(f"case {c.case_id}: 按日连续处罚 needs a fine already decided",
                                    provision=self.cite(WSL, "daily-penalty", p.date))
        order_day = max(f.ordered_on or f.issued.date for f in findings)
        c.daily_from = max(p.date, order_day + dt.timedelta(days=1))
        world.put(c)

    def _case_closed(self, world: World, eid: str, p: CaseClosed, _seq: int) -> None:
        c = self._case_of(world, eid, p.case_id)
        self._require(c, {"paid", "enforcement_applied", "not_penalised"}, "closing the case (结案)",
                      self.cite(APL, "payment-period", p.date))
        c.state, c.closed_on = "closed", p.date
        world.put(c)
        self._enterprise_touched(world, eid, p.date, c)
