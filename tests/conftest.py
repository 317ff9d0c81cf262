"""Test backends: every test that takes ``engine`` runs on a real SQLite file and again on PostgreSQL.

PostgreSQL is used when ``CXDASH_TEST_DATABASE_URL`` is set or a server answers on 127.0.0.1:5432 (database
``test``). Each test session creates its own throw-away database on that server, so parallel runs never meet.
With ``CI=true`` a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from cxdash.db import make_engine
from cxdash.schema import metadata
from tests.support.pg import BACKENDS, scratch_database
from tests.support.snapshots import Snapshots

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_state: dict[str, object] = {"backends": set()}


def _pg_admin_url() -> str:
    return os.environ.get("CXDASH_TEST_DATABASE_URL") or PG_DEFAULT


def _pg_available() -> bool:
    try:
        eng = create_engine(_pg_admin_url(), connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say up front which database backends this run uses."""
    pg = f"PostgreSQL ({make_url(_pg_admin_url()).render_as_string(hide_password=True)})" if PG_AVAILABLE else "PostgreSQL: not reachable"
    return [f"cxdash backends: SQLite file; {pg}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI a missing PostgreSQL is a failure, not a skip."""
    if IN_CI and not PG_AVAILABLE:
        raise pytest.UsageError("CI=true but PostgreSQL does not answer at " + _pg_admin_url())


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Print the backends the tests actually ran on."""
    used = sorted(_state["backends"])  # type: ignore[arg-type]
    terminalreporter.write_line(f"cxdash backends used: {', '.join(used) if used else 'none'}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not PG_AVAILABLE:
        if IN_CI:
            pytest.fail("PostgreSQL is required in CI")
        pytest.skip("PostgreSQL not reachable")
    with scratch_database(_pg_admin_url(), f"cxdash_test_{os.getpid()}_{uuid.uuid4().hex[:6]}") as url:
        yield url


def _truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A test that left a connection inside a transaction (an engine never disposed) would make the
            # TRUNCATE wait for ever: end such sessions of this scratch database first.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                              " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


_pg_engine: dict[str, Engine] = {}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file made once per session: copying it is ~50x faster than migrating anew."""
    path = tmp_path_factory.mktemp("template") / "cxdash.db"
    make_engine(f"sqlite:///{path}").dispose()  # the last connection's close folds the WAL into the file
    return path


@pytest.fixture(scope="session")
def snapshots(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshots:
    """Seeded databases built once per session and copied into each test's file (see tests/support/snapshots.py)."""
    return Snapshots(tmp_path_factory.mktemp("snapshots"), sqlite_template)


def _fresh_sqlite(template: Path, folder: Path) -> Engine:
    """A migrated, empty SQLite database in ``folder``: a copy of the session's template."""
    path = folder / "cxdash.db"
    shutil.copyfile(template, path)
    _state["backends"].add("sqlite")  # type: ignore[attr-defined]
    return make_engine(f"sqlite:///{path}", migrate=False)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        eng = _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        yield eng
        eng.dispose()
        return
    url = request.getfixturevalue("pg_url")
    if url not in _pg_engine:
        _pg_engine[url] = make_engine(url)
    eng = _pg_engine[url]
    _truncate(eng)
    _state["backends"].add("postgresql")  # type: ignore[attr-defined]
    yield eng


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite database only (for tests that exercise SQLite specifics)."""
    eng = _fresh_sqlite(sqlite_template, tmp_path)
    yield eng
    eng.dispose()
