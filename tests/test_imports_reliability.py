"""Reliability on both databases: a killed import leaves nothing behind; two imports at once both count exactly.

The imports run as real ``python -m cxdash import`` processes. Readers in this process keep querying while they
run and must only ever see committed states (no half batch).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from bench.imports import write_wide_csv
from cxdash.schema import import_batch, site, survey_response, touchpoint_score
from tests.support.imports import counts
from tests.world import IMPORTS

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _start(engine: Engine, path: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "cxdash", "--database-url", _url(engine), "import", "surveys", str(path),
           "--create-missing", "--error-report", str(path) + ".err.csv", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _count(engine: Engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_killed_import_leaves_no_trace_and_the_file_loads_after(engine: Engine, tmp_path: Path) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "big.csv"
    write_wide_csv(path, 12_000, seed=1)
    before = counts(engine)
    proc = _start(engine, path, "--progress", "--chunk-rows", "2000")
    loaded = 0
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until several chunks are written inside the open transaction
        if line.startswith("progress"):
            loaded = int(line.split()[1])
            if loaded >= 4000:
                break
    assert 4000 <= loaded < 12_000, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)  # PostgreSQL notices the dropped connection and rolls back
    assert counts(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            # the bulk load dropped the secondary indexes inside its transaction: the kill must have restored them
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
            assert {ix.name for t in (survey_response, touchpoint_score) for ix in t.indexes} <= names
    again = _start(engine, path, "--quiet")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert _count(engine, survey_response) == 12_000
    assert _count(engine, touchpoint_score) == 12_000 * 22
    assert _count(engine, import_batch) == 1
    if engine.dialect.name == "sqlite":  # the completed bulk load rebuilt them
        with engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
            assert {ix.name for t in (survey_response, touchpoint_score) for ix in t.indexes} <= names


def test_two_imports_at_once_both_succeed_with_exact_totals(engine: Engine, tmp_path: Path) -> None:
    IMPORTS.org(engine)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_wide_csv(a, 3000, seed=2, id_prefix="A")
    write_wide_csv(b, 2000, seed=3, id_prefix="B")
    seen: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def read_while_loading() -> None:
        while not stop.is_set():
            try:
                seen.append(_count(engine, survey_response))
            except BaseException as exc:  # noqa: BLE001 - any failed read fails the test below
                failures.append(exc)
            time.sleep(0.05)

    reader = threading.Thread(target=read_while_loading)
    reader.start()
    procs = [_start(engine, a, "--quiet"), _start(engine, b, "--quiet")]
    outputs = [p.communicate(timeout=600) for p in procs]
    stop.set()
    reader.join()
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outputs]
    assert not failures
    assert set(seen) <= {0, 2000, 3000, 5000}  # readers only ever see whole batches
    assert _count(engine, survey_response) == 5000
    assert _count(engine, touchpoint_score) == 5000 * 22
    assert _count(engine, import_batch) == 2
    # both files name the same 40 new sites: created once, never twice
    assert _count(engine, site) == 2 + 40
