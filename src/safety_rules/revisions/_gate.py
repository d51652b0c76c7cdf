"""The revision gate (``check --base REV``): a revision that changes outcomes says so.

When the diff from the base has any change of level ``breaking`` or ``outcomes``, the head
must raise ``version`` in ``rulebook.yaml`` (every finding carries it) and ``CHANGELOG.md``
beside it must have a section for the new version naming every such change id::

    ## 2026.11.1

    - cf531fac53b 露天矿采场边坡高度改为"超过200米"

A release is therefore: raise ``version``, then ``safety-rules diff REV -f changelog`` (REV the
last release) prints the section to put at the top of ``CHANGELOG.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..shared._errors import Problem
from ._diff import RevisionDiff

CHANGELOG = "CHANGELOG.md"
_HEADING = re.compile(r"^#{1,6}\s+\[?v?([^\s\]（(]+)", re.MULTILINE)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Dotted versions compare number by number (2026.11.10 > 2026.11.9); other parts as text."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-+]", version) if p)


def changelog_section(text: str, version: str) -> str | None:
    """The text under the heading that names ``version``, up to the next heading of any level."""
    headings = list(_HEADING.finditer(text))
    for i, m in enumerate(headings):
        if m.group(1) == version:
            end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
            line_end = text.find("\n", m.end())
            return text[line_end if 0 <= line_end < end else end:end]
    return None


def gate_problems(diff: RevisionDiff, rules_root: Path, *, rulebook_line: int | None = None,
                  shown_root: str | None = None) -> list[Problem]:
    """Problems when the diff changes outcomes without a version bump or changelog entry."""
    needed = [c for c in diff.changes if c.level != "wording"]
    if not needed:
        return []
    shown = shown_root or str(rules_root)
    old, new = diff.base.rulebook_version, diff.head.rulebook_version
    problems = []
    ids = ", ".join(c.id for c in needed[:8]) + (" …" if len(needed) > 8 else "")
    if version_key(new) <= version_key(old):
        problems.append(Problem(
            f"this revision changes outcomes ({len(needed)} change(s): {ids}) but the rulebook version is "
            f"{new!r}, not above the base's {old!r}: raise 'version' (every finding carries it)"
            f"（修订改变评估结果，须提高规则库版本号）", path=f"{shown}/rulebook.yaml", line=rulebook_line,
            code="SR606"))
    path = rules_root / CHANGELOG
    shown_log = f"{shown}/{CHANGELOG}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        problems.append(Problem(f"this revision changes outcomes but there is no {CHANGELOG}: add one with a "
                                f"'## {new}' section naming the change ids {ids}（须在 {CHANGELOG} 中登记变更编号）",
                                path=shown_log, code="SR607"))
        return problems
    section = changelog_section(text, new)
    if section is None:
        problems.append(Problem(f"{CHANGELOG} has no section for version {new}: add '## {new}' naming the change "
                                f"ids {ids}（须为本版本增加修订记录）", path=shown_log, code="SR607"))
        return problems
    missing = [c for c in needed if c.id not in section]
    if missing:
        problems.append(Problem(f"the {new} section of {CHANGELOG} does not name "
                                + ", ".join(f"{c.id} ({c.summary})" for c in missing)
                                + "（修订记录未列出这些变更编号）", path=shown_log, code="SR607"))
    return problems


def changelog_entry(diff: RevisionDiff) -> str:
    """A section to paste into CHANGELOG.md: every change that changes outcomes, by level."""
    old, new = diff.base.rulebook_version, diff.head.rulebook_version
    lines = [f"## {new}", ""]
    if version_key(new) <= version_key(old) and any(c.level != "wording" for c in diff.changes):
        lines += [f"<!-- 本修订改变评估结果：先把 rulebook.yaml 的 version 提高到 {old} 以上，再把本节标题改为新版本号"
                  f"（check --base 检查） -->", ""]
    for c in diff.changes:
        if c.level != "wording":
            lines.append(f"- {c.id} [{c.level}] {c.subject}{'@' + c.version if c.version else ''}：{c.summary}")
    return "\n".join(lines) + "\n"
