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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.progress import Progress
from rich.segment import Segment

from .. import __version__
from ..engine._batch import enterprise_files
from ..engine._batch import screen as screen_files
from ..engine._check import check_rulebook
from ..engine._enterprise import Enterprise
from ..engine._rule_files import RulebookFile
from ..engine._rulebook import BUNDLED, Rulebook, default_rules_path
from ..shared._errors import SafetyRulesError, did_you_mean
from ..shared._validation import schema_error, validate
from ..shared._yaml import load_yaml
from . import _render
from ._schema import (
    FORMATS,
    RULEBOOK_SCHEMAS,
    add_modelines,
    json_schema,
    rulebook_schema,
    schema_text,
    write_schemas,
)

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


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"safety-rules {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """China's work-safety inspection standards as versioned, testable rules."""


F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


RulesOption = Annotated[Path | None, typer.Option(
    "--rules", show_default=False, help="rulebook directory (default: ./rules if there is one, else the rulebook "
    "the package carries)")]
LOCAL_RULES = Path("rules")
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
                head = exc.message.splitlines()[0].rstrip(":")
                fail(head if str(len(problems)) in head else f"{head} ({len(problems)} problem(s))")
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def write(text: str) -> None:
    sys.stdout.write(clean(text))


def escape_json(text: str) -> str:
    """JSON text with every control character escaped: json and pydantic escape C0 controls
    but not DEL and C1; escaping them keeps the data as it is."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _jsonl(result: Any) -> None:
    """One assessment as one line of JSON (controls escaped as print_json does)."""
    sys.stdout.write(escape_json(json.dumps(result.model_dump(mode="json"), ensure_ascii=False)) + "\n")


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


def rules_path(given: Path | None) -> tuple[Path, str]:
    """The rulebook a command uses, and how to name it: the one given, else ./rules when the
    working directory has one (a rule repository), else the one the package carries."""
    if given is not None:
        return given, str(given)
    if LOCAL_RULES.is_dir():
        return LOCAL_RULES, f"{LOCAL_RULES}/ (./rules)"
    bundled = default_rules_path()
    return bundled, f"the bundled rulebook ({bundled})"


def load_book(given: Path | None, *, machine: bool, announce: bool = True) -> Rulebook:
    """Load the rulebook and say which one it is (``announce``; else call :func:`announce_book`
    when output begins): on stdout before a table, on stderr before machine output (JSON,
    Markdown) so that the output stays clean."""
    book = Rulebook.load(rules_path(given)[0])
    if announce:
        announce_book(given, book, machine=machine)
    return book


def announce_book(given: Path | None, book: Rulebook, *, machine: bool) -> None:
    name = rules_path(given)[1]
    (err if machine else out).print(f"rulebook: {name}, version {book.version}", highlight=False, markup=False)


@contextmanager
def progress_bar(total: int, what: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for long runs, only when stderr is a terminal."""
    if total < 50 or not err.is_terminal:
        yield lambda _n: None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


@app.command()
@handled
def check(
    path: Annotated[Path | None, typer.Argument(help="rulebook directory (default: ./rules if there is one, "
                                                "else the bundled rulebook)", show_default=False)] = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="output format")] = CheckFormat.text,
    coverage: Annotated[bool, typer.Option("--coverage", help="condition coverage of every version by its "
                                           "examples, per industry, with the uncovered sub-conditions")] = False,
    min_coverage: Annotated[float | None, typer.Option("--min-coverage", min=0, max=100, show_default=False,
                                                       help="fail when condition coverage is below this percent "
                                                       "(implies --coverage)")] = None,
    mutants: Annotated[bool, typer.Option("--mutants", help="perturb every condition (>= vs >, a threshold ±1, any "
                                          "vs all, and vs or) and fail on each mutant no example notices")] = False,
    base: Annotated[str | None, typer.Option("--base", show_default=False, help="git revision (or rules "
                                             "directory) to compare with: a revision that changes outcomes must "
                                             "raise the rulebook version and name its change ids in "
                                             "CHANGELOG.md")] = None,
) -> None:
    """Validate every rule file and run every rule's examples (for the standards team and CI)."""
    from ._revisions import CheckOptions, run_check

    root, name = rules_path(path)
    report = check_rulebook(root)
    code = run_check(report, name, CheckOptions(format=format.value, coverage=coverage or min_coverage is not None,
                                                min_coverage=min_coverage, mutants=mutants, base=base))
    if code:
        raise typer.Exit(code)


class AssessFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"


FAIL_ON = {"major_hazard": "重大事故隐患", "violation": "违法行为", "undetermined": "待查明"}


def _fail_on(values: list[str]) -> set[str]:
    """Check --fail-on values, suggesting the English word for the Chinese one the output prints."""
    chosen = set()
    for value in values:
        if value in FAIL_ON:
            chosen.add(value)
            continue
        by_label = {label: key for key, label in FAIL_ON.items()}
        hint = by_label.get(value) or did_you_mean(value, FAIL_ON) or by_label.get(
            did_you_mean(value, by_label) or "")
        fail(f"--fail-on takes {', '.join(FAIL_ON)}, not {value!r}"
             + (f" (did you mean {hint!r}, 即{FAIL_ON[hint]}?)" if hint else ""))
    return chosen


def _fails(result: Any, on: set[str]) -> bool:
    c = result.counts
    return bool(("major_hazard" in on and c.major_hazards) or ("violation" in on and c.violations)
                or ("undetermined" in on and c.undetermined))


