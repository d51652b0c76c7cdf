"""Machine formats shared by ``check``, ``diff`` and ``impact``: GitHub workflow annotations,
SARIF 2.1.0 (code-scanning), and JUnit XML (test reports in CI).

Each command turns what it found into :class:`Annotation` objects; these functions only
serialise them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .. import __version__

Level = Literal["error", "warning", "notice"]
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Annotation:
    level: Level
    code: str  # SR101, or a change kind
    message: str
    file: str | None = None
    line: int | None = None
    title: str | None = None
    group: str | None = None  # JUnit test case: a rule id, or a file


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(annotations: Sequence[Annotation]) -> str:
    """``::error file=rules/x.yaml,line=9,title=SR101::message``, one per line."""
    lines = []
    for a in annotations:
        props = [f"file={_escape_property(a.file)}"] if a.file else []
        if a.file and a.line:
            props.append(f"line={a.line}")
        props.append(f"title={_escape_property(a.title or a.code)}")
        lines.append(f"::{a.level} {','.join(props)}::{_escape_data(a.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def sarif(annotations: Sequence[Annotation], rules: Mapping[str, str], tool: str = "safety-rules") -> str:
    """A SARIF 2.1.0 log with one run; ``rules`` describes each code used."""
    used = sorted({a.code for a in annotations})
    results = []
    for a in annotations:
        result: dict[str, Any] = {"ruleId": a.code, "level": "note" if a.level == "notice" else a.level,
                                  "message": {"text": a.message}}
        if a.file:
            location: dict[str, Any] = {"artifactLocation": {"uri": a.file}}
            if a.line:
                location["region"] = {"startLine": a.line}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": tool, "version": __version__, "rules": [
            {"id": c, "shortDescription": {"text": rules.get(c, c)}} for c in used]}}, "results": results}],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def junit(suite: str, annotations: Sequence[Annotation], passed: Sequence[str] = ()) -> str:
    """One test case per group (rule or file): failed if it has an error, else passed with its
    warnings as output; ``passed`` adds groups with nothing to say."""
    groups: dict[str, list[Annotation]] = {}
    for a in annotations:
        groups.setdefault(a.group or a.file or suite, []).append(a)
    for name in passed:
        groups.setdefault(name, [])
    root = ET.Element("testsuites")
    failures = sum(1 for items in groups.values() if any(a.level == "error" for a in items))
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(groups)), failures=str(failures), errors="0")
    for name in sorted(groups):
        items = groups[name]
        case = ET.SubElement(ts, "testcase", classname=suite, name=name)
        errors = [a for a in items if a.level == "error"]
        text = "\n".join(f"{a.file or ''}{':' + str(a.line) if a.line else ''}: [{a.code}] {a.message}" for a in items)
        if errors:
            failure = ET.SubElement(case, "failure", message=errors[0].message, type=errors[0].code)
            failure.text = text
        elif items:
            ET.SubElement(case, "system-out").text = text
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
