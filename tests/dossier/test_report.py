"""The campaign report from the sample campaign's events: figures computed, not typed; the HTML page
opened in real headless Chromium shows every figure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, run_cli

SAMPLE = EXAMPLES / "dossier" / "campaigns.jsonl"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("dossier") / "dossier.sqlite3")
    code, out, err = run_cli("dossier", "record", str(SAMPLE), "--evidence", str(EXAMPLES / "dossier" / "evidence"),
                             "--db", db)
    assert code == 0, err
    return db


def test_report_figures_are_counted_from_the_events(sample_db: str) -> None:
    code, out, _ = run_cli("report", "2024-09", "--compare", "2024-06", "--as-of", "2025-06-30", "--db", sample_db,
                           "--format", "json")
    assert code == 0
    r = json.loads(out)
    lines = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    inspected = {x["enterprise"] for x in lines if x["kind"] == "inspection" and x["payload"]["campaign"] == "2024-09"}
    findings = [x["payload"] for x in lines if x["kind"] == "finding" and x["enterprise"] in inspected]
    in_cases = {fid for x in lines if x["kind"] == "case.opened" and x["enterprise"] in inspected
                for fid in x["payload"]["finding_ids"]}
    in_cases |= {x["payload"]["finding_id"] for x in lines if x["kind"] == "finding.reinspected"
                 and x["enterprise"] in inspected and x["payload"].get("case_id")}
    assert r["enterprises_inspected"] == len(inspected) == 50
    assert r["problems"] == len(findings) and r["problems"] > 150
    assert r["major_hazards"] == sum(f["severity"] == "major_hazard" for f in findings)
    assert r["violations_proposed_for_penalty"] == len(in_cases)
    assert r["violations_proposed_per_enterprise"] == round(len(in_cases) / 50, 2)
    assert r["compared_with"]["campaign"] == "2024-06" and r["compared_with"]["enterprises_inspected"] == 30
    assert sorted(r["teams"]) == sorted(["矿山组", "危化组", "冶炼组", "涉尘组", "涉氨组"])
    assert sum(r["problems_by_industry"].values()) == r["problems"]
    last = r["closure_over_time"][-1]
    assert last["open"] + last["closed"] == r["problems"] and (last["open"], last["closed"]) == (r["open"], r["closed"])
    mine = [x for x in lines if x["enterprise"] in inspected]
    kinds = Counter(x["kind"] for x in mine)
    assert r["documents_by_kind"]["行政处罚决定书"] == kinds["case.decided"]
    opened = kinds["case.opened"] + sum(1 for x in mine if x["kind"] == "finding.reinspected" and
                                        x["payload"].get("case_id"))
    assert r["documents_by_kind"]["立案审批表"] == opened  # failed re-inspections open cases too
    # one 责令限期整改指令书 per enterprise and day, however many findings it orders
    orders = {(x["enterprise"], x["payload"]["date"]) for x in mine if x["kind"] == "finding.ordered"}
    assert r["documents_by_kind"]["责令限期整改指令书"] == len(orders) < kinds["finding.ordered"]
    assert r["penalties_decided"] == kinds["case.decided"] and r["fines_decided_yuan"] > 0
    fined = {x["payload"]["case_id"] for x in mine if x["kind"] == "case.decided" and x["payload"]["fine"] > 0}
    paid = [x["payload"] for x in mine if x["kind"] == "case.paid" and x["payload"]["case_id"] in fined
            and x["payload"]["date"] <= "2025-06-30"]
    assert (r["penalties_executed"], r["fines_executed_yuan"]) == (len(paid), sum(p["amount"] for p in paid))
    assert r["enforcement_applied"] == kinds["case.enforcement-applied"] > 0  # applied, not counted as executed


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None and not os.environ.get("CI"), reason="no chromium (.ci/chromium installs it)")
def test_the_html_report_shows_every_figure_in_chromium(sample_db: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    code, _, _ = run_cli("report", "2024-09", "--as-of", "2025-06-30", "--db", sample_db, "--format", "html",
                         "--output", str(page))
    assert code == 0
    chromium = _chromium()
    assert chromium is not None, "CI must provide chromium (.ci/chromium)"
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    data = json.loads(page.read_text(encoding="utf-8").split('id="report-data">')[1].split("</script>")[0]
                      .replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&#x27;", "'"))
    charts = {"problems-by-industry": "problems_by_industry", "major-hazards-by-industry": "major_hazards_by_industry",
              "major-hazards-by-team": "major_hazards_by_team"}
    for figure, key in charts.items():
        chart = dom.split(f'<figure id="{figure}"')[1].split("</figure>")[0]
        assert chart.count('class="bar"') == len(data[key]) > 0
        for label, value in data[key].items():
            assert f'data-label="{label}" data-value="{value}"' in chart
    closure = dom.split('<figure id="closure-over-time"')[1].split("</figure>")[0]
    for p in data["closure_over_time"]:
        for series in ("open", "closed"):
            assert f'data-series="{series}" data-date="{p["date"]}" data-value="{p[series]}"' in closure
    text = dom.split("<figure")[0]  # the paragraphs before the charts
    for phrase in (f"共执法检查企业 {data['enterprises_inspected']} 家", f"发现问题 {data['problems']} 项",
                   f"下达执法文书 {data['documents_issued']} 份",
                   f"拟立案处罚企业 {data['enterprises_proposed_for_penalty']} 家",
                   f"拟立案处罚违法行为 {data['violations_proposed_for_penalty']} 项",
                   f"重大事故隐患 {data['major_hazards']} 项", f"作出行政处罚决定 {data['penalties_decided']} 件",
                   f"执行完毕 {data['penalties_executed']} 件",
                   f"申请人民法院强制执行 {data['enforcement_applied']} 件"):
        assert phrase in text, phrase
