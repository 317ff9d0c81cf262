"""``python -m cxdash bench import --responses N``: the speed and memory of a survey upload.

Writes a wide survey CSV (22 touchpoints with P and E, NPS, CSAT, CES and a comment), imports it into a fresh
database with full validation, then loads the same file the plain way (pandas ``read_csv`` +
``DataFrame.to_sql``) into another fresh database of the same kind, and prints one JSON document. Each phase runs
in its own process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxdash.catalog import STAGES

COMMENTS = ["Friendly advisor, quick service.", "等待时间太长了。", "Car was not washed.", "服务很好，很专业。",
            "Had to call twice =HYPERLINK(\"x\")", "", "", ""]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``bench import``."""
    # Own dest: the parent "bench" command has a --responses of its own, parsed first into the same namespace.
    p.add_argument("--responses", dest="import_responses", type=int, default=1_000_000,
                   help="responses in the generated file (default 1,000,000)")
    p.add_argument("--skip-pandas", action="store_true", help="do not run the plain pandas comparison")
    p.add_argument("--workdir", type=Path, help="where to write the CSV and SQLite files (default: a temp dir)")
    p.add_argument("--chunk-rows", type=int, default=100_000, help="rows validated and staged per chunk")
    p.add_argument("--seed", type=int, default=7)


def touchpoint_codes() -> list[str]:
    """The default catalog's 22 touchpoint codes."""
    return [tp.code for _, tps in STAGES for tp in tps]


def add_score_columns(cols: dict[str, Any], rng: np.random.Generator, base: np.ndarray, codes: list[str],
                      nps: str = "nps") -> None:
    """Add generated P and E per touchpoint of ``codes`` around each response's ``base``, then NPS (under the
    header ``nps``), CSAT, CES and a comment, to the columns ``cols`` of ``len(base)`` responses."""
    n = len(base)
    for code in codes:
        cols[f"{code}_P"] = np.clip(base + rng.integers(-2, 2, n), 1, 7)
        cols[f"{code}_E"] = np.clip(base + rng.integers(-1, 2, n), 1, 7)
    cols[nps] = rng.integers(0, 11, n)
    cols["csat"] = rng.integers(1, 6, n)
    cols["ces"] = rng.integers(1, 8, n)
    cols["comment"] = np.array(COMMENTS, dtype=object)[rng.integers(0, len(COMMENTS), n)]


def write_wide_csv(path: Path, n: int, seed: int = 7, chunk: int = 200_000, id_prefix: str = "R") -> None:
    """Write ``n`` generated survey responses as a wide CSV (the cxdash template's columns)."""
    rng = np.random.default_rng(seed)
    codes = touchpoint_codes()
    start = np.datetime64("2024-01-01")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for lo in range(0, n, chunk):
            m = min(chunk, n - lo)
            cols: dict[str, Any] = {
                "response_id": np.char.add(id_prefix, np.arange(lo, lo + m).astype(str)),
                "site": np.char.add("S", rng.integers(1, 41, m).astype(str)),
                "visit_date": (start + rng.integers(0, 700, m)).astype(str),
            }
            add_score_columns(cols, rng, rng.integers(3, 8, m), codes)
            pd.DataFrame(cols).to_csv(fh, index=False, header=lo == 0)


def _peak_mb() -> float:
    # The phase's own high-water mark: ru_maxrss would carry over the peak of the parent that wrote the file.
    from cxdash.bench.measure import own_peak_memory_mb

    return own_peak_memory_mb()


def _cpu_s() -> float:
    """CPU seconds this process used: on a shared machine the wall time alone says little."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _phase_import(url: str, csv_path: str, chunk_rows: int) -> dict[str, Any]:
    from cxdash.catalog import ensure_default_catalog
    from cxdash.db import make_engine
    from cxdash.imports.pipeline import ImportOptions, prepare, run_import
    from cxdash.imports.reading import FileInput

    engine = make_engine(url)
    with engine.begin() as conn:
        ensure_default_catalog(conn)
    t0 = time.perf_counter()
    prepared = prepare(engine, FileInput.from_path(csv_path), "surveys")
    result = run_import(engine, prepared, ImportOptions(create_missing=True, chunk_rows=chunk_rows))
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {"seconds": seconds, "cpu_s": _cpu_s(), "peak_mb": _peak_mb(), "rows_loaded": result.inserted,
            "rows_rejected": result.rows_rejected, "status": result.status, "phases": result.timings}


def _phase_pandas(url: str, csv_path: str) -> dict[str, Any]:
    # The same engine settings as cxdash's own load (only cxdash.db makes engines), no schema: pandas makes its table.
    from cxdash.db import make_engine

    engine = make_engine(url, migrate=False)
    t0 = time.perf_counter()
    frame = pd.read_csv(csv_path)
    frame.to_sql("survey_wide", engine, index=False)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {"seconds": seconds, "cpu_s": _cpu_s(), "peak_mb": _peak_mb()}


def _run_phase(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(target, args)


def _sibling(url: str | None, suffix: str) -> str | None:
    """A second fresh database of the same kind (another SQLite file next to the first one)."""
    if url and url.startswith("sqlite"):
        return f"{url.removesuffix('.db')}-{suffix}.db"
    return url


def bench_import(n: int, base_url: str | None, workdir: Path, chunk_rows: int, pandas: bool, seed: int) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    csv_path = workdir / f"survey_wide_{n}.csv"
    t0 = time.perf_counter()
    write_wide_csv(csv_path, n, seed)
    out: dict[str, Any] = {"responses": n, "touchpoint_scores": n * len(touchpoint_codes()),
                           "file_mb": round(csv_path.stat().st_size / 1048576, 1),
                           "generate_s": round(time.perf_counter() - t0, 1)}
    from cxdash.bench.fresh_db import fresh_database

    with fresh_database(base_url) as url:
        out["database"] = url.split(":", 1)[0].split("+")[0]
        res = _run_phase(_phase_import, url, str(csv_path), chunk_rows)
        out.update(import_s=round(res["seconds"], 1), import_cpu_s=round(res["cpu_s"], 1),
                   rows_per_s=int(n / res["seconds"]),
                   import_peak_mb=round(res["peak_mb"]), rows_loaded=res["rows_loaded"], status=res["status"],
                   phases_s=res["phases"])
    if pandas:
        with fresh_database(_sibling(base_url, "pandas")) as url:
            res = _run_phase(_phase_pandas, url, str(csv_path))
        out.update(pandas_s=round(res["seconds"], 1), pandas_cpu_s=round(res["cpu_s"], 1),
                   pandas_rows_per_s=int(n / res["seconds"]),
                   pandas_peak_mb=round(res["peak_mb"]), speedup=round(res["seconds"] / out["import_s"], 2))
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]  # other work on the machine slows the wall times
    out["targets"] = {"import_s<=60": out["import_s"] <= 60, "peak_mb<1536": out["import_peak_mb"] < 1536,
                      "speedup>=2": out.get("speedup", 0) >= 2 if pandas else None}
    return out


def run_bench(args: argparse.Namespace) -> int:
    """Handler of ``python -m cxdash bench import``."""
    base = getattr(args, "database_url", None)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        out = bench_import(args.import_responses, base, args.workdir, args.chunk_rows, not args.skip_pandas, args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="cxdash-bench-") as tmp:
            out = bench_import(args.import_responses, base, Path(tmp), args.chunk_rows, not args.skip_pandas, args.seed)
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0
