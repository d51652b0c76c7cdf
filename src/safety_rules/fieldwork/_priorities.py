"""Campaign priorities from the dossier (一企一册) instead of the campaign file.

A campaign file states each enterprise's open major hazards and re-inspection due date by hand;
the dossier records them as they happen. :func:`campaign_with_dossier` returns the campaign with,
for every enterprise the dossier knows,

- ``open_major_hazards``: its major-hazard findings found on or before ``as_of`` and not closed
  (销号) or withdrawn by then (a finding's closing and withdrawal dates are kept on its record, so
  a finding closed after ``as_of`` still counts);
- ``recheck_due``: the earliest re-inspection the dossier still has due (``dossier_due``, periods
  ``reinspection`` — 整改复查 — and ``resumption-review`` — the on-site review before a suspended
  enterprise resumes, itself recorded as a re-inspection), of findings found on or before ``as_of``.

An enterprise the dossier does not know keeps what the file says. Each one it knows gets a
:class:`PrioritySource` saying what the dossier and the file said, so the plan shows where a
priority came from. The dossier is only read: open it with ``Dossier(url, read_only=True)``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from sqlalchemy import select

from ..dossier._model import FindingRecord
from ..dossier._store import Dossier, due_table, enterprises_table, findings_table
from ._campaign import Campaign, Enterprise, PrioritySource

# The due periods that send officers back on site (复查); the labels are in dossier/deadlines.yaml.
RECHECK_PERIODS = ("reinspection", "resumption-review")
_CHUNK = 500  # ids per IN (...) list: well under every database's limit on bound parameters


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start:start + _CHUNK])


def _open_on(closed_on: dt.date | None, withdrawn_on: dt.date | None, as_of: dt.date) -> bool:
    return not any(d is not None and d <= as_of for d in (closed_on, withdrawn_on))


def campaign_with_dossier(campaign: Campaign, dossier: Dossier, as_of: dt.date | None = None) -> Campaign:
    """``campaign`` with the dossier's open major hazards and re-inspection dues (``as_of``: default the
    campaign's first day); see the module's docstring."""
    as_of = as_of or campaign.days[0]
    ids = sorted(campaign.enterprise)
    known: set[str] = set()
    hazards: dict[str, list[str]] = defaultdict(list)
    recheck: dict[str, tuple[dt.date, str, bool]] = {}
    t, f, d = enterprises_table.c, findings_table.c, due_table.c
    with dossier.store.engine.connect() as conn:
        for chunk in _chunks(ids):
            known.update(conn.execute(select(t.enterprise_id).where(t.enterprise_id.in_(chunk))).scalars())
        for chunk in _chunks(sorted(known)):
            # on the same connection as the due items: one snapshot of the dossier
            for doc in conn.execute(select(f.doc).where(f.enterprise_id.in_(chunk), f.severity == "major_hazard",
                                                        f.found_on <= as_of)).scalars():
                record = FindingRecord.model_validate_json(doc)
                if _open_on(record.closed_on, record.withdrawn_on, as_of):
                    hazards[record.enterprise_id].append(record.finding_id)
            rows = conn.execute(
                select(d.enterprise_id, d.due_on, d.subject_id, d.checked)
                .join(findings_table, f.finding_id == d.subject_id)
                .where(d.subject == "finding", d.period.in_(RECHECK_PERIODS), d.enterprise_id.in_(chunk),
                       f.found_on <= as_of)
                .order_by(d.enterprise_id, d.due_on, d.subject_id))
            for enterprise_id, due_on, finding_id, checked in rows:
                recheck.setdefault(enterprise_id, (due_on, finding_id, checked))
    enterprises: list[Enterprise] = []
    sources: list[PrioritySource] = []
    for e in campaign.file.enterprises:
        if e.id not in known:
            enterprises.append(e)
            continue
        found = sorted(hazards.get(e.id, []))
        due, finding, checked = recheck.get(e.id, (None, None, True))
        enterprises.append(e.model_copy(update={"open_major_hazards": len(found), "recheck_due": due}))
        sources.append(_source(e, as_of, found, due, finding, checked))
    file = campaign.file.model_copy(update={"enterprises": enterprises})
    return Campaign(file, campaign.path, priority_sources=sources)


def _source(e: Enterprise, as_of: dt.date, found: list[str], due: dt.date | None, finding: str | None,
            checked: bool) -> PrioritySource:
    differs = (len(found), due) != (e.open_major_hazards, e.recheck_due)
    said = f"重大事故隐患未销号 {len(found)} 项" + (f"（{'、'.join(found)}）" if found else "")
    said += f"，复查期限 {due}（{finding}{'' if checked else '，期限未核实'}）" if due else "，无待复查"
    text = f"一企一册（截至 {as_of}）：{said}"
    if differs:
        text += (f"；计划文件写重大事故隐患 {e.open_major_hazards} 项、"
                 f"{f'复查期限 {e.recheck_due}' if e.recheck_due else '无复查'}，以一企一册为准")
    return PrioritySource(enterprise=e.id, as_of=as_of, open_major_hazards=len(found), major_hazard_findings=found,
                          recheck_due=due, recheck_finding=finding, recheck_checked=checked,
                          file_open_major_hazards=e.open_major_hazards, file_recheck_due=e.recheck_due,
                          differs=differs, text=text)
