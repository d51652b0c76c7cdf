"""Problem codes are stable, documented and used: every broken fixture gets its code, every code
the package writes is in the table, and docs/problem-codes.md is the table."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from safety_rules import check_rulebook
from safety_rules.shared._codes import CODES, codes_markdown

from ..conftest import FIXTURES, ROOT

DOC = ROOT / "docs" / "problem-codes.md"
HEADER = """# Problem codes

Every problem `safety-rules check` reports carries a stable code: in the text output as
`path:line: rule-id: message [SR101]`, in `--format json` as `code` and `name`, in GitHub
annotations as the title, in SARIF as `ruleId`. Codes are never renumbered or reused. This
table is generated from `src/safety_rules/shared/_codes.py` (`tests/shared/test_codes.py`
fails when it is stale; `SAFETY_RULES_REGENERATE=1 pytest tests/shared/test_codes.py` rewrites it).

"""

FIXTURE_CODES = {
    "alias_bomb.yaml": "SR001", "attribute_access.yaml": "SR105", "citation_gap.yaml": "SR303",
    "condition_syntax.yaml": "SR106", "disallowed_construct.yaml": "SR105", "duplicate_id.yaml": "SR201",
    "duplicate_key.yaml": "SR001", "enum_value.yaml": "SR104", "example_fact_type.yaml": "SR403",
    "failing_example.yaml": "SR401", "missing_compliant_example.yaml": "SR402", "overlapping_versions.yaml": "SR205",
    "replacement_cycle.yaml": "SR207", "replacement_one_sided.yaml": "SR207", "type_mismatch.yaml": "SR103",
    "unit_mismatch.yaml": "SR102", "unknown_document.yaml": "SR301", "unknown_fact.yaml": "SR101",
    "unknown_key.yaml": "SR002", "unknown_provision.yaml": "SR302", "version_gap.yaml": "SR205",
    "wrong_industry.yaml": "SR202", "yaml_syntax.yaml": "SR001",
}


@pytest.mark.parametrize("name", sorted(FIXTURE_CODES))
def test_each_broken_fixture_has_its_code(name: str, rules_copy: Path) -> None:
    shutil.copy(FIXTURES / "broken_rules" / name, rules_copy / "dust" / name)
    codes = {p.code for p in check_rulebook(rules_copy).problems}
    assert FIXTURE_CODES[name] in codes, codes


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
