"""The committed JSON Schemas: current, described in Chinese, named by every rule file, and
strict enough that an editor underlines a misspelled fact."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from safety_rules import Rulebook
from safety_rules.cli._schema import COMMITTED, MODELINE, RULEBOOK_SCHEMAS, schema_text, write_schemas

from ..conftest import EXAMPLES, ROOT, RULES, run_cli

SCHEMAS = ROOT / "schemas"
RULE_FILES = sorted(p for d in RULES.iterdir() if d.is_dir() and d.name not in ("facts", "law", "tables")
                    for p in d.glob("*.yaml"))


def _plain(value: Any) -> Any:
    """YAML as an editor's language server sees it: dates are text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _load(path: Path) -> Any:
    return _plain(yaml.safe_load(path.read_text(encoding="utf-8")))


def _schema(relative: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_committed_schemas_are_current(book: Rulebook, tmp_path: Path) -> None:
    if os.environ.get("SAFETY_RULES_REGENERATE"):
        write_schemas(SCHEMAS, book)
    fresh = write_schemas(tmp_path, book)
    stale = [str(p.relative_to(tmp_path)) for p in fresh
             if not (SCHEMAS / p.relative_to(tmp_path)).exists()
             or (SCHEMAS / p.relative_to(tmp_path)).read_text(encoding="utf-8") != p.read_text(encoding="utf-8")]
    assert stale == [], f"stale schemas {stale}: run `safety-rules schema --write schemas`"


def _properties(node: Any) -> list[tuple[str, Any]]:
    found = []
    if isinstance(node, dict):
        for name, spec in (node.get("properties") or {}).items():
            found.append((name, spec))
        for value in node.values():
            found += _properties(value)
    elif isinstance(node, list):
        for value in node:
            found += _properties(value)
    return found


@pytest.mark.parametrize("name", [f"{k}.schema.json" for k in COMMITTED] +
                         [f"rulebook/{k}.schema.json" for k in RULEBOOK_SCHEMAS])
def test_every_property_is_described_in_chinese(name: str) -> None:
    schema = _schema(name)
    assert schema["$id"].startswith("urn:safety-rules:schema:") and schema["version"] == "1"
    missing = [p for p, spec in _properties(schema)
               if not any("\u4e00" <= ch <= "\u9fff" for ch in str(spec.get("description", "")))]
    assert missing == []


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_every_rule_file_names_its_schema_and_validates(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), f"{path.name}: the first line must be '{MODELINE}…'"
    target = (path.parent / first[len(MODELINE):]).resolve()
    assert target == (SCHEMAS / "rulebook" / "rule.schema.json").resolve()
    jsonschema.validate(_load(path), _schema("rulebook/rule.schema.json"))


def test_every_example_enterprise_validates() -> None:
    schema = _schema("rulebook/enterprise.schema.json")
    for path in sorted((EXAMPLES / "enterprises").glob("*.yaml")):
        jsonschema.validate(_load(path), schema)


def test_a_misspelled_fact_is_rejected_by_the_committed_schema() -> None:
    rule = _load(RULES / "dust" / "zone20-electrics.yaml")
    facts = rule["versions"][0]["examples"][0]["facts"]
    facts["dust_zone21_present"] = facts.pop("dust_zone20_present")
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.validate(rule, _schema("rulebook/rule.schema.json"))
    assert "dust_zone21_present" in info.value.message
    enterprise = _load(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")
    enterprise["facts"]["dust_colectors"] = enterprise["facts"].pop("dust_collectors")
    with pytest.raises(jsonschema.ValidationError, match="dust_colectors"):
        jsonschema.validate(enterprise, _schema("rulebook/enterprise.schema.json"))
    # a derived fact is not given either, and documents and industries are enumerated
    rule = _load(RULES / "dust" / "zone20-electrics.yaml")
    rule["versions"][0]["source"]["document"] = "work-safty-law"
    with pytest.raises(jsonschema.ValidationError, match="work-safty-law"):
        jsonschema.validate(rule, _schema("rulebook/rule.schema.json"))


def test_schema_command() -> None:
    code, out, _ = run_cli("schema", "rule")
    assert code == 0 and json.loads(out)["properties"]["title"]["description"] == "规则标题（中文）"
    code, out, _ = run_cli("schema", "enterprise", "--rulebook", "--rules", str(RULES))
    assert "dust_zone20_present" in json.loads(out)["properties"]["facts"]["properties"]
    assert schema_text(json.loads(out)) == out
    code, _, err = run_cli("schema", "rules")
    assert code == 2 and "did you mean 'rule'" in err


def test_writing_the_schemas_names_them_in_a_new_rule_file(tmp_path: Path) -> None:
    """A rule file added without the modeline (another branch's new lineage) gets it from the one
    regenerating command, relative to where the schemas are written; the rest stays as it was."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    new = rules / "dust" / "zone20-electrics.yaml"
    body = new.read_text(encoding="utf-8").split("\n", 1)[1]
    new.write_text(body.replace("\n", "\r\n"), encoding="utf-8", newline="")
    other = rules / "mining" / "open-pit-slope-monitoring.yaml"
    before = other.read_bytes()
    code, out, _ = run_cli("check", str(rules))
    assert code == 0 and "[SR005]" in out
    code, _, err = run_cli("schema", "--write", str(tmp_path / "schemas"), "--rules", str(rules))
    assert code == 0 and f"first line of {new}" in err
    assert new.read_bytes() == (f"{MODELINE}../../schemas/rulebook/rule.schema.json\r\n" + body.replace(
        "\n", "\r\n")).encode()
    assert other.read_bytes() == before
    code, out, _ = run_cli("check", str(rules))
    assert code == 0 and "[SR005]" not in out
