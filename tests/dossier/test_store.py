"""The dossier on the event store, on SQLite and PostgreSQL: read tables equal a fold of the events,
refused batches write nothing, verify names tampering, due lists exactly what is overdue after a
holiday, warnings, migrations upgrade a database of the previous revision."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safety_rules import EventStore, Migrations, Rulebook
from safety_rules.dossier._model import CaseRecord, EnterpriseRecord, FindingRecord
from safety_rules.dossier._procedure import record_key
from safety_rules.dossier._store import MIGRATIONS, Dossier, due_items, findings_table, metadata
from safety_rules.dossier._warnings import warnings
from safety_rules.shared._errors import RefusedTransition

from ..conftest import EXAMPLES, RULES, tamper
from .conftest import OFFICER_DUMP, finding_id, inspection, refusable

ZONE20, SIGNS = "dust.zone20-electrics", "dust.warning-signs"


def _read_tables_equal_the_fold(dossier: Dossier) -> None:
    """Every record of the read tables equals (by value) the one folded from the events alone, and the due
    table holds exactly the due items of the folded records."""
    world = dossier.fold()
    for kind, stored in ((FindingRecord, dossier.findings()), (CaseRecord, dossier.cases()),
                         (EnterpriseRecord, dossier.enterprises())):
        folded = world.all(kind)
        assert len(stored) == len(folded) and {record_key(r): r for r in stored} == {record_key(r): r for r in folded}
    expected = sorted((i for r in [*world.all(FindingRecord), *world.all(CaseRecord)]
                       for i in due_items(dossier.procedure, r)), key=lambda i: i.item_id)
    assert sorted(dossier.due(dt.date(2100, 1, 1)), key=lambda i: i.item_id) == expected


def test_read_tables_equal_the_fold_and_a_refused_batch_writes_nothing(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book)
    dossier.record(events)
    signs = finding_id(events, SIGNS)
    head = dossier.head()
    with pytest.raises(RefusedTransition, match="never re-inspected"):
        dossier.record([("LY-DUST-007", "finding.ordered", {"finding_id": signs, "date": "2024-09-20"}),
                        ("LY-DUST-007", "finding.closed", {"finding_id": signs, "date": "2024-09-21"})])
    assert dossier.head() == head and dossier.finding(signs).state == "found"  # type: ignore[union-attr]
    _read_tables_equal_the_fold(dossier)
    dossier.rebuild()
    _read_tables_equal_the_fold(dossier)


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


def test_a_case_named_like_a_finding_keeps_both_due_lists(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book)
    dossier.record(events)
    signs = finding_id(events, SIGNS)
    dossier.record([("LY-DUST-007", "finding.ordered", {"finding_id": signs, "date": "2024-09-20"}),
                    ("LY-DUST-007", "case.opened", {"case_id": signs, "date": "2024-09-21", "finding_ids": [signs],
                                                    "tier": "first_instance"})])
    dossier.record([("LY-DUST-007", "case.investigated", {"case_id": signs, "date": "2024-09-22",
                                                          "officers": OFFICER_DUMP})])
    due = {(i.subject, i.period) for i in dossier.due(dt.date(2100, 1, 1)) if i.subject_id == signs}
    assert due == {("finding", "rectification"), ("finding", "reinspection"), ("case", "decision")}
    _read_tables_equal_the_fold(dossier)


def test_warnings(dossier: Dossier, book: Rulebook) -> None:
    events = inspection(book)
    dossier.record(events)
    major, rule = refusable(events)
    dossier.record([("LY-DUST-007", "finding.ordered", {"finding_id": major, "date": "2024-09-20", "days": 5})])
    again = inspection(book, dt.date(2024, 11, 1), "I2")
    dossier.record(again)
    kinds = {(w.kind, tuple(w.subjects)) for w in warnings(dossier, dt.date(2024, 11, 2))}
    assert ("major-hazard-overdue", (major,)) in kinds
    assert ("repeat", (major, finding_id(again, rule))) in kinds
    dossier.record([("LY-DUST-007", "finding.refused", {"finding_id": major, "date": "2024-11-02",
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


def test_the_revisions_make_the_tables_the_code_declares(dossier: Dossier) -> None:
    """Columns, types and indexes (partial ones included) made by the Alembic revisions are those of the table
    definitions the projection and queries use."""
    with dossier.store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "dossier_" in repr(d)] == []


REFERRAL = "《中华人民共和国刑法》 第一百三十四条之一（二）"
OLD_FINDING = {"referral": REFERRAL, "refused_on": "2024-03-01", "measures": ["责令停产停业整顿"],
               "issued": {"title": "粉尘爆炸危险场所电气设备不防爆", "citations": [
                   {"role": "duty", "text": "第四十一条"},
                   {"role": "penalty", "text": "第一百零二条", "preferred": True}]}}


@pytest.mark.parametrize("previous", ["dossier_0001", "dossier_0002"])
def test_a_database_of_an_earlier_revision_is_upgraded(url: str, tmp_path: Path, book: Rulebook,
                                                       previous: str) -> None:
    """Each earlier revision's database, with a refused finding and a decided case in it, is brought to the
    head: the columns added since are filled in from the records' documents, and warnings read them."""
    location = tmp_path / "previous"
    location.mkdir()
    for revision in sorted(MIGRATIONS.location.glob("dossier_*.py")):
        if revision.stem <= previous:
            shutil.copy(revision, location)
    old = EventStore(url, migrations=[Migrations("dossier", location)])
    referral = ", referral" if previous >= "dossier_0002" else ""
    with old.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO dossier_findings (finding_id, enterprise_id, rule_id, severity, state, "
                             f"found_on, doc{referral}) VALUES ('F1', 'E1', 'r', 'major_hazard', 'refused', :d, :doc"
                             f"{', :referral' if referral else ''})"),
                     {"d": dt.date(2024, 1, 2), "doc": json.dumps(OLD_FINDING, ensure_ascii=False),
                      "referral": REFERRAL})
        conn.execute(sa.text("INSERT INTO dossier_cases (case_id, enterprise_id, state, decided_on, doc) VALUES "
                             "('K1', 'E1', 'decided', :d, :doc)"),
                     {"d": dt.date(2024, 3, 5), "doc": json.dumps({"edition": "2021", "fine": 30000})})
    old.dispose()
    upgraded = Dossier(url, book=book)
    with upgraded.store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version_dossier")).scalar() == "dossier_0003"
        t = findings_table.c
        finding = conn.execute(sa.select(t.referral, t.title, t.penalty, t.refused_on, t.measures)).one()
        assert tuple(finding) == (REFERRAL, "粉尘爆炸危险场所电气设备不防爆", "第一百零二条", dt.date(2024, 3, 1),
                                        '["责令停产停业整顿"]')
        assert tuple(conn.execute(sa.text("SELECT edition, fine FROM dossier_cases")).one()) == ("2021", 30000)
        inspector = sa.inspect(conn)
        assert "ix_dossier_due_county_due_on" in {i["name"] for i in inspector.get_indexes("dossier_due")}
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("dossier_findings")}
    assert "ix_dossier_findings_repeat" not in indexes and indexes["ix_dossier_findings_repeat_found"][0] == "found_on"
    assert indexes["ix_dossier_findings_overdue"][-1] == "title"
    refused = [w for w in warnings(upgraded, dt.date(2024, 6, 1)) if w.kind == "refused"]
    assert len(refused) == 1 and REFERRAL in refused[0].message and "第一百一十三条" in refused[0].provision
    upgraded.store.dispose()


