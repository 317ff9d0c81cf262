"""Seeded databases built once per test session and restored into each test's own SQLite file.

A test (or fixture) that writes a large data set before it starts asserting -- the demo, a hand-made service
world, a few hundred random responses with their summaries -- calls ``snapshots.seed(engine, build, *args)``
instead of ``build(engine, *args)``. On SQLite the first call runs ``build`` and keeps a copy of the database it
wrote; every later call with the same builder and arguments copies that database into the test's own fresh file
(the SQLite backup API: milliseconds) and hands back what ``build`` returned. Each test still owns its database, so
writes never leak from one test to the next. On PostgreSQL ``build`` simply runs again, as before.

Under pytest-xdist each worker keeps its own copies (they live under the worker's temporary folder).

The key is the builder's module and name plus its arguments, so a builder must be a module-level function whose
result depends only on the database it is given and on those arguments (no lambdas or closures: two of them share
a name). A seed must be the first write to the test's database: it replaces the whole file.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, literal, select, union_all

from cxdash.schema import metadata

T = TypeVar("T")


def _fingerprint(engine: Engine) -> tuple[int, ...]:
    """Rows in every table (one query): equal to the template's when nothing has been written yet."""
    tables = metadata.sorted_tables
    counts = union_all(*(select(literal(i).label("i"), func.count().label("n")).select_from(t)
                         for i, t in enumerate(tables)))
    with engine.connect() as conn:
        found = {int(i): int(n) for i, n in conn.execute(counts)}
    return tuple(found[i] for i in range(len(tables)))


class Snapshots:
    """The seeded databases of this session (of this xdist worker), one file per builder and arguments."""

    def __init__(self, folder: Path, template: Path) -> None:
        self._folder = folder
        self._template = template
        self._empty: tuple[int, ...] | None = None
        self._saved: dict[str, tuple[Path, Any]] = {}

    def seed(self, engine: Engine, build: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``build(engine, *args, **kwargs)``, or on SQLite a copy of what that call wrote the first time."""
        if engine.dialect.name != "sqlite":
            return build(engine, *args, **kwargs)
        name = f"{build.__module__}.{build.__qualname__}"
        if "<" in name:
            raise ValueError(f"snapshots need a module-level builder, not {name}: lambdas and closures share a name")
        self._check_fresh(engine, name)
        key = repr((name, args, sorted(kwargs.items())))
        if key in self._saved:
            path, value = self._saved[key]
            _restore(path, engine)
        else:
            value = build(engine, *args, **kwargs)
            path = self._folder / f"seed-{len(self._saved)}.db"
            _save(engine, path)
            self._saved[key] = (path, value)
        return copy.deepcopy(value)  # a test may change what it is handed; the next one gets the original

    def _check_fresh(self, engine: Engine, name: str) -> None:
        """Refuse to seed a database that is no longer the empty template: restoring would drop its rows."""
        if self._empty is None:
            template = _engine_of(self._template)
            self._empty = _fingerprint(template)
            template.dispose()
        if _fingerprint(engine) != self._empty:
            raise RuntimeError(f"seed {name} on a database that already holds rows: a seed replaces the whole file")


def _save(engine: Engine, path: Path) -> None:
    """Copy the database of ``engine`` to a new file ``path`` (the SQLite backup API)."""
    saved = sqlite3.connect(path)
    with engine.connect() as conn:
        conn.connection.driver_connection.backup(saved)  # type: ignore[union-attr]
    saved.close()


def _restore(path: Path, engine: Engine) -> None:
    """Copy the file ``path`` over the database of ``engine`` (schema and rows; its old content goes)."""
    engine.dispose()  # pooled connections would keep the old pages cached
    saved = sqlite3.connect(path)
    with engine.connect() as conn:
        saved.backup(conn.connection.driver_connection)  # type: ignore[arg-type]
    saved.close()


def _engine_of(path: Path) -> Engine:
    """An engine on an existing migrated SQLite file (no migration run)."""
    from cxdash.db import make_engine

    return make_engine(f"sqlite:///{path}", migrate=False)
