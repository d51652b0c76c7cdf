"""The rulebook: load it once, then assess enterprises against it on any date."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..law._catalog import LawCatalog, ResolvedCitation, covers
from ..shared._errors import FactError, NotFoundError, RulebookError, did_you_mean
from ..shared._validation import schema_error, validate
from ..shared._windows import Window, day_after, day_before
from ..shared._yaml import load_yaml
from ._compiler import (
    COMPLIANT,
    NOT_APPLICABLE,
    UNDETERMINED,
    VIOLATED,
    CompiledRule,
    Evaluator,
    Outcomes,
    compile_rules,
    evaluate_rules,
    outcome_codes,
)
from ._coverage import CoverageReport, coverage
from ._enterprise import MAX_ENTERPRISE_BYTES, CheckedFacts, Enterprise, EnterpriseFile
from ._expressions import Expr
from ._facts import FactCatalog
from ._interpreter import Environment, Outcome, explain
from ._loader import LoadedLineage, LoadedVersion, Parts, load_parts
from ._results import (
    Assessment,
    AssessmentWarning,
    Counts,
    EvaluationFailure,
    Finding,
    NotEncoded,
    Question,
    Reason,
    RecordRef,
    RuleExplanation,
    Undetermined,
    VersionInfo,
    maker,
    trusted,
)

Subject = Enterprise | Mapping[str, Any]
_FINDING, _UNDETERMINED = maker(Finding), maker(Undetermined)
Statics = tuple[dict[str, Any], dict[str, Any]]

# Every cache of a rulebook is keyed by what changes its value (a stretch of the timeline,
# never a day; a set of industries; the local jurisdictions an enterprise's region lies
# in) and holds at most this many entries, least recently used first out: a run over
# many dates, regions and industry sets keeps its memory flat.
PLAN_CACHE = 1024  # (stretch, industries): evaluators to run, rule ids not assessed or not in force (a miss
#                   costs a few view lookups: it may thrash over many stretches and industry sets)
VIEW_CACHE = 4096  # (industry, stretch): that industry's rule ids in force, not in force, and in force as
#                   a major hazard (an entry is three tuples of shared ids: a few thousand stay small)
STATIC_CACHE = 16384  # (version, law stretch, jurisdictions): fixed fields of findings and undetermined entries
CITATION_CACHE = 16384  # (version, law stretch, jurisdictions): citations as they read then
NOT_ENCODED_CACHE = 1024  # (stretch, industries): items of the standards that no rule encodes
SMALL_CACHE = 4096  # regions, industry lists and law stretches, each to what it decides
FOREIGN_CACHE = 256  # industries: the facts only other industries' rules read


# A wheel carries copies of the repository's rules/ and experts/ here (setup.py copies them at
# build time; no symlinks, which Git for Windows checks out as text files). A source checkout
# or an editable install has no copies and reads the repository's directories.
BUNDLED = Path(__file__).parent.parent / "_data"
REPOSITORY = Path(__file__).resolve().parents[3]


def bundled_dir(name: str) -> Path:
    """``rules`` or ``experts`` as the package carries it, else the repository's."""
    for path in (BUNDLED / name, REPOSITORY / name):
        if path.is_dir():
            return path
    raise NotFoundError(f"no bundled {name}/ directory (looked in {BUNDLED} and {REPOSITORY}); "
                        f"pass the path of a {name}/ directory")


def default_rules_path() -> Path:
    """The bundled rulebook: the package's copy in a wheel, the repository's ``rules/`` in a checkout."""
    path = bundled_dir("rules")
    if not (path / "rulebook.yaml").exists():
        raise NotFoundError(f"no bundled rulebook at {path}; pass the path of a rules/ directory")
    return path


class _Details:
    """Works out, on first read, what findings and undetermined entries of one assessment
    explain about themselves: one of these per assessment rather than a closure per finding."""

    __slots__ = ("book", "env")

    def __init__(self, book: Rulebook, env: Environment) -> None:
        self.book, self.env = book, env

    def finding_detail(self, version: LoadedVersion) -> tuple[dict[str, Any], list[Reason], list[str]]:
        return self.book._finding_detail(version, self.env)

    def missing_facts(self, version: LoadedVersion) -> list[str]:
        return self.book._missing_facts(version, self.env)


@dataclass(frozen=True)
class _Plan:
    """What assessing in one stretch of the timeline, under one set of industries, runs and lists."""

    industries: tuple[str, ...]  # the industries assessed that have a rule in force
    evaluators: tuple[Evaluator, ...]  # theirs, in the same order
    other_industries: tuple[str, ...]  # rule ids in force whose industry is not assessed, in rule order
    not_in_force: tuple[str, ...]  # rule ids with no version in force, in rule order


