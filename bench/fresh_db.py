"""Databases for benchmark runs: reusable ones recorded with what they hold, and fresh throw-away ones.

:func:`bench_database` (what ``python -m bench`` uses) reuses a database built earlier with the same
parameters, found by a build marker in the settings table; :func:`fresh_database` makes a throw-away one.

Fresh databases: on PostgreSQL the URL given names a server and a database to connect to for administration; the
benchmark creates its own database ``cxdash_bench_<pid>_<random>`` next to it (never touching the named one) and drops it afterwards
unless asked to keep it. SQLite: a given path must not exist yet; without a URL a temporary directory is used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench import ROOT
from cxdash.db import make_engine
from cxdash.demo.organisation import DEFAULT_SITES
from cxdash.schema import setting, survey_response, ticket


def _sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[-1])


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def fresh_database(url: str | None = None, keep: bool = False) -> Iterator[str]:
    """Yield the URL of a new, empty database (see module docstring); remove it afterwards unless ``keep``.

    Raises:
        ValueError: a SQLite path that already exists, or a URL that is neither SQLite nor PostgreSQL.
    """
    if url is None:
        tmp = Path(tempfile.mkdtemp(prefix="cxdash-bench-"))
        try:
            yield f"sqlite:///{tmp / 'bench.db'}"
        finally:
            if not keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path.exists():
            raise ValueError(f"{path} exists; the benchmark needs a fresh database (choose a new file)")
        try:
            yield url
        finally:
            if not keep:
                _remove_sqlite(path)
        return
    if not url.startswith("postgresql"):
        raise ValueError("--database-url must be a sqlite:/// or postgresql+psycopg:// URL")
    with _postgres_database(url, keep) as new_url:
        yield new_url


@contextmanager
def _postgres_database(admin_url: str, keep: bool) -> Iterator[str]:
    name = f"cxdash_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"  # generated here, never user text
    admin = make_engine(admin_url, migrate=False).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.engine.dispose()


# --- Reusable benchmark databases ----------------------------------------------------------------------------
# A database built for a benchmark records what it holds under this setting; a later run with the same
# parameters reuses it instead of spending minutes (at a million rows, most of an hour) building it again.
MARKER_KEY = "bench.build"
DEFAULT_DIR = ROOT / "bench-data"


@dataclass(frozen=True)
class BuildSpec:
    """What a benchmark database holds: the demo builder's sizes, seed and number of sites."""

    responses: int
    tickets: int
    seed: int
    sites: int = DEFAULT_SITES

    def matches(self, marker: Any) -> bool:
        """True when a stored marker records the same build (a marker without sites: the default 40)."""
        return isinstance(marker, dict) and bool(marker.get("complete")) and all(
            marker.get(k) == getattr(self, k) for k in ("responses", "tickets", "seed")) and (
            marker.get("sites", DEFAULT_SITES) == self.sites)

    @property
    def slug(self) -> str:
        """A name part for files and databases built with these parameters."""
        sites = "" if self.sites == DEFAULT_SITES else f"_x{self.sites}"
        return f"r{self.responses}_t{self.tickets}_s{self.seed}{sites}"


@dataclass(frozen=True)
class BenchDatabase:
    """A database for a benchmark run: its URL and whether it already holds the data (``reused``)."""

    url: str
    reused: bool
    marker: dict[str, Any] | None


def read_marker(url: str) -> dict[str, Any] | None:
    """The build marker of an existing database, or None (no marker, no schema, or not reachable)."""
    engine = make_engine(url, migrate=False)
    try:
        with engine.connect() as conn:
            value = conn.execute(select(setting.c.value).where(setting.c.key == MARKER_KEY)).scalar()
    except SQLAlchemyError:
        value = None
    finally:
        engine.dispose()
    return value if isinstance(value, dict) else None


def write_marker(url: str, spec: BuildSpec, **extra: Any) -> dict[str, Any]:
    """Record that the database at ``url`` holds a complete build of ``spec`` (plus ``extra`` facts)."""
    from cxdash.db import put_setting

    marker = {"responses": spec.responses, "tickets": spec.tickets, "seed": spec.seed, "sites": spec.sites,
              "complete": True, **extra}
    engine = make_engine(url)
    with engine.begin() as conn:
        put_setting(conn, MARKER_KEY, marker)
    engine.dispose()
    return marker


def _has_data(url: str) -> bool:
    engine = make_engine(url, migrate=False)
    try:
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(survey_response)).scalar_one()
            m = conn.execute(select(func.count()).select_from(ticket)).scalar_one()
        return bool(n or m)
    except SQLAlchemyError:  # no schema yet: an empty file
        return False
    finally:
        engine.dispose()


@contextmanager
def bench_database(url: str | None, spec: BuildSpec, rebuild: bool = False,
                   temporary: bool = False) -> Iterator[BenchDatabase]:
    """Yield the database a benchmark of ``spec`` runs on, reusing one built earlier with the same parameters.

    ``url``: None (a SQLite file under ``bench-data/`` named after ``spec``), a SQLite URL (that file), or a
    PostgreSQL server URL (a database ``cxdash_bench_<spec>`` on that server). An existing database whose build
    marker matches ``spec`` is reused unless ``rebuild``; one built with other parameters, or one holding data
    without a marker (not a benchmark's), is refused, so nobody's data is ever dropped. ``temporary`` gives the
    old behaviour: a new database removed afterwards (:func:`fresh_database`).

    Raises:
        ValueError: the database exists with other data, or the URL is neither SQLite nor PostgreSQL.
    """
    if temporary:
        with fresh_database(url) as fresh:
            yield BenchDatabase(fresh, False, None)
        return
    if url is None:
        url = f"sqlite:///{DEFAULT_DIR / f'bench_{spec.slug}.db'}"
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        yield _sqlite_bench(url, path, spec, rebuild)
        return
    if not url.startswith("postgresql"):
        raise ValueError("--database-url must be a sqlite:/// or postgresql+psycopg:// URL")
    yield _postgres_bench(url, spec, rebuild)


def _refuse_or_reuse(url: str, spec: BuildSpec, rebuild: bool, what: str) -> BenchDatabase | None:
    """Reuse a matching build; return None when the database may be rebuilt; refuse anything else."""
    marker = read_marker(url)
    if marker is not None and spec.matches(marker) and not rebuild:
        return BenchDatabase(url, True, marker)
    if marker is None and _has_data(url):
        raise ValueError(f"{what} holds data that no benchmark built; choose another database")
    if marker is not None and not rebuild:
        raise ValueError(f"{what} was built with responses={marker.get('responses')}, "
                         f"tickets={marker.get('tickets')}, seed={marker.get('seed')}; "
                         "pass --rebuild to build it again with the new parameters, or choose another database")
    return None


def _sqlite_bench(url: str, path: Path, spec: BuildSpec, rebuild: bool) -> BenchDatabase:
    if path.exists():
        found = _refuse_or_reuse(url, spec, rebuild, str(path))
        if found is not None:
            return found
        _remove_sqlite(path)
    return BenchDatabase(url, False, None)


def _postgres_bench(server_url: str, spec: BuildSpec, rebuild: bool) -> BenchDatabase:
    name = f"cxdash_bench_{spec.slug}"  # from integers only, never user text
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = make_engine(server_url, migrate=False).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists:
            found = _refuse_or_reuse(url, spec, rebuild, f"database {name}")
            if found is not None:
                return found
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.engine.dispose()
    return BenchDatabase(url, False, None)
