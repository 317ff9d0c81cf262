"""``python -m bench import --responses N``: the speed and memory of a survey upload.

Writes a wide survey CSV (22 touchpoints with P and E, NPS, CSAT, CES and a comment), imports it into a fresh
database with full validation, then loads the same file two plain ways into other fresh databases of the same
kind, and prints one JSON document:

- ``pandas_*``: ``read_csv`` + ``DataFrame.to_sql`` of the file as it is, one wide table without an index (the
  cheapest load, but not what the pages read);
- ``pandas_normalised_*``: the fair peer. pandas writes the same normalised tables cxdash writes, the responses
  and the long touchpoint scores (one row per response and touchpoint), into cxdash's own schema, so with the
  same keys and indexes, chunk by chunk with cxdash's chunk size. It only converts: no validation, no
  duplicate check, no derived columns (tier, gap), no summaries.

Each phase runs in its own process so its peak memory is its own.
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

SITES = 40  # the generated file's sites, S1 to S40
COMMENTS = ["Friendly advisor, quick service.", "等待时间太长了。", "Car was not washed.", "服务很好，很专业。",
            "Had to call twice =HYPERLINK(\"x\")", "", "", ""]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``bench import``."""
    # Own dest: the parent "bench" command has a --responses of its own, parsed first into the same namespace.
    p.add_argument("--responses", dest="import_responses", type=int, default=1_000_000,
                   help="responses in the generated file (default 1,000,000)")
    p.add_argument("--skip-pandas", action="store_true", help="do not run the two plain pandas loads (wide table, normalised tables)")
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
                "site": np.char.add("S", rng.integers(1, SITES + 1, m).astype(str)),
                "visit_date": (start + rng.integers(0, 700, m)).astype(str),
            }
            add_score_columns(cols, rng, rng.integers(3, 8, m), codes)
            pd.DataFrame(cols).to_csv(fh, index=False, header=lo == 0)


def _peak_mb() -> float:
    # The phase's own high-water mark: ru_maxrss would carry over the peak of the parent that wrote the file.
    from bench.measure import own_peak_memory_mb

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


def _phase_pandas_normalised(url: str, csv_path: str, chunk_rows: int) -> dict[str, Any]:
    # why inside: the phase runs in a fresh spawned process, which imports only what it needs.
    from sqlalchemy import func, insert, select

    from cxdash.catalog import ensure_default_catalog
    from cxdash.db import make_engine
    from cxdash.schema import site, survey_response, touchpoint, touchpoint_score

    engine = make_engine(url)  # migrated: cxdash's tables with their keys and indexes
    codes = touchpoint_codes()
    with engine.begin() as conn:
        ensure_default_catalog(conn)
        # The sites exist beforehand, as the catalog does (cxdash's import creates these 40 rows on the way).
        conn.execute(insert(site), [{"code": f"S{i}", "name": f"S{i}"} for i in range(1, SITES + 1)])
    t0 = time.perf_counter()
    with engine.connect() as conn:
        site_ids = dict(conn.execute(select(site.c.code, site.c.id)).tuples().all())
        tp_ids = dict(conn.execute(select(touchpoint.c.code, touchpoint.c.id)).tuples().all())
    tp_column = np.array([tp_ids[c] for c in codes])
    next_id = 1
    for chunk in pd.read_csv(csv_path, chunksize=chunk_rows):
        ids = np.arange(next_id, next_id + len(chunk))
        next_id += len(chunk)
        responses = pd.DataFrame({
            "id": ids, "source": "file", "external_id": chunk["response_id"].astype(str),
            "site_id": chunk["site"].map(site_ids), "visit_date": pd.to_datetime(chunk["visit_date"]).dt.date,
            "tp_scale_min": 1.0, "tp_scale_max": 7.0, "ltr": chunk["nps"], "csat": chunk["csat"],
            "ces": chunk["ces"], "comment": chunk["comment"]})
        scores = pd.DataFrame({  # wide to long: response by response, the touchpoints in catalog order
            "response_id": np.repeat(ids, len(codes)), "touchpoint_id": np.tile(tp_column, len(chunk)),
            "p": chunk[[f"{c}_P" for c in codes]].to_numpy(dtype=float).ravel(),
            "e": chunk[[f"{c}_E" for c in codes]].to_numpy(dtype=float).ravel()})
        with engine.begin() as conn:
            responses.to_sql("survey_response", conn, if_exists="append", index=False)
            scores.to_sql("touchpoint_score", conn, if_exists="append", index=False)
    seconds = time.perf_counter() - t0
    with engine.connect() as conn:  # what was written, untimed: the JSON shows both tables were filled
        loaded = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (survey_response, touchpoint_score)]
    engine.dispose()
    return {"seconds": seconds, "cpu_s": _cpu_s(), "peak_mb": _peak_mb(), "rows_loaded": loaded[0],
            "scores_loaded": loaded[1]}


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
    from bench.fresh_db import fresh_database

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
        with fresh_database(_sibling(base_url, "pandas-normalised")) as url:
            res = _run_phase(_phase_pandas_normalised, url, str(csv_path), chunk_rows)
        out.update(pandas_normalised_s=round(res["seconds"], 1), pandas_normalised_cpu_s=round(res["cpu_s"], 1),
                   pandas_normalised_rows_per_s=int(n / res["seconds"]),
                   pandas_normalised_peak_mb=round(res["peak_mb"]),
                   pandas_normalised_rows_loaded=res["rows_loaded"],
                   pandas_normalised_scores_loaded=res["scores_loaded"],
                   speedup_normalised=round(res["seconds"] / out["import_s"], 2))
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]  # other work on the machine slows the wall times
    out["targets"] = {"import_s<=60": out["import_s"] <= 60, "peak_mb<1536": out["import_peak_mb"] < 1536,
                      "speedup>=2": out.get("speedup", 0) >= 2 if pandas else None}
    return out


def run_bench(args: argparse.Namespace) -> int:
    """Handler of ``python -m bench import``: run the benchmark, print its JSON document."""
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
