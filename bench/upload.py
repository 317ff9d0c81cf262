"""The upload part of the page benchmark: 10,000 responses into the benchmark database, then taken out again.

:func:`bench_upload` writes a wide survey CSV (the cxdash template's columns, the catalog's touchpoints with P
and E, overall P and E, NPS, CSAT, CES, a comment) for existing sites and visit days inside the timed view,
imports it through the real pipeline (:func:`cxdash.imports.pipeline.run_import`: validation, loading, summary
maintenance and the data-version bump in one transaction) and reports the time, then checks that the figures the
pages read moved at once: the overview's response count grew by exactly the rows loaded, the touchpoint pairs
grew, and the data version (the cache key) changed. The batch is then deleted through
:func:`cxdash.imports.batches.delete_batch`, so a reused benchmark database stays what its marker says; the time
of that delete is reported too. Leftovers of an interrupted run (batches named ``bench-upload-*``) are removed
first.

With ``rules`` (the default) a realistic alert rule set (:func:`bench.cases.save_bench_rules`: likelihood to
recommend at most 6, tier disappointed, a touchpoint gap, complaint keywords) is saved before the upload, so the
import runs them in its transaction and its ``alerts`` phase (``alerts_seconds``: what the rules add) and the cases
they opened (``cases_opened``) are reported; deleting the batch withdraws those cases (``cases_withdrawn``), and the
rules and their cases are removed again afterwards.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from bench.imports import add_score_columns, touchpoint_codes
from cxdash.db import refresh_statistics
from cxdash.filters import Filters
from cxdash.schema import import_batch, site

FILE_PREFIX = "bench-upload-"


def write_upload_csv(path: Path, n: int, sites: list[str], filters: Filters, seed: int = 11) -> None:
    """Write ``n`` responses for ``sites`` with visit days inside the filters' range (the last 90 days of it)."""
    rng = np.random.default_rng(seed)
    end = filters.date_to
    if end is None:
        raise ValueError("the upload needs a view with an end date")
    days = max(1, min(90, (end - filters.date_from).days + 1 if filters.date_from else 90))
    stamp = time.strftime("%Y%m%d%H%M%S")
    base = rng.integers(3, 8, n)
    cols: dict[str, Any] = {
        "response id": [f"BU{stamp}-{i}" for i in range(n)],
        "site": np.array(sites, dtype=object)[rng.integers(0, len(sites), n)],
        "visit date": [(end - timedelta(days=int(d))).isoformat() for d in rng.integers(0, days, n)],
        "overall perceived": np.clip(base + rng.integers(-1, 2, n), 1, 7),
        "overall expected": np.clip(base + rng.integers(-1, 2, n), 1, 7),
    }
    add_score_columns(cols, rng, base, touchpoint_codes(), nps="likelihood to recommend")
    pd.DataFrame(cols).to_csv(path, index=False)


def _counts(engine: Engine, filters: Filters) -> dict[str, int]:
    from cxdash.db import data_version
    from cxdash.metrics.experience.gaps import gap_table
    from cxdash.metrics.response_figures import response_figures

    return {"overview_n": response_figures(engine, filters).tiers.n,
            "overview_n_all": response_figures(engine, Filters()).tiers.n,
            "touchpoint_pairs": int(gap_table(engine, filters, with_importance=False, with_points=False)["n_pairs"].sum()),
            "data_version": data_version(engine)}


def remove_leftovers(engine: Engine) -> int:
    """Delete loaded batches left by an interrupted upload benchmark; return how many."""
    from cxdash.imports.batches import delete_batch

    with engine.connect() as conn:
        ids = conn.execute(select(import_batch.c.id).where(import_batch.c.file_name.like(f"{FILE_PREFIX}%"),
                                                           import_batch.c.status == "loaded")).scalars().all()
    for batch_id in ids:
        delete_batch(engine, int(batch_id), actor="bench")
    return len(ids)