@app.command()
@handled
def assess(
    files: Annotated[list[Path], typer.Argument(help="enterprise fact files (YAML)")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
    format: Annotated[AssessFormat, typer.Option("--format", "-f", help="output format (jsonl: one JSON object "
                                                 "per line, for pipelines)")] = AssessFormat.table,
    fail_on: Annotated[list[str] | None, typer.Option(
        "--fail-on", help="exit 1 when any enterprise has a finding of this kind: major_hazard, violation or "
        "undetermined (repeatable)")] = None,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="report a file that cannot be read and assess "
                                             "the rest (exit 2 at the end)")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="fail, printing nothing, when an enterprise states "
                                         "facts that only rules of industries it does not declare read")] = False,
) -> None:
    """Assess enterprises: violations, major accident hazards, and what is still undetermined.

    Exit codes: 0 done; 1 --fail-on matched; 2 bad input (with --keep-going: after assessing the rest).
    """
    on = _fail_on(fail_on or [])
    machine = format is not AssessFormat.table
    book = load_book(rules, machine=machine, announce=machine)  # a table says it once --strict has passed
    enterprises: list[Enterprise] = []
    problems = []
    with progress_bar(len(files), "读取企业文件") as advance:
        for f in files:  # read every file first: without --keep-going a bad one stops the run before any output
            try:
                enterprises.append(book.load_enterprise(f))
            except SafetyRulesError as exc:
                problems.append(exc)
            advance(1)
    for problem in problems:
        err.print(str(problem), highlight=False, markup=False)
    if problems and not keep_going:
        fail(f"{len(problems)} enterprise file(s) could not be read; nothing was assessed "
             "(--keep-going assesses the rest)")
    failed = False
    results = []
    stream = format is AssessFormat.jsonl and not strict  # --strict must see every result before printing one
    with progress_bar(len(enterprises), "评估") as advance:
        for result in book.assess_many(enterprises, day(as_of)):
            failed = failed or _fails(result, on)
            advance(1)
            if stream:
                _jsonl(result)
            else:
                results.append(result)
    warned = [(r, w) for r in results for w in r.warnings]
    if strict and warned:
        for r, w in warned:
            err.print(f"{r.enterprise_id}: {w.message}", highlight=False, markup=False)
        fail(f"{len(warned)} warning(s) under --strict; nothing was assessed", code=1)
    if not machine:
        announce_book(rules, book, machine=False)
    if format is AssessFormat.jsonl:
        for r in results:
            _jsonl(r)
    elif format is AssessFormat.json:
        data = [r.model_dump(mode="json") for r in results]
        print_json(data[0] if len(data) == 1 else data)
    elif format is AssessFormat.markdown:
        write("\n".join(_render.assessment_markdown(r) for r in results))
    elif format is AssessFormat.table:
        for r in results:
            out.print(_render.assessment_renderable(r, book.facts.label))
    if problems:
        fail(f"{len(problems)} enterprise file(s) could not be read; the other {len(enterprises)} were assessed")
    if failed:
        err.print(f"--fail-on {', '.join(sorted(on))}: at least one enterprise matched", highlight=False)
        raise typer.Exit(1)


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
    book = load_book(rules, machine=format is not Format.table)
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
    book = load_book(rules, machine=format is not Format.table)
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
    book = load_book(rules, machine=format is not Format.table)
    report = book.coverage(day(as_of))
    if format is Format.json:
        print_json(report.model_dump(mode="json"))
    elif format is Format.markdown:
        write(_render.coverage_markdown(report))
    else:
        out.print(_render.coverage_renderable(report))


@app.command()
@handled
def schema(
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(FORMATS)}")] = "rule",
    for_rulebook: Annotated[bool, typer.Option("--rulebook", help="fill in the rulebook's facts, documents, "
                                               "provisions and industries (rule and enterprise formats)")] = False,
    rules: RulesOption = None,
    write: Annotated[Path | None, typer.Option("--write", show_default=False, help="write every committed schema "
                                               "into this directory (schemas/) instead, and name it on the "
                                               "first line of each rule file that does not")] = None,
) -> None:
    """Print the JSON Schema of a file format (for editor completion and validation)."""
    if write is not None:
        book = load_book(rules, machine=True)
        for path in write_schemas(write, book):
            err.print(f"wrote {path}", highlight=False, markup=False)
        # the copy inside an installed package is not the team's to edit
        if not rules_path(rules)[0].resolve().is_relative_to(BUNDLED.resolve()):
            for path in add_modelines(book, write):
                err.print(f"named the schema on the first line of {path}", highlight=False, markup=False)
        return
    if kind not in FORMATS:
        hint = did_you_mean(kind, FORMATS)
        fail(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}" + (f" (did you mean {hint!r}?)"
                                                                             if hint else ""))
    if for_rulebook:
        if kind not in RULEBOOK_SCHEMAS:
            fail(f"--rulebook is for the formats {', '.join(RULEBOOK_SCHEMAS)}")
        sys.stdout.write(schema_text(rulebook_schema(kind, load_book(rules, machine=True))))
    else:
        sys.stdout.write(schema_text(json_schema(kind)))


def with_every_command() -> typer.Typer:
    """``app`` with the ``checklist``, ``dossier``, ``report``, ``experts``, ``plan``, ``diff`` and ``impact``
    commands added (they bring SQLAlchemy, OR-Tools, openpyxl and the holiday calendar)."""
    from . import _checklist, _dossier, _experts, _fieldwork, _revisions  # noqa: F401  - add those commands

    return app


def main() -> None:
    # The commands defined here never need the expert registry, the planner or the checklists: leave them out.
    own = {c.name or c.callback.__name__ for c in app.registered_commands if c.callback is not None}
    args = sys.argv[1:]
    (app if args and args[0] in own else with_every_command())()