# ----------------------------------------------------------------------------- writers in other processes
WRITER = """
import dataclasses, datetime as dt, json, sys
from safety_rules.dossier._model import Officer
from safety_rules.dossier._replay import freeze
from safety_rules.dossier._store import Dossier
from safety_rules.shared._errors import RefusedTransition

url, rules, example, mode, name = sys.argv[1:6]
dossier = Dossier(url, rules=rules)
base = dossier.book.load_enterprise(example)
officers = [Officer(name=name + "甲", certificate=name + "-1"), Officer(name=name + "乙", certificate=name + "-2")]


def inspected(enterprise_id, inspection_id, day):
    enterprise = dataclasses.replace(base, id=enterprise_id)
    events = freeze(dossier.book, enterprise, inspection_id=inspection_id, team=name, officers=officers, date=day)
    return [(enterprise_id, kind, payload) for kind, payload in events]


def say(**what):
    print(json.dumps(what), flush=True)


if mode == "kill":  # batches of three inspections of new enterprises, each batch one append, until killed
    batches = [[e for j in range(3) for e in inspected(f"K-{3 * n + j}", f"K{3 * n + j}", dt.date(2024, 9, 20))]
               for n in range(400)]
    for n, batch in enumerate(batches):
        dossier.record(batch)
        say(batch=n)
else:  # an officer on the shared enterprise: one inspection, a contested order, then each finding step alone
    day = dt.date(2024, 9, 21 + int(name[1:]))
    say(ready=name)
    sys.stdin.readline()  # all officers start together
    written = dossier.record(inspected(base.id, name, day))
    say(seqs=[e.seq for e in written])
    try:
        written = dossier.record([(base.id, "finding.ordered", {"finding_id": sys.argv[6], "date": "2024-09-30",
                                                                 "days": 3 + int(name[1:])})])
        say(contested=name, seqs=[e.seq for e in written])
    except RefusedTransition as exc:
        say(refused=str(exc))
    mine = [p["finding_id"] for _e, kind, p in inspected(base.id, name, day) if kind == "finding"]
    for fid in mine:
        for kind in ("finding.corrected", "finding.closed"):
            written = dossier.record([(base.id, kind, {"finding_id": fid, "date": "2024-10-08"})])
            say(seqs=[e.seq for e in written])
"""
EXAMPLE = EXAMPLES / "enterprises" / "linyi-wood-products.yaml"


