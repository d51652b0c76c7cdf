"""The campaign report (执法检查大检查情况通报), computed from the events.

The seed notice's summary for any campaign: enterprises inspected, problems by industry,
documents issued, enterprises and violations proposed for penalty, violations proposed per
enterprise against an earlier campaign, major hazards per team, open against closed over time,
penalties decided and executed. Every figure is counted from the dossier's events (folded in
memory by the same procedure as the read tables), never typed in. Markdown, JSON, and an HTML
page whose charts are inline SVG drawn here (nothing loaded at view time).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections import Counter
from typing import Any

from ..shared._errors import NotFoundError
from ._model import CaseRecord, FindingRecord, InspectionRecord
from ._store import Dossier, MemoryWorld

# The documents (执法文书) each kind of event stands for.
DOCUMENTS: dict[str, str] = {
    "inspection": "现场检查记录", "finding.ordered": "责令限期整改指令书", "finding.suspended": "现场处理措施决定书",
    "finding.extended": "延期审批意见书", "finding.reinspected": "整改复查意见书", "case.opened": "立案审批表",
    "case.notified": "行政处罚告知书", "case.hearing-scheduled": "听证通知书", "case.decided": "行政处罚决定书",
    "case.not-penalised": "不予行政处罚决定书", "case.demanded": "催告书", "case.enforcement-applied": "强制执行申请书",
    "case.closed": "结案审批表",
}


def campaign_report(world: MemoryWorld, documents: Counter[str], campaign: str, *, as_of: dt.date,
                    industries: dict[str, str], compare: str | None = None,
                    compare_documents: Counter[str] | None = None) -> dict[str, Any]:
    """The report of ``campaign`` as of ``as_of``; ``documents`` counts its events by kind."""
    inspections = [i for i in world.all(InspectionRecord) if i.inspection.campaign == campaign]
    if not inspections:
        known = sorted({i.inspection.campaign for i in world.all(InspectionRecord) if i.inspection.campaign})
        raise NotFoundError(f"no inspection of campaign {campaign!r} in the dossier; campaigns: {', '.join(known)}")
    findings: list[FindingRecord] = [f for f in world.all(FindingRecord) if f.campaign == campaign
                                     and f.issued.date <= as_of]
    cases: list[CaseRecord] = [c for c in world.all(CaseRecord) if c.campaign == campaign and c.opened_on <= as_of]
    enterprise_industry = {i.enterprise_id: (i.inspection.enterprise.industries or ["general"])[0]
                           for i in inspections}
    enterprises = sorted(enterprise_industry)
    by_industry = Counter(industries.get(enterprise_industry[f.enterprise_id], enterprise_industry[f.enterprise_id])
                          for f in findings)
    majors_by_industry = Counter(industries.get(enterprise_industry[f.enterprise_id], "")
                                 for f in findings if f.issued.severity == "major_hazard")
    majors_by_team = Counter(f.team for f in findings if f.issued.severity == "major_hazard")
    proposed_findings = {fid for c in cases for fid in c.finding_ids}
    proposed_enterprises = {c.enterprise_id for c in cases}
    decided = [c for c in cases if c.decided_on is not None and c.decided_on <= as_of]
    # executed: paid in full by as_of; an application to the court is not yet execution
    executed = [c for c in decided if c.fine and c.paid_on is not None and c.paid_on <= as_of]
    to_court = [c for c in decided if c.enforcement_applied_on is not None and c.enforcement_applied_on <= as_of]
    start = min(i.inspection.date for i in inspections)
    end = max(i.inspection.date for i in inspections)
    report: dict[str, Any] = {
        "campaign": campaign, "as_of": as_of.isoformat(), "from": start.isoformat(), "to": end.isoformat(),
        "teams": sorted({i.inspection.team for i in inspections}),
        "enterprises_inspected": len(enterprises),
        "problems": len(findings),
        "problems_by_industry": dict(by_industry.most_common()),
        "major_hazards": sum(majors_by_team.values()),
        "major_hazards_by_team": dict(sorted(majors_by_team.items())),
        "major_hazards_by_industry": dict(majors_by_industry.most_common()),
        "documents_issued": sum(documents.values()),
        "documents_by_kind": {DOCUMENTS[k]: n for k, n in sorted(documents.items())},
        "enterprises_proposed_for_penalty": len(proposed_enterprises),
        "violations_proposed_for_penalty": len(proposed_findings),
        "violations_proposed_per_enterprise": round(len(proposed_findings) / len(enterprises), 2),
        "penalties_decided": len(decided), "fines_decided_yuan": sum(c.fine or 0 for c in decided),
        "penalties_executed": len(executed), "fines_executed_yuan": sum(c.paid or 0 for c in executed),
        "enforcement_applied": len(to_court),
        "closure_over_time": _closure(findings, start, as_of),
        "open": sum(1 for f in findings if _open_on(f, as_of)),
        "closed": sum(1 for f in findings if not _open_on(f, as_of)),
    }
    if compare is not None:
        earlier = campaign_report(world, compare_documents or Counter(), compare, as_of=as_of,
                                  industries=industries)
        report["compared_with"] = {"campaign": compare, "from": earlier["from"],
                                   "violations_proposed_per_enterprise": earlier["violations_proposed_per_enterprise"],
                                   "enterprises_inspected": earlier["enterprises_inspected"],
                                   "violations_proposed_for_penalty": earlier["violations_proposed_for_penalty"]}
    return report


def _open_on(f: FindingRecord, day: dt.date) -> bool:
    ended = f.closed_on or f.withdrawn_on
    return ended is None or ended > day


def _closure(findings: list[FindingRecord], start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Open and closed findings at the end of each week from the campaign's start."""
    points = []
    day = start
    while True:
        found = [f for f in findings if f.issued.date <= day]
        opened = sum(1 for f in found if _open_on(f, day))
        points.append({"date": day.isoformat(), "open": opened, "closed": len(found) - opened})
        if day >= end:
            break
        day = min(day + dt.timedelta(days=7), end)
    return points