def _first_day(bounds: list[dt.date], k: int) -> dt.date:
    """A day of stretch ``k`` of ``bounds``: the answers cached per stretch are the same on each."""
    if k:
        return bounds[k - 1]
    # a timeline starting on 0001-01-01 has no stretch 0: nothing asks for a day of it
    return (day_before(bounds[0]) or dt.date.min) if bounds else dt.date.min


class Rulebook:
    """A validated, compiled rulebook.

    >>> book = Rulebook.load()                               # doctest: +SKIP
    >>> result = book.assess(enterprise, as_of=date(2017, 9, 5))  # doctest: +SKIP
    """

    def __init__(self, parts: Parts) -> None:
        """Use :meth:`load`; this takes already validated parts (``check`` builds them itself)."""
        self.root: Path = parts.root
        self.name: str = parts.rulebook.name
        self.version: str = parts.rulebook.version
        self.industries: dict[str, str] = {k: v.title for k, v in parts.rulebook.industries.items()}
        self.facts: FactCatalog = parts.facts
        self.law: LawCatalog = parts.law
        self._lineages: dict[str, LoadedLineage] = parts.lineages
        self._derived = parts.derived
        self._derived_order = parts.derived_order
        self.tables = parts.tables
        self._part_conditions = parts.part_conditions
        self._measures = parts.rulebook.major_hazard_measures
        self._implied = _implied_industries(parts.rulebook.industries)
        self._token = object()
        self.facts.note_divisors({
            **{f"derived fact {fact!r}": expr for fact, expr in self._derived.items()},
            **{f"rule {lid}": lin.applies_to for lid, lin in self._lineages.items() if lin.applies_to is not None},
            **{f"rule {v.lineage_id} version {v.spec.version}": e for lin in self._lineages.values()
               for v in lin.versions for e in (v.when, v.undetermined_when) if e is not None}})
        # Every rule version in rule order: the compiled evaluators report these indexes.
        self._versions: tuple[LoadedVersion, ...] = tuple(v for lin in self._lineages.values() for v in lin.versions)
        self._index = {id(v): i for i, v in enumerate(self._versions)}
        self._version_ids = tuple(v.lineage_id for v in self._versions)
        self._major = tuple(v.spec.severity == "major_hazard" for v in self._versions)
        # Every day on which a rule version or a law edition starts or ends, or an edition was
        # first published: between two of them (a "stretch") nothing an assessment finds or
        # cites changes. Citations change only at the law's days (a "law stretch").
        law_days: set[dt.date] = set()
        for doc in self.law.documents.values():
            for edition, window in doc.windows():
                law_days |= _edges(window)
                if edition.published is not None:
                    law_days.add(edition.published)
        self._law_bounds = sorted(law_days)
        self._bounds = sorted(law_days.union(*(_edges(v.window) for v in self._versions)))
        self._law_stretch = [bisect_right(self._law_bounds, _first_day(self._bounds, k))
                             for k in range(len(self._bounds) + 1)]
        self._spans = [self._span(v.window) for v in self._versions]
        self._by_industry: dict[str, list[LoadedLineage]] = {}
        for lineage in self._lineages.values():
            self._by_industry.setdefault(lineage.spec.industry, []).append(lineage)
        self._units: dict[str, Evaluator] = {}
        self._local = {i: j for i, v in enumerate(self._versions)
                       if (j := self._jurisdiction(v.spec.source.document)) != "national"}
        self._local_jurisdictions = sorted({d.jurisdiction for d in self.law.documents.values()
                                            if d.jurisdiction != "national"})
        # one entry per rule version at most
        self._used: dict[tuple[str, str], tuple[str, ...]] = {}
        self._alone: dict[tuple[str, str], Evaluator] = {}
        self._plan = lru_cache(maxsize=PLAN_CACHE)(self._make_plan)
        self._view = lru_cache(maxsize=VIEW_CACHE)(self._make_view)
        self._static = lru_cache(maxsize=STATIC_CACHE)(self._make_static)
        self._citations = lru_cache(maxsize=CITATION_CACHE)(self._make_citations)
        self._not_encoded = lru_cache(maxsize=NOT_ENCODED_CACHE)(self._make_not_encoded)
        self._measures_in = lru_cache(maxsize=SMALL_CACHE)(self._make_measures)
        self._expanded = lru_cache(maxsize=SMALL_CACHE)(self._expand)
        self._covering = lru_cache(maxsize=SMALL_CACHE)(self._make_covering)
        self._foreign = lru_cache(maxsize=FOREIGN_CACHE)(self._make_foreign)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None) -> Rulebook:
        """Load and validate a rulebook directory (default: the bundled ``rules/``).

        Raises :class:`RulebookError` listing every problem found.
        """
        root = Path(path) if path is not None else default_rules_path()
        parts, problems = load_parts(root)
        errors = [p for p in problems if p.level == "error"]
        if errors or parts is None:
            raise RulebookError(errors, path=root)
        return cls(parts)

    # -------------------------------------------------------------- inspection
    @property
    def rule_ids(self) -> list[str]:
        return list(self._lineages)

    def lineage(self, rule_id: str) -> LoadedLineage:
        try:
            return self._lineages[rule_id]
        except KeyError:
            raise NotFoundError(f"no rule {rule_id!r}", rule_id=rule_id,
                                suggestion=did_you_mean(rule_id, self._lineages)) from None

    def version_on(self, rule_id: str, as_of: dt.date) -> LoadedVersion | None:
        for v in self.lineage(rule_id).versions:
            if v.window.contains(as_of):
                return v
        return None

    @property
    def derived(self) -> Mapping[str, Expr]:
        return self._derived

    @property
    def derived_order(self) -> list[str]:
        return list(self._derived_order)

    @property
    def part_conditions(self) -> Mapping[tuple[str, str, str], Expr]:
        """(document, edition, part) → the parsed condition narrowing that part of a 判定标准
        within its industries; (document, edition, "#" + provision) → one item's condition."""
        return self._part_conditions

    # ------------------------------------------------------------------ facts
    def check_facts(self, raw: Mapping[Any, Any], *, source: str = "<facts>") -> CheckedFacts:
        """Validate raw fact values against the catalog; raise :class:`FactError` listing all problems."""
        if isinstance(raw, CheckedFacts) and raw.catalog_token is self._token:
            return raw
        checked = CheckedFacts(self.facts.validated(raw, source=source))
        object.__setattr__(checked, "catalog_token", self._token)
        return checked

    def enterprise(self, id: str, facts: Mapping[Any, Any], *, name: str | None = None,
                   county: str | None = None, region: str | None = None, industries: Iterable[str] = (),
                   inspected_on: dt.date | None = None, source: str | None = None) -> Enterprise:
        """An :class:`Enterprise` whose facts have been checked against this rulebook."""
        unknown = [i for i in industries if i not in self.industries]
        if unknown:
            raise FactError(f"enterprise {id!r}: unknown industry {unknown[0]!r}", path=source,
                            suggestion=did_you_mean(unknown[0], self.industries))
        return Enterprise(id=id, facts=self.check_facts(facts, source=source or id), name=name,
                          county=county, region=region, industries=tuple(industries),
                          inspected_on=inspected_on, path=Path(source) if source else None)

    def load_enterprise(self, path: str | Path) -> Enterprise:
        """Read an enterprise fact file; every problem names the file, line and fact."""
        p = Path(path)
        raw = load_yaml(p, max_bytes=MAX_ENTERPRISE_BYTES)
        model, problems = validate(EnterpriseFile, raw, path=str(p))
        if model is None:
            raise schema_error(problems, p)
        header = model.enterprise
        unknown = [i for i in header.industries if i not in self.industries]
        if unknown:
            raise FactError(f"unknown industry {unknown[0]!r}; the rulebook has "
                            f"{sorted(self.industries)}", path=p,
                            line=raw["enterprise"].key_lines.get("industries"),
                            suggestion=did_you_mean(unknown[0], self.industries))
        return Enterprise(id=header.id, facts=self.check_facts(raw.get("facts") or {}, source=str(p)),
                          name=header.name, county=header.county, region=header.region,
                          industries=tuple(header.industries), inspected_on=header.inspected_on, path=p)

    # -------------------------------------------------------------- assessing
    def expand_industries(self, industries: Iterable[str]) -> tuple[str, ...]:
        """The industries an enterprise is assessed under: its own and those they imply, sorted."""
        return self._expanded(tuple(industries))

    def _expand(self, industries: tuple[str, ...]) -> tuple[str, ...]:
        found: set[str] = set()
        for industry in industries:
            found |= self._implied.get(industry, {industry})
        return tuple(sorted(found))

    def _span(self, window: Window) -> tuple[int, int | None]:
        """The stretches a window covers: from, up to (exclusive; None: open)."""
        start = bisect_left(self._bounds, window.start) + 1
        after = None if window.end is None else day_after(window.end)  # None: open, or to the last day
        return start, None if after is None else bisect_left(self._bounds, after) + 1

    def _unit(self, industry: str) -> Evaluator:
        """Every version of every rule of ``industry``, compiled once into one evaluator."""
        unit = self._units.get(industry)
        if unit is None:
            rules = [CompiledRule(self._lineages[v.lineage_id].applies_to, v.when, v.partial, v.undetermined_when,
                                  index=i, span=self._spans[i])
                     for i, v in enumerate(self._versions)
                     if self._lineages[v.lineage_id].spec.industry == industry]
            unit = self._units[industry] = compile_rules(
                rules, self._derived, self._derived_order, label=f"rulebook {self.version}, {industry}",
                tables=self.tables)
        return unit

    def _make_view(self, industry: str, k: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """The ids of ``industry``'s rules in force in stretch ``k``, of those not in force, and
        of those whose version in force is a major hazard."""
        in_force: list[str] = []
        absent: list[str] = []
        majors: list[str] = []
        for lineage in self._by_industry[industry]:
            live = None
            for v in lineage.versions:
                i = self._index[id(v)]
                start, stop = self._spans[i]
                if start <= k and (stop is None or k < stop):
                    live = i
                    break
            if live is None:
                absent.append(lineage.spec.id)
                continue
            in_force.append(lineage.spec.id)
            if self._major[live]:
                majors.append(lineage.spec.id)
        return tuple(in_force), tuple(absent), tuple(majors)

    def _make_plan(self, k: int, industries: tuple[str, ...]) -> _Plan:
        """An enterprise that names its industries is not assessed against the others'
        rules (they are reported as not applicable); one that names none gets all."""
        assessed: list[str] = []
        other: list[str] = []
        absent: list[str] = []
        for industry in self._by_industry:
            in_force, out_of_force, _ = self._view(industry, k)
            absent += out_of_force
            if industries and industry not in industries:
                other += in_force
            elif in_force:
                assessed.append(industry)
        # rule ids sort in rule order: the loader keeps lineages sorted by id
        return _Plan(tuple(assessed), tuple(self._unit(i) for i in assessed), tuple(sorted(other)),
                     tuple(sorted(absent)))

    def _jurisdiction(self, document: str) -> str:
        doc = self.law.documents.get(document)  # missing only in a rulebook that check is reporting on
        return doc.jurisdiction if doc is not None else "national"

    def _jurisdictions(self, region: str | None) -> tuple[str, ...]:
        """The local jurisdictions of the law catalog that ``region`` lies in: what a region
        changes in a citation."""
        return self._covering(region) if self._local_jurisdictions and region else ()

    def _make_covering(self, region: str) -> tuple[str, ...]:
        return tuple(j for j in self._local_jurisdictions if covers(j, region))

    def compile_all(self) -> int:
        """Compile every rule now rather than on first use; returns how many evaluators (one
        per industry, each covering every version of its rules) there are."""
        for industry in self._by_industry:
            self._unit(industry)
        return len(self._units)

    def version_evaluator(self, version: LoadedVersion) -> Evaluator:
        """One rule version compiled on its own (once), reporting index 0: what ``check`` runs
        its examples through, at a cost that does not grow with the rest of the rulebook, and
        what an assessment falls back on when an industry's evaluator raises."""
        key = (version.lineage_id, version.spec.version)
        cached = self._alone.get(key)
        if cached is None:
            rule = CompiledRule(self._lineages[version.lineage_id].applies_to, version.when, version.partial,
                                version.undetermined_when)
            cached = self._alone[key] = compile_rules([rule], self._derived, self._derived_order,
                                                      label=f"{version.lineage_id} {version.spec.version}",
                                                      tables=self.tables)
        return cached

    def _rule_by_rule(self, plan: _Plan, k: int, facts: Mapping[str, Any],
                      as_of: dt.date) -> tuple[Outcomes, list[tuple[int, str]]]:
        """The outcomes of the rules ``plan`` runs in stretch ``k``, one rule version at a
        time, and the versions whose evaluation failed (index, message): one rule failing
        never takes the others with it."""
        out: Outcomes = ([], [], [], [])
        failed: list[tuple[int, str]] = []
        for i, version in enumerate(self._versions):
            start, stop = self._spans[i]
            if (self._lineages[version.lineage_id].spec.industry not in plan.industries
                    or k < start or (stop is not None and k >= stop)):
                continue
            try:
                code = outcome_codes(evaluate_rules(self.version_evaluator(version), facts, as_of), 1)[0]
            except Exception as exc:  # reported per rule, with its message
                failed.append((i, f"{type(exc).__name__}: {exc}"))
                continue
            assert code is not None  # a version compiled alone is always reported
            out[code].append(i)
        return out, failed

    def _subject(self, subject: Subject) -> Enterprise:
        if isinstance(subject, Enterprise):
            if not (isinstance(subject.facts, CheckedFacts) and subject.facts.catalog_token is self._token):
                subject = Enterprise(**{**subject.__dict__,
                                        "facts": self.check_facts(subject.facts, source=subject.id)})
            return subject
        return Enterprise(id="", facts=self.check_facts(subject))

    def assess(self, subject: Subject, as_of: dt.date | None = None) -> Assessment:
        """Assess one enterprise (or a mapping of fact values) on ``as_of``.

        ``as_of`` defaults to the enterprise's ``inspected_on``, else today.
        """
        enterprise = self._subject(subject)
        day = as_of or enterprise.inspected_on or dt.date.today()
        return self._assess(enterprise, day)

    def assess_many(self, subjects: Iterable[Subject], as_of: dt.date | None = None) -> Iterator[Assessment]:
        """Assess a stream of enterprises lazily, one result per enterprise, in order."""
        for subject in subjects:
            yield self.assess(subject, as_of)

    def _assess(self, enterprise: Enterprise, as_of: dt.date) -> Assessment:
        industries = self._expanded(tuple(enterprise.industries))
        k = bisect_right(self._bounds, as_of)
        plan = self._plan(k, industries)
        out: Outcomes = ([], [], [], [])
        failed: list[tuple[int, str]] = []
        try:
            for evaluate in plan.evaluators:
                evaluate(enterprise.facts, as_of, k, out)
        except Exception:  # rare (extreme values): find the rule, assess the rest
            out, failed = self._rule_by_rule(plan, k, enterprise.facts, as_of)
        for indexes in out:
            indexes.sort()  # rule order
        na, ok, bad, unknown = out
        if self._local:
            # a rule whose source is provincial law does not bind outside the province
            local = self._local
            outside = {i for indexes in (ok, bad, unknown) for i in indexes
                       if i in local and not covers(local[i], enterprise.region)}
            if outside:
                ok, bad, unknown = ([i for i in lst if i not in outside] for lst in (ok, bad, unknown))
                failed = [(i, message) for i, message in failed if i not in outside]
                na = sorted([*na, *outside])
        versions, ids, static = self._versions, self._version_ids, self._static
        law_k, jurisdictions = self._law_stretch[k], self._jurisdictions(enterprise.region)
        source = _Details(self, Environment(enterprise.facts, as_of, self._derived, self.tables))
        # the details of each are worked out from ``source`` if they are read
        findings = [_FINDING(static(i, law_k, jurisdictions)[0], {"_source": source, "_version": versions[i],
                                                                  "_detail": None}) for i in bad]
        undetermined = [_UNDETERMINED(static(i, law_k, jurisdictions)[1], {"_source": source, "_version": versions[i],
                                                                           "_missing": None}) for i in unknown]
        major = self._major
        majors = [major[i] for i in bad].count(True)
        not_applicable = [*plan.other_industries, *[ids[i] for i in na]]
        not_encoded = self._not_encoded_for(enterprise, as_of, k, industries)
        errors = [EvaluationFailure(**static(i, law_k, jurisdictions)[1], message=message) for i, message in failed]
        warnings = self._warnings(enterprise, industries, k) if industries else []
        counts = trusted(Counts, {
            "findings": len(findings), "major_hazards": majors, "violations": len(findings) - majors,
            "undetermined": len(undetermined), "compliant": len(ok), "not_applicable": len(not_applicable),
            "not_in_force": len(plan.not_in_force), "not_encoded": len(not_encoded), "errors": len(errors)})
        return trusted(Assessment, {
            "enterprise_id": enterprise.id or None, "enterprise_name": enterprise.name, "as_of": as_of,
            "region": enterprise.region, "industries": list(industries),
            "rulebook_version": self.version, "findings": findings, "undetermined": undetermined,
            "not_applicable": not_applicable, "compliant": [ids[i] for i in ok],
            "not_in_force": list(plan.not_in_force), "not_encoded": not_encoded, "errors": errors,
            "warnings": warnings, "counts": counts})

    def _not_encoded_for(self, enterprise: Enterprise, as_of: dt.date, k: int,
                         industries: tuple[str, ...]) -> list[NotEncoded]:
        """The un-encoded items that concern this enterprise: a part or an item whose condition is false
        for it (an underground mine without a tailings pond; a cold store and 金属冶炼 principals) is
        left out; unknown keeps it."""
        items = self._not_encoded(k, industries)
        if not self._part_conditions or not items:
            return items
        env = Environment(enterprise.facts, as_of, self._derived, self.tables)
        concerned: dict[tuple[str, str, str], bool] = {}

        def concerns(key: tuple[str, str, str]) -> bool:
            if key not in concerned:
                condition = self._part_conditions.get(key)
                concerned[key] = condition is None or explain(condition, env).value is not False
            return concerned[key]

        return [item for item in items if concerns((item.document, item.edition, item.part_id))
                and concerns((item.document, item.edition, "#" + item.provision))]

    def not_encoded(self, as_of: dt.date, industries: tuple[str, ...] = ()) -> list[NotEncoded]:
        """Items of the standards in force on ``as_of`` whose part concerns ``industries``
        (expanded; empty: every industry) and that no rule version in force encodes."""
        return self._not_encoded(bisect_right(self._bounds, as_of), tuple(industries))

    def _make_not_encoded(self, k: int, industries: tuple[str, ...]) -> list[NotEncoded]:
        as_of = _first_day(self._bounds, k)
        out: list[NotEncoded] = []
        encoded: set[tuple[str, str]] | None = None
        for doc in self.law.documents.values():
            edition = self.law.edition_on(doc.id, as_of)
            if edition is None or not edition.parts:
                continue
            if encoded is None:
                # only the rules the enterprise is assessed under count: an item that an ammonia rule
                # encodes for refrigeration operators is still silence for a steel works
                encoded = {(v.spec.source.document, v.spec.source.provision)
                           for lineage in self._lineages.values()
                           if not industries or lineage.spec.industry in industries
                           for v in lineage.versions if v.window.contains(as_of)}
            for part in edition.parts:
                if not part.industries or (industries and not set(part.industries) & set(industries)):
                    continue
                for pid, where in doc.items(edition.id, part.id):
                    if (doc.id, pid) in encoded:
                        continue
                    out.append(trusted(NotEncoded, {
                        "document": doc.id, "edition": edition.id, "provision": pid,
                        "label": f"《{edition.title or doc.title}》({edition.label}) {where.where()}",
                        "part": part.title, "part_id": part.id, "summary": doc.provisions[pid].summary,
                        "source_checked": where.checked}))
        return out

    def _make_foreign(self, industries: tuple[str, ...]) -> dict[str, frozenset[str]]:
        """Each industry other than ``industries`` with the facts its rules read that no rule
        of ``industries`` reads, in industry order."""
        readers: dict[str, set[str]] = {}
        for version in self._versions:
            for fact in self.facts_used(version):
                readers.setdefault(fact, set()).add(self._lineages[version.lineage_id].spec.industry)
        found: dict[str, set[str]] = {}
        for fact, inds in readers.items():
            if inds.isdisjoint(industries) and not self.facts.specs[fact].any_industry:
                for industry in inds:
                    found.setdefault(industry, set()).add(fact)
        return {industry: frozenset(facts) for industry, facts in sorted(found.items())}

    def _warnings(self, enterprise: Enterprise, industries: tuple[str, ...], k: int) -> list[AssessmentWarning]:
        """A warning per undeclared industry whose facts the enterprise states: its rules
        were not assessed, and may hold hazards."""
        stated = enterprise.facts.keys()
        warnings = []
        for industry, theirs in self._foreign(industries).items():
            facts = sorted(stated & theirs)
            if not facts:
                continue
            # an industry not assessed: its rules in force are all among those not assessed
            rules, _, majors = self._view(industry, k)
            warnings.append(trusted(AssessmentWarning, {
                "kind": "other_industry_facts", "industry": industry, "facts": facts, "rules": list(rules),
                "major_hazard_rules": list(majors),
                "message": (f"{', '.join(facts)} {'is' if len(facts) == 1 else 'are'} read only by rules of "
                            f"industry {industry!r}, which the enterprise does not declare: its {len(rules)} "
                            f"rule(s) in force, {len(majors)} of them major hazards, were not assessed; "
                            f"add {industry!r} to the enterprise's industries if it applies")}))
        return warnings

    # ------------------------------------------------------------- details
    def outcome(self, version: LoadedVersion, env: Environment) -> tuple[int, Outcome | None, Outcome | None]:
        """Outcome code by the reference interpreter, with the applicability and condition outcomes."""
        applies_expr = self._lineages[version.lineage_id].applies_to
        applies = explain(applies_expr, env) if applies_expr is not None else None
        if applies is not None and applies.value is False:
            return NOT_APPLICABLE, applies, None
        when = explain(version.when, env)
        if applies is not None and applies.value is None:
            return UNDETERMINED, applies, when
        if version.undetermined_when is not None and explain(version.undetermined_when, env).value is True:
            return UNDETERMINED, applies, when
        if when.value is True:
            return VIOLATED, applies, when
        if when.value is False and not version.partial:
            return COMPLIANT, applies, when
        return UNDETERMINED, applies, when

    def citations(self, version: LoadedVersion, as_of: dt.date, region: str | None = None) -> list[ResolvedCitation]:
        """The version's source and citations as they read on ``as_of``, for an enterprise in
        ``region``: provincial provisions beside the national ones inside the province, never
        outside it. The preferred penalty comes first among the penalties."""
        return self._citations(self._index[id(version)], bisect_right(self._law_bounds, as_of),
                               self._jurisdictions(region))

    def _make_citations(self, index: int, law_k: int, jurisdictions: tuple[str, ...]) -> list[ResolvedCitation]:
        version = self._versions[index]
        day = _first_day(self._law_bounds, law_k)
        spec = version.spec
        refs = [(spec.source.document, spec.source.provision, "defines", False, None),
                *((c.document, c.provision, c.role, c.preferred, c.reason) for c in spec.citations)]
        penalties = [r for r in refs if r[2] == "penalty"]
        if len(penalties) == 1:
            refs = [(d, p, role, role == "penalty" or pref, reason) for d, p, role, pref, reason in refs]
        cited, seen = [], set()
        for document, provision, role, preferred, reason in refs:
            if (document, provision) in seen:
                continue
            seen.add((document, provision))
            jurisdiction = self.law.documents[document].jurisdiction
            if jurisdiction != "national" and jurisdiction not in jurisdictions:
                continue
            resolved = self.law.resolve(document, provision, day, role, preferred=preferred, reason=reason)
            # load() refuses rulebooks whose citations do not resolve on every day of a window
            assert resolved is not None, (version.lineage_id, document, provision, day)
            cited.append(resolved)
        cited.sort(key=lambda c: (c.role != "defines", c.role == "penalty" and not c.preferred))
        return cited

    def measures(self, as_of: dt.date) -> list[ResolvedCitation]:
        """The measures attached to every major hazard, as in force on ``as_of``."""
        return self._measures_in(bisect_right(self._law_bounds, as_of))

    def _make_measures(self, law_k: int) -> list[ResolvedCitation]:
        day = _first_day(self._law_bounds, law_k)
        found = (self.law.resolve(m.document, m.provision, day, "measure") for m in self._measures)
        return [m for m in found if m is not None]

    def facts_used(self, version: LoadedVersion) -> tuple[str, ...]:
        """Every fact the version reads, derived ones and what they derive from, in order."""
        key = (version.lineage_id, version.spec.version)
        cached = self._used.get(key)
        if cached is None:
            applies = self._lineages[version.lineage_id].applies_to
            # sorted: a frozenset's order changes from one process to the next
            pending = [*(applies.sorted_facts if applies else ()), *version.when.sorted_facts,
                       *(version.undetermined_when.sorted_facts if version.undetermined_when else ())]
            seen: list[str] = []
            while pending:
                f = pending.pop(0)
                if f in seen:
                    continue
                seen.append(f)
                if f in self._derived:
                    pending.extend(sorted(self._derived[f].facts))
            cached = tuple(seen)
            self._used[key] = cached
        return cached

    def _make_static(self, index: int, law_k: int, jurisdictions: tuple[str, ...]) -> Statics:
        """The fields of a finding and of an undetermined entry of version ``index`` that depend
        only on the version, the law in force and the enterprise's local jurisdictions."""
        version = self._versions[index]
        day = _first_day(self._law_bounds, law_k)
        lineage = self._lineages[version.lineage_id]
        spec = version.spec
        citations = self._citations(index, law_k, jurisdictions)
        common = {"rule_id": version.lineage_id, "rule_version": spec.version,
                  "industry": lineage.spec.industry, "severity": spec.severity,
                  "title": lineage.spec.title}
        penalty = next((c.sanction for c in citations if c.role == "penalty" and c.preferred and c.sanction), None)
        flags = []
        if spec.interpretation is not None and spec.interpretation.status == "contested":
            flags.append("contested_interpretation")
        if any(c.unpublished for c in citations if c.role == "defines"):
            flags.append("before_publication")
        finding = {**common, "rulebook_version": self.version, "citations": citations,
                   "sanction": penalty,
                   "measures": self._measures_in(law_k) if spec.severity == "major_hazard" else [],
                   "rectification": spec.rectification, "interpretation": spec.interpretation,
                   "flags": flags, "source_checked": spec.source.source_checked}
        undetermined = {**common, "not_encoded": self._not_encoded_parts(version, day),
                        "interpretation": spec.interpretation}
        return finding, undetermined

    def _not_encoded_parts(self, version: LoadedVersion, as_of: dt.date) -> list[str]:
        """What of its item a partial version leaves out, as an inspector reads it."""
        out = []
        if version.not_encoded:
            doc = self.law.documents[version.spec.source.document]
            edition = self.law.edition_on(doc.id, as_of)
            where = doc.provisions[version.spec.source.provision].editions[edition.id] if edition else None
            for label in version.not_encoded:
                text = where.sub_items[label].text if where is not None else ""
                out.append(f"{where.where() if where else ''}{label} {text}".strip())
        if version.spec.partial is not None:
            out.append(version.spec.partial)
        return out

    def _finding_detail(self, version: LoadedVersion,
                        env: Environment) -> tuple[dict[str, Any], list[Reason], list[str]]:
        code, applies, when = self.outcome(version, env)
        assert code == VIOLATED and when is not None, "compiled and reference evaluators disagree"
        # applicability may match records too (any dust collector at all): they say the rule applies,
        # not which thing broke it, so they are not named as the records that violated
        reasons = [_reason(r, None, records=False) for r in (applies.reasons if applies else ())]
        held: list[str] = []
        if version.sub_conditions:
            # every sub-item that holds, not just the first: each is its own finding in the record
            for label, condition in version.sub_conditions:
                out = explain(condition, env)
                if out.value is True:
                    held.append(label)
                    reasons += [_reason(r, label) for r in out.reasons]
        else:
            reasons += [_reason(r, None) for r in when.reasons]
        return {f: env.fact_value(f) for f in self.facts_used(version)}, reasons, held

    def _missing_facts(self, version: LoadedVersion, env: Environment) -> list[str]:
        _code, applies, when = self.outcome(version, env)
        missing: set[str] = set()
        for out in (applies, when):
            if out is not None and out.value is None:
                missing |= out.missing
        if version.undetermined_when is not None:
            undecided = explain(version.undetermined_when, env)
            if undecided.value is None and when is not None and when.value is not None:
                missing |= undecided.missing
        return sorted(missing)

    # -------------------------------------------------------------- questions
    def questions(self, subject: Subject, as_of: dt.date | None = None) -> list[Question]:
        """Missing facts ranked by what they would decide: major hazards first, then rule count."""
        result = self.assess(subject, as_of)
        majors: dict[str, list[str]] = {}
        rules: dict[str, list[str]] = {}
        for u in result.undetermined:
            for missing in u.missing_facts:
                fact = missing.split("[", 1)[0]
                if u.rule_id not in rules.setdefault(fact, []):
                    rules[fact].append(u.rule_id)
                    if u.severity == "major_hazard":
                        majors.setdefault(fact, []).append(u.rule_id)
        ranked = sorted(rules, key=lambda f: (-len(majors.get(f, [])), -len(rules[f]), f))
        # an undeclared industry whose facts are stated hides whole rule sets: ask first
        industries = [
            Question(fact="industries", label=f"适用行业：{self.industries[w.industry]}",
                     question=(f"企业是否属于“{self.industries[w.industry]}”（{w.industry}）行业？已填写的"
                               f"{'、'.join(w.facts)}只有该行业的规则使用；如属于，请在 industries 中加入"
                               f" {w.industry}，否则该行业 {len(w.rules)} 条规则不予评估。"),
                     major_hazard_rules=w.major_hazard_rules, rules=w.rules)
            for w in result.warnings
        ]
        return industries + [
            Question(fact=f, label=self.facts.label(f), question=self.facts.specs[f].question or "",
                     major_hazard_rules=majors.get(f, []), rules=rules[f])
            for f in ranked
        ]

    # --------------------------------------------------------------- coverage
    def coverage(self, as_of: dt.date | None = None) -> CoverageReport:
        """How much of each standard's items the rules encode, per edition and part."""
        return coverage(self.law, self._lineages, self.version, as_of)

    # ---------------------------------------------------------------- explain
    def explain(self, rule_id: str, as_of: dt.date | None = None, region: str | None = None) -> RuleExplanation:
        """A rule's text, versions and citations, with the one in force on ``as_of`` marked
        (provincial citations shown for an enterprise ``region``)."""
        lineage = self.lineage(rule_id)
        day = as_of or dt.date.today()
        versions = []
        for v in lineage.versions:
            in_force = v.window.contains(day)
            when = v.spec.when.strip() if isinstance(v.spec.when, str) else {
                k: c.strip() for k, c in v.spec.when.items()}
            shown = day if in_force else v.window.start
            versions.append(VersionInfo(
                version=v.spec.version, effective_from=v.window.start, effective_to=v.window.end,
                in_force=in_force, severity=v.spec.severity, when=when,
                not_encoded=self._not_encoded_parts(v, shown), interpretation=v.spec.interpretation,
                citations=self.citations(v, shown, region),
                rectification=v.spec.rectification, source_checked=v.spec.source.source_checked))
        spec = lineage.spec
        return RuleExplanation(rule_id=spec.id, industry=spec.industry, title=spec.title,
                               applies_to=spec.applies_to, path=lineage.path, replaces=spec.replaces,
                               replaced_by=spec.replaced_by, as_of=day, versions=versions)


def _edges(window: Window) -> set[dt.date]:
    """The first day of ``window`` and the first day after it."""
    after = None if window.end is None else day_after(window.end)
    return {window.start} if after is None else {window.start, after}


def _reason(r: Any, sub_item: str | None, *, records: bool = True) -> Reason:
    return Reason(condition=r.text, value=r.value, facts=dict(r.facts), sub_item=sub_item,
                  records=[RecordRef(fact=f, index=i, record=dict(rec)) for f, i, rec in r.records] if records else [])


def _implied_industries(industries: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each industry with every industry it implies, transitively (the loader refuses cycles)."""
    closure: dict[str, set[str]] = {}
    for name in industries:
        seen, pending = {name}, [name]
        while pending:
            for implied in industries[pending.pop()].implies:
                if implied in industries and implied not in seen:
                    seen.add(implied)
                    pending.append(implied)
        closure[name] = seen
    return closure
