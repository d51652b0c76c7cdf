"""What an assessment returns. These field names are a stable interface: the JSON
output of ``safety-rules assess --format json`` is exactly these models, and
``docs/output.md`` documents them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ._law import ResolvedCitation, Sanction
from ._rule_files import Rectification, Severity


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reason(_Result):
    """A sub-condition that decided the outcome, with the facts it read."""

    condition: str = Field(description="the sub-condition as written in the rule")
    value: bool | None = Field(description="its value; null = unknown")
    facts: dict[str, Any] = Field(default_factory=dict, description="facts it read, null = missing")


class Finding(_Result):
    """A rule version whose condition holds: a violation or a major accident hazard."""

    rule_id: str
    rule_version: str
    rulebook_version: str
    industry: str
    severity: Severity
    title: str
    citations: list[ResolvedCitation] = Field(description="as in force on the date assessed")
    sanction: Sanction | None = Field(description="from the penalty citation, as in force")
    rectification: Rectification
    facts: dict[str, Any] = Field(description="every fact the rule reads, with its value (null = missing)")
    explanation: list[Reason] = Field(description="the sub-conditions that decided, in order")
    source_checked: bool = Field(description="false if the rule's wording was not checked against its source")


class Undetermined(_Result):
    """A rule that the known facts cannot decide. Unknown is never compliant."""

    rule_id: str
    rule_version: str
    industry: str
    severity: Severity
    title: str
    missing_facts: list[str] = Field(description="facts that would decide it; a record field is "
                                     "written fact[index].field")


class Counts(_Result):
    findings: int
    major_hazards: int
    violations: int
    undetermined: int
    compliant: int
    not_applicable: int
    not_in_force: int


class Assessment(_Result):
    enterprise_id: str | None
    enterprise_name: str | None = None
    as_of: dt.date
    rulebook_version: str
    findings: list[Finding]
    undetermined: list[Undetermined]
    not_applicable: list[str] = Field(description="rule ids whose applies_to is false, or whose industry "
                                      "is not among the enterprise's declared industries")
    compliant: list[str] = Field(description="rule ids checked and not violated")
    not_in_force: list[str] = Field(description="rule lineages with no version in force on as_of")
    counts: Counts


class Question(_Result):
    """A missing fact worth establishing next, with what it would decide."""

    fact: str
    label: str
    question: str
    major_hazard_rules: list[str] = Field(description="undetermined major-hazard rules it bears on")
    rules: list[str] = Field(description="all undetermined rules it bears on")


class VersionInfo(_Result):
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = Field(description="inclusive, after applying the open-end convention")
    in_force: bool
    severity: Severity
    when: str
    citations: list[ResolvedCitation] = Field(description="as in force on the requested date, or on "
                                              "the version's first day if it is not in force then")
    rectification: Rectification
    source_checked: bool


class RuleExplanation(_Result):
    rule_id: str
    industry: str
    title: str
    applies_to: str | None
    path: str
    replaces: list[str]
    replaced_by: list[str]
    as_of: dt.date
    versions: list[VersionInfo]
