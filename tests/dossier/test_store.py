"""The dossier on the event store, on SQLite and PostgreSQL: read tables equal a fold of the events,
refused batches write nothing, verify names tampering, due lists exactly what is overdue after a
holiday, warnings, migrations upgrade a database of the previous revision."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from safety_rules import EventStore, Migrations, Rulebook
from safety_rules.dossier._model import FindingRecord
from safety_rules.dossier._store import MIGRATIONS, Dossier
from safety_rules.dossier._warnings import warnings
from safety_rules.shared._errors import RefusedTransition

from ..conftest import tamper
from .conftest import OFFICER_DUMP, finding_id, inspection

ZONE20, SIGNS = "dust.zone20-electrics", "dust.warning-signs"


def test_read_tables_equal_the_fold_and_a_refused_batch_writes_nothing(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book)
    dossier.record(events)
    signs = finding_id(events, SIGNS)
    head = dossier.head()
    with pytest.raises(RefusedTransition, match="never re-inspected"):
        dossier.record([("LY-DUST-007", "finding.ordered", {"finding_id": signs, "date": "2024-09-20"}),
                        ("LY-DUST-007", "finding.closed", {"finding_id": signs, "date": "2024-09-21"})])
    assert dossier.head() == head and dossier.finding(signs).state == "found"  # type: ignore[union-attr]
    folded = dossier.fold().all(FindingRecord)
    assert sorted(f.model_dump_json() for f in folded) == sorted(f.model_dump_json() for f in dossier.findings())
    dossier.rebuild()
    assert sorted(f.model_dump_json() for f in folded) == sorted(f.model_dump_json() for f in dossier.findings())


def test_due_lists_exactly_the_overdue_items_after_national_day(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book, dt.date(2024, 9, 27))
    dossier.record(events)
    zone20, signs = finding_id(events, ZONE20), finding_id(events, SIGNS)
    dossier.record([
        ("LY-DUST-007", "finding.ordered", {"finding_id": zone20, "date": "2024-09-27", "days": 3}),  # due 09-30
        ("LY-DUST-007", "finding.ordered", {"finding_id": signs, "date": "2024-09-27", "days": 14}),  # due 10-11
        ("LY-DUST-007", "case.opened", {"case_id": "C1", "date": "2024-09-27", "finding_ids": [zone20],
                                        "tier": "first_instance"}),
        ("LY-DUST-007", "case.investigated", {"case_id": "C1", "date": "2024-09-27", "officers": OFFICER_DUMP}),
        ("LY-DUST-007", "case.notified", {"case_id": "C1", "date": "2024-09-27", "hearing_offered": False}),
        ("LY-DUST-007", "case.decided", {"case_id": "C1", "date": "2024-09-27", "number": "罚1", "fine": 30000}),
    ])
    overdue = [(i.subject_id, i.period, i.due_on.isoformat()) for i in dossier.due(dt.date(2024, 10, 8))
               if i.due_on < dt.date(2024, 10, 8)]
    # delivery: 7 working days after 09-27 are 09-29 (调休), 09-30, 10-08 … 10-11 and 10-12 (调休): not yet due
    assert sorted(overdue) == [(zone20, "rectification", "2024-09-30")]
    later = {(i.subject_id, i.period): i for i in dossier.due(dt.date(2024, 10, 8), within=4)}
    assert later[("C1", "delivery")].due_on == dt.date(2024, 10, 12)
    assert later[(zone20, "reinspection")].due_on == dt.date(2024, 10, 10) and not later[(zone20,
                                                                                         "reinspection")].checked
    assert (signs, "rectification") in later  # 10-11, within 3 days
    # idempotent: a day missed loses nothing
    assert {i.item_id for i in dossier.due(dt.date(2024, 10, 9))} >= {i.item_id for i in dossier.due(
        dt.date(2024, 10, 8))}


def test_warnings(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book)
    dossier.record(events)
    zone20 = finding_id(events, ZONE20)
    dossier.record([("LY-DUST-007", "finding.ordered", {"finding_id": zone20, "date": "2024-09-20", "days": 5})])
    dossier.record(inspection(book, dt.date(2024, 11, 1), "I2"))
    kinds = {(w.kind, tuple(w.subjects)) for w in warnings(dossier, dt.date(2024, 11, 2))}
    assert ("major-hazard-overdue", (zone20,)) in kinds
    assert ("repeat", (zone20, "I2-04")) in kinds
    dossier.record([("LY-DUST-007", "finding.refused", {"finding_id": zone20, "date": "2024-11-02",
                                                        "real_danger": True})])
    refused = [w for w in warnings(dossier, dt.date(2024, 11, 3)) if w.kind == "refused"]
    assert refused and "危险作业罪" in refused[0].message and "第一百一十三条" in refused[0].provision
    cases = []
    for n, day in enumerate(["2024-09-21", "2024-10-21", "2024-11-21"], 1):
        cases += [("LY-DUST-007", "case.opened", {"case_id": f"K{n}", "date": day, "finding_ids": [f"I2-0{n}"],
                                                  "tier": "first_instance"}),
                  ("LY-DUST-007", "case.investigated", {"case_id": f"K{n}", "date": day, "officers": OFFICER_DUMP}),
                  ("LY-DUST-007", "case.notified", {"case_id": f"K{n}", "date": day, "hearing_offered": False}),
                  ("LY-DUST-007", "case.decided", {"case_id": f"K{n}", "date": day, "number": str(n), "fine": 1000})]
    dossier.record(cases[:8])
    assert not [w for w in warnings(dossier, dt.date(2024, 11, 30)) if w.kind == "closure"]
    dossier.record(cases[8:])
    closure = [w for w in warnings(dossier, dt.date(2024, 11, 30)) if w.kind == "closure"]
    assert len(closure) == 1 and "一百八十日内三次" in closure[0].message and "第一百一十三条" in closure[0].provision


def test_verify_names_the_first_altered_event(dossier: Dossier, book: Rulebook, url: str) -> None:
    dossier.record(inspection(book))
    assert dossier.verify().ok
    tamper(url, ("UPDATE events SET payload = replace(payload, '涉尘组', '冶炼组') WHERE seq = 1", {}))
    result = dossier.verify()
    assert not result.ok and result.first_bad_seq == 1 and result.stream == "dossier/LY-DUST-007"


def test_a_database_of_the_previous_revision_is_upgraded(url: str, tmp_path: Path, book: Rulebook) -> None:
    previous = tmp_path / "previous"
    previous.mkdir()
    shutil.copy(MIGRATIONS.location / "dossier_0001.py", previous)
    old = EventStore(url, migrations=[Migrations("dossier", previous)])
    with old.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO dossier_findings (finding_id, enterprise_id, rule_id, severity, state, "
                             "found_on, doc) VALUES ('F1', 'E1', 'r', 'major_hazard', 'refused', :d, :doc)"),
                     {"d": dt.date(2024, 1, 2), "doc": '{"referral": "《刑法》 第一百三十四条之一（二）"}'})
    old.dispose()
    upgraded = Dossier(url, book=book)
    with upgraded.store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version_dossier")).scalar() == "dossier_0002"
        referral = conn.execute(sa.text("SELECT referral FROM dossier_findings")).scalar()
    assert referral == "《刑法》 第一百三十四条之一（二）"
    with upgraded.store.engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("dossier_due")}
    assert "ix_dossier_due_county_due_on" in indexes
    upgraded.store.dispose()
