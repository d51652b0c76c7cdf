"""The conventions a rule repository's CI lives by: ./rules by default, the rulebook named,
machine formats, exit codes, --fail-on with did-you-mean for the Chinese words, --keep-going,
jsonl, --version."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from safety_rules import __version__

from ..conftest import EXAMPLES, FIXTURES, RULES, run_cli

COLD_STORE = str(EXAMPLES / "enterprises" / "linyi-ammonia-cold-store.yaml")
WOOD = str(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
BAD = str(FIXTURES / "broken_enterprises" / "wrong_type.yaml")


@pytest.fixture()
def broken_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory whose ./rules has a broken rule file."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copy(FIXTURES / "broken_rules" / "unknown_fact.yaml", tmp_path / "rules" / "dust")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_without_a_path_checks_the_broken_local_rules_and_fails(broken_here: Path) -> None:
    code, out, err = run_cli("check")
    assert code == 1
    assert "rules/dust/unknown_fact.yaml:9: dust.unknown-fact: when: unknown fact" in out
    assert "at rules/ (./rules)" in err  # it says which rulebook it checked


def test_check_names_the_bundled_rulebook_when_there_is_no_local_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("check")
    assert code == 0 and "the bundled rulebook" in out.strip().splitlines()[-1]


def test_assess_names_its_rulebook_on_stderr_for_machine_formats(broken_here: Path) -> None:
    code, _, err = run_cli("assess", COLD_STORE)
    assert code == 2 and "unknown_fact.yaml:9" in err  # ./rules is used, and it is broken
    code, out, err = run_cli("assess", COLD_STORE, "--rules", str(RULES), "-f", "json")
    assert code == 0 and json.loads(out)["enterprise_id"] == "LY-NH3-003" and f"rulebook: {RULES}" in err
    code, out, _ = run_cli("assess", COLD_STORE, "--rules", str(RULES))
    assert out.startswith(f"rulebook: {RULES}, version ")


def test_check_machine_formats(broken_here: Path) -> None:
    code, out, _ = run_cli("check", "-f", "json")
    data = json.loads(out)
    assert code == 1 and not data["ok"]
    (problem,) = data["problems"]
    assert (problem["code"], problem["name"], problem["line"]) == ("SR101", "unknown-fact", 9)
    code, out, _ = run_cli("check", "-f", "github")
    assert code == 1 and "::error file=rules/dust/unknown_fact.yaml,line=9,title=SR101 unknown-fact" in out
    code, out, _ = run_cli("check", "-f", "sarif")
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0" and any(r["ruleId"] == "SR101" and r["level"] == "error" for r in results)
    assert any(r["id"] == "SR101" for r in sarif["runs"][0]["tool"]["driver"]["rules"])
    code, out, _ = run_cli("check", "-f", "junit")
    suite = ET.fromstring(out.split("?>", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["dust.unknown-fact"]


def test_assess_fail_on_and_exit_codes() -> None:
    code, _, _ = run_cli("assess", COLD_STORE, "--as-of", "2024-06-01", "--fail-on", "major_hazard", "-f", "json")
    assert code == 1
    code, _, _ = run_cli("assess", COLD_STORE, "--as-of", "2014-06-01", "--fail-on", "major_hazard", "-f", "json")
    assert code == 0  # nothing was a major hazard before the criteria
    code, _, err = run_cli("assess", COLD_STORE, "--fail-on", "重大事故隐患")
    assert code == 2 and "did you mean 'major_hazard'" in err
    code, _, err = run_cli("assess", COLD_STORE, "--fail-on", "待查明")
    assert code == 2 and "did you mean 'undetermined'" in err


def test_jsonl_and_keep_going() -> None:
    code, out, err = run_cli("assess", COLD_STORE, BAD, WOOD, "--keep-going", "-f", "jsonl", "--as-of", "2024-06-01")
    lines = out.strip().splitlines()
    assert code == 2 and [json.loads(x)["enterprise_id"] for x in lines] == ["LY-NH3-003", "LY-DUST-007"]
    assert "wrong_type.yaml:4" in err and "the other 2 were assessed" in err
    code, out, _ = run_cli("assess", COLD_STORE, BAD, "-f", "jsonl")
    assert code == 2 and out == ""


def test_version() -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"safety-rules {__version__}"

