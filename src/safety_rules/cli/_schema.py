"""JSON Schema of every file format, for editors' completion and validation.

Two kinds are committed under ``schemas/`` (``tests/cli/test_schemas.py`` fails when one is
stale; ``safety-rules schema --write schemas/`` regenerates them):

* the file formats (``rule.schema.json`` …), every property described in Chinese for the
  standards team who edit these files;
* for the rulebook in ``rules/``, the rule and enterprise formats with its own names filled in
  (``rulebook/rule.schema.json``, ``rulebook/enterprise.schema.json``): every fact, document,
  provision and industry enumerated with its Chinese label, so that an editor completes them
  and underlines a misspelled fact in an example or an enterprise file.

Every rule file names its schema on its first line, for the YAML language server::

    # yaml-language-server: $schema=../../schemas/rulebook/rule.schema.json

``--write`` also puts that line on a rule file that lacks it, so that rule files added by
others need no hand edit before the tests pass.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..engine._facts import FactSpec, FieldSpec
from ..engine._rulebook import Rulebook
from ..shared._errors import Problem

SCHEMA_VERSION = "1"
ID_PREFIX = "urn:safety-rules:schema"
MODELINE = "# yaml-language-server: $schema="
RULEBOOK_SCHEMAS = ("rule", "enterprise")

# kind -> (module, model); imported when asked for, so that the rules commands do not
# import the expert registry (and SQLAlchemy with it)
FORMATS: dict[str, tuple[str, str]] = {
    "rule": ("..engine._rule_files", "RuleFile"),
    "facts": ("..engine._facts", "FactCatalogFile"),
    "law": ("..law._catalog", "LawDocument"),
    "rulebook": ("..engine._rule_files", "RulebookFile"),
    "table": ("..engine._tables", "TableFile"),
    "enterprise": ("..engine._enterprise", "EnterpriseFile"),
    "scenario": ("..revisions._scenarios", "Scenario"),
    "experts": ("..experts._registry", "ExpertFile"),
    "policy": ("..experts._registry", "PolicyFile"),
    "cases": ("..experts._registry", "CaseFile"),
    "history": ("..experts._registry", "HistoryFile"),
    "evaluations": ("..experts._evaluation_log", "EvaluationFile"),
    "campaign": ("..fieldwork._campaign", "CampaignFile"),
    "plan": ("..fieldwork._plan", "PlanFile"),
    "outcomes": ("..experts._records", "OutcomeFile"),
}
# the formats the standards team edits: committed, described in Chinese
COMMITTED = ("rule", "facts", "law", "rulebook", "table", "enterprise", "scenario")

TITLES_ZH = {
    "rule": "规则文件（一个规则沿革）", "facts": "事实目录文件", "law": "法规与标准目录文件（一个文件）",
    "rulebook": "规则库根文件 rulebook.yaml", "table": "数据表文件", "enterprise": "企业事实文件",
    "scenario": "企业场景测试文件",
}

# (model, property) -> Chinese description; the models' own descriptions are for developers
ZH: dict[str, dict[str, str]] = {
    "RuleFile": {
        "id": "规则编号，形如 行业.名称；长期稳定，不得改作他义",
        "industry": "所属行业（须与所在目录一致）",
        "title": "规则标题（中文）",
        "applies_to": "适用条件：为假时规则不适用；未知时待查明；省略则适用于本行业全部企业",
        "replaces": "本规则承接的旧规则编号（合并、拆分时）",
        "replaced_by": "承接本规则的新规则编号",
        "versions": "各版本，按生效日期排列",
        "before_first_version": "为什么首个版本生效前不设违法版本（此前的做法不能确认违法的理由）；"
                                "写明后 check 不再提示补设此前依据上位义务的版本",
        "note": "编码说明（为什么这样编码）",
    },
    "RuleVersion": {
        "version": "版本号（沿革内唯一，文本）",
        "effective_from": "生效日期（含当日）",
        "effective_to": "截止日期（含当日）；省略则至下一版本生效前一日，最后一版无截止",
        "severity": "major_hazard 重大事故隐患；violation 违法行为",
        "when": "构成违法（隐患）的条件；条款有编号子项时写成 子项→条件 的映射（未列出的子项即未编码）",
        "partial": "本版本未编码的部分（除 when 未列出的子项外）；部分编码的版本不会判为符合",
        "interpretation": "对可两读条文采用的解释及其确定程度",
        "source": "本版本判定依据（标准条款）",
        "citations": "引用的义务、罚则、措施等条款",
        "rectification": "整改要求",
        "examples": "示例：事实及应得结果（check 逐一运行）",
        "equivalent_mutants": "经审查等价的变异（check --mutants 不再报告；失效的声明报 SR609）",
        "note": "版本说明",
    },
    "EquivalentMutant": {
        "original": "被改动的部分，照 check --mutants 的写法",
        "mutated": "改动后的写法，照 check --mutants 的写法",
        "reason": "为什么任何可记录的事实都区分不了两者",
    },
    "CitationRef": {
        "document": "法规目录中的文件编号",
        "provision": "该文件中的条款编号",
        "role": "defines 判定条款；duty 义务条款；penalty 罚则；measure 措施；basis 其他依据",
        "preferred": "罚则：引用多个罚则时建议适用的一个",
        "reason": "罚则：建议（或不建议）适用的理由",
    },
    "Source": {
        "document": "法规目录中的文件编号",
        "provision": "该文件中的条款编号",
        "source_checked": "是否已对照原文核对条款文字和编号（仅亲自核对过才填 true）",
        "note": "核对说明",
    },
    "Interpretation": {
        "status": "settled 已确定；contested 存疑（认定标注“解释存疑”）",
        "note": "采用的解读或悬而未决的问题",
        "basis": "解读所依据的条文、解释或决定",
        "undetermined_when": "解读确定前，在此条件下给出待查明而非结论（如恰在有争议的边界上）",
    },
    "Rectification": {
        "deadline": "整改期限：immediate 立即，或天数",
        "hint": "整改要求（中文）",
    },
    "Example": {
        "name": "示例名称",
        "facts": "检查人员记录的事实（含适用性事实）；未给出的事实为未知",
        "expect": "应得结果：violated 违反、compliant 符合、undetermined 待查明、not_applicable 不适用",
        "missing": "待查明时：恰好缺少的事实",
        "sub_items": "违反时：恰好成立的子项",
        "as_of": "评估日期（默认为版本生效日），须在版本生效期内",
    },
    "RulebookFile": {
        "name": "规则库名称",
        "version": "规则库版本号；每条认定都带此版本；改变评估结果的修订须提高",
        "industries": "行业（规则目录）及其包含关系",
        "retired_ids": "永久停用、不得再用的规则编号",
        "major_hazard_measures": "每项重大事故隐患都引用的措施条款（撤人、停产、报告等）",
    },
    "Industry": {
        "title": "行业名称",
        "implies": "本行业企业同时适用的其他行业规则（各工贸行业包含 trade，全部包含 general）",
    },
    "ProvisionPointer": {
        "document": "法规目录中的文件编号",
        "provision": "该文件中的条款编号",
    },
    "FactCatalogFile": {
        "description": "本文件所列事实的说明",
        "facts": "事实编号 → 事实定义",
    },
    "FactSpec": {
        "type": "类型：bool 是否、number 数量、enum 枚举、string 文本、date 日期、records 记录列表",
        "label": "中文名称",
        "question": "检查人员为确定该事实需回答的问题（观测事实必填）",
        "unit": "数量的单位：t、m、person、% 等，纯计数写 1",
        "values": "枚举的可选值",
        "fields": "记录列表的字段",
        "minimum": "数量的最小值",
        "maximum": "数量的最大值",
        "derive": "派生事实的计算表达式（派生事实不由检查人员填写）",
        "note": "说明（如依据的标准条款）",
        "any_industry": "任何行业的企业都可填写的事实（如国民经济行业分类代码）",
    },
    "FieldSpec": {
        "type": "字段类型：bool、number、enum、string、date",
        "label": "字段中文名称",
        "unit": "数量的单位",
        "values": "枚举的可选值",
        "minimum": "数量字段的最小值",
        "maximum": "数量字段的最大值",
    },
    "LawDocument": {
        "id": "文件编号（小写字母、数字、连字符）",
        "title": "文件标题",
        "kind": "文件类别（法律、行政法规、部门规章等）",
        "issuer": "制定机关",
        "jurisdiction": "national 全国；或 GB/T 2260 行政区划代码（370000 山东省）",
        "editions": "各版本，按施行日期排列",
        "provisions": "条款编号 → 条款（编号在各版本间稳定）",
        "note": "说明",
    },
    "Edition": {
        "id": "版本编号",
        "label": "引用时标题后所印文字，如 2014年修正 或 安监总管一〔2017〕98号",
        "title": "本版本的标题（与文件标题不同时）",
        "kind": "本版本的类别（默认同文件）",
        "instrument": "发布文号，如 主席令第13号",
        "issued": "签发（通过）日期",
        "published": "最早见到公开发布的日期",
        "effective_from": "施行日期（含当日）",
        "effective_to": "失效前最后一日（含当日）",
        "parts": "判定标准的各部分及其条款数",
        "escalations": "本版本任一罚则之后的后续处罚条款（按日连续处罚、提请关闭等）",
        "source_checked": "是否已对照原文核对",
        "note": "说明（未核对之处须写明）",
    },
    "Escalation": {
        "trigger": "触发情形",
        "provision": "条款编号",
        "note": "说明",
    },
    "FineRange": {
        "min": "罚款下限（元）",
        "max": "罚款上限（元）",
    },
    "IndividualFine": {
        "who": "处罚对象：直接负责的主管人员和其他直接责任人员、主要负责人等",
        "fine_yuan": "罚款金额（元）",
        "percent_of_income": "按上一年年收入的百分比罚款",
        "note": "说明",
    },
    "Part": {
        "id": "部分编号",
        "title": "部分标题",
        "items": "该部分在公布文本中的条款数",
        "industries": "该部分涉及其企业的行业（为空表示无检查组负责）",
        "applies_to": "该部分适用的企业条件（事实目录上的条件）：为假时不列入该企业的未编码条款，未知时仍列入",
    },
    "PercentRange": {
        "min": "下限（%）",
        "max": "上限（%）",
    },
    "Provision": {
        "summary": "条款摘要",
        "editions": "版本编号 → 该条款在该版本中的位置和文字",
    },
    "ProvisionEdition": {
        "article": "条",
        "paragraph": "款",
        "item": "项",
        "label": "照印的条目编号，如 一、（八）",
        "part": "所属部分（判定标准）",
        "text": "该版本中的条文",
        "sub_items": "编号子项（按顺序）",
        "sanction": "罚则（分档）",
        "continues": "承接的上一版本条款（用于新旧对照）",
        "source_checked": "是否已对照原文核对",
        "note": "说明",
        "applies_to": "仅用于条目：该条目在其所属部分内适用的企业条件（事实目录上的条件）："
                      "为假时不列入该企业的未编码条款，未知时仍列入",
    },
    "ProvisionRef": {
        "provision": "条款编号",
        "document": "文件编号（默认本文件）",
    },
    "Sanction": {
        "summary": "罚则原文（或要点）",
        "tiers": "各档处罚及其触发情形",
    },
    "SubItem": {
        "text": "子项文字",
        "source_checked": "是否已对照原文核对",
        "note": "说明",
    },
    "Tier": {
        "trigger": "触发情形：first_instance 发现时、overdue 逾期未改正、refused 拒不执行、serious 情节严重、accident "
                   "导致事故、repeated 多次处罚",
        "order": "责令事项，如 责令限期改正",
        "fine_yuan": "对单位的罚款",
        "discretionary": "是否为“可以处”（而非“处”）",
        "individuals": "对个人的罚款",
        "suspension": "是否责令停产停业整顿",
        "other": "其他措施（照印），如 没收违法所得",
        "related": "该档引出的条款，如 停止供电、刑法第一百三十四条之一",
    },
    "TableFile": {
        "id": "数据表编号",
        "title": "数据表标题",
        "key": "键的说明与匹配方式",
        "columns": "列定义",
        "editions": "各版本，按施行日期排列",
        "note": "说明",
    },
    "ColumnSpec": {
        "type": "列类型",
        "label": "列中文名称",
        "unit": "数量的单位（纯比值写 1）",
        "values": "枚举的可选值",
        "minimum": "最小值",
    },
    "KeySpec": {
        "label": "键的中文名称",
        "match": "exact 完全匹配；prefix 取最长前缀（分类代码）",
    },
    "TableEdition": {
        "id": "版本编号",
        "label": "版本名称",
        "effective_from": "施行日期",
        "effective_to": "失效前最后一日",
        "source": "依据的文件",
        "default": "未列出的键所用的行",
        "rows": "各行（key 为键）",
        "note": "说明",
    },
    "TableSource": {
        "document": "法规目录中的文件编号",
        "provision": "条款编号",
    },
    "EnterpriseFile": {
        "enterprise": "企业基本信息",
        "facts": "检查人员记录的事实；未给出或为 null 的事实为未知",
    },
    "EnterpriseHeader": {
        "id": "企业编号",
        "name": "企业名称",
        "county": "县区",
        "region": "GB/T 2260 行政区划代码（6位，如 371302 兰山区）",
        "industries": "企业所属行业（据此确定适用的规则）",
        "inspected_on": "检查日期（默认评估日期）",
    },
    "Scenario": {
        "name": "场景名称",
        "enterprise_file": "企业文件（相对于本文件）",
        "enterprise": "内联的企业基本信息",
        "facts": "内联的事实（与 enterprise 一起使用）",
        "as_of": "评估日期",
        "findings": "应恰好得到的认定",
        "undetermined": "应恰好待查明的规则（可省略）",
        "compliant": "应判为符合的规则（至少这些，可省略）",
        "expect_gap": "已知差距：说明规则库尚未做到的（测试不因此失败）",
    },
    "ExpectedFinding": {
        "rule": "规则编号",
        "severity": "major_hazard 重大事故隐患；violation 违法行为",
        "version": "规则版本（可省略）",
        "sub_items": "成立的子项（可省略）",
    },
}


def _describe(schema: dict[str, Any], kind: str) -> None:
    """Chinese descriptions on every property (the model's own text for other formats)."""
    models: dict[str, Any] = dict(schema.get("$defs", {}))
    models[schema.get("title", "")] = schema
    for name, model in models.items():
        for prop, spec in model.get("properties", {}).items():
            zh = ZH.get(name, {}).get(prop)
            if zh is not None:
                spec["description"] = zh
            elif kind in COMMITTED:
                raise KeyError(f"no Chinese description for {name}.{prop}: add it to ZH in cli/_schema.py")


def json_schema(kind: str) -> dict[str, Any]:
    module, name = FORMATS[kind]
    model: type[BaseModel] = getattr(importlib.import_module(module, __package__), name)
    schema = model.model_json_schema()
    _describe(schema, kind)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{ID_PREFIX}:{kind}:{SCHEMA_VERSION}"
    schema["version"] = SCHEMA_VERSION
    schema["title"] = TITLES_ZH.get(kind, schema.get("title", model.__name__))
    return schema


# ------------------------------------------------------------- per rulebook


def _enum(values: dict[str, str]) -> dict[str, Any]:
    """An enumeration an editor completes, each value with its Chinese label."""
    keys = sorted(values)
    return {"enum": keys, "enumDescriptions": [values[k] for k in keys],
            "markdownEnumDescriptions": [values[k] for k in keys]}


def _value_schema(spec: FactSpec | FieldSpec) -> dict[str, Any]:
    if spec.type == "bool":
        out: dict[str, Any] = {"type": ["boolean", "null"]}
    elif spec.type == "number":
        out = {"type": ["number", "null"]}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        if spec.maximum is not None:
            out["maximum"] = spec.maximum
    elif spec.type == "enum":
        out = {"enum": [*(spec.values or []), None]}
    elif spec.type == "date":
        out = {"type": ["string", "null"], "format": "date"}
    elif spec.type == "string":
        out = {"type": ["string", "null"]}
    else:
        assert isinstance(spec, FactSpec) and spec.fields is not None
        out = {"type": ["array", "null"], "items": {
            "type": "object", "additionalProperties": False,
            "properties": {name: _value_schema(f) | {"description": f.label} for name, f in spec.fields.items()}}}
    unit = f"（{spec.unit}）" if spec.type == "number" and spec.unit and spec.unit != "1" else ""
    question = getattr(spec, "question", None)
    out["description"] = f"{spec.label}{unit}" + (f"：{question}" if question else "")
    return out


def facts_schema(book: Rulebook) -> dict[str, Any]:
    """Observed facts as an object schema: a misspelled or derived fact is not allowed."""
    observed = {fid: spec for fid, spec in book.facts.specs.items() if spec.derive is None}
    return {"type": "object", "additionalProperties": False, "description": ZH["Example"]["facts"],
            "properties": {fid: _value_schema(spec) for fid, spec in sorted(observed.items())}}


def rulebook_schema(kind: str, book: Rulebook) -> dict[str, Any]:
    """The rule or enterprise format with this rulebook's facts, documents, provisions and industries."""
    schema = copy.deepcopy(json_schema(kind))
    schema["$id"] = f"{ID_PREFIX}:{kind}:{SCHEMA_VERSION}:rulebook"
    schema["title"] = f"{TITLES_ZH[kind]}（{book.name} {book.version}）"
    defs = schema["$defs"]
    industries = _enum(book.industries)
    if kind == "enterprise":
        schema["properties"]["facts"] = facts_schema(book)
        defs["EnterpriseHeader"]["properties"]["industries"]["items"] = {"type": "string", **industries}
        return schema
    documents = _enum({d.id: d.title for d in book.law.documents.values()})
    provisions = _enum({pid: f"{d.title}：{p.summary}" for d in book.law.documents.values()
                        for pid, p in d.provisions.items()})
    defs["Example"]["properties"]["facts"] = facts_schema(book)
    for name in ("CitationRef", "Source"):
        defs[name]["properties"]["document"].update(documents)
        defs[name]["properties"]["provision"].update(provisions)
    schema["properties"]["industry"].update(industries)
    return schema


def write_schemas(directory: Path, book: Rulebook) -> list[Path]:
    """Write every committed schema; returns the paths written."""
    written = []
    for kind in COMMITTED:
        written.append(_write(directory / f"{kind}.schema.json", json_schema(kind)))
    for kind in RULEBOOK_SCHEMAS:
        written.append(_write(directory / "rulebook" / f"{kind}.schema.json", rulebook_schema(kind, book)))
    return written


def modeline_problems(book: Rulebook) -> list[Problem]:
    """A warning for each rule file whose first line does not name a schema (no editor completion)."""
    found = []
    for rid in book.rule_ids:
        path = Path(book.lineage(rid).path)
        try:
            with path.open(encoding="utf-8") as f:
                first = f.readline()
        except OSError:  # pragma: no cover - the loader has just read it
            continue
        if not first.startswith(MODELINE):
            found.append(Problem(f"the first line does not name the schema; start the file with "
                                 f"'{MODELINE}../../schemas/rulebook/rule.schema.json' for completion in the editor"
                                 "（首行应指向 JSON Schema，编辑器才能提示）", path=str(path), line=1, rule_id=rid,
                                 level="warning", code="SR005"))
    return found


def add_modelines(book: Rulebook, directory: Path) -> list[Path]:
    """Put the modeline naming ``directory``'s rule schema on each rule file without one;
    returns the files changed. The rest of a file is kept byte for byte (line endings too)."""
    target = (directory / "rulebook" / "rule.schema.json").resolve()
    changed = []
    for problem in modeline_problems(book):
        assert problem.path is not None
        path = Path(problem.path)
        relative = Path(os.path.relpath(target, path.resolve().parent)).as_posix()
        data = path.read_bytes()
        newline = b"\r\n" if data.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
        path.write_bytes(f"{MODELINE}{relative}".encode() + newline + data)
        changed.append(path)
    return changed


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _write(path: Path, schema: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_text(schema), encoding="utf-8")
    return path
