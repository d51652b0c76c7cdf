"""``safety-rules experts ...``: the expert registry on the command line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from ..engine._rulebook import bundled_dir
from ..experts._evaluation_log import (
    Evaluation,
    EvaluationLog,
    EvaluationRecord,
    load_evaluation_batch,
)
from ..experts._matching import MatchResult, context, exclusion, match
from ..experts._records import OutcomeFile, RegistryLog
from ..experts._registry import (
    Expert,
    PastAssignment,
    Policy,
    load_cases,
    load_experts,
    load_history,
    load_policy,
)
from ..experts._scores import ExpertScore, expert_scores, reinstatement_refusal
from ..shared._errors import NotFoundError, RegistryLogError, did_you_mean
from ..shared._events import KEY_VARIABLE, LOCATION_VARIABLE
from ..shared._validation import load_model, schema_error, validate
from ..shared._yaml import line_of
from ._app import AsOfOption, Format, FormatOption, app, day, err, fail, handled, known_industries, out, print_json

experts_app = typer.Typer(no_args_is_help=True, help=(
    "The expert registry: list, match, assignments, withdraw, evaluate, outcomes, scores, reinstate, verify-log, "
    "upgrade-log. The registry's "
    f"events are authenticated with HMAC-SHA-256 when ${KEY_VARIABLE} is set."))
app.add_typer(experts_app, name="experts")


def _registry_dir() -> Path:
    return bundled_dir("experts")


RegistryOption = Annotated[Path | None, typer.Option("--registry", show_default=False,
                                                     help="experts file (default: bundled experts/experts.yaml)")]
PolicyOption = Annotated[Path | None, typer.Option("--policy", show_default=False,
                                                   help="policy file (default: bundled experts/policy.yaml)")]
LogOption = Annotated[str | None, typer.Option("--log", show_default=False, help=(
    f"the event store holding the evaluation log: a SQLite file path or a SQLAlchemy URL (default: "
    f"${LOCATION_VARIABLE}, else events.sqlite3 in the user data directory)"))]
NoVerifyOption = Annotated[bool, typer.Option("--no-verify", help="read the log without verifying it first")]


ByOption = Annotated[str | None, typer.Option("--by", help="who records it")]


class _Records:
    """What the log holds as of one verified head: effective evaluations, open assignments and status
    changes; the confirmations as of each scoring day."""

    def __init__(self, log: str | None, no_verify: bool, *, write: bool = False) -> None:
        self.evaluation_log = EvaluationLog(log, read_only=not write)
        self.registry = RegistryLog(store=self.evaluation_log.store)
        upto: int | None = None
        if no_verify:
            err.print(f"evaluation log {self.evaluation_log.url}: NOT verified (--no-verify)", highlight=False)
        else:
            result = self.evaluation_log.verified()
            made = ", ".join(c.name for c in result.checks if c.made)
            not_made = ", ".join(c.name for c in result.checks if not c.made)
            err.print(f"evaluation log {self.evaluation_log.url}: verified ({made}) up to seq {result.head_seq}"
                      + (f"; not checked: {not_made}" if not_made else ""), highlight=False)
            upto = result.head_seq
        self.upto = upto
        self.evaluations: list[EvaluationRecord] = self.evaluation_log.effective(upto=upto)
        self.held = self.registry.held(upto)
        self.status = self.registry.status(upto)

    def scores(self, experts: list[Expert], policy: Policy, on: dt.date) -> dict[str, ExpertScore]:
        confirmations = self.registry.confirmations(self.upto, on)
        return expert_scores(experts, self.evaluations, policy, on=on, confirmations=confirmations,
                             status=self.status)


def _unknown_expert(expert_id: str, known: Iterable[str]) -> str:
    hint = did_you_mean(expert_id, known)
    return f"unknown expert {expert_id!r}" + (f" (did you mean {hint!r}?)" if hint else "")


def _record_suspensions(records: _Records, scores: dict[str, ExpertScore], policy: Policy, on: dt.date,
                        by: str) -> None:
    """Suspensions the scores call for and the log does not hold yet: recorded, so that lifting one is too."""
    for s in scores.values():
        if s.suspended and s.suspended_since is None:
            event = records.registry.record_status("suspension", s.expert_id, on, s.reason or "score", policy, by)
            out.print(f"recorded seq {event.seq}: suspension of {s.expert_id} on {on} ({s.reason})", highlight=False)


def _experts(path: Path | None) -> list[Expert]:
    return load_experts(path or _registry_dir() / "experts.yaml", industries=known_industries())


def _policy(path: Path | None, on: dt.date) -> Policy:
    return load_policy(path or _registry_dir() / "policy.yaml", on)


@experts_app.command("list")
@handled
def list_experts(
    industry: Annotated[str | None, typer.Option("--industry", help="only experts of this industry")] = None,
    registry: RegistryOption = None,
    as_of: AsOfOption = None,
    format: FormatOption = Format.table,
) -> None:
    """The expert pool, with industries, levels and the validity of qualifications."""
    experts = _experts(registry)
    if industry is not None:
        known = known_industries()
        if industry not in known:
            fail(f"unknown industry {industry!r}; choose one of {', '.join(sorted(known))}")
        experts = [e for e in experts if e.level(industry)]
    on = day(as_of) or dt.date.today()
    if format is Format.json:
        print_json([e.model_dump(mode="json", by_alias=True) for e in experts])
        return
    lines = []
    for e in experts:
        levels = " ".join(f"{i.industry}:{i.level}" for i in e.industries)
        valid = [q.name for q in e.qualifications if q.valid_on(on)]
        lines.append(f"{e.id:<9} {e.name:<4}  {e.status:<9} {e.home_county:<8} {levels:<28} "
                     f"{'、'.join(valid) or f'无有效资格（{on}）'}")
    if format is Format.markdown:
        print("\n".join(f"- {x}" for x in lines))
    else:
        out.print(Text("\n".join(lines)))
        out.print(f"{len(experts)} experts")


@experts_app.command("match")
@handled
def match_cases(
    cases: Annotated[Path, typer.Argument(help="cases file (YAML)")],
    history: Annotated[Path | None, typer.Option("--history", help="assignments made before the registry "
                                                 "(YAML); those on record in the log always count")] = None,
    registry: RegistryOption = None,
    policy: PolicyOption = None,
    log: LogOption = None,
    no_verify: NoVerifyOption = False,
    as_of: AsOfOption = None,
    record: Annotated[bool, typer.Option("--record", help="record the assignments (and suspensions the scores "
                                         "call for) in the log")] = False,
    by: ByOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Assign experts to a batch of cases under the policy's hard rules, maximising the total score.

    The policy version in force on --as-of (default today) applies, and scores are aged to that day.
    """
    if record and not by:
        fail("--record needs --by (who records the assignments)")
    on = day(as_of) or dt.date.today()
    experts, pol = _experts(registry), _policy(policy, on)
    batch = load_cases(cases, industries=known_industries())
    records = _Records(log, no_verify, write=record)
    past = load_history(history) if history else []
    past += records.held
    past += [PastAssignment(case=r.case_id, expert=r.expert_id, enterprise=r.enterprise_id, date=r.case_date)
             for r in records.evaluations]
    scores = records.scores(experts, pol, on)
    result = match(batch, experts, pol, past, scores)
    if format is Format.json:
        print_json(result.model_dump(mode="json"))
    elif format is Format.markdown:
        print(_match_markdown(result))
    else:
        out.print(_match_text(result))
    if record and by:
        _record_suspensions(records, scores, pol, on, by)
        chosen = [(a.case_id, a.expert_id, a.industry, a.score.total) for c in result.cases for a in c.assigned]
        written = records.registry.record_assignments(batch, chosen, pol, by)
        (err if format is Format.json else out).print(
            f"recorded {len(written)} assignments (match {written[0].match_id if written else '-'}); later matches "
            "count them until they are withdrawn", highlight=False)


