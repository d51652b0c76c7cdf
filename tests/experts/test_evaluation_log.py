"""The evaluation log on the event store: corrections, all-or-nothing batches with file and line,
values refused alike on both databases, the read table, concurrent writers, and the upgrade of a
log of the previous format.

Each test that takes ``url`` runs on SQLite and on PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from safety_rules import (
    EvaluationLog,
    EvaluationLogError,
    EventStoreError,
    LogIntegrityError,
    NotFoundError,
    SchemaError,
)
from safety_rules.experts._evaluation_log import Evaluation, index_table, load_evaluation_batch
from safety_rules.shared._events import GENESIS

from ..conftest import FIXTURES, tamper
from ..fixtures import legacy_evaluation_log as legacy

BROKEN = FIXTURES / "broken_evaluations"


def ev(case: str = "C1", expert: str = "X1", **kw: object) -> Evaluation:
    base: dict[str, object] = {"case_id": case, "expert_id": expert, "enterprise_id": "LY-1",
                               "case_date": dt.date(2017, 9, 5), "timeliness": 4, "quality": 5,
                               "advice_adopted": True, "remark": "意见具体", "recorded_by": "监察支队"}
    return Evaluation.model_validate({**base, **kw})


def test_append_read_verify(url: str) -> None:
    log = EvaluationLog(url)
    assert log.head() == (0, GENESIS) and log.verify().ok
    a = log.append(ev("C1"))
    b = log.append(ev("C2", hazard_eliminated=False))
    assert (a.seq, b.seq) == (1, 2) and b.prev_hash == a.hash
    assert [r.record_id for r in log.records()] == [a.record_id, b.record_id]
    assert list(log.records()) == [a, b]
    assert log.head() == (2, b.hash)
    assert log.verify(anchor=b.hash).ok
    again = EvaluationLog(url, read_only=True)  # reopening finds the same chain
    assert [r.hash for r in again.records()] == [a.hash, b.hash]
    assert [e.kind for e in again.store.events()] == ["evaluation", "evaluation"]


def test_corrections_are_new_records(url: str) -> None:
    log = EvaluationLog(url)
    first = log.append(ev(quality=2))
    with pytest.raises(EvaluationLogError, match="already evaluated"):
        log.append(ev(quality=4))
    fix = log.append(ev(quality=4, corrects=first.record_id))
    with pytest.raises(EvaluationLogError, match="already corrected"):
        log.append(ev(quality=3, corrects=first.record_id))
    with pytest.raises(NotFoundError, match="no record 'nope'"):
        log.append(ev(quality=3, corrects="nope"))
    again = log.append(ev(quality=5, corrects=fix.record_id))
    assert [r.record_id for r in log.effective()] == [again.record_id]
    assert [r.record_id for r in log.effective(upto=fix.seq)] == [fix.record_id]
    assert len(list(log.records())) == 3  # nothing was overwritten
    assert [e.kind for e in log.store.events()] == ["evaluation", "correction", "correction"]
    assert log.verify().ok


def test_a_batch_is_checked_whole_and_written_all_or_nothing(url: str) -> None:
    log = EvaluationLog(url)
    kept = log.append(ev("C0"))
    batch = [ev("C1"), ev("C2"), ev("C1", quality=1), ev("C0"), ev("C3", corrects="nope")]
    where = [("batch.yaml", 2 + 3 * i) for i in range(len(batch))]
    with pytest.raises(EvaluationLogError) as caught:
        log.append_many(batch, where=where)
    problems = [str(p) for p in caught.value.context["problems"]]
    assert "3 of 5 evaluations refused; none was recorded" in str(caught.value)
    assert problems[0].startswith("batch.yaml:8: case C1 / expert X1 is already evaluated")
    assert problems[1].startswith(f"batch.yaml:11: case C0 / expert X1 is already evaluated (record {kept.record_id})")
    assert problems[2].startswith("batch.yaml:14: no record 'nope'")
    assert list(log.records()) == [kept] and log.verify().ok
    written = log.append_many([ev("C1"), ev("C2")])
    assert [r.seq for r in written] == [2, 3]


@pytest.mark.parametrize(("name", "line", "words"), [
    ("evaluated_twice.yaml", 6, "case CASE-1 / expert EXP-D03 is already evaluated"),
    ("unknown_correction.yaml", 4, "no record '0123456789abcdef0123456789abcdef' for case CASE-2"),
])
def test_refused_batch_files_name_file_and_line_and_write_nothing(url: str, name: str, line: int,
                                                                  words: str) -> None:
    log = EvaluationLog(url)
    items, where = load_evaluation_batch(BROKEN / name)
    with pytest.raises(EventStoreError) as caught:
        log.append_many(items, where=where)
    assert f"{BROKEN / name}:{line}: " in str(caught.value) and words in str(caught.value)
    assert log.head() == (0, GENESIS)


@pytest.mark.parametrize(("name", "line", "words"), [
    ("id_too_long.yaml", 4, "case_id: String should have at most 64 characters"),
    ("nul_in_id.yaml", 5, "expert_id: String should match pattern"),
])
def test_values_postgresql_would_refuse_are_refused_in_the_file(name: str, line: int, words: str) -> None:
    with pytest.raises(SchemaError) as caught:
        load_evaluation_batch(BROKEN / name)
    assert str(caught.value).startswith(f"{BROKEN / name}:{line}: ") and words in str(caught.value)


def test_the_read_table_is_derived_and_rebuildable(url: str) -> None:
    log = EvaluationLog(url)
    first = log.append(ev("C1"))
    log.append(ev("C1", quality=2, corrects=first.record_id))
    with log.store.engine.begin() as c:
        c.execute(sa.delete(index_table))  # lost or damaged: the events still hold everything
    log.rebuild_index()
    with pytest.raises(EvaluationLogError, match="already corrected"):
        log.append(ev("C1", corrects=first.record_id))
    with log.store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(index_table)).scalar() == 2


WRITER = """
import datetime as dt, sys
from safety_rules import EvaluationLogError
from safety_rules.experts._evaluation_log import Evaluation, EvaluationLog
url, name = sys.argv[1], sys.argv[2]
log = EvaluationLog(url)
refused = 0
for k in range(40):
    for expert in (name, "shared"):
        try:
            log.append(Evaluation(case_id=f"C{k}", expert_id=expert, enterprise_id="LY-1", timeliness=3, quality=4,
                                  case_date=dt.date(2017, 9, 5), advice_adopted=True, recorded_by=name))
        except EvaluationLogError:
            refused += 1