def _batch_cases(engine: Engine, batch_id: int | None) -> dict[str, int]:
    """The cases a batch opened, by status."""
    from cxdash.schema.followup import followup_case

    fc = followup_case.c
    with engine.connect() as conn:
        rows = conn.execute(select(fc.status, func.count()).where(fc.batch_id == batch_id).group_by(fc.status)).all()
    return {str(s): int(c) for s, c in rows}


def bench_upload(engine: Engine, filters: Filters, n: int = 10_000, keep: bool = False,
                 rules: bool = True) -> dict[str, Any]:
    """Import ``n`` responses through the real pipeline, check every page's figures see them, delete them again.

    Returns ``rows``, ``inserted``, ``seconds`` (the import, summaries included), ``rows_per_second``,
    ``phases_seconds``, ``before`` and ``after`` (response count of the view and of everything, touchpoint pairs
    of the view, data version), ``reflected`` (all grew as they must), ``rules`` (saved first), ``alerts_seconds``
    (the import's ``alerts`` phase: the rules run in its transaction), ``cases_opened``, ``delete_seconds``,
    ``restored`` and ``cases_withdrawn``.
    """
    from bench.cases import remove_bench_cases, save_bench_rules
    from cxdash.imports.batches import delete_batch
    from cxdash.imports.pipeline import ImportOptions, prepare, run_import
    from cxdash.imports.reading import FileInput

    leftovers = remove_leftovers(engine)
    rule_ids = save_bench_rules(engine, datetime.now(UTC).replace(tzinfo=None)) if rules else []
    with engine.connect() as conn:
        codes = [str(c) for c in conn.execute(select(site.c.code).order_by(site.c.id)).scalars()]
    if not codes:
        raise ValueError("the benchmark database has no sites")
    with tempfile.TemporaryDirectory(prefix="cxdash-upload-") as tmp:
        path = Path(tmp) / f"{FILE_PREFIX}{n}.csv"
        write_upload_csv(path, n, codes, filters)
        before = _counts(engine, filters)
        t0 = time.perf_counter()
        prepared = prepare(engine, FileInput.from_path(path), "surveys")
        result = run_import(engine, prepared, ImportOptions(actor="bench"))
        seconds = time.perf_counter() - t0
    after = _counts(engine, filters)
    out: dict[str, Any] = {
        "rows": n, "inserted": result.inserted, "rejected": result.rows_rejected, "status": result.status,
        "seconds": round(seconds, 2), "rows_per_second": int(result.inserted / seconds) if seconds else None,
        "phases_seconds": result.timings, "before": before, "after": after, "leftovers_removed": leftovers,
        "rules": len(rule_ids), "alerts_seconds": result.timings.get("alerts"),
        "cases_opened": sum(_batch_cases(engine, result.batch_id).values()),
        "reflected": (after["overview_n"] - before["overview_n"] == result.inserted == n
                      and after["overview_n_all"] - before["overview_n_all"] == n
                      and after["touchpoint_pairs"] > before["touchpoint_pairs"]
                      and after["data_version"] > before["data_version"]),
    }
    if result.batch_id is not None and not keep:
        t0 = time.perf_counter()
        delete_batch(engine, result.batch_id, actor="bench")
        out["delete_seconds"] = round(time.perf_counter() - t0, 2)
        restored = _counts(engine, filters)
        out["restored"] = all(restored[k] == before[k] for k in ("overview_n", "overview_n_all", "touchpoint_pairs"))
        out["cases_withdrawn"] = _batch_cases(engine, result.batch_id).get("withdrawn", 0)
        # What autovacuum does on a default PostgreSQL: without it the rows the upload and its deletion left
        # dead (a million summary rows at 1M) slowed the next run's pages by up to 0.4 s.
        refresh_statistics(engine, vacuum=True)
    if rules and not keep:
        remove_bench_cases(engine)
    return out