def _writer(url: str, mode: str, name: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, url, str(RULES), str(EXAMPLE), mode, name, *extra],
                            text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)




def test_a_writer_killed_mid_append_loses_nothing_committed_and_half_writes_nothing(url: str, book: Rulebook) -> None:
    Dossier(url, book=book).store.dispose()  # made before the writer starts
    w = _writer(url, "kill", "K")
    assert w.stdout is not None
    reported = -1
    while reported < 15:  # let it commit a while, then kill it in the middle of the next append
        line = w.stdout.readline()
        assert line, w.stderr.read() if w.stderr else "the writer died"
        reported = json.loads(line)["batch"]
    w.send_signal(signal.SIGKILL)
    w.wait(timeout=30)
    dossier = Dossier(url, book=book)
    per_inspection = len([k for _e, k, _p in inspection(book) if k == "finding"]) + 1
    events = list(dossier.events())
    inspections = sorted(int(e.payload["inspection_id"][1:]) for e in events if e.kind == "inspection")
    assert len(inspections) % 3 == 0 and inspections == list(range(len(inspections)))  # whole batches, in order
    assert len(inspections) // 3 > reported  # every batch reported committed is there
    assert len(events) == per_inspection * len(inspections)  # each inspection with all its findings
    assert dossier.verify().ok
    _read_tables_equal_the_fold(dossier)
    dossier.record(inspection(book, inspection_id="after"))  # the store takes appends again
    assert dossier.verify().ok
    dossier.store.dispose()


def test_concurrent_officers_on_the_same_enterprise(url: str, book: Rulebook) -> None:
    dossier = Dossier(url, book=book)
    first = inspection(book)
    dossier.record(first)
    contested = finding_id(first, SIGNS)
    writers = [_writer(url, "officer", f"P{i}", contested) for i in range(3)]
    for w in writers:
        assert w.stdout is not None and "ready" in w.stdout.readline(), w.stderr.read() if w.stderr else ""
    for w in writers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    said: list[dict[str, Any]] = []
    for w in writers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
        said += [json.loads(line) for line in out.splitlines()]
    winners = [s for s in said if "contested" in s]
    assert len(winners) == 1 and len([s for s in said if "refused" in s]) == 2  # one order, the others refused
    assert all("is ordered: an order to rectify is allowed only when it is found" in s["refused"]
               for s in said if "refused" in s)
    events = {e.seq: e for e in dossier.events()}
    reported = sorted(seq for s in said for seq in s.get("seqs", []))
    assert reported == sorted(set(reported)) and set(reported) | set(range(1, len(first) + 1)) == set(events)
    assert dossier.verify().ok
    order = dossier.finding(contested)
    assert order is not None and order.state == "ordered"
    assert order.deadline == dt.date(2024, 9, 30) + dt.timedelta(days=3 + int(winners[0]["contested"][1:]))
    mine = [f for f in dossier.findings() if f.inspection_id.startswith("P")]
    assert len(mine) == 3 * (len(first) - 1) and all(f.state == "closed" for f in mine)
    enterprise = dossier.enterprises()[0]
    assert sorted(enterprise.findings) == sorted(f.finding_id for f in dossier.findings())
    _read_tables_equal_the_fold(dossier)  # repeat_of and states as the chain orders them
    dossier.store.dispose()
