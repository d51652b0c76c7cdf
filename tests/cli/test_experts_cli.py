"""``safety-rules experts ...`` end to end, on the bundled registry and sample cases."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import EXAMPLES, FIXTURES
from ..conftest import run_cli as run

CASES = str(EXAMPLES / "cases" / "cases.yaml")
HISTORY = str(EXAMPLES / "cases" / "history.yaml")
EVALUATIONS = str(EXAMPLES / "cases" / "evaluations.yaml")




def test_list() -> None:
    code, out, _ = run("experts", "list", "--industry", "metallurgy", "--as-of", "2017-09-05")
    assert code == 0 and "EXP-T01" in out and "EXP-M01" not in out
    code, out, _ = run("experts", "list", "-f", "json")
    assert len(json.loads(out)) >= 40
    code, _, err = run("experts", "list", "--industry", "metal")
    assert code == 2 and "unknown industry" in err


def test_evaluate_scores_match_verify(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    code, out, _ = run("experts", "evaluate", "--file", EVALUATIONS, "--log", log)
    assert code == 0 and "recorded seq 8" in out
    head = out.split("log head: 8 records, ")[1].split()[0]
    code, out, _ = run("experts", "scores", "--log", log, "-f", "json")
    suspended = [s["expert_id"] for s in json.loads(out) if s["suspended"]]
    assert suspended == ["EXP-D05"]
    code, out, _ = run("experts", "match", CASES, "--history", HISTORY, "--log", log, "-f", "json")
    result = json.loads(out)
    assert [c["case_id"] for c in result["cases"] if not c["filled"]] == ["CASE-2017-07"]
    assert result["suspended"][0]["expert_id"] == "EXP-D05"
    code, out, _ = run("experts", "match", CASES, "--history", HISTORY, "--log", log)
    assert "未配齐（2/3）" in out and "engagement:" in out and "暂停使用：EXP-D05" in out
    code, out, _ = run("experts", "verify-log", "--log", log, "--anchor", head)
    assert code == 0 and out.startswith("ok: 8 records")
    code, _, err = run("experts", "verify-log", "--log", log, "--anchor", "f" * 64)
    assert code == 1 and "not in the chain" in err


def test_single_evaluation_and_correction(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    base = ["experts", "evaluate", "--case", "CASE-2017-01", "--expert", "EXP-M03", "--enterprise", "LY-MINE-001",
            "--case-date", "2017-09-05", "--timeliness", "4", "--quality", "3", "--adopted", "yes", "--by", "李",
            "--log", log]
    code, out, _ = run(*base)
    assert code == 0
    record_id = out.split(": ")[1].split()[0]
    code, _, err = run(*base)
    assert code == 2 and "already evaluated" in err
    code, out, _ = run(*base[:-2], "--eliminated", "yes", "--corrects", record_id, "--log", log)
    assert code == 0 and "recorded seq 2" in out
    code, _, err = run("experts", "evaluate", "--case", "C", "--log", log)
    assert code == 2 and "give --file, or all of" in err


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = run("experts", "list", "--registry", str(FIXTURES / "broken_experts" / "unknown_key.yaml"))
    assert code == 2 and "unknown key 'max_concurent_cases'" in err
    bad = tmp_path / "cases.yaml"
    bad.write_text("cases:\n  - {id: C, enterprise: E, industries: [coal], county: X, date: 2017-09-05, "
                   "difficulty: routine}\n", encoding="utf-8")
    code, _, err = run("experts", "match", str(bad), "--log", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert code == 2 and f"{bad}:2" in err and "unknown industry 'coal'" in err
