"""Fuzzing rule, enterprise and expert files: mutated copies of the bundled ones give the
library's own errors (or a result), never another exception and never a hang.

The mutations are the ones that broke things before: YAML 1.1 numbers (``010``,
``1:30``, ``2026.10``), values past the float range or 2**53, dates at the ends of the
calendar, negative and zero quantities, ids with a newline, escape sequences, dropped,
doubled and swapped lines, and bytes that are not UTF-8. Here the seed is fixed and the
number of examples small; ``benchmarks/fuzz.py`` runs the same targets for longer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_rules import (
    Rulebook,
    RulebookError,
    SafetyRulesError,
    check_rulebook,
    load_cases,
    load_experts,
    load_history,
    load_policy,
    match,
)

from .conftest import EXAMPLES, RULES

ROOT = RULES.parent
RULE_FILES = sorted(p.relative_to(RULES) for p in RULES.glob("*/*.yaml")
                    if p.parent.name not in ("facts", "law", "tables"))
ENTERPRISE_FILES = sorted((EXAMPLES / "enterprises").glob("*.yaml"))
EXPERT_FILES = {"experts": ROOT / "experts" / "experts.yaml", "policy": ROOT / "experts" / "policy.yaml",
                "cases": EXAMPLES / "cases" / "cases.yaml", "history": EXAMPLES / "cases" / "history.yaml"}
SECONDS_PER_EXAMPLE = 30

VALUES = ["010", "1:30", "2026.10", "0x1A", "1_000", "-1", "0", "-0.0", "1e309", "1.0e+400", ".inf", ".nan",
          "9007199254740993", "1" + "0" * 400, "9999-12-31", "0001-01-01", "2023-02-30", "null", "~", "[]", "{}",
          "true", "no", "''", '"x\\n"', '"\\e[31m红\\x9b2J"', "&a [*a]", "*a", "!!binary AAAA", "<<: {a: 1}",
          "'dust.zone20-electrics\\n'", "干式", "' '", "-9007199254740992"]
CONDITION_PARTS = [" * 1e300", " / 0", " + 1" * 200, " and not", " if x else y", "(" * 40, ")" * 40,
                   " or " + " or ".join(["True"] * 50), " == '\\x00'", ".real", "[0]", " ** 2", "lambda: 1"]


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Turn a hang into a failure (where the platform has alarms)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"no result within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutated(draw: st.DrawFn, text: str, conditions: bool = False) -> bytes:
    """``text`` with one to four mutations; the result may not be UTF-8."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        kinds = ["value", "value", "value", "drop", "dup", "swap", "indent"] + (["condition"] if conditions else [])
        kind = draw(st.sampled_from(kinds))
        if not lines:
            lines = [""]
        line = lines[i]
        if kind == "value" and ":" in line:
            key, _, _ = line.partition(":")
            lines[i] = f"{key}: {draw(st.sampled_from(VALUES))}"
        elif kind == "condition":
            lines[i] = line + draw(st.sampled_from(CONDITION_PARTS))
        elif kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = draw(st.sampled_from(["", "  ", "\t", "- "])) + line
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # now and then a byte that is not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xe5\xb9", b"\x00", b"\x1b"])) + data[at:]
    return data


# --------------------------------------------------------------------- the targets


def rule_file(data: st.DataObject, scratch: Path) -> None:
    """A mutated rule file in a copy of the bundled rulebook: check reports, load refuses."""
    name = data.draw(st.sampled_from(RULE_FILES))
    target = scratch / name
    original = (RULES / name).read_text(encoding="utf-8")
    target.write_bytes(data.draw(mutated(original, conditions=True)))
    try:
        with time_limit(SECONDS_PER_EXAMPLE):
            report = check_rulebook(scratch)  # never raises: every problem is in the report
            assert all(p.message and p.path for p in report.problems)
            if report.ok:
                Rulebook.load(scratch).compile_all()
            else:  # refused, or loaded (examples are run by check only)
                with contextlib.suppress(RulebookError):
                    Rulebook.load(scratch).compile_all()
    finally:
        target.write_text(original, encoding="utf-8")


def enterprise_file(data: st.DataObject, book: Rulebook, directory: Path) -> None:
    """A mutated enterprise file: a library error, or an assessment that serialises."""
    source = data.draw(st.sampled_from(ENTERPRISE_FILES))
    path = directory / source.name
    path.write_bytes(data.draw(mutated(source.read_text(encoding="utf-8"))))
    with time_limit(SECONDS_PER_EXAMPLE):
        try:
            enterprise = book.load_enterprise(path)
        except SafetyRulesError:
            return
        day = data.draw(st.sampled_from([None, dt.date(2017, 9, 5), dt.date(2024, 6, 1), dt.date.max, dt.date.min]))
        result = book.assess(enterprise, day)
        result.model_dump_json()
        book.questions(enterprise, day)


def expert_files(data: st.DataObject, directory: Path) -> None:
    """One mutated expert-registry file among the others: a library error, or a match."""
    kind = data.draw(st.sampled_from(sorted(EXPERT_FILES)))
    paths = dict(EXPERT_FILES)
    paths[kind] = directory / f"{kind}.yaml"
    paths[kind].write_bytes(data.draw(mutated(EXPERT_FILES[kind].read_text(encoding="utf-8"))))
    with time_limit(SECONDS_PER_EXAMPLE):
        try:
            experts, policy = load_experts(paths["experts"]), load_policy(paths["policy"])
            cases, history = load_cases(paths["cases"]), load_history(paths["history"])
            match(cases, experts, policy, history)
        except SafetyRulesError:
            return


# ------------------------------------------------------------------ in make test

FIXED = settings(derandomize=True, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rules"
        shutil.copytree(RULES, root)
        yield root


@settings(FIXED, max_examples=25)
@given(st.data())
def test_fuzzed_rule_files_give_problems_never_exceptions(scratch: Path, data: st.DataObject) -> None:
    rule_file(data, scratch)


@settings(FIXED, max_examples=80)
@given(st.data())
def test_fuzzed_enterprise_files_give_library_errors_or_results(book: Rulebook, tmp_path: Path,
                                                                 data: st.DataObject) -> None:
    enterprise_file(data, book, tmp_path)


@settings(FIXED, max_examples=60)
@given(st.data())
def test_fuzzed_expert_files_give_library_errors_or_a_match(tmp_path: Path, data: st.DataObject) -> None:
    expert_files(data, tmp_path)


TARGETS: dict[str, Callable[..., None]] = {"rules": rule_file, "enterprises": enterprise_file,
                                           "experts": expert_files}
