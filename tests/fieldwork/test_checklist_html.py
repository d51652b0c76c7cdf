"""The printable checklist: printed to PDF by headless Chromium, then read back."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from safety_rules import Rulebook, build_checklist, checklist_html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_page_is_self_contained_and_set_for_a4(book: Rulebook) -> None:
    page = checklist_html(build_checklist(book, dt.date(2024, 6, 1), ["dust"]))
    assert "@page { size: A4;" in page and ".part { break-before: page; }" in page
    assert ".group { break-inside: avoid;" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page


@pytest.mark.skipif(_chromium() is None and not os.environ.get("CI"), reason="no chromium (.ci/chromium installs it)")
def test_checklist_prints_to_a4_pdf_in_chromium(book: Rulebook, tmp_path: Path) -> None:
    chromium = _chromium()
    assert chromium is not None, "CI must provide chromium (.ci/chromium)"
    c = build_checklist(book, dt.date(2024, 6, 1), ["dust"], region="371302")
    page = tmp_path / "checklist.html"
    page.write_text(checklist_html(c), encoding="utf-8")
    pdf = tmp_path / "checklist.pdf"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        check=True, capture_output=True, timeout=120)
    assert pdf.exists()
    reader = PdfReader(pdf)
    assert len(reader.pages) > 1  # each industry's part starts on a new page
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    question = book.facts.specs["dust_explosion_hazard"].question
    assert question is not None and "".join(question.split()) in text
    assert "".join(c.manual[0].label.split()) in text  # the items checked by hand are printed too
