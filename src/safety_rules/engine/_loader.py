"""Reading a rulebook directory and validating it as a whole.

Every problem is collected, not just the first, so that one ``check`` run shows
the standards team all there is to fix. Layout::

    rules/
      rulebook.yaml        name, version, industries (the rule directories), retired ids,
                           the measures attached to every major hazard
      tables/*.yaml        lookup tables (GB 18218 临界量, sector classification …), by edition
      facts/*.yaml         the fact catalog (observed and derived facts)
      law/*.yaml           the law and standard catalog, one document per file
      <industry>/*.yaml    rule lineages, one per file

Problems have a level: errors make the rulebook unusable; warnings (a duty that
predates the criteria but has no version, a date far in the future, a contested
reading) are printed by ``check`` and do not stop ``load``.
"""

from __future__ import annotations

import datetime as dt
import gc
import graphlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..law._catalog import LawCatalog, LawDocument
from ..shared._errors import ExpressionError, Problem, SafetyRulesError, did_you_mean
from ..shared._validation import validate
from ..shared._windows import Window, effective_windows, overlaps_and_gaps
from ..shared._yaml import YamlMapping, YamlSequence, load_yaml
from ._expressions import BoolOp, Expr, parse_expression
from ._facts import TABLE_SOURCE, FactCatalog, FactCatalogFile, FactSpec, fact_id_problem
from ._rule_files import RulebookFile, RuleFile, RuleVersion
from ._tables import Table, TableFile, TableType, build_table
from ._types import BOOL

RULEBOOK_FILE = "rulebook.yaml"
FACTS_DIR = "facts"
LAW_DIR = "law"
TABLES_DIR = "tables"
RESERVED_DIRS = frozenset({FACTS_DIR, LAW_DIR, TABLES_DIR})
# A date this far after the day of checking is almost certainly a typo (2203-05-15).
FAR_FUTURE = dt.timedelta(days=3 * 366)


@dataclass(frozen=True)
class LoadedVersion:
    lineage_id: str
    spec: RuleVersion
    window: Window
    when: Expr
    line: int | None
    sub_conditions: tuple[tuple[str, Expr], ...] = ()  # (sub-item label, condition), in catalog order
    not_encoded: tuple[str, ...] = ()  # sub-items of the source item that 'when' leaves out
    undetermined_when: Expr | None = None

    @property
    def partial(self) -> bool:
        """Encodes only part of its item: may be violated, never compliant."""
        return bool(self.not_encoded) or self.spec.partial is not None


@dataclass(frozen=True)
class LoadedLineage:
    spec: RuleFile
    path: str
    applies_to: Expr | None
    versions: tuple[LoadedVersion, ...]
    raw: Any = field(repr=False, compare=False)


@dataclass
class Parts:
    root: Path
    rulebook: RulebookFile
    facts: FactCatalog
    derived: dict[str, Expr]
    derived_order: list[str]
    law: LawCatalog
    lineages: dict[str, LoadedLineage]
    tables: dict[str, Table] = field(default_factory=dict)
    part_conditions: dict[tuple[str, str, str], Expr] = field(default_factory=dict)


def _yaml_files(directory: Path) -> list[Path]:
    # not only regular files: a FIFO or device named *.yaml is reported by load_yaml, not skipped
    return sorted(p for p in directory.iterdir() if not p.is_dir() and p.suffix in (".yaml", ".yml"))


class _Unreadable:
    """Marks a file whose YAML could not be read (its problem is already reported)."""


UNREADABLE: Any = _Unreadable()


def _read(path: Path, problems: list[Problem]) -> Any:
    # every file of a rulebook is its rulebook.yaml or one directory below the root
    root = path.parent if path.name == RULEBOOK_FILE else path.parent.parent
    try:
        target = path.resolve()
        inside = target.is_relative_to(root.resolve())
    except (OSError, RuntimeError) as exc:  # a symlink loop, say
        problems.append(Problem(f"cannot resolve the file's path: {exc}", path=str(path), code="YamlError"))
        return UNREADABLE
    if not inside:
        problems.append(Problem(f"refused: a symbolic link to {str(target)!r}, outside the rulebook "
                                f"directory {str(root)!r}", path=str(path), code="YamlError"))
        return UNREADABLE
    try:
        return load_yaml(path)
    except SafetyRulesError as exc:
        problems.append(exc.problem())
        return UNREADABLE


