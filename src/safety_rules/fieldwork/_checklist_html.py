"""The checklist as one self-contained HTML page, printable on A4.

No script, no external file: the page is what is printed. Each industry's areas start on a
new page, as does the list of items checked by hand; a group (one standard item with its
questions) is never split across pages when it fits on one, and a table's header row is
repeated on every page it runs over.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from ._checklist import (
    MANUAL,
    SEVERITY_LABELS,
    Checklist,
    ChecklistArea,
    ChecklistQuestion,
    ChecklistReference,
    Entry,
    answer_text,
    field_hint,
    unit_label,
)

BLANK_RECORD_ROWS = 4

CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
html { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
       "SimSun", sans-serif; font-size: 10pt; color: #000; }
body { margin: 0; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 11.5pt; margin: 0 0 4pt; }
.part { break-before: page; }
.part:first-of-type { break-before: auto; }
.part > h2.part-title { font-size: 13pt; border-bottom: 2px solid #000; padding-bottom: 2pt; }
.group { break-inside: avoid; margin: 0 0 10pt; }
.major > h2 { background: #fce4d6; }
.group > h2 { background: #ddebf7; padding: 2pt 4pt; }
.wording { margin: 2pt 0; font-style: italic; }
.citations, .rules { margin: 2pt 0; font-size: 9pt; color: #333; }
table { width: 100%; border-collapse: collapse; margin: 4pt 0; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #555; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.no { width: 3.2em; white-space: nowrap; }
td.limits { width: 22%; font-size: 9pt; }
td.answer { width: 24%; }
td.answer .line { display: inline-block; min-width: 6em; border-bottom: 1px solid #000; }
.records th { min-width: 3em; }
tr.ref td { color: #555; font-style: italic; }
tr.sub td { font-weight: bold; background: #fafafa; }
.manual { color: #b00000; font-weight: bold; }
.records td { height: 1.6em; }
.note { border: 1px solid #b00000; padding: 3pt; margin: 4pt 0; }
.header td { height: 1.6em; }
"""


def checklist_html(c: Checklist) -> str:
    """The checklist as an HTML page (UTF-8 text)."""
    out: list[str] = [
        "<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(c.title)}</title><style>{CSS}</style></head><body>",
        '<section class="part">', f"<h1>{escape(c.title)}</h1>",
        f"<p>{escape(c.intro)}</p>",
        _header(c),
        *(f'<p class="note">注意：{escape(note)}</p>' for note in c.notes),
        _group(c.applicability_number, c.APPLICABILITY, c.applicability),
        "</section>",
    ]
    industry = None
    for area in c.areas:
        if area.industry != industry:
            if industry is not None:
                out.append("</section>")
            industry = area.industry
            out += ['<section class="part">',
                    f'<h2 class="part-title">{escape(c.titles.get(industry, industry))}</h2>']
        out.append(_area(area))
    if industry is not None:
        out.append("</section>")
    if c.recorded:
        out += ['<section class="part">', _group(c.recorded_number, c.RECORDED, c.recorded),
                "</section>"]
    out += ['<section class="part">', f'<h2 class="part-title">{c.manual_number} {escape(c.MANUAL_TITLE)}</h2>']
    if not c.manual:
        out.append("<p>无：在用标准中涉及本行业的条款均已纳入规则库。</p>")
    else:
        out.append("<table><thead><tr><th>序号</th><th>条款及原文</th><th>部分</th><th>检查结论</th></tr></thead>"
                   "<tbody>")
        for m in c.manual:
            unchecked = "" if m.source_checked else "（原文未核对）"
            out.append(f'<tr><td class="no">{m.number}</td><td><b>{escape(m.label)}</b>{unchecked}<br>'
                       f'{_lines(m.wording)}</td><td>{escape(m.part)}</td><td class="answer"></td></tr>')
        out.append("</tbody></table>")
    out += ["</section>", "</body></html>"]
    return "\n".join(out) + "\n"


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.split("\n"))


def _header(c: Checklist) -> str:
    e = c.enterprise
    rows = [("企业名称", e.name), ("企业编号", e.id), ("县区", e.county), ("行政区划代码", e.region),
            ("检查日期", e.inspected_on.isoformat()), ("检查人员", None), ("企业陪同人员", None)]
    cells = "".join(f"<tr><th>{label}</th><td>{escape(value or '')}</td></tr>" for label, value in rows)
    return f'<table class="header"><tbody>{cells}</tbody></table>'


