from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from safety_rules import Rulebook
from safety_rules.cli._app import with_every_command

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def book() -> Rulebook:
    return Rulebook.load(RULES)


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled rulebook that a test may break."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``safety-rules`` in-process: (exit code, stdout, stderr); never a traceback."""
    result = CliRunner().invoke(with_every_command(), list(args))
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- databases
# The event-store tests run on SQLite, and on PostgreSQL when SAFETY_RULES_TEST_PG_URL names a
# server (.ci/run starts one; under CI a missing server is an error, elsewhere those cases skip).
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


@contextmanager
def postgres_database(owner: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (owned by ``owner`` if given), dropped afterwards; yields its URL."""
    if not PG:
        pytest.skip("no PostgreSQL server reachable (set SAFETY_RULES_TEST_PG_URL)")
    assert PG_URL is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}" + (f" OWNER {owner}" if owner else "")))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind: a SQLite file path's URL, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    with postgres_database() as pg_url:
        yield pg_url


def tamper(url: str, *statements: tuple[str, dict[str, object]]) -> None:
    """What an intruder with the owner's access does: drop the guards, then edit."""
    engine = sa.create_engine(url)
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            for name in ("events_no_update", "events_no_delete"):
                c.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
        else:
            c.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))
        for sql, params in statements:
            c.execute(sa.text(sql), params)
    engine.dispose()
