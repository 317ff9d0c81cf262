"""The seeded databases of tests/support/snapshots.py: built once, handed to each test as its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from cxdash.db import make_engine
from cxdash.schema import region
from tests.support.snapshots import Snapshots

BUILDS: list[int] = []


def _regions(engine: Engine, n: int) -> list[str]:
    """``n`` regions; counts its calls in BUILDS."""
    BUILDS.append(n)
    codes = [f"R{i}" for i in range(n)]
    with engine.begin() as conn:
        conn.execute(insert(region), [{"code": c, "name_en": c} for c in codes])
    return codes


def _fresh(template: Path, path: Path) -> Engine:
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}", migrate=False)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(region)).scalar_one())


def test_a_seed_is_built_once_and_each_test_gets_its_own_copy(sqlite_template: Path, tmp_path: Path) -> None:
    snapshots = Snapshots(tmp_path, sqlite_template)
    BUILDS.clear()
    first, second, other = (_fresh(sqlite_template, tmp_path / f"{n}.db") for n in ("a", "b", "c"))
    codes = snapshots.seed(first, _regions, 3)
    codes.append("changed by the test")
    with first.begin() as conn:
        conn.execute(region.delete())  # a test's writes stay in its own file
    assert snapshots.seed(second, _regions, 3) == ["R0", "R1", "R2"] and _count(second) == 3
    assert snapshots.seed(other, _regions, 2) == ["R0", "R1"] and _count(other) == 2  # other arguments: built
    assert BUILDS == [3, 2] and _count(first) == 0
    for engine in (first, second, other):
        engine.dispose()


def test_a_seed_refuses_a_database_with_rows_and_a_builder_without_a_name(sqlite_template: Path,
                                                                           tmp_path: Path) -> None:
    snapshots = Snapshots(tmp_path, sqlite_template)
    engine = _fresh(sqlite_template, tmp_path / "a.db")
    with pytest.raises(ValueError, match="module-level builder"):
        snapshots.seed(engine, lambda e: None)
    _regions(engine, 1)
    with pytest.raises(RuntimeError, match="already holds rows"):
        snapshots.seed(engine, _regions, 1)
    engine.dispose()


def test_on_postgresql_a_seed_is_simply_built(engine: Engine, snapshots: Snapshots) -> None:
    BUILDS.clear()
    snapshots.seed(engine, _regions, 1)
    if engine.dialect.name == "postgresql":
        assert BUILDS == [1]
    assert _count(engine) == 1
