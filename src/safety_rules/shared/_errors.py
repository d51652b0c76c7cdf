"""Every error the library raises, in one tree.

All of them derive from :class:`SafetyRulesError` and carry structured context
(``path``, ``line``, ``rule_id``, ``fact`` and whatever else applies) so that a
caller can point at the exact place in a file, and so that ``safety-rules check``
can print each one as ``path:line: rule-id: message``.

    SafetyRulesError
    ├── InputError                  input that the library cannot accept
    │   ├── YamlError               not readable as YAML: syntax, duplicate key, too large,
    │   │                           aliases that expand hugely, nesting too deep, unsafe tag
    │   ├── SchemaError             readable YAML that does not fit the file format:
    │   │                           unknown key, missing key, wrong type or value
    │   ├── ExpressionError         a condition: bad syntax, a construct outside the language,
    │   │                           an undeclared fact, a type or unit mismatch
    │   ├── FactError               enterprise facts: unknown fact, wrong type, value outside
    │   │                           an enum, bad record field
    │   ├── WorkbookError           a filled checklist workbook that cannot be read back: not a
    │   │                           checklist, a cell whose answer does not fit the fact catalog
    │   │                           (``.problems`` names every bad cell by sheet and cell)
    │   └── EventValueError         an event the store will not write because some database
    │                               would refuse or alter it: stream or kind too long or with
    │                               characters outside the allowed set, a payload that is not
    │                               JSON or not valid Unicode
    ├── RulebookError               a rulebook that fails validation; ``.problems`` holds every
    │                               problem found in one run, not just the first
    ├── NotFoundError               a rule, fact, expert or record id that does not exist
    │                               (with a "did you mean")
    ├── RevisionError               a rule tree to compare cannot be read (a git revision or
    │                               directory that does not exist, or a rulebook that does not
    │                               load): never read as "no changes"
    ├── MatchingError               an expert-matching request that cannot be processed
    ├── PlanningError               a campaign-planning request that cannot be processed
    │                               (a campaign that does not fit is a result, not an error)
    ├── DossierError                the enforcement dossier (一企一册) cannot take an event
    │   ├── RefusedTransition       a step the law forbids (a decision before 告知, closing a
    │   │                           finding never re-inspected, a fine outside the tier's
    │   │                           range, a 2021-only sanction for an act under the 2014
    │   │                           law); ``provision`` names the provision that forbids it
    │   ├── CalendarError           a date outside the years the holiday calendar covers
    │   └── EvidenceError           an evidence file missing, changed or unreadable
    └── EventStoreError             the hash-chained event store cannot be opened, read or
        │                           written: a missing path opened read-only, an old schema,
        │                           a database error, a missing HMAC key
        ├── LogIntegrityError       the store does not verify: an event altered, removed or
        │                           reordered, a checkpoint or HMAC that does not match
        ├── EvaluationLogError      an evaluation the expert log refuses: a (case, expert)
        │                           already evaluated, a correction of an unknown or already
        │                           corrected record
        └── RegistryLogError        an assignment, withdrawal, finding, outcome, suspension or
                                    reinstatement the expert registry refuses: an expert already
                                    on the case, an assignment already withdrawn, a second
                                    outcome that corrects nothing (or not as allowed), a
                                    reinstatement before its time

Messages are English; Chinese appears only where it quotes data (labels, titles,
citations).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name``, or ``None`` if nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Problem:
    """One problem found while validating; rendered as ``path:line: rule-id: message``."""

    message: str
    path: str | None = None
    line: int | None = None
    rule_id: str | None = None
    fact: str | None = None
    code: str = "SR900"  # a stable code from ``_codes.CODES``
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        parts = [where]
        if self.level == "warning":
            parts.append("warning")
        if self.rule_id:
            parts.append(self.rule_id)
        parts.append(self.message)
        return ": ".join(parts) + f" [{self.code}]"


class SafetyRulesError(Exception):
    """Base of every error raised by ``safety_rules``.

    ``context`` holds the structured location of the problem; the common keys are
    also attributes (``path``, ``line``, ``rule_id``, ``fact``, ``suggestion``).
    ``code`` is the stable problem code (``_codes.CODES``) of its :class:`Problem`; an
    instance may carry a more precise one in ``context["code"]``.
    """

    code = "SR900"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        rule_id: str | None = None,
        fact: str | None = None,
        suggestion: str | None = None,
        **context: Any,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.rule_id = rule_id
        self.fact = fact
        self.suggestion = suggestion
        self.context: dict[str, Any] = {
            "path": self.path,
            "line": line,
            "rule_id": rule_id,
            "fact": fact,
            "suggestion": suggestion,
            **context,
        }
        super().__init__(str(self.problem()))

    def problem(self) -> Problem:
        message = self.message
        if self.suggestion and "did you mean" not in message:
            message = f"{message} (did you mean {self.suggestion!r}?)"
        return Problem(
            message=message,
            path=self.path,
            line=self.line,
            rule_id=self.rule_id,
            fact=self.fact,
            code=self.context.get("code") or self.code,
        )

    def located(self, *, path: str | Path | None = None, line: int | None = None,
                rule_id: str | None = None) -> SafetyRulesError:
        """A copy with missing location fields filled in (existing ones win)."""
        extra = {k: v for k, v in self.context.items()
                 if k not in {"path", "line", "rule_id", "fact", "suggestion"}}
        return type(self)(
            self.message,
            path=self.path or (str(path) if path is not None else None),
            line=self.line if self.line is not None else line,
            rule_id=self.rule_id or rule_id,
            fact=self.fact,
            suggestion=self.suggestion,
            **extra,
        )


class InputError(SafetyRulesError):
    """Input the library cannot accept."""


class YamlError(InputError):
    """A file that cannot be read as YAML."""

    code = "SR001"


class SchemaError(InputError):
    """Well-formed YAML that does not fit the file format."""

    code = "SR002"


class ExpressionError(InputError):
    """A condition that is not a valid expression of the condition language."""

    code = "SR100"


class FactError(InputError):
    """Enterprise facts that do not fit the fact catalog."""

    code = "SR701"


class WorkbookError(InputError):
    """A filled checklist workbook that cannot be read back into an enterprise file."""


class NotFoundError(SafetyRulesError):
    """An id that names nothing."""


class EventValueError(InputError):
    """An event that some supported database would refuse or alter; refused on every database alike."""


class RevisionError(SafetyRulesError):
    """A rule tree to compare (a git revision or a directory) that cannot be read."""

    code = "SR608"


class MatchingError(SafetyRulesError):
    """An expert-matching request that cannot be processed."""


class PlanningError(SafetyRulesError):
    """A campaign-planning request that cannot be processed."""


class DossierError(SafetyRulesError):
    """The enforcement dossier cannot take an event (unknown finding or case, bad payload)."""


class RefusedTransition(DossierError):
    """A step the law forbids; ``context["provision"]`` names the provision that forbids it."""

    def __init__(self, message: str, *, provision: str, **context: Any) -> None:
        self.provision = provision
        if provision not in message:
            message = f"{message} ({provision})"
        super().__init__(message, provision=provision, **context)


class CalendarError(DossierError):
    """A date the holiday calendar does not cover: never a silent guess."""


class EvidenceError(DossierError):
    """An evidence file that is missing, changed or cannot be read."""


class EventStoreError(SafetyRulesError):
    """The event store cannot be opened, read or written."""


class LogIntegrityError(EventStoreError):
    """The event store's hash chain, checkpoints or HMACs do not verify."""


class EvaluationLogError(EventStoreError):
    """An evaluation the expert evaluation log refuses to record."""


class RegistryLogError(EventStoreError):
    """A record of the expert registry (assignment, outcome, status) that its streams refuse."""


class RulebookError(SafetyRulesError):
    """A rulebook that fails validation; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[Problem], *, path: str | Path | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n... and {count - 20} more" if count > 20 else ""
        super().__init__(f"{count} problem(s) in the rulebook:\n{head}{more}", path=path)

    def __str__(self) -> str:
        return self.message
