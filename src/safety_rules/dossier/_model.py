"""What the dossier records (event payloads) and what it derives from them (states).

Every change is an event of the enterprise's stream ``dossier/<enterprise id>`` in the shared
event store; nothing is updated or deleted. The payload of each kind is one model below,
checked before anything is written. The states (finding, case, enterprise) are derived by
:mod:`._procedure` and kept in the read tables of :mod:`._store`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..experts._evaluation_log import _ID as EXPERT_ID
from ..experts._evaluation_log import ID_MAX
from ..law._catalog import Trigger

STREAM_PREFIX = "dossier/"
ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------- inspection
class Officer(_Payload):
    name: str = Field(min_length=1, max_length=40)
    certificate: str = Field(min_length=1, max_length=40, description="执法证号")


class EnterpriseInfo(_Payload):
    id: str = Field(pattern=ID)
    name: str | None = None
    county: str | None = None
    region: str | None = None
    industries: list[str] = Field(default_factory=list)


class ObservedFact(_Payload):
    value: Any
    observed_on: dt.date


class Inspection(_Payload):
    """现场检查: team, officers (at least two, with 执法证号), the enterprise and its facts."""

    inspection_id: str = Field(pattern=ID)
    campaign: str | None = Field(default=None, pattern=ID)
    team: str = Field(min_length=1, max_length=40)
    county: str | None = None
    date: dt.date
    officers: list[Officer]
    enterprise: EnterpriseInfo
    rulebook_version: str
    facts: dict[str, ObservedFact] = Field(description="every fact recorded, with the day it was observed")


class FrozenCitation(_Payload):
    document: str
    provision: str
    role: str
    edition: str
    text: str
    wording: str | None = None
    preferred: bool = False
    source_checked: bool


class FindingIssued(_Payload):
    """A finding as issued: frozen, never rewritten by a later rulebook."""

    finding_id: str = Field(pattern=ID)
    inspection_id: str = Field(pattern=ID)
    date: dt.date
    rule_id: str
    rule_version: str
    rulebook_version: str
    industry: str
    severity: Literal["major_hazard", "violation"]
    title: str
    citations: list[FrozenCitation]
    sanction: dict[str, Any] | None = Field(description="the preferred penalty's sanction, every tier, as in force")
    measures: list[FrozenCitation] = Field(default_factory=list)
    rectification: dict[str, Any]
    facts: dict[str, Any] = Field(description="every fact the rule reads, with its value")
    explanation: list[dict[str, Any]] = Field(description="the sub-conditions (and records) that decided")
    sub_items: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    source_checked: bool
    expert_finding_id: str | None = Field(
        default=None, min_length=1, max_length=ID_MAX, pattern=EXPERT_ID,
        description="the expert registry's finding this one came from: its outcome is recorded there")


# ----------------------------------------------------------------------------- finding steps
class FindingStep(_Payload):
    finding_id: str = Field(pattern=ID)
    date: dt.date
    note: str | None = None


class Corrected(FindingStep):
    """当场纠正 / 立即排除, recorded by the officers."""


class Closed(FindingStep):
    """销号 of a finding corrected on the spot."""


class Ordered(FindingStep):
    """责令限期整改指令书: the deadline from the rule's rectification, or ``days`` set by the officer."""

    days: int | None = Field(default=None, ge=0, le=366, description="0 = 立即; default: the rule's")
    document_no: str | None = None


class ExtensionRequested(FindingStep):
    reason: str = Field(min_length=1)


class Extended(FindingStep):
    until: dt.date


class Claimed(FindingStep):
    """The enterprise says it has rectified (复查申请 / 恢复生产申请), with evidence."""

    evidence: list[str] = Field(min_length=1, description="SHA-256 of evidence files recorded earlier")


class Reinspected(FindingStep):
    """整改复查意见书: pass closes the finding; fail orders it again and opens a case at the
    逾期未改正 tier (``case_id``)."""

    result: Literal["pass", "fail"]
    officers: list[Officer]
    days: int | None = Field(default=None, ge=0, le=366, description="fail: the new deadline in days")
    case_id: str | None = Field(default=None, pattern=ID, description="fail: the case opened at the overdue tier")
    document_no: str | None = Field(default=None, min_length=1, description="整改复查意见书 编号 (required for a "
                                    "finding that came from an expert's: the registry's outcome cites it)")


class Suspended(FindingStep):
    """现场处理措施决定书: 撤出作业人员, 暂时停产停业或者停止使用 (major hazards only)."""

    measures: list[str] = Field(min_length=1)


class Refused(FindingStep):
    """拒不执行: the enterprise refuses the order or the suspension."""

    real_danger: bool = Field(default=False, description="有发生生产安全事故的现实危险")


class Withdrawn(FindingStep):
    by: Literal["review", "court", "authority"]
    decision_no: str = Field(min_length=1)


# ----------------------------------------------------------------------------- case steps
class CaseStep(_Payload):
    case_id: str = Field(pattern=ID)
    date: dt.date
    note: str | None = None


