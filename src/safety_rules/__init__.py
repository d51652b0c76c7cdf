"""safety_rules: China's work-safety inspection standards as versioned, testable rules.

Everything public is listed in ``__all__``; the modules themselves are private.

The names of the expert registry, of field work (planner, checklists), of the enforcement
dossier and of the event store are imported on first use: they need SQLAlchemy, Alembic,
OR-Tools, openpyxl and the holiday calendar, which rules-only use (load, assess, check) never
touches, and importing them would multiply the start-up time of every ``safety-rules assess``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .engine._check import CheckReport, check_rulebook
from .engine._coverage import CoverageReport, PartCoverage
from .engine._enterprise import Enterprise
from .engine._results import (
    Assessment,
    Counts,
    Finding,
    NotEncoded,
    Question,
    Reason,
    RecordRef,
    RuleExplanation,
    Undetermined,
    VersionInfo,
)
from .engine._rulebook import Rulebook
from .law._catalog import ResolvedCitation, Sanction, Tier
from .revisions._diff import Change, RevisionDiff, Witness, compare_rulebooks
from .revisions._impact import Impact, OutcomeChange, revision_impact
from .shared._errors import (
    CalendarError,
    DossierError,
    EvaluationLogError,
    EventStoreError,
    EventValueError,
    EvidenceError,
    ExpressionError,
    FactError,
    InputError,
    LogIntegrityError,
    MatchingError,
    NotFoundError,
    PlanningError,
    Problem,
    RefusedTransition,
    RegistryLogError,
    RevisionError,
    RulebookError,
    SafetyRulesError,
    SchemaError,
    WorkbookError,
    YamlError,
)

if TYPE_CHECKING:
    from .dossier._due import DueItem
    from .dossier._evidence import EvidenceCheck, EvidenceProblem
    from .dossier._model import (
        CaseRecord,
        EnterpriseRecord,
        EvidenceAdded,
        EvidenceRecord,
        FindingIssued,
        FindingRecord,
        Inspection,
        InspectionRecord,
        Officer,
    )
    from .dossier._replay import ReplayChange
    from .dossier._report import campaign_report_html, campaign_report_markdown
    from .dossier._store import Dossier
    from .dossier._warnings import DossierWarning
    from .experts._evaluation_log import Evaluation, EvaluationLog, EvaluationRecord, LegacyRecord, load_evaluations
    from .experts._matching import Assignment, CaseResult, Exclusion, MatchResult, PolicyUsed, ScoreTerms, match
    from .experts._records import AssignmentRecord, ExpertFinding, FindingOutcome, RegistryLog, Withdrawal
    from .experts._registry import (
        Case,
        Expert,
        PastAssignment,
        Policy,
        PolicyBook,
        load_cases,
        load_experts,
        load_history,
        load_policies,
        load_policy,
    )
    from .experts._scores import CountedEvaluation, ExpertScore, expert_scores
    from .fieldwork._campaign import Campaign, PrioritySource, load_campaign
    from .fieldwork._checklist import Checklist, build_checklist
    from .fieldwork._checklist_html import checklist_html
    from .fieldwork._checklist_import import read_checklist_workbook
    from .fieldwork._checklist_text import checklist_markdown, checklist_yaml
    from .fieldwork._checklist_xlsx import checklist_workbook
    from .fieldwork._ics import plan_calendar
    from .fieldwork._plan import Explanation, Plan, PlanCheck, PlanFile, TeamDay, Violation, Visit
    from .fieldwork._plan_check import check_plan, load_plan
    from .fieldwork._planner import plan_campaign
    from .fieldwork._priorities import campaign_with_dossier
    from .shared._events import (
        Event,
        EventStore,
        Migrations,
        NewEvent,
        Verification,
        VerificationCheck,
        postgres_grants,
    )

_LAZY: dict[str, str] = {
    "DueItem": ".dossier._due",
    **dict.fromkeys(["EvidenceCheck", "EvidenceProblem"], ".dossier._evidence"),
    **dict.fromkeys(["CaseRecord", "EnterpriseRecord", "EvidenceAdded", "EvidenceRecord", "FindingIssued",
                     "FindingRecord", "Inspection", "InspectionRecord", "Officer"], ".dossier._model"),
    "ReplayChange": ".dossier._replay",
    **dict.fromkeys(["campaign_report_html", "campaign_report_markdown"], ".dossier._report"),
    "Dossier": ".dossier._store",
    "DossierWarning": ".dossier._warnings",
    **dict.fromkeys(["Evaluation", "EvaluationLog", "EvaluationRecord", "LegacyRecord", "load_evaluations"],
                    ".experts._evaluation_log"),
    **dict.fromkeys(["Assignment", "CaseResult", "Exclusion", "MatchResult", "PolicyUsed", "ScoreTerms", "match"],
                    ".experts._matching"),
    **dict.fromkeys(["AssignmentRecord", "ExpertFinding", "FindingOutcome", "RegistryLog", "Withdrawal"],
                    ".experts._records"),
    **dict.fromkeys(["Case", "Expert", "PastAssignment", "Policy", "PolicyBook", "load_cases", "load_experts",
                     "load_history", "load_policies", "load_policy"], ".experts._registry"),
    **dict.fromkeys(["CountedEvaluation", "ExpertScore", "expert_scores"], ".experts._scores"),
    **dict.fromkeys(["Campaign", "PrioritySource", "load_campaign"], ".fieldwork._campaign"),
    **dict.fromkeys(["Checklist", "build_checklist"], ".fieldwork._checklist"),
    **dict.fromkeys(["checklist_html"], ".fieldwork._checklist_html"),
    **dict.fromkeys(["read_checklist_workbook"], ".fieldwork._checklist_import"),
    **dict.fromkeys(["checklist_markdown", "checklist_yaml"], ".fieldwork._checklist_text"),
    **dict.fromkeys(["checklist_workbook"], ".fieldwork._checklist_xlsx"),
    **dict.fromkeys(["plan_calendar"], ".fieldwork._ics"),
    **dict.fromkeys(["Explanation", "Plan", "PlanCheck", "PlanFile", "TeamDay", "Violation", "Visit"],
                    ".fieldwork._plan"),
    **dict.fromkeys(["check_plan", "load_plan"], ".fieldwork._plan_check"),
    **dict.fromkeys(["plan_campaign"], ".fieldwork._planner"),
    "campaign_with_dossier": ".fieldwork._priorities",
    **dict.fromkeys(["Event", "EventStore", "Migrations", "NewEvent", "Verification", "VerificationCheck",
                     "postgres_grants"], ".shared._events"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later reads do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Assignment",
    "AssignmentRecord",
    "CalendarError",
    "Campaign",
    "Case",
    "CaseRecord",
    "CaseResult",
    "Change",
    "CheckReport",
    "Checklist",
    "CountedEvaluation",
    "Counts",
    "CoverageReport",
    "Dossier",
    "DossierError",
    "DossierWarning",
    "DueItem",
    "Enterprise",
    "EnterpriseRecord",
    "Evaluation",
    "EvaluationLog",
    "EvaluationLogError",
    "EvaluationRecord",
    "Event",
    "EventStore",
    "EventStoreError",
    "EventValueError",
    "EvidenceAdded",
    "EvidenceCheck",
    "EvidenceError",
    "EvidenceProblem",
    "EvidenceRecord",
    "Exclusion",
    "Expert",
    "ExpertFinding",
    "ExpertScore",
    "Explanation",
    "ExpressionError",
    "FactError",
    "Finding",
    "FindingIssued",
    "FindingOutcome",
    "FindingRecord",
    "Impact",
    "InputError",
    "Inspection",
    "InspectionRecord",
    "LegacyRecord",
    "LogIntegrityError",
    "MatchResult",
    "MatchingError",
    "Migrations",
    "NewEvent",
    "NotEncoded",
    "NotFoundError",
    "Officer",
    "OutcomeChange",
    "PartCoverage",
    "PastAssignment",
    "Plan",
    "PlanCheck",
    "PlanFile",
    "PlanningError",
    "Policy",
    "PolicyBook",
    "PolicyUsed",
    "PrioritySource",
    "Problem",
    "Question",
    "Reason",
    "RecordRef",
    "RefusedTransition",
    "RegistryLog",
    "RegistryLogError",
    "ReplayChange",
    "ResolvedCitation",
    "RevisionDiff",
    "RevisionError",
    "RuleExplanation",
    "Rulebook",
    "RulebookError",
    "SafetyRulesError",
    "Sanction",
    "SchemaError",
    "ScoreTerms",
    "TeamDay",
    "Tier",
    "Undetermined",
    "Verification",
    "VerificationCheck",
    "VersionInfo",
    "Violation",
    "Visit",
    "Withdrawal",
    "Witness",
    "WorkbookError",
    "YamlError",
    "build_checklist",
    "campaign_report_html",
    "campaign_report_markdown",
    "campaign_with_dossier",
    "check_plan",
    "check_rulebook",
    "checklist_html",
    "checklist_markdown",
    "checklist_workbook",
    "checklist_yaml",
    "compare_rulebooks",
    "expert_scores",
    "load_campaign",
    "load_cases",
    "load_evaluations",
    "load_experts",
    "load_history",
    "load_plan",
    "load_policies",
    "load_policy",
    "match",
    "plan_calendar",
    "plan_campaign",
    "postgres_grants",
    "read_checklist_workbook",
    "revision_impact",
]
