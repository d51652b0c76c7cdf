"""Due items: what a finding or a case owes, by when, and under which provision.

Recomputed from a record's state each time it changes (in the append's transaction), so the
``dossier_due`` table always holds every open deadline; ``due --as-of D --within N`` lists those
with ``due_on <= D + N``: a day missed loses nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ._deadlines import Deadline
from ._model import CaseRecord, FindingRecord
from ._procedure import Procedure


@dataclass(frozen=True)
class DueItem:
    item_id: str
    subject: str  # finding | case
    subject_id: str
    enterprise_id: str
    county: str | None
    team: str
    officer: str
    period: str
    label: str
    party: str  # enterprise | authority
    due_on: dt.date
    provision: str
    checked: bool
    note: str | None

    def as_row(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat: dataclasses.asdict's deep copy costs more than the insert


def _item(record: FindingRecord | CaseRecord, d: Deadline, note: str | None = None) -> DueItem:
    if isinstance(record, FindingRecord):
        subject, sid = "finding", record.finding_id
    else:
        subject, sid = "case", record.case_id
    notes = [n for n in (note, d.note) if n]
    return DueItem(f"{subject}:{sid}:{d.period}", subject, sid, record.enterprise_id, record.county, record.team,
                   record.officer, d.period, d.label, d.party, d.due, d.provision, d.checked, "；".join(notes) or None)


def finding_items(procedure: Procedure, f: FindingRecord) -> list[DueItem]:
    deadlines = procedure.deadlines
    items: list[DueItem] = []
    if f.state == "ordered" and f.deadline is not None:
        penalty = f.penalty
        order = Deadline("rectification", "限期整改", "enterprise", f.deadline, procedure.order_basis(f),
                         penalty.source_checked if penalty else False)
        items.append(_item(f, order, f"整改要求：{f.issued.rectification.get('hint', '')}"))
        items.append(_item(f, deadlines.deadline("reinspection", f.deadline), "自整改期限届满之日起"))
        if f.extension_requested_on is not None:
            items.append(_item(f, deadlines.deadline("extension-reply", f.extension_requested_on)))
    elif f.state == "claimed" and f.claimed_on is not None:
        items.append(_item(f, deadlines.deadline("reinspection", f.claimed_on), "自复查申请之日起"))
    elif f.state == "suspended" and f.suspended_on is not None:
        items.append(_item(f, deadlines.deadline("suspension-limit", f.suspended_on)))
        if f.claimed_on is not None:
            items.append(_item(f, deadlines.deadline("resumption-review", f.claimed_on), "自恢复生产书面申请之日起"))
    return items


def case_items(procedure: Procedure, c: CaseRecord) -> list[DueItem]:
    deadlines = procedure.deadlines
    items: list[DueItem] = []
    if c.decided_on is None and c.state not in ("not_penalised", "closed"):
        items.append(_item(c, deadlines.deadline("decision", c.opened_on)))
    if c.state == "notified" and c.notified_on is not None:
        items.append(_item(c, deadlines.deadline("hearing-request", c.notified_on), "当事人要求听证的期限"))
    if c.state == "hearing_scheduled" and c.hearing_on is not None:
        held = Deadline("hearing", "举行听证", "authority", c.hearing_on,
                        *procedure.cited("administrative-penalty-law", "hearing-right", c.hearing_on))
        items.append(_item(c, held))
    if c.state == "decided" and c.decided_on is not None:
        items.append(_item(c, deadlines.deadline("delivery", c.decided_on)))
    if c.state in ("delivered", "demanded") and c.delivered_on is not None and c.fine:
        pay = procedure.payment_due(c)
        assert pay is not None
        items.append(_item(c, pay, f"罚款 {c.fine} 元；逾期每日加处百分之三，以罚款数额为限"))
        earliest, latest = procedure.enforcement_window(c)
        items.append(_item(c, latest, f"最早 {earliest.due.isoformat()}（复议、诉讼期限届满"
                                      f"{'、催告书送达十个工作日' if c.demanded_on else '；须先催告'}）"))
    return items