print(refused)
"""


def test_concurrent_evaluators_keep_the_read_table_consistent(url: str) -> None:
    """Writers racing on the same (case, expert): exactly one records it, the others are refused."""
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"W{i}"], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(3)]
    refused = 0
    for w in writers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
        refused += int(out)
    log = EvaluationLog(url, read_only=True)
    records = list(log.records())
    assert sorted((r.expert_id, r.case_id) for r in records) == sorted(
        [(f"W{i}", f"C{k}") for i in range(3) for k in range(40)] + [("shared", f"C{k}") for k in range(40)])
    assert refused == 2 * 40
    assert log.verify().ok


def _legacy_log(url: str) -> list[legacy.EvaluationRecord]:
    old = legacy.EvaluationLog(url)
    first = old.append(legacy.Evaluation(**ev("C1", quality=2).model_dump()))
    old.append(legacy.Evaluation(**ev("C2", "X2", hazard_eliminated=True, remark="").model_dump()))
    old.append(legacy.Evaluation(**ev("C1", quality=4, corrects=first.record_id).model_dump()))
    records = list(old.records())
    old.engine.dispose()
    return records


def test_a_log_of_the_previous_format_is_carried_over_and_verifies(url: str) -> None:
    before = _legacy_log(url)
    with pytest.raises(EventStoreError, match="an evaluation log of the previous format; upgrade it"):
        EvaluationLog(url, read_only=True)
    log = EvaluationLog(url)  # opening for writing upgrades it
    after = list(log.records())
    assert [(r.seq, r.record_id, r.recorded_at, r.corrects) for r in after] == [
        (o.seq, o.record_id, o.recorded_at, o.corrects) for o in before]
    for r, o in zip(after, before, strict=True):
        assert r.model_dump(include=set(Evaluation.model_fields)) == o.model_dump(include=set(Evaluation.model_fields))
        assert r.legacy is not None and (r.legacy.seq, r.legacy.hash, r.legacy.prev_hash) == (o.seq, o.hash,
                                                                                              o.prev_hash)
        # The old hash can still be recomputed from what the event keeps.
        fields = {**r.model_dump(include=set(Evaluation.model_fields)), "seq": r.legacy.seq,
                  "record_id": r.record_id, "recorded_at": r.legacy.recorded_at, "prev_hash": r.legacy.prev_hash}
        assert legacy.record_hash(fields) == o.hash
    result = log.verify()
    assert result.ok and result.head_seq == 3
    assert result.checks[1].made or log.store.checkpoint_path is None
    with log.store.engine.connect() as c:
        assert not sa.inspect(c).has_table("expert_evaluations")  # one chain, not two
    assert [r.quality for r in log.effective()] == [5, 4]
    with pytest.raises(EvaluationLogError, match="already corrected"):  # the read table was carried over too
        log.append(ev("C1", corrects=before[0].record_id))
    log.append(ev("C1", quality=3, corrects=before[2].record_id))
    assert EvaluationLog(url, read_only=True).verify().ok


def test_a_tampered_log_of_the_previous_format_is_not_carried_over(url: str) -> None:
    _legacy_log(url)
    engine = sa.create_engine(url)
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.execute(sa.text("DROP TRIGGER expert_evaluations_no_update"))
        else:
            c.execute(sa.text("ALTER TABLE expert_evaluations DISABLE TRIGGER USER"))
        c.execute(sa.text("UPDATE expert_evaluations SET quality = 1 WHERE seq = 2"))
    with pytest.raises(LogIntegrityError, match="does not verify at its seq 2 .* nothing was migrated"):
        EvaluationLog(url)
    with engine.connect() as c:
        assert sa.inspect(c).has_table("expert_evaluations") and not sa.inspect(c).has_table("events")
    engine.dispose()


def test_tampering_with_an_evaluation_is_named(url: str) -> None:
    log = EvaluationLog(url)
    for k in range(3):
        log.append(ev(f"C{k}"))
    tamper(url, ("UPDATE events SET payload = replace(payload, :was, :now) WHERE seq = 2",
                 {"was": '"quality":5', "now": '"quality":1'}))
    result = EvaluationLog(url, read_only=True).verify()
    assert not result.ok and result.first_bad_seq == 2 and result.stream == "experts/evaluations"


def test_a_previous_record_that_does_not_fit_the_current_limits_stops_the_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = legacy.EvaluationLog(url)
    old.append(legacy.Evaluation(**ev().model_dump(exclude={"case_id"}), case_id="C" * 70))
    old.engine.dispose()  # SQLite kept the 70 characters its VARCHAR(64) column did not enforce
    with pytest.raises(EventStoreError, match="record seq 1 .* does not fit the current format: String should have"):
        EvaluationLog(url)
    with sa.create_engine(url).connect() as c:
        assert sa.inspect(c).has_table("expert_evaluations") and not sa.inspect(c).has_table("events")
