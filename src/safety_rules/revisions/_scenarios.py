"""Enterprise-level scenarios: this enterprise on this date gives exactly these findings.

Examples pin one rule version each; a scenario pins the whole assessment of one enterprise,
so that a revision that adds a finding elsewhere, or drops one, is caught too::

    name: 示例木业 2017年9月5日检查
    enterprise_file: ../../examples/enterprises/linyi-wood-products.yaml   # relative to this file
    as_of: 2017-09-05
    findings:                              # exactly these, no more and no fewer
      - {rule: dust.zone20-electrics, severity: major_hazard}
      - {rule: dust.sander-spark-detection, severity: major_hazard}
    undetermined: [dust.ignition-source-control]   # optional: exactly these (brittle as rules are added)
    compliant: [dust.foreign-matter-removal]       # optional: these at least
    expect_gap: 2017年砂光机项目的……尚未编码       # optional: a known gap; the scenario
                                                   # states what the law requires, the tool does not yet

Instead of ``enterprise_file`` a scenario may give ``enterprise`` and ``facts`` inline, as an
enterprise file does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..engine._enterprise import EnterpriseHeader
from ..engine._rule_files import Severity
from ..engine._rulebook import Rulebook
from ..shared._validation import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedFinding(_Strict):
    rule: str = Field(description="规则编号")
    severity: Severity
    version: str | None = Field(default=None, description="规则版本（可省略）")
    sub_items: list[str] | None = Field(default=None, description="成立的子项（可省略）")


class Scenario(_Strict):
    name: str = Field(min_length=1)
    enterprise_file: str | None = Field(default=None, description="企业文件，相对于本文件")
    enterprise: EnterpriseHeader | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    as_of: dt.date
    findings: list[ExpectedFinding]
    undetermined: list[str] | None = None
    compliant: list[str] | None = Field(default=None, description="rules that must be compliant (these at least)")
    expect_gap: str | None = Field(default=None, description="已知差距：说明规则库尚未做到的，测试不因此失败")

    @model_validator(mode="after")
    def _one_enterprise(self) -> Scenario:
        if (self.enterprise_file is None) == (self.enterprise is None):
            raise ValueError("give either 'enterprise_file' or 'enterprise' (with 'facts')")
        if self.enterprise_file is not None and self.facts:
            raise ValueError("'facts' go with an inline 'enterprise', not with 'enterprise_file'")
        return self


def load_scenario(path: str | Path) -> Scenario:
    scenario, _raw = load_model(Scenario, path)
    return scenario


def run_scenario(book: Rulebook, path: str | Path) -> list[str]:
    """What differs from the scenario's expectation (empty: it holds)."""
    p = Path(path)
    s = load_scenario(p)
    if s.enterprise_file is not None:
        enterprise = book.load_enterprise(p.parent / s.enterprise_file)
    else:
        assert s.enterprise is not None
        h = s.enterprise
        enterprise = book.enterprise(h.id, s.facts, name=h.name, county=h.county, region=h.region,
                                     industries=h.industries, inspected_on=h.inspected_on, source=str(p))
    result = book.assess(enterprise, s.as_of)
    problems = []
    got = {f.rule_id: f for f in result.findings}
    want = {e.rule: e for e in s.findings}
    for rid in sorted(set(want) - set(got)):
        problems.append(f"expected a finding of {rid}, got none")
    for rid in sorted(set(got) - set(want)):
        problems.append(f"unexpected finding of {rid} ({got[rid].severity})")
    for rid in sorted(set(got) & set(want)):
        f, e = got[rid], want[rid]
        if f.severity != e.severity:
            problems.append(f"{rid}: expected {e.severity}, got {f.severity}")
        if e.version is not None and f.rule_version != e.version:
            problems.append(f"{rid}: expected version {e.version}, got {f.rule_version}")
        if e.sub_items is not None and sorted(f.sub_items) != sorted(e.sub_items):
            problems.append(f"{rid}: expected sub-items {e.sub_items}, got {f.sub_items}")
    if s.undetermined is not None:
        undetermined = sorted(u.rule_id for u in result.undetermined)
        if undetermined != sorted(s.undetermined):
            problems.append(f"expected undetermined {sorted(s.undetermined)}, got {undetermined}")
    if s.compliant is not None:
        for rid in sorted(set(s.compliant) - set(result.compliant)):
            state = "a finding" if rid in got else "undetermined" if any(
                u.rule_id == rid for u in result.undetermined) else "not compliant"
            problems.append(f"expected {rid} to be compliant, got {state}")
    return problems