def _expression_problem(exc: ExpressionError, raw: Any, key: str, path: str,
                        rule_id: str | None) -> Problem:
    """Place an expression error on the line of the text it is about, also inside a
    folded (``>``) or plain multi-line value; else on the line of its key."""
    line = raw.line_in_value(key, exc.context.get("offset")) if isinstance(raw, YamlMapping) else None
    located = exc.located(path=path, line=line, rule_id=rule_id)
    return Problem(f"{key}: {located.problem().message}", path=path, line=line, rule_id=rule_id,
                   fact=exc.fact, code=located.problem().code)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused over a bulk load (and resumed as it was).

    A load builds hundreds of thousands of objects that live on and almost no cyclic
    garbage (a few hundred objects for 1,000 rules); the collector, set off by the count
    of allocations, would walk the growing heap again and again: 40 % of ``check`` on
    3,000 rules. Reference counting still frees everything else as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_parts(root: str | Path) -> tuple[Parts | None, list[Problem]]:
    with collector_paused():
        return _load_parts(Path(root))


def _load_parts(root: Path) -> tuple[Parts | None, list[Problem]]:
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(f"rulebook directory {str(root)!r} does not exist", path=str(root), code="SR003")]

    # -- rulebook.yaml
    rb_path = root / RULEBOOK_FILE
    if not rb_path.exists():
        return None, [Problem(f"missing {RULEBOOK_FILE}: every rulebook root needs one "
                              "(name, version, industries)", path=str(rb_path), code="SR003")]
    raw_rulebook = _read(rb_path, problems)
    if raw_rulebook is UNREADABLE:
        return None, problems
    rulebook, found = validate(RulebookFile, raw_rulebook, path=str(rb_path))
    problems += found
    if rulebook is None:
        return None, problems

    # -- stray files and directories
    expected_dirs = {*RESERVED_DIRS, *rulebook.industries}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and entry.name not in expected_dirs:
            hint = did_you_mean(entry.name, expected_dirs)
            problems.append(Problem(
                f"directory {entry.name!r} is not an industry listed in {RULEBOOK_FILE}"
                + (f" (did you mean {hint!r}?)" if hint else ""), path=str(entry), code="SR004"))
        elif entry.is_file() and entry.name != RULEBOOK_FILE and entry.suffix in (".yaml", ".yml"):
            problems.append(Problem("rule files belong in an industry directory", path=str(entry), code="SR004"))

    _check_industries(rulebook, rb_path, raw_rulebook, problems)
    tables = _load_tables(root / TABLES_DIR, problems)
    table_types = {t.id: t.type for t in tables.values()}
    facts, derived, order = _load_facts(root / FACTS_DIR, problems, table_types)
    law = _load_law(root / LAW_DIR, rulebook, problems)
    _check_table_sources(tables, law, problems)
    part_conditions = _part_conditions(law, root / LAW_DIR, facts, table_types, problems)
    _check_measures(rulebook, law, rb_path, raw_rulebook, problems)
    lineages = _load_lineages(root, rulebook, facts, law, table_types, problems)
    _check_lineage_graph(lineages, problems)
    _check_duties_before_criteria(lineages, law, problems)
    _check_table_divisors(tables, derived, lineages, problems)
    _check_unread_facts(facts, derived, lineages, part_conditions, root / FACTS_DIR, problems)
    parts = Parts(root, rulebook, facts, derived, order, law, lineages, tables, part_conditions)
    return parts, problems


def _part_conditions(law: LawCatalog, directory: Path, facts: FactCatalog, tables: Mapping[str, TableType],
                     problems: list[Problem]) -> dict[tuple[str, str, str], Expr]:
    """The parsed ``applies_to`` of the parts and items that have one: (document, edition, part id)
    for a part, (document, edition, "#" + provision id) for an item."""
    found: dict[tuple[str, str, str], Expr] = {}
    for doc in law.documents.values():
        conditions = [((doc.id, e.id, part.id), f"edition {e.id}, part {part.id}", part.applies_to)
                      for e in doc.editions for part in e.parts]
        conditions += [((doc.id, eid, "#" + pid), f"provision {pid} edition {eid}", where.applies_to)
                       for pid, prov in doc.provisions.items() for eid, where in prov.editions.items()]
        for key, what, text in conditions:
            if text is None:
                continue
            try:
                found[key] = parse_expression(text, facts.types, expect=BOOL, tables=tables)
            except ExpressionError as exc:
                problems.append(Problem(f"{doc.id} {what}: applies_to: {exc.problem().message}",
                                        path=str(directory / f"{doc.id}.yaml"), fact=exc.fact,
                                        code="ExpressionError"))
    return found