class CaseOpened(CaseStep):
    """立案 for findings of one enterprise at the tier their sanction is at."""

    finding_ids: list[str] = Field(min_length=1)
    tier: Trigger


class Investigated(CaseStep):
    officers: list[Officer]


class Notified(CaseStep):
    """行政处罚告知书 (and 听证告知 where it applies)."""

    hearing_offered: bool


class HearingRequested(CaseStep):
    pass


class HearingScheduled(CaseStep):
    """听证通知书 served on ``date`` for a hearing on ``hearing_on``."""

    hearing_on: dt.date


class HearingHeld(CaseStep):
    pass


class Reviewed(CaseStep):
    """法制审核."""


class Discussed(CaseStep):
    """集体讨论."""


class FindingFine(_Payload):
    finding_id: str = Field(pattern=ID)
    amount: int = Field(ge=0, description="元")


class IndividualFine(_Payload):
    who: str
    amount: int = Field(ge=0)
    finding_id: str | None = Field(default=None, pattern=ID,
                                   description="the violation it is for; required when the case has several")


class Decided(CaseStep):
    number: str = Field(min_length=1, description="行政处罚决定书 编号")
    fine: int = Field(ge=0, description="元, on the enterprise")
    finding_fines: list[FindingFine] = Field(
        default_factory=list, description="a case of several violations: each one's fine (分别裁量), adding up to fine")
    individual_fines: list[IndividualFine] = Field(default_factory=list)
    on_the_spot: bool = Field(default=False, description="delivered when announced (当场交付)")


class NotPenalised(CaseStep):
    ground: str = Field(min_length=1, description="e.g. 行政处罚法 第三十三条: 轻微并及时改正")


class Delivered(CaseStep):
    pass


class Paid(CaseStep):
    amount: int = Field(ge=0)


class Demanded(CaseStep):
    """催告书 served."""


class EnforcementApplied(CaseStep):
    """强制执行申请 to the people's court."""


class DailyPenalty(CaseStep):
    """按日连续处罚 from the day after the order to correct (2021 第一百一十二条)."""


class CaseClosed(CaseStep):
    pass


