from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from safety_rules import Rulebook
from safety_rules.dossier._deadlines import DeadlineTable
from safety_rules.dossier._model import Officer
from safety_rules.dossier._procedure import Procedure
from safety_rules.dossier._replay import freeze
from safety_rules.dossier._store import Dossier, MemoryWorld, parse

from ..conftest import EXAMPLES

OFFICERS = [Officer(name="李明", certificate="SD-0001"), Officer(name="王强", certificate="SD-0002")]
OFFICER_DUMP = [o.model_dump() for o in OFFICERS]
WOOD = "LY-DUST-007"
INSPECTED = dt.date(2024, 9, 20)


@pytest.fixture(scope="session")
def procedure(book: Rulebook) -> Procedure:
    return Procedure(book.law, DeadlineTable(book.law))


Events = list[tuple[str, str, dict[str, Any]]]


def inspection(book: Rulebook, day: dt.date = INSPECTED, inspection_id: str = "I1") -> Events:
    """The wood-products example inspected on ``day``: I1-01 … its findings, as (enterprise, kind, payload)."""
    enterprise = book.load_enterprise(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
    events = freeze(book, enterprise, inspection_id=inspection_id, team="涉尘组", officers=OFFICERS, date=day,
                    campaign="C1")
    return [(enterprise.id, kind, payload) for kind, payload in events]


def finding_id(events: list[tuple[str, str, dict[str, Any]]], rule_id: str) -> str:
    return next(p["finding_id"] for _e, k, p in events if k == "finding" and p["rule_id"] == rule_id)


def refusable(events: Events) -> tuple[str, str]:
    """(finding id, rule id) of the first major hazard whose penalty has a 拒不执行 tier that suspends (责令停产
    停业整顿): found by its sanction, since the rules that carry one change as the rulebook grows."""
    return next((p["finding_id"], p["rule_id"]) for _e, k, p in events
                if k == "finding" and p["severity"] == "major_hazard" and p["sanction"] and
                any(t["trigger"] == "refused" and t.get("suspension") for t in p["sanction"]["tiers"]))


class Memory:
    """A dossier folded in memory: apply events one by one, as the projection does."""

    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self.world = MemoryWorld()

    def __call__(self, kind: str, payload: dict[str, Any], enterprise: str = WOOD) -> None:
        self.procedure.apply(self.world, enterprise, kind, parse(kind, payload))

    def all(self, events: list[tuple[str, str, dict[str, Any]]]) -> None:
        for e, k, p in events:
            self(k, p, e)


@pytest.fixture()
def memory(procedure: Procedure) -> Memory:
    return Memory(procedure)


@pytest.fixture()
def dossier(url: str, book: Rulebook) -> Iterator[Dossier]:
    d = Dossier(url, book=book)
    yield d
    d.store.dispose()
