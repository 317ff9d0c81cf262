"""The only place that makes database engines, and the schema's migration entry point.

The database comes from ``CXDASH_DATABASE_URL`` (default ``sqlite:///data/cxdash.db`` under the project root).
SQLite gets WAL, foreign keys and a busy timeout so the app keeps reading while an import writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, make_url, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from cxdash.schema import customer, setting, survey_response, ticket
from cxdash.sqlfuncs import SQLITE_LOWER, unicode_lower

ROOT = Path(__file__).resolve().parent.parent
# From a checkout the embedded database lives in its data/ folder (what `make run` uses); an installed package
# must not write into site-packages, so there it is data/cxdash.db under the working directory.
_HOME = ROOT if (ROOT / "pyproject.toml").is_file() else Path.cwd()
DEFAULT_URL = f"sqlite:///{_HOME / 'data' / 'cxdash.db'}"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DATA_VERSION_KEY = "data_version"
SQLITE_TEMP_STORE = "MEMORY"  # the pages' sorts; an import's transaction sorts on disk (cxdash.imports.loading)
RANDOM_PAGE_COST = 1.5  # PostgreSQL sessions (see make_engine)


def database_url(url: str | None = None) -> str:
    """Return the database URL: the argument, else ``CXDASH_DATABASE_URL``, else the embedded SQLite file."""
    return url or os.environ.get("CXDASH_DATABASE_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")
    # Reads go through the operating system's file cache: a memory map counted every touched page of a 2 GB
    # database in the app's resident memory (2.0 GB after browsing every page at 1M responses, 450 MB without),
    # and a big per-connection cache multiplied by the pool under load; neither was faster at 1M.
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB per connection
    cur.execute("PRAGMA mmap_size=0")
    cur.close()
    dbapi_connection.create_function(SQLITE_LOWER, 1, unicode_lower, deterministic=True)


def make_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """Create an engine for ``url`` (see :func:`database_url`) and, unless ``migrate`` is false, upgrade it.

    Raises:
        sqlalchemy.exc.OperationalError: the database cannot be reached.
    """
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        path = resolved.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # No JIT: the dashboards' aggregates run for milliseconds to a second, and PostgreSQL compiled any plan
        # it costed above 100,000 (a year of summary rows at 1,000 sites) for 1.8 s before a 0.7 s scan.
        # Random reads costed nearer to solid-state storage (the default 4 assumes spinning disks): with 4,
        # PostgreSQL scanned all 23 million summary rows of a 1,000-site brand (0.8 s) rather than read one
        # grain's months through their index (0.05 s); 1.1, the usual SSD value, turned the loyalty page's
        # scans of the responses into slower index reads (0.07 -> 0.13 s each); 1.5 kept both fast.
        # A URL's own server options come last, so they win.
        given = make_url(resolved).query.get("options")
        own = [given] if isinstance(given, str) else list(given or ())
        options = " ".join(["-c jit=off", f"-c random_page_cost={RANDOM_PAGE_COST}", *own])
        engine = create_engine(resolved, pool_pre_ping=True, connect_args={"options": options})
    if migrate:
        upgrade(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Apply every Alembic migration up to the heads (idempotent; safe at every start-up).

    ``heads``, not ``head``: migrations that touch unrelated tables may branch from the same parent, and each
    branch is applied without a merge revision.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def is_sqlite(bind: Engine | Connection) -> bool:
    """True when ``bind`` talks to SQLite (for the few dialect-specific statements)."""
    return bind.dialect.name == "sqlite"


def upsert(bind: Connection):  # noqa: ANN201 - returns the dialect's insert construct
    """Return the dialect's ``insert`` that supports ``on_conflict_do_*`` (SQLite and PostgreSQL)."""
    return sqlite.insert if is_sqlite(bind) else postgresql.insert


def data_version(bind: Engine | Connection) -> int:
    """Return the data version: a counter every import, delete or edit bumps, used as a cache key."""
    stmt = select(setting.c.value).where(setting.c.key == DATA_VERSION_KEY)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            value = conn.execute(stmt).scalar()
    else:
        value = bind.execute(stmt).scalar()
    return int(value or 0)


# Run after every bump, inside the bumping transaction, with the new version: the summaries keep their freshness
# records current this way (:mod:`cxdash.summaries.freshness` registers itself when the summaries are imported;
# they sit above this module, so it cannot call them by name).
_AFTER_BUMP: list[Callable[[Connection, int], object]] = []


