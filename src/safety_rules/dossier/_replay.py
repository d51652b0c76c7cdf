"""Freezing an assessment into findings as issued, and replaying open findings under today's rulebook.

A finding keeps the rule version, rulebook version, edition, citation texts and sanction tiers it
was issued with; a later rulebook never rewrites it. :func:`replay` assesses the frozen facts of
each open finding's inspection under the current rulebook, on the finding's date, and lists the
findings whose rule, edition or outcome would now differ — to be looked at, never rewritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine._enterprise import Enterprise
from ..engine._rulebook import Rulebook
from ._model import OPEN_FINDING, FindingRecord, InspectionRecord, Officer


def freeze(book: Rulebook, enterprise: Enterprise, *, inspection_id: str, team: str, officers: Sequence[Officer],
           date: dt.date, campaign: str | None = None,
           observed: dict[str, dt.date] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The inspection and its findings as (kind, payload) events, frozen as issued on ``date``."""
    result = book.assess(enterprise, as_of=date)
    observed = observed or {}
    facts = {name: {"value": value, "observed_on": observed.get(name, date).isoformat()}
             for name, value in enterprise.facts.items() if value is not None}
    events: list[tuple[str, dict[str, Any]]] = [("inspection", {
        "inspection_id": inspection_id, "campaign": campaign, "team": team, "county": enterprise.county,
        "date": date.isoformat(), "officers": [o.model_dump() for o in officers],
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "county": enterprise.county,
                       "region": enterprise.region, "industries": list(enterprise.industries)},
        "rulebook_version": result.rulebook_version, "facts": facts})]
    for n, f in enumerate(result.findings, 1):
        events.append(("finding", {
            "finding_id": f"{inspection_id}-{n:02d}", "inspection_id": inspection_id, "date": date.isoformat(),
            "rule_id": f.rule_id, "rule_version": f.rule_version, "rulebook_version": f.rulebook_version,
            "industry": f.industry, "severity": f.severity, "title": f.title,
            "citations": [_citation(c) for c in f.citations],
            "sanction": f.sanction.model_dump(mode="json") if f.sanction else None,
            "measures": [_citation(c) for c in f.measures],
            "rectification": f.rectification.model_dump(mode="json"),
            "facts": f.facts, "explanation": [r.model_dump(mode="json") for r in f.explanation],
            "sub_items": f.sub_items, "flags": list(f.flags), "source_checked": f.source_checked}))
    return events


def _citation(c: Any) -> dict[str, Any]:
    return {"document": c.document, "provision": c.provision, "role": c.role, "edition": c.edition, "text": c.text,
            "wording": c.wording, "preferred": c.preferred, "source_checked": c.source_checked}


@dataclass(frozen=True)
class ReplayChange:
    finding_id: str
    enterprise_id: str
    rule_id: str
    found_on: dt.date
    changes: list[str]


def replay(book: Rulebook, findings: Sequence[FindingRecord],
           inspections: dict[str, InspectionRecord]) -> list[ReplayChange]:
    """Open findings whose rule version, cited editions or outcome differ under ``book`` on their date."""
    changes = []
    for f in findings:
        if f.state not in OPEN_FINDING:
            continue
        i = inspections[f.inspection_id].inspection
        enterprise = book.enterprise(i.enterprise.id, {k: v.value for k, v in i.facts.items()},
                                     name=i.enterprise.name, county=i.enterprise.county, region=i.enterprise.region,
                                     industries=[x for x in i.enterprise.industries if x in book.industries])
        now = next((x for x in book.assess(enterprise, as_of=f.issued.date).findings if x.rule_id == f.issued.rule_id),
                   None)
        issued = f.issued
        found: list[str] = []
        if now is None:
            found.append(f"规则 {issued.rule_id} 按现行规则库在 {issued.date.isoformat()} 不再判定为违法")
        else:
            if now.rule_version != issued.rule_version:
                found.append(f"规则版本 {issued.rule_version} → {now.rule_version}")
            before = {(c.document, c.provision, c.role): (c.edition, c.text) for c in issued.citations}
            after = {(c.document, c.provision, c.role): (c.edition, c.text) for c in now.citations}
            for key in sorted(before.keys() | after.keys()):
                if before.get(key) != after.get(key):
                    old, new = before.get(key), after.get(key)
                    found.append(f"引用 {key[0]}/{key[1]}: {old[1] if old else '无'} → {new[1] if new else '无'}")
            if now.severity != issued.severity:
                found.append(f"定性 {issued.severity} → {now.severity}")
            if (now.sanction.model_dump(mode="json") if now.sanction else None) != issued.sanction:
                found.append("罚则档次已变化")
        if found:
            changes.append(ReplayChange(f.finding_id, f.enterprise_id, issued.rule_id, issued.date, found))
    return changes
