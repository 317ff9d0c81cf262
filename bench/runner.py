"""``python -m bench``: build (or reuse) demo data at a given size and time the pages on it.

Steps: find or create the database (:func:`bench.fresh_db.bench_database`: one built earlier with the same
parameters is reused), build the seeded demo data there if needed (:func:`cxdash.demo.build_demo`) and time it;
time every registered page (:data:`bench.pages.PAGES`) in its own fresh process, cold, warm and its
drill-down (:mod:`bench.measure`); run the usual way for each page that has one, also in a fresh process,
and check its figures against the page's (:mod:`bench.reference`); time an upload of 10,000 responses
through the real import pipeline, with a realistic alert rule set running in its transaction, and check that it
shows at once (:mod:`bench.upload`); with ``cases``, write that many follow-up cases first
(:func:`bench.cases.generate_cases`), so the case page and ``report cases`` are timed at that size, and take them
out again afterwards; return one JSON-able document.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url

from bench import ROOT
from bench.cases import generate_cases, remove_bench_cases
from bench.fresh_db import BenchDatabase, BuildSpec, bench_database, fresh_database, write_marker
from bench.measure import peak_memory_mb
from bench.pages import PAGES, bench_filters
from bench.reference import REFERENCES, reference_now
from bench.upload import bench_upload
from cxdash.db import make_engine, refresh_statistics
from cxdash.demo.organisation import DEFAULT_SITES
from cxdash.filters import Filters

MEASURE_TIMEOUT_S = 3600


def measure_in_subprocess(url: str, page: str, filters: Filters) -> dict[str, Any]:
    """Run :mod:`bench.measure` for one page in a fresh interpreter and return its JSON.

    Raises:
        RuntimeError: the measurement process failed (its stderr is in the message).
    """
    return _run_module("bench.measure", url, filters, ["--page", page], f"measuring {page!r}")


def reference_in_subprocess(url: str, page: str, filters: Filters, now: datetime) -> dict[str, Any]:
    """Run :mod:`bench.reference` for one page in a fresh interpreter and return its JSON.

    Raises:
        RuntimeError: the reference process failed (its stderr is in the message).
    """
    return _run_module("bench.reference", url, filters, ["--page", page, "--now", now.isoformat()],
                       f"reference for {page!r}")


def _run_module(module: str, url: str, filters: Filters, args: list[str], what: str) -> dict[str, Any]:
    """``python -m module --database-url URL ARGS [--from D] [--to D]`` in a fresh interpreter; its last line as
    JSON."""
    cmd = [sys.executable, "-m", module, "--database-url", url, *args]
    if filters.date_from is not None:
        cmd += ["--from", filters.date_from.isoformat()]
    if filters.date_to is not None:
        cmd += ["--to", filters.date_to.isoformat()]
    # The child finds this package (no installed package) whatever the working directory the run started in.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=MEASURE_TIMEOUT_S, check=False,
                          env={**os.environ, "PYTHONPATH": path})
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _build(url: str, spec: BuildSpec) -> tuple[float, dict[str, Any]]:
    from cxdash.demo import build_demo

    engine = make_engine(url)
    t0 = time.perf_counter()
    summary = build_demo(engine, responses=spec.responses, tickets=spec.tickets, seed=spec.seed, sites=spec.sites)
    seconds = time.perf_counter() - t0
    engine.dispose()
    counts = {k: v for k, v in summary.as_dict().items() if k not in ("seed", "seconds")}
    return seconds, counts


def _guarded(fn: Any, *args: Any) -> dict[str, Any]:
    """``fn(*args)``, or ``{"error": message}`` when its process failed: one broken page (another area's work in
    progress) must not cost the figures of all the others."""
    try:
        return dict(fn(*args))
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return {"error": str(exc)[-2000:]}


def _page_entry(timing: dict[str, Any], ref: dict[str, Any] | None) -> dict[str, Any]:
    if "error" in timing:
        return {"error": timing["error"], "targets": {"ran": False}}
    entry = {k: v for k, v in timing.items() if k != "page"}
    if ref is not None and "error" in ref:
        entry.update(reference={"error": ref["error"]}, ratio=None, agree=False)
        ref = None
    elif ref is not None:
        entry["reference"] = {k: v for k, v in ref.items() if k != "page"}
        cold = timing["cold_seconds"]
        entry["ratio"] = round(ref["seconds"] / cold, 1) if cold else None
        entry["agree"] = ref["agree"]
    t = TARGETS
    entry["targets"] = {
        f"cold<={t['cold_s']}s": timing["cold_seconds"] <= t["cold_s"],
        f"warm<={t['warm_s']}s": timing["warm_seconds"] <= t["warm_s"],
        f"drilldown<={t['drilldown_s']}s": (None if timing.get("drilldown_seconds") is None
                                            else timing["drilldown_seconds"] <= t["drilldown_s"]),
        f"ratio>={t['ratio']}": None if ref is None or entry.get("ratio") is None else entry["ratio"] >= t["ratio"],
    }
    return entry


# The targets for every page on the 2-core machine (SQLite and PostgreSQL alike).
TARGETS = {"cold_s": 1.0, "warm_s": 0.2, "drilldown_s": 0.5, "ratio": 10, "upload_s": 10.0, "alerts_s": 1.0}


def run_bench(responses: int, tickets: int, seed: int = 7, database_url: str | None = None, keep: bool = False,
              pages: Sequence[str] | None = None, rebuild: bool = False, temporary: bool = False,
              reference: bool = True, import_rows: int = 10_000, days: int = 365,
              sites: int = DEFAULT_SITES, cases: int = 0) -> dict[str, Any]:
    """Build (or reuse) data of the given size, time the pages, the usual way and an upload; return the document.

    The database: see :func:`bench.fresh_db.bench_database` (``temporary``: a throw-away one; ``keep``
    keeps even that; ``sites``: the demo organisation's size). Keys: ``responses``, ``tickets``, ``seed``,
    ``sites``, ``backend``, ``database_url`` (password hidden; None for a removed temporary database), ``reused``,
    ``build_seconds`` (of the build that made the data, also when reused), ``data`` (row counts), ``filters`` (the
    timed view), ``now`` (the moment open tickets are judged at by the reference check), ``pages`` (per page
    ``cold_seconds``, ``warm_seconds``, ``drilldown_seconds``, ``drilldown_warm_seconds``, ``peak_memory_mb``,
    ``import_seconds``, and where a reference exists ``reference``, ``ratio`` = reference time / cold time,
    ``agree``; ``targets``), ``overview_cold_seconds``, ``overview_warm_seconds``, ``agree`` (every compared
    page); a page or reference whose process failed holds ``error`` instead of figures, ``upload``
    (:func:`bench.upload.bench_upload`, None with ``import_rows`` 0; its ``alerts_seconds`` is what the rules
    add), ``cases`` (:func:`bench.cases.generate_cases`: the cases written for the case page and ``report
    cases``, None with ``cases`` 0), ``targets`` (all pages, the upload and its rules) and ``peak_memory_mb``.

    Raises:
        ValueError: negative sizes, an unknown page, or an unusable database URL.
    """
    if responses < 0 or tickets < 0 or import_rows < 0 or cases < 0:
        raise ValueError("--responses, --tickets, --import-rows and --cases must not be negative")
    names = list(pages or PAGES)
    unknown = [p for p in names if p not in PAGES]
    if unknown:
        raise ValueError(f"unknown page(s) {unknown}; known: {sorted(PAGES)}")
    spec = BuildSpec(responses, tickets, seed, sites)
    with ExitStack() as stack:
        if temporary:
            url = stack.enter_context(fresh_database(database_url, keep))
            db = BenchDatabase(url, False, None)
        else:
            db = stack.enter_context(bench_database(database_url, spec, rebuild))
        url = db.url
        if db.reused and db.marker is not None:
            build_seconds, counts = float(db.marker.get("build_seconds") or 0), dict(db.marker.get("data") or {})
        else:
            build_seconds, counts = _build(url, spec)
            if not temporary:
                write_marker(url, spec, build_seconds=round(build_seconds, 2), data=counts,
                             built_at=datetime.now().isoformat(timespec="seconds"))
        engine = make_engine(url)
        filters = bench_filters(engine, days)
        now = reference_now()
        written = generate_cases(engine, filters, cases, now) if cases else None
        timings = {name: _guarded(measure_in_subprocess, url, name, filters) for name in names}
        refs = {name: _guarded(reference_in_subprocess, url, name, filters, now)
                for name in names if reference and name in REFERENCES}
        if written is not None and not keep:
            written["removed"] = remove_bench_cases(engine)["cases"]
            # What autovacuum would do after a mass delete that only the benchmark makes: without it the upload
            # below wrote its cases among the 100,000 removed ones' dead rows while autovacuum ran beside it.
            refresh_statistics(engine, ("followup_case", "case_trigger", "case_event", "notice"), vacuum=True)
        upload = bench_upload(engine, filters, import_rows) if import_rows else None
        engine.dispose()
    out: dict[str, Any] = {
        "responses": responses, "tickets": tickets, "seed": seed, "sites": sites,
        "backend": make_url(url).get_backend_name(),
        "database_url": None if temporary and not keep else make_url(url).render_as_string(hide_password=True),
        "reused": db.reused,
        "build_seconds": round(build_seconds, 2),
        "data": counts,
        "filters": {"from": _iso(filters.date_from), "to": _iso(filters.date_to)},
        "now": now.isoformat(),
        "pages": {n: _page_entry(r, refs.get(n)) for n, r in timings.items()},
    }
    if "overview" in timings:
        out["overview_cold_seconds"] = timings["overview"].get("cold_seconds")
        out["overview_warm_seconds"] = timings["overview"].get("warm_seconds")
    out["agree"] = all(r.get("agree") is True for r in refs.values()) if refs else None
    out["upload"] = upload
    out["cases"] = written
    page_ok = [v for e in out["pages"].values() for v in e["targets"].values() if v is not None]
    out["targets"] = {
        "pages": all(page_ok),
        f"upload<={TARGETS['upload_s']}s": None if upload is None else upload["seconds"] <= TARGETS["upload_s"],
        "upload_reflected": None if upload is None else upload["reflected"],
        f"alerts<={TARGETS['alerts_s']}s": (None if upload is None or upload.get("alerts_seconds") is None
                                            else upload["alerts_seconds"] <= TARGETS["alerts_s"]),
        "agree": out["agree"],
    }
    out["peak_memory_mb"] = {
        "build": peak_memory_mb(),  # this process: the data build (SQLite works in-process) and the upload
        "measure": max([r["peak_memory_mb"] for r in timings.values() if "error" not in r], default=None),
        "reference": max([r["peak_memory_mb"] for r in refs.values() if "error" not in r], default=None),
        "children": peak_memory_mb(resource.RUSAGE_CHILDREN),  # ru_maxrss of the children (includes inherited)
    }
    return out


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
