"""The evaluation log: append-only, hash chain, tamper detection, concurrent and killed writers.

Runs against SQLite, and against PostgreSQL when SAFETY_RULES_TEST_PG_URL names a server
(CI starts one; elsewhere the PostgreSQL cases are skipped if none is reachable).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_rules import EvaluationLogError, LogIntegrityError, NotFoundError
from safety_rules.experts._evaluation_log import GENESIS, Evaluation, EvaluationLog

PG_URL = os.environ.get("SAFETY_RULES_TEST_PG_URL")


def _postgres_available() -> bool:
    if not PG_URL:
        return False
    try:
        with sa.create_engine(PG_URL).connect():
            return True
    except sa.exc.OperationalError:
        return False


PG = _postgres_available()
if os.environ.get("CI") and not PG:
    raise RuntimeError("CI must provide PostgreSQL for these tests: set SAFETY_RULES_TEST_PG_URL (see .ci/postgres)")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.sqlite3'}"
        return
    if not PG:
        pytest.skip("no PostgreSQL server reachable (set SAFETY_RULES_TEST_PG_URL)")
    assert PG_URL is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    sa.create_engine(PG_URL).dispose()
    with admin.connect() as c:
        c.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


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
    assert log.head() == (2, b.hash)
    assert log.verify(anchor=b.hash).ok
    again = EvaluationLog(url)  # reopening finds the same chain
    assert [r.hash for r in again.records()] == [a.hash, b.hash]


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
    assert len(list(log.records())) == 3  # nothing was overwritten
    assert log.verify().ok


def test_database_refuses_update_and_delete(url: str) -> None:
    log = EvaluationLog(url)
    log.append(ev())
    for statement in ("UPDATE expert_evaluations SET quality = 1", "DELETE FROM expert_evaluations"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), log.engine.begin() as c:
            c.execute(sa.text(statement))
    assert log.verify().ok and log.head()[0] == 1


def _tamper(url: str, sql: str, params: dict[str, object]) -> None:
    """What an intruder with database access does: drop the guards, then edit."""
    engine = sa.create_engine(url)
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.execute(sa.text("DROP TRIGGER IF EXISTS expert_evaluations_no_update"))
            c.execute(sa.text("DROP TRIGGER IF EXISTS expert_evaluations_no_delete"))
        else:
            c.execute(sa.text("ALTER TABLE expert_evaluations DISABLE TRIGGER USER"))
        c.execute(sa.text(sql), params)
    engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 6), data=st.data())
def test_any_single_altered_deleted_or_swapped_record_is_detected(tmp_path: Path, n: int,
                                                                  data: st.DataObject) -> None:
    url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}"
    log = EvaluationLog(url)
    records = [log.append(ev(f"C{k}", quality=1 + k % 5)) for k in range(n)]
    anchor = log.head()[1]
    target = data.draw(st.integers(1, n))
    op = data.draw(st.sampled_from(["alter", "alter-hash", "delete", "swap"] if n > 1 else ["alter", "delete"]))
    if op == "alter":
        _tamper(url, "UPDATE expert_evaluations SET quality = quality % 5 + 1 WHERE seq = :s", {"s": target})
    elif op == "alter-hash":  # change content and recompute its own hash: the next record catches it
        _tamper(url, "UPDATE expert_evaluations SET remark = 'x', hash = :h WHERE seq = :s",
                {"s": target, "h": "f" * 64})
    elif op == "delete":
        _tamper(url, "DELETE FROM expert_evaluations WHERE seq = :s", {"s": target})
    else:
        other = data.draw(st.integers(1, n).filter(lambda x: x != target))
        a, b = sorted((target, other))
        _tamper(url, "UPDATE expert_evaluations SET seq = -1 WHERE seq = :a", {"a": a})
        _tamper(url, "UPDATE expert_evaluations SET seq = :a WHERE seq = :b", {"a": a, "b": b})
        _tamper(url, "UPDATE expert_evaluations SET seq = :b WHERE seq = -1", {"b": b})
        target = a
    result = EvaluationLog(url).verify(anchor=anchor)
    assert not result.ok, (op, target, n)
    assert result.first_bad_seq is not None and result.first_bad_seq <= target + 1
    with pytest.raises(LogIntegrityError):
        EvaluationLog(url).verified(anchor=anchor)
    assert records  # the chain was built before tampering


WRITER = """
import datetime as dt, sys
from safety_rules.experts._evaluation_log import Evaluation, EvaluationLog
url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = EvaluationLog(url)
for k in range(count):
    log.append(Evaluation(case_id=f"{name}-{k}", expert_id=name, enterprise_id="LY-1",
                          case_date=dt.date(2017, 9, 5), timeliness=3, quality=4, advice_adopted=True,
                          recorded_by="writer"))
    if count > 10000:
        print(k, flush=True)
"""


def _writer(url: str, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, url, name, str(count)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_concurrent_writers_lose_nothing(url: str) -> None:
    EvaluationLog(url)  # create the table before the race
    writers = [_writer(url, f"W{i}", 500) for i in range(4)]
    for w in writers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    log = EvaluationLog(url)
    records = list(log.records())
    assert len(records) == 2000
    assert {(r.expert_id, r.case_id) for r in records} == {(f"W{i}", f"W{i}-{k}") for i in range(4) for k in range(500)}
    assert log.verify().ok


def test_killed_writer_leaves_a_valid_log(url: str) -> None:
    EvaluationLog(url)
    w = _writer(url, "K", 10**6)
    assert w.stdout is not None
    while int(w.stdout.readline() or -1) < 50:  # let it write a while, then kill it mid-batch
        pass
    w.send_signal(signal.SIGKILL)
    w.wait(timeout=30)
    time.sleep(0.2)
    log = EvaluationLog(url)
    count = log.head()[0]
    assert count >= 50 and log.verify().ok
    log.append(ev("after-kill"))  # and the log still takes writes
    assert log.verify().ok and log.head()[0] == count + 1
