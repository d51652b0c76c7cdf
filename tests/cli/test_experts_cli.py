"""``safety-rules experts ...`` end to end, on the bundled registry and sample cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..conftest import EXAMPLES, FIXTURES, tamper
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
    head = out.split("log head: seq 8, ")[1].split()[0]
    code, out, err = run("experts", "scores", "--log", log, "-f", "json", "--as-of", "2017-09-05")
    suspended = [s["expert_id"] for s in json.loads(out) if s["suspended"]]
    assert suspended == ["EXP-D05"]
    assert "verified (chain, checkpoints) up to seq 8; not checked: hmac" in err
    code, out, err = run("experts", "match", CASES, "--history", HISTORY, "--log", log, "-f", "json",
                         "--as-of", "2017-09-04")
    assert "verified (chain, checkpoints) up to seq 8" in err
    result = json.loads(out)
    assert result["policy"]["version"] == "2017-1" and result["method"] == "min-cost flow"
    assert [c["case_id"] for c in result["cases"] if not c["filled"]] == ["CASE-2017-07"]
    assert result["suspended"][0]["expert_id"] == "EXP-D05"
    code, out, _ = run("experts", "match", CASES, "--history", HISTORY, "--log", log, "--as-of", "2017-09-04")
    assert "专家使用办法：临沂市安全生产监督管理局 2017-1（2017-01-01 起施行）" in out
    assert "未配齐（2/3）" in out and "engagement:" in out and "暂停使用：EXP-D05" in out
    code, out, _ = run("experts", "verify-log", "--log", log, "--anchor", head)
    assert code == 0 and out.startswith("ok: 8 events") and "anchor: ok" in out and "checkpoints: ok" in out
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


def test_read_only_commands_never_create_a_log(tmp_path: Path) -> None:
    typo = tmp_path / "evaluatoins" / "log.sqlite3"
    for command in (["verify-log"], ["scores"], ["match", CASES]):
        code, out, err = run("experts", *command, "--log", str(typo))
        assert code == 2 and f"{typo}: no event store: the file does not exist" in err, (command, err)
        assert "ok:" not in out
    assert list(tmp_path.iterdir()) == []


def test_default_log_is_in_the_user_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETY_RULES_LOG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    code, _, err = run("experts", "scores")
    assert code == 2 and f"{tmp_path / 'data' / 'safety-rules' / 'events.sqlite3'}: no event store" in err
    code, _, _ = run("experts", "evaluate", "--file", EVALUATIONS)
    assert code == 0 and (tmp_path / "data" / "safety-rules" / "events.sqlite3").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing in the working directory
    code, out, _ = run("experts", "verify-log")
    assert code == 0 and out.startswith("ok: 8 events")


def test_scores_and_match_refuse_a_broken_log_unless_told_not_to_verify(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    run("experts", "evaluate", "--file", EVALUATIONS, "--log", log)
    tamper(log, ("UPDATE events SET payload = replace(payload, :was, :now) WHERE seq = 1",
                 {"was": '"quality":2', "now": '"quality":5'}))
    code, out, err = run("experts", "scores", "--log", log)
    assert code == 2 and "broken at seq 1 (experts/evaluations): content does not match its hash" in err and not out
    code, _, err = run("experts", "match", CASES, "--log", log)
    assert code == 2 and "broken at seq 1" in err
    code, out, err = run("experts", "scores", "--log", log, "--no-verify", "-f", "json")
    assert code == 0 and "NOT verified (--no-verify)" in err and json.loads(out)
    code, _, err = run("experts", "verify-log", "--log", log)
    assert code == 1 and "broken at seq 1" in err
    tamper(log, ("UPDATE events SET payload = replace(payload, :was, :now) WHERE seq = 2",
                 {"was": '"quality":1', "now": '"quality":9'}))
    code, _, err = run("experts", "scores", "--log", log, "--no-verify")
    assert code == 2 and "event seq 2 of experts/evaluations is not an evaluation" in err


def test_a_refused_batch_file_records_nothing(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    bad = FIXTURES / "broken_evaluations" / "evaluated_twice.yaml"
    code, out, err = run("experts", "evaluate", "--file", str(bad), "--log", log)
    assert code == 2 and f"{bad}:6: case CASE-1 / expert EXP-D03 is already evaluated" in err
    assert "recorded" not in out
    code, out, _ = run("experts", "verify-log", "--log", log)
    assert code == 0 and out.startswith("ok: 0 events")
    bad = FIXTURES / "broken_evaluations" / "id_too_long.yaml"
    code, _, err = run("experts", "evaluate", "--file", str(bad), "--log", str(tmp_path / "other.sqlite3"))
    assert code == 2 and f"{bad}:4: " in err and "at most 64 characters" in err
    assert not (tmp_path / "other.sqlite3").exists()  # a file that does not validate opens no log
    empty = tmp_path / "none.yaml"
    empty.write_text("evaluations: []\n", encoding="utf-8")
    code, out, _ = run("experts", "evaluate", "--file", str(empty), "--log", str(tmp_path / "other.sqlite3"))
    assert code == 0 and "nothing recorded" in out and not (tmp_path / "other.sqlite3").exists()


def test_upgrade_log_carries_over_the_previous_format(tmp_path: Path) -> None:
    from ..fixtures import legacy_evaluation_log as legacy

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = legacy.EvaluationLog(url)
    for e in legacy.load_evaluations(EVALUATIONS):
        old.append(e)
    old.engine.dispose()
    code, _, err = run("experts", "scores", "--log", url)
    assert code == 2 and "previous format; upgrade it once (safety-rules experts upgrade-log" in err
    code, out, _ = run("experts", "upgrade-log", "--log", url)
    assert code == 0 and "up to date, head seq 8" in out
    code, out, _ = run("experts", "scores", "--log", url, "-f", "json", "--as-of", "2017-09-05")
    assert [s["expert_id"] for s in json.loads(out) if s["suspended"]] == ["EXP-D05"]
    with sa.create_engine(url).connect() as c:
        assert not sa.inspect(c).has_table("expert_evaluations")


def test_recorded_assignments_count_in_the_next_match(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    run("experts", "evaluate", "--file", EVALUATIONS, "--log", log)
    code, _, err = run("experts", "match", CASES, "--history", HISTORY, "--log", log, "--as-of", "2017-09-04",
                       "--record")
    assert code == 2 and "--record needs --by" in err
    code, out, _ = run("experts", "match", CASES, "--history", HISTORY, "--log", log, "--as-of", "2017-09-04",
                       "-f", "json")
    seats = json.loads(out)["filled_slots"]
    code, out, _ = run("experts", "match", CASES, "--history", HISTORY, "--log", log, "--as-of", "2017-09-04",
                       "--record", "--by", "监察支队-李")
    assert code == 0 and "recorded seq 9: suspension of EXP-D05 on 2017-09-04" in out
    assert f"recorded {seats} assignments" in out
    code, out, _ = run("experts", "assignments", "--log", log, "-f", "json")
    open_ = json.loads(out)
    assert len(open_) == seats and {a["policy"]["version"] for a in open_} == {"2017-1"}
    # the same batch again: the first batch's experts are now on those enterprises and busy
    code, out, _ = run("experts", "match", CASES, "--log", log, "--as-of", "2017-09-04", "-f", "json")
    again = json.loads(out)
    first = {(a["case"]["id"], a["expert_id"]) for a in open_}
    assert not first & {(a["case_id"], a["expert_id"]) for c in again["cases"] for a in c["assigned"]}
    assert any(x["rule"] == "repeat" for c in again["cases"] for x in c["excluded"])
    target = next(a for a in open_ if a["case"]["id"] == "CASE-2017-02")
    code, _, err = run("experts", "withdraw", "--assignment", target["assignment_id"], "--reason", "declared a tie",
                       "--by", "李", "--replace-with", "EXP-D01", "--log", log, "--as-of", "2017-09-04")
    assert code == 2 and f"EXP-D01 cannot replace {target['expert_id']} on CASE-2017-02: industry" in err
    code, out, _ = run("experts", "withdraw", "--assignment", target["assignment_id"], "--reason", "declared a tie",
                       "--by", "李", "--log", log, "--as-of", "2017-09-04")
    assert code == 0 and "withdrawal" in out
    code, out, _ = run("experts", "assignments", "--log", log, "-f", "json")
    assert len(json.loads(out)) == seats - 1


def test_a_correction_in_an_outcomes_file_counts_from_its_date_and_a_bad_one_names_its_line(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    run("experts", "evaluate", "--file", EVALUATIONS, "--log", log)
    assert run("experts", "outcomes", "--file", str(EXAMPLES / "cases" / "outcomes.yaml"), "--log", log)[0] == 0
    correction = tmp_path / "correction.yaml"

    def withdraw(on: str) -> tuple[int, str, str]:
        correction.write_text(
            "outcomes:\n  - {finding_id: F-2017-A03-1, confirmed: false, by: withdrawal, decided_on: " + on
            + ",\n     reference: 临政复决〔2017〕3号, corrects: penalty-decision, recorded_by: 王}\n",
            encoding="utf-8")
        return run("experts", "outcomes", "--file", str(correction), "--log", log)

    code, _, err = withdraw("2017-05-19")
    assert code == 2 and f"{correction}:2" in err and "penalty-decision of 2017-05-20" in err
    assert "dated before the outcome it corrects" in err
    code, out, _ = withdraw("2017-07-01")
    assert code == 0 and "outcome F-2017-A03-1" in out

    def case_a03(on: str) -> dict[str, float]:
        scores = json.loads(run("experts", "scores", "--log", log, "--as-of", on, "-f", "json")[1])
        d03 = next(s for s in scores if s["expert_id"] == "EXP-D03")
        parts: dict[str, float] = next(x["parts"] for x in d03["counted"] if x["case_id"] == "CASE-2017-A03")
        return parts

    # two findings on the case, both confirmed (5), then one of them withdrawn: 1 + 4 × 1/2 = 3
    assert case_a03("2017-06-30")["confirmed"] == 5
    assert case_a03("2017-07-01")["confirmed"] == 3


def test_outcomes_and_reinstatement(tmp_path: Path) -> None:
    log = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    run("experts", "evaluate", "--file", EVALUATIONS, "--log", log)
    code, out, _ = run("experts", "outcomes", "--file", str(EXAMPLES / "cases" / "outcomes.yaml"), "--log", log)
    assert code == 0 and "recorded seq 9: finding" in out and "outcome" in out
    code, out, _ = run("experts", "scores", "--log", log, "--as-of", "2017-09-05")
    assert "confirmed=" in out and "权重" in out and "评价半衰期 730 天" in out
    code, _, err = run("experts", "reinstate", "--expert", "EXP-D05", "--by", "李", "--log", log,
                       "--as-of", "2017-09-05")
    assert code == 2 and "no suspension on record" in err
    code, out, _ = run("experts", "scores", "--log", log, "--as-of", "2017-09-05", "--record", "--by", "李")
    assert "suspension of EXP-D05 on 2017-09-05" in out
    code, _, err = run("experts", "reinstate", "--expert", "EXP-D05", "--by", "李", "--log", log,
                       "--as-of", "2017-10-05")
    assert code == 2 and "the policy's 180 days run until 2018-03-04" in err
    code, out, _ = run("experts", "reinstate", "--expert", "EXP-D05", "--by", "李", "--log", log,
                       "--as-of", "2018-03-04")
    assert code == 0 and "reinstatement of EXP-D05 on 2018-03-04 (180 days since the suspension" in out
    code, out, _ = run("experts", "scores", "--log", log, "--as-of", "2018-03-04", "-f", "json")
    assert not next(s for s in json.loads(out) if s["expert_id"] == "EXP-D05")["suspended"]
