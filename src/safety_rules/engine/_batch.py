"""Screening many enterprise files: one JSON line each, in input order, in one process or
several, in memory that does not grow with the number of files.

This is the path for province-scale runs (on the order of 100,000 enterprises a
night): each file is read, assessed, serialised and dropped before the next, so that
memory holds one enterprise at a time per process. With ``jobs`` above 1 the files are
shared out to that many worker processes, each with its own copy of the rulebook; the
lines still come back in input order.

A file that cannot be read does not stop the run: its line is an error record
(``{"path": ..., "errors": [...]}``) in its place, and the caller is told, so that
nothing is lost silently and the rest is still screened.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..shared._errors import SafetyRulesError
from ._rulebook import Rulebook

CHUNK = 16  # files handed to a worker at a time: few enough to keep the order buffer small

_worker: tuple[Rulebook, dt.date | None] | None = None  # a worker process's rulebook and date


def enterprise_files(paths: Iterable[Path]) -> Iterator[Path]:
    """``paths`` in order, each directory replaced by the YAML files under it, sorted (a shell
    cannot pass 100,000 file names on one command line, but it can pass their directory)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            yield path


def screen(book: Rulebook, paths: Iterable[Path], as_of: dt.date | None = None,
           jobs: int = 1) -> Iterator[tuple[bool, str]]:
    """(read, JSON line) per file of ``paths``, in order: the assessment on ``as_of`` (default:
    each file's ``inspected_on``), or, for a file that could not be read, its problems.

    With ``jobs`` above 1, worker processes load their own rulebook from ``book.root``.
    """
    if jobs <= 1:
        yield from (_line(book, as_of, p) for p in map(str, paths))
        return
    # spawn, not fork: the same on every platform, and no copy of the caller's state
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_start, initargs=(str(book.root), as_of)) as pool:
        yield from pool.imap(_work, map(str, paths), chunksize=CHUNK)


def _line(book: Rulebook, as_of: dt.date | None, path: str) -> tuple[bool, str]:
    try:
        enterprise = book.load_enterprise(path)
    except SafetyRulesError as exc:
        problems = exc.context.get("problems") or getattr(exc, "problems", None)
        errors = [str(p) for p in problems] if problems else [str(exc)]
        return False, json.dumps({"path": path, "errors": errors}, ensure_ascii=False)
    return True, book.assess(enterprise, as_of).model_dump_json()


def _start(rules: str, as_of: dt.date | None) -> None:
    global _worker
    _worker = (Rulebook.load(rules), as_of)


def _work(path: str) -> tuple[bool, str]:
    assert _worker is not None, "worker started without its rulebook"
    return _line(*_worker, path)