# ----------------------------------------------------------------------------- evidence
class EvidenceAdded(_Payload):
    """An evidence file, stored by its SHA-256, with what the evidence rules ask for."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: str = Field(min_length=1, max_length=200)
    size: int = Field(ge=0)
    kind: str = Field(min_length=1, description="证据种类: 书证、物证、视听资料、电子数据、现场笔录 …")
    method: str = Field(min_length=1, description="制作方法")
    made_at: dt.datetime = Field(description="制作时间")
    made_by: str = Field(min_length=1, description="制作人")
    proves: str = Field(min_length=1, description="证明对象")
    source: str = Field(min_length=1, description="来源（设备、提供人）")
    finding_ids: list[str] = Field(default_factory=list)

    @field_validator("made_at")
    @classmethod
    def _zoned(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("made_at needs a time zone, e.g. 2024-10-08T09:30:00+08:00")
        return v


PAYLOADS: dict[str, type[_Payload]] = {
    "inspection": Inspection,
    "finding": FindingIssued,
    "finding.corrected": Corrected,
    "finding.closed": Closed,
    "finding.ordered": Ordered,
    "finding.extension-requested": ExtensionRequested,
    "finding.extended": Extended,
    "finding.claimed": Claimed,
    "finding.reinspected": Reinspected,
    "finding.suspended": Suspended,
    "finding.refused": Refused,
    "finding.withdrawn": Withdrawn,
    "case.opened": CaseOpened,
    "case.investigated": Investigated,
    "case.notified": Notified,
    "case.hearing-requested": HearingRequested,
    "case.hearing-scheduled": HearingScheduled,
    "case.hearing-held": HearingHeld,
    "case.reviewed": Reviewed,
    "case.discussed": Discussed,
    "case.decided": Decided,
    "case.not-penalised": NotPenalised,
    "case.delivered": Delivered,
    "case.paid": Paid,
    "case.demanded": Demanded,
    "case.enforcement-applied": EnforcementApplied,
    "case.daily-penalty": DailyPenalty,
    "case.closed": CaseClosed,
    "evidence": EvidenceAdded,
}


# ----------------------------------------------------------------------------- states
FindingState = Literal["found", "corrected", "ordered", "claimed", "suspended", "refused", "closed", "withdrawn"]
OPEN_FINDING: frozenset[str] = frozenset({"found", "corrected", "ordered", "claimed", "suspended", "refused"})
CaseState = Literal["opened", "investigated", "notified", "hearing_requested", "hearing_scheduled", "hearing_held",
                    "reviewed", "decided", "delivered", "demanded", "enforcement_applied", "paid", "not_penalised",
                    "closed"]


def _latest(steps: list[tuple[dt.date | None, str]]) -> tuple[dt.date, str]:
    """The latest dated step; of steps on the same day, the one listed last (the later in the procedure)."""
    return max(((d, s) for d, s in reversed(steps) if d is not None), key=lambda x: x[0])


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class FindingRecord(_State):
    finding_id: str
    enterprise_id: str
    inspection_id: str
    campaign: str | None
    team: str
    county: str | None
    officer: str = Field(description="the first officer of the inspection, for grouping")
    issued: FindingIssued
    state: FindingState = "found"
    tier: Trigger = "first_instance"
    ordered_on: dt.date | None = None
    deadline: dt.date | None = None
    deadline_days: int | None = None
    extension_requested_on: dt.date | None = None
    claimed_on: dt.date | None = None
    suspended_on: dt.date | None = None
    refused_on: dt.date | None = None
    closed_on: dt.date | None = None
    withdrawn_on: dt.date | None = None
    reinspections: list[dict[str, Any]] = Field(default_factory=list)
    resumption_approved: bool = False
    referral: str | None = Field(default=None, description="移送: the criminal provision, when refused")
    measures: list[str] = Field(default_factory=list, description="measures available after a refusal")
    repeat_of: str | None = Field(default=None, description="an earlier finding of the same rule here")
    cases: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="steps taken on unverified periods, late requests")

    @property
    def penalty(self) -> FrozenCitation | None:
        """The penalty provision cited (the preferred one where the rule chose among several)."""
        return next((c for c in self.issued.citations if c.role == "penalty" and c.preferred),
                    next((c for c in self.issued.citations if c.role == "penalty"), None))

    @property
    def edition(self) -> str | None:
        """The edition of the work-safety law the act falls under (the penalty provision's)."""
        penalty = self.penalty
        return penalty.edition if penalty else None

    @property
    def last_step(self) -> tuple[dt.date, str]:
        """The latest step recorded (its date and name): a new step may not be dated before it."""
        steps = [(self.issued.date, "发现"), (self.ordered_on, "责令限期整改"),
                 (self.extension_requested_on, "延期申请"), (self.claimed_on, "整改申请"),
                 (self.suspended_on, "停产停业"), (self.refused_on, "拒不执行"),
                 (self.closed_on, "销号"), (self.withdrawn_on, "撤销"),
                 *((dt.date.fromisoformat(r["date"]), "复查") for r in self.reinspections)]
        return _latest(steps)


class CaseRecord(_State):
    case_id: str
    enterprise_id: str
    campaign: str | None
    team: str
    county: str | None
    officer: str
    finding_ids: list[str]
    tier: Trigger
    edition: str | None = Field(description="the work-safety law edition of the findings' acts")
    severity: str
    state: CaseState = "opened"
    opened_on: dt.date
    investigated_on: dt.date | None = None
    notified_on: dt.date | None = None
    hearing_offered: bool = False
    hearing_requested_on: dt.date | None = None
    hearing_late: bool = False
    hearing_notified_on: dt.date | None = None
    hearing_on: dt.date | None = None
    hearing_held_on: dt.date | None = None
    reviewed_on: dt.date | None = None
    discussed_on: dt.date | None = None
    decided_on: dt.date | None = None
    number: str | None = None
    fine: int | None = None
    individual_fines: list[dict[str, Any]] = Field(default_factory=list)
    delivered_on: dt.date | None = None
    paid_on: dt.date | None = None
    paid: int | None = None
    demanded_on: dt.date | None = None
    enforcement_applied_on: dt.date | None = None
    daily_from: dt.date | None = None
    not_penalised_on: dt.date | None = None
    closed_on: dt.date | None = None

    @property
    def last_step(self) -> tuple[dt.date, str]:
        """The latest step recorded (its date and name): a new step may not be dated before it. The
        hearing's own day and the start of 按日连续处罚 are dates set by a step, not steps."""
        steps = [(self.opened_on, "立案"), (self.investigated_on, "调查取证"), (self.notified_on, "告知"),
                 (self.hearing_requested_on, "听证申请"), (self.hearing_notified_on, "听证通知"),
                 (self.hearing_held_on, "听证"), (self.reviewed_on, "法制审核"),
                 (self.discussed_on, "集体讨论"), (self.decided_on, "决定"), (self.delivered_on, "送达"),
                 (self.paid_on, "缴纳罚款"), (self.demanded_on, "催告"), (self.enforcement_applied_on, "申请强制执行"),
                 (self.not_penalised_on, "不予处罚"), (self.closed_on, "结案")]
        return _latest(steps)


class EnterpriseRecord(_State):
    enterprise_id: str
    name: str | None
    county: str | None
    industries: list[str]
    state: Literal["open", "closed"] = "open"
    findings: list[str] = Field(default_factory=list)
    cases: list[str] = Field(default_factory=list)
    open_findings: list[str] = Field(default_factory=list, description="neither closed nor withdrawn")
    open_cases: list[str] = Field(default_factory=list, description="not 结案")
    latest_by_rule: dict[str, tuple[str, dt.date]] = Field(
        default_factory=dict, description="rule id → its finding issued last here (what a new one repeats)")
    closed_on: dt.date | None = None
    reopened: int = 0


class InspectionRecord(_State):
    inspection: Inspection
    enterprise_id: str
    findings: list[str] = Field(default_factory=list)


class EvidenceRecord(_State):
    evidence: EvidenceAdded
    enterprise_id: str
    seq: int
