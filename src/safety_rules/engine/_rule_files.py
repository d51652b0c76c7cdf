"""The file formats the standards team edits: rule lineages and ``rulebook.yaml``.

One YAML file per lineage: one duty or hazard item followed through its
editions. Unknown keys are errors everywhere (``extra="forbid"``); the JSON
Schema of these models is what ``safety-rules schema`` prints.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID = re.compile(r"[a-z]+\.[a-z0-9][a-z0-9-]*")

Severity = Literal["major_hazard", "violation"]
Expectation = Literal["violated", "compliant", "undetermined", "not_applicable"]
Role = Literal["defines", "duty", "penalty", "measure", "basis"]


class _Strict(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CitationRef(_Strict):
    """A reference into the law and standard catalog."""

    document: str = Field(description="document id in rules/law/")
    provision: str = Field(description="provision id within that document")
    role: Role = Field(default="duty", description="defines: the standard's item; duty: the article "
                       "imposing the duty; penalty: the article setting the sanction; measure: an "
                       "enforcement measure; basis: other")
    preferred: bool = Field(default=False, description="penalties: the one to apply when several are cited")
    reason: str | None = Field(default=None, description="penalties: why this one is (or is not) preferred")

    @model_validator(mode="after")
    def _penalty_only(self) -> CitationRef:
        if (self.preferred or self.reason) and self.role != "penalty":
            raise ValueError("'preferred' and 'reason' are for citations with role: penalty")
        return self


class ProvisionPointer(_Strict):
    """A provision of the law catalog, without a role."""

    document: str
    provision: str


class Source(_Strict):
    """Where the rule version's wording comes from."""

    document: str
    provision: str
    source_checked: bool = Field(description="true only if the wording and numbers were checked "
                                 "against the text of the document")
    note: str | None = None


class Interpretation(_Strict):
    """How the version reads a contestable text, and how settled that reading is."""

    status: Literal["settled", "contested"] = Field(description="contested: findings are marked 解释存疑")
    note: str = Field(min_length=1, description="the reading adopted, or the open question (中文)")
    basis: str = Field(min_length=1, description="the texts, interpretations or decisions it rests on")
    undetermined_when: str | None = Field(default=None, description="condition under which the version "
                                          "gives undetermined rather than an answer, until the reading "
                                          "is settled (e.g. exactly on a contested boundary)")


class Rectification(_Strict):
    deadline: Literal["immediate"] | int = Field(
        description="'immediate' or a number of days to rectify")
    hint: str = Field(min_length=1, description="整改要求（中文）")

    @field_validator("deadline")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if isinstance(v, int) and v < 1:
            raise ValueError("a deadline in days must be at least 1")
        return v


class Example(_Strict):
    """Facts and the outcome the rule version must give for them."""

    name: str = Field(min_length=1)
    facts: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation
    missing: list[str] | None = Field(default=None, description="undetermined only: the facts "
                                      "that would decide it, exactly")
    sub_items: list[str] | None = Field(default=None, description="violated only: the sub-items that "
                                        "hold, exactly")
    as_of: dt.date | None = Field(default=None, description="default: the version's effective_from")

    @model_validator(mode="after")
    def _expectation_details(self) -> Example:
        if self.missing is not None and self.expect != "undetermined":
            raise ValueError("'missing' is only for examples that expect 'undetermined'")
        if self.sub_items is not None and self.expect != "violated":
            raise ValueError("'sub_items' is only for examples that expect 'violated'")
        return self


class EquivalentMutant(_Strict):
    """A mutant of the condition reviewed as equivalent: for every value an inspector can record it
    gives the same result, so no example can kill it (``check --mutants`` then leaves it out)."""

    original: str = Field(min_length=1, description="被改动的部分，照 check --mutants 的写法")
    mutated: str = Field(min_length=1, description="改动后的写法，照 check --mutants 的写法")
    reason: str = Field(min_length=1, description="为什么任何可记录的事实都区分不了两者（中文）")


class RuleVersion(_Strict):
    version: str = Field(description="label, unique within the lineage")
    effective_from: dt.date
    effective_to: dt.date | None = Field(default=None, description="inclusive; default: the day "
                                         "before the next version starts, or open")
    severity: Severity
    when: str | dict[str, str] = Field(description="the condition that constitutes the violation; for an "
                                       "item with numbered sub-items, a mapping sub-item → condition "
                                       "(sub-items left out are not encoded)")
    partial: str | None = Field(default=None, description="what of the item this version does not encode, "
                                "besides sub-items left out of 'when'; a partial version is never compliant")
    interpretation: Interpretation | None = None
    source: Source
    citations: list[CitationRef] = Field(min_length=1)
    rectification: Rectification
    examples: list[Example] = Field(min_length=2)
    equivalent_mutants: list[EquivalentMutant] = Field(
        default_factory=list, description="经审查等价的变异：check --mutants 不再报告，且须仍然存在、仍无示例能发现")
    note: str | None = None


class RuleFile(_Strict):
    id: str = Field(description="stable id, <industry>.<name>; never reused for another meaning")
    industry: str
    title: str = Field(min_length=1, description="中文标题")
    applies_to: str | None = Field(default=None, description="which enterprises the rule concerns; "
                                   "when false the rule is reported as not applicable")
    replaces: list[str] = Field(default_factory=list)
    replaced_by: list[str] = Field(default_factory=list)
    versions: list[RuleVersion] = Field(min_length=1)
    before_first_version: str | None = Field(
        default=None, min_length=1,
        description="为什么首个版本生效前不设违法版本（此前的做法不能确认违法的理由）；"
                    "写明后 check 不再提示补设此前依据上位义务的版本")
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not RULE_ID.fullmatch(v):
            raise ValueError(f"rule id {v!r} must look like 'industry.some-name' "
                             "(lower-case letters, digits, '-')")
        return v


class Industry(_Strict):
    title: str
    implies: list[str] = Field(default_factory=list, description="industries whose rules also apply to "
                               "this one's enterprises (every 工贸 sector implies trade; every one, general)")


class RulebookFile(_Strict):
    """``rules/rulebook.yaml``."""

    name: str
    version: str = Field(description="the rulebook's version; every finding carries it")
    industries: dict[str, Industry]
    retired_ids: list[str] = Field(default_factory=list, description="ids withdrawn for good; "
                                   "no rule may use them again")
    major_hazard_measures: list[ProvisionPointer] = Field(
        default_factory=list, description="measures the law attaches to every major accident hazard "
        "(report, withdrawal and suspension, resumption after review); cited on every major-hazard "
        "finding when in force")

    @field_validator("retired_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for rule_id in v:
            RuleFile._id(rule_id)
        return v
