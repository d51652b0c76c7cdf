"""safety_rules: China's work-safety inspection standards as versioned, testable rules.

Everything public is listed in ``__all__``; the modules themselves are private.
"""

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
from .fieldwork._campaign import Campaign, load_campaign
from .fieldwork._checklist import Checklist, build_checklist
from .fieldwork._checklist_html import checklist_html
from .fieldwork._checklist_import import read_checklist_workbook
from .fieldwork._checklist_text import checklist_markdown, checklist_yaml
from .fieldwork._checklist_xlsx import checklist_workbook
from .fieldwork._ics import plan_calendar
from .fieldwork._plan import Explanation, Plan, PlanCheck, PlanFile, TeamDay, Violation, Visit
from .fieldwork._plan_check import check_plan, load_plan
from .fieldwork._planner import plan_campaign
from .law._catalog import ResolvedCitation, Sanction, Tier
from .revisions._diff import Change, RevisionDiff, Witness, compare_rulebooks
from .revisions._impact import Impact, OutcomeChange, revision_impact
from .shared._errors import (
    EvaluationLogError,
    EventStoreError,
    EventValueError,
    ExpressionError,
    FactError,
    InputError,
    LogIntegrityError,
    MatchingError,
    NotFoundError,
    PlanningError,
    Problem,
    RegistryLogError,
    RevisionError,
    RulebookError,
    SafetyRulesError,
    SchemaError,
    WorkbookError,
    YamlError,
)
from .shared._events import (
    Event,
    EventStore,
    Migrations,
    NewEvent,
    Verification,
    VerificationCheck,
    postgres_grants,
)

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Assignment",
    "AssignmentRecord",
    "Campaign",
    "Case",
    "CaseResult",
    "Change",
    "CheckReport",
    "Checklist",
    "CountedEvaluation",
    "Counts",
    "CoverageReport",
    "Enterprise",
    "Evaluation",
    "EvaluationLog",
    "EvaluationLogError",
    "EvaluationRecord",
    "Event",
    "EventStore",
    "EventStoreError",
    "EventValueError",
    "Exclusion",
    "Expert",
    "ExpertFinding",
    "ExpertScore",
    "Explanation",
    "ExpressionError",
    "FactError",
    "Finding",
    "FindingOutcome",
    "Impact",
    "InputError",
    "LegacyRecord",
    "LogIntegrityError",
    "MatchResult",
    "MatchingError",
    "Migrations",
    "NewEvent",
    "NotEncoded",
    "NotFoundError",
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
    "Problem",
    "Question",
    "Reason",
    "RecordRef",
    "RegistryLog",
    "RegistryLogError",
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
