"""The command line: every command, every format, and bad input without tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..conftest import EXAMPLES, FIXTURES, RULES
from ..conftest import run_cli as run

ENTERPRISES = sorted(str(p) for p in (EXAMPLES / "enterprises").glob("*.yaml"))
COLD_STORE = str(EXAMPLES / "enterprises" / "linyi-ammonia-cold-store.yaml")




def test_check_ok() -> None:
    code, out, _ = run("check", str(RULES))
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("ok: ") and "examples" in last and "passed" in last
    # warnings are printed but do not fail the check
    assert all(": warning: " in line for line in out.strip().splitlines()[:-1])


def test_check_reports_problems_and_fails(rules_copy: Path) -> None:
    shutil.copy(FIXTURES / "broken_rules" / "unknown_fact.yaml", rules_copy / "dust")
    code, out, err = run("check", str(rules_copy))
    assert code == 1
    assert f"{rules_copy / 'dust' / 'unknown_fact.yaml'}:9: dust.unknown-fact: when: unknown fact" in out
    assert "1 problem(s)" in err


def test_assess_json_one_and_many() -> None:
    code, out, _ = run("assess", COLD_STORE, "--as-of", "2017-09-05", "--format", "json")
    assert code == 0
    one = json.loads(out)
    assert one["enterprise_id"] == "LY-NH3-003" and one["as_of"] == "2017-09-05"
    texts = [c["text"] for f in one["findings"] for c in f["citations"]]
    assert any(t.startswith("《中华人民共和国安全生产法》(2014年修正)") for t in texts)
    assert not any("(2021年修正)" in t for t in texts)
    code, out, _ = run("assess", *ENTERPRISES, "--as-of", "2024-06-01", "-f", "json")
    many = json.loads(out)
    assert isinstance(many, list) and len(many) == len(ENTERPRISES)


def test_assess_table_and_markdown() -> None:
    code, out, _ = run("assess", COLD_STORE, "--as-of", "2024-06-01")
    assert code == 0 and "重大事故隐患 2" in out and "第十二条第二项" in out and "待查明" in out
    code, out, _ = run("assess", COLD_STORE, "--as-of", "2024-06-01", "-f", "markdown")
    assert code == 0 and out.startswith("## 示例冷藏物流有限公司") and "| 重大事故隐患 |" in out


def test_assess_refuses_partial_results_on_a_bad_file() -> None:
    bad = str(FIXTURES / "broken_enterprises" / "wrong_type.yaml")
    code, out, err = run("assess", COLD_STORE, bad, "-f", "json")
    assert code == 2
    assert out == ""  # nothing assessed, not the good half
    assert "wrong_type.yaml:4" in err and "must be a number (person)" in err


def test_screen_streams_a_line_per_file_and_an_error_line_in_place() -> None:
    bad = str(FIXTURES / "broken_enterprises" / "wrong_type.yaml")
    code, out, err = run("screen", COLD_STORE, bad, str(EXAMPLES / "enterprises"), "--as-of", "2024-06-01")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2 + len(ENTERPRISES)
    assert lines[0]["enterprise_id"] == "LY-NH3-003" and lines[1]["path"] == bad
    assert [x["enterprise_id"] for x in lines[2:]] == [json.loads(run("assess", p, "-f", "json")[1])["enterprise_id"]
                                                       for p in ENTERPRISES]
    _, one, _ = run("assess", COLD_STORE, "--as-of", "2024-06-01", "-f", "json")
    assert lines[0] == json.loads(one)  # the same assessment as assess prints
    assert code == 2 and "wrong_type.yaml:4" in err and "1 enterprise file(s) could not be read" in err


def test_missing_file_is_a_clear_error() -> None:
    code, _, err = run("assess", "no/such/file.yaml")
    assert code == 2 and "cannot read file" in err


def test_questions() -> None:
    code, out, _ = run("questions", COLD_STORE, "--as-of", "2024-06-01", "-f", "json")
    assert code == 0
    qs = json.loads(out)
    assert qs and {"fact", "label", "question", "major_hazard_rules", "rules"} <= set(qs[0])
    code, out, _ = run("questions", COLD_STORE, "--as-of", "2024-06-01")
    assert "待查明事项" in out


def test_explain_formats() -> None:
    code, out, _ = run("explain", "dust.zone20-electrics", "--as-of", "2022-01-01")
    assert code == 0 and "2022-01-01 有效" in out and "第一百零二条" in out
    code, out, _ = run("explain", "dust.zone20-electrics", "--as-of", "2022-01-01", "-f", "json")
    assert [v["version"] for v in json.loads(out)["versions"] if v["in_force"]] == ["2021"]
    code, out, err = run("explain", "dust.zone20")
    assert code == 2 and "did you mean" in err


def test_schema() -> None:
    code, out, _ = run("schema", "rule")
    schema = json.loads(out)
    assert schema["additionalProperties"] is False and "versions" in schema["properties"]
    code, _, err = run("schema", "nope")
    assert code == 2 and "choose one of" in err


def test_bad_date_is_a_usage_error() -> None:
    code, _, _ = run("assess", COLD_STORE, "--as-of", "05/09/2017")
    assert code == 2


def _enterprise(tmp_path: Path, header: str, facts: str) -> str:
    path = tmp_path / "enterprise.yaml"
    path.write_text(f"enterprise: {{{header}}}\nfacts: {{{facts}}}\n", encoding="utf-8")
    return str(path)


def test_assess_strict_refuses_facts_of_undeclared_industries(tmp_path: Path) -> None:
    path = _enterprise(tmp_path, "id: D-1, industries: [dust]",
                       "dust_explosion_hazard: true, ammonia_refrigeration: true")
    code, out, _ = run("assess", path, "--as-of", "2024-06-01")
    assert code == 0 and "提示：已填写仅“ammonia”行业规则使用的事实" in out
    code, out, _ = run("assess", path, "--as-of", "2024-06-01", "-f", "json")
    assert json.loads(out)["warnings"][0]["industry"] == "ammonia"
    code, out, err = run("assess", path, "--as-of", "2024-06-01", "--strict")
    assert code == 1 and out == ""
    assert "D-1: ammonia_refrigeration is read only by rules of industry 'ammonia'" in err
    code, _, _ = run("questions", path, "--as-of", "2024-06-01", "-f", "json")
    assert code == 0


def test_control_characters_from_input_files_are_not_printed(tmp_path: Path) -> None:
    # an enterprise name with escape sequences could clear or recolour the inspector's terminal
    path = _enterprise(tmp_path, 'id: "E-\\e[31m1", name: "恶意\\e]0;title\\a\\x9b2J公司\\r", industries: [dust]',
                       "dust_explosion_hazard: true, dust_zone20_present: true, "
                       "dust_zone20_electrics_explosion_proof: false")
    for fmt in ("table", "markdown"):
        code, out, _ = run("assess", path, "--as-of", "2024-06-01", "-f", fmt)
        assert code == 0 and "恶意]0;title2J公司" in out
        assert not any(c in out for c in "\x1b\x07\x9b\r"), repr(out[:200])
    code, out, _ = run("assess", path, "--as-of", "2024-06-01", "-f", "json")
    assert json.loads(out)["enterprise_name"] == "恶意\x1b]0;title\x07\x9b2J公司\r"  # the data is kept, escaped
    assert not any(c in out for c in "\x1b\x07\x9b\r")
    code, _, err = run("assess", str(tmp_path / "no\x1b[2Jsuch.yaml"))
    assert code == 2 and "\x1b" not in err and "no[2Jsuch.yaml" in err
    # screen's JSON lines too: the C1 control 0x9b, which JSON itself leaves as it is, reached the terminal
    code, out, _ = run("screen", path, "--as-of", "2024-06-01")
    assert code == 0 and json.loads(out)["enterprise_name"] == "恶意\x1b]0;title\x07\x9b2J公司\r"
    assert not any(c in out for c in "\x1b\x07\x9b\r")


def test_a_location_on_line_100_is_printed_as_written(rules_copy: Path) -> None:
    # rich read ":100:" as an emoji code and printed "file💯"
    target = rules_copy / "dust" / "zz-line-100.yaml"
    target.write_text("id: dust.zz\nindustry: dust\n" + "\n" * 97 + "unknown: 1\n", encoding="utf-8")
    code, out, _ = run("check", str(rules_copy))
    assert code == 1 and f"{target}:100:" in out
