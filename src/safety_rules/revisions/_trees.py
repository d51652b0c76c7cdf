"""The rule trees a revision compares: a directory, or a git revision read into a temporary
directory with ``git archive``.

A tree that cannot be read — a revision git does not know, a revision without the rules
directory, a rulebook that does not load — raises :class:`RevisionError` listing why: an
unreadable base never reads as "no changes".
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..engine._loader import FACTS_DIR, LAW_DIR, TABLES_DIR, Parts, load_parts
from ..engine._rulebook import Rulebook
from ..shared._errors import RevisionError
from ..shared._yaml import YamlMapping, load_yaml

DEFAULT_RULES_DIR = "rules"


@dataclass
class RuleTree:
    """A loaded rulebook and where it came from."""

    name: str  # as the user gave it: "main", "HEAD~1", "rules"
    root: Path  # the directory it was read from (temporary for a git revision, gone after reading)
    shown_root: str  # how paths under ``root`` are shown: "rules", or the directory as given
    book: Rulebook
    parts: Parts
    commit: str | None = None
    # where catalog entries are declared: ("fact", id) / ("document", id) / ("provision", "doc/pid")
    # / ("table", id) -> (shown path, line)
    places: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.book.version

    def shown(self, path: str | Path) -> str:
        """A path under the tree as the user knows it (``rules/dust/x.yaml``), never a temporary one."""
        try:
            rel = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            return str(path)
        return str(PurePosixPath(self.shown_root) / PurePosixPath(*rel.parts)) if rel.parts else self.shown_root

    def describe(self) -> str:
        """``main (3f2a9c1, rulebook 2026.11.0)`` or ``rules (rulebook 2026.11.0)``."""
        where = f"{self.name} ({self.commit[:7]}, " if self.commit else f"{self.name} ("
        return f"{where}rulebook {self.version})"


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except OSError as exc:
        raise RevisionError(f"cannot run git to read a revision: {exc}") from None


def git_toplevel(start: Path) -> Path | None:
    found = _git(start, "rev-parse", "--show-toplevel")
    return Path(found.stdout.decode().strip()) if found.returncode == 0 else None


def read_tree(spec: str, *, rules_dir: str | None = None, repo: Path | None = None) -> RuleTree:
    """Read the rulebook named by ``spec``: a directory if one exists by that name, else a git
    revision of the repository around ``repo`` (default: the working directory), whose
    ``rules_dir`` (path inside the repository; default ``rules``) holds the rulebook."""
    if Path(spec).is_dir():
        path = Path(spec)
        return _load(spec, path, spec.rstrip("/") or spec, None)
    start = repo or Path.cwd()
    top = git_toplevel(start)
    if top is None:
        raise RevisionError(f"{spec!r} is neither a directory nor a git revision: {start} is not inside a git "
                            "repository")
    found = _git(top, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if found.returncode != 0:
        raise RevisionError(f"{spec!r} is neither a directory nor a revision git knows in {top.name}; "
                            "give a branch, tag or commit (e.g. main, HEAD~1) or a rules directory")
    commit = found.stdout.decode().strip()
    inside = (rules_dir or DEFAULT_RULES_DIR).strip("/")
    archive = _git(top, "archive", "--format=tar", commit, "--", inside)
    if archive.returncode != 0:
        reason = archive.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionError(f"revision {spec} ({commit[:7]}) has no {inside}/ directory to compare"
                            + (f": {reason[-1]}" if reason else ""))
    with tempfile.TemporaryDirectory(prefix="safety-rules-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return _load(spec, Path(tmp) / inside, inside, commit)


def rules_dir_in_repo(directory: Path) -> tuple[Path | None, str]:
    """The repository around ``directory`` and the directory's path inside it (for reading the
    same directory at another revision)."""
    top = git_toplevel(directory if directory.is_dir() else Path.cwd())
    if top is None:
        return None, DEFAULT_RULES_DIR
    try:
        inside = directory.resolve().relative_to(top.resolve())
    except ValueError:
        return top, DEFAULT_RULES_DIR
    return top, str(PurePosixPath(*inside.parts)) or "."


def read_pair(base: str, head: str | None = None) -> tuple[RuleTree, RuleTree]:
    """The base and head trees of a revision; ``head`` defaults to the working tree's ``./rules``.

    A revision is read at the same path inside the repository as the directory on the other
    side (``rules`` when both are revisions).
    """
    head_spec = head or DEFAULT_RULES_DIR
    directory = next((Path(s) for s in (head_spec, base) if Path(s).is_dir()), None)
    repo, inside = rules_dir_in_repo(directory) if directory is not None else (None, DEFAULT_RULES_DIR)
    if head is None and directory is None:
        raise RevisionError(f"no {DEFAULT_RULES_DIR}/ directory here to compare with {base!r}; "
                            "give the head as a directory or a revision")
    return (read_tree(base, rules_dir=inside, repo=repo), read_tree(head_spec, rules_dir=inside, repo=repo))


def _load(name: str, root: Path, shown_root: str, commit: str | None) -> RuleTree:
    what = f"revision {name} ({commit[:7]})" if commit else f"rulebook {name}"

    def shown(path: str | None) -> str | None:
        if path is None:
            return None
        try:
            rel = Path(path).resolve().relative_to(root.resolve())
        except ValueError:
            return path
        return str(PurePosixPath(shown_root) / PurePosixPath(*rel.parts))

    parts, problems = load_parts(root)
    errors = [dataclasses.replace(p, path=shown(p.path)) for p in problems if p.level == "error"]
    if parts is None or errors:
        first = f"; the first: {errors[0]}" if errors else ""
        raise RevisionError(f"{what} cannot be read: its rulebook has {len(errors)} problem(s){first}",
                            problems=errors)
    tree = RuleTree(name, root, shown_root, Rulebook(parts), parts, commit)
    tree.places = _places(root, tree)
    return tree


def _places(root: Path, tree: RuleTree) -> dict[tuple[str, str], tuple[str, int | None]]:
    """Where each fact, document, provision and table is declared (the loader keeps no lines for them)."""
    places: dict[tuple[str, str], tuple[str, int | None]] = {}

    def files(sub: str) -> list[Path]:
        d = root / sub
        return sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml")) if d.is_dir() else []

    read = load_yaml  # every file loaded cleanly a moment ago, or the tree was refused
    for path in files(FACTS_DIR):
        raw = read(path)
        facts = raw.get("facts") if isinstance(raw, YamlMapping) else None
        if isinstance(facts, YamlMapping):
            for fid in facts:
                places[("fact", str(fid))] = (tree.shown(path), facts.key_lines.get(fid))
    for path in files(LAW_DIR):
        raw = read(path)
        if not isinstance(raw, YamlMapping) or not isinstance(raw.get("id"), str):
            continue
        doc = raw["id"]
        places[("document", doc)] = (tree.shown(path), raw.key_lines.get("id"))
        provisions = raw.get("provisions")
        if isinstance(provisions, YamlMapping):
            for pid in provisions:
                places[("provision", f"{doc}/{pid}")] = (tree.shown(path), provisions.key_lines.get(pid))
    for path in files(TABLES_DIR):
        raw = read(path)
        if isinstance(raw, YamlMapping) and isinstance(raw.get("id"), str):
            places[("table", raw["id"])] = (tree.shown(path), raw.key_lines.get("id"))
    places[("rulebook", "")] = (tree.shown(root / "rulebook.yaml"), None)
    return places

