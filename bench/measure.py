"""Time one benchmark page cold and warm in this process: ``python -m bench.measure --database-url URL
--page NAME [--from D --to D]`` prints ``{"page", "import_seconds", "cold_seconds", "cold_cpu_seconds", "warm_seconds",
"drilldown_seconds", "drilldown_warm_seconds", "peak_memory_mb"}`` as JSON.

The parent runs this in a fresh interpreter for each page. First the process is prepared as the app frame
prepares its own at start (:func:`cxdash.warmup.prepare_process`: the domain modules imported, timed as
``import_seconds``, what a fresh app process pays once, not per page view; then the collector frozen); then the first call of the page is
the cold data time (new connection, cold SQLite page cache / PostgreSQL backend of this process; the operating
system's file cache may still be warm). **Warm** is what the running app pays when the page is shown again with
unchanged data: the app calls its data functions through ``cxdash.ui.cache`` (``st.cache_data`` keyed on the
database, its data version and the arguments), so a warm view costs one data-version read plus a cache hit;
``warm_seconds`` times exactly that path (the same cached function, primed once untimed).
``warm_uncached_seconds`` is a second direct call, i.e. what the database alone answers in with warm page
caches. Then the page's drill-down (:mod:`bench.drilldowns`; None where the page has none) is timed
cold the same way: its first call is what a click costs after the page has loaded. Opening and migrating the
database is not counted. The peak memory is this process's own high-water mark of resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from bench.drilldowns import drilldown_for
from bench.pages import PAGES
from cxdash.db import make_engine
from cxdash.filters import Filters
from cxdash.warmup import prepare_process


def peak_memory_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MiB (``ru_maxrss`` is KiB on Linux)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def own_peak_memory_mb() -> float:
    """This process's own peak resident memory in MiB.

    Linux keeps ``ru_maxrss`` across fork and exec, so a child started by a big parent reports the parent's
    peak; ``VmHWM`` in ``/proc/self/status`` belongs to the address space made by exec and is the child's own.
    Elsewhere ``ru_maxrss`` stands in.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_memory_mb()


def time_page(url: str, page: str, filters: Filters) -> dict[str, Any]:
    """Import the domain modules, then call the page twice on a new engine, once more through the app's cache, and
    its drill-down twice; return the durations and this process's peak memory."""
    fn = PAGES[page]
    import_seconds = prepare_process()  # as the app frame does at process start
    engine = make_engine(url)
    cpu: list[float] = []
    cpu0 = time.process_time()
    durations = _twice(fn, engine, filters, cpu)
    drill = drilldown_for(page)
    drill_durations = _twice(drill, engine, filters) if drill is not None else [None, None]
    warm = _through_app_cache(engine, url, page, filters)
    engine.dispose()
    return {"page": page, "import_seconds": import_seconds, "cold_seconds": durations[0],
            "cold_cpu_seconds": round(cpu[0] - cpu0, 3) if cpu else None, "warm_seconds": warm,
            "warm_uncached_seconds": durations[1], "drilldown_seconds": drill_durations[0],
            "drilldown_warm_seconds": drill_durations[1], "peak_memory_mb": own_peak_memory_mb()}


def _through_app_cache(engine: Any, url: str, page: str, filters: Filters) -> float:
    """Seconds of a warm view as the app serves it: the data-version read and the ``st.cache_data`` hit of
    :func:`cxdash.ui.cache.cached_call` (primed by one untimed call)."""
    from cxdash.ui.outside import cache_outside_app

    cached_call = cache_outside_app()
    fn = PAGES[page]
    path = f"{fn.__module__}:{fn.__qualname__}"
    cached_call(engine, url, path, (filters,), ())
    t0 = time.perf_counter()
    cached_call(engine, url, path, (filters,), ())
    return round(time.perf_counter() - t0, 3)


def _twice(fn: Any, engine: Any, filters: Filters, cpu: list[float] | None = None) -> list[float | None]:
    """Wall seconds of two calls; ``cpu`` collects this process's CPU clock after each (on a shared machine the
    wall time of the cold call says little alone: SQLite's work is this process's CPU time)."""
    out: list[float | None] = []
    for _ in range(2):
        t0 = time.perf_counter()
        fn(engine, filters)
        out.append(round(time.perf_counter() - t0, 3))
        if cpu is not None:
            cpu.append(time.process_time())
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, time the page, print JSON."""
    p = argparse.ArgumentParser(prog="python -m bench.measure")
    p.add_argument("--database-url", required=True)
    p.add_argument("--page", required=True, choices=sorted(PAGES))
    p.add_argument("--from", dest="date_from", type=date.fromisoformat)
    p.add_argument("--to", dest="date_to", type=date.fromisoformat)
    args = p.parse_args(argv)
    result = time_page(args.database_url, args.page, Filters(date_from=args.date_from, date_to=args.date_to))
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
