"""``safety-rules checklist``: the inspector's checklist, and a filled workbook read back."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..engine._rulebook import Rulebook
from ..fieldwork._checklist import build_checklist
from ..fieldwork._checklist_html import checklist_html
from ..fieldwork._checklist_import import read_checklist_workbook
from ..fieldwork._checklist_text import checklist_markdown, checklist_yaml, enterprise_yaml
from ..fieldwork._checklist_xlsx import checklist_workbook
from ._app import AsOfOption, RulesOption, app, day, err, fail, handled, write

checklist_app = typer.Typer(help=(
    "The inspector's checklist of the rules in force for an industry (xlsx, html, md, yaml); "
    "`checklist import` reads a filled workbook back into an enterprise file."))
app.add_typer(checklist_app, name="checklist")


class ChecklistFormat(StrEnum):
    xlsx = "xlsx"
    html = "html"
    md = "md"
    yaml = "yaml"


def _save(data: bytes, output: Path) -> None:
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


@checklist_app.callback(invoke_without_command=True)
@handled
def checklist(
    ctx: typer.Context,
    industry: Annotated[list[str] | None, typer.Option("--industry", "-i", show_default=False, help=(
        "industry (repeatable); the industries it implies are included (dust → trade → general)"))] = None,
    as_of: AsOfOption = None,
    enterprise: Annotated[Path | None, typer.Option("--enterprise", show_default=False, help=(
        "enterprise file: only what applies to it, what is known filled in, open questions first"))] = None,
    region: Annotated[str | None, typer.Option("--region", show_default=False, help=(
        "GB/T 2260 code of the enterprises' region, for provincial provisions (with --enterprise: its own)"))] = None,
    format: Annotated[ChecklistFormat, typer.Option("--format", "-f", help="output format")] = ChecklistFormat.md,
    output: Annotated[Path | None, typer.Option("--output", "-o", show_default=False, help=(
        "file to write (required for xlsx; otherwise the checklist is printed)"))] = None,
    rules: RulesOption = None,
) -> None:
    """The checklist of the rules in force for an industry on a date, grouped by standard item."""
    if ctx.invoked_subcommand is not None:
        return
    if format is ChecklistFormat.xlsx and output is None:
        fail("an xlsx workbook is written to a file: give -o FILE.xlsx")
    book = Rulebook.load(rules)
    subject = book.load_enterprise(enterprise) if enterprise is not None else None
    when = day(as_of) or (subject.inspected_on if subject else None) or dt.date.today()
    c = build_checklist(book, when, industry or (), enterprise=subject, region=region)
    if format is ChecklistFormat.xlsx:
        assert output is not None
        _save(checklist_workbook(c), output)
        err.print(f"检查表已写入 {output}（{sum(1 for _ in c.questions())} 个问题，{len(c.areas)} 个条款，"
                  f"{len(c.manual)} 项须人工检查）", highlight=False)
        return
    text = {ChecklistFormat.html: checklist_html, ChecklistFormat.md: checklist_markdown,
            ChecklistFormat.yaml: checklist_yaml}[format](c)
    if output is None:
        write(text)
    else:
        _save(text.encode("utf-8"), output)


@checklist_app.command("import")
@handled
def import_workbook(
    file: Annotated[Path, typer.Argument(help="a filled checklist workbook (.xlsx)")],
    output: Annotated[Path | None, typer.Option("--output", "-o", show_default=False, help=(
        "enterprise file to write (default: print it)"))] = None,
    rules: RulesOption = None,
) -> None:
    """Read a filled checklist workbook back into an enterprise file, every cell checked against the catalog."""
    book = Rulebook.load(rules)
    enterprise = read_checklist_workbook(book, file)
    text = enterprise_yaml(book, enterprise)
    if output is None:
        write(text)
        return
    _save(text.encode("utf-8"), output)
    err.print(f"企业文件已写入 {output}（{len(enterprise.facts)} 项事实）", highlight=False)
