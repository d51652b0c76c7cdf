"""JSON Schema of every file format, for editors' autocompletion and validation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..engine._enterprise import EnterpriseFile
from ..engine._facts import FactCatalogFile
from ..engine._rule_files import RulebookFile, RuleFile
from ..engine._tables import TableFile
from ..experts._evaluation_log import EvaluationFile
from ..experts._records import OutcomeFile
from ..experts._registry import CaseFile, ExpertFile, HistoryFile, PolicyFile
from ..fieldwork._campaign import CampaignFile
from ..fieldwork._plan import PlanFile
from ..law._catalog import LawDocument

FORMATS: dict[str, type[BaseModel]] = {
    "rule": RuleFile,
    "facts": FactCatalogFile,
    "law": LawDocument,
    "rulebook": RulebookFile,
    "table": TableFile,
    "enterprise": EnterpriseFile,
    "experts": ExpertFile,
    "policy": PolicyFile,
    "cases": CaseFile,
    "history": HistoryFile,
    "evaluations": EvaluationFile,
    "campaign": CampaignFile,
    "plan": PlanFile,
    "outcomes": OutcomeFile,
}


def json_schema(kind: str) -> dict[str, Any]:
    model = FORMATS[kind]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", model.__name__)
    return schema
