"""Evidence files, stored content-addressed (SHA-256) beside the database.

A file is copied to ``<evidence dir>/<first two hex digits>/<sha256>`` and recorded as an
``evidence`` event with what the evidence rules ask for (种类, 制作方法, 制作时间, 制作人, 证明对象,
来源) and the findings it supports. :func:`check_evidence` finds every recorded file that is
missing or whose content no longer has its hash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..shared._errors import EvidenceError
from ..shared._events import EventStore

EVIDENCE_VARIABLE = "SAFETY_RULES_EVIDENCE"


def evidence_dir(store: EventStore) -> Path:
    configured = os.environ.get(EVIDENCE_VARIABLE)
    if configured:
        return Path(configured)
    if store.path is None:
        raise EvidenceError(f"the event store {store.name} is not a SQLite file: set ${EVIDENCE_VARIABLE} to the "
                            "directory that holds the evidence files")
    return store.path.with_name(store.path.name + "-evidence")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise EvidenceError(f"cannot read evidence file: {exc.strerror}", path=path) from None
    return digest.hexdigest()


def stored_path(directory: Path, sha256: str) -> Path:
    return directory / sha256[:2] / sha256


def store_file(directory: Path, source: Path) -> tuple[str, int]:
    """Copy ``source`` into the store; returns (sha256, size). The same content is stored once."""
    sha = sha256_of(source)
    target = stored_path(directory, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        if sha256_of(partial) != sha:
            partial.unlink()
            raise EvidenceError("the file changed while it was copied", path=source)
        partial.replace(target)
        target.chmod(0o444)
    return sha, source.stat().st_size


@dataclass(frozen=True)
class EvidenceProblem:
    sha256: str
    filename: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"evidence {self.filename} (seq {self.seq}, {self.sha256[:12]}…): {self.problem}"


@dataclass(frozen=True)
class EvidenceCheck:
    """Every recorded evidence file hashed again: how many there are, and each one missing or changed."""

    files: int
    problems: list[EvidenceProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_evidence(directory: Path, recorded: Sequence[tuple[str, str, int]]) -> EvidenceCheck:
    """Each recorded (sha256, filename, seq) whose file is missing or changed."""
    problems = []
    for sha, filename, seq in recorded:
        path = stored_path(directory, sha)
        if not path.exists():
            problems.append(EvidenceProblem(sha, filename, seq, f"missing from {directory}"))
        elif sha256_of(path) != sha:
            problems.append(EvidenceProblem(sha, filename, seq, "changed: its content no longer has the recorded hash"))
    return EvidenceCheck(len(recorded), problems)
