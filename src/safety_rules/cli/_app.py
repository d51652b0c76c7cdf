"""The ``safety-rules`` command line.

Everything it prints from input files (enterprise names, titles, paths, values) has its
control characters removed first, so a file cannot move the cursor, recolour or clear
the inspector's terminal: the consoles drop them from every segment they render, plain
text output goes through :func:`write`, and JSON escapes them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.segment import Segment

from ..engine._batch import enterprise_files
from ..engine._batch import screen as screen_files
from ..engine._check import check_rulebook
from ..engine._rule_files import RulebookFile
from ..engine._rulebook import Rulebook, default_rules_path
from ..shared._errors import SafetyRulesError
from ..shared._validation import schema_error, validate
from ..shared._yaml import load_yaml
from . import _render
from ._schema import FORMATS, json_schema

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="China's work-safety inspection standards as versioned, testable rules.")

# C0 controls but tab and newline, DEL and C1: ESC sequences, and the 8-bit CSI (0x9b)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without control characters (tab and newline kept)."""
    return _CONTROL.sub("", text)


class _CleanConsole(Console):
    """A console that drops control characters from the text of everything it renders;
    its own styling codes are added later, from the segments' styles, and stay."""

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Any:
        for segment in super().render(renderable, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(clean(segment.text), segment.style)


# soft_wrap: let the terminal wrap, rich breaks Chinese text badly; emoji=False: "file:100:" is a
# location, not the :100: emoji code
out = _CleanConsole(soft_wrap=True, emoji=False)
err = _CleanConsole(stderr=True, soft_wrap=True, emoji=False)

F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


RulesOption = Annotated[Path | None, typer.Option("--rules", help="rulebook directory (default: bundled rules/)",
                                                  show_default=False)]
AsOfOption = Annotated[dt.datetime | None, typer.Option(
    "--as-of", formats=["%Y-%m-%d"], show_default=False,
    help="inspection date YYYY-MM-DD (default: the file's inspected_on, else today)")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="output format")]


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


