"""What an expert's finding became: the expert registry's ``outcome`` events that dossier steps call for.

A dossier finding may name the expert finding it came from (``expert_finding_id`` of its ``finding``
payload); the registry's finding must be on record in the same event store, about the same enterprise,
or the batch is refused.
A step that settles such a finding appends the registry's ``outcome`` event in the same transaction
(:meth:`EventStore.append`'s ``follow``, through the registry's own projection):

- ``case.decided`` upholds every finding of the case: ``confirmed: true``, ``by: penalty-decision``,
  the 行政处罚决定书 number;
- ``finding.reinspected`` (pass or fail: either way the hazard was there to rectify): ``confirmed:
  true``, ``by: re-inspection``, the 整改复查意见书 number;
- ``finding.withdrawn`` (撤销 by 复议, a court or the authority): ``confirmed: false``, ``by:
  withdrawal``, the decision's number.

The first of these settles the expert finding. A later withdrawal of a finding whose outcome on record
confirms it (a withdrawal after a decision or a re-inspection) appends a correction (``corrects``: the
outcome's ``by``) that the scores count from its date on; any other later step (a decision after a failed
re-inspection, anything after a withdrawal) adds none, as the registry would refuse it
(:data:`~safety_rules.experts._records.CORRECTIONS`). Outcomes are decided while the batch is applied to
the read tables, never when they are rebuilt or the events folded again, so neither ever appends one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Connection

from ..experts._records import CORRECTIONS, OUTCOMES, FindingOutcome, finding_ids, outcome_state, project_outcomes
from ..shared._errors import DossierError, NotFoundError, did_you_mean
from ..shared._events import Event, NewEvent, Projection
from ._model import CaseRecord, Decided, FindingIssued, FindingRecord, Reinspected, Withdrawn
from ._procedure import World

RECORDED_BY = "dossier"  # the registry's recorder: the dossier event named in ``source`` says who decided


def settled(world: World, payload: BaseModel) -> list[tuple[str, bool, str, Any, str]]:
    """(expert finding id, confirmed, by, decided_on, reference) of each linked finding the applied step
    settles."""
    if isinstance(payload, Decided):
        case: CaseRecord = world.get(CaseRecord, payload.case_id)
        linked = [world.get(FindingRecord, f).issued.expert_finding_id for f in case.finding_ids]
        return [(x, True, "penalty-decision", payload.date, payload.number) for x in linked if x is not None]
    if isinstance(payload, Reinspected | Withdrawn):
        x = world.get(FindingRecord, payload.finding_id).issued.expert_finding_id
        if x is None:
            return []
        if isinstance(payload, Reinspected):
            assert payload.document_no is not None  # the procedure asks for it on a linked finding
            return [(x, True, "re-inspection", payload.date, payload.document_no)]
        return [(x, False, "withdrawal", payload.date, payload.decision_no)]
    return []


class OutcomeLinks:
    """One dossier append's links to the expert registry: checked against the registry's findings, and the
    outcomes the batch settles collected for :meth:`follow`."""

    def __init__(self) -> None:
        self.conn: Connection
        self.state: dict[str, tuple[str, FindingOutcome | None]] = {}  # expert finding → (enterprise, latest outcome)
        self.outcomes: list[FindingOutcome] = []

    def load(self, conn: Connection, payloads: Sequence[BaseModel]) -> None:
        """The registry's state of every expert finding the batch links (one query)."""
        self.conn = conn
        self.state = outcome_state(conn, [p.expert_finding_id for p in payloads
                                          if isinstance(p, FindingIssued) and p.expert_finding_id is not None])

    def check(self, enterprise_id: str, payload: BaseModel) -> None:
        if not isinstance(payload, FindingIssued) or payload.expert_finding_id is None:
            return
        wanted = payload.expert_finding_id
        if wanted not in self.state:
            raise NotFoundError(f"finding {payload.finding_id}: no expert finding {wanted!r} is on record in the "
                                "expert registry of this event store (record it first: safety-rules experts "
                                "outcomes)", suggestion=did_you_mean(wanted, finding_ids(self.conn)), finding=wanted)
        about = self.state[wanted][0]
        if about != enterprise_id:
            raise DossierError(f"finding {payload.finding_id} is in the dossier of {enterprise_id}; expert finding "
                               f"{wanted} is about {about}", finding=wanted)

    def settle(self, world: World, event: Event, payload: BaseModel) -> None:
        for expert_finding, confirmed, by, decided_on, reference in settled(world, payload):
            if expert_finding not in self.state:  # linked by an earlier batch
                self.state.update(outcome_state(self.conn, [expert_finding]))
            about, latest = self.state.get(expert_finding, ("", None))
            if latest is not None and (latest.by, by) not in CORRECTIONS:
                continue  # settled already, and this step does not correct it
            outcome = FindingOutcome.model_validate({
                "finding_id": expert_finding, "confirmed": confirmed, "by": by, "decided_on": decided_on,
                "reference": reference, "source": f"{event.stream}#{event.seq}", "recorded_by": RECORDED_BY,
                "corrects": None if latest is None else latest.by})
            self.state[expert_finding] = (about, outcome)
            self.outcomes.append(outcome)

    def follow(self, _written: Sequence[Event]) -> tuple[list[NewEvent], Projection]:
        return [NewEvent(OUTCOMES, "outcome", o.payload()) for o in self.outcomes], project_outcomes
