"""``safety-rules dossier ...`` end to end: the due table in an 80-column terminal against its JSON, and
verify naming a changed or missing evidence file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len

from safety_rules import Rulebook
from safety_rules.cli._app import out as console
from safety_rules.dossier._store import Dossier, findings_table

from ..conftest import EXAMPLES
from ..conftest import run_cli as run

SAMPLE = EXAMPLES / "dossier" / "campaigns.jsonl"
WOOD = str(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("dossier") / "d.sqlite3")
    code, _, err = run("dossier", "record", str(SAMPLE), "--evidence", str(EXAMPLES / "dossier" / "evidence"),
                       "--db", db)
    assert code == 0, err
    return db


def test_due_fits_80_columns_and_lists_every_item_of_its_json(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 80)
    code, table, _ = run("dossier", "due", "--as-of", "2024-10-08", "--within", "3", "--db", sample)
    assert code == 0
    code, raw, _ = run("dossier", "due", "--as-of", "2024-10-08", "--within", "3", "--db", sample, "-f", "json")
    items = json.loads(raw)
    assert len(items) > 20 and all(i["provision"] and i["label"] for i in items)  # JSON: every field, in full
    lines = table.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= 80
    assert lines[0].startswith(f"{len(items)} 项到期或将到期（{sum(i['overdue'] for i in items)} 项逾期）")
    rows = [line.split() for line in lines if line.startswith("  2")]
    assert [(r[0], r[2]) for r in rows] == [(i["due_on"], i["subject_id"]) for i in items]
    assert sum("⚠未核实" in line for line in lines) == sum(not i["checked"] for i in items)
    county = items[0]["county"]
    code, raw, _ = run("dossier", "due", "--as-of", "2024-10-08", "--within", "3", "--db", sample, "-f", "json",
                       "--county", county)
    assert json.loads(raw) == [i for i in items if i["county"] == county]


def test_verify_names_a_changed_and_a_missing_evidence_file(tmp_path: Path) -> None:
    db = str(tmp_path / "d.sqlite3")
    assert run("dossier", "inspect", WOOD, "--id", "I1", "--team", "涉尘组", "--officer", "李明:SD-0001",
               "--officer", "王强:SD-0002", "--date", "2024-09-20", "--db", db)[0] == 0
    shas = []
    for name in ("photo.txt", "report.txt"):
        (tmp_path / name).write_text(f"{name}: 现场照片\n", encoding="utf-8")
        code, said, err = run("dossier", "evidence", "add", str(tmp_path / name), "--enterprise", "LY-DUST-007",
                              "--kind", "视听资料", "--method", "拍摄", "--made-at", "2024-09-20T10:00:00+08:00",
                              "--made-by", "李明", "--proves", "未设警示标志", "--source", "执法记录仪",
                              "--finding", "I1-03", "--db", db)
        assert code == 0, err
        shas.append(said.split("sha256 ")[1].strip())
    code, said, _ = run("dossier", "verify", "--db", db)
    assert code == 0 and "evidence: ok — 2 file(s) match their SHA-256" in said
    stored = tmp_path / "d.sqlite3-evidence"
    changed, missing = (stored / s[:2] / s for s in shas)
    changed.chmod(0o644)
    changed.write_text("photo.txt: 另一张照片\n", encoding="utf-8")
    missing.unlink()
    code, said, _ = run("dossier", "verify", "--db", db)
    assert code == 1
    assert "evidence: FAILED — evidence photo.txt (seq" in said and "changed: its content no longer" in said
    assert "evidence: FAILED — evidence report.txt (seq" in said and "missing from" in said
    code, _, err = run("dossier", "evidence", "add", str(tmp_path / "photo.txt"), "--enterprise", "LY-DUST-007",
                       "--kind", "视听资料", "--method", "拍摄", "--made-at", "2024-09-20 10:00", "--made-by", "李明",
                       "--proves", "x", "--source", "x", "--db", db)
    assert code == 2 and "needs a time zone" in err


def test_an_inspection_linked_to_an_expert_finding_records_its_outcome_with_the_decision(tmp_path: Path,
                                                                                        book: Rulebook) -> None:
    db = str(tmp_path / "d.sqlite3")
    (tmp_path / "experts.yaml").write_text(
        "findings:\n  - {finding_id: EF-1, case_id: A, expert_id: X, enterprise_id: LY-DUST-007, case_date: 2024-09-20,"
        " description: 20区电气设备非防爆型, recorded_by: 李}\n", encoding="utf-8")
    assert run("experts", "outcomes", "--file", str(tmp_path / "experts.yaml"), "--log", db)[0] == 0
    inspect = ("dossier", "inspect", WOOD, "--id", "I1", "--team", "涉尘组", "--officer", "李明:SD-0001",
               "--officer", "王强:SD-0002", "--date", "2024-09-20", "--db", db)
    code, _, err = run(*inspect, "--expert-finding", "dust.zone20-electrics")
    assert code == 2 and "expected RULE=ID" in err
    code, _, err = run(*inspect, "--expert-finding", "dust.zone20-electrics=EF-2")
    assert code != 0 and "no expert finding 'EF-2'" in err and "did you mean 'EF-1'" in err
    code, _, err = run(*inspect, "--expert-finding", "dust.zone20-electrics=EF-1")
    assert code == 0, err
    dossier = Dossier(db, book=book)
    (zone20,) = dossier.findings(findings_table.c.rule_id == "dust.zone20-electrics")
    dossier.store.dispose()
    assert zone20.issued.expert_finding_id == "EF-1"
    officers = [{"name": "李明", "certificate": "SD-0001"}, {"name": "王强", "certificate": "SD-0002"}]
    steps = [("finding.ordered", {"finding_id": zone20.finding_id, "date": "2024-09-20", "days": 3})] + [
        (kind, {"case_id": "K1", "date": "2024-09-27", **extra}) for kind, extra in (
            ("case.opened", {"finding_ids": [zone20.finding_id], "tier": "first_instance"}),
            ("case.investigated", {"officers": officers}), ("case.notified", {"hearing_offered": False}),
            ("case.decided", {"number": "临应急罚〔2024〕17号", "fine": 30000}))]
    (tmp_path / "steps.jsonl").write_text("".join(
        json.dumps({"enterprise": "LY-DUST-007", "kind": k, "payload": p}, ensure_ascii=False) + "\n"
        for k, p in steps), encoding="utf-8")
    code, said, err = run("dossier", "record", str(tmp_path / "steps.jsonl"), "--db", db)
    assert code == 0, err
    assert "recorded 5 event(s) and 1 expert finding outcome(s) (experts/outcomes)" in said