def handled(fn: F) -> F:
    """Report the library's errors as one clear line each, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SafetyRulesError as exc:
            problems = exc.context.get("problems") or getattr(exc, "problems", None)
            if problems:
                for p in problems:
                    err.print(str(p), highlight=False, markup=False)
                fail(f"{len(problems)} problem(s)")
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def write(text: str) -> None:
    sys.stdout.write(clean(text))


def escape_json(text: str) -> str:
    """JSON text with every control character escaped: json and pydantic escape C0 controls
    but not DEL and C1; escaping them keeps the data as it is."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(data: Any) -> None:
    sys.stdout.write(escape_json(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")


def day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def known_industries(rules: Path | None = None) -> set[str]:
    """The rulebook's industries, read from its rulebook.yaml without loading every rule."""
    path = (rules or default_rules_path()) / "rulebook.yaml"
    model, problems = validate(RulebookFile, load_yaml(path), path=str(path))
    if model is None:
        raise schema_error(problems, path)
    return set(model.industries)


@app.command()
@handled
def check(path: Annotated[Path | None, typer.Argument(help="rulebook directory", show_default=False)] = None) -> None:
    """Validate every rule file and run every rule's examples (for the standards team and CI)."""
    report = check_rulebook(path)
    for p in [*report.problems, *report.warnings]:
        out.print(str(p), highlight=False, markup=False)
    summary = (f"{report.rules} rules, {report.versions} versions, {report.facts} facts, "
               f"{report.documents} documents; examples {report.examples_passed}/{report.examples} passed; "
               f"{len(report.warnings)} warning(s); rulebook {report.rulebook_version}")
    if report.problems:
        fail(f"{len(report.problems)} problem(s); {summary}", code=1)
    out.print(f"ok: {summary}", highlight=False)


@app.command()
@handled
def assess(
    files: Annotated[list[Path], typer.Argument(help="enterprise fact files (YAML)")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
    format: FormatOption = Format.table,
    strict: Annotated[bool, typer.Option("--strict", help="fail, printing nothing, when an enterprise states "
                                         "facts that only rules of industries it does not declare read")] = False,
) -> None:
    """Assess enterprises: violations, major accident hazards, and what is still undetermined."""
    book = Rulebook.load(rules)
    enterprises, problems = [], []
    for f in files:  # read every file first: a bad one stops the run before any output
        try:
            enterprises.append(book.load_enterprise(f))
        except SafetyRulesError as exc:
            problems.append(exc)
    if problems:
        for problem in problems:
            err.print(str(problem), highlight=False, markup=False)
        fail(f"{len(problems)} enterprise file(s) could not be read; nothing was assessed")
    results = list(book.assess_many(enterprises, day(as_of)))
    warned = [(r, w) for r in results for w in r.warnings]
    if strict and warned:
        for r, w in warned:
            err.print(f"{r.enterprise_id}: {w.message}", highlight=False, markup=False)
        fail(f"{len(warned)} warning(s) under --strict; nothing was assessed", code=1)
    if format is Format.json:
        data = [r.model_dump(mode="json") for r in results]
        print_json(data[0] if len(data) == 1 else data)
    elif format is Format.markdown:
        write("\n".join(_render.assessment_markdown(r) for r in results))
    else:
        for r in results:
            out.print(_render.assessment_renderable(r, book.facts.label))


@app.command()
@handled
def screen(
    paths: Annotated[list[Path], typer.Argument(help="enterprise fact files (YAML), or directories of them")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="worker processes")] = 1,
) -> None:
    """Assess many enterprises as a stream: one JSON line per file, in input order, in bounded
    memory (for province-scale runs). A file that cannot be read gets an error line in its
    place ({"path", "errors"}), is reported on stderr, and makes the exit status 2."""
    book = Rulebook.load(rules)
    unread = 0
    for read, line in screen_files(book, enterprise_files(paths), day(as_of), jobs):
        sys.stdout.write(escape_json(line) + "\n")
        if not read:
            unread += 1
            err.print("\n".join(json.loads(line)["errors"]), highlight=False, markup=False)
    if unread:
        fail(f"{unread} enterprise file(s) could not be read; each has an error line in its place")


@app.command()
@handled
def questions(
    file: Annotated[Path, typer.Argument(help="enterprise fact file (YAML)")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
    format: FormatOption = Format.table,
) -> None:
    """What to check next: missing facts ranked by the major hazards and rules they would decide."""
    book = Rulebook.load(rules)
    enterprise = book.load_enterprise(file)
    qs = book.questions(enterprise, day(as_of))
    if format is Format.json:
        print_json([q.model_dump(mode="json") for q in qs])
    elif format is Format.markdown:
        write(_render.questions_markdown(qs))
    elif not qs:
        out.print("nothing left to establish: every applicable rule is decided")
    else:
        out.print(_render.questions_renderable(qs, f"{enterprise.name or enterprise.id}：待查明事项"))


@app.command()
@handled
def explain(
    rule_id: Annotated[str, typer.Argument(help="rule id, e.g. dust.zone20-electrics")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
    format: FormatOption = Format.table,
) -> None:
    """A rule's title, versions, conditions and citations as in force on a date."""
    book = Rulebook.load(rules)
    e = book.explain(rule_id, day(as_of))
    if format is Format.json:
        print_json(e.model_dump(mode="json"))
    elif format is Format.markdown:
        write(_render.explanation_markdown(e))
    else:
        out.print(_render.explanation_renderable(e))


@app.command()
@handled
def coverage(
    as_of: AsOfOption = None,
    rules: RulesOption = None,
    format: FormatOption = Format.table,
) -> None:
    """How many items of each standard the rules encode, per edition and part, and which are missing."""
    book = Rulebook.load(rules)
    report = book.coverage(day(as_of))
    if format is Format.json:
        print_json(report.model_dump(mode="json"))
    elif format is Format.markdown:
        write(_render.coverage_markdown(report))
    else:
        out.print(_render.coverage_renderable(report))


@app.command()
@handled
def schema(kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(FORMATS)}")] = "rule") -> None:
    """Print the JSON Schema of a file format (for editor autocompletion)."""
    if kind not in FORMATS:
        fail(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}")
    print_json(json_schema(kind))


def with_every_command() -> typer.Typer:
    """``app`` with the ``checklist``, ``dossier``, ``report``, ``experts`` and ``plan`` commands added (they
    bring SQLAlchemy, OR-Tools, openpyxl and the holiday calendar)."""
    from . import _checklist, _dossier, _experts, _fieldwork  # noqa: F401  - add those commands

    return app


def main() -> None:
    # The commands defined here never need the expert registry, the planner or the checklists: leave them out.
    own = {c.name or c.callback.__name__ for c in app.registered_commands if c.callback is not None}
    args = sys.argv[1:]
    (app if args and args[0] in own else with_every_command())()