# ----------------------------------------------------------------------------- Markdown
def campaign_report_markdown(r: dict[str, Any]) -> str:
    """The report as the notice's Markdown text."""
    lines = [f"# 执法检查情况通报：{r['campaign']}", "",
             f"检查时间 {r['from']} 至 {r['to']}，统计截至 {r['as_of']}；检查组：{'、'.join(r['teams'])}。", "",
             "## 一、基本情况", "",
             f"共执法检查企业 {r['enterprises_inspected']} 家，发现问题 {r['problems']} 项（其中，"
             + "、".join(f"{k} {v} 项" for k, v in r["problems_by_industry"].items())
             + f"），下达执法文书 {r['documents_issued']} 份，"
             f"拟立案处罚企业 {r['enterprises_proposed_for_penalty']} 家，"
             f"拟立案处罚违法行为 {r['violations_proposed_for_penalty']} 项。", ""]
    if "compared_with" in r:
        c = r["compared_with"]
        lines += [f"拟立案违法行为平均数为 {r['violations_proposed_per_enterprise']:.2f} 项/家，"
                  f"{c['campaign']}（{c['from']} 起）"
                  f"为 {c['violations_proposed_per_enterprise']:.2f} 项/家。", ""]
    else:
        lines += [f"拟立案违法行为平均数为 {r['violations_proposed_per_enterprise']:.2f} 项/家。", ""]
    lines += [f"重大事故隐患 {r['major_hazards']} 项：" + "、".join(f"{k} {v} 项" for k, v in
                                                                r["major_hazards_by_team"].items()) + "。", "",
              "| 执法文书 | 份数 |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in r["documents_by_kind"].items()]
    lines += ["", "## 二、整改与处罚", "",
              f"截至 {r['as_of']}：问题未销号 {r['open']} 项，已销号（含撤销）{r['closed']} 项；作出行政处罚决定 "
              f"{r['penalties_decided']} 件，罚款 {r['fines_decided_yuan']} 元；执行完毕 {r['penalties_executed']} 件，"
              f"{r['fines_executed_yuan']} 元；申请人民法院强制执行 {r['enforcement_applied']} 件。", "",
              "| 日期 | 未销号 | 已销号 |", "|---|---:|---:|"]
    lines += [f"| {p['date']} | {p['open']} | {p['closed']} |" for p in r["closure_over_time"]]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- HTML
def _bars(figure_id: str, title: str, data: dict[str, int]) -> str:
    width, bar, gap, left = 640, 26, 10, 150
    height = 40 + len(data) * (bar + gap)
    top = max(data.values(), default=1) or 1
    parts = [f'<figure id="{figure_id}" data-kind="bar"><figcaption>{html.escape(title)}</figcaption>',
             f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{html.escape(title)}">']
    for i, (label, value) in enumerate(data.items()):
        y = 20 + i * (bar + gap)
        w = round((width - left - 60) * value / top)
        parts.append(f'<text x="{left - 8}" y="{y + bar * 0.7}" text-anchor="end" font-size="13">'
                     f'{html.escape(label)}</text>'
                     f'<rect class="bar" data-label="{html.escape(label)}" data-value="{value}" x="{left}" y="{y}" '
                     f'width="{w}" height="{bar}" fill="#2f6db5"/>'
                     f'<text x="{left + w + 6}" y="{y + bar * 0.7}" font-size="13">{value}</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def _lines(figure_id: str, title: str, points: list[dict[str, Any]]) -> str:
    width, height, left, bottom = 640, 280, 50, 40
    top = max((p["open"] + p["closed"] for p in points), default=1) or 1
    step = (width - left - 20) / max(len(points) - 1, 1)

    def xy(i: int, v: int) -> str:
        return f"{left + i * step:.1f},{height - bottom - (height - bottom - 20) * v / top:.1f}"

    parts = [f'<figure id="{figure_id}" data-kind="line"><figcaption>{html.escape(title)}</figcaption>',
             f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{html.escape(title)}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#444"/>']
    for key, colour in (("open", "#c0392b"), ("closed", "#27ae60")):
        path = " ".join(xy(i, p[key]) for i, p in enumerate(points))
        parts.append(f'<polyline class="series" data-series="{key}" fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{path}"/>')
        for i, p in enumerate(points):
            parts.append(f'<circle class="point" data-series="{key}" data-date="{p["date"]}" data-value="{p[key]}" '
                         f'cx="{xy(i, p[key]).split(",")[0]}" cy="{xy(i, p[key]).split(",")[1]}" r="3" '
                         f'fill="{colour}"/>')
    parts.append(f'<text x="{left}" y="{height - 10}" font-size="12">{points[0]["date"]}</text>'
                 f'<text x="{width - 10}" y="{height - 10}" font-size="12" text-anchor="end">'
                 f'{points[-1]["date"]}</text>'
                 f'<text x="{width - 10}" y="16" font-size="12" text-anchor="end">'
                 '<tspan fill="#c0392b">未销号</tspan> / <tspan fill="#27ae60">已销号</tspan></text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def campaign_report_html(r: dict[str, Any]) -> str:
    """The report as one HTML page with inline SVG charts (nothing loaded at view time)."""
    body = campaign_report_markdown(r)
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines()
                         if line and not line.startswith(("|", "#")))
    figures = [
        _bars("problems-by-industry", "发现问题（按行业）", r["problems_by_industry"]),
        _bars("major-hazards-by-industry", "重大事故隐患（按行业）", r["major_hazards_by_industry"]),
        _bars("major-hazards-by-team", "重大事故隐患（按检查组）", r["major_hazards_by_team"]),
        _lines("closure-over-time", "问题销号进度", r["closure_over_time"]),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>执法检查情况通报：{html.escape(r['campaign'])}</title>"
            "<style>body{font-family:sans-serif;max-width:760px;margin:2em auto}figure{margin:1.5em 0}"
            "figcaption{font-weight:bold;margin-bottom:.5em}</style></head><body>"
            f"<h1>执法检查情况通报：{html.escape(r['campaign'])}</h1>{paragraphs}{''.join(figures)}"
            f"<script type=\"application/json\" id=\"report-data\">{html.escape(_json(r))}</script>"
            "</body></html>\n")


def _json(r: dict[str, Any]) -> str:
    return json.dumps(r, ensure_ascii=False, sort_keys=True)


def fold_campaigns(dossier: Dossier, as_of: dt.date | None = None) -> tuple[MemoryWorld, dict[str, Counter[str]]]:
    """Every state from the events, and the documents each campaign issued (on or before ``as_of``), by kind.

    A document covers what was issued together: one 责令限期整改指令书 (现场处理措施决定书, 整改复查意见书,
    延期审批) per enterprise and day however many findings it lists, one 现场检查记录 per inspection, and each
    case document once per case.
    """
    world = MemoryWorld()
    issued: dict[str, set[tuple[str, ...]]] = {}
    for e, payload in dossier.folding(world):
        if e.kind not in DOCUMENTS or (as_of is not None and getattr(payload, "date", as_of) > as_of):
            continue
        if e.kind == "inspection":
            campaign, key = payload.campaign, payload.inspection_id  # type: ignore[attr-defined]
        elif e.kind == "finding.reinspected" and payload.case_id:  # type: ignore[attr-defined]
            # a failed re-inspection also opens its case (立案)
            case = world.get(CaseRecord, payload.case_id)  # type: ignore[attr-defined]
            if case.campaign is not None:
                issued.setdefault(case.campaign, set()).add(("case.opened", case.case_id))
            campaign = world.get(FindingRecord, payload.finding_id).campaign  # type: ignore[attr-defined]
            key = f"{e.stream} {payload.date}"  # type: ignore[attr-defined]
        elif e.kind.startswith("finding."):
            campaign = world.get(FindingRecord, payload.finding_id).campaign  # type: ignore[attr-defined]
            key = f"{e.stream} {payload.date}"  # type: ignore[attr-defined]
        else:
            campaign = world.get(CaseRecord, payload.case_id).campaign  # type: ignore[attr-defined]
            key = payload.case_id  # type: ignore[attr-defined]
        if campaign is not None:
            issued.setdefault(campaign, set()).add((e.kind, key))
    return world, {campaign: Counter(kind for kind, _ in keys) for campaign, keys in issued.items()}
