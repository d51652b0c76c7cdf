"""JSON Schema of every file format, for editors' autocompletion and validation."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

# kind -> (module, model); imported when asked for, so that the rules commands do not
# import the expert registry (and SQLAlchemy with it)
FORMATS: dict[str, tuple[str, str]] = {
    "rule": ("..engine._rule_files", "RuleFile"),
    "facts": ("..engine._facts", "FactCatalogFile"),
    "law": ("..law._catalog", "LawDocument"),
    "rulebook": ("..engine._rule_files", "RulebookFile"),
    "table": ("..engine._tables", "TableFile"),
    "enterprise": ("..engine._enterprise", "EnterpriseFile"),
    "experts": ("..experts._registry", "ExpertFile"),
    "policy": ("..experts._registry", "PolicyFile"),
    "cases": ("..experts._registry", "CaseFile"),
    "history": ("..experts._registry", "HistoryFile"),
    "evaluations": ("..experts._evaluation_log", "EvaluationFile"),
    "campaign": ("..fieldwork._campaign", "CampaignFile"),
    "plan": ("..fieldwork._plan", "PlanFile"),
    "outcomes": ("..experts._records", "OutcomeFile"),
}


def json_schema(kind: str) -> dict[str, Any]:
    module, name = FORMATS[kind]
    model: type[BaseModel] = getattr(importlib.import_module(module, __package__), name)
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", model.__name__)
    return schema
