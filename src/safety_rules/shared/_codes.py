"""Stable problem codes: every :class:`Problem` carries one (``SR101``), with a name
(``unknown-fact``) and a description for the standards team.

Codes are never renumbered or reused: CI configurations, editor integrations and the
standards team's notes refer to them. ``docs/problem-codes.md`` is generated from this table
(a test fails when it is stale). New codes take the next free number in their group.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    name: str
    description: str


CODES: dict[str, Code] = {
    # -- files
    "SR001": Code("yaml", "文件不是可读的 YAML：语法错误、重复键、文件过大、别名展开过多、不允许的标签"),
    "SR002": Code("schema", "YAML 可读但不符合文件格式：未知键、缺少键、类型或取值错误"),
    "SR003": Code("missing-file", "缺少 rulebook.yaml、facts/ 或 law/，或规则库目录不存在"),
    "SR004": Code("stray-file", "规则库根目录下有不属于任何行业的目录或规则文件"),
    "SR005": Code("schema-modeline", "规则文件第一行没有指向 JSON Schema 的 yaml-language-server 注释"
                  "（编辑器无法提示）"),
    # -- conditions
    "SR100": Code("invalid-condition", "条件不符合条件语言（其他情形）"),
    "SR101": Code("unknown-fact", "条件引用了事实目录中没有的事实"),
    "SR102": Code("unit-mismatch", "条件比较或运算了单位不同的数量（如米与吨）"),
    "SR103": Code("type-mismatch", "条件比较了类型不同的值（如是否与数量）"),
    "SR104": Code("enum-value", "条件使用了枚举事实不允许的取值"),
    "SR105": Code("disallowed-construct", "条件使用了条件语言不允许的写法（函数调用、属性、下标等）"),
    "SR106": Code("condition-syntax", "条件有语法错误"),
    "SR107": Code("unknown-field", "条件引用了记录中没有的字段"),
    "SR108": Code("unknown-table", "lookup() 引用了不存在的数据表或列"),
    # -- rule files
    "SR201": Code("duplicate-rule-id", "规则编号被两个文件使用"),
    "SR202": Code("wrong-industry", "规则文件的行业与所在目录或编号前缀不一致"),
    "SR203": Code("retired-id", "使用了已停用（retired_ids）的规则编号"),
    "SR204": Code("version-order", "版本未按生效日期排列，或版本号重复"),
    "SR205": Code("overlap-or-gap", "版本（或文件版本、数据表版本）生效期重叠或有空档"),
    "SR206": Code("sub-items", "when 的子项与判定标准条款的子项不一致"),
    "SR207": Code("lineage-graph", "replaces/replaced_by 不对应、成环或新旧规则生效期重叠"),
    "SR208": Code("far-future-date", "日期在三年以后，可能是笔误（警告）"),
    "SR209": Code("contested-interpretation", "版本采用的解释存疑（警告）"),
    "SR210": Code("duty-before-criteria", "判定标准施行前义务已存在，但规则没有该期间的违法行为版本，"
                  "也未在 before_first_version 说明理由（警告）"),
    "SR211": Code("unknown-industry", "引用了 rulebook.yaml 中没有的行业，或行业包含关系成环"),
    # -- citations
    "SR301": Code("unknown-document", "引用了法规目录中没有的文件"),
    "SR302": Code("unknown-provision", "引用了文件中没有的条款"),
    "SR303": Code("citation-gap", "版本生效期内某些日期引用的条款无有效版本"),
    "SR304": Code("preferred-penalty", "引用多个罚则时未恰好标明一个建议适用（preferred）并说明理由"),
    "SR305": Code("major-hazard-penalty", "重大事故隐患版本没有罚则引用"),
    # -- examples
    "SR401": Code("failing-example", "示例的评估结果与 expect 不符"),
    "SR402": Code("missing-example-kind", "版本缺少 violated、undetermined 或（非部分编码时）compliant 示例"),
    "SR403": Code("example-facts", "示例的事实不符合事实目录"),
    "SR404": Code("example-date", "示例的 as_of 不在版本生效期内"),
    "SR405": Code("evaluator-disagreement", "编译求值器与参考解释器结果不一致（内部错误）"),
    "SR406": Code("example-missing-facts", "示例的 missing 与实际缺少的事实不符"),
    "SR407": Code("example-sub-items", "示例的 sub_items 与实际成立的子项不符，或版本没有子项"),
    "SR408": Code("compliant-on-partial", "部分编码的版本不可能判为符合，却有 compliant 示例"),
    # -- catalogs
    "SR501": Code("duplicate-fact", "事实被声明两次"),
    "SR502": Code("fact-id", "事实编号不合规（须为小写字母、数字和下划线，且不与保留字冲突）"),
    "SR503": Code("derived-cycle", "派生事实互相依赖成环"),
    "SR504": Code("duplicate-document", "法规文件或数据表编号被使用两次"),
    "SR505": Code("part-count", "判定标准各部分登记的条款数与声明的条款数不符"),
    "SR506": Code("table-row", "数据表的行不符合列定义"),
    "SR507": Code("unknown-measure", "major_hazard_measures 引用了不存在的文件或条款"),
    # -- revisions: coverage, mutants, the gate
    "SR601": Code("uncovered-leaf", "示例中某个子条件从未为真或从未为假（条件覆盖不足）"),
    "SR602": Code("coverage-below-minimum", "条件覆盖率低于 --min-coverage"),
    "SR603": Code("surviving-mutant", "条件的某个变异（>= 与 >、阈值±1、any 与 all、and 与 or）没有任何示例能发现"),
    "SR604": Code("dead-condition", "子条件在事实的取值范围内永远不能成立（警告）"),
    "SR605": Code("vacuous-condition", "子条件在事实已知时永远成立（警告）"),
    "SR606": Code("version-not-bumped", "修订改变评估结果，但 rulebook.yaml 的 version 没有提高"),
    "SR607": Code("changelog-missing", "修订改变评估结果，但 CHANGELOG.md 没有本版本条目或未列出全部变更编号"),
    "SR608": Code("base-unreadable", "比较基准（git 版本或目录）无法读取"),
    "SR609": Code("equivalent-mutant-stale", "声明为等价的变异已不存在，或已有示例能发现它（应删去该声明）"),
    # -- enterprise files
    "SR701": Code("enterprise-facts", "企业事实文件不符合事实目录：未知事实、类型或取值错误、记录字段错误"),
    "SR702": Code("enterprise-file", "企业文件无法读取或不符合企业文件格式"),
    # -- internal
    "SR900": Code("internal", "其他问题"),
}


def code_name(code: str) -> str:
    """``SR101`` -> ``SR101 unknown-fact`` (an unknown code is shown as it is)."""
    known = CODES.get(code)
    return f"{code} {known.name}" if known else code


def codes_markdown() -> str:
    """The table in ``docs/problem-codes.md``."""
    lines = ["| code | name | 说明 |", "|---|---|---|"]
    lines += [f"| `{c}` | `{v.name}` | {v.description} |" for c, v in CODES.items()]
    return "\n".join(lines) + "\n"
