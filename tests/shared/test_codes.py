"""Problem codes are stable, documented and used: every code the package writes is in the table,
and docs/problem-codes.md is the table (each broken fixture's code: tests/engine/test_check.py)."""

from __future__ import annotations

import os
import re

from safety_rules.shared._codes import CODES, codes_markdown

from ..conftest import ROOT

DOC = ROOT / "docs" / "problem-codes.md"
HEADER = """# Problem codes

Every problem `safety-rules check` reports carries a stable code: in the text output as
`path:line: rule-id: message [SR101]`, in `--format json` as `code` and `name`, in GitHub
annotations as the title, in SARIF as `ruleId`. Codes are never renumbered or reused. This
table is generated from `src/safety_rules/shared/_codes.py` (`tests/shared/test_codes.py`
fails when it is stale; `SAFETY_RULES_REGENERATE=1 pytest tests/shared/test_codes.py` rewrites it).

"""

def test_every_code_written_in_the_package_is_registered() -> None:
    used: set[str] = set()
    for path in (ROOT / "src" / "safety_rules").rglob("*.py"):
        used |= set(re.findall(r'"(SR\d{3})"', path.read_text(encoding="utf-8")))
    assert used - set(CODES) == set()
    assert all(re.fullmatch(r"SR\d{3}", c) for c in CODES)
    names = [c.name for c in CODES.values()]
    assert len(names) == len(set(names))


def test_the_codes_document_is_current() -> None:
    text = HEADER + codes_markdown()
    if os.environ.get("SAFETY_RULES_REGENERATE"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "docs/problem-codes.md is stale: regenerate it"