def after_data_version_bump(hook: Callable[[Connection, int], object]) -> None:
    """Have ``hook(conn, new_version)`` run after every :func:`bump_data_version` (once, however often registered)."""
    if hook not in _AFTER_BUMP:
        _AFTER_BUMP.append(hook)


# Settings that hold something computed from the survey responses alone, stamped with the data version it was
# computed at (``{"data_version": N, ...}``). A write that leaves the responses alone (a case step, an action
# plan) carries them to its new version; any other write leaves them behind, so their reader computes them again.
SCALES_KEY = "survey_scale_bounds"  # the survey scales' bounds (cxdash.metrics.experience.gaps)
RESPONSE_RECORDS = (SCALES_KEY,)


def bump_data_version(conn: Connection, responses_unchanged: bool = False) -> int:
    """Increase the data version inside the caller's transaction and return the new value.

    The registered hooks run after it (:func:`after_data_version_bump`): summary freshness records that still
    hold move to the new version with it, so readers need not count rows to learn it. A caller that wrote no
    survey response (``responses_unchanged``) also carries the records computed from them
    (:data:`RESPONSE_RECORDS`): after each case step, the first gap table read 0.37 s of scales again at
    a million responses.
    """
    insert = upsert(conn)
    conn.execute(
        insert(setting).values(key=DATA_VERSION_KEY, value=0).on_conflict_do_nothing(index_elements=["key"])
    )
    current = int(conn.execute(select(setting.c.value).where(setting.c.key == DATA_VERSION_KEY)).scalar() or 0)
    conn.execute(update(setting).where(setting.c.key == DATA_VERSION_KEY).values(value=current + 1))
    if responses_unchanged:
        for key in RESPONSE_RECORDS:
            saved = conn.execute(select(setting.c.value).where(setting.c.key == key)).scalar()
            if isinstance(saved, dict) and saved.get("data_version") == current:
                conn.execute(update(setting).where(setting.c.key == key)
                             .values(value={**saved, "data_version": current + 1}))
    for hook in _AFTER_BUMP:
        hook(conn, current + 1)
    return current + 1


def is_empty(engine: Engine) -> bool:
    """True when the database holds no survey responses, no tickets and no customers (a fresh install; a customer
    list alone already gives churn figures)."""
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(survey_response)).scalar_one()
        m = conn.execute(select(func.count()).select_from(ticket)).scalar_one()
        c = conn.execute(select(customer.c.id).limit(1)).first()
    return n == 0 and m == 0 and c is None


def get_setting(bind: Connection, key: str, default: Any = None) -> Any:
    """Read one JSON setting."""
    value = bind.execute(select(setting.c.value).where(setting.c.key == key)).scalar()
    return default if value is None else value


def put_setting(conn: Connection, key: str, value: Any) -> None:
    """Write one JSON setting (insert or replace) and bump the data version."""
    insert = upsert(conn)
    stmt = insert(setting).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))
    bump_data_version(conn)


def refresh_statistics(bind: Engine | Connection, tables: Sequence[str] = (), vacuum: bool = False) -> None:
    """Give PostgreSQL's planner fresh statistics after a bulk load (``ANALYZE``; every table when none given).

    Without them (autovacuum off, or not yet run) PostgreSQL plans a million-row table as if it were empty and
    picks nested loops that take seconds. ``vacuum`` (an ``Engine`` only: ``VACUUM`` cannot run in a transaction)
    also sets the visibility map, so index-only scans skip the table. SQLite plans without statistics by design
    here (the queries are written for that, see ``cxdash.metrics.service.sql.where_for``): nothing to do.
    """
    if bind.dialect.name != "postgresql":
        return
    names = ", ".join(bind.dialect.identifier_preparer.quote(t) for t in tables)
    sql = f"{'VACUUM ' if vacuum else ''}ANALYZE {names}".strip()
    if isinstance(bind, Engine):
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(sql))
    else:
        if vacuum:
            raise ValueError("VACUUM needs an Engine (it cannot run inside a transaction)")
        bind.execute(text(sql))


def inserted_id(result: Any) -> int:
    """The primary key of the single row an ``INSERT`` just wrote."""
    key = result.inserted_primary_key
    if not key:
        raise LookupError("the insert returned no primary key")
    return int(key[0])