@experts_app.command("assignments")
@handled
def assignments(
    log: LogOption = None,
    no_verify: NoVerifyOption = False,
    format: FormatOption = Format.table,
) -> None:
    """The assignments on record and not withdrawn."""
    records = _Records(log, no_verify)
    items = records.registry.open_assignments(records.upto)
    if format is Format.json:
        print_json([r.model_dump(mode="json") for r in items])
        return
    lines = [f"{r.assignment_id}  {r.case.id}  {r.case.date}  {r.case.enterprise}  {r.expert_id} [{r.industry}]  "
             f"{r.policy.bureau} {r.policy.version}" + (f"  replaces {r.replaces}" if r.replaces else "")
             for r in items]
    out.print(Text("\n".join(lines) or "no open assignments"))


@experts_app.command("withdraw")
@handled
def withdraw(
    assignment: Annotated[str, typer.Option("--assignment", help="assignment_id to withdraw")],
    reason: Annotated[str, typer.Option("--reason", help="why it is withdrawn")],
    by: Annotated[str, typer.Option("--by", help="who records it")],
    replace_with: Annotated[str | None, typer.Option("--replace-with", help="expert id to put in its place "
                                                     "(checked against every hard rule)")] = None,
    registry: RegistryOption = None,
    policy: PolicyOption = None,
    log: LogOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Withdraw an assignment, optionally replacing the expert (both in one transaction)."""
    on = day(as_of) or dt.date.today()
    records = _Records(log, False, write=True)
    old = records.registry.assignment(assignment)
    replacement = None
    pol = _policy(policy, on)
    if replace_with is not None:
        experts = {e.id: e for e in _experts(registry)}
        if replace_with not in experts:
            fail(_unknown_expert(replace_with, experts))
        if replace_with == old.expert_id:
            fail(f"{replace_with} is the expert being withdrawn")
        expert, case = experts[replace_with], old.case.case()
        held = [h for h in records.held if h.case != case.id or h.expert != old.expert_id]
        ctx = context(pol, held, records.scores(list(experts.values()), pol, on))
        why = exclusion(expert, case, ctx)
        if why is not None:
            fail(f"{replace_with} cannot replace {old.expert_id} on {case.id}: {why[0]}: {why[1]}")
        industry = old.industry if expert.level(old.industry) else next(i for i in case.industries if expert.level(i))
        replacement = (replace_with, industry)
    events = records.registry.withdraw(assignment, reason, by, replacement=replacement, policy=pol)
    for e in events:
        out.print(f"recorded seq {e.seq}: {e.kind} {e.payload['assignment_id']} ({e.payload['expert_id']})",
                  highlight=False)


def _match_text(r: MatchResult) -> Text:
    t = Text()
    for c in r.cases:
        state = "已配齐" if c.filled else f"未配齐（{len(c.assigned)}/{c.required}）"
        t.append(f"{c.case_id}  {c.enterprise}  {'、'.join(c.industries)}  {c.date}  {c.difficulty}  ", style="bold")
        t.append(state + "\n", style="green" if c.filled else "bold red")
        for a in c.assigned:
            s = a.score
            t.append(f"    {a.expert_id} {a.expert_name}  [{a.industry}]  得分 {s.total:.3f} = 等级 {s.level}→"
                     f"{s.level_term:.3f} + 评价 {s.performance:.2f}"
                     f"{'' if s.performance_counts else '(先验)'}→{s.performance_term:.3f}\n")
        for x in c.excluded:
            if x.rule != "industry" or not c.filled:
                t.append(f"    ✗ {x.expert_id} {x.expert_name}  {x.rule}: {x.detail}\n", style="dim")
    proof = (f"对全部合格候选人验证为最优（{r.method}，求解 {r.rounds} 次）" if r.verified_optimal
             else f"未能证明最优（{r.method} 超时）")
    t.append(f"\n{r.filled_slots}/{r.required_slots} 个专家席位已配，总得分 {r.total_score:.3f}；{proof}\n")
    t.append(f"专家使用办法：{r.policy.bureau} {r.policy.version}（{r.policy.effective_from} 起施行"
             + (f"，至 {r.policy.effective_to}" if r.policy.effective_to else "") + "）\n")
    for reminder in r.reminders:
        t.append(f"资格到期提醒：{reminder}\n", style="yellow")
    for suspended in r.suspended:
        t.append(f"暂停使用：{suspended.expert_id} — {suspended.reason}\n", style="yellow")
    return t


def _match_markdown(r: MatchResult) -> str:
    lines = [f"专家使用办法：{r.policy.bureau} {r.policy.version}", "",
             "| 案件 | 企业 | 行业 | 日期 | 难度 | 专家 | 状态 |", "|---|---|---|---|---|---|---|"]
    for c in r.cases:
        names = "<br>".join(f"{a.expert_id} {a.expert_name} ({a.score.total:.3f})" for a in c.assigned) or "—"
        lines.append(f"| {c.case_id} | {c.enterprise} | {'、'.join(c.industries)} | {c.date} | {c.difficulty} | "
                     f"{names} | {'已配齐' if c.filled else '未配齐'} |")
    return "\n".join(lines)


class Outcome(StrEnum):
    yes = "yes"
    no = "no"
    unknown = "unknown"


@experts_app.command("evaluate")
@handled
def evaluate(
    file: Annotated[Path | None, typer.Option("--file", help="record every evaluation in this YAML file")] = None,
    case: Annotated[str | None, typer.Option("--case")] = None,
    expert: Annotated[str | None, typer.Option("--expert")] = None,
    enterprise: Annotated[str | None, typer.Option("--enterprise")] = None,
    case_date: Annotated[dt.datetime | None, typer.Option("--case-date", formats=["%Y-%m-%d"])] = None,
    timeliness: Annotated[int | None, typer.Option("--timeliness", min=1, max=5, help="1-5")] = None,
    quality: Annotated[int | None, typer.Option("--quality", min=1, max=5, help="quality of the opinion, 1-5")] = None,
    adopted: Annotated[Outcome | None, typer.Option("--adopted", help="was the advice adopted")] = None,
    eliminated: Annotated[Outcome, typer.Option("--eliminated", help="hazard eliminated at re-inspection")]
    = Outcome.unknown,
    remark: Annotated[str, typer.Option("--remark")] = "",
    by: Annotated[str | None, typer.Option("--by", help="who records it")] = None,
    corrects: Annotated[str | None, typer.Option("--corrects", help="record_id this record corrects")] = None,
    log: LogOption = None,
) -> None:
    """Record outcome evaluations (append-only; a correction names the record it corrects).

    A file is checked completely first and recorded in one transaction: all of it, or nothing.
    """
    where = None
    if file is not None:
        items, where = load_evaluation_batch(file)
    else:
        missing = [n for n, v in (("--case", case), ("--expert", expert), ("--enterprise", enterprise),
                                  ("--case-date", case_date), ("--timeliness", timeliness),
                                  ("--quality", quality), ("--adopted", adopted), ("--by", by)) if v is None]
        if missing:
            fail(f"give --file, or all of: {', '.join(missing)}")
        raw = {"case_id": case, "expert_id": expert, "enterprise_id": enterprise, "case_date": day(case_date),
               "timeliness": timeliness, "quality": quality, "advice_adopted": adopted is Outcome.yes,
               "hazard_eliminated": None if eliminated is Outcome.unknown else eliminated is Outcome.yes,
               "remark": remark, "recorded_by": by, "corrects": corrects}
        model, problems = validate(Evaluation, raw, path="<command line>")
        if model is None:
            raise schema_error(problems)
        items = [model]
    if not items:
        out.print(f"no evaluations in {file}; nothing recorded", highlight=False)
        return
    evaluation_log = EvaluationLog(log)
    written = evaluation_log.append_many(items, where=where)
    for rec in written:
        out.print(f"recorded seq {rec.seq}: {rec.record_id} ({rec.case_id} / {rec.expert_id})", highlight=False)
    out.print(f"log head: seq {written[-1].seq}, {written[-1].hash} (also checkpointed; verify-log --anchor "
              "checks it too)", highlight=False)


@experts_app.command("scores")
@handled
def scores(
    registry: RegistryOption = None,
    policy: PolicyOption = None,
    log: LogOption = None,
    no_verify: NoVerifyOption = False,
    as_of: AsOfOption = None,
    record: Annotated[bool, typer.Option("--record", help="record the suspensions the scores call for")] = False,
    by: ByOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Each expert's performance score as of --as-of (default today): the evaluations that counted, their
    weights after ageing, and who is suspended."""
    if record and not by:
        fail("--record needs --by (who records the suspensions)")
    on = day(as_of) or dt.date.today()
    experts, pol = _experts(registry), _policy(policy, on)
    records = _Records(log, no_verify, write=record)
    result = records.scores(experts, pol, on)
    if format is Format.json:
        print_json([s.model_dump(mode="json") for s in result.values()])
    else:
        lines = [f"专家使用办法：{pol.bureau} {pol.version}；评价半衰期 {pol.scoring.half_life_days or '—'} 天；"
                 f"截至 {on}"]
        for s in result.values():
            mean = f"{s.mean:.2f}" if s.mean is not None else "—"
            state = f"暂停：{s.reason}" if s.suspended else ("" if s.counts else "评价不足，按先验")
            lines.append(f"{s.expert_id:<9} 评价 {s.evaluations:>2}  均值 {mean:>5}  得分 {s.score:.2f}  {state}")
            for x in s.counted:
                parts = " ".join(f"{k}={v:g}" for k, v in x.parts.items())
                lines.append(f"    {x.case_id} {x.case_date}  {x.score:.2f} × 权重 {x.weight:.3f}（{x.age_days} 天）"
                             f"  {parts}")
        out.print(Text("\n".join(lines)))
    if record and by:
        _record_suspensions(records, result, pol, on, by)


@experts_app.command("reinstate")
@handled
def reinstate(
    expert: Annotated[str, typer.Option("--expert", help="expert id")],
    by: Annotated[str, typer.Option("--by", help="who records it")],
    registry: RegistryOption = None,
    policy: PolicyOption = None,
    log: LogOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Lift a suspension on record: after the policy's period, or once a new evaluation has lifted the score."""
    on = day(as_of) or dt.date.today()
    experts, pol = _experts(registry), _policy(policy, on)
    if expert not in {e.id for e in experts}:
        fail(_unknown_expert(expert, [e.id for e in experts]))
    records = _Records(log, False, write=True)
    score = records.scores(experts, pol, on)[expert]
    refusal = reinstatement_refusal(score, pol, on, records.evaluations)
    if refusal is not None:
        fail(f"not reinstated: {refusal}")
    since = score.suspended_since
    reason = (f"{pol.scoring.reinstate_after_days} days since the suspension of {since}"
              if pol.scoring.reinstate_after_days is not None and since is not None
              and (on - since).days >= pol.scoring.reinstate_after_days
              else f"a new evaluation brought the score to {score.score:.2f}")
    event = records.registry.record_status("reinstatement", expert, on, reason, pol, by)
    out.print(f"recorded seq {event.seq}: reinstatement of {expert} on {on} ({reason})", highlight=False)


@experts_app.command("outcomes")
@handled
def outcomes(
    file: Annotated[Path, typer.Option("--file", help="YAML with findings: [...] and/or outcomes: [...]")],
    log: LogOption = None,
) -> None:
    """Record what experts found on cases and whether enforcement confirmed it (all of the file, or nothing)."""
    model, raw = load_model(OutcomeFile, file)
    registry = RegistryLog(log)
    try:
        events = registry.record_outcomes(model.findings, model.outcomes)
    except (NotFoundError, RegistryLogError) as exc:
        at = exc.context.get("batch_index")
        if at is None:
            raise
        n = len(model.findings)
        raise exc.located(path=file, line=line_of(raw, ["findings", at] if at < n else ["outcomes", at - n])) from None
    for e in events:
        out.print(f"recorded seq {e.seq}: {e.kind} {e.payload['finding_id']}", highlight=False)


@experts_app.command("verify-log")
@handled
def verify_log(
    anchor: Annotated[str | None, typer.Option("--anchor", help="a head hash printed by an earlier write")] = None,
    log: LogOption = None,
) -> None:
    """Verify the event store: exit 1 at the first event altered, removed or moved, or a failed check."""
    result = EvaluationLog(log, read_only=True).verify(anchor)
    if not result.ok:
        fail(str(result), code=1)
    out.print(str(result), highlight=False)


@experts_app.command("upgrade-log")
@handled
def upgrade_log(log: LogOption = None) -> None:
    """Bring the log's database to the current schema, carrying over a log of the previous format."""
    evaluation_log = EvaluationLog(log)
    seq, head = evaluation_log.head()
    out.print(f"{evaluation_log.url}: up to date, head seq {seq} {head}", highlight=False)

