"""safety_rules: China's work-safety inspection standards as versioned, testable rules."""

from ._check import CheckReport, check_rulebook
from ._enterprise import Enterprise
from ._errors import (
    EvaluationLogError,
    ExpressionError,
    FactError,
    InputError,
    LogIntegrityError,
    MatchingError,
    NotFoundError,
    Problem,
    RulebookError,
    SafetyRulesError,
    SchemaError,
    YamlError,
)
from ._law import ResolvedCitation, Sanction
from ._results import (
    Assessment,
    Counts,
    Finding,
    Question,
    Reason,
    RuleExplanation,
    Undetermined,
    VersionInfo,
)
from ._rulebook import Rulebook

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "CheckReport",
    "Counts",
    "Enterprise",
    "EvaluationLogError",
    "ExpressionError",
    "FactError",
    "Finding",
    "InputError",
    "LogIntegrityError",
    "MatchingError",
    "NotFoundError",
    "Problem",
    "Question",
    "Reason",
    "ResolvedCitation",
    "RuleExplanation",
    "Rulebook",
    "RulebookError",
    "SafetyRulesError",
    "Sanction",
    "SchemaError",
    "Undetermined",
    "VersionInfo",
    "YamlError",
    "check_rulebook",
]