def _cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Every simple cycle of the directed graph ``edges``.

    The standard library finds whether there is one; networkx, which takes longer to
    import than loading the bundled rulebook, only lists them when there is.
    """
    edges = list(edges)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for a, b in edges:
        sorter.add(b, a)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        import networkx as nx

        return [list(c) for c in nx.simple_cycles(nx.DiGraph(edges))]
    return []


def _dependency_order(depends: Mapping[str, Iterable[str]]) -> list[str]:
    """The keys of ``depends`` after what they depend on, ties in alphabetical order (no cycles)."""
    sorter = graphlib.TopologicalSorter({k: sorted(v) for k, v in sorted(depends.items())})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return order


def _check_industries(rulebook: RulebookFile, path: Path, raw: Any, problems: list[Problem]) -> None:
    edges = []
    for name, industry in rulebook.industries.items():
        if name in RESERVED_DIRS:
            problems.append(Problem(f"{name!r} is a reserved directory name, not an industry", path=str(path),
                                    line=raw.get("industries", {}).key_lines.get(name), code="SR211"))
        for implied in industry.implies:
            if implied not in rulebook.industries:
                hint = did_you_mean(implied, rulebook.industries)
                problems.append(Problem(f"industry {name!r} implies unknown industry {implied!r}"
                                        + (f" (did you mean {hint!r}?)" if hint else ""), path=str(path),
                                        line=raw.get("industries", {}).key_lines.get(name), code="SR211"))
            edges.append((name, implied))
    for cycle in _cycles(edges):
        problems.append(Problem("industries imply each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
                                path=str(path), line=raw.key_lines.get("industries"), code="SR211"))


def _check_measures(rulebook: RulebookFile, law: LawCatalog, path: Path, raw: Any,
                    problems: list[Problem]) -> None:
    line = raw.key_lines.get("major_hazard_measures")
    for m in rulebook.major_hazard_measures:
        doc = law.documents.get(m.document)
        if doc is None:
            problems.append(Problem(f"major_hazard_measures: unknown document {m.document!r}", path=str(path),
                                    line=line, code="SR507"))
        elif m.provision not in doc.provisions:
            hint = did_you_mean(m.provision, doc.provisions)
            problems.append(Problem(f"major_hazard_measures: document {m.document!r} has no provision "
                                    f"{m.provision!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                                    path=str(path), line=line, code="SR507"))


# --------------------------------------------------------------------- tables


def _check_unread_facts(facts: FactCatalog, derived: Mapping[str, Expr], lineages: Mapping[str, LoadedLineage],
                        part_conditions: Mapping[Any, Expr], directory: Path, problems: list[Problem]) -> None:
    """A fact no rule reads invites inspectors to record it and conclude something: warn."""
    exprs = [*derived.values(), *part_conditions.values()]
    for lineage in lineages.values():
        exprs += [lineage.applies_to] if lineage.applies_to is not None else []
        for v in lineage.versions:
            exprs += [v.when, *([v.undetermined_when] if v.undetermined_when is not None else [])]
    read = {f for e in exprs for f in e.facts}
    for fact, spec in facts.specs.items():
        if fact not in read and spec.derive is None and not spec.any_industry:
            path, line = facts.locations.get(fact, (str(directory), None))
            problems.append(Problem(f"fact {fact!r} ({spec.label}) is read by no rule, derived fact or part "
                                    "condition: remove it, or encode what it is for", path=path, line=line,
                                    fact=fact, level="warning"))


def _check_table_divisors(tables: Mapping[str, Table], derived: Mapping[str, Expr],
                          lineages: Mapping[str, LoadedLineage], problems: list[Problem]) -> None:
    """A table value that a condition divides by must not be 0: the result would be unknown with
    nothing an inspector could answer (a critical quantity of 0 hides a major hazard source)."""
    catalog = FactCatalog({})
    catalog.note_divisors({
        **{f"derived fact {fact!r}": expr for fact, expr in derived.items()},
        **{f"rule {v.lineage_id} version {v.spec.version}": e for lin in lineages.values()
           for v in lin.versions for e in (v.when, v.undetermined_when) if e is not None}})
    for name, where in catalog.divisors.items():
        if not name.startswith(TABLE_SOURCE):
            continue
        table_id, column = name[len(TABLE_SOURCE):].rsplit(".", 1)
        table = tables.get(table_id)
        if table is None:
            continue
        for edition in table.spec.editions:
            for row in [*edition.rows, *([edition.default] if edition.default else [])]:
                if row.get(column) == 0:
                    problems.append(Problem(
                        f"table {table_id}, edition {edition.id}: row {row.get('key', 'default')!r} has {column} 0, "
                        f"but {where} divides by it", code="SchemaError"))


def _check_table_sources(tables: Mapping[str, Table], law: LawCatalog, problems: list[Problem]) -> None:
    for table in tables.values():
        for edition in table.spec.editions:
            doc = law.documents.get(edition.source.document)
            where = f"table {table.id}, edition {edition.id}: source"
            if doc is None:
                hint = did_you_mean(edition.source.document, law.documents)
                problems.append(Problem(f"{where} names unknown document {edition.source.document!r}"
                                        + (f" (did you mean {hint!r}?)" if hint else ""), code="SchemaError"))
            elif edition.source.provision is not None and edition.source.provision not in doc.provisions:
                problems.append(Problem(f"{where} names unknown provision {edition.source.provision!r} of "
                                        f"{doc.id}", code="SchemaError"))


def _load_tables(directory: Path, problems: list[Problem]) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    if not directory.is_dir():
        return tables
    for path in _yaml_files(directory):
        raw = _read(path, problems)
        if raw is UNREADABLE:
            continue
        spec, found = validate(TableFile, raw, path=str(path))
        problems += found
        if spec is None:
            continue
        if spec.id in tables:
            problems.append(Problem(f"table id {spec.id!r} is used twice", path=str(path),
                                    line=raw.key_lines.get("id"), code="SR504"))
            continue
        raw_editions = raw["editions"]
        table, found = build_table(spec, str(path), raw_editions)
        problems += found
        for message in overlaps_and_gaps(effective_windows([(e.effective_from, e.effective_to)
                                                            for e in spec.editions])):
            problems.append(Problem(f"editions of table {spec.id}: {message}", path=str(path),
                                    line=raw_editions.line, code="SR205"))
        tables[spec.id] = table
    return tables


# ------------------------------------------------------------------ fact catalog


def _load_facts(directory: Path, problems: list[Problem],
                tables: Mapping[str, TableType]) -> tuple[FactCatalog, dict[str, Expr], list[str]]:
    specs: dict[str, FactSpec] = {}
    where: dict[str, tuple[str, int | None]] = {}
    raw_of: dict[str, Any] = {}
    if not directory.is_dir():
        problems.append(Problem(f"missing fact catalog directory {FACTS_DIR}/", path=str(directory), code="SR003"))
    else:
        for path in _yaml_files(directory):
            raw = _read(path, problems)
            if raw is UNREADABLE:
                continue
            model, found = validate(FactCatalogFile, raw, path=str(path))
            problems += found
            if model is None:
                continue
            for fid, spec in model.facts.items():
                line = raw["facts"].key_lines.get(fid)
                bad = fact_id_problem(fid)
                if bad:
                    problems.append(Problem(bad, path=str(path), line=line, fact=fid, code="SR502"))
                    continue
                if fid in specs:
                    first_path, first_line = where[fid]
                    problems.append(Problem(f"fact {fid!r} is declared twice (first in "
                                            f"{first_path}:{first_line})", path=str(path), line=line,
                                            fact=fid, code="SR501"))
                    continue
                specs[fid] = spec
                where[fid] = (str(path), line)
                raw_of[fid] = raw["facts"][fid]
    catalog = FactCatalog(specs)
    catalog.locations = where

    # derived facts: parse, type-check, order by dependency
    derived: dict[str, Expr] = {}
    depends: dict[str, set[str]] = {}  # derived fact -> the derived facts it reads
    for fid, spec in specs.items():
        if spec.derive is None:
            continue
        fpath, line = where[fid]
        declared = catalog.types[fid]
        try:
            expr = parse_expression(spec.derive, catalog.types, expect=declared, tables=tables)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, raw_of[fid], "derive", fpath, None))
            continue
        derived[fid] = expr
        depends[fid] = {dep for dep in expr.facts if dep in specs and specs[dep].derive is not None}
    cycles = _cycles((dep, fid) for fid, deps in depends.items() for dep in deps)
    for cycle in cycles:
        fid = min(cycle)
        fpath, line = where[fid]
        problems.append(Problem("derived facts form a cycle: " + " -> ".join([*cycle, cycle[0]]),
                                path=fpath, line=line, fact=fid, code="SR503"))
    if cycles:
        broken = {f for c in cycles for f in c}
        derived = {k: v for k, v in derived.items() if k not in broken}
    order = _dependency_order({f: depends[f] & set(derived) for f in derived})
    return catalog, derived, order


# --------------------------------------------------------------------- law


def _load_law(directory: Path, rulebook: RulebookFile, problems: list[Problem]) -> LawCatalog:
    documents: dict[str, LawDocument] = {}
    if not directory.is_dir():
        problems.append(Problem(f"missing law catalog directory {LAW_DIR}/", path=str(directory), code="SR003"))
        return LawCatalog({})
    for path in _yaml_files(directory):
        raw = _read(path, problems)
        if raw is UNREADABLE:
            continue
        doc, found = validate(LawDocument, raw, path=str(path))
        problems += found
        if doc is None:
            continue
        if doc.id in documents:
            problems.append(Problem(f"document id {doc.id!r} is used twice", path=str(path),
                                    line=raw.key_lines.get("id"), code="SR504"))
            continue
        editions_raw = raw.get("editions")
        line = getattr(editions_raw, "line", None)
        for message in overlaps_and_gaps([w for _, w in doc.windows()]):
            problems.append(Problem(f"editions of {doc.id}: {message}", path=str(path), line=line, code="SR205"))
        for message in doc.part_count_problems():
            problems.append(Problem(f"{doc.id}: {message}", path=str(path), line=line, code="SR505"))
        for edition in doc.editions:
            for part in edition.parts:
                for industry in part.industries:
                    if industry not in rulebook.industries:
                        hint = did_you_mean(industry, rulebook.industries)
                        problems.append(Problem(
                            f"{doc.id} edition {edition.id}, part {part.id}: unknown industry {industry!r}"
                            + (f" (did you mean {hint!r}?)" if hint else ""), path=str(path), line=line, code="SR211"))
            for message in _far_dates(edition.effective_from, edition.effective_to):
                problems.append(Problem(f"{doc.id} edition {edition.id}: {message}", path=str(path), line=line,
                                        level="warning", code="SR208"))
        documents[doc.id] = doc
    _check_law_references(documents, directory, problems)
    return LawCatalog(documents)


def _check_law_references(documents: Mapping[str, LawDocument], directory: Path, problems: list[Problem]) -> None:
    """Escalations and the provisions a sanction tier leads to must exist where they are cited."""
    for doc in documents.values():
        path = str(directory / f"{doc.id}.yaml")
        refs = [(f"edition {e.id} escalation", doc.id, esc.provision) for e in doc.editions for esc in e.escalations]
        for pid, prov in doc.provisions.items():
            for eid, where in prov.editions.items():
                for tier in where.sanction.tiers if where.sanction else ():
                    refs += [(f"{pid} ({eid}) tier {tier.trigger}", r.document or doc.id, r.provision)
                             for r in tier.related]
        for what, target_doc, target in refs:
            other = documents.get(target_doc)
            if other is None or target not in other.provisions:
                hint = did_you_mean(target, other.provisions) if other else did_you_mean(target_doc, documents)
                problems.append(Problem(f"{doc.id}: {what} names {target_doc}/{target}, which does not exist"
                                        + (f" (did you mean {hint!r}?)" if hint else ""), path=path,
                                        code="SchemaError"))


# ------------------------------------------------------------------- lineages


def _far_dates(start: dt.date, end: dt.date | None) -> list[str]:
    limit = dt.date.today() + FAR_FUTURE
    return [f"{name} {day} is more than three years ahead: a typo?"
            for name, day in (("effective_from", start), ("effective_to", end))
            if day is not None and day > limit]


def _load_lineages(root: Path, rulebook: RulebookFile, facts: FactCatalog, law: LawCatalog,
                   tables: Mapping[str, TableType], problems: list[Problem]) -> dict[str, LoadedLineage]:
    lineages: dict[str, LoadedLineage] = {}
    for industry in rulebook.industries:
        directory = root / industry
        if not directory.is_dir():
            continue  # an industry without rules yet (a misspelt directory is reported as stray)
        for path in _yaml_files(directory):
            lineage = _load_lineage(path, industry, rulebook, facts, law, tables, problems)
            if lineage is None:
                continue
            if lineage.spec.id in lineages:
                first = lineages[lineage.spec.id].path
                problems.append(Problem(f"rule id {lineage.spec.id!r} is already used by {first}",
                                        path=str(path), line=lineage.raw.key_lines.get("id"),
                                        rule_id=lineage.spec.id, code="SR201"))
                continue
            lineages[lineage.spec.id] = lineage
    return dict(sorted(lineages.items()))


def _load_lineage(path: Path, industry: str, rulebook: RulebookFile, facts: FactCatalog,
                  law: LawCatalog, tables: Mapping[str, TableType],
                  problems: list[Problem]) -> LoadedLineage | None:
    raw = _read(path, problems)
    if raw is UNREADABLE:
        return None
    rule_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    spec, found = validate(RuleFile, raw, path=str(path), rule_id=rule_id)
    problems += found
    if spec is None:
        return None
    p = str(path)

    def problem(message: str, line: int | None = None, level: Literal["error", "warning"] = "error",
                code: str = "SR900") -> None:
        problems.append(Problem(message, path=p, line=line, rule_id=spec.id, level=level, code=code))

    if spec.industry != industry:
        problem(f"industry {spec.industry!r} does not match its directory {industry!r}",
                raw.key_lines.get("industry"), code="SR202")
    if spec.id.split(".", 1)[0] != spec.industry:
        problem(f"rule id must start with its industry: '{spec.industry}.'", raw.key_lines.get("id"), code="SR202")
    if spec.id in rulebook.retired_ids:
        problem("this id is retired and may not be used again; choose a new id",
                raw.key_lines.get("id"), code="SR203")

    types = facts.types
    applies_to = None
    if spec.applies_to is not None:
        try:
            applies_to = parse_expression(spec.applies_to, types, expect=BOOL, tables=tables)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, raw, "applies_to", p, spec.id))

    raw_versions: YamlSequence = raw["versions"]
    versions_line = raw.key_lines.get("versions")
    starts = [v.effective_from for v in spec.versions]
    if starts != sorted(starts):
        problem("versions must be listed in order of effective_from", versions_line, code="SR204")
    labels = [v.version for v in spec.versions]
    for dup in sorted({x for x in labels if labels.count(x) > 1}):
        problem(f"version label {dup!r} is used twice", versions_line, code="SR204")
    windows = effective_windows([(v.effective_from, v.effective_to) for v in spec.versions])
    for message in overlaps_and_gaps(windows):
        problem(f"versions: {message}", versions_line, code="SR205")

    versions = []
    for i, (version, window) in enumerate(zip(spec.versions, windows, strict=True)):
        vraw = raw_versions[i]
        vline = raw_versions.item_lines[i]
        for message in _far_dates(version.effective_from, version.effective_to):
            problem(f"version {version.version}: {message}", vline, level="warning", code="SR208")
        loaded = _load_version(spec.id, version, vraw, vline, window, law, types, tables, p, problems)
        if loaded is None:
            continue
        _check_citations(version, vraw, window, law, p, spec.id, problems)
        _check_examples(loaded, vraw, p, spec.id, problems)
        if version.interpretation is not None and version.interpretation.status == "contested":
            problem(f"version {version.version}: contested interpretation: {version.interpretation.note}",
                    vraw.key_lines.get("interpretation"), level="warning", code="SR209")
        versions.append(loaded)
    return LoadedLineage(spec, p, applies_to, tuple(versions), raw)


def _source_sub_items(version: RuleVersion, window: Window, law: LawCatalog) -> list[tuple[str, list[str]]]:
    """(edition id, sub-item labels) of the source provision in each edition in force during ``window``."""
    doc = law.documents.get(version.source.document)
    if doc is None or version.source.provision not in doc.provisions:
        return []
    prov = doc.provisions[version.source.provision]
    return [(e.id, list(prov.editions[e.id].sub_items)) for e, _w in law.editions_during(doc.id, window)
            if e.id in prov.editions]


def _load_version(lineage_id: str, version: RuleVersion, vraw: Any, vline: int | None, window: Window,
                  law: LawCatalog, types: Mapping[str, Any], tables: Mapping[str, TableType], path: str,
                  problems: list[Problem]) -> LoadedVersion | None:
    def problem(message: str, line: int | None = vline, code: str = "SR206") -> None:
        problems.append(Problem(f"version {version.version}: {message}", path=path, line=line,
                                rule_id=lineage_id, code=code))

    when_line = vraw.key_lines.get("when")
    by_edition = _source_sub_items(version, window, law)
    sub_labels = by_edition[0][1] if by_edition else []
    if len({tuple(labels) for _e, labels in by_edition}) > 1:
        problem(f"the source item's sub-items differ between the editions in force during {window}; "
                "split the version at the edition boundary", when_line, code="SR206")
        return None
    ok = True
    sub_conditions: list[tuple[str, Expr]] = []
    if isinstance(version.when, str):
        if sub_labels:
            problem(f"the source item has sub-items {', '.join(sub_labels)}; write 'when' as a mapping "
                    "sub-item → condition (leave out the sub-items you do not encode)", when_line, code="SR206")
            return None
        try:
            when = parse_expression(version.when, types, expect=BOOL, tables=tables)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, vraw, "when", path, lineage_id))
            return None
    else:
        raw_when = vraw["when"]
        if not sub_labels:
            problem("'when' is a mapping of sub-items, but the source item has no sub-items in the "
                    "catalog; write one condition", when_line, code="SR206")
            return None
        if not version.when:
            problem("'when' names no sub-item", when_line, code="SR206")
            return None
        for label, text in version.when.items():
            if label not in sub_labels:
                hint = did_you_mean(str(label), sub_labels)
                problem(f"'when' names sub-item {label!r}, which the source item does not have (it has "
                        f"{', '.join(sub_labels)})" + (f"; did you mean {hint!r}?" if hint else ""),
                        raw_when.key_lines.get(label), code="SR206")
                ok = False
                continue
            try:
                sub_conditions.append((label, parse_expression(text, types, expect=BOOL, tables=tables)))
            except ExpressionError as exc:
                problems.append(_expression_problem(exc, raw_when, label, path, lineage_id))
                ok = False
        if not ok:
            return None
        sub_conditions.sort(key=lambda sc: sub_labels.index(sc[0]))
        exprs = tuple(e for _label, e in sub_conditions)
        when = exprs[0] if len(exprs) == 1 else BoolOp(BOOL, " or ".join(f"({e.text})" for e in exprs), "or",
                                                        exprs)
    undetermined_when = None
    if version.interpretation is not None and version.interpretation.undetermined_when is not None:
        try:
            undetermined_when = parse_expression(version.interpretation.undetermined_when, types, expect=BOOL,
                                                 tables=tables)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, vraw["interpretation"], "undetermined_when", path,
                                                lineage_id))
            return None
    not_encoded = tuple(label for label in sub_labels if label not in dict(sub_conditions))
    return LoadedVersion(lineage_id, version, window, when, vline, tuple(sub_conditions), not_encoded,
                         undetermined_when)


def _check_examples(version: LoadedVersion, vraw: Any, path: str, rule_id: str,
                    problems: list[Problem]) -> None:
    kinds = {e.expect for e in version.spec.examples}
    needed = ["violated", "undetermined"] + ([] if version.partial else ["compliant"])
    line = vraw.key_lines.get("examples")
    for kind in needed:
        if kind not in kinds:
            problems.append(Problem(f"version {version.spec.version}: needs at least one example that expects "
                                    f"{kind!r}", path=path, line=line, rule_id=rule_id, code="SR402"))
    if version.partial and "compliant" in kinds:
        what = (f"sub-item(s) {', '.join(version.not_encoded)} are not encoded" if version.not_encoded
                else f"it is partial: {version.spec.partial}")
        problems.append(Problem(f"version {version.spec.version}: an example expects 'compliant', but {what}, "
                                "so the version can never be compliant (expect 'undetermined')", path=path,
                                line=line, rule_id=rule_id, code="SR408"))
    if not version.sub_conditions:
        for example in version.spec.examples:
            if example.sub_items is not None:
                problems.append(Problem(f"version {version.spec.version}, example {example.name!r}: "
                                        "'sub_items' needs a 'when' mapping of sub-items", path=path, line=line,
                                        rule_id=rule_id, code="SR407"))


def _check_citations(version: RuleVersion, vraw: Any, window: Window, law: LawCatalog, path: str,
                     rule_id: str, problems: list[Problem]) -> None:
    refs: list[tuple[str, str, int | None]] = [
        (version.source.document, version.source.provision, vraw.key_lines.get("source"))]
    for i, c in enumerate(version.citations):
        refs.append((c.document, c.provision, vraw["citations"].item_lines[i]))
    for document, provision, line in refs:
        def problem(message: str, _line: int | None = line, code: str = "SR303") -> None:
            problems.append(Problem(f"version {version.version}: {message}", path=path, line=_line,
                                    rule_id=rule_id, code=code))
        doc = law.documents.get(document)
        if doc is None:
            hint = did_you_mean(document, law.documents)
            problem(f"unknown document {document!r}" + (f" (did you mean {hint!r}?)" if hint else ""), code="SR301")
            continue
        if provision not in doc.provisions:
            hint = did_you_mean(provision, doc.provisions)
            problem(f"document {document!r} has no provision {provision!r}"
                    + (f" (did you mean {hint!r}?)" if hint else ""), code="SR302")
            continue
        for gap in law.uncovered(document, provision, window):
            problem(f"citation {document}/{provision} does not resolve from {gap.start} to "
                    f"{gap.end or 'open end'}: no edition of {doc.title} in force then contains it", code="SR303")
    line = vraw.key_lines.get("citations")
    penalties = [c for c in version.citations if c.role == "penalty"]
    preferred = [c for c in penalties if c.preferred]
    if len(penalties) > 1 and len(preferred) != 1:
        problems.append(Problem(f"version {version.version}: it cites {len(penalties)} penalty provisions; mark "
                                f"exactly one 'preferred: true' (now {len(preferred)}) and give its 'reason'",
                                path=path, line=line, rule_id=rule_id, code="SR304"))
    for c in preferred:
        if not c.reason:
            problems.append(Problem(f"version {version.version}: the preferred penalty {c.document}/{c.provision} "
                                    "needs a 'reason'", path=path, line=line, rule_id=rule_id, code="SR304"))
    if version.severity == "major_hazard" and not any(c.role == "penalty" for c in version.citations):
        problems.append(Problem(f"version {version.version}: a major hazard needs a penalty citation",
                                path=path, line=line, rule_id=rule_id, code="SR305"))


def _check_duties_before_criteria(lineages: Mapping[str, LoadedLineage], law: LawCatalog,
                                  problems: list[Problem]) -> None:
    """A 判定标准 item classifies conduct that already broke a duty: warn when a lineage starts
    with a major-hazard version although the duty it cites was in force earlier."""
    for lid, lineage in lineages.items():
        # A stated reason is a decision of the standards team, not an oversight.
        if not lineage.versions or lineage.spec.replaces or lineage.spec.before_first_version:
            continue
        first = lineage.versions[0]
        if first.spec.severity != "major_hazard":
            continue
        earliest = []
        for c in first.spec.citations:
            doc = law.documents.get(c.document)
            if c.role != "duty" or doc is None or c.provision not in doc.provisions:
                continue
            having = [w.start for e, w in doc.windows() if e.id in doc.provisions[c.provision].editions]
            if having and min(having) < first.window.start:
                earliest.append((min(having), c))
        if earliest:
            day, c = min(earliest, key=lambda x: x[0])
            problems.append(Problem(
                f"starts as a major hazard on {first.window.start}, but its duty {c.document}/{c.provision} was in "
                f"force from {day}: add a 'violation' version from {day} citing that duty and its penalty "
                f"(or say in 'before_first_version' why the earlier conduct cannot be confirmed unlawful)",
                path=lineage.path, line=first.line, rule_id=lid, level="warning", code="SR210"))


def _check_lineage_graph(lineages: Mapping[str, LoadedLineage], problems: list[Problem]) -> None:
    edges: set[tuple[str, str]] = set()
    for lid, lin in lineages.items():
        for key, targets in (("replaces", lin.spec.replaces), ("replaced_by", lin.spec.replaced_by)):
            line = lin.raw.key_lines.get(key)
            for target in targets:
                other = lineages.get(target)
                if other is None:
                    hint = did_you_mean(target, lineages)
                    problems.append(Problem(f"{key} names unknown rule {target!r}"
                                            + (f" (did you mean {hint!r}?)" if hint else ""),
                                            path=lin.path, line=line, rule_id=lid, code="SR207"))
                    continue
                back = other.spec.replaced_by if key == "replaces" else other.spec.replaces
                back_key = "replaced_by" if key == "replaces" else "replaces"
                if lid not in back:
                    problems.append(Problem(f"{key} names {target!r}, but {target} does not list "
                                            f"{lid!r} in its {back_key}", path=lin.path, line=line,
                                            rule_id=lid, code="SR207"))
                    continue  # a one-sided link is not an edge: it would only add follow-on problems
                old, new = (target, lid) if key == "replaces" else (lid, target)
                edges.add((old, new))
    for cycle in _cycles(sorted(edges)):
        lowest = min(cycle)
        problems.append(Problem("replaces/replaced_by form a cycle: " + " -> ".join([*cycle, cycle[0]]),
                                path=lineages[lowest].path, rule_id=lowest, code="SR207"))
    for old, new in sorted(edges):
        last = lineages[old].versions[-1].window if lineages[old].versions else None
        first = lineages[new].versions[0].window if lineages[new].versions else None
        if last is None or first is None:
            continue
        if last.end is None:
            problems.append(Problem(f"is replaced by {new!r} but never ends: give its last version "
                                    "an effective_to", path=lineages[old].path, rule_id=old, code="SR207"))
        elif first.start <= last.end:
            problems.append(Problem(f"starts on {first.start} while {old!r}, which it replaces, is "
                                    f"still in force until {last.end}", path=lineages[new].path,
                                    rule_id=new, code="SR207"))

