"""``safety-rules checklist`` and ``checklist import`` end to end."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from safety_rules import Rulebook

from ..conftest import EXAMPLES
from ..conftest import run_cli as run

WOOD = str(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")


def test_workbook_then_import_gives_the_enterprise_back(book: Rulebook, tmp_path: Path) -> None:
    workbook = tmp_path / "out" / "wood.xlsx"
    code, _, err = run("checklist", "--enterprise", WOOD, "--as-of", "2024-06-01", "-f", "xlsx", "-o", str(workbook))
    assert code == 0 and "检查表已写入" in err
    assert "检查表" in load_workbook(workbook).sheetnames
    target = tmp_path / "back.yaml"
    code, _, err = run("checklist", "import", str(workbook), "-o", str(target))
    assert code == 0 and "企业文件已写入" in err
    assert book.load_enterprise(target).facts == book.load_enterprise(WOOD).facts


def test_markdown_html_and_yaml_are_printed(tmp_path: Path) -> None:
    code, out, _ = run("checklist", "--industry", "dust", "--as-of", "2024-06-01")
    assert code == 0 and out.startswith("# 安全生产执法检查表（涉尘（粉尘涉爆））")
    code, out, _ = run("checklist", "-i", "dust", "--as-of", "2024-06-01", "-f", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    code, out, _ = run("checklist", "-i", "dust", "--as-of", "2024-06-01", "-f", "yaml")
    assert code == 0 and "  dust_explosion_hazard: null" in out


def test_bad_requests_are_clear_errors(tmp_path: Path) -> None:
    code, _, err = run("checklist", "-i", "dust", "-f", "xlsx")
    assert code == 2 and "give -o FILE.xlsx" in err
    code, _, err = run("checklist", "-i", "dusty")
    assert code == 2 and "unknown industry 'dusty'" in err and "did you mean 'dust'" in err
    code, _, err = run("checklist")
    assert code == 2 and "needs an industry" in err
    bad = tmp_path / "bad.xlsx"
    bad.write_text("no", encoding="utf-8")
    code, _, err = run("checklist", "import", str(bad))
    assert code == 2 and "not an Excel workbook" in err


def test_bad_cells_are_listed_one_per_line(tmp_path: Path) -> None:
    workbook = tmp_path / "wood.xlsx"
    assert run("checklist", "--enterprise", WOOD, "-f", "xlsx", "-o", str(workbook))[0] == 0
    wb = load_workbook(workbook)
    ws = wb["检查表"]
    rows = [r for r in ws.iter_rows() if r[6].value in ("fact:dust_zone20_present", "fact:dust_wood_sanders")]
    for row in rows:
        row[4].value = "不清楚"
    wb.save(workbook)
    code, out, err = run("checklist", "import", str(workbook))
    assert code == 2 and out == ""
    for row in rows:
        assert f"{workbook}: 检查表!{row[4].coordinate}: " in err
    assert "2 bad cell(s)" in err  # the count, in the words of the error that carries the cells
