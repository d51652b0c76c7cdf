"""Reading a rulebook directory and validating it as a whole.

Every problem is collected, not just the first, so that one ``check`` run shows
the standards team all there is to fix. Layout::

    rules/
      rulebook.yaml        name, version, industries (the rule directories), retired ids
      facts/*.yaml         the fact catalog (observed and derived facts)
      law/*.yaml           the law and standard catalog, one document per file
      <industry>/*.yaml    rule lineages, one per file
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..law._catalog import LawCatalog, LawDocument
from ..shared._errors import ExpressionError, Problem, SafetyRulesError, did_you_mean
from ..shared._validation import validate
from ..shared._windows import Window, effective_windows, overlaps_and_gaps
from ..shared._yaml import YamlMapping, YamlSequence, load_yaml
from ._expressions import Expr, parse_expression
from ._facts import FactCatalog, FactCatalogFile, FactSpec, fact_id_problem
from ._rule_files import RulebookFile, RuleFile, RuleVersion
from ._types import BOOL

RULEBOOK_FILE = "rulebook.yaml"
FACTS_DIR = "facts"
LAW_DIR = "law"


@dataclass(frozen=True)
class LoadedVersion:
    lineage_id: str
    spec: RuleVersion
    window: Window
    when: Expr
    line: int | None


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


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


class _Unreadable:
    """Marks a file whose YAML could not be read (its problem is already reported)."""


UNREADABLE: Any = _Unreadable()


def _read(path: Path, problems: list[Problem]) -> Any:
    try:
        return load_yaml(path)
    except SafetyRulesError as exc:
        problems.append(exc.problem())
        return UNREADABLE


def _expression_problem(exc: ExpressionError, raw: Any, key: str, path: str,
                        rule_id: str | None) -> Problem:
    """Place an expression error on the line of its key (plus the line inside a block)."""
    base = raw.key_lines.get(key) if isinstance(raw, YamlMapping) else None
    text = raw.get(key) if isinstance(raw, Mapping) else None
    line = base
    if base is not None and exc.line is not None and isinstance(text, str) and "\n" in text.strip():
        line = base + exc.line
    located = exc.located(path=path, line=line, rule_id=rule_id)
    return Problem(f"{key}: {located.problem().message}", path=path, line=line, rule_id=rule_id,
                   fact=exc.fact, code="ExpressionError")


def load_parts(root: str | Path) -> tuple[Parts | None, list[Problem]]:
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(f"rulebook directory {str(root)!r} does not exist", path=str(root))]

    # -- rulebook.yaml
    rb_path = root / RULEBOOK_FILE
    if not rb_path.exists():
        return None, [Problem(f"missing {RULEBOOK_FILE}: every rulebook root needs one "
                              "(name, version, industries)", path=str(rb_path))]
    raw_rulebook = _read(rb_path, problems)
    if raw_rulebook is UNREADABLE:
        return None, problems
    rulebook, found = validate(RulebookFile, raw_rulebook, path=str(rb_path))
    problems += found
    if rulebook is None:
        return None, problems

    # -- stray files and directories
    expected_dirs = {FACTS_DIR, LAW_DIR, *rulebook.industries}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and entry.name not in expected_dirs:
            hint = did_you_mean(entry.name, expected_dirs)
            problems.append(Problem(
                f"directory {entry.name!r} is not an industry listed in {RULEBOOK_FILE}"
                + (f" (did you mean {hint!r}?)" if hint else ""), path=str(entry)))
        elif entry.is_file() and entry.name != RULEBOOK_FILE and entry.suffix in (".yaml", ".yml"):
            problems.append(Problem("rule files belong in an industry directory", path=str(entry)))

    facts, derived, order = _load_facts(root / FACTS_DIR, problems)
    law = _load_law(root / LAW_DIR, problems)
    lineages = _load_lineages(root, rulebook, facts, law, problems)
    _check_lineage_graph(lineages, problems)
    parts = Parts(root, rulebook, facts, derived, order, law, lineages)
    return parts, problems


# ------------------------------------------------------------------ fact catalog


def _load_facts(directory: Path, problems: list[Problem]) -> tuple[FactCatalog, dict[str, Expr], list[str]]:
    specs: dict[str, FactSpec] = {}
    where: dict[str, tuple[str, int | None]] = {}
    raw_of: dict[str, Any] = {}
    if not directory.is_dir():
        problems.append(Problem(f"missing fact catalog directory {FACTS_DIR}/", path=str(directory)))
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
                    problems.append(Problem(bad, path=str(path), line=line, fact=fid))
                    continue
                if fid in specs:
                    first_path, first_line = where[fid]
                    problems.append(Problem(f"fact {fid!r} is declared twice (first in "
                                            f"{first_path}:{first_line})", path=str(path), line=line,
                                            fact=fid))
                    continue
                specs[fid] = spec
                where[fid] = (str(path), line)
                raw_of[fid] = raw["facts"][fid]
    catalog = FactCatalog(specs)

    # derived facts: parse, type-check, order by dependency
    derived: dict[str, Expr] = {}
    graph = nx.DiGraph()
    for fid, spec in specs.items():
        if spec.derive is None:
            continue
        fpath, line = where[fid]
        declared = catalog.types[fid]
        try:
            expr = parse_expression(spec.derive, catalog.types, expect=declared)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, raw_of[fid], "derive", fpath, None))
            continue
        derived[fid] = expr
        graph.add_node(fid)
        for dep in expr.facts:
            if dep in specs and specs[dep].derive is not None:
                graph.add_edge(dep, fid)
    cycles = list(nx.simple_cycles(graph))
    for cycle in cycles:
        fid = min(cycle)
        fpath, line = where[fid]
        problems.append(Problem("derived facts form a cycle: " + " -> ".join([*cycle, cycle[0]]),
                                path=fpath, line=line, fact=fid))
    if cycles:
        broken = {f for c in cycles for f in c}
        derived = {k: v for k, v in derived.items() if k not in broken}
        graph.remove_nodes_from(broken)
    order = [f for f in nx.lexicographical_topological_sort(graph) if f in derived]
    return catalog, derived, order


# --------------------------------------------------------------------- law


def _load_law(directory: Path, problems: list[Problem]) -> LawCatalog:
    documents: dict[str, LawDocument] = {}
    if not directory.is_dir():
        problems.append(Problem(f"missing law catalog directory {LAW_DIR}/", path=str(directory)))
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
                                    line=raw.key_lines.get("id")))
            continue
        editions_raw = raw.get("editions")
        for message in overlaps_and_gaps([w for _, w in doc.windows()]):
            problems.append(Problem(f"editions of {doc.id}: {message}", path=str(path),
                                    line=getattr(editions_raw, "line", None)))
        documents[doc.id] = doc
    return LawCatalog(documents)


# ------------------------------------------------------------------- lineages


def _load_lineages(root: Path, rulebook: RulebookFile, facts: FactCatalog, law: LawCatalog,
                   problems: list[Problem]) -> dict[str, LoadedLineage]:
    lineages: dict[str, LoadedLineage] = {}
    for industry in rulebook.industries:
        directory = root / industry
        if not directory.is_dir():
            problems.append(Problem(f"industry {industry!r} is listed in {RULEBOOK_FILE} but has no "
                                    "directory", path=str(directory)))
            continue
        for path in _yaml_files(directory):
            lineage = _load_lineage(path, industry, rulebook, facts, law, problems)
            if lineage is None:
                continue
            if lineage.spec.id in lineages:
                first = lineages[lineage.spec.id].path
                problems.append(Problem(f"rule id {lineage.spec.id!r} is already used by {first}",
                                        path=str(path), line=lineage.raw.key_lines.get("id"),
                                        rule_id=lineage.spec.id))
                continue
            lineages[lineage.spec.id] = lineage
    return dict(sorted(lineages.items()))


def _load_lineage(path: Path, industry: str, rulebook: RulebookFile, facts: FactCatalog,
                  law: LawCatalog, problems: list[Problem]) -> LoadedLineage | None:
    raw = _read(path, problems)
    if raw is UNREADABLE:
        return None
    rule_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    spec, found = validate(RuleFile, raw, path=str(path), rule_id=rule_id)
    problems += found
    if spec is None:
        return None
    p = str(path)

    def problem(message: str, line: int | None = None) -> None:
        problems.append(Problem(message, path=p, line=line, rule_id=spec.id))

    if spec.industry != industry:
        problem(f"industry {spec.industry!r} does not match its directory {industry!r}",
                raw.key_lines.get("industry"))
    if spec.id.split(".", 1)[0] != spec.industry:
        problem(f"rule id must start with its industry: '{spec.industry}.'", raw.key_lines.get("id"))
    if spec.id in rulebook.retired_ids:
        problem("this id is retired and may not be used again; choose a new id",
                raw.key_lines.get("id"))

    types = facts.types
    applies_to = None
    if spec.applies_to is not None:
        try:
            applies_to = parse_expression(spec.applies_to, types, expect=BOOL)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, raw, "applies_to", p, spec.id))

    raw_versions: YamlSequence = raw["versions"]
    versions_line = raw.key_lines.get("versions")
    starts = [v.effective_from for v in spec.versions]
    if starts != sorted(starts):
        problem("versions must be listed in order of effective_from", versions_line)
    labels = [v.version for v in spec.versions]
    for dup in sorted({x for x in labels if labels.count(x) > 1}):
        problem(f"version label {dup!r} is used twice", versions_line)
    windows = effective_windows([(v.effective_from, v.effective_to) for v in spec.versions])
    for message in overlaps_and_gaps(windows):
        problem(f"versions: {message}", versions_line)

    versions = []
    for i, (version, window) in enumerate(zip(spec.versions, windows, strict=True)):
        vraw = raw_versions[i]
        vline = raw_versions.item_lines[i]
        try:
            when = parse_expression(version.when, types, expect=BOOL)
        except ExpressionError as exc:
            problems.append(_expression_problem(exc, vraw, "when", p, spec.id))
            continue
        _check_citations(version, vraw, window, law, p, spec.id, problems)
        kinds = {e.expect for e in version.examples}
        for needed in ("violated", "compliant"):
            if needed not in kinds:
                problem(f"version {version.version}: needs at least one example that expects "
                        f"{needed!r}", vraw.key_lines.get("examples"))
        versions.append(LoadedVersion(spec.id, version, window, when, vline))
    return LoadedLineage(spec, p, applies_to, tuple(versions), raw)


def _check_citations(version: RuleVersion, vraw: Any, window: Window, law: LawCatalog, path: str,
                     rule_id: str, problems: list[Problem]) -> None:
    refs: list[tuple[str, str, int | None]] = [
        (version.source.document, version.source.provision, vraw.key_lines.get("source"))]
    for i, c in enumerate(version.citations):
        refs.append((c.document, c.provision, vraw["citations"].item_lines[i]))
    for document, provision, line in refs:
        def problem(message: str, _line: int | None = line) -> None:
            problems.append(Problem(f"version {version.version}: {message}", path=path, line=_line,
                                    rule_id=rule_id))
        doc = law.documents.get(document)
        if doc is None:
            hint = did_you_mean(document, law.documents)
            problem(f"unknown document {document!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
            continue
        if provision not in doc.provisions:
            hint = did_you_mean(provision, doc.provisions)
            problem(f"document {document!r} has no provision {provision!r}"
                    + (f" (did you mean {hint!r}?)" if hint else ""))
            continue
        for gap in law.uncovered(document, provision, window):
            problem(f"citation {document}/{provision} does not resolve from {gap.start} to "
                    f"{gap.end or 'open end'}: no edition of {doc.title} in force then contains it")


def _check_lineage_graph(lineages: Mapping[str, LoadedLineage], problems: list[Problem]) -> None:
    graph = nx.DiGraph()
    for lid, lin in lineages.items():
        graph.add_node(lid)
        for key, targets in (("replaces", lin.spec.replaces), ("replaced_by", lin.spec.replaced_by)):
            line = lin.raw.key_lines.get(key)
            for target in targets:
                other = lineages.get(target)
                if other is None:
                    hint = did_you_mean(target, lineages)
                    problems.append(Problem(f"{key} names unknown rule {target!r}"
                                            + (f" (did you mean {hint!r}?)" if hint else ""),
                                            path=lin.path, line=line, rule_id=lid))
                    continue
                back = other.spec.replaced_by if key == "replaces" else other.spec.replaces
                back_key = "replaced_by" if key == "replaces" else "replaces"
                if lid not in back:
                    problems.append(Problem(f"{key} names {target!r}, but {target} does not list "
                                            f"{lid!r} in its {back_key}", path=lin.path, line=line,
                                            rule_id=lid))
                    continue  # a one-sided link is not an edge: it would only add follow-on problems
                old, new = (target, lid) if key == "replaces" else (lid, target)
                graph.add_edge(old, new)
    for cycle in nx.simple_cycles(graph):
        first = min(cycle)
        problems.append(Problem("replaces/replaced_by form a cycle: " + " -> ".join([*cycle, cycle[0]]),
                                path=lineages[first].path, rule_id=first))
    for old, new in sorted(graph.edges):
        last = lineages[old].versions[-1].window if lineages[old].versions else None
        first = lineages[new].versions[0].window if lineages[new].versions else None
        if last is None or first is None:
            continue
        if last.end is None:
            problems.append(Problem(f"is replaced by {new!r} but never ends: give its last version "
                                    "an effective_to", path=lineages[old].path, rule_id=old))
        elif first.start <= last.end:
            problems.append(Problem(f"starts on {first.start} while {old!r}, which it replaces, is "
                                    f"still in force until {last.end}", path=lineages[new].path,
                                    rule_id=new))

