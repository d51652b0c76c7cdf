"""新旧对照表: the old and the new text side by side, as the standards team reviews a revision.

One row per change: what (rule and version, or catalog entry), which part, 原规定, 修订后,
修订说明 (with the witness for a changed condition), level and change id. Written as a
Markdown table or an Excel workbook (openpyxl).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ._diff import LEVEL_LABELS, Change, RevisionDiff

HEADER = ("序号", "对象", "版本", "项目", "原规定", "修订后", "修订说明", "影响", "变更编号")
WIDTHS = (6, 34, 8, 22, 48, 48, 48, 14, 14)
_FILLS = {"breaking": "F8CBAD", "outcomes": "FFE699", "wording": "E2EFDA"}


def _text(value: Any) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return "\n".join(f"情形{k}：{v}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, default=str)


def witness_text(c: Change) -> str:
    if c.witness is None:
        return c.witness_note or ""
    w = c.witness
    facts = "，".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in w.facts.items())
    return f"反例（{w.as_of}）：{facts or '不给任何事实'} → 原 {w.old}，现 {w.new}"


def comparison_rows(diff: RevisionDiff) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for i, c in enumerate(diff.changes, 1):
        explanation = c.summary + (f"\n{witness_text(c)}" if c.witness or c.witness_note else "")
        rows.append((str(i), c.subject, c.version or "", c.path or "（整体）", _text(c.old), _text(c.new),
                     explanation, LEVEL_LABELS[c.level], c.id))
    return rows


def _title(diff: RevisionDiff) -> str:
    return (f"新旧对照表：规则库 {diff.base.rulebook_version}（{diff.base.name}）→ "
            f"{diff.head.rulebook_version}（{diff.head.name}）")


def comparison_markdown(diff: RevisionDiff) -> str:
    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", "<br>")

    lines = [f"## {_title(diff)}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in comparison_rows(diff)]
    if not diff.changes:
        lines.append("| | 无变更 | | | | | | | |")
    return "\n".join(lines) + "\n"


def write_comparison_xlsx(diff: RevisionDiff, path: str | Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "新旧对照表"
    ws.append([_title(diff)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(HEADER))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for change, row in zip(diff.changes, comparison_rows(diff), strict=True):
        ws.append(list(row))
        fill = PatternFill("solid", fgColor=_FILLS[change.level])
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.cell(ws.max_row, HEADER.index("影响") + 1).fill = fill
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A3"
    wb.save(str(path))