def _answer(q: ChecklistQuestion) -> str:
    if q.known:
        if q.type == "records":
            return f"<b>{len(q.value)} 项（见下表）</b>" if q.value else "<b>无</b>"
        return f"<b>{escape(answer_text(q.value, q.type))}</b>（已记录）"
    if q.type == "bool":
        return "□ 是　□ 否"
    if q.type == "enum":
        return "　".join(f"□ {escape(v)}" for v in q.values)
    if q.type == "records":
        return "见下表；没有的写“无”"
    unit = unit_label(q.unit) if q.type == "number" else ""
    return f'<span class="line"></span> {escape(unit)}'


def _rows(entries: Sequence[Entry], tables: list[ChecklistQuestion]) -> list[str]:
    out = []
    for entry in entries:
        if isinstance(entry, ChecklistReference):
            out.append(f'<tr class="ref"><td class="no"></td><td>{escape(entry.label)}：见 {entry.number}</td>'
                       "<td></td><td></td></tr>")
            continue
        star = "★ " if entry.major_hazard else ""
        limits = "<br>".join(escape(t) for t in [*entry.thresholds, field_hint(entry)])
        out.append(f'<tr><td class="no">{entry.number}</td><td>{star}<b>{escape(entry.label)}</b>：'
                   f'{escape(entry.question)}</td><td class="limits">{limits}</td>'
                   f'<td class="answer">{_answer(entry)}</td></tr>')
        if entry.type == "records":
            tables.append(entry)
    return out


def _records(q: ChecklistQuestion) -> str:
    head = "".join(f"<th>{escape(f.label)}" + "".join(f"<br><small>{escape(t)}</small>" for t in f.thresholds)
                   + f"<br><small>{escape(field_hint(f))}</small></th>" for f in q.fields)
    records: list[dict[str, Any]] = list(q.value or []) if q.known else []
    body = []
    for i, record in enumerate(records, start=1):
        body.append(f'<tr><td class="no">{i}</td>'
                    + "".join(f"<td>{escape(answer_text(record.get(f.id), f.type))}</td>" for f in q.fields) + "</tr>")
    for i in range(len(records) + 1, len(records) + 1 + BLANK_RECORD_ROWS):
        body.append(f'<tr><td class="no">{i}</td>' + "<td></td>" * len(q.fields) + "</tr>")
    return (f"<p><b>{q.number} {escape(q.label)}</b>（每行一项）</p>"
            f'<table class="records"><thead><tr><th>序号</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _table(entries: Sequence[Entry], extra: list[str] | None = None) -> str:
    tables: list[ChecklistQuestion] = []
    rows = [*(extra or []), *_rows(entries, tables)]
    if not rows:
        return ""
    table = ("<table><thead><tr><th>序号</th><th>检查内容</th><th>判定界限 / 填写要求</th><th>答案</th></tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>")
    return table + "".join(_records(q) for q in tables)


def _group(number: str, title: str, questions: Sequence[Entry]) -> str:
    return f'<div class="group"><h2>{number} {escape(title)}</h2>{_table(questions)}</div>'


def _area(area: ChecklistArea) -> str:
    mark = "【重大事故隐患】" if area.major_hazard else ""
    parts = [f'<div class="group{" major" if area.major_hazard else ""}">',
             f"<h2>{area.number} {mark}{escape(area.title)}　{escape(area.summary)}</h2>"]
    if area.wording:
        parts.append(f'<p class="wording">{escape(area.wording)}</p>')
    rules = "；".join(f"{escape(r.rule_id)}（{SEVERITY_LABELS[r.severity]}）" for r in area.rules)
    parts.append(f'<p class="rules">对应规则：{rules}</p>')
    parts.append('<p class="citations">' + "<br>".join(escape(c.shown) for c in area.citations) + "</p>")
    for text in area.manual:
        parts.append(f'<p><span class="manual">{MANUAL}</span>：本项以下内容未纳入规则库：{escape(text)}</p>')
    parts.append(_table(area.entries))
    for sub in area.sub_items:
        flag = "" if sub.encoded else f' <span class="manual">{MANUAL}（规则库未编码）</span>'
        heading = (f'<tr class="sub"><td class="no">{escape(sub.label)}</td>'
                   f'<td colspan="3">{escape(sub.text)}{flag}</td></tr>')
        parts.append(_table(sub.entries, [heading]))
    parts.append("</div>")
    return "".join(parts)
